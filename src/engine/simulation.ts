import type { BktParams } from "./bkt.ts";
import { ValidationError } from "./errors.ts";
import { type CompetencyGraph, createCompetencyGraph, type SkillNode } from "./graph.ts";
import { chooseItem } from "./item-choice.ts";
import {
  createKnowledgeModel,
  createLearnerState,
  type KnowledgeModel,
  type MasteryRule,
  type PracticeItem,
  predictCorrect,
  recordResponse,
} from "./learner.ts";
import { fitKnowledgeModel } from "./model-fit.ts";
import { chooseNextTarget } from "./next-target.ts";
import { createResponseLogBuilder } from "./response-log.ts";
import { createRng, type Rng } from "./rng.ts";

/** A generated course: a prerequisite graph and items per skill. */
export interface SimulatedCourse {
  readonly graph: CompetencyGraph;
  readonly items: ReadonlyMap<string, readonly PracticeItem[]>;
}

/**
 * adaptive: this engine. fixed: N items per skill in course order. random: the same budget on
 * random skills, blind to prerequisites. oracle: a reference that sees the true state and
 * parameters: it practises only unlearned skills whose prerequisites are learned, each exactly
 * until it is learned, always the one where an item raises the post-test most; what a mastery
 * policy with perfect knowledge would do. greedy: a second reference with perfect knowledge
 * and no rules at all: the fixed policy's budget, each item on whichever skill it raises the
 * post-test most (learned or not, prerequisites or not). For logistic learners the comparisons
 * also hold three exact bounds (see bestPostTestCurve): optimum, prerequisite-optimum and
 * mastery-optimum.
 */
export type SimulationPolicy = "adaptive" | "fixed" | "random" | "oracle" | "greedy";
export type GeneratorKind = "bkt" | "logistic";

/**
 * The rules a plan of practice follows (see bestPostTestCurve). none: any plan. prerequisites: a
 * skill is practised only once its prerequisites are learned (for as long as the plan likes).
 * mastery: also only until it is learned itself; what mastery learning, and this engine, do.
 */
export type PracticeRules = "none" | "prerequisites" | "mastery";

/** A synthetic learner: answers items (learning as they go) and knows its true state. */
interface SimulatedLearner {
  /** Samples an answer, then applies the learning of this practice opportunity. */
  answer(item: PracticeItem, rng: Rng): boolean;
  isLearned(skillId: string): boolean;
  /** P(correct) on a fresh, typical item of the skill now: the post-test. */
  postTest(skillId: string): number;
  /**
   * The true expected rise of postTest(skillId) per item practised from now on (the oracle's
   * view): for gradual learning, the best average over the next few items, so that a skill
   * still on the flat start of its learning curve is not passed over for ever.
   */
  practiceGain(skillId: string): number;
  /**
   * Where learning does not depend on luck (logistic learners): for k = 0..budget, the highest
   * mean post-test this learner could reach from now with k items; see bestPostTestCurve.
   */
  bestPostTestCurve?(budget: number, rules: PracticeRules): Float64Array;
}

interface Generator {
  readonly kind: GeneratorKind;
  createLearner(seed: string): SimulatedLearner;
}

export interface SimulationOptions {
  /** Skills of a generated course (generateCourse); not with `course`. */
  readonly skills?: number;
  /** A course to practise instead of a generated one: every item practises one skill. */
  readonly course?: SimulatedCourse;
  readonly learners: number;
  readonly seed: number | string;
  /** Items per skill of a generated course. */
  readonly itemsPerSkill?: number;
  /** Items per skill of the fixed policy (and the random policy's budget per skill). */
  readonly fixedItemsPerSkill?: number;
  /** Learners of a pilot class whose logs the adaptive engine is fitted on. */
  readonly pilotLearners?: number;
  /**
   * Items per skill the pilot class practises, in course order. 0: no pilot class, as with a new
   * course; the first class (refitLearners) practises with the engine unfitted, on BKT's default
   * values, and the engine is fitted on its logs alone.
   */
  readonly pilotItemsPerSkill?: number;
  /**
   * Learners of a class who practise with the engine fitted on the pilot's logs; the engine is
   * then fitted again on both classes' logs, as `socra course fit` does once a class has
   * practised with the tutor (0: the pilot's fit only; with no pilot, the engine unfitted). A
   * model fitted only on practice in blocks underrates learners deep into the engine's own
   * practice (see the README).
   */
  readonly refitLearners?: number;
  /**
   * How many classes of refitLearners practise in turn, each with the engine fitted on the logs
   * of the pilot and every class before it; the engine is fitted again after each.
   */
  readonly refitRounds?: number;
  /** The adaptive policy's mastery rule (see KnowledgeModel). */
  readonly masteryRule?: MasteryRule;
  /** Cap on an adaptive session, per skill of the course. */
  readonly maxItemsPerSkill?: number;
}

