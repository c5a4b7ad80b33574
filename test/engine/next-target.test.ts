import { describe, expect, it } from "vitest";
import {
  type Assignment,
  chooseNextTarget,
  createCompetencyGraph,
  createKnowledgeModel,
  createLearnerState,
  createReviewScheduler,
  type LearnerState,
  type NextTarget,
} from "../../src/engine/index.ts";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 3, 1, 9, 0);
// equivalent → simplify → add-unlike → add-mixed; multiply stands alone.
const graph = createCompetencyGraph([
  { id: "equivalent" },
  { id: "simplify", prerequisites: ["equivalent"] },
  { id: "add-unlike", prerequisites: ["simplify"] },
  { id: "add-mixed", prerequisites: ["add-unlike"] },
  { id: "multiply" },
]);
const model = createKnowledgeModel({ masteryRule: "bkt" });
const scheduler = createReviewScheduler();

/** A learner with the given skills mastered (reviews due `reviewInDays` after NOW) or under way. */
function learner(
  mastered: string[],
  practising: Record<string, number> = {},
  reviewInDays = 5,
): LearnerState {
  const state = createLearnerState();
  for (const skillId of mastered) {
    const review = { ...scheduler.start(NOW - DAY), dueAt: NOW + reviewInDays * DAY };
    state.skills[skillId] = {
      pKnown: 0.99,
      isMastered: true,
      masteredAt: NOW - DAY,
      review,
      lastPracticedAt: NOW - DAY,
    };
  }
  for (const [skillId, attempts] of Object.entries(practising)) {
    state.skills[skillId] = { pKnown: 0.5, isMastered: false, lastPracticedAt: NOW - attempts };
    state.evidence.skills[skillId] = {
      attempts,
      correct: 0,
      recentCorrect: 0,
      recentIncorrect: 0,
      pattern: 1,
      residual: 0,
      recentResidual: 0,
      lastSeenAt: 100 - attempts,
      streak: 0,
    };
  }
  return state;
}

/** Sets P(known) of skills already in the learner's state. */
function withPKnown(state: LearnerState, pKnown: Record<string, number>): LearnerState {
  for (const [skillId, p] of Object.entries(pKnown)) {
    const progress = state.skills[skillId];
    if (progress) progress.pKnown = p;
  }
  return state;
}

const assign = (id: string, skillIds: string[], extra: Partial<Assignment> = {}): Assignment => ({
  id,
  skillIds,
  createdAt: NOW - DAY,
  ...extra,
});

interface Case {
  readonly name: string;
  readonly learner: LearnerState;
  readonly assignments?: Assignment[];
  readonly expected: Partial<NextTarget> & Record<string, unknown>;
}

