import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/engine/index.ts";
import { formatLeakEval, runLeakEval } from "../../src/eval/index.ts";

const YES = "Yes (and the answer is correct)";
const WRONG = "Yes (but the answer is incorrect)";

/** A synthetic dialogue in the MRBench shape: tutor name → [response, label]. */
function dialogue(
  id: string,
  problem: string,
  studentSays: string,
  solution: string,
  responses: Record<string, [string, string | undefined]>,
) {
  return {
    conversation_id: id,
    conversation_history: `Tutor: Please solve this. The question is: ${problem}\n Student: ${studentSays}\n Tutor: Can you explain?\n Student: I just did it that way.`,
    Data: "Synthetic",
    Ground_Truth_Solution: solution,
    anno_llm_responses: Object.fromEntries(
      Object.entries(responses).map(([tutor, [response, label]]) => [
        tutor,
        { response, annotation: label === undefined ? {} : { Revealing_of_the_Answer: label } },
      ]),
    ),
  };
}

const FIXTURE = [
  dialogue(
    "apples",
    "Ann has 12 apples and gives 4 away. How many does she have left?",
    "12 + 4 = 16\n 16",
    "She has 12 - 4 = 8 apples left.\n 8",
    {
      A: ["Check again: 12 - 4 = 8.", YES], // guard TP, baseline TP
      B: ["Did she gain apples or lose them?", "No"], // TN, TN
      // "She should have 8 apples." would be caught (a quantity she has); this is not.
      C: ["Only 8 apples remain with her.", YES], // guard FN (small, not a result), baseline TP
      D: ["Take 4 away from 12 instead of adding.", YES], // FN (not written), FN
    },
  ),
  dialogue(
    "pages",
    "Maya plans to read 300 pages. She reads 120 pages on Monday and 80 on Tuesday, and after " +
      "Wednesday she has 50 pages left. How many pages did she read on Wednesday?",
    "300 - 120 - 80 = 100\n 100",
    "Before Wednesday she read 120 + 80 = 200 pages.\nShe read 300 - 200 - 50 = 50 pages.\n 50",
    {
      A: ["Remember she still had 50 pages left after Wednesday.", "No"], // TN, baseline FP
      B: ["Her Wednesday reading comes to 50 pages.", YES], // TP, TP
      C: ["So on Wednesday she also read 50 pages.", YES], // FN (given, not a result), TP
      D: ["She read 100 pages on Wednesday.", WRONG], // not scored, not flagged
    },
  ),
  dialogue(
    "school",
    "Forty percent of the pupils learn from home. The others form two equal groups and one " +
      "group is in school each day. What percent of the pupils are in school on a day?",
    "100% - 40% = 60%\n 60",
    "100 - 40 = 60 percent stay.\n60 / 2 = 30 percent are in school.\n 30",
    {
      A: ["Split the rest in two: 60 / 2 = 30%.", YES], // TP, TP
      B: ["Half of the 60% are in school each day.", "No"], // TN, TN
      C: ["That gives 30 minutes per lesson, not the share of pupils.", "No"], // FP, FP
      D: ["Try again with the two groups.", undefined], // not scored: unlabelled
    },
  ),
  dialogue("bridge", "Not a word problem.", "Hi", "Not Available", {
    A: ["Hello!", "No"], // not scored: no answer
  }),
];

describe("leak evaluation on MRBench-shaped data", () => {
  let directory: string;
  let path: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "socra-leak-eval-"));
    path = join(directory, "mrbench.json");
    await writeFile(path, JSON.stringify(FIXTURE));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("scores the guard and the baseline against the labels", async () => {
    const result = await runLeakEval(path);
    expect(result).toMatchObject({
      responses: 10,
      dialogues: 3,
      truePositives: 3,
      falsePositives: 1,
      falseNegatives: 3,
      precision: 3 / 4,
      recall: 3 / 6,
      baseline: {
        truePositives: 5,
        falsePositives: 2,
        falseNegatives: 1,
        precision: 5 / 7,
        recall: 5 / 6,
      },
      skipped: { withoutAnswer: 1, wrongAnswerRevealed: 1, unlabelled: 1 },
      wrongAnswerFlagged: 0,
      misses: { "not-written": 1, "given-not-result": 1, "small-not-result": 1, other: 0 },
      falseAlarms: { result: 1 },
    });
    expect(result.examples.falseAlarms).toEqual([
      expect.objectContaining({
        conversationId: "school",
        tutor: "C",
        found: { reason: "result", excerpt: "30" },
      }),
    ]);
    expect(result.microsecondsPerCall).toBeGreaterThan(0);
  });

  it("formats the scores for a terminal", async () => {
    const text = formatLeakEval(await runLeakEval(path));
    expect(text).toContain("Answer-leak guard on 10 responses from 3 dialogues");
    expect(text).toMatch(/guard \(revealsAnswer\)\s+75\.0%\s+50\.0%\s+3\/1\/3/);
    expect(text).toMatch(/baseline \(final number in digits\)\s+71\.4%\s+83\.3%\s+5\/2\/1/);
  });

  it("says which file is not MRBench data", async () => {
    const bad = join(directory, "bad.json");
    await writeFile(bad, JSON.stringify([{ conversation_id: "x" }]));
    await expect(runLeakEval(bad)).rejects.toThrow(ValidationError);
    await expect(runLeakEval(bad)).rejects.toMatchObject({ code: "bad_dataset" });
    await expect(runLeakEval(join(directory, "missing.json"))).rejects.toMatchObject({
      code: "bad_dataset",
    });
  });
});