export const DEFAULT_SIMULATION_OPTIONS = {
  itemsPerSkill: 12,
  fixedItemsPerSkill: 10,
  pilotLearners: 300,
  pilotItemsPerSkill: 20,
  refitLearners: 300,
  refitRounds: 1,
  masteryRule: "bkt+logistic",
  maxItemsPerSkill: 40,
} as const satisfies Omit<Required<SimulationOptions>, "skills" | "course" | "learners" | "seed">;

/** Outcome of one policy on one generative model, averaged over learners. */
export interface SimulationRun {
  readonly policy: SimulationPolicy;
  readonly generator: GeneratorKind;
  readonly itemsPerLearner: number;
  /** Mean P(correct) on a fresh item per skill after the session. */
  readonly postTestAccuracy: number;
  /** Share of skills the policy finished with (declared mastered, or done) that are not truly learned. */
  readonly underPracticeRate: number;
  /** Items given, per learner, on skills the learner had already truly learned. */
  readonly overPracticeItems: number;
  /** Items a skill took from the start of its practice until it was truly learned (skills learned in session). */
  readonly itemsToTrueMastery: number;
  /** Share of skills truly learned at the end. */
  readonly learnedRate: number;
  /** Share of skills that became stuck (many attempts, no mastery: referred to the teacher). */
  readonly stuckRate: number;
  /** Mean post-test accuracy after k items (index k; a finished session keeps its last value). */
  readonly accuracyCurve: readonly number[];
  /**
   * After k items: skills declared finished, summed over learners, and how many of those were
   * not truly learned then (a finished session keeps its last value).
   */
  readonly declaredCurve: readonly (readonly [declared: number, unlearned: number])[];
}

/** How many items a policy needs to match the fixed policy's post-test accuracy. */
export interface SimulationComparison {
  readonly generator: GeneratorKind;
  /**
   * Besides the policies, three bounds for logistic learners (see bestPostTestCurve): optimum,
   * the best plan for each learner and budget; prerequisite-optimum, the best that practises a
   * skill only once its prerequisites are learned; mastery-optimum, the best that follows mastery
   * learning. The first two are computed within the fixed policy's budget (null: not within it).
   */
  readonly policy: SimulationPolicy | "optimum" | "prerequisite-optimum" | "mastery-optimum";
  readonly fixedItemsPerLearner: number;
  readonly fixedPostTestAccuracy: number;
  /** Items per learner after which the policy's mean post-test accuracy first reaches the fixed policy's (null: never). */
  readonly itemsToMatch: number | null;
  /** 1 − itemsToMatch / fixedItemsPerLearner. */
  readonly itemSavings: number | null;
  /**
   * At that point (sessions cut at itemsToMatch items), the share of the skills the policy had
   * declared mastered that were not truly learned (null: never matched, or nothing declared).
   */
  readonly underPracticeAtMatch: number | null;
}

export interface SimulationReport {
  readonly runs: readonly SimulationRun[];
  readonly comparisons: readonly SimulationComparison[];
}

// Realistic BKT parameter spreads: logit-normal distributions matching the medians and
// inter-quartile ranges fitted per skill on ASSISTments 2009 (pyBKT, 110 skills): prior 0.64
// (0.49-0.77), learn 0.13 (0.06-0.27), guess 0.21 (0.10-0.35), slip 0.20 (0.12-0.28).
const BKT_POPULATION = {
  prior: { median: 0.64, q1: 0.49, q3: 0.77 },
  learn: { median: 0.13, q1: 0.06, q3: 0.27 },
  guess: { median: 0.21, q1: 0.1, q3: 0.35 },
  slip: { median: 0.2, q1: 0.12, q3: 0.28 },
} as const;
/** Spread of individual learners around a skill's prior and learning rate (log-odds). */
const LEARNER_SPREAD = 0.5;
/** Learning is this many times slower while a prerequisite is not known. */
const PREREQUISITE_LEARNING_FACTOR = 0.25;
/** Prior knowledge of a skill is this many times rarer while a prerequisite is not known. */
const PREREQUISITE_PRIOR_FACTOR = 0.3;

const logit = (p: number): number => Math.log(p / (1 - p));
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

function drawLogitNormal(rng: Rng, q: { median: number; q1: number; q3: number }): number {
  const sd = (logit(q.q3) - logit(q.q1)) / 1.349;
  return sigmoid(logit(q.median) + sd * rng.normal());
}

/**
 * A course graph with `skillCount` skills: each skill after the first builds on one or two of
 * the three before it (now and then none), like a textbook chapter.
 */
