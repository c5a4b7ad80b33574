import { assertBktParams, type BktParams } from "./bkt.ts";
import { type BktFitOptions, fitBkt } from "./bkt-fit.ts";
import { ValidationError } from "./errors.ts";
import {
  createKnowledgeModel,
  type KnowledgeModel,
  logisticCheckLevel,
  type MasteryRule,
} from "./learner.ts";
import {
  fitLogistic,
  type LogisticFitOptions,
  type LogisticModel,
  logisticModelFromJson,
  logisticModelToJson,
  logisticPredictTypical,
} from "./logistic.ts";
import { bktReplay, logisticReplay, rowSkillIds } from "./replay.ts";
import type { ResponseLog } from "./response-log.ts";

/** How BKT compares with the logistic predictor on one skill's held-out responses. */
export interface PredictorComparison {
  /** Mean log-likelihood per response, BKT minus logistic (positive: BKT predicts better). */
  readonly difference: number;
  /** The mean of the learners' summed differences over its standard error. */
  readonly z: number;
}

export interface KnowledgeModelFitOptions {
  readonly bkt?: BktFitOptions;
  readonly logistic?: LogisticFitOptions;
  readonly masteryRule?: MasteryRule;
  /** See DEFAULT_BKT_ALONE_MIN_Z. */
  readonly bktAloneMinZ?: number;
}

/**
 * BKT decides mastery alone on a skill when it predicts held-out learners better than the
 * logistic model with z at least this: significantly better, not merely as good, since the
 * logistic check it drops is what guards against gradual learning (see fitKnowledgeModel).
 * The other way round (z at most minus this) the skill counts as learned gradually.
 */
export const DEFAULT_BKT_ALONE_MIN_Z = 2;

/**
 * Learners a fit should see before mastery's checks can be trusted. In simulation (a pilot
 * class's practice and the tutor's), fits on 200 learners kept under-practice under 4% at the
 * end of a session; on 60, up to 6.3% (logistic learners) and 5.0% (BKT learners). Sixty are too
 * few to tell whether some skills are learned gradually, and such a skill keeps BKT's check, as
 * lenient as 65% success where the fitted slip is high. A first fit on the tutor's practice
 * alone did worse, even on 300 (see the README).
 */
export const RELIABLE_FIT_LEARNERS = 200;

/** What a fit gives the knowledge model (see KnowledgeModelOptions), and can be stored. */
export interface FittedKnowledge {
  readonly bkt: Readonly<Record<string, BktParams>>;
  /** The fit pooled over all skills: for skills with too little data of their own. */
  readonly defaultBkt: BktParams;
  readonly logistic: LogisticModel;
  readonly bktAloneSkills: readonly string[];
  /** Where the logistic model predicts significantly better (KnowledgeModelOptions.gradualSkills). */
  readonly gradualSkills: readonly string[];
}

export interface KnowledgeModelFit {
  readonly knowledge: FittedKnowledge;
  readonly model: KnowledgeModel;
  /** Per skill, from the two-fold cross-validation. */
  readonly comparisons: ReadonlyMap<string, PredictorComparison>;
}

const clamp = (p: number): number => Math.min(Math.max(p, 1e-6), 1 - 1e-6);

/**
 * Fits the engine's knowledge model on a class's logs: BKT per skill by EM and the logistic
 * predictor, both on every learner. The logistic model's second opinion on mastery (see
 * meetsMastery) exists because BKT is fooled by lucky streaks when learning is gradual; where
 * BKT is the better description of how a skill is learned, that opinion only regresses to the
 * mean and delays mastery of skills learners already know. So the two are compared skill by
 * skill on held-out learners (compareSkillPredictors), and where BKT predicts significantly
 * better its P(known) decides mastery alone; where the logistic model does, the skill counts as
 * learned gradually (KnowledgeModelOptions.gradualSkills).
 *
 * Where neither does, BKT also decides alone if no learner of the class reached the success the
 * logistic check would ask for: the check, clamped to the class's practice, could then only be
 * passed by a run of right answers, out of reach of a learner BKT describes (29 in a row at 90%,
 * given 5% of the time by a known learner who slips 10% of the time). A course's first fit on
 * the tutor's own practice, which stopped each skill soon after mastery under default values,
 * is where this happens (see the README). Deterministic for the BKT fit's seed.
 */
