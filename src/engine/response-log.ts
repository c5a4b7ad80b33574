import { ValidationError } from "./errors.ts";

/**
 * A columnar log of first attempts, grouped by learner and in time order within a learner.
 * Ids are interned to dense indices so fitting and replay run over typed arrays; a response
 * tagged with several skills lists them all (`skills[skillOffsets[r] .. skillOffsets[r + 1])`).
 */
export interface ResponseLog {
  readonly learnerIds: readonly string[];
  readonly itemIds: readonly string[];
  readonly skillIds: readonly string[];
  /** Row range of each learner: rows `learnerOffsets[l] .. learnerOffsets[l + 1]`. */
  readonly learnerOffsets: Int32Array;
  readonly item: Int32Array;
  readonly correct: Uint8Array;
  readonly skillOffsets: Int32Array;
  readonly skills: Int32Array;
  readonly rowCount: number;
}

/** One response as a builder receives it. */
export interface ResponseRecord {
  readonly learnerId: string;
  readonly itemId: string;
  readonly skillIds: readonly string[];
  readonly isCorrect: boolean;
}

/** Accumulates responses in time order (learners may interleave) and builds a ResponseLog. */
export interface ResponseLogBuilder {
  add(record: ResponseRecord): void;
  build(): ResponseLog;
}

/** Interns string ids to dense indices in first-seen order. */
export interface Interner {
  readonly ids: string[];
  indexOf(id: string): number;
}

/** A dictionary from ids to dense indices, in first-seen order. */
export function createInterner(initial: readonly string[] = []): Interner {
  const ids: string[] = [];
  const index = new Map<string, number>();
  const indexOf = (id: string): number => {
    let i = index.get(id);
    if (i === undefined) {
      i = ids.length;
      ids.push(id);
      index.set(id, i);
    }
    return i;
  };
  for (const id of initial) indexOf(id);
  return { ids, indexOf };
}

/** Starts an empty log; pass known skill ids to fix their indices (e.g. a course's skills). */
export function createResponseLogBuilder(
  knownSkillIds: readonly string[] = [],
): ResponseLogBuilder {
  const learners = createInterner();
  const items = createInterner();
  const skills = createInterner(knownSkillIds);
  const learnerOf: number[] = [];
  const itemOf: number[] = [];
  const correctOf: number[] = [];
  const skillsOf: number[][] = [];
  return {
    add(record) {
      if (record.skillIds.length === 0) {
        throw new ValidationError(
          "missing_skill",
          `Response of learner ${record.learnerId} to item ${record.itemId} has no skill`,
        );
      }
      learnerOf.push(learners.indexOf(record.learnerId));
      itemOf.push(items.indexOf(record.itemId));
      correctOf.push(record.isCorrect ? 1 : 0);
      skillsOf.push([...new Set(record.skillIds)].map(skills.indexOf));
    },
    build() {
      const rowCount = learnerOf.length;
      const learnerCount = learners.ids.length;
      // Counting sort by learner keeps each learner's rows in arrival (time) order.
      const learnerOffsets = new Int32Array(learnerCount + 1);
      for (const l of learnerOf) (learnerOffsets[l + 1] as number)++;
      for (let l = 0; l < learnerCount; l++) {
        learnerOffsets[l + 1] = (learnerOffsets[l + 1] as number) + (learnerOffsets[l] as number);
      }
      const cursor = learnerOffsets.slice(0, learnerCount);
      const order = new Int32Array(rowCount);
      for (let r = 0; r < rowCount; r++) {
        const l = learnerOf[r] as number;
        order[cursor[l] as number] = r;
        (cursor[l] as number)++;
      }
      const item = new Int32Array(rowCount);
      const correct = new Uint8Array(rowCount);
      const skillOffsets = new Int32Array(rowCount + 1);
      let skillTotal = 0;
      for (const tags of skillsOf) skillTotal += tags.length;
      const skillColumn = new Int32Array(skillTotal);
      let s = 0;
      for (let k = 0; k < rowCount; k++) {
        const r = order[k] as number;
        item[k] = itemOf[r] as number;
        correct[k] = correctOf[r] as number;
        for (const skill of skillsOf[r] as number[]) skillColumn[s++] = skill;
        skillOffsets[k + 1] = s;
      }
      return {
        learnerIds: learners.ids,
        itemIds: items.ids,
        skillIds: skills.ids,
        learnerOffsets,
        item,
        correct,
        skillOffsets,
        skills: skillColumn,
        rowCount,
      };
    },
  };
}

/** The learners of a log, as a new log over the same id dictionaries (for splits and folds). */
export function selectLearners(log: ResponseLog, learners: readonly number[]): ResponseLog {
  let rowCount = 0;
  let skillCount = 0;
  for (const l of learners) {
    const from = log.learnerOffsets[l] as number;
    const to = log.learnerOffsets[l + 1] as number;
    rowCount += to - from;
    skillCount += (log.skillOffsets[to] as number) - (log.skillOffsets[from] as number);
  }
  const learnerOffsets = new Int32Array(learners.length + 1);
  const item = new Int32Array(rowCount);
  const correct = new Uint8Array(rowCount);
  const skillOffsets = new Int32Array(rowCount + 1);
  const skills = new Int32Array(skillCount);
  let row = 0;
  let tag = 0;
  learners.forEach((l, k) => {
    for (let r = log.learnerOffsets[l] as number; r < (log.learnerOffsets[l + 1] as number); r++) {
      item[row] = log.item[r] as number;
      correct[row] = log.correct[r] as number;
      for (let t = log.skillOffsets[r] as number; t < (log.skillOffsets[r + 1] as number); t++) {
        skills[tag++] = log.skills[t] as number;
      }
      skillOffsets[++row] = tag;
    }
    learnerOffsets[k + 1] = row;
  });
  return {
    learnerIds: learners.map((l) => log.learnerIds[l] as string),
    itemIds: log.itemIds,
    skillIds: log.skillIds,
    learnerOffsets,
    item,
    correct,
    skillOffsets,
    skills,
    rowCount,
  };
}
