import { z } from "zod";

/** Ids are what authors type in YAML and learners in /practice: short, no spaces. */
const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/i, {
    error: "an id uses letters, digits, '.', '_' and '-', and no spaces",
  })
  .max(80);
const text = z.string().trim().min(1, { error: "must not be empty" });
/** YAML turns 3 and 0.5 into numbers; answers are compared as text or parsed, so keep text. */
const answer = z.union([z.string().trim().min(1), z.number()]).transform(String);
const probability = z.number().gt(0).lt(1);

const misconceptionSchema = z.strictObject({
  id,
  description: text,
});

const skillSchema = z.strictObject({
  id,
  name: text,
  description: z.string().optional(),
  prerequisites: z.array(id).default([]),
  /** Markdown shown by /explain. */
  explanation: text,
  misconceptions: z.array(misconceptionSchema).default([]),
  /** BKT parameters for this skill, when known (the engine's defaults otherwise). */
  bkt: z
    .strictObject({ prior: probability, learn: probability, guess: probability, slip: probability })
    .partial()
    .optional(),
  masteryThreshold: z.number().gt(0.5).lt(1).optional(),
});

const feedbackSchema = z.strictObject({
  /** A known wrong answer, compared like a learner's answer (3/6 matches 1/2 for numbers). */
  answer,
  misconception: id.optional(),
  message: text,
});

const common = {
  id,
  /** The skill practised; `skills` when the item needs several. */
  skill: id.optional(),
  skills: z.array(id).min(1).optional(),
  /** Markdown. */
  prompt: text,
  /** The hint ladder, gentlest first; the last rung may give the answer away. */
  hints: z.array(text).default([]),
  /** Worked solution, shown after the last attempt. */
  solution: text,
  feedback: z.array(feedbackSchema).default([]),
  /** Authored difficulty in log-odds: 0 typical, +1 harder, −1 easier. */
  difficulty: z.number().min(-3).max(3).optional(),
};

const formsSchema = z.strictObject({
  fraction: z.boolean().default(true),
  decimal: z.boolean().default(true),
  percent: z.boolean().default(true),
  mixed: z.boolean().default(true),
  thousands: z.boolean().default(true),
});

const variants = {
  choice: {
    type: z.literal("choice"),
    choices: z.array(answer).min(2).max(8),
    /** The correct choice, written as in `choices`. */
    answer,
  },
  numeric: {
    type: z.literal("numeric"),
    answer,
    /** Absolute tolerance; 0 means exact (3/4 = 0.75 = 75% = 6/8). */
    tolerance: z.number().min(0).default(0),
    /** Forms a learner may answer in. */
    forms: formsSchema.optional(),
    /** Require a fraction in lowest terms (6/8 is then "equal, but simplify it"). */
    simplest: z.boolean().default(false),
    /** "percent": the answer is a percentage, and 75 and 75% both mean 75. */
    unit: z.literal("percent").optional(),
  },
  expression: {
    type: z.literal("expression"),
    /** An algebraic expression; answers are compared by value at random points. */
    answer,
    variables: z.array(z.string().regex(/^[a-z]\w*$/i)).optional(),
  },
  text: {
    type: z.literal("text"),
    answer,
    alternatives: z.array(answer).default([]),
    caseSensitive: z.boolean().default(false),
    /** Spelling mistakes forgiven (edit distance); default 1 for answers of 5+ letters, 0 when case-sensitive. */
    typos: z.int().min(0).max(3).optional(),
  },
  free: {
    type: z.literal("free"),
    /** What a good answer contains; an LLM grades against it when one is configured. */
    rubric: text,
    /** Shown to the learner, who then rates their own answer, when no LLM is configured. */
    modelAnswer: text,
  },
} as const;

const itemSchema = z.discriminatedUnion("type", [
  z.strictObject({ ...common, ...variants.choice }),
  z.strictObject({ ...common, ...variants.numeric }),
  z.strictObject({ ...common, ...variants.expression }),
  z.strictObject({ ...common, ...variants.text }),
  z.strictObject({ ...common, ...variants.free }),
]);

const paramSchema = z.union([
  z.strictObject({
    min: z.int(),
    max: z.int(),
    step: z.int().positive().default(1),
    exclude: z.array(z.number()).default([]),
  }),
  z.strictObject({ values: z.array(z.union([z.number(), z.string()])).min(1) }),
]);

const templateFields = {
  /** Parameters drawn for each fresh item; every text field can use {{ expressions }} of them. */
  params: z.record(z.string().regex(/^[a-z]\w*$/i), paramSchema),
  /** Expressions that must hold for a draw, such as "a < b" or "gcd(a, b) == 1". */
  constraints: z.array(text).default([]),
};

const templateSchema = z.discriminatedUnion("type", [
  z.strictObject({ ...common, ...variants.choice, ...templateFields }),
  z.strictObject({ ...common, ...variants.numeric, ...templateFields }),
  z.strictObject({ ...common, ...variants.expression, ...templateFields }),
  z.strictObject({ ...common, ...variants.text, ...templateFields }),
]);

export const courseSchema = z.strictObject({
  id,
  title: text,
  description: text,
  /** BCP 47 language tag of the content, e.g. "en" or "fr". */
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { error: "a language tag such as en or pt-BR" })
    .default("en"),
  /** Attempts per item before the worked solution (the first one counts for the model). */
  attempts: z.int().min(1).max(5).default(2),
  masteryThreshold: z.number().gt(0.5).lt(1).optional(),
  skills: z.array(skillSchema).min(1),
  items: z.array(itemSchema).default([]),
  templates: z.array(templateSchema).default([]),
});

export { itemSchema, templateSchema };

export type CourseDefinition = z.output<typeof courseSchema>;
export type SkillDefinition = z.output<typeof skillSchema>;
export type ItemDefinition = z.output<typeof itemSchema>;
export type TemplateDefinition = z.output<typeof templateSchema>;
export type ParamDefinition = z.output<typeof paramSchema>;

/** The JSON Schema of a course file, for editor autocompletion (`socra course schema`). */
export function courseJsonSchema(): Record<string, unknown> {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "Socra course pack",
    ...z.toJSONSchema(courseSchema, { io: "input", unrepresentable: "any" }),
  };
}