export function generateCourse(
  skillCount: number,
  itemsPerSkill: number,
  seed: number | string,
): SimulatedCourse {
  if (!(Number.isInteger(skillCount) && skillCount >= 1)) {
    throw new ValidationError(
      "bad_option",
      `--skills must be a positive integer, got ${skillCount}`,
    );
  }
  const rng = createRng(`${seed}/course`);
  const nodes: SkillNode[] = [];
  for (let i = 0; i < skillCount; i++) {
    const prerequisites = new Set<string>();
    if (i > 0 && !rng.chance(0.15)) {
      const count = rng.chance(0.3) ? 2 : 1;
      for (let k = 0; k < count; k++) prerequisites.add(`s${Math.max(0, i - 1 - rng.int(3))}`);
    }
    nodes.push({ id: `s${i}`, prerequisites: [...prerequisites] });
  }
  const items = new Map<string, PracticeItem[]>();
  for (const { id } of nodes) {
    items.set(
      id,
      Array.from({ length: itemsPerSkill }, (_, k) => ({ id: `${id}.i${k}`, skillIds: [id] })),
    );
  }
  return { graph: createCompetencyGraph(nodes), items };
}

/**
 * A course the simulated learners can practise: every skill has items, and every item practises
 * exactly the skill it is listed under (learners answer and learn one skill at a time).
 */
function checkedCourse(course: SimulatedCourse): SimulatedCourse {
  for (const skillId of course.graph.skillIds) {
    const items = course.items.get(skillId) ?? [];
    if (items.length === 0)
      throw new ValidationError("bad_course", `Skill "${skillId}" has no items to practise`);
    for (const item of items) {
      if (item.skillIds.length !== 1 || item.skillIds[0] !== skillId)
        throw new ValidationError(
          "bad_course",
          `Item "${item.id}" practises ${item.skillIds.join(" and ")}: the simulation needs items of one skill, listed under it`,
        );
    }
  }
  return course;
}

/** BKT learners: per-skill parameters drawn from the ASSISTments spreads, individual differences, prerequisite effects. */
function createBktGenerator(course: SimulatedCourse, seed: string): Generator {
  const rng = createRng(`${seed}/bkt-population`);
  const skillParams = new Map<string, BktParams>();
  for (const skillId of course.graph.skillIds) {
    let guess = 0;
    let slip = 0;
    do {
      guess = drawLogitNormal(rng, BKT_POPULATION.guess);
      slip = drawLogitNormal(rng, BKT_POPULATION.slip);
    } while (guess + slip > 0.8); // keep every skill's answers informative
    skillParams.set(skillId, {
      prior: drawLogitNormal(rng, BKT_POPULATION.prior),
      learn: drawLogitNormal(rng, BKT_POPULATION.learn),
      forget: 0,
      guess,
      slip,
    });
  }
  const { graph } = course;
  return {
    kind: "bkt",
    createLearner(learnerSeed) {
      const traits = createRng(`${learnerSeed}/traits`);
      const ability = LEARNER_SPREAD * traits.normal();
      const known = new Set<string>();
      const learnRate = new Map<string, number>();
      for (const skillId of graph.skillIds) {
        const p = skillParams.get(skillId) as BktParams;
        learnRate.set(skillId, sigmoid(logit(p.learn) + ability));
        const ready = graph.prerequisitesOf(skillId).every((id) => known.has(id));
        const prior = sigmoid(logit(p.prior) + ability) * (ready ? 1 : PREREQUISITE_PRIOR_FACTOR);
        if (traits.chance(prior)) known.add(skillId);
      }
      return {
        answer(item, answerRng) {
          const skillId = item.skillIds[0] as string;
          const p = skillParams.get(skillId) as BktParams;
          const isKnown = known.has(skillId);
          const isCorrect = answerRng.chance(isKnown ? 1 - p.slip : p.guess);
          if (!isKnown) {
            const ready = graph.prerequisitesOf(skillId).every((id) => known.has(id));
            const learn =
              (learnRate.get(skillId) as number) * (ready ? 1 : PREREQUISITE_LEARNING_FACTOR);
            if (answerRng.chance(learn)) known.add(skillId);
          }
          return isCorrect;
        },
        isLearned: (skillId) => known.has(skillId),
        postTest: (skillId) => {
          const p = skillParams.get(skillId) as BktParams;
          return known.has(skillId) ? 1 - p.slip : p.guess;
        },
        practiceGain: (skillId) => {
          if (known.has(skillId)) return 0;
          const p = skillParams.get(skillId) as BktParams;
          const ready = graph.prerequisitesOf(skillId).every((id) => known.has(id));
          const learn =
            (learnRate.get(skillId) as number) * (ready ? 1 : PREREQUISITE_LEARNING_FACTOR);
          return learn * Math.max(0, 1 - p.slip - p.guess);
        },
      };
    },
  };
}

