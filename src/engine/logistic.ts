import { ValidationError } from "./errors.ts";
import {
  createLearnerEvidence,
  type LearnerEvidence,
  PATTERN_COUNT,
  type ResponseStats,
  recordEvidence,
} from "./evidence.ts";
import { minimizeLbfgs } from "./optimize.ts";
import type { ResponseLog } from "./response-log.ts";

/**
 * Feature families of the logistic predictor. Item and skill difficulty are always on. The first
 * three families below make Best-LR (Gervet et al. 2020); the rest are Socra's additions, each
 * measured by `socra kt bench --ablation`.
 */
export interface LogisticFeatures {
  /** Per skill, with its own weights: log(1 + attempts), log(1 + correct). */
  readonly skillCounts: boolean;
  /** On the same item: log(1 + attempts), log(1 + correct). */
  readonly itemCounts: boolean;
  /** Over all skills: log(1 + attempts), log(1 + correct). */
  readonly totalCounts: boolean;
  /** Recency-weighted correct and incorrect counts per skill (shared and per-skill weights) and overall. */
  readonly recency: boolean;
  /** The last three outcomes on the skill and overall, one-hot. */
  readonly patterns: boolean;
  /** Responses on other skills since the skill was last practised (log), or "never practised". */
  readonly spacing: boolean;
  /** Log-odds of the smoothed success rate (c + 1) / (n + 2) on the skill and overall. */
  readonly smoothedAccuracy: boolean;
  /** Sums of (outcome − item mean correctness), plain and recency-weighted, per skill and overall. */
  readonly residuals: boolean;
}

export const BEST_LR_FEATURES = {
  skillCounts: true,
  itemCounts: true,
  totalCounts: true,
  recency: false,
  patterns: false,
  spacing: false,
  smoothedAccuracy: false,
  residuals: false,
} as const satisfies LogisticFeatures;

export const DEFAULT_LOGISTIC_FEATURES = {
  skillCounts: true,
  itemCounts: true,
  totalCounts: true,
  recency: true,
  patterns: true,
  spacing: true,
  smoothedAccuracy: true,
  residuals: true,
} as const satisfies LogisticFeatures;

export interface LogisticFitOptions {
  readonly features?: LogisticFeatures;
  /** L2 penalty on the summed log-loss (1 is scikit-learn's default C = 1). */
  readonly l2?: number;
  readonly maxIterations?: number;
  /** Stop when the objective improves by less than this fraction. */
  readonly tolerance?: number;
  /** Pseudo-responses pulling an item's mean correctness toward the overall mean. */
  readonly itemMeanSmoothing?: number;
}

export const DEFAULT_LOGISTIC_FIT_OPTIONS = {
  features: DEFAULT_LOGISTIC_FEATURES,
  l2: 1,
  maxIterations: 500,
  tolerance: 1e-7,
  itemMeanSmoothing: 5,
} as const satisfies Required<LogisticFitOptions>;

/** A fitted logistic predictor: weights over a fixed feature layout, and item statistics. */
export interface LogisticModel {
  readonly features: LogisticFeatures;
  readonly itemIndex: ReadonlyMap<string, number>;
  readonly skillIndex: ReadonlyMap<string, number>;
  readonly weights: Float64Array;
  /** Smoothed mean correctness of each item in the training data (residual reference). */
  readonly itemMeanCorrect: Float64Array;
  readonly meanCorrect: number;
  /** Largest value of each feature column in training; predictions clamp to it (no extrapolation). */
  readonly columnMax: Float64Array;
  /** Smallest value of each feature column in training. */
  readonly columnMin: Float64Array;
  /** Mean item weight of each skill's items in training: the difficulty of a typical item. */
  readonly typicalItemWeight: Float64Array;
  readonly layout: FeatureLayout;
}

