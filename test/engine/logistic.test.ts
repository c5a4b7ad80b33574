import { describe, expect, it } from "vitest";
import {
  BEST_LR_FEATURES,
  createFeatureLayout,
  createLearnerEvidence,
  createResponseLogBuilder,
  createRng,
  DEFAULT_LOGISTIC_FEATURES,
  fitLogistic,
  type LearnerEvidence,
  type LogisticModel,
  logisticItemMean,
  logisticPredict,
  logisticPredictTypical,
  predictionMetrics,
  recordEvidence,
  selectLearners,
} from "../../src/engine/index.ts";

/** Learners with an ability, skills that are learnt with practice, items of varying difficulty. */
function syntheticLog(learners: number, seed: number) {
  const rng = createRng(seed);
  const builder = createResponseLogBuilder();
  const itemDifficulty = Array.from({ length: 40 }, () => rng.normal());
  for (let l = 0; l < learners; l++) {
    const ability = rng.normal();
    const practice = [0, 0, 0, 0];
    for (let t = 0; t < 40; t++) {
      const skill = Math.floor(t / 10);
      const item = skill * 10 + rng.int(10);
      const z =
        ability - (itemDifficulty[item] as number) + 0.3 * (practice[skill] as number) - 0.5;
      builder.add({
        learnerId: `l${l}`,
        itemId: `i${item}`,
        skillIds: [`s${skill}`],
        isCorrect: rng.chance(1 / (1 + Math.exp(-z))),
      });
      practice[skill] = (practice[skill] as number) + 1;
    }
  }
  return builder.build();
}

function replay(model: LogisticModel, log: ReturnType<typeof syntheticLog>) {
  const predictions: number[] = [];
  const outcomes: number[] = [];
  for (let l = 0; l < log.learnerIds.length; l++) {
    const evidence = createLearnerEvidence();
    for (let r = log.learnerOffsets[l] as number; r < (log.learnerOffsets[l + 1] as number); r++) {
      const itemId = log.itemIds[log.item[r] as number] as string;
      const skillIds = [
        log.skillIds[log.skills[log.skillOffsets[r] as number] as number] as string,
      ];
      predictions.push(logisticPredict(model, evidence, itemId, skillIds));
      outcomes.push(log.correct[r] as number);
      recordEvidence(evidence, {
        itemId,
        skillIds,
        isCorrect: log.correct[r] === 1,
        itemMeanCorrect: logisticItemMean(model, itemId),
      });
    }
  }
  return predictionMetrics(predictions, outcomes);
}

describe("logistic predictor", () => {
  const log = syntheticLog(400, 1);
  const train = selectLearners(
    log,
    Array.from({ length: 300 }, (_, l) => l),
  );
  const test = selectLearners(
    log,
    Array.from({ length: 100 }, (_, l) => 300 + l),
  );
  const model = fitLogistic(train);

  it("predicts held-out learners far better than chance, and better than Best-LR's features", () => {
    const socra = replay(model, test);
    const bestLr = replay(fitLogistic(train, undefined, { features: BEST_LR_FEATURES }), test);
    expect(socra.auc).toBeGreaterThan(0.7);
    expect(socra.auc).toBeGreaterThanOrEqual(bestLr.auc - 0.005);
  });

  it("is deterministic", () => {
    expect(fitLogistic(train).weights).toEqual(model.weights);
  });

  it("predicts higher success after right answers than after wrong ones", () => {
    const answer = (evidence: LearnerEvidence, isCorrect: boolean) =>
      recordEvidence(evidence, {
        itemId: "i3",
        skillIds: ["s0"],
        isCorrect,
        itemMeanCorrect: logisticItemMean(model, "i3"),
      });
    const strong = createLearnerEvidence();
    const weak = createLearnerEvidence();
    for (let k = 0; k < 5; k++) {
      answer(strong, true);
      answer(weak, false);
    }
    expect(logisticPredict(model, strong, "i4", ["s0"])).toBeGreaterThan(
      logisticPredict(model, weak, "i4", ["s0"]) + 0.2,
    );
    expect(logisticPredictTypical(model, strong, "s0")).toBeGreaterThan(
      logisticPredictTypical(model, weak, "s0"),
    );
  });

  it("handles items and skills it has never seen, and never extrapolates past training", () => {
    const evidence = createLearnerEvidence();
    for (let k = 0; k < 500; k++) {
      recordEvidence(evidence, {
        itemId: `new${k}`,
        skillIds: ["s9"],
        isCorrect: false,
        itemMeanCorrect: 0.5,
      });
    }
    const p = logisticPredict(model, evidence, "never-seen", ["s9", "s0"]);
    expect(p).toBeGreaterThan(0.001);
    expect(p).toBeLessThan(1);
    expect(logisticItemMean(model, "never-seen")).toBeCloseTo(model.meanCorrect, 12);
  });

  it("lays features out per family, so ablations change the model's size", () => {
    const full = createFeatureLayout(100, 10, DEFAULT_LOGISTIC_FEATURES);
    const best = createFeatureLayout(100, 10, BEST_LR_FEATURES);
    expect(best.size).toBe(1 + 100 + 10 + 20 + 2 + 2);
    expect(best.recencyShared).toBe(-1);
    expect(full.size).toBeGreaterThan(best.size);
  });

  it("refuses an empty log", () => {
    expect(() => fitLogistic(train, [])).toThrow("No responses");
  });
});
