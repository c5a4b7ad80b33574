import { readFile } from "node:fs/promises";
import { type CheckableItem, readNumber, revealsAnswer } from "../content/index.ts";
import { SocraError } from "../engine/index.ts";
import type { Clock, TutorLlm } from "../tutor/index.ts";

/** One MathDial conversation, as far as the hint evaluation reads it. */
interface Dialogue {
  readonly question: string;
  readonly solution: string;
  readonly answer: string;
  /** What the student said, in order (their incorrect solution first). */
  readonly studentTurns: readonly string[];
}

export interface TutorEvalResult {
  readonly conversations: number;
  /** Hints the model wrote (one per student turn played). */
  readonly hints: number;
  /** Hints the answer-leak guard judged to give the answer away. */
  readonly revealing: number;
  readonly revealRate: number;
  /** Calls that failed (timeout, provider error, malformed output). */
  readonly failures: number;
  readonly tokens: number;
  readonly examples: readonly { readonly answer: string; readonly hint: string }[];
}

/** Reads MathDial JSON Lines: the problem, its final answer and the student's turns. */
export function parseMathDial(text: string): Dialogue[] {
  const dialogues: Dialogue[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const row = JSON.parse(line) as {
      question?: string;
      ground_truth?: string;
      student_incorrect_solution?: string;
      conversation?: string;
    };
    const answer = row.ground_truth?.trim().split("\n").at(-1)?.trim() ?? "";
    if (!row.question || !row.ground_truth || !readNumber(answer)) continue;
    const studentTurns = (row.conversation ?? "")
      .split("|EOM|")
      .map((turn) => turn.trim())
      .filter((turn) => turn.startsWith("Student:"))
      .map((turn) => turn.slice("Student:".length).trim());
    dialogues.push({
      question: row.question,
      solution: row.ground_truth,
      answer,
      studentTurns: [row.student_incorrect_solution ?? "", ...studentTurns].filter((t) => t),
    });
  }
  return dialogues;
}

/**
 * Plays MathDial student turns against the hint prompt: after each student turn the model writes
 * a Socratic hint from the problem, the worked solution and the turns so far, and the
 * answer-leak guard judges whether it gives the final answer away. The raw model text is judged,
 * before the tutor's own guard would drop it, so the rate measures the prompt.
 */
export async function runTutorEval(options: {
  readonly llm: TutorLlm;
  readonly clock: Clock;
  readonly dataPath: string;
  readonly conversations: number;
  readonly turnsPerConversation: number;
  readonly timeoutMs: number;
}): Promise<TutorEvalResult> {
  const dialogues = parseMathDial(await readFile(options.dataPath, "utf8")).slice(
    0,
    options.conversations,
  );
  if (dialogues.length === 0)
    throw new SocraError(
      "no_data",
      `No MathDial conversations with a numeric answer in ${options.dataPath}`,
    );
  let hints = 0;
  let revealing = 0;
  let failures = 0;
  let tokens = 0;
  const examples: { answer: string; hint: string }[] = [];
  for (const dialogue of dialogues) {
    const item: CheckableItem = {
      id: "mathdial",
      type: "numeric",
      prompt: dialogue.question,
      answer: dialogue.answer,
      tolerance: 0,
      simplest: false,
      hints: [],
      solution: dialogue.solution,
      feedback: [],
    };
    const given: string[] = [];
    for (const turn of dialogue.studentTurns.slice(0, options.turnsPerConversation)) {
      try {
        const output = await options.llm.hint(
          {
            skill: {
              courseTitle: "Math word problems",
              name: "Multi-step word problems",
              description: "Solving grade-school word problems step by step.",
              explanation: "Read the problem, find what is asked, and work step by step.",
              misconceptions: [],
            },
            item: {
              prompt: dialogue.question,
              answer: dialogue.answer,
              solution: dialogue.solution,
            },
            hintsGiven: given,
            attempts: [turn.slice(0, 1500)],
            language: "en",
          },
          {
            signal: AbortSignal.timeout(options.timeoutMs),
            deadlineAt: options.clock.now() + options.timeoutMs,
          },
        );
        hints++;
        tokens += output.tokens;
        given.push(output.value);
        if (revealsAnswer(item, output.value)) {
          revealing++;
          if (examples.length < 5) examples.push({ answer: dialogue.answer, hint: output.value });
        }
      } catch {
        failures++;
      }
    }
  }
  return {
    conversations: dialogues.length,
    hints,
    revealing,
    revealRate: hints === 0 ? 0 : revealing / hints,
    failures,
    tokens,
    examples,
  };
}
