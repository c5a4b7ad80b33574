import { ValidationError } from "./errors.ts";

/**
 * Running statistics of a learner's first attempts on one skill, or on all skills together.
 * They are the sufficient statistics of the logistic predictor: updating them costs O(1) per
 * response, whatever the length of the history.
 */
export interface ResponseStats {
  attempts: number;
  correct: number;
  /** Recency-weighted correct count: each older response weighs RECENCY_DECAY times less. */
  recentCorrect: number;
  /** Recency-weighted incorrect count, same decay. */
  recentIncorrect: number;
  /**
   * The last PATTERN_LENGTH outcomes as bits behind a leading marker bit: 1 = no history,
   * 0b10 = one wrong answer, 0b11 = one right answer, 0b1101 = right, wrong, right (newest last).
   */
  pattern: number;
  /** Sum of (outcome − the item's population mean correctness): ability beyond item difficulty. */
  residual: number;
  /** The same residual, recency-weighted by RESIDUAL_DECAY. */
  recentResidual: number;
  /** The learner's total attempt count when this skill was last practised (−1: never). */
  lastSeenAt: number;
  /** Right answers in a row up to now (mastery evidence, see meetsMastery; not a feature). */
  streak: number;
}

export const RECENCY_DECAY = 0.7;
export const RESIDUAL_DECAY = 0.8;
export const PATTERN_LENGTH = 3;
/** Number of distinct `pattern` values: 1 + 2 + 4 + 8 for three outcomes. */
export const PATTERN_COUNT = 2 ** (PATTERN_LENGTH + 1) - 1;

/** Attempts and correct answers on one item. */
export interface ItemStats {
  attempts: number;
  correct: number;
}

/** All the evidence the predictors read for one learner. */
export interface LearnerEvidence {
  readonly skills: Record<string, ResponseStats>;
  readonly items: Record<string, ItemStats>;
  readonly total: ResponseStats;
}

/** One first attempt as the evidence records it. */
export interface Observation {
  readonly itemId: string;
  readonly skillIds: readonly string[];
  readonly isCorrect: boolean;
  /** The population's mean correctness on this item (0.5 when unknown). */
  readonly itemMeanCorrect: number;
}

export function createResponseStats(): ResponseStats {
  return {
    attempts: 0,
    correct: 0,
    recentCorrect: 0,
    recentIncorrect: 0,
    pattern: 1,
    residual: 0,
    recentResidual: 0,
    lastSeenAt: -1,
    streak: 0,
  };
}

export function createLearnerEvidence(): LearnerEvidence {
  return { skills: {}, items: {}, total: createResponseStats() };
}

const PATTERN_MARKER = 1 << PATTERN_LENGTH;

function recordOutcome(
  stats: ResponseStats,
  isCorrect: boolean,
  residual: number,
  at: number,
): void {
  const outcome = isCorrect ? 1 : 0;
  stats.attempts += 1;
  stats.correct += outcome;
  stats.recentCorrect = stats.recentCorrect * RECENCY_DECAY + outcome;
  stats.recentIncorrect = stats.recentIncorrect * RECENCY_DECAY + (1 - outcome);
  const shifted = (stats.pattern << 1) | outcome;
  stats.pattern =
    shifted >= PATTERN_MARKER << 1 ? (shifted & (PATTERN_MARKER - 1)) | PATTERN_MARKER : shifted;
  stats.residual += residual;
  stats.recentResidual = stats.recentResidual * RESIDUAL_DECAY + residual;
  stats.lastSeenAt = at;
  stats.streak = isCorrect ? stats.streak + 1 : 0;
}

/** Folds one first attempt into a learner's evidence, in place, in O(number of skills). */
export function recordEvidence(evidence: LearnerEvidence, observation: Observation): void {
  const { itemId, skillIds, isCorrect, itemMeanCorrect } = observation;
  if (skillIds.length === 0) {
    throw new ValidationError("missing_skill", `Item ${itemId} has no skill`);
  }
  const residual = (isCorrect ? 1 : 0) - itemMeanCorrect;
  const at = evidence.total.attempts;
  for (const skillId of skillIds) {
    let stats = evidence.skills[skillId];
    if (stats === undefined) {
      stats = createResponseStats();
      evidence.skills[skillId] = stats;
    }
    recordOutcome(stats, isCorrect, residual, at);
  }
  let item = evidence.items[itemId];
  if (item === undefined) {
    item = { attempts: 0, correct: 0 };
    evidence.items[itemId] = item;
  }
  item.attempts += 1;
  if (isCorrect) item.correct += 1;
  recordOutcome(evidence.total, isCorrect, residual, at);
}
