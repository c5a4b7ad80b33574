import { ValidationError } from "./errors.ts";

/** Prediction quality over a set of binary outcomes, as reported in the KT literature. */
export interface PredictionMetrics {
  readonly auc: number;
  readonly rmse: number;
  /** Share of outcomes on the right side of 0.5. */
  readonly accuracy: number;
  readonly logLoss: number;
  readonly count: number;
}

/**
 * Area under the ROC curve by the rank-sum statistic, with tied predictions sharing their
 * average rank (so a constant predictor scores exactly 0.5).
 */
export function rocAuc(predictions: ArrayLike<number>, outcomes: ArrayLike<number>): number {
  const n = assertSameLength(predictions, outcomes);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => (predictions[x] as number) - (predictions[y] as number));
  let positives = 0;
  let positiveRankSum = 0;
  let start = 0;
  while (start < n) {
    let end = start + 1;
    const value = predictions[order[start] as number] as number;
    while (end < n && predictions[order[end] as number] === value) end++;
    // Ranks are 1-based; the tie group [start, end) shares the average rank.
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (outcomes[order[k] as number] === 1) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) {
    throw new ValidationError(
      "auc_undefined",
      "AUC needs at least one correct and one incorrect outcome",
    );
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** AUC, RMSE, accuracy and log loss of probabilistic predictions of 0/1 outcomes. */
export function predictionMetrics(
  predictions: ArrayLike<number>,
  outcomes: ArrayLike<number>,
): PredictionMetrics {
  const n = assertSameLength(predictions, outcomes);
  let squared = 0;
  let hits = 0;
  let logLoss = 0;
  for (let i = 0; i < n; i++) {
    const p = predictions[i] as number;
    const y = outcomes[i] as number;
    squared += (p - y) ** 2;
    if ((p >= 0.5 ? 1 : 0) === y) hits++;
    const clipped = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
    logLoss -= y === 1 ? Math.log(clipped) : Math.log(1 - clipped);
  }
  return {
    auc: rocAuc(predictions, outcomes),
    rmse: Math.sqrt(squared / n),
    accuracy: hits / n,
    logLoss: logLoss / n,
    count: n,
  };
}

function assertSameLength(predictions: ArrayLike<number>, outcomes: ArrayLike<number>): number {
  if (predictions.length !== outcomes.length) {
    throw new ValidationError(
      "length_mismatch",
      `${predictions.length} predictions for ${outcomes.length} outcomes`,
    );
  }
  if (predictions.length === 0) {
    throw new ValidationError("empty_input", "No predictions to score");
  }
  return predictions.length;
}
