import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMathDial, runTutorEval } from "../../src/eval/index.ts";
import { createOpenAiLlm } from "../../src/llm/index.ts";
import { type FakeOpenAi, startFakeOpenAi } from "../llm/fake-openai.ts";

/** Two MathDial-shaped conversations, written for this test. */
const DIALOGUES = [
  {
    question: "Sam has 3 bags of 4 apples. How many apples does he have?",
    ground_truth: "3 bags of 4 apples is 3 * 4 = 12 apples.\n 12",
    student_incorrect_solution: "3 + 4 = 7 apples.\n 7",
    conversation:
      "Teacher: (probing)How did you get 7?|EOM|Student: I added 3 and 4.|EOM|Teacher: (focus)What does 3 bags of 4 mean?|EOM|Student: Oh, 3 groups of 4.",
  },
  {
    question: "A book costs $5. How much do 2 books cost?",
    ground_truth: "2 * 5 = 10\n 10",
    student_incorrect_solution: "5 + 2 = 7\n 7",
    conversation: "Teacher: (probing)Why add?|EOM|Student: Because there are two numbers.",
  },
  { question: "No numeric answer here.", ground_truth: "It depends.\n many", conversation: "" },
];

describe("socra eval tutor", () => {
  let fake: FakeOpenAi;
  beforeAll(async () => {
    fake = await startFakeOpenAi();
  });
  afterAll(async () => {
    await fake.close();
  });

  it("reads conversations with a numeric answer and the student's turns", () => {
    const parsed = parseMathDial(DIALOGUES.map((d) => JSON.stringify(d)).join("\n"));
    expect(parsed).toHaveLength(2);
    expect(parsed[0]).toMatchObject({
      answer: "12",
      studentTurns: ["3 + 4 = 7 apples.\n 7", "I added 3 and 4.", "Oh, 3 groups of 4."],
    });
  });

  it("counts the model's hints that give the answer away, judged by the guard", async () => {
    const dir = mkdtempSync(join(tmpdir(), "socra-mathdial-"));
    const dataPath = join(dir, "test.jsonl");
    writeFileSync(dataPath, DIALOGUES.map((d) => JSON.stringify(d)).join("\n"));
    let round = 0;
    fake.setResponder(() => ({
      kind: "text",
      text: ++round === 1 ? "So Sam has 12 apples in all." : "What does each bag hold?",
    }));
    const result = await runTutorEval({
      llm: createOpenAiLlm({
        config: {
          baseUrl: fake.url,
          model: "fake",
          timeoutMs: 5000,
          maxOutputTokens: 300,
          dailyTokensPerLearner: 0,
          dailyTokensPerTenant: 0,
          moderation: false,
          structuredOutput: "json_schema",
        },
        clock: { now: () => Date.now() },
      }),
      clock: { now: () => Date.now() },
      dataPath,
      conversations: 10,
      turnsPerConversation: 2,
      timeoutMs: 5000,
    });
    expect(result).toMatchObject({
      conversations: 2,
      hints: 4,
      revealing: 1,
      revealRate: 0.25,
      failures: 0,
    });
    expect(result.examples).toEqual([{ answer: "12", hint: "So Sam has 12 apples in all." }]);
  });
});
