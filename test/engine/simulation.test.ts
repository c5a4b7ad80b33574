import { describe, expect, it } from "vitest";
import {
  bestPostTestCurve,
  createCompetencyGraph,
  generateCourse,
  simulate,
} from "../../src/engine/index.ts";

const SMALL = { skills: 5, learners: 40, seed: 3, pilotLearners: 80, refitLearners: 40 } as const;

describe("simulation", () => {
  it("generates a course graph with prerequisites among earlier skills", () => {
    const course = generateCourse(10, 6, 1);
    expect(course.graph.skillIds).toHaveLength(10);
    expect(course.graph.skillIds.some((id) => course.graph.prerequisitesOf(id).length > 0)).toBe(
      true,
    );
    expect(course.items.get("s0")).toHaveLength(6);
  });

  it("is deterministic for a seed", () => {
    expect(simulate(SMALL, ["adaptive", "fixed"], ["bkt"])).toEqual(
      simulate(SMALL, ["adaptive", "fixed"], ["bkt"]),
    );
  });

  it("reports every policy under both generative models, with sane values", () => {
    const report = simulate(SMALL);
    expect(report.runs.map((r) => `${r.generator}/${r.policy}`)).toEqual([
      "bkt/adaptive",
      "bkt/fixed",
      "bkt/random",
      "bkt/oracle",
      "bkt/greedy",
      "logistic/adaptive",
      "logistic/fixed",
      "logistic/random",
      "logistic/oracle",
      "logistic/greedy",
    ]);
    for (const run of report.runs) {
      for (const rate of [
        run.postTestAccuracy,
        run.underPracticeRate,
        run.learnedRate,
        run.stuckRate,
      ]) {
        expect(rate).toBeGreaterThanOrEqual(0);
        expect(rate).toBeLessThanOrEqual(1);
      }
      expect(run.accuracyCurve[0]).toBeLessThanOrEqual(run.postTestAccuracy + 1e-9);
    }
    const fixed = report.runs.find((r) => r.generator === "bkt" && r.policy === "fixed");
    expect(fixed?.itemsPerLearner).toBe(50);
    expect(report.comparisons.map((c) => `${c.generator}/${c.policy}`)).toContain("bkt/adaptive");
    for (const comparison of report.comparisons) {
      if (comparison.underPracticeAtMatch !== null) {
        expect(comparison.underPracticeAtMatch).toBeGreaterThanOrEqual(0);
        expect(comparison.underPracticeAtMatch).toBeLessThanOrEqual(1);
      }
      // The oracle sees the truth: it never calls an unlearned skill done.
      if (comparison.policy === "oracle") expect(comparison.underPracticeAtMatch ?? 0).toBe(0);
    }
  });

  it("the adaptive policy declares mastery far more reliably than fixed practice finishes skills", () => {
    const report = simulate({ ...SMALL, learners: 80 }, ["adaptive", "fixed"], ["bkt"]);
    const [adaptive, fixed] = report.runs;
    expect(adaptive?.underPracticeRate).toBeLessThan(0.1);
    expect(adaptive?.underPracticeRate).toBeLessThan((fixed?.underPracticeRate as number) / 2);
    expect(adaptive?.learnedRate).toBeGreaterThan(fixed?.learnedRate as number);
  });

  it("fits the engine again on a class that practised with it: only the adaptive policy changes", () => {
    const pilotOnly = simulate({ ...SMALL, refitLearners: 0 }, ["adaptive", "fixed"], ["logistic"]);
    const refitted = simulate(SMALL, ["adaptive", "fixed"], ["logistic"]);
    expect(refitted.runs[1]).toEqual(pilotOnly.runs[1]);
    // Fitted on practice in blocks only, the logistic model underrates learners deep into the
    // engine's interleaved practice, so mastery comes late (see the README).
    expect(refitted.runs[0]?.itemsPerLearner).toBeLessThan(
      pilotOnly.runs[0]?.itemsPerLearner as number,
    );
  });

  it("without a pilot class, starts unfitted and fits on its own classes' practice, round by round", () => {
    const noPilot = { ...SMALL, pilotItemsPerSkill: 0 };
    const run = (options: object) =>
      simulate({ ...noPilot, ...options }, ["adaptive", "fixed"], ["logistic"]).runs;
    const [unfitted, fixed] = run({ refitLearners: 0 });
    const [firstFit, fixedAgain] = run({});
    const [secondFit] = run({ refitRounds: 2 });
    const [withPilot] = simulate(SMALL, ["adaptive"], ["logistic"]).runs;
    expect(fixedAgain).toEqual(fixed);
    // BKT's defaults declare gradually learning learners masters early; a fit on the first
    // class's short practice helps little, and far less than a pilot's (see the README).
    expect(unfitted?.underPracticeRate).toBeGreaterThan(0.5);
    expect(firstFit?.underPracticeRate).toBeLessThan(unfitted?.underPracticeRate as number);
    expect(firstFit?.underPracticeRate).toBeGreaterThan(
      5 * (withPilot?.underPracticeRate as number),
    );
    expect(secondFit).not.toEqual(firstFit);
  });

  it("the greedy reference spends at most the fixed budget and matches fixed practice with fewer items", () => {
    const report = simulate(SMALL, ["fixed", "greedy"]);
    for (const generator of ["bkt", "logistic"] as const) {
      const [fixed, greedy] = report.runs.filter((r) => r.generator === generator);
      expect(greedy?.itemsPerLearner).toBeLessThanOrEqual(fixed?.itemsPerLearner as number);
      expect(greedy?.postTestAccuracy).toBeGreaterThan(fixed?.postTestAccuracy as number);
      const comparison = report.comparisons.find((c) => c.generator === generator);
      expect(comparison?.itemSavings).toBeGreaterThan(0);
    }
    // The optima exist where learning does not depend on luck, and no policy beats them.
    const optima = report.comparisons.filter((c) => c.policy.endsWith("optimum"));
    expect(optima.map((c) => `${c.generator}/${c.policy}`)).toEqual([
      "logistic/optimum",
      "logistic/prerequisite-optimum",
      "logistic/mastery-optimum",
    ]);
    const greedy = report.comparisons.find((c) => c.generator === "logistic");
    expect(optima[0]?.itemsToMatch).toBeLessThanOrEqual(greedy?.itemsToMatch as number);
  });

  // s0 comes before s1 and s2, s1 before s3; learned at 80% success, a quarter of the learning
  // while a prerequisite is not learned (the logistic learners' rules). Each case shows what a
  // rule gives up, at the budget given.
  it.each([
    {
      // s2, learned from the start, is worth practising on: mastery learning stops it.
      gives: "mastery",
      start: { s0: 0.2, s1: -1, s2: 1.5, s3: -0.3 },
      atBudget: 7,
    },
    {
      // s2 learns fast but must wait for s0, which learns slowly.
      gives: "prerequisites",
      start: { s0: -0.6, s1: -1, s2: 0, s3: -0.3 },
      atBudget: 4,
    },
  ] as const)(
    "the optima are exact: no sequence of practice reaches a higher post-test ($gives)",
    ({ gives, start, atBudget }) => {
      const graph = createCompetencyGraph([
        { id: "s0", prerequisites: [] },
        { id: "s1", prerequisites: ["s0"] },
        { id: "s2", prerequisites: ["s0"] },
        { id: "s3", prerequisites: ["s1"] },
      ]);
      const step: Record<string, number> = { s0: 0.5, s1: 0.8, s2: 2, s3: 0.3 };
      const learnedAt = Math.log(0.8 / 0.2);
      const budget = 7;
      // Every sequence of k items, its post-test, and the rules it followed.
      const play = (sequence: readonly string[]) => {
        const eta: Record<string, number> = { ...start };
        const isLearned = (id: string): boolean => (eta[id] as number) >= learnedAt;
        let isGated = true;
        let isMastery = true;
        for (const id of sequence) {
          const isReady = graph.prerequisitesOf(id).every(isLearned);
          if (!isReady) isGated = false;
          if (!isReady || isLearned(id)) isMastery = false;
          eta[id] = (eta[id] as number) + (step[id] as number) * (isReady ? 1 : 0.25);
        }
        const postTest = Object.values(eta).reduce((sum, x) => sum + 1 / (1 + Math.exp(-x)), 0) / 4;
        return { postTest, follows: { none: true, prerequisites: isGated, mastery: isMastery } };
      };
      const rules = ["none", "prerequisites", "mastery"] as const;
      const startOf = (id: string): number => start[id as keyof typeof start];
      const curves = rules.map((r) =>
        bestPostTestCurve(graph, startOf, (id) => step[id] as number, budget, r),
      );
      let sequences: string[][] = [[]];
      const best = rules.map(() => 0);
      for (let k = 0; k <= budget; k++) {
        const outcomes = sequences.map(play);
        rules.forEach((r, i) => {
          const followed = outcomes.filter((o) => o.follows[r]).map((o) => o.postTest);
          best[i] = Math.max(best[i] as number, ...followed);
          expect(curves[i]?.[k]).toBeCloseTo(best[i] as number, 12);
        });
        sequences = sequences.flatMap((sequence) => graph.skillIds.map((id) => [...sequence, id]));
      }
      const at = rules.map((_, i) => curves[i]?.[atBudget] as number);
      const i = rules.indexOf(gives);
      expect(at[i]).toBeLessThan((at[i - 1] as number) - 1e-3);
    },
  );

  it("practises a given course: its graph and items, with the items' authored difficulty", () => {
    const graph = createCompetencyGraph([
      { id: "a", prerequisites: [] },
      { id: "b", prerequisites: ["a"] },
    ]);
    const courseWith = (difficulty: number) => ({
      graph,
      items: new Map(
        graph.skillIds.map((id) => [
          id,
          [0, 1, 2].map((k) => ({ id: `${id}${k}`, skillIds: [id], difficulty })),
        ]),
      ),
    });
    const options = { learners: 40, seed: 5, pilotLearners: 60, refitLearners: 40 };
    const run = (difficulty: number) =>
      simulate({ ...options, course: courseWith(difficulty) }, ["adaptive", "fixed"], ["logistic"])
        .runs;
    const [easy, fixed] = run(-4);
    expect(fixed).toMatchObject({ policy: "fixed", itemsPerLearner: 20 });
    expect(run(-4)).toEqual([easy, fixed]);
    // Logistic learners answer by the item's difficulty: on very hard items the engine sees
    // wrong answers, however much they learned, and keeps practising; on easy ones it stops.
    const [hard] = run(4);
    expect(easy?.itemsPerLearner).toBeLessThan(10);
    expect(hard?.itemsPerLearner).toBeGreaterThan(3 * (easy?.itemsPerLearner as number));
  });

  it("rejects bad options and courses it cannot simulate, by name", () => {
    expect(() => simulate({ ...SMALL, learners: 0 })).toThrow(
      "learners must be a positive integer",
    );
    expect(() => simulate({ ...SMALL, refitLearners: -1 })).toThrow(
      "refitLearners must be a whole number",
    );
    expect(() => simulate({ ...SMALL, pilotItemsPerSkill: -1 })).toThrow(
      "pilotItemsPerSkill must be a whole number",
    );
    expect(() => simulate({ ...SMALL, refitRounds: 0 })).toThrow(
      "refitRounds must be a positive integer",
    );
    expect(() => simulate({ ...SMALL, skills: 1.5 })).toThrow(
      "--skills must be a positive integer",
    );
    const graph = createCompetencyGraph([
      { id: "a", prerequisites: [] },
      { id: "b", prerequisites: [] },
    ]);
    const a = { id: "a0", skillIds: ["a"] };
    expect(() => simulate({ ...SMALL, course: { graph, items: new Map() } })).toThrow(
      "Simulate either a course or a number of skills",
    );
    const { skills: _skills, ...options } = SMALL;
    expect(() => simulate({ ...options, course: { graph, items: new Map([["a", [a]]]) } })).toThrow(
      'Skill "b" has no items to practise',
    );
    const both = { id: "ab", skillIds: ["a", "b"] };
    expect(() =>
      simulate({
        ...options,
        course: {
          graph,
          items: new Map([
            ["a", [a]],
            ["b", [both]],
          ]),
        },
      }),
    ).toThrow('Item "ab" practises a and b');
  });
});