// Logistic learners, calibrated on the same data: an additive factors model fitted here on the
// Gervet training split (learner ability, skill difficulty) gives ability sd 0.91 and skill
// difficulty sd 0.84 around a first-attempt success of 0.61. Its learning slopes come out near
// zero (median 0.03 logits per opportunity) because skill builders stop a student after three
// right answers, so only strugglers keep practising; the learning rate below is instead a typical
// AFM slope from the literature (Cen, Koedinger & Junker 2006), 0.15 logits per opportunity.
const LOGISTIC_POPULATION = {
  abilitySd: 0.91,
  skillEase: 0.34,
  skillDifficultySd: 0.84,
  itemDifficultySd: 0.5,
  learningRate: 0.15,
  learningRateLogSd: 0.5,
  learnerRateLogSd: 0.3,
} as const;
/** A logistic learner has learned a skill when they would answer a typical item right 80% of the time. */
const LOGISTIC_LEARNED_AT = logit(0.8);
/** How far ahead the oracle looks when it weighs a gradually learned skill. */
const ORACLE_LOOKAHEAD_ITEMS = 20;

/**
 * Logistic (IRT/AFM-style) learners, a different world from BKT: knowledge grows gradually.
 * P(correct) = σ(θ − b_skill − δ_item + γ_skill·ρ·opportunities), where an opportunity counts a
 * quarter while a prerequisite is not learned. δ_item is the item's authored difficulty when it
 * has one (a course file's), else drawn.
 */
function createLogisticGenerator(course: SimulatedCourse, seed: string): Generator {
  const population = LOGISTIC_POPULATION;
  const rng = createRng(`${seed}/logistic-population`);
  const difficulty = new Map<string, number>();
  const gain = new Map<string, number>();
  for (const skillId of course.graph.skillIds) {
    difficulty.set(skillId, -population.skillEase + population.skillDifficultySd * rng.normal());
    gain.set(
      skillId,
      population.learningRate * Math.exp(population.learningRateLogSd * rng.normal()),
    );
  }
  const itemDifficulty = new Map<string, number>();
  for (const items of course.items.values()) {
    for (const item of items)
      itemDifficulty.set(item.id, item.difficulty ?? population.itemDifficultySd * rng.normal());
  }
  const { graph } = course;
  return {
    kind: "logistic",
    createLearner(learnerSeed) {
      const traits = createRng(`${learnerSeed}/traits`);
      const ability = population.abilitySd * traits.normal();
      const learningRate = Math.exp(population.learnerRateLogSd * traits.normal());
      const proficiency = new Map<string, number>();
      for (const skillId of graph.skillIds)
        proficiency.set(skillId, ability - (difficulty.get(skillId) as number));
      const isLearned = (skillId: string): boolean =>
        (proficiency.get(skillId) as number) >= LOGISTIC_LEARNED_AT;
      const stepOf = (skillId: string): number =>
        (gain.get(skillId) as number) *
        learningRate *
        (graph.prerequisitesOf(skillId).every(isLearned) ? 1 : PREREQUISITE_LEARNING_FACTOR);
      return {
        answer(item, answerRng) {
          const skillId = item.skillIds[0] as string;
          const eta = (proficiency.get(skillId) as number) - (itemDifficulty.get(item.id) ?? 0);
          const isCorrect = answerRng.chance(sigmoid(eta));
          proficiency.set(skillId, (proficiency.get(skillId) as number) + stepOf(skillId));
          return isCorrect;
        },
        isLearned,
        postTest: (skillId) => sigmoid(proficiency.get(skillId) as number),
        practiceGain: (skillId) => {
          const eta = proficiency.get(skillId) as number;
          const step = stepOf(skillId);
          let best = 0;
          for (let n = 1; n <= ORACLE_LOOKAHEAD_ITEMS; n++)
            best = Math.max(best, (sigmoid(eta + n * step) - sigmoid(eta)) / n);
          return best;
        },
        bestPostTestCurve: (budget, rules) =>
          bestPostTestCurve(
            graph,
            (skillId) => proficiency.get(skillId) as number,
            (skillId) => (gain.get(skillId) as number) * learningRate,
            budget,
            rules,
          ),
      };
    },
  };
}

/**
 * The best any policy could do for a logistic learner whose every parameter it knew: for each
 * budget k = 0..budget, the highest mean post-test over all plans of at most k items. Learning
 * does not depend on the answers, so a plan comes down to how many items each skill gets, and
 * for given counts practising skills in topological order is best (a prerequisite is as far
 * along as it will get before its dependents start). Exact: a dynamic programme over the skills
 * in that order whose state is which of the skills still needed as prerequisites are learned.
 * `proficiency`: the learner's log-odds of success on each skill now; `fullStep`: its growth per
 * item once every prerequisite is learned (PREREQUISITE_LEARNING_FACTOR of it before). Only
 * plans that follow `rules` count (see PracticeRules).
 */