export function fitKnowledgeModel(
  log: ResponseLog,
  options: KnowledgeModelFitOptions = {},
): KnowledgeModelFit {
  const bkt = fitBkt(log, undefined, options.bkt);
  const comparisons = compareSkillPredictors(log, options);
  const minZ = options.bktAloneMinZ ?? DEFAULT_BKT_ALONE_MIN_Z;
  const skillsWhere = (test: (z: number) => boolean): string[] =>
    [...comparisons].filter(([, c]) => test(c.z)).map(([skillId]) => skillId);
  const modelOf = (knowledge: FittedKnowledge): KnowledgeModel =>
    createKnowledgeModel({
      ...knowledge,
      ...(options.masteryRule === undefined ? {} : { masteryRule: options.masteryRule }),
    });
  const compared: FittedKnowledge = {
    bkt: Object.fromEntries([...bkt.skills].map(([skillId, fit]) => [skillId, fit.params])),
    defaultBkt: bkt.pooled.params,
    logistic: fitLogistic(log, undefined, options.logistic),
    bktAloneSkills: skillsWhere((z) => z >= minZ),
    gradualSkills: skillsWhere((z) => z <= -minZ),
  };
  const comparedModel = modelOf(compared);
  const highest = highestTypicalPredictions(log, compared.logistic);
  const outOfReach = skillsWhere((z) => Math.abs(z) < minZ).filter((skillId) => {
    const level = logisticCheckLevel(comparedModel, skillId);
    return level !== undefined && (highest.get(skillId) ?? 0) < level;
  });
  const knowledge = { ...compared, bktAloneSkills: [...compared.bktAloneSkills, ...outOfReach] };
  return { knowledge, model: modelOf(knowledge), comparisons };
}

/**
 * Compares BKT with the logistic predictor per skill by two-fold cross-validation over the
 * learners of a log (even and odd positions): each is fitted on one half and replays the other,
 * predicting every response from the evidence before it. A response tagged with several skills
 * counts for each.
 */
export function compareSkillPredictors(
  log: ResponseLog,
  options: Pick<KnowledgeModelFitOptions, "bkt" | "logistic"> = {},
): Map<string, PredictorComparison> {
  const learners = Array.from({ length: log.learnerIds.length }, (_, l) => l);
  const even = learners.filter((l) => l % 2 === 0);
  const odd = learners.filter((l) => l % 2 === 1);
  const totals = new Map<string, { sum: number; responses: number; perLearner: number[] }>();
  const folds: [train: number[], test: number[]][] = [
    [even, odd],
    [odd, even],
  ];
  for (const [train, test] of folds) {
    if (train.length === 0 || test.length === 0) continue;
    const bktModel = bktReplay(log, fitBkt(log, train, options.bkt));
    const logisticModel = logisticReplay(log, fitLogistic(log, train, options.logistic));
    for (const l of test) {
      const bkt = bktModel.startLearner();
      const logistic = logisticModel.startLearner();
      const learnerSums = new Map<string, number>();
      for (
        let r = log.learnerOffsets[l] as number;
        r < (log.learnerOffsets[l + 1] as number);
        r++
      ) {
        const pBkt = clamp(bkt.predict(r));
        const pLogistic = clamp(logistic.predict(r));
        const gain =
          log.correct[r] === 1
            ? Math.log(pBkt / pLogistic)
            : Math.log((1 - pBkt) / (1 - pLogistic));
        for (const skillId of rowSkillIds(log, r)) {
          let total = totals.get(skillId);
          if (total === undefined) {
            total = { sum: 0, responses: 0, perLearner: [] };
            totals.set(skillId, total);
          }
          total.sum += gain;
          total.responses++;
          learnerSums.set(skillId, (learnerSums.get(skillId) ?? 0) + gain);
        }
        bkt.update(r);
        logistic.update(r);
      }
      for (const [skillId, sum] of learnerSums) totals.get(skillId)?.perLearner.push(sum);
    }
  }
  const comparisons = new Map<string, PredictorComparison>();
  for (const [skillId, { sum, responses, perLearner }] of totals) {
    comparisons.set(skillId, { difference: sum / responses, z: zScore(perLearner) });
  }
  return comparisons;
}

