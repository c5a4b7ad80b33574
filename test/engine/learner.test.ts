import { describe, expect, it } from "vitest";
import {
  type BktParams,
  bktUpdate,
  createKnowledgeModel,
  createLearnerState,
  createResponseLogBuilder,
  createRng,
  fitLogistic,
  isStuck,
  type KnowledgeModel,
  type KnowledgeModelOptions,
  type LearnerState,
  type LogisticModel,
  type PracticeItem,
  parseLearnerState,
  predictCorrect,
  recordResponse,
  runOfRightAnswersFor,
  serializeLearnerState,
  ValidationError,
} from "../../src/engine/index.ts";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 2, 2, 8, 0);
const PARAMS: BktParams = { prior: 0.3, learn: 0.15, forget: 0, guess: 0.2, slip: 0.1 };
const item = (id: string, skillIds: string[] = ["add"], difficulty?: number): PracticeItem =>
  difficulty === undefined ? { id, skillIds } : { id, skillIds, difficulty };

describe("learner state", () => {
  const model = createKnowledgeModel({ bkt: { add: PARAMS }, masteryRule: "bkt" });

  it("updates BKT from the prior as computed by hand", () => {
    const state = createLearnerState();
    const effect = recordResponse(state, model, { item: item("q1"), isCorrect: true, at: NOW });
    expect(effect.predicted).toBeCloseTo(0.3 * 0.9 + 0.7 * 0.2, 12);
    expect(state.skills.add?.pKnown).toBeCloseTo(bktUpdate(0.3, true, PARAMS), 12);
    expect(effect.skills[0]).toMatchObject({
      skillId: "add",
      pKnownBefore: 0.3,
      mastery: "unchanged",
      isReview: false,
    });
  });

  it("counts a hint before the first attempt as not knowing it yet", () => {
    const state = createLearnerState();
    recordResponse(state, model, { item: item("q1"), isCorrect: true, usedHint: true, at: NOW });
    expect(state.skills.add?.pKnown).toBeCloseTo(bktUpdate(0.3, false, PARAMS), 12);
    expect(state.evidence.skills.add).toMatchObject({ attempts: 1, correct: 0 });
  });

  it("announces mastery at the threshold and schedules a first review", () => {
    const state = createLearnerState();
    const changes = [1, 2, 3].map((k) =>
      recordResponse(state, model, { item: item(`q${k}`), isCorrect: true, at: NOW + k }),
    );
    // 0.3 → 0.725 → 0.937 → 0.991: the third right answer crosses 0.95.
    expect(changes.map((c) => c.skills[0]?.mastery)).toEqual(["unchanged", "unchanged", "gained"]);
    const progress = state.skills.add;
    expect(progress?.isMastered).toBe(true);
    expect(progress?.masteredAt).toBe(NOW + 3);
    expect(progress?.review?.dueAt).toBe(NOW + 3 + 3 * DAY);
    // Practice after mastery is a (same-day) review: the schedule restarts from it.
    const after = recordResponse(state, model, { item: item("q4"), isCorrect: true, at: NOW + 4 });
    expect(after.skills[0]).toMatchObject({ mastery: "unchanged", isReview: true });
    expect(state.skills.add?.review?.dueAt).toBe(NOW + 4 + 3 * DAY);
  });

  it("loses mastery when a due review fails, and says so", () => {
    const state = createLearnerState();
    for (let k = 0; k < 4; k++)
      recordResponse(state, model, { item: item(`q${k}`), isCorrect: true, at: NOW });
    const due = state.skills.add?.review?.dueAt as number;
    const effect = recordResponse(state, model, {
      item: item("q9"),
      isCorrect: false,
      at: due + 20 * DAY,
    });
    expect(effect.skills[0]).toMatchObject({ mastery: "lost", isReview: true });
    expect(state.skills.add?.isMastered).toBe(false);
    expect(state.skills.add?.review?.lapses).toBe(1);
  });

  it("keeps mastery through a passed review and pushes the next review out", () => {
    const state = createLearnerState();
    for (let k = 0; k < 4; k++)
      recordResponse(state, model, { item: item(`q${k}`), isCorrect: true, at: NOW });
    const due = state.skills.add?.review?.dueAt as number;
    const effect = recordResponse(state, model, { item: item("q9"), isCorrect: true, at: due });
    expect(effect.skills[0]).toMatchObject({ mastery: "unchanged", isReview: true });
    expect((state.skills.add?.review?.dueAt as number) - due).toBeGreaterThan(7 * DAY);
  });

  it("uses per-skill mastery thresholds", () => {
    const lenient = createKnowledgeModel({
      bkt: { add: PARAMS },
      thresholds: { add: 0.7 },
      masteryRule: "bkt",
    });
    const state = createLearnerState();
    const effect = recordResponse(state, lenient, { item: item("q1"), isCorrect: true, at: NOW });
    expect(effect.skills[0]?.mastery).toBe("gained");
    expect(() => createKnowledgeModel({ threshold: 1.2 })).toThrow("must be in (0, 1)");
  });

  it("shifts BKT predictions by authored difficulty when no logistic model is fitted", () => {
    const state = createLearnerState();
    const plain = predictCorrect(state, model, item("q"));
    expect(predictCorrect(state, model, item("q", ["add"], 1))).toBeLessThan(plain);
    expect(predictCorrect(state, model, item("q", ["add"], -1))).toBeGreaterThan(plain);
  });

  it("round-trips through compact JSON, keeping predictions", () => {
    const rng = createRng(4);
    const state = createLearnerState();
    for (let k = 0; k < 60; k++) {
      recordResponse(state, model, {
        item: item(`q${k % 7}`, [k % 3 ? "add" : "sub"]),
        isCorrect: rng.chance(0.8),
        at: NOW + k * DAY,
      });
    }
    recordResponse(state, model, { item: item("q9"), isCorrect: true, at: NOW + 60 * DAY });
    const restored = parseLearnerState(serializeLearnerState(state));
    expect(serializeLearnerState(restored)).toBe(serializeLearnerState(state));
    expect(predictCorrect(restored, model, item("q2"))).toBeCloseTo(
      predictCorrect(state, model, item("q2")),
      5,
    );
    expect(restored.recentItems).toEqual(state.recentItems);
    // State stored before runs of right answers were kept reads as no run yet.
    const stored = JSON.parse(serializeLearnerState(state));
    stored.e.t = stored.e.t.slice(0, 8);
    for (const id of Object.keys(stored.e.s)) stored.e.s[id] = stored.e.s[id].slice(0, 8);
    const older = parseLearnerState(JSON.stringify(stored));
    expect(restored.evidence.total.streak).toBeGreaterThan(0);
    expect(older.evidence.total).toEqual({ ...restored.evidence.total, streak: 0 });
  });

  /** A logistic model fitted on a class whose answers on "add" are right at `rate(learner)`. */
  const logisticOf = (rate: number | ((learner: number) => number)) => {
    const builder = createResponseLogBuilder();
    const rng = createRng(5);
    for (let l = 0; l < 100; l++) {
      for (let k = 0; k < 10; k++) {
        builder.add({
          learnerId: `l${l}`,
          itemId: `q${k}`,
          skillIds: ["add"],
          isCorrect: rng.chance(typeof rate === "number" ? rate : rate(l)),
        });
      }
    }
    return fitLogistic(builder.build());
  };

  /**
   * A new learner answers "add" items, the k-th (from 1) as `isRight(k)` says, with a hint
   * before answer `hintAt`, until `isDone`: that k, or Infinity after `limit` answers.
   */
  const answersUntil = (
    model: KnowledgeModel,
    isDone: (state: LearnerState) => boolean,
    options: { isRight?: (k: number) => boolean; hintAt?: number | undefined; limit?: number } = {},
  ): number => {
    const { isRight = () => true, hintAt, limit = 200 } = options;
    const state = createLearnerState();
    for (let k = 1; k <= limit; k++) {
      const response = { item: item(`q${k % 10}`), isCorrect: isRight(k), at: NOW };
      recordResponse(state, model, { ...response, usedHint: k === hintAt });
      if (isDone(state)) return k;
    }
    return Number.POSITIVE_INFINITY;
  };
  const isAddMastered = (state: LearnerState) => state.skills.add?.isMastered === true;
  /** "add" learned gradually: the logistic check asks for `level` on a typical item. */
  const gradualAdd = (logistic: LogisticModel, level: number) =>
    createKnowledgeModel({
      bkt: { add: PARAMS },
      logistic,
      gradualSkills: ["add"],
      gradualMasteryLevel: level,
    });

  it("asks the logistic model's agreement before mastery, except on skills BKT decides alone", () => {
    // A class that mostly fails "add" (rate 0.3), or mostly succeeds (0.9).
    const masteredAfter = (options: Partial<KnowledgeModelOptions>): number =>
      answersUntil(createKnowledgeModel({ bkt: { add: PARAMS }, ...options }), isAddMastered, {
        limit: 20,
      });
    // The logistic model expects little of a new learner: BKT alone takes three right answers
    // from P(known) 0.3 past 0.95 (0.71, 0.93, 0.99); with the agreement, more.
    const weak = logisticOf(0.3);
    expect(masteredAfter({ logistic: weak, bktAloneSkills: ["add"] })).toBe(3);
    expect(masteredAfter({ logistic: weak })).toBeGreaterThan(3);
    // A class that does well agrees at once. Learned gradually, the logistic model must also
    // predict the gradual level, whatever BKT expects, and agree twice in a row (the fourth
    // answer); a lower level changes nothing.
    const strong = logisticOf(0.9);
    expect(masteredAfter({ logistic: strong })).toBe(3);
    const gradual = { logistic: strong, gradualSkills: ["add"] };
    expect(masteredAfter({ ...gradual, gradualMasteryLevel: 0.999 })).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(masteredAfter({ ...gradual, gradualMasteryLevel: 0.1 })).toBe(4);
  });

  it("declares mastery of a gradual skill by the logistic check only after two agreeing answers", () => {
    const model = gradualAdd(logisticOf(0.9), 0.5);
    const state = createLearnerState();
    const answer = (isCorrect: boolean) =>
      recordResponse(state, model, { item: item("q1"), isCorrect, at: NOW });
    answer(true);
    answer(true);
    answer(true); // BKT 0.99 and the model agree, once
    expect(state.skills.add).toMatchObject({ isMastered: false, agreed: true });
    // The flag survives storage, so the next answer can complete the pair.
    const stored = parseLearnerState(serializeLearnerState(state));
    expect(stored.skills.add?.agreed).toBe(true);
    answer(false); // the pair is broken
    expect(state.skills.add).toMatchObject({ isMastered: false });
    expect(state.skills.add?.agreed).toBeUndefined();
    answer(true);
    answer(true);
    expect(state.skills.add?.isMastered).toBe(true);
  });

  it("lets a run of right answers pass the logistic check where the model cannot reach it", () => {
    // Fitted on a class that mostly failed ten items, the model never predicts 90% success, so
    // only the learner's own record can show it: 29 right in a row (0.9^29 < 0.05).
    const model = gradualAdd(logisticOf(0.3), 0.9);
    expect(runOfRightAnswersFor(0.9)).toBe(29);
    expect(runOfRightAnswersFor(0.85)).toBe(19);
    const masteredAfter = (isRight: (k: number) => boolean, hintAt?: number) =>
      answersUntil(model, isAddMastered, { isRight, hintAt });
    expect(masteredAfter(() => true)).toBe(29);
    // A wrong answer, or a right one after a hint, starts the run again.
    expect(masteredAfter((k) => k !== 20)).toBe(49);
    expect(masteredAfter(() => true, 20)).toBe(49);
    // Nearly always right is not a run: 9 of 10 never shows more than 90%.
    expect(masteredAfter((k) => k % 10 !== 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it("calls a learner stuck after many attempts only while they still mostly fail", () => {
    // Mastery out of reach (the model must predict 99.9%), so only the answers differ. In a
    // class of strong and weak learners the logistic model tells them apart by their answers.
    const stuckAfter = (isRight: boolean, options: Partial<KnowledgeModelOptions>) => {
      const model = createKnowledgeModel({ bkt: { add: PARAMS }, ...options });
      const isDone = (state: LearnerState) => {
        expect(isAddMastered(state)).toBe(false);
        return isStuck(state, model, "add");
      };
      return answersUntil(model, isDone, { isRight: () => isRight, limit: 30 });
    };
    const mixed = {
      logistic: logisticOf((l) => (l % 2 ? 0.9 : 0.3)),
      gradualSkills: ["add"],
      gradualMasteryLevel: 0.999,
    };
    expect(stuckAfter(false, mixed)).toBe(15);
    expect(stuckAfter(true, mixed)).toBe(Number.POSITIVE_INFINITY);
    // Without a logistic model BKT's expectation decides.
    expect(stuckAfter(false, {})).toBe(15);
  });

  it("stays small: under 24 kB for a learner who practised every skill of a 100-skill course", () => {
    const builder = createResponseLogBuilder();
    const rng = createRng(2);
    for (let l = 0; l < 60; l++) {
      for (let k = 0; k < 150; k++) {
        const s = rng.int(100);
        builder.add({
          learnerId: `l${l}`,
          itemId: `s${s}.q${rng.int(10)}`,
          skillIds: [`skill-${s}`],
          isCorrect: rng.chance(0.7),
        });
      }
    }
    const full = createKnowledgeModel({ logistic: fitLogistic(builder.build()) });
    const state = createLearnerState();
    for (let k = 0; k < 3000; k++) {
      const s = k % 100;
      recordResponse(state, full, {
        item: item(`s${s}.q${k % 10}`, [`skill-${s}`]),
        isCorrect: rng.chance(0.85),
        at: NOW + k * 60_000,
      });
    }
    expect(Object.keys(state.skills)).toHaveLength(100);
    expect(Object.keys(state.evidence.items).length).toBeLessThanOrEqual(150);
    expect(serializeLearnerState(state).length).toBeLessThan(24_000);
  });

  it("rejects corrupt stored state with a clear error", () => {
    expect(() => parseLearnerState("{nope")).toThrow("not JSON");
    expect(() =>
      parseLearnerState(
        JSON.stringify({ v: 1, s: { add: { p: 2, m: 0 } }, e: { t: [], s: {}, i: {} }, ri: [] }),
      ),
    ).toThrow(ValidationError);
  });
});
