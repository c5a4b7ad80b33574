import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { LlmError } from "./errors.ts";

/** The prompts that ship with Socra (prompts/ next to src/ and dist/). */
export const BUNDLED_PROMPTS_DIR = fileURLToPath(new URL("../../prompts/", import.meta.url));

const text = z.string().trim().min(1);
/** Longest learner text a prompt carries; the rest is cut (a pasted essay is not a hint request). */
const MAX_LEARNER_DATA = 2000;
const language = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/i);
/**
 * Text a learner wrote. It reaches the model only inside the prompt's <learner_data> tags, so
 * angle brackets are replaced: learner text can never close the tag and speak as the prompt.
 */
const learnerData = z
  .string()
  .transform(
    (value) =>
      value.slice(0, MAX_LEARNER_DATA).replace(/</g, "‹").replace(/>/g, "›").trim() || "(nothing)",
  );

/** Each prompt's variables. A prompt file must use exactly these placeholders. */
export const PROMPT_VARIABLES = {
  explain: z.strictObject({
    language,
    courseTitle: text,
    skillName: text,
    skillDescription: text,
    authoredExplanation: text,
    level: z.enum(["new to it", "getting there", "almost mastered", "mastered"]),
    recentMistakes: text,
    interests: learnerData,
  }),
  hint: z.strictObject({
    language,
    skillName: text,
    itemPrompt: text,
    solution: text,
    hintsGiven: text,
    attempts: learnerData,
  }),
  diagnose: z.strictObject({
    language,
    skillName: text,
    itemPrompt: text,
    correctAnswer: text,
    misconceptions: text,
    learnerAnswer: learnerData,
  }),
  grade: z.strictObject({
    language,
    skillName: text,
    itemPrompt: text,
    rubric: text,
    modelAnswer: text,
    misconceptions: text,
    learnerAnswer: learnerData,
  }),
  "answer-question": z.strictObject({
    language,
    courseTitle: text,
    skillName: text,
    skillExplanation: text,
    itemPrompt: text,
    question: learnerData,
  }),
  intent: z.strictObject({ itemPrompt: text, message: learnerData }),
  "generate-question": z.strictObject({
    language,
    courseTitle: text,
    skillName: text,
    skillDescription: text,
    itemType: z.enum(["numeric", "choice", "expression"]),
    examples: text,
  }),
  solve: z.strictObject({ itemPrompt: text }),
} as const;

export type PromptName = keyof typeof PROMPT_VARIABLES;
export type PromptVariables<N extends PromptName> = z.input<(typeof PROMPT_VARIABLES)[N]>;

const promptFileSchema = z.strictObject({
  name: z.string(),
  version: z.int().positive(),
  /** The most this prompt may write (the configured ceiling applies too). */
  maxOutputTokens: z.int().positive().max(8000),
  system: text,
  user: text,
});

/** A prompt ready to send. */
export interface RenderedPrompt {
  readonly name: PromptName;
  readonly version: number;
  readonly maxOutputTokens: number;
  readonly system: string;
  readonly user: string;
}

/** The loaded prompts: rendering validates the variables. */
export interface PromptBook {
  render<N extends PromptName>(name: N, variables: PromptVariables<N>): RenderedPrompt;
  version(name: PromptName): number;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][\w-]*)\s*\}\}/g;

/**
 * Reads every prompt file (`<name>.yaml`) and checks it against its variable schema: a missing
 * file, an unknown placeholder or an unused variable is an error at start-up, not a surprise in a
 * learner's turn.
 */
export function loadPrompts(dir: string = BUNDLED_PROMPTS_DIR): PromptBook {
  const files = new Set(readdirSync(dir).filter((file) => file.endsWith(".yaml")));
  const prompts = new Map<PromptName, z.output<typeof promptFileSchema>>();
  for (const name of Object.keys(PROMPT_VARIABLES) as PromptName[]) {
    const file = `${name}.yaml`;
    if (!files.has(file))
      throw new LlmError("bad_prompt", `Prompt file ${file} is missing in ${dir}`);
    const parsed = promptFileSchema.safeParse(parseYaml(readFileSync(join(dir, file), "utf8")));
    if (!parsed.success)
      throw new LlmError("bad_prompt", `${file}: ${z.prettifyError(parsed.error)}`);
    if (parsed.data.name !== name)
      throw new LlmError("bad_prompt", `${file}: its name is "${parsed.data.name}", not "${name}"`);
    const used = new Set(
      [...`${parsed.data.system}\n${parsed.data.user}`.matchAll(PLACEHOLDER)].map((m) => m[1]),
    );
    const declared = Object.keys(PROMPT_VARIABLES[name].shape);
    const unknown = [...used].filter((v) => v !== undefined && !declared.includes(v));
    const unused = declared.filter((v) => !used.has(v));
    if (unknown.length > 0 || unused.length > 0)
      throw new LlmError(
        "bad_prompt",
        `${file}: ${unknown.length > 0 ? `unknown placeholders ${unknown.join(", ")}` : ""}${unknown.length > 0 && unused.length > 0 ? "; " : ""}${unused.length > 0 ? `variables not used: ${unused.join(", ")}` : ""}`,
      );
    prompts.set(name, parsed.data);
  }
  return {
    render(name, variables) {
      const prompt = prompts.get(name) as z.output<typeof promptFileSchema>;
      const parsed = PROMPT_VARIABLES[name].safeParse(variables);
      if (!parsed.success)
        throw new LlmError(
          "bad_prompt_variables",
          `Prompt ${name}: ${z.prettifyError(parsed.error)}`,
        );
      const values = parsed.data as Record<string, string>;
      // One pass: a value that contains {{…}} is not expanded again.
      const fill = (template: string) =>
        template.replace(PLACEHOLDER, (_, key: string) => values[key] ?? "");
      return {
        name,
        version: prompt.version,
        maxOutputTokens: prompt.maxOutputTokens,
        system: fill(prompt.system).trim(),
        user: fill(prompt.user).trim(),
      };
    },
    version: (name) => (prompts.get(name) as z.output<typeof promptFileSchema>).version,
  };
}