export function bestPostTestCurve(
  graph: CompetencyGraph,
  proficiency: (skillId: string) => number,
  fullStep: (skillId: string) => number,
  budget: number,
  rules: PracticeRules = "none",
): Float64Array {
  const order = graph.skillIds;
  // The position of the last skill that needs each one as a prerequisite (-1: none).
  const neededUntil = order.map((id) => Math.max(-1, ...graph.dependentsOf(id).map(graph.orderOf)));
  const unreachable = (): Float64Array => new Float64Array(budget + 1).fill(-Infinity);
  // live: positions of the skills later ones depend on; a state's key has bit k set when live[k]
  // is learned, and maps to the best post-test sum per number of items spent so far.
  let live: number[] = [];
  let states = new Map([[0, unreachable().fill(0, 0, 1)]]);
  let reach = 0; // the most items any state has spent so far
  for (let i = 0; i < order.length; i++) {
    const skillId = order[i] as string;
    const prerequisiteBits = graph
      .prerequisitesOf(skillId)
      .map((id) => live.indexOf(graph.orderOf(id)));
    const nextLive = [...live, i].filter((j) => (neededUntil[j] as number) > i);
    const start = proficiency(skillId);
    const next = new Map<number, Float64Array>();
    let nextReach = reach;
    for (const [key, sums] of states) {
      const isReady = prerequisiteBits.every((bit) => ((key >> bit) & 1) === 1);
      const step = fullStep(skillId) * (isReady ? 1 : PREREQUISITE_LEARNING_FACTOR);
      // The state after this skill: [if it stays unlearned, if it is learned].
      const keysAfter = [false, true].map((isLearned) =>
        nextLive.reduce((acc, j, k) => {
          const bit = j === i ? isLearned : ((key >> live.indexOf(j)) & 1) === 1;
          return bit ? acc | (1 << k) : acc;
        }, 0),
      );
      for (let n = 0; n <= budget; n++) {
        const eta = start + n * step;
        if (n > 0 && rules !== "none") {
          const wasLearned = start + (n - 1) * step >= LOGISTIC_LEARNED_AT;
          if (!isReady || (rules === "mastery" && wasLearned)) break;
        }
        const target = keysAfter[eta >= LOGISTIC_LEARNED_AT ? 1 : 0] as number;
        let out = next.get(target);
        if (!out) {
          out = unreachable();
          next.set(target, out);
        }
        const value = sigmoid(eta);
        const last = Math.min(reach, budget - n);
        for (let b = 0; b <= last; b++) {
          const total = (sums[b] as number) + value;
          if (total > (out[b + n] as number)) out[b + n] = total;
        }
        nextReach = Math.max(nextReach, Math.min(budget, reach + n));
      }
    }
    live = nextLive;
    states = next;
    reach = nextReach;
  }
  const curve = unreachable();
  for (let b = 0; b <= budget; b++) {
    for (const sums of states.values()) curve[b] = Math.max(curve[b] as number, sums[b] as number);
    if (b > 0) curve[b] = Math.max(curve[b] as number, curve[b - 1] as number);
  }
  return curve.map((sum) => sum / order.length);
}

/** The order of practice for the fixed policy: N items per skill, skills in course order. */
function fixedSchedule(course: SimulatedCourse, perSkill: number): PracticeItem[] {
  const schedule: PracticeItem[] = [];
  for (const skillId of course.graph.skillIds) {
    const items = course.items.get(skillId) as readonly PracticeItem[];
    for (let k = 0; k < perSkill; k++) schedule.push(items[k % items.length] as PracticeItem);
  }
  return schedule;
}

type Settings = Required<Omit<SimulationOptions, "skills" | "course">>;

/**
 * Fits the engine (fitKnowledgeModel) on a pilot class's logs (without a pilot: BKT's defaults,
 * unfitted), then, with refitLearners, refitRounds times on those and the logs of a class that
 * practised with the engine fitted so far.
 */
