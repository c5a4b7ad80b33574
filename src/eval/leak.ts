import { readFile } from "node:fs/promises";
import { z } from "zod";
import {
  type AnswerLeakReason,
  type CheckableItem,
  findAnswerLeak,
  readNumber,
} from "../content/index.ts";
import { ValidationError } from "../engine/index.ts";

/** How a detector's verdicts compare with the human labels. */
export interface LeakScore {
  readonly precision: number;
  readonly recall: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
}

/**
 * Why the guard missed a response the annotators say reveals the answer: the number was given in
 * the problem or by the student and is not stated as a result; the final number is not written
 * in digits (implied, "24/2 fish"); it is a small integer not stated as a result; or else.
 */
export type LeakMissCause = "not-written" | "given-not-result" | "small-not-result" | "other";

/** One response, for reading misses and false alarms (dataset text: printed, never stored). */
export interface LeakExample {
  readonly conversationId: string;
  readonly tutor: string;
  readonly answer: string;
  /** What the guard found, for false alarms. */
  readonly found?: { readonly reason: AnswerLeakReason; readonly excerpt: string };
  readonly cause?: LeakMissCause;
  readonly response: string;
}

export interface LeakEvalResult extends LeakScore {
  /** Responses scored: labelled "No" or "Yes (and the answer is correct)", with a readable answer. */
  readonly responses: number;
  /** Dialogues with a readable final answer. */
  readonly dialogues: number;
  /** The naive filter: the response contains the final number's digits (thousands commas optional). */
  readonly baseline: LeakScore;
  /**
   * Responses not scored: in dialogues without a ground-truth solution or a readable final number;
   * labelled "Yes (but the answer is incorrect)" (they reveal a wrong answer, which a guard for the
   * item's answer must not flag); or with no or another label.
   */
  readonly skipped: {
    readonly withoutAnswer: number;
    readonly wrongAnswerRevealed: number;
    readonly unlabelled: number;
  };
  /** How many of the responses revealing a wrong answer the guard flags anyway. */
  readonly wrongAnswerFlagged: number;
  /** Mean time of one guard call over the scored responses, after warm-up passes. */
  readonly microsecondsPerCall: number;
  readonly misses: Readonly<Record<LeakMissCause, number>>;
  /** False alarms by the rule that fired. */
  readonly falseAlarms: Readonly<Partial<Record<AnswerLeakReason, number>>>;
  readonly examples: {
    readonly misses: readonly LeakExample[];
    readonly falseAlarms: readonly LeakExample[];
  };
}

const dialogueSchema = z.looseObject({
  conversation_id: z.union([z.string(), z.number()]).transform(String),
  conversation_history: z.string(),
  Ground_Truth_Solution: z.string().optional(),
  anno_llm_responses: z.record(
    z.string(),
    z.looseObject({
      response: z.string(),
      annotation: z.looseObject({ Revealing_of_the_Answer: z.string().optional() }).optional(),
    }),
  ),
});
const datasetSchema = z.array(dialogueSchema);
type Dialogue = z.output<typeof dialogueSchema>;

/** Examples kept per kind in the result. */
const EXAMPLES_KEPT = 10;
const EXAMPLE_LENGTH = 400;
const WARM_UP_PASSES = 3;
const TIMED_PASSES = 10;

/**
 * Scores the answer-leak guard on MRBench (Maurya et al., NAACL 2025): each tutor response of a
 * dialogue with a worked solution is checked against a numeric item built from the solution's
 * final number, and compared with the annotators' "Revealing_of_the_Answer" label. The guard's
 * context is the problem and the student's turns joined by newlines: what the tutor passes too
 * (the item's prompt, a choice item's choices, and the learner's own answers to the item), so the
 * score is that of the shipped configuration. MRBench's student turns carry their working as
 * well as their answers, so the context here can hold a few more numbers than the tutor's.
 */
