import { createHash } from "node:crypto";
import {
  type CheckableItem,
  checkAnswer,
  choiceLabel,
  exact,
  formatValue,
  itemSchema,
  normalizeText,
  revealsAnswer,
} from "../content/index.ts";
import type { GeneratedQuestion } from "./ports.ts";

export type GeneratedType = "numeric" | "choice" | "expression";

/** Why a generated question was refused, for the logs. */
export type Verdict =
  | { readonly isAccepted: true; readonly item: CheckableItem; readonly checks: readonly string[] }
  | { readonly isAccepted: false; readonly reason: string };

/**
 * Accepts an LLM-written question only when the deterministic checker agrees with an
 * independent solution: the solver's answer (written without seeing the key) must be judged
 * correct against the generated key, a numeric key must equal its computation evaluated exactly,
 * a choice key must be one of distinct choices, and neither the prompt (of a non-choice item)
 * nor the early hints may state the answer. Duplicates of existing prompts are refused.
 */
export function verifyQuestion(input: {
  readonly question: GeneratedQuestion;
  readonly type: GeneratedType;
  readonly skillId: string;
  readonly solverAnswer: string;
  readonly existingPrompts: readonly string[];
}): Verdict {
  const { question, type, skillId } = input;
  const refuse = (reason: string): Verdict => ({ isAccepted: false, reason });
  const id = `gen-${createHash("sha256").update(`${skillId}\u0000${question.prompt}`).digest("hex").slice(0, 12)}`;
  const parsed = itemSchema.safeParse({
    id,
    type,
    skill: skillId,
    prompt: question.prompt,
    answer: question.answer,
    hints: question.hints,
    solution: question.solution,
    ...(type === "choice" ? { choices: question.choices } : {}),
  });
  if (!parsed.success) return refuse("does not fit the item schema");
  const item = parsed.data as CheckableItem;
  const checks: string[] = ["schema"];
  const seen = new Set(input.existingPrompts.map((p) => normalizeText(p)));
  if (seen.has(normalizeText(item.prompt))) return refuse("repeats an existing question");
  if (checkAnswer(item, item.answer).verdict !== "correct")
    return refuse("its key is not a readable answer");
  if (item.type === "choice") {
    const distinct = new Set(item.choices.map((c) => normalizeText(c)));
    if (distinct.size !== item.choices.length) return refuse("has repeated choices");
    if (!item.choices.some((c) => normalizeText(c) === normalizeText(item.answer)))
      return refuse("its key is not one of the choices");
    checks.push("key-in-choices");
  }
  if (item.type === "numeric") {
    if (question.computation.trim() === "") return refuse("has no computation to check");
    if (!isPlainArithmetic(question.computation))
      return refuse("its computation is not plain arithmetic");
    let computed: string;
    try {
      computed = formatValue(exact.evaluate(question.computation));
    } catch {
      return refuse("its computation does not evaluate");
    }
    if (checkAnswer({ ...item, simplest: false }, computed).verdict !== "correct")
      return refuse(`its computation gives ${computed}, not the key`);
    checks.push("computation");
  }
  if (checkAnswer(item, input.solverAnswer).verdict !== "correct")
    return refuse("an independent solution disagrees with the key");
  checks.push("independent-solution");
  // A choice question shows its answer among the choices anyway; "equals 2/4" is its question.
  if (item.type !== "choice" && revealsAnswer(item, item.prompt))
    return refuse("its prompt gives the answer away");
  if (item.hints.slice(0, -1).some((hint) => revealsAnswer(item, hint)))
    return refuse("an early hint gives the answer away");
  checks.push("leak-guard");
  return { isAccepted: true, item, checks };
}

/** The prompt a solver sees: the question, with its choices when it has them. */
export function solverPrompt(question: GeneratedQuestion, type: GeneratedType): string {
  if (type !== "choice") return question.prompt;
  const choices = question.choices.map((c, k) => `${choiceLabel(k)}) ${c}`);
  return `${question.prompt}\n\nChoices:\n${choices.join("\n")}`;
}

/**
 * Digits, + - * / and parentheses, at most 120 characters, and powers only with a one-digit
 * exponent: model-written arithmetic is evaluated exactly on the tutor's thread, where 7^7^9
 * would stall every learner.
 */
function isPlainArithmetic(expression: string): boolean {
  if (expression.length > 120 || !/^[\d\s+\-*/().^]+$/.test(expression)) return false;
  const powers = expression.match(/\^/g)?.length ?? 0;
  return powers === 0 || (powers === 1 && /\^\s*\d(?!\s*[\d.])/.test(expression));
}
