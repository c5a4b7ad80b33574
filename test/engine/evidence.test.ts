import { describe, expect, it } from "vitest";
import { createLearnerEvidence, RECENCY_DECAY, recordEvidence } from "../../src/engine/index.ts";

describe("learner evidence", () => {
  it("keeps counts, recency-weighted counts, the last three outcomes, residuals and the run of right answers", () => {
    const evidence = createLearnerEvidence();
    const answer = (isCorrect: boolean, skillIds = ["add"]) =>
      recordEvidence(evidence, {
        itemId: `q${evidence.total.attempts}`,
        skillIds,
        isCorrect,
        itemMeanCorrect: 0.6,
      });
    answer(true);
    answer(false);
    answer(true, ["subtract"]);
    answer(true);
    answer(true);
    const add = evidence.skills.add;
    expect(add).toMatchObject({ attempts: 4, correct: 3, lastSeenAt: 4, streak: 2 });
    expect(add?.recentCorrect).toBeCloseTo(1 + RECENCY_DECAY + RECENCY_DECAY ** 3, 12);
    expect(add?.recentIncorrect).toBeCloseTo(RECENCY_DECAY ** 2, 12);
    expect(add?.pattern).toBe(0b1011); // marker, then wrong, right, right (oldest dropped)
    expect(add?.residual).toBeCloseTo(3 * 0.4 - 0.6, 12);
    expect(evidence.total).toMatchObject({ attempts: 5, correct: 4, pattern: 0b1111, streak: 3 });
    expect(evidence.skills.subtract).toMatchObject({ attempts: 1, pattern: 0b11, lastSeenAt: 2 });
  });

  it("refuses an item without skills", () => {
    expect(() =>
      recordEvidence(createLearnerEvidence(), {
        itemId: "x",
        skillIds: [],
        isCorrect: true,
        itemMeanCorrect: 0.5,
      }),
    ).toThrow("Item x has no skill");
  });
});