export async function runLeakEval(dataPath: string): Promise<LeakEvalResult> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(dataPath, "utf8"));
  } catch (error) {
    throw new ValidationError(
      "bad_dataset",
      `Cannot read ${dataPath} as JSON: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  }
  const parsed = datasetSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError(
      "bad_dataset",
      `${dataPath} is not MRBench data: ${z.prettifyError(parsed.error)}`,
    );
  }
  return scoreDialogues(parsed.data);
}

interface ScoredResponse {
  readonly item: CheckableItem;
  readonly context: string;
  readonly text: string;
}

function scoreDialogues(dialogues: readonly Dialogue[]): LeakEvalResult {
  const guard = createTally();
  const baseline = createTally();
  const skipped = { withoutAnswer: 0, wrongAnswerRevealed: 0, unlabelled: 0 };
  const misses: Record<LeakMissCause, number> = {
    "not-written": 0,
    "given-not-result": 0,
    "small-not-result": 0,
    other: 0,
  };
  const falseAlarms: Partial<Record<AnswerLeakReason, number>> = {};
  const examples: { misses: LeakExample[]; falseAlarms: LeakExample[] } = {
    misses: [],
    falseAlarms: [],
  };
  const scored: ScoredResponse[] = [];
  let wrongAnswerFlagged = 0;
  let dialogueCount = 0;
  for (const dialogue of dialogues) {
    const responses = Object.entries(dialogue.anno_llm_responses);
    const setup = itemOf(dialogue);
    if (!setup) {
      skipped.withoutAnswer += responses.length;
      continue;
    }
    dialogueCount++;
    const { item, context, answer, writesAnswer } = setup;
    for (const [tutor, { response, annotation }] of responses) {
      const label = labelOf(annotation?.Revealing_of_the_Answer);
      const leak = findAnswerLeak(item, response, { context });
      if (label === "wrong-answer") {
        skipped.wrongAnswerRevealed++;
        if (leak) wrongAnswerFlagged++;
        continue;
      }
      if (label === undefined) {
        skipped.unlabelled++;
        continue;
      }
      const isLeak = label === "yes";
      scored.push({ item, context, text: response });
      const isWritten = writesAnswer.test(response);
      guard.add(leak !== undefined, isLeak);
      baseline.add(isWritten, isLeak);
      const example = {
        conversationId: dialogue.conversation_id,
        tutor,
        answer,
        response:
          response.length > EXAMPLE_LENGTH ? `${response.slice(0, EXAMPLE_LENGTH)}…` : response,
      };
      if (isLeak && !leak) {
        // Found when nothing counts as given: the number was in the problem or the student's words.
        const cause: LeakMissCause = findAnswerLeak(item, response, { context: "" })
          ? "given-not-result"
          : !isWritten
            ? "not-written"
            : isSmallInteger(answer)
              ? "small-not-result"
              : "other";
        misses[cause]++;
        if (examples.misses.length < EXAMPLES_KEPT) examples.misses.push({ ...example, cause });
      } else if (!isLeak && leak) {
        falseAlarms[leak.reason] = (falseAlarms[leak.reason] ?? 0) + 1;
        if (examples.falseAlarms.length < EXAMPLES_KEPT)
          examples.falseAlarms.push({
            ...example,
            found: { reason: leak.reason, excerpt: leak.excerpt },
          });
      }
    }
  }
  return {
    responses: scored.length,
    dialogues: dialogueCount,
    ...guard.score(),
    baseline: baseline.score(),
    skipped,
    wrongAnswerFlagged,
    microsecondsPerCall: timeGuard(scored),
    misses,
    falseAlarms,
    examples,
  };
}

/** "yes": reveals the correct answer; "wrong-answer": reveals an incorrect one; undefined: other. */
function labelOf(label: string | undefined): "yes" | "no" | "wrong-answer" | undefined {
  const text = label?.trim().toLowerCase() ?? "";
  if (text === "no") return "no";
  if (text === "yes" || text.startsWith("yes (and")) return "yes";
  if (text.startsWith("yes (but")) return "wrong-answer";
  return undefined;
}

interface DialogueItem {
  readonly item: CheckableItem;
  /**
   * The problem and the student's messages, joined by newlines: what the learner has already seen
   * or written, as the tutor passes the prompt and the learner's answers.
   */
  readonly context: string;
  /** The final answer as written in the solution. */
  readonly answer: string;
  /** The baseline: the answer's digits, thousands commas optional, not inside a longer number. */
  readonly writesAnswer: RegExp;
}

/**
 * The item a dialogue is about: the problem as prompt and the solution's last line (its final
 * number) as the answer; a percentage when the solution writes that number with "%" or "percent".
 */
function itemOf(dialogue: Dialogue): DialogueItem | undefined {
  const solution = dialogue.Ground_Truth_Solution?.trim() ?? "";
  const lines = solution.split("\n");
  const answer = (lines.at(-1) ?? "").trim();
  if (!readNumber(answer)) return undefined;
  const digits = answer.replaceAll(",", "");
  const writesAnswer = digitsPattern(digits);
  const isPercent = new RegExp(`${writesAnswer.source}\\s*(?:%|percent)`, "i").test(
    lines.slice(0, -1).join("\n"),
  );
  const turns = turnsOf(dialogue.conversation_history);
  const opening = turns[0]?.text ?? "";
  const problem = opening.match(/question is:?\s*([\s\S]*)$/i)?.[1] ?? opening;
  const context = [problem, ...turns.filter((t) => t.speaker === "student").map((t) => t.text)]
    .join("\n")
    .trim();
  const item: CheckableItem = {
    id: dialogue.conversation_id,
    skill: "mrbench",
    prompt: problem.trim(),
    hints: [],
    solution,
    feedback: [],
    type: "numeric",
    answer: digits,
    tolerance: 0,
    simplest: false,
    ...(isPercent ? { unit: "percent" as const } : {}),
  };
  return { item, context, answer, writesAnswer };
}

/** "2000" → /(?<![\d.,])2,?000(?!\d|[.,]\d)/: the digits as written, with or without commas. */
function digitsPattern(digits: string): RegExp {
  const [whole = "", fraction] = digits.replace(/^-/, "").split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ",?");
  const sign = digits.startsWith("-") ? "-" : "";
  const body = fraction === undefined ? grouped : `${grouped}\\.${fraction}`;
  return new RegExp(`(?<![\\d.,])${sign}${body}(?!\\d|[.,]\\d)`);
}

function isSmallInteger(answer: string): boolean {
  const read = readNumber(answer);
  return read !== undefined && read.value.d === 1n && read.value.n < 10n;
}

/** The turns of a "Tutor: …\nStudent: …" history. */
function turnsOf(history: string): { speaker: "tutor" | "student"; text: string }[] {
  const turns: { speaker: "tutor" | "student"; text: string }[] = [];
  const marks = [...history.matchAll(/(?:^|\n)\s*(Tutor|Student)\s*:/g)];
  marks.forEach((mark, k) => {
    const start = mark.index + mark[0].length;
    const end = marks[k + 1]?.index ?? history.length;
    turns.push({
      speaker: mark[1] === "Tutor" ? "tutor" : "student",
      text: history.slice(start, end).trim(),
    });
  });
  return turns;
}

function createTally() {
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  return {
    add(isFlagged: boolean, isLeak: boolean): void {
      if (isFlagged && isLeak) truePositives++;
      else if (isFlagged) falsePositives++;
      else if (isLeak) falseNegatives++;
    },
    score(): LeakScore {
      const flagged = truePositives + falsePositives;
      const leaks = truePositives + falseNegatives;
      return {
        precision: flagged === 0 ? 1 : truePositives / flagged,
        recall: leaks === 0 ? 1 : truePositives / leaks,
        truePositives,
        falsePositives,
        falseNegatives,
      };
    },
  };
}

/** Mean microseconds per guard call over the scored responses, after warm-up passes. */
function timeGuard(scored: readonly ScoredResponse[]): number {
  if (scored.length === 0) return 0;
  const pass = () => {
    for (const { item, context, text } of scored) findAnswerLeak(item, text, { context });
  };
  for (let k = 0; k < WARM_UP_PASSES; k++) pass();
  const start = performance.now();
  for (let k = 0; k < TIMED_PASSES; k++) pass();
  return ((performance.now() - start) * 1000) / (TIMED_PASSES * scored.length);
}

const percent = (value: number): string => `${(100 * value).toFixed(1)}%`;

/** The evaluation as text for a terminal: scores, the baseline, skipped responses, causes, examples. */
export function formatLeakEval(result: LeakEvalResult): string {
  const row = (name: string, score: LeakScore): string =>
    `${name.padEnd(34)} ${percent(score.precision).padStart(9)} ${percent(score.recall).padStart(7)}  ` +
    `${score.truePositives}/${score.falsePositives}/${score.falseNegatives}`;
  const lines = [
    `Answer-leak guard on ${result.responses} responses from ${result.dialogues} dialogues`,
    "",
    `${"".padEnd(34)} precision  recall  TP/FP/FN`,
    row("guard (revealsAnswer)", result),
    row("baseline (final number in digits)", result.baseline),
    "",
    `Guard: ${result.microsecondsPerCall.toFixed(1)} µs per call.`,
    `Not scored: ${result.skipped.withoutAnswer} without a readable answer, ` +
      `${result.skipped.wrongAnswerRevealed} revealing a wrong answer ` +
      `(${result.wrongAnswerFlagged} of them flagged), ${result.skipped.unlabelled} unlabelled.`,
    `Misses by cause: ${Object.entries(result.misses)
      .map(([cause, count]) => `${cause} ${count}`)
      .join(", ")}.`,
    `False alarms by rule: ${
      Object.entries(result.falseAlarms)
        .map(([reason, count]) => `${reason} ${count}`)
        .join(", ") || "none"
    }.`,
  ];
  const show = (title: string, examples: readonly LeakExample[]): void => {
    if (examples.length === 0) return;
    lines.push("", title);
    for (const example of examples) {
      const why = example.found
        ? `${example.found.reason}: "${example.found.excerpt}"`
        : (example.cause ?? "");
      lines.push(
        `- ${example.conversationId} ${example.tutor}, answer ${example.answer} (${why})`,
        `  ${example.response.replace(/\s+/g, " ")}`,
      );
    }
  };
  show("Misses:", result.examples.misses);
  show("False alarms:", result.examples.falseAlarms);
  return lines.join("\n");
}