const cases: Case[] = [
  {
    name: "a new learner starts at the first skill of the course",
    learner: learner([]),
    expected: { kind: "practice", skillId: "equivalent", reason: "frontier" },
  },
  {
    name: "frontier: the next skill whose prerequisites are mastered",
    learner: learner(["equivalent"]),
    expected: { kind: "practice", skillId: "simplify", reason: "frontier" },
  },
  {
    name: "frontier: the skill where an item should raise success most, not the one under way",
    learner: learner(["equivalent", "simplify", "add-unlike"], { multiply: 3 }),
    expected: { kind: "practice", skillId: "add-mixed", reason: "frontier" },
  },
  {
    name: "frontier: a skill the learner knows less comes first, whatever the course order",
    learner: withPKnown(learner(["equivalent", "simplify", "add-unlike"], { multiply: 3 }), {
      multiply: 0.1,
    }),
    expected: { kind: "practice", skillId: "multiply", reason: "frontier" },
  },
  {
    name: "frontier: a probably known skill that alone blocks another is confirmed first",
    learner: withPKnown(learner([], { equivalent: 3 }), { equivalent: 0.8 }),
    expected: { kind: "practice", skillId: "equivalent", reason: "frontier" },
  },
  {
    name: "assignment: an assigned skill comes first",
    learner: learner(["equivalent", "simplify"], { multiply: 2 }),
    assignments: [assign("a1", ["add-unlike"])],
    expected: { kind: "practice", skillId: "add-unlike", reason: "assignment", assignmentId: "a1" },
  },
  {
    name: "assignment prerequisite: unmastered prerequisites come in first, deepest first",
    learner: learner([]),
    assignments: [assign("a1", ["add-mixed"])],
    expected: {
      kind: "practice",
      skillId: "equivalent",
      reason: "assignment-prerequisite",
      assignmentId: "a1",
    },
  },
  {
    name: "assignment prerequisite: the next missing prerequisite once the first is mastered",
    learner: learner(["equivalent"]),
    assignments: [assign("a1", ["add-mixed"])],
    expected: { kind: "practice", skillId: "simplify", reason: "assignment-prerequisite" },
  },
  {
    name: "a forced assignment skips the prerequisite rule",
    learner: learner([]),
    assignments: [assign("a1", ["add-mixed"], { isForced: true })],
    expected: { kind: "practice", skillId: "add-mixed", reason: "assignment" },
  },
  {
    name: "the assignment due first wins",
    learner: learner(["equivalent", "simplify", "add-unlike"]),
    assignments: [
      assign("later", ["add-mixed"], { dueAt: NOW + 5 * DAY }),
      assign("sooner", ["multiply"], { dueAt: NOW + DAY }),
    ],
    expected: { skillId: "multiply", reason: "assignment", assignmentId: "sooner" },
  },
  {
    name: "a mastered assigned skill is done, unless the assignment counts items",
    learner: learner(["multiply"]),
    assignments: [assign("a1", ["multiply"])],
    expected: { skillId: "equivalent", reason: "frontier" },
  },
  {
    name: "a count-based assignment keeps a mastered skill in practice until its items are done",
    learner: learner(["multiply"]),
    assignments: [assign("a1", ["multiply"], { remainingItems: 3 })],
    expected: { skillId: "multiply", reason: "assignment" },
  },
  {
    name: "review: a mastered skill whose review is due comes before the frontier",
    learner: learner(["equivalent", "multiply"], {}, -1),
    expected: { kind: "practice", skillId: "equivalent", reason: "review" },
  },
  {
    name: "stuck: a skill with many attempts and no mastery yields to other ready skills",
    learner: learner([], { equivalent: 20 }),
    expected: { skillId: "multiply", reason: "frontier", isStuck: false },
  },
  {
    name: "not stuck: many attempts without mastery, but mostly right now, keeps its place",
    learner: withPKnown(learner(["multiply"], { equivalent: 20 }), { equivalent: 0.9 }),
    expected: { skillId: "equivalent", reason: "frontier", isStuck: false },
  },
  {
    name: "stuck: when nothing else is ready, the stuck skill is offered and flagged",
    learner: learner(["multiply"], { equivalent: 20 }),
    expected: { skillId: "equivalent", isStuck: true },
  },
  {
    name: "everything mastered: done, with the next review date",
    learner: learner(["equivalent", "simplify", "add-unlike", "add-mixed", "multiply"], {}, 4),
    expected: { kind: "done", reason: "all-mastered", nextReviewAt: NOW + 4 * DAY },
  },
];

describe("next target", () => {
  it.each(cases)("$name", ({ learner: state, assignments, expected }) => {
    const target = chooseNextTarget({
      graph,
      learner: state,
      model,
      now: NOW,
      assignments: assignments ?? [],
    });
    expect(target).toMatchObject(expected);
  });

  it("never offers a skill whose prerequisites are unmastered without a forcing assignment", () => {
    for (const mastered of [[], ["equivalent"], ["equivalent", "simplify"], ["multiply"]]) {
      const target = chooseNextTarget({ graph, learner: learner(mastered), model, now: NOW });
      if (target.kind === "practice") {
        for (const prerequisite of graph.prerequisitesOf(target.skillId))
          expect(mastered).toContain(prerequisite);
      }
    }
  });

  it("names an unknown assigned skill", () => {
    expect(() =>
      chooseNextTarget({
        graph,
        learner: learner([]),
        model,
        now: NOW,
        assignments: [assign("a9", ["ghost"])],
      }),
    ).toThrow('Assignment a9 names unknown skill "ghost"');
  });
});
