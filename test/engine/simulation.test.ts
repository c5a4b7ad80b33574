import { describe, expect, it } from "vitest";
import { generateCourse, simulate } from "../../src/engine/index.ts";

const SMALL = { skills: 5, learners: 40, seed: 3, pilotLearners: 80 } as const;

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

  it("the greedy reference spends at most the fixed budget and matches fixed practice with fewer items", () => {
    const report = simulate(SMALL, ["fixed", "greedy"]);
    for (const generator of ["bkt", "logistic"] as const) {
      const [fixed, greedy] = report.runs.filter((r) => r.generator === generator);
      expect(greedy?.itemsPerLearner).toBeLessThanOrEqual(fixed?.itemsPerLearner as number);
      expect(greedy?.postTestAccuracy).toBeGreaterThan(fixed?.postTestAccuracy as number);
      const comparison = report.comparisons.find((c) => c.generator === generator);
      expect(comparison?.itemSavings).toBeGreaterThan(0);
    }
  });

  it("rejects bad options by name", () => {
    expect(() => simulate({ ...SMALL, learners: 0 })).toThrow(
      "learners must be a positive integer",
    );
    expect(() => simulate({ ...SMALL, skills: 1.5 })).toThrow(
      "--skills must be a positive integer",
    );
  });
});