function fitEngine(
  course: SimulatedCourse,
  generator: Generator,
  settings: Settings,
): KnowledgeModel {
  const builder = createResponseLogBuilder(course.graph.skillIds);
  const fitOnLogs = (): KnowledgeModel =>
    fitKnowledgeModel(builder.build(), {
      bkt: { seed: settings.seed },
      masteryRule: settings.masteryRule,
    }).model;
  const answerAndLog = (seed: string, learnerId: string) => {
    const learner = generator.createLearner(seed);
    const rng = createRng(`${seed}/answers`);
    return (item: PracticeItem): boolean => {
      const isCorrect = learner.answer(item, rng);
      builder.add({ learnerId, itemId: item.id, skillIds: item.skillIds, isCorrect });
      return isCorrect;
    };
  };
  let model = createKnowledgeModel({ masteryRule: settings.masteryRule });
  if (settings.pilotItemsPerSkill > 0) {
    const schedule = fixedSchedule(course, settings.pilotItemsPerSkill);
    for (let l = 0; l < settings.pilotLearners; l++) {
      const give = answerAndLog(`${settings.seed}/pilot/${l}`, `p${l}`);
      for (const item of schedule) give(item);
    }
    model = fitOnLogs();
  }
  if (settings.refitLearners === 0) return model;
  for (let round = 0; round < settings.refitRounds; round++) {
    // The first class keeps the seeds it had before there were rounds.
    const classId = `class${round || ""}`;
    for (let l = 0; l < settings.refitLearners; l++) {
      const seed = `${settings.seed}/${classId}/${l}`;
      playAdaptive(course, model, settings, seed, answerAndLog(seed, `${classId}.${l}`), () => {});
    }
    model = fitOnLogs();
  }
  return model;
}

/** What a session left behind: the skills the policy finished with, and how many got stuck. */
interface Session {
  readonly finished: ReadonlySet<string>;
  readonly stuck: number;
}

function playAdaptive(
  course: SimulatedCourse,
  model: KnowledgeModel,
  settings: Settings,
  seed: string,
  give: (item: PracticeItem) => boolean,
  declare: (finished: readonly string[]) => void,
): Session {
  const state = createLearnerState();
  const stuck = new Set<string>();
  const cap = settings.maxItemsPerSkill * course.graph.skillIds.length;
  for (let turn = 0; turn < cap; turn++) {
    const target = chooseNextTarget({ graph: course.graph, learner: state, model, now: 0 });
    if (target.kind === "done") break;
    // A stuck skill is referred to the teacher; the simulated learner keeps practising it.
    if (target.isStuck) stuck.add(target.skillId);
    const items = course.items.get(target.skillId) as readonly PracticeItem[];
    const candidates = items.map((item) => ({
      id: item.id,
      predicted: predictCorrect(state, model, item),
    }));
    const chosen = chooseItem(candidates, state.recentItems, `${seed}/${turn}`);
    const item = items.find((i) => i.id === chosen.id) as PracticeItem;
    recordResponse(state, model, { item, isCorrect: give(item), at: 0 });
    declare(course.graph.skillIds.filter((id) => state.skills[id]?.isMastered));
  }
  const finished = new Set(course.graph.skillIds.filter((id) => state.skills[id]?.isMastered));
  return { finished, stuck: stuck.size };
}

