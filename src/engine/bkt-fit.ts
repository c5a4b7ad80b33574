import { type BktBounds, type BktParams, DEFAULT_BKT_BOUNDS, DEFAULT_BKT_PARAMS } from "./bkt.ts";
import { ValidationError } from "./errors.ts";
import type { ResponseLog } from "./response-log.ts";
import { createRng, type Rng } from "./rng.ts";

/** One skill's practice sequences, packed: responses of sequence k are `starts[k] .. starts[k+1]`. */
export interface SkillSequences {
  readonly correct: Uint8Array;
  readonly starts: Int32Array;
}

export interface BktFitOptions {
  /** Fit the forgetting probability too (BKT+forgets); otherwise it stays 0. */
  readonly fitForget?: boolean;
  /** Random restarts after the first, default-initialised run; the best likelihood wins. */
  readonly restarts?: number;
  readonly maxIterations?: number;
  /** Stop when the log-likelihood improves by less than this per response. */
  readonly tolerance?: number;
  readonly seed?: number | string;
  readonly bounds?: BktBounds;
  /** Skills with fewer responses than this get the parameters pooled over all skills. */
  readonly minResponses?: number;
}

export const DEFAULT_BKT_FIT_OPTIONS = {
  fitForget: false,
  restarts: 4,
  maxIterations: 200,
  tolerance: 1e-6,
  seed: 42,
  bounds: DEFAULT_BKT_BOUNDS,
  minResponses: 20,
} as const satisfies Required<BktFitOptions>;

export interface BktFit {
  /** Parameters after the last M-step. */
  readonly params: BktParams;
  /** Log-likelihood of the data under the parameters of the last E-step (EM never lowers it). */
  readonly logLikelihood: number;
  readonly iterations: number;
  readonly responses: number;
}

/** Fitted parameters per skill id, and the pooled fit used for skills with too little data. */
export interface BktModel {
  readonly skills: ReadonlyMap<string, BktFit>;
  readonly pooled: BktFit;
}

/**
 * Fits BKT by expectation-maximisation (Baum-Welch on the two-state hidden Markov model), once
 * from sensible defaults and then from seeded random starts, keeping the best likelihood.
 * Deterministic for a seed. Parameters are projected onto `bounds` after each M-step.
 */
export function fitBktSkill(sequences: SkillSequences, options: BktFitOptions = {}): BktFit {
  const settings = { ...DEFAULT_BKT_FIT_OPTIONS, ...options };
  const responses = sequences.correct.length;
  if (responses === 0) throw new ValidationError("empty_input", "No responses to fit BKT on");
  const rng = createRng(settings.seed);
  const scratch = new Float64Array(maxSequenceLength(sequences));
  let best: BktFit | undefined;
  for (let run = 0; run <= settings.restarts; run++) {
    const start = run === 0 ? project(DEFAULT_BKT_PARAMS, settings) : randomStart(rng, settings);
    const fit = runEm(sequences, start, settings, scratch);
    if (best === undefined || fit.logLikelihood > best.logLikelihood + 1e-9) best = fit;
  }
  return best as BktFit;
}

/**
 * Fits one BKT model per skill of a log: each learner's responses tagged with a skill form one
 * sequence of that skill (a multi-skill response is an observation of each of its skills).
 */
export function fitBkt(
  log: ResponseLog,
  learners?: readonly number[],
  options: BktFitOptions = {},
): BktModel {
  const settings = { ...DEFAULT_BKT_FIT_OPTIONS, ...options };
  const perSkill = collectSkillSequences(log, learners);
  const all = concatSequences([...perSkill.values()]);
  if (all.correct.length === 0)
    throw new ValidationError("empty_input", "No responses to fit BKT on");
  const pooled = fitBktSkill(all, settings);
  const skills = new Map<string, BktFit>();
  for (const [skill, sequences] of perSkill) {
    const fit =
      sequences.correct.length < settings.minResponses
        ? { ...pooled, responses: sequences.correct.length }
        : fitBktSkill(sequences, { ...settings, seed: `${settings.seed}/${log.skillIds[skill]}` });
    skills.set(log.skillIds[skill] as string, fit);
  }
  return { skills, pooled };
}

