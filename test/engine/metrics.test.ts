import { describe, expect, it } from "vitest";
import { predictionMetrics, rocAuc } from "../../src/engine/index.ts";

describe("prediction metrics", () => {
  it("computes AUC on a small example by hand", () => {
    // Positives at 0.9, 0.4; negatives at 0.8, 0.3, 0.1. Pairs ranked right: (0.9 > all 3) + (0.4 > 0.3, 0.1) = 5 of 6.
    expect(rocAuc([0.9, 0.8, 0.4, 0.3, 0.1], [1, 0, 1, 0, 0])).toBeCloseTo(5 / 6, 12);
  });

  it("counts ties as half", () => {
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBe(0.5);
    // One positive tied with one negative at 0.7, another positive above: (1 + 0.5) / 2.
    expect(rocAuc([0.9, 0.7, 0.7], [1, 1, 0])).toBe(0.75);
  });

  it("reports RMSE, accuracy and log loss", () => {
    const metrics = predictionMetrics([0.8, 0.4, 0.6, 0.1], [1, 0, 0, 0]);
    expect(metrics.rmse).toBeCloseTo(Math.sqrt((0.04 + 0.16 + 0.36 + 0.01) / 4), 12);
    expect(metrics.accuracy).toBe(0.75);
    expect(metrics.logLoss).toBeCloseTo(
      -(Math.log(0.8) + Math.log(0.6) + Math.log(0.4) + Math.log(0.9)) / 4,
      12,
    );
    expect(metrics.count).toBe(4);
  });

  it("rejects inputs where the metrics are undefined", () => {
    expect(() => rocAuc([0.2, 0.3], [1, 1])).toThrow("at least one correct and one incorrect");
    expect(() => rocAuc([], [])).toThrow("No predictions");
    expect(() => rocAuc([0.1], [1, 0])).toThrow("1 predictions for 2 outcomes");
  });
});