function runPolicy(
  course: SimulatedCourse,
  generator: Generator,
  policy: SimulationPolicy,
  model: KnowledgeModel,
  settings: Settings,
): SimulationRun {
  const skillIds = course.graph.skillIds;
  const pairs = settings.learners * skillIds.length;
  const schedule = fixedSchedule(course, settings.fixedItemsPerSkill);
  let items = 0;
  let overPractice = 0;
  let finishedCount = 0;
  let finishedUnlearned = 0;
  let postTest = 0;
  let learned = 0;
  let stuck = 0;
  let toMastery = 0;
  let toMasteryCount = 0;
  const curves: number[][] = [];
  const declaredCurves: (readonly [number, number])[][] = [];
  for (let l = 0; l < settings.learners; l++) {
    // The same learners, with the same luck, face every policy (common random numbers).
    const seed = `${settings.seed}/learner/${l}`;
    const learner = generator.createLearner(seed);
    const rng = createRng(`${seed}/answers`);
    const choiceRng = createRng(`${seed}/${policy}`);
    const practised = new Map<string, number>();
    const unlearnedAtStart = new Set(skillIds.filter((id) => !learner.isLearned(id)));
    const learnedAfter = new Map<string, number>();
    const meanPostTest = (): number =>
      skillIds.reduce((sum, id) => sum + learner.postTest(id), 0) / skillIds.length;
    const curve = [meanPostTest()];
    // Skills declared finished after k items, and how many of them are not truly learned then.
    const declaredCurve: (readonly [number, number])[] = [[0, 0]];
    const declare = (finished: Iterable<string>): void => {
      let count = 0;
      let unlearned = 0;
      for (const id of finished) {
        count++;
        if (!learner.isLearned(id)) unlearned++;
      }
      declaredCurve[declaredCurve.length - 1] = [count, unlearned];
    };
    const give = (item: PracticeItem): boolean => {
      const skillId = item.skillIds[0] as string;
      if (learner.isLearned(skillId)) overPractice++;
      const isCorrect = learner.answer(item, rng);
      const count = (practised.get(skillId) ?? 0) + 1;
      practised.set(skillId, count);
      if (
        unlearnedAtStart.has(skillId) &&
        !learnedAfter.has(skillId) &&
        learner.isLearned(skillId)
      ) {
        learnedAfter.set(skillId, count);
      }
      items++;
      curve.push(meanPostTest());
      declaredCurve.push(declaredCurve[declaredCurve.length - 1] as readonly [number, number]);
      return isCorrect;
    };
    // The references' move: an item on the candidate skill where it raises the post-test most.
    const giveBest = (candidates: readonly string[]): boolean => {
      const skillId = candidates.reduce((best, id) =>
        learner.practiceGain(id) > learner.practiceGain(best) ? id : best,
      );
      if (!(learner.practiceGain(skillId) > 0)) return false;
      const pool = course.items.get(skillId) as readonly PracticeItem[];
      give(pool[(practised.get(skillId) ?? 0) % pool.length] as PracticeItem);
      return true;
    };
    let session: Session;
    if (policy === "adaptive") {
      session = playAdaptive(course, model, settings, seed, give, declare);
    } else if (policy === "greedy") {
      for (let k = 0; k < schedule.length; k++) if (!giveBest(skillIds)) break;
      // Like fixed practice, it calls every skill done when its budget is spent.
      session = { finished: new Set(skillIds), stuck: 0 };
    } else if (policy === "oracle") {
      const cap = settings.maxItemsPerSkill * skillIds.length;
      const learned = (): string[] => skillIds.filter((id) => learner.isLearned(id));
      for (let k = 0; k < cap; k++) {
        const open = skillIds.filter(
          (id) =>
            !learner.isLearned(id) && course.graph.prerequisitesOf(id).every(learner.isLearned),
        );
        if (open.length === 0 || !giveBest(open)) break;
        declare(learned());
      }
      // The oracle finishes exactly the skills that are learned; the rest hit the cap.
      const finished = new Set(learned());
      session = { finished, stuck: skillIds.length - finished.size };
    } else {
      if (policy === "fixed") {
        for (const item of schedule) give(item);
      } else {
        // Random practice with the fixed policy's budget, blind to prerequisites.
        for (let k = 0; k < schedule.length; k++) {
          const pool = course.items.get(
            skillIds[choiceRng.int(skillIds.length)] as string,
          ) as readonly PracticeItem[];
          give(pool[choiceRng.int(pool.length)] as PracticeItem);
        }
      }
      session = { finished: new Set(skillIds), stuck: 0 };
    }
    declare(session.finished);
    for (const id of session.finished) {
      finishedCount++;
      if (!learner.isLearned(id)) finishedUnlearned++;
    }
    stuck += session.stuck;
    postTest += meanPostTest();
    for (const id of skillIds) if (learner.isLearned(id)) learned++;
    for (const count of learnedAfter.values()) {
      toMastery += count;
      toMasteryCount++;
    }
    curves.push(curve);
    declaredCurves.push(declaredCurve);
  }
  // Learners who finished early keep their final accuracy for every later k.
  const length = Math.max(...curves.map((curve) => curve.length));
  const accuracyCurve = Array.from(
    { length },
    (_, k) =>
      curves.reduce((sum, curve) => sum + (curve[Math.min(k, curve.length - 1)] as number), 0) /
      curves.length,
  );
  return {
    policy,
    generator: generator.kind,
    itemsPerLearner: items / settings.learners,
    postTestAccuracy: postTest / settings.learners,
    underPracticeRate: finishedCount === 0 ? 0 : finishedUnlearned / finishedCount,
    overPracticeItems: overPractice / settings.learners,
    itemsToTrueMastery: toMasteryCount === 0 ? 0 : toMastery / toMasteryCount,
    learnedRate: learned / pairs,
    stuckRate: stuck / pairs,
    accuracyCurve,
    declaredCurve: Array.from({ length }, (_, k) => {
      let declared = 0;
      let unlearned = 0;
      for (const curve of declaredCurves) {
        const [d, u] = curve[Math.min(k, curve.length - 1)] as readonly [number, number];
        declared += d;
        unlearned += u;
      }
      return [declared, unlearned] as const;
    }),
  };
}

/**
 * The mean over the learners of their best post-test at each budget (undefined where learning
 * depends on luck: BKT learners). No policy's accuracy curve (of those following `rules`),
 * however much it knew, lies above it.
 */