/** Groups a log's responses into per-skill sequences (one sequence per learner and skill). */
export function collectSkillSequences(
  log: ResponseLog,
  learners?: readonly number[],
): Map<number, SkillSequences> {
  const chosen = learners ?? Array.from({ length: log.learnerIds.length }, (_, l) => l);
  const counts = new Int32Array(log.skillIds.length);
  const sequencesOf = new Int32Array(log.skillIds.length);
  const lastLearner = new Int32Array(log.skillIds.length).fill(-1);
  for (const l of chosen) {
    for (let r = log.learnerOffsets[l] as number; r < (log.learnerOffsets[l + 1] as number); r++) {
      for (let t = log.skillOffsets[r] as number; t < (log.skillOffsets[r + 1] as number); t++) {
        const s = log.skills[t] as number;
        counts[s] = (counts[s] as number) + 1;
        if (lastLearner[s] !== l) {
          lastLearner[s] = l;
          sequencesOf[s] = (sequencesOf[s] as number) + 1;
        }
      }
    }
  }
  const result = new Map<
    number,
    { correct: Uint8Array; starts: Int32Array; fill: number; seq: number }
  >();
  counts.forEach((count, s) => {
    if (count > 0) {
      result.set(s, {
        correct: new Uint8Array(count),
        starts: new Int32Array((sequencesOf[s] as number) + 1),
        fill: 0,
        seq: 0,
      });
    }
  });
  lastLearner.fill(-1);
  for (const l of chosen) {
    for (let r = log.learnerOffsets[l] as number; r < (log.learnerOffsets[l + 1] as number); r++) {
      for (let t = log.skillOffsets[r] as number; t < (log.skillOffsets[r + 1] as number); t++) {
        const s = log.skills[t] as number;
        const target = result.get(s) as {
          correct: Uint8Array;
          starts: Int32Array;
          fill: number;
          seq: number;
        };
        if (lastLearner[s] !== l) {
          lastLearner[s] = l;
          target.starts[target.seq++] = target.fill;
        }
        target.correct[target.fill++] = log.correct[r] as number;
      }
    }
  }
  const sequences = new Map<number, SkillSequences>();
  for (const [s, target] of result) {
    target.starts[target.seq] = target.fill;
    sequences.set(s, { correct: target.correct, starts: target.starts });
  }
  return sequences;
}

function concatSequences(parts: readonly SkillSequences[]): SkillSequences {
  let responses = 0;
  let sequenceCount = 0;
  for (const part of parts) {
    responses += part.correct.length;
    sequenceCount += part.starts.length - 1;
  }
  const correct = new Uint8Array(responses);
  const starts = new Int32Array(sequenceCount + 1);
  let offset = 0;
  let k = 0;
  for (const part of parts) {
    correct.set(part.correct, offset);
    for (let i = 0; i < part.starts.length - 1; i++)
      starts[k++] = (part.starts[i] as number) + offset;
    offset += part.correct.length;
  }
  starts[k] = offset;
  return { correct, starts };
}

function maxSequenceLength(sequences: SkillSequences): number {
  let max = 0;
  for (let k = 0; k + 1 < sequences.starts.length; k++) {
    max = Math.max(max, (sequences.starts[k + 1] as number) - (sequences.starts[k] as number));
  }
  return max;
}

type Settings = Required<BktFitOptions>;

function randomStart(rng: Rng, settings: Settings): BktParams {
  const between = (low: number, high: number): number => low + (high - low) * rng.next();
  return project(
    {
      prior: between(0.1, 0.9),
      learn: between(0.01, 0.4),
      forget: settings.fitForget ? between(0, 0.1) : 0,
      guess: between(0.05, 0.4),
      slip: between(0.05, 0.3),
    },
    settings,
  );
}

function project(params: BktParams, settings: Settings): BktParams {
  const { bounds } = settings;
  const clamp = (value: number, [low, high]: readonly [number, number]): number =>
    Math.min(high, Math.max(low, value));
  let guess = clamp(params.guess, bounds.guess);
  let slip = clamp(params.slip, bounds.slip);
  const sum = guess + slip;
  if (sum > bounds.maxGuessPlusSlip) {
    guess *= bounds.maxGuessPlusSlip / sum;
    slip *= bounds.maxGuessPlusSlip / sum;
  }
  return {
    prior: clamp(params.prior, bounds.prior),
    learn: clamp(params.learn, bounds.learn),
    forget: settings.fitForget ? clamp(params.forget, bounds.forget) : 0,
    guess,
    slip,
  };
}