/**
 * Per skill of the log, the highest success on a typical item the logistic model predicted for
 * any of the log's learners after one of their answers on the skill. Its features are clamped to
 * the ranges of the class it was fitted on, so on a skill where this stays below the level its
 * mastery check asks for (logisticCheckLevel), only a run of right answers can pass that check.
 */
export function highestTypicalPredictions(
  log: ResponseLog,
  logistic: LogisticModel,
): Map<string, number> {
  const highest = new Map<string, number>();
  const replay = logisticReplay(log, logistic);
  for (let l = 0; l < log.learnerIds.length; l++) {
    const learner = replay.startLearner();
    for (let r = log.learnerOffsets[l] as number; r < (log.learnerOffsets[l + 1] as number); r++) {
      learner.update(r);
      for (const skillId of rowSkillIds(log, r)) {
        const p = logisticPredictTypical(logistic, learner.evidence, skillId);
        if (p > (highest.get(skillId) ?? -1)) highest.set(skillId, p);
      }
    }
  }
  return highest;
}

/** Mean over standard error; ±Infinity when every value is the same non-zero number. */
function zScore(values: readonly number[]): number {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  if (variance > 0) return mean / Math.sqrt(variance / n);
  return mean === 0 ? 0 : mean * Number.POSITIVE_INFINITY;
}

/** A fit as JSON, for a file the tutor loads at start (parseFittedKnowledge). */
export function serializeFittedKnowledge(knowledge: FittedKnowledge): string {
  return JSON.stringify({
    v: 1,
    bkt: knowledge.bkt,
    defaultBkt: knowledge.defaultBkt,
    logistic: logisticModelToJson(knowledge.logistic),
    bktAloneSkills: knowledge.bktAloneSkills,
    gradualSkills: knowledge.gradualSkills,
  });
}

/** The fit serializeFittedKnowledge wrote; a clear error naming the field otherwise. */
export function parseFittedKnowledge(json: string): FittedKnowledge {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new ValidationError("bad_model", "A fitted model must be JSON");
  }
  if (value?.v !== 1) throw new ValidationError("bad_model", "A fitted model has version 1");
  const params = (field: string, raw: unknown): BktParams => {
    const p = (raw ?? {}) as Record<string, unknown>;
    const read = (key: keyof BktParams) => (typeof p[key] === "number" ? (p[key] as number) : NaN);
    const result = {
      prior: read("prior"),
      learn: read("learn"),
      forget: read("forget"),
      guess: read("guess"),
      slip: read("slip"),
    };
    try {
      assertBktParams(result);
    } catch (error) {
      throw new ValidationError("bad_model", `${field}: ${(error as Error).message}`);
    }
    return result;
  };
  const bkt = (value.bkt ?? {}) as Record<string, unknown>;
  const skillList = (field: string, raw: unknown): string[] => {
    if (!Array.isArray(raw) || !raw.every((id) => typeof id === "string"))
      throw new ValidationError("bad_model", `${field} must be a list of skill ids`);
    return raw;
  };
  return {
    bkt: Object.fromEntries(
      Object.entries(bkt).map(([skillId, raw]) => [skillId, params(`bkt.${skillId}`, raw)]),
    ),
    defaultBkt: params("defaultBkt", value.defaultBkt),
    logistic: logisticModelFromJson(value.logistic),
    bktAloneSkills: skillList("bktAloneSkills", value.bktAloneSkills),
    // Files written before gradual skills were told apart have none.
    gradualSkills: skillList("gradualSkills", value.gradualSkills ?? []),
  };
}