/** Column offsets of each feature block (−1 when the block is off). */
export interface FeatureLayout {
  readonly item: number;
  readonly skill: number;
  readonly skillCounts: number;
  readonly itemCounts: number;
  readonly totalCounts: number;
  readonly recencyShared: number;
  readonly recencySkill: number;
  readonly recencyTotal: number;
  readonly patternSkill: number;
  readonly patternTotal: number;
  readonly spacing: number;
  readonly smoothed: number;
  readonly residualSkill: number;
  readonly residualTotal: number;
  readonly size: number;
}

/** Largest number of non-zero features of a response tagged with `skillCount` skills. */
function maxFeatures(skillCount: number): number {
  return 16 + 16 * skillCount;
}

/** Lays out the feature columns for a dictionary of items and skills. */
export function createFeatureLayout(
  itemCount: number,
  skillCount: number,
  features: LogisticFeatures,
): FeatureLayout {
  let next = 1; // column 0 is the intercept
  const block = (isOn: boolean, size: number): number => {
    if (!isOn) return -1;
    const start = next;
    next += size;
    return start;
  };
  return {
    item: block(true, itemCount),
    skill: block(true, skillCount),
    skillCounts: block(features.skillCounts, 2 * skillCount),
    itemCounts: block(features.itemCounts, 2),
    totalCounts: block(features.totalCounts, 2),
    recencyShared: block(features.recency, 2),
    recencySkill: block(features.recency, 2 * skillCount),
    recencyTotal: block(features.recency, 2),
    patternSkill: block(features.patterns, PATTERN_COUNT),
    patternTotal: block(features.patterns, PATTERN_COUNT),
    spacing: block(features.spacing, 2),
    smoothed: block(features.smoothedAccuracy, 2),
    residualSkill: block(features.residuals, 2),
    residualTotal: block(features.residuals, 2),
    // Evaluated last, after every block above has claimed its columns.
    size: next,
  };
}

/** Sparse feature vector of one response, written into caller-owned buffers. */
interface FeatureBuffer {
  readonly index: Int32Array;
  readonly value: Float64Array;
}

function smoothedLogOdds(stats: ResponseStats | undefined): number {
  const attempts = stats?.attempts ?? 0;
  const correct = stats?.correct ?? 0;
  return Math.log((correct + 1) / (attempts - correct + 1));
}

/**
 * Writes the features of a response to item `item` (dense index, −1 if unknown) tagged with
 * `skillIds` given the learner's evidence before it; returns the number of non-zeros.
 */
