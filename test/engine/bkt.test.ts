import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertBktParams,
  type BktParams,
  bktPosterior,
  bktPredict,
  bktPredictMultiSkill,
  bktUpdate,
  DEFAULT_BKT_BOUNDS,
} from "../../src/engine/index.ts";

const PARAMS: BktParams = { prior: 0.4, learn: 0.2, forget: 0, guess: 0.25, slip: 0.1 };

describe("BKT", () => {
  it("predicts P(correct) from P(known)", () => {
    expect(bktPredict(0.4, PARAMS)).toBeCloseTo(0.4 * 0.9 + 0.6 * 0.25, 12); // 0.51
  });

  it("updates on a correct answer as computed by hand", () => {
    // Posterior: 0.4·0.9 / (0.4·0.9 + 0.6·0.25) = 0.36 / 0.51 = 0.705882…; then learn: p + (1 − p)·0.2.
    const posterior = 0.36 / 0.51;
    expect(bktPosterior(0.4, true, PARAMS)).toBeCloseTo(posterior, 12);
    expect(bktUpdate(0.4, true, PARAMS)).toBeCloseTo(posterior + (1 - posterior) * 0.2, 12); // 0.764706
  });

  it("updates on a wrong answer as computed by hand", () => {
    // Posterior: 0.4·0.1 / (0.4·0.1 + 0.6·0.75) = 0.04 / 0.49; then learn.
    const posterior = 0.04 / 0.49;
    expect(bktUpdate(0.4, false, PARAMS)).toBeCloseTo(posterior + (1 - posterior) * 0.2, 12); // 0.265306
  });

  it("forgets at the forgetting rate", () => {
    const forgetting = { ...PARAMS, forget: 0.05 };
    const posterior = 0.36 / 0.51;
    expect(bktUpdate(0.4, true, forgetting)).toBeCloseTo(
      posterior * 0.95 + (1 - posterior) * 0.2,
      12,
    );
  });

  it("predicts a multi-skill item as the mean of its skills", () => {
    const easy = { pKnown: 0.9, params: PARAMS };
    const hard = { pKnown: 0.1, params: PARAMS };
    expect(bktPredictMultiSkill([easy, hard])).toBeCloseTo(
      (bktPredict(0.9, PARAMS) + bktPredict(0.1, PARAMS)) / 2,
      12,
    );
    expect(() => bktPredictMultiSkill([])).toThrow("An item needs a skill");
  });

  it("keeps probabilities in [0, 1] and moves the right way for any non-degenerate parameters", () => {
    const probability = fc.double({ min: 0.001, max: 0.999, noNaN: true });
    fc.assert(
      fc.property(
        probability,
        probability,
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0.001, max: 0.49, noNaN: true }),
        fc.double({ min: 0.001, max: 0.49, noNaN: true }),
        fc.array(fc.boolean(), { maxLength: 60 }),
        (prior, learn, forget, guess, slip, answers) => {
          const params = { prior, learn, forget, guess, slip };
          let pKnown = prior;
          for (const isCorrect of answers) {
            const p = bktPredict(pKnown, params);
            expect(p).toBeGreaterThanOrEqual(0);
            expect(p).toBeLessThanOrEqual(1);
            // guess + slip < 1: a right answer raises the estimate, a wrong one lowers it.
            expect(bktPosterior(pKnown, true, params)).toBeGreaterThanOrEqual(pKnown - 1e-12);
            expect(bktPosterior(pKnown, false, params)).toBeLessThanOrEqual(pKnown + 1e-12);
            pKnown = bktUpdate(pKnown, isCorrect, params);
            expect(pKnown).toBeGreaterThanOrEqual(0);
            expect(pKnown).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });

  it("names the parameter that is out of bounds", () => {
    expect(() => assertBktParams({ ...PARAMS, slip: 0.7 })).toThrow(
      "BKT slip must be in [0.001, 0.5], got 0.7",
    );
    expect(() => assertBktParams({ ...PARAMS, guess: 0.5, slip: 0.49 })).toThrow(
      "guess + slip must be at most 0.95",
    );
    expect(() => assertBktParams(PARAMS, DEFAULT_BKT_BOUNDS)).not.toThrow();
  });
});