function optimumCurve(
  generator: Generator,
  settings: Settings,
  budget: number,
  rules: PracticeRules,
): number[] | undefined {
  const sum = new Float64Array(budget + 1);
  for (let l = 0; l < settings.learners; l++) {
    const curve = generator
      .createLearner(`${settings.seed}/learner/${l}`)
      .bestPostTestCurve?.(budget, rules);
    if (!curve) return undefined;
    for (let k = 0; k <= budget; k++) sum[k] = (sum[k] as number) + (curve[k] as number);
  }
  return Array.from(sum, (total) => total / settings.learners);
}

/**
 * Items after which a policy's accuracy curve first reaches the fixed policy's final accuracy:
 * the smallest per-learner session cap k at which the policy's mean post-test accuracy, every
 * session cut at k items, is at least the fixed policy's; and the policy's under-practice then.
 */
function compare(
  run: Pick<SimulationRun, "accuracyCurve" | "declaredCurve"> & {
    readonly policy: SimulationComparison["policy"];
  },
  fixed: SimulationRun,
): SimulationComparison {
  const k = run.accuracyCurve.findIndex((accuracy) => accuracy >= fixed.postTestAccuracy - 1e-12);
  const [declared, unlearned] = (run.declaredCurve[k] ?? [0, 0]) as readonly [number, number];
  return {
    generator: fixed.generator,
    policy: run.policy,
    fixedItemsPerLearner: fixed.itemsPerLearner,
    fixedPostTestAccuracy: fixed.postTestAccuracy,
    itemsToMatch: k < 0 ? null : k,
    itemSavings: k < 0 ? null : 1 - k / fixed.itemsPerLearner,
    underPracticeAtMatch: declared === 0 ? null : unlearned / declared,
  };
}

/**
 * Simulates practice on a generated (or given) course under each policy and generative model. The adaptive
 * policy is this engine end to end (next target, item choice, mastery), with parameters it fitted
 * itself on practice logs (see fitEngine), never the generator's true ones. Deterministic for a
 * seed.
 */
export function simulate(
  options: SimulationOptions,
  policies: readonly SimulationPolicy[] = ["adaptive", "fixed", "random", "oracle", "greedy"],
  generators: readonly GeneratorKind[] = ["bkt", "logistic"],
): SimulationReport {
  const { skills, course: given, ...rest } = options;
  const settings: Settings = { ...DEFAULT_SIMULATION_OPTIONS, ...rest };
  for (const key of [
    "learners",
    "itemsPerSkill",
    "fixedItemsPerSkill",
    "pilotLearners",
    "refitRounds",
    "maxItemsPerSkill",
  ] as const) {
    const value = settings[key];
    if (!(Number.isInteger(value) && value >= 1)) {
      throw new ValidationError("bad_option", `${key} must be a positive integer, got ${value}`);
    }
  }
  for (const key of ["pilotItemsPerSkill", "refitLearners"] as const) {
    const value = settings[key];
    if (!(Number.isInteger(value) && value >= 0)) {
      throw new ValidationError("bad_option", `${key} must be a whole number, got ${value}`);
    }
  }
  if ((skills === undefined) === (given === undefined))
    throw new ValidationError("bad_option", "Simulate either a course or a number of skills");
  const course = given
    ? checkedCourse(given)
    : generateCourse(skills as number, settings.itemsPerSkill, settings.seed);
  const runs: SimulationRun[] = [];
  const comparisons: SimulationComparison[] = [];
  for (const kind of generators) {
    const generator =
      kind === "bkt"
        ? createBktGenerator(course, String(settings.seed))
        : createLogisticGenerator(course, String(settings.seed));
    const model = policies.includes("adaptive")
      ? fitEngine(course, generator, settings)
      : createKnowledgeModel();
    const byPolicy = new Map(
      policies.map((policy) => [policy, runPolicy(course, generator, policy, model, settings)]),
    );
    runs.push(...byPolicy.values());
    const fixed = byPolicy.get("fixed");
    if (fixed) {
      for (const run of byPolicy.values())
        if (run.policy !== "fixed") comparisons.push(compare(run, fixed));
      // Only a match within the fixed budget saves items; mastery learning may need more, and
      // its bound is cheap to compute further (a plan stops practising a learned skill).
      const skillCount = course.graph.skillIds.length;
      const fixedBudget = settings.fixedItemsPerSkill * skillCount;
      for (const [policy, budget, rules] of [
        ["optimum", fixedBudget, "none"],
        ["prerequisite-optimum", fixedBudget, "prerequisites"],
        ["mastery-optimum", settings.maxItemsPerSkill * skillCount, "mastery"],
      ] as const) {
        const accuracyCurve = optimumCurve(generator, settings, budget, rules);
        if (accuracyCurve)
          comparisons.push(compare({ policy, accuracyCurve, declaredCurve: [] }, fixed));
      }
    }
  }
  return { runs, comparisons };
}