function encodeFeatures(
  model: Pick<LogisticModel, "layout" | "skillIndex">,
  evidence: LearnerEvidence,
  itemId: string,
  item: number,
  skillIds: readonly string[],
  out: FeatureBuffer,
): number {
  const { layout } = model;
  let n = 0;
  const push = (column: number, value: number): void => {
    if (value !== 0) {
      out.index[n] = column;
      out.value[n] = value;
      n++;
    }
  };
  push(0, 1);
  if (item >= 0) push(layout.item + item, 1);
  const total = evidence.total;
  for (const skillId of skillIds) {
    const skill = model.skillIndex.get(skillId) ?? -1;
    const stats = evidence.skills[skillId];
    if (skill >= 0) push(layout.skill + skill, 1);
    if (stats === undefined) {
      if (layout.patternSkill >= 0) push(layout.patternSkill, 1);
      if (layout.spacing >= 0) push(layout.spacing, 1);
      if (layout.smoothed >= 0) push(layout.smoothed, 0);
      continue;
    }
    if (layout.skillCounts >= 0 && skill >= 0) {
      push(layout.skillCounts + 2 * skill, Math.log1p(stats.attempts));
      push(layout.skillCounts + 2 * skill + 1, Math.log1p(stats.correct));
    }
    if (layout.recencyShared >= 0) {
      push(layout.recencyShared, stats.recentCorrect);
      push(layout.recencyShared + 1, stats.recentIncorrect);
      if (skill >= 0) {
        push(layout.recencySkill + 2 * skill, stats.recentCorrect);
        push(layout.recencySkill + 2 * skill + 1, stats.recentIncorrect);
      }
    }
    if (layout.patternSkill >= 0) push(layout.patternSkill + stats.pattern - 1, 1);
    if (layout.spacing >= 0)
      push(layout.spacing + 1, Math.log1p(total.attempts - stats.lastSeenAt - 1));
    if (layout.smoothed >= 0) push(layout.smoothed, smoothedLogOdds(stats));
    if (layout.residualSkill >= 0) {
      push(layout.residualSkill, stats.residual);
      push(layout.residualSkill + 1, stats.recentResidual);
    }
  }
  if (layout.itemCounts >= 0) {
    const stats = evidence.items[itemId];
    if (stats !== undefined) {
      push(layout.itemCounts, Math.log1p(stats.attempts));
      push(layout.itemCounts + 1, Math.log1p(stats.correct));
    }
  }
  if (layout.totalCounts >= 0) {
    push(layout.totalCounts, Math.log1p(total.attempts));
    push(layout.totalCounts + 1, Math.log1p(total.correct));
  }
  if (layout.recencyTotal >= 0) {
    push(layout.recencyTotal, total.recentCorrect);
    push(layout.recencyTotal + 1, total.recentIncorrect);
  }
  if (layout.patternTotal >= 0) push(layout.patternTotal + total.pattern - 1, 1);
  if (layout.smoothed >= 0) push(layout.smoothed + 1, smoothedLogOdds(total));
  if (layout.residualTotal >= 0) {
    push(layout.residualTotal, total.residual);
    push(layout.residualTotal + 1, total.recentResidual);
  }
  return n;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Reusable buffers so a prediction allocates nothing. */
const predictBuffer: FeatureBuffer = {
  index: new Int32Array(maxFeatures(64)),
  value: new Float64Array(maxFeatures(64)),
};

/** P(correct) for a learner with this evidence on an item tagged with these skills. */
export function logisticPredict(
  model: LogisticModel,
  evidence: LearnerEvidence,
  itemId: string,
  skillIds: readonly string[],
): number {
  if (skillIds.length > 64)
    throw new ValidationError("too_many_skills", `Item ${itemId} has more than 64 skills`);
  const n = encodeFeatures(
    model,
    evidence,
    itemId,
    model.itemIndex.get(itemId) ?? -1,
    skillIds,
    predictBuffer,
  );
  return sigmoid(linearScore(model, n));
}

/**
 * P(correct) on a typical item of one skill, one of average difficulty among the skill's
 * items in training, for this learner now. The mastery check asks this question.
 */
export function logisticPredictTypical(
  model: LogisticModel,
  evidence: LearnerEvidence,
  skillId: string,
): number {
  const n = encodeFeatures(model, evidence, TYPICAL_ITEM, -1, [skillId], predictBuffer);
  const skill = model.skillIndex.get(skillId);
  return sigmoid(
    linearScore(model, n) + (skill === undefined ? 0 : (model.typicalItemWeight[skill] as number)),
  );
}

/** w·x over the features in predictBuffer, each clamped to the range it had in training. */
function linearScore(model: LogisticModel, n: number): number {
  let z = 0;
  for (let k = 0; k < n; k++) {
    const column = predictBuffer.index[k] as number;
    const value = Math.min(
      Math.max(predictBuffer.value[k] as number, model.columnMin[column] as number),
      model.columnMax[column] as number,
    );
    z += (model.weights[column] as number) * value;
  }
  return z;
}

/** An item id that is never an item's: its counts and item weight are empty. */
const TYPICAL_ITEM = "\u0000typical";

/** The population's mean correctness on an item, the reference for residual evidence. */
export function logisticItemMean(model: LogisticModel, itemId: string): number {
  const item = model.itemIndex.get(itemId);
  return item === undefined ? model.meanCorrect : (model.itemMeanCorrect[item] as number);
}

/**
 * Fits the logistic predictor on the learners of a log (all by default): every response is
 * encoded from the evidence before it, exactly as it would be online, then the L2-regularised
 * log-loss is minimised by L-BFGS with a diagonal preconditioner.
 */
export function fitLogistic(
  log: ResponseLog,
  learners?: readonly number[],
  options: LogisticFitOptions = {},
): LogisticModel {
  const settings = { ...DEFAULT_LOGISTIC_FIT_OPTIONS, ...options };
  const chosen = learners ?? Array.from({ length: log.learnerIds.length }, (_, l) => l);
  const itemCount = log.itemIds.length;
  const layout = createFeatureLayout(itemCount, log.skillIds.length, settings.features);
  const model = {
    features: settings.features,
    layout,
    itemIndex: new Map(log.itemIds.map((id, i) => [id, i])),
    skillIndex: new Map(log.skillIds.map((id, i) => [id, i])),
  };

  // Item statistics of the training learners; each training row sees its item's mean without
  // itself (leave-one-out), as a new learner's response would.
  const itemAttempts = new Float64Array(itemCount);
  const itemCorrect = new Float64Array(itemCount);
  let rows = 0;
  let correctRows = 0;
  for (const l of chosen) {
    for (let r = log.learnerOffsets[l] as number; r < (log.learnerOffsets[l + 1] as number); r++) {
      const item = log.item[r] as number;
      const outcome = log.correct[r] as number;
      itemAttempts[item] = (itemAttempts[item] as number) + 1;
      itemCorrect[item] = (itemCorrect[item] as number) + outcome;
      rows++;
      correctRows += outcome;
    }
  }
  if (rows === 0)
    throw new ValidationError("empty_input", "No responses to fit the logistic model on");
  const meanCorrect = correctRows / rows;
  const smoothing = settings.itemMeanSmoothing;
  const itemMeanCorrect = new Float64Array(itemCount);
  for (let i = 0; i < itemCount; i++) {
    itemMeanCorrect[i] =
      ((itemCorrect[i] as number) + smoothing * meanCorrect) /
      ((itemAttempts[i] as number) + smoothing);
  }

  // Design matrix in compressed rows.
  let maxSkills = 1;
  for (let r = 0; r < log.rowCount; r++) {
    maxSkills = Math.max(
      maxSkills,
      (log.skillOffsets[r + 1] as number) - (log.skillOffsets[r] as number),
    );
  }
  const buffer: FeatureBuffer = {
    index: new Int32Array(maxFeatures(maxSkills)),
    value: new Float64Array(maxFeatures(maxSkills)),
  };
  let capacity = rows * 24;
  let columns = new Int32Array(capacity);
  let values = new Float64Array(capacity);
  const rowStart = new Int32Array(rows + 1);
  const outcomes = new Uint8Array(rows);
  let nnz = 0;
  let row = 0;
  for (const l of chosen) {
    const evidence = createLearnerEvidence();
    for (let r = log.learnerOffsets[l] as number; r < (log.learnerOffsets[l + 1] as number); r++) {
      const item = log.item[r] as number;
      const itemId = log.itemIds[item] as string;
      const skillIds: string[] = [];
      for (let t = log.skillOffsets[r] as number; t < (log.skillOffsets[r + 1] as number); t++) {
        skillIds.push(log.skillIds[log.skills[t] as number] as string);
      }
      const outcome = log.correct[r] as number;
      const n = encodeFeatures(model, evidence, itemId, item, skillIds, buffer);
      if (nnz + n > capacity) {
        capacity *= 2;
        const grownColumns = new Int32Array(capacity);
        grownColumns.set(columns);
        columns = grownColumns;
        const grownValues = new Float64Array(capacity);
        grownValues.set(values);
        values = grownValues;
      }
      columns.set(buffer.index.subarray(0, n), nnz);
      values.set(buffer.value.subarray(0, n), nnz);
      nnz += n;
      outcomes[row] = outcome;
      rowStart[++row] = nnz;
      const attempts = (itemAttempts[item] as number) - 1;
      const leaveOneOut =
        ((itemCorrect[item] as number) - outcome + smoothing * meanCorrect) /
        (attempts + smoothing);
      recordEvidence(evidence, {
        itemId,
        skillIds,
        isCorrect: outcome === 1,
        itemMeanCorrect: leaveOneOut,
      });
    }
  }

  const weights = fitWeights(
    { columns: columns.subarray(0, nnz), values: values.subarray(0, nnz), rowStart, outcomes },
    layout.size,
    settings,
  );
  // Unseen columns keep [0, 0]: a feature never seen in training contributes nothing.
  const columnMin = new Float64Array(layout.size);
  const columnMax = new Float64Array(layout.size);
  for (let k = 0; k < nnz; k++) {
    const column = columns[k] as number;
    const value = values[k] as number;
    if (value < (columnMin[column] as number)) columnMin[column] = value;
    if (value > (columnMax[column] as number)) columnMax[column] = value;
  }
  const typicalItemWeight = new Float64Array(log.skillIds.length);
  const skillRows = new Float64Array(log.skillIds.length);
  for (const l of chosen) {
    for (let r = log.learnerOffsets[l] as number; r < (log.learnerOffsets[l + 1] as number); r++) {
      const itemWeight = weights[layout.item + (log.item[r] as number)] as number;
      for (let t = log.skillOffsets[r] as number; t < (log.skillOffsets[r + 1] as number); t++) {
        const skill = log.skills[t] as number;
        typicalItemWeight[skill] = (typicalItemWeight[skill] as number) + itemWeight;
        skillRows[skill] = (skillRows[skill] as number) + 1;
      }
    }
  }
  for (let s = 0; s < typicalItemWeight.length; s++) {
    if ((skillRows[s] as number) > 0)
      typicalItemWeight[s] = (typicalItemWeight[s] as number) / (skillRows[s] as number);
  }
  return {
    ...model,
    weights,
    itemMeanCorrect,
    meanCorrect,
    typicalItemWeight,
    columnMin,
    columnMax,
  };
}

interface DesignMatrix {
  readonly columns: Int32Array;
  readonly values: Float64Array;
  readonly rowStart: Int32Array;
  readonly outcomes: Uint8Array;
}

/**
 * Minimises Σ log-loss + l2/2·‖w‖² (intercept unpenalised). Columns are rescaled by the inverse
 * square root of a diagonal Hessian bound, which makes L-BFGS converge in a few hundred steps
 * although item columns are seen a handful of times and the intercept on every row.
 */
function fitWeights(
  matrix: DesignMatrix,
  size: number,
  settings: Required<LogisticFitOptions>,
): Float64Array {
  const { columns, values, rowStart, outcomes } = matrix;
  const rows = outcomes.length;
  const scale = new Float64Array(size).fill(settings.l2);
  scale[0] = 0;
  for (let k = 0; k < columns.length; k++) {
    const column = columns[k] as number;
    scale[column] = (scale[column] as number) + 0.25 * (values[k] as number) ** 2;
  }
  for (let j = 0; j < size; j++)
    scale[j] = (scale[j] as number) > 0 ? 1 / Math.sqrt(scale[j] as number) : 1;
  const weights = new Float64Array(size);
  const objective = (u: Float64Array, gradient: Float64Array): number => {
    for (let j = 0; j < size; j++) weights[j] = (u[j] as number) * (scale[j] as number);
    gradient.fill(0);
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      const from = rowStart[r] as number;
      const to = rowStart[r + 1] as number;
      let z = 0;
      for (let k = from; k < to; k++)
        z += (weights[columns[k] as number] as number) * (values[k] as number);
      const y = outcomes[r] as number;
      // log(1 + e^-z) for y = 1, log(1 + e^z) for y = 0, computed stably.
      const margin = y === 1 ? z : -z;
      loss += margin > 0 ? Math.log1p(Math.exp(-margin)) : -margin + Math.log1p(Math.exp(margin));
      const residual = sigmoid(z) - y;
      for (let k = from; k < to; k++) {
        const column = columns[k] as number;
        gradient[column] = (gradient[column] as number) + residual * (values[k] as number);
      }
    }
    for (let j = 1; j < size; j++) {
      const w = weights[j] as number;
      loss += 0.5 * settings.l2 * w * w;
      gradient[j] = (gradient[j] as number) + settings.l2 * w;
    }
    for (let j = 0; j < size; j++) gradient[j] = (gradient[j] as number) * (scale[j] as number);
    return loss;
  };
  const result = minimizeLbfgs(objective, new Float64Array(size), {
    maxIterations: settings.maxIterations,
    relativeTolerance: settings.tolerance,
  });
  const fitted = new Float64Array(size);
  for (let j = 0; j < size; j++) fitted[j] = (result.x[j] as number) * (scale[j] as number);
  return fitted;
}

