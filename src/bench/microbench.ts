import {
  bktPredict,
  bktUpdate,
  createKnowledgeModel,
  createLearnerEvidence,
  createLearnerState,
  createResponseLogBuilder,
  createRng,
  fitBkt,
  fitLogistic,
  logisticItemMean,
  logisticPredict,
  type PracticeItem,
  recordEvidence,
  recordResponse,
  serializeLearnerState,
} from "../engine/index.ts";

export interface MicrobenchResult {
  readonly name: string;
  /** Median over batches of the mean time per operation. */
  readonly medianNanoseconds: number;
  readonly operations: number;
}

export interface MicrobenchReport {
  readonly results: readonly MicrobenchResult[];
  /** Serialised learner state after practising every skill of a 100-skill course. */
  readonly learnerStateBytes: number;
  readonly skills: number;
}

const SKILLS = 100;
const ITEMS_PER_SKILL = 20;
const BATCHES = 31;
const BATCH_SIZE = 10_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Times `operation` in batches after a warm-up; the median batch resists a busy machine. */
function time(name: string, operation: (k: number) => void): MicrobenchResult {
  for (let k = 0; k < BATCH_SIZE; k++) operation(k);
  const perOperation: number[] = [];
  for (let batch = 0; batch < BATCHES; batch++) {
    const start = process.hrtime.bigint();
    for (let k = 0; k < BATCH_SIZE; k++) operation(batch * BATCH_SIZE + k);
    perOperation.push(Number(process.hrtime.bigint() - start) / BATCH_SIZE);
  }
  return { name, medianNanoseconds: median(perOperation), operations: BATCHES * BATCH_SIZE };
}

/**
 * Micro-benchmarks of the per-response work on a synthetic 100-skill course: the predictors'
 * online update plus prediction, and a whole learner update (BKT, mastery, spaced review,
 * evidence); and the size of a learner's serialised state.
 */
export function runMicrobench(seed = 1): MicrobenchReport {
  const rng = createRng(seed);
  const items: PracticeItem[] = [];
  for (let s = 0; s < SKILLS; s++) {
    for (let i = 0; i < ITEMS_PER_SKILL; i++)
      items.push({ id: `s${s}.i${i}`, skillIds: [`s${s}`] });
  }
  const builder = createResponseLogBuilder();
  for (let l = 0; l < 200; l++) {
    const ability = rng.normal();
    for (let k = 0; k < 200; k++) {
      const item = items[rng.int(items.length)] as PracticeItem;
      builder.add({
        learnerId: `l${l}`,
        itemId: item.id,
        skillIds: item.skillIds,
        isCorrect: rng.chance(1 / (1 + Math.exp(-ability - 0.5))),
      });
    }
  }
  const log = builder.build();
  const logistic = fitLogistic(log);
  const bkt = fitBkt(log);
  const params = Object.fromEntries([...bkt.skills].map(([skillId, fit]) => [skillId, fit.params]));
  const model = createKnowledgeModel({ bkt: params, logistic });
  const outcomes = Array.from({ length: 4096 }, () => rng.chance(0.7));
  const itemAt = (k: number): PracticeItem => items[(k * 7919) % items.length] as PracticeItem;
  const outcomeAt = (k: number): boolean => outcomes[k % outcomes.length] as boolean;

  const evidence = createLearnerEvidence();
  const lr = time("lr: predict + update", (k) => {
    const item = itemAt(k);
    logisticPredict(logistic, evidence, item.id, item.skillIds);
    recordEvidence(evidence, {
      itemId: item.id,
      skillIds: item.skillIds,
      isCorrect: outcomeAt(k),
      itemMeanCorrect: logisticItemMean(logistic, item.id),
    });
  });
  const pKnown = new Float64Array(SKILLS).fill(0.3);
  const skillParams = Array.from(
    { length: SKILLS },
    (_, s) => (bkt.skills.get(`s${s}`) ?? bkt.pooled).params,
  );
  const bktResult = time("bkt: predict + update", (k) => {
    const s = (k * 7919) % SKILLS;
    const p = skillParams[s] as (typeof skillParams)[number];
    bktPredict(pKnown[s] as number, p);
    pKnown[s] = bktUpdate(pKnown[s] as number, outcomeAt(k), p);
  });
  let learner = createLearnerState();
  const minute = 60_000;
  const whole = time("learner: full update (BKT, LR, mastery, FSRS review)", (k) => {
    if (k % 3000 === 0) learner = createLearnerState();
    recordResponse(learner, model, { item: itemAt(k), isCorrect: outcomeAt(k), at: k * minute });
  });

  const practised = createLearnerState();
  for (let k = 0; k < SKILLS * 30; k++) {
    recordResponse(practised, model, {
      item: itemAt(k),
      isCorrect: outcomeAt(k) || k % 5 !== 0,
      at: k * minute,
    });
  }
  return {
    results: [lr, bktResult, whole],
    learnerStateBytes: Buffer.byteLength(serializeLearnerState(practised)),
    skills: SKILLS,
  };
}