/** EM from one start; `scratch` holds the scaled forward probabilities of the known state. */
function runEm(
  sequences: SkillSequences,
  start: BktParams,
  settings: Settings,
  scratch: Float64Array,
): BktFit {
  const { correct, starts } = sequences;
  const responses = correct.length;
  let params = start;
  let logLikelihood = Number.NEGATIVE_INFINITY;
  let iterations = 0;
  while (iterations < settings.maxIterations) {
    const { prior, learn, forget, guess, slip } = params;
    // Emission probabilities for an incorrect (0) and a correct (1) answer, by state.
    const emitKnown0 = slip;
    const emitKnown1 = 1 - slip;
    const emitUnknown0 = 1 - guess;
    const emitUnknown1 = guess;
    let sumPriorKnown = 0;
    let learnNum = 0;
    let learnDen = 0;
    let forgetNum = 0;
    let forgetDen = 0;
    let guessNum = 0;
    let unknownTotal = 0;
    let slipNum = 0;
    let knownTotal = 0;
    let ll = 0;
    const sequenceCount = starts.length - 1;
    for (let k = 0; k < sequenceCount; k++) {
      const from = starts[k] as number;
      const to = starts[k + 1] as number;
      // Forward pass, normalised at each step: scratch[t] = P(known at t | answers up to t).
      let predictedKnown = prior;
      for (let t = from; t < to; t++) {
        const answer = correct[t] as number;
        const a = predictedKnown * (answer ? emitKnown1 : emitKnown0);
        const b = (1 - predictedKnown) * (answer ? emitUnknown1 : emitUnknown0);
        const evidence = a + b;
        ll += Math.log(evidence);
        const filtered = a / evidence;
        scratch[t - from] = filtered;
        predictedKnown = filtered * (1 - forget) + (1 - filtered) * learn;
      }
      // Backward pass with normalised messages; smoothed marginals and pairwise terms.
      let betaKnown = 0.5;
      let betaUnknown = 0.5;
      let nextKnownEmit = 0;
      let nextUnknownEmit = 0;
      for (let t = to - 1; t >= from; t--) {
        const filtered = scratch[t - from] as number;
        const answer = correct[t] as number;
        if (t < to - 1) {
          // Pairwise posteriors between t and t+1.
          const kk = filtered * (1 - forget) * nextKnownEmit * betaKnown;
          const ku = filtered * forget * nextUnknownEmit * betaUnknown;
          const uk = (1 - filtered) * learn * nextKnownEmit * betaKnown;
          const uu = (1 - filtered) * (1 - learn) * nextUnknownEmit * betaUnknown;
          const z = kk + ku + uk + uu;
          learnNum += uk / z;
          learnDen += (uk + uu) / z;
          forgetNum += ku / z;
          forgetDen += (kk + ku) / z;
          // Propagate beta to t.
          const newKnown =
            (1 - forget) * nextKnownEmit * betaKnown + forget * nextUnknownEmit * betaUnknown;
          const newUnknown =
            learn * nextKnownEmit * betaKnown + (1 - learn) * nextUnknownEmit * betaUnknown;
          const norm = newKnown + newUnknown;
          betaKnown = newKnown / norm;
          betaUnknown = newUnknown / norm;
        }
        const gk = filtered * betaKnown;
        const gu = (1 - filtered) * betaUnknown;
        const gammaKnown = gk / (gk + gu);
        const gammaUnknown = 1 - gammaKnown;
        knownTotal += gammaKnown;
        unknownTotal += gammaUnknown;
        if (answer) guessNum += gammaUnknown;
        else slipNum += gammaKnown;
        if (t === from) sumPriorKnown += gammaKnown;
        nextKnownEmit = answer ? emitKnown1 : emitKnown0;
        nextUnknownEmit = answer ? emitUnknown1 : emitUnknown0;
      }
    }
    iterations++;
    const improvement = ll - logLikelihood;
    logLikelihood = ll;
    params = project(
      {
        prior: sumPriorKnown / sequenceCount,
        learn: learnDen > 0 ? learnNum / learnDen : params.learn,
        forget: forgetDen > 0 ? forgetNum / forgetDen : params.forget,
        guess: unknownTotal > 0 ? guessNum / unknownTotal : params.guess,
        slip: knownTotal > 0 ? slipNum / knownTotal : params.slip,
      },
      settings,
    );
    if (improvement >= 0 && improvement < settings.tolerance * responses) break;
  }
  return { params, logLikelihood, iterations, responses };
}
