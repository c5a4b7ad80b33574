import {
  BEST_LR_FEATURES,
  bktReplay,
  DEFAULT_LOGISTIC_FEATURES,
  fitBkt,
  fitLogistic,
  type LogisticFeatures,
  logisticReplay,
  predictionMetrics,
  type ReplayModel,
  type ResponseLog,
} from "../engine/index.ts";
import type { KtDataset, KtSplit } from "./datasets.ts";

/** Models the bench knows: standard BKT, BKT with forgetting, Gervet's Best-LR, and Socra's LR. */
export const KT_MODELS = ["bkt", "bkt-forget", "best-lr", "lr"] as const;
export type KtModelName = (typeof KT_MODELS)[number];

/** Scores of one model on one split, or averaged over splits (folds). */
export interface KtScore {
  readonly model: string;
  readonly auc: number;
  readonly rmse: number;
  readonly accuracy: number;
  readonly fitSeconds: number;
  readonly predictSeconds: number;
  readonly rows: number;
  /** Per-split scores when there are several splits (k-fold). */
  readonly folds?: readonly KtScore[];
}

/** Fits a model on the split's training learners. */
function fitModel(
  name: KtModelName | { features: LogisticFeatures },
  log: ResponseLog,
  split: KtSplit,
): ReplayModel {
  if (typeof name === "object")
    return logisticReplay(log, fitLogistic(log, split.train, { features: name.features }));
  switch (name) {
    case "bkt":
      return bktReplay(log, fitBkt(log, split.train));
    case "bkt-forget":
      return bktReplay(log, fitBkt(log, split.train, { fitForget: true }));
    case "best-lr":
      return logisticReplay(log, fitLogistic(log, split.train, { features: BEST_LR_FEATURES }));
    case "lr":
      return logisticReplay(
        log,
        fitLogistic(log, split.train, { features: DEFAULT_LOGISTIC_FEATURES }),
      );
  }
}

/**
 * Fits on the training learners, then walks each test learner's responses in order, predicting
 * every response before learning from it; scores are pooled over all test responses.
 */
function scoreSplit(
  label: string,
  model: KtModelName | { features: LogisticFeatures },
  log: ResponseLog,
  split: KtSplit,
): KtScore {
  const fitStart = performance.now();
  const fitted = fitModel(model, log, split);
  const fitSeconds = (performance.now() - fitStart) / 1000;
  const predictStart = performance.now();
  let rows = 0;
  for (const l of split.test)
    rows += (log.learnerOffsets[l + 1] as number) - (log.learnerOffsets[l] as number);
  const predictions = new Float64Array(rows);
  const outcomes = new Uint8Array(rows);
  let k = 0;
  for (const l of split.test) {
    const learner = fitted.startLearner();
    for (let r = log.learnerOffsets[l] as number; r < (log.learnerOffsets[l + 1] as number); r++) {
      predictions[k] = learner.predict(r);
      outcomes[k] = log.correct[r] as number;
      k++;
      learner.update(r);
    }
  }
  const predictSeconds = (performance.now() - predictStart) / 1000;
  const metrics = predictionMetrics(predictions, outcomes);
  return {
    model: label,
    auc: metrics.auc,
    rmse: metrics.rmse,
    accuracy: metrics.accuracy,
    fitSeconds,
    predictSeconds,
    rows,
  };
}

function scoreModel(
  label: string,
  model: KtModelName | { features: LogisticFeatures },
  dataset: KtDataset,
): KtScore {
  const folds = dataset.splits.map((split) => scoreSplit(label, model, dataset.log, split));
  if (folds.length === 1) return folds[0] as KtScore;
  const mean = (pick: (score: KtScore) => number): number =>
    folds.reduce((sum, s) => sum + pick(s), 0) / folds.length;
  return {
    model: label,
    auc: mean((s) => s.auc),
    rmse: mean((s) => s.rmse),
    accuracy: mean((s) => s.accuracy),
    fitSeconds: mean((s) => s.fitSeconds),
    predictSeconds: mean((s) => s.predictSeconds),
    rows: folds.reduce((sum, s) => sum + s.rows, 0),
    folds,
  };
}

/** Scores each named model on a dataset (means over folds for a k-fold dataset). */
export function runKtBench(dataset: KtDataset, models: readonly KtModelName[]): KtScore[] {
  return models.map((model) => scoreModel(model, model, dataset));
}

/** Best-LR, then Socra's feature families added one at a time: what each change is worth. */
export function runLogisticAblation(dataset: KtDataset): KtScore[] {
  const steps: [string, keyof LogisticFeatures][] = [
    ["+ recency", "recency"],
    ["+ patterns", "patterns"],
    ["+ spacing", "spacing"],
    ["+ smoothed accuracy", "smoothedAccuracy"],
    ["+ residuals (= lr)", "residuals"],
  ];
  const scores = [scoreModel("best-lr", { features: BEST_LR_FEATURES }, dataset)];
  let features: LogisticFeatures = BEST_LR_FEATURES;
  for (const [label, family] of steps) {
    features = { ...features, [family]: true };
    scores.push(scoreModel(label, { features }, dataset));
  }
  return scores;
}