/** A fitted logistic model as plain JSON: ids in index order, arrays as numbers. */
export interface LogisticModelJson {
  readonly features: LogisticFeatures;
  readonly items: readonly string[];
  readonly skills: readonly string[];
  readonly weights: readonly number[];
  readonly itemMeanCorrect: readonly number[];
  readonly meanCorrect: number;
  readonly columnMin: readonly number[];
  readonly columnMax: readonly number[];
  readonly typicalItemWeight: readonly number[];
}

export function logisticModelToJson(model: LogisticModel): LogisticModelJson {
  const inOrder = (index: ReadonlyMap<string, number>) =>
    [...index].sort(([, a], [, b]) => a - b).map(([id]) => id);
  return {
    features: model.features,
    items: inOrder(model.itemIndex),
    skills: inOrder(model.skillIndex),
    weights: [...model.weights],
    itemMeanCorrect: [...model.itemMeanCorrect],
    meanCorrect: model.meanCorrect,
    columnMin: [...model.columnMin],
    columnMax: [...model.columnMax],
    typicalItemWeight: [...model.typicalItemWeight],
  };
}

/** The model logisticModelToJson wrote; a clear error naming the field when the JSON is not one. */
export function logisticModelFromJson(value: unknown): LogisticModel {
  const json = (value ?? {}) as Partial<Record<keyof LogisticModelJson, unknown>>;
  const fail = (field: string, why: string): never => {
    throw new ValidationError("bad_model", `logistic model: ${field} ${why}`);
  };
  const ids = (field: "items" | "skills"): string[] => {
    const list = json[field];
    if (!Array.isArray(list) || !list.every((id) => typeof id === "string"))
      return fail(field, "must be a list of ids");
    return list as string[];
  };
  const numbers = (field: keyof LogisticModelJson, length: number): Float64Array => {
    const list = json[field];
    if (!Array.isArray(list) || !list.every((x) => typeof x === "number" && Number.isFinite(x)))
      return fail(field, "must be a list of numbers");
    if (list.length !== length)
      return fail(field, `must have ${length} numbers, not ${list.length}`);
    return Float64Array.from(list as number[]);
  };
  const given = (json.features ?? {}) as Record<string, unknown>;
  const features = Object.fromEntries(
    Object.keys(DEFAULT_LOGISTIC_FEATURES).map((key) => {
      if (typeof given[key] !== "boolean") fail(`features.${key}`, "must be true or false");
      return [key, given[key]];
    }),
  ) as unknown as LogisticFeatures;
  const items = ids("items");
  const skills = ids("skills");
  const layout = createFeatureLayout(items.length, skills.length, features);
  const meanCorrect = json.meanCorrect;
  if (typeof meanCorrect !== "number" || !(meanCorrect >= 0 && meanCorrect <= 1))
    return fail("meanCorrect", "must be a number from 0 to 1");
  return {
    features,
    itemIndex: new Map(items.map((id, i) => [id, i])),
    skillIndex: new Map(skills.map((id, i) => [id, i])),
    weights: numbers("weights", layout.size),
    itemMeanCorrect: numbers("itemMeanCorrect", items.length),
    meanCorrect,
    columnMin: numbers("columnMin", layout.size),
    columnMax: numbers("columnMax", layout.size),
    typicalItemWeight: numbers("typicalItemWeight", skills.length),
    layout,
  };
}
