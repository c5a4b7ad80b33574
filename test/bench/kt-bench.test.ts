import { describe, expect, it } from "vitest";
import {
  parseAktLong,
  parseGervetSplit,
  runKtBench,
  runLogisticAblation,
} from "../../src/bench/index.ts";
import { aktText, gervetText } from "./fixtures.ts";

describe("knowledge-tracing bench", () => {
  const dataset = parseGervetSplit(
    { name: "train", text: gervetText(200, 1) },
    { name: "test", text: gervetText(60, 2, 10_000) },
  );

  it("fits every model on train and scores each test response once, before learning from it", () => {
    const scores = runKtBench(dataset, ["bkt", "bkt-forget", "best-lr", "lr"]);
    expect(scores.map((s) => s.model)).toEqual(["bkt", "bkt-forget", "best-lr", "lr"]);
    for (const score of scores) {
      expect(score.rows).toBe(60 * 16);
      expect(score.auc).toBeGreaterThan(0.6);
      expect(score.auc).toBeLessThan(1);
      expect(score.rmse).toBeGreaterThan(0);
      expect(score.fitSeconds).toBeGreaterThanOrEqual(0);
    }
  });

  it("averages over folds for the AKT format and keeps the per-fold scores", () => {
    const [score] = runKtBench(parseAktLong({ name: "akt", text: aktText(100, 4) }), ["bkt"]);
    expect(score?.folds).toHaveLength(5);
    expect(score?.rows).toBe(100 * 16);
    const meanAuc = (score?.folds ?? []).reduce((sum, f) => sum + f.auc, 0) / 5;
    expect(score?.auc).toBeCloseTo(meanAuc, 12);
  });

  it("ablates the logistic features one family at a time, ending at the full model", () => {
    const steps = runLogisticAblation(dataset);
    expect(steps.map((s) => s.model)).toEqual([
      "best-lr",
      "+ recency",
      "+ patterns",
      "+ spacing",
      "+ smoothed accuracy",
      "+ residuals (= lr)",
    ]);
    const [full] = runKtBench(dataset, ["lr"]);
    expect(steps.at(-1)?.auc).toBeCloseTo(full?.auc as number, 12);
  });
});
