import { describe, expect, it } from "vitest";
import {
  createCompetencyGraph,
  PrerequisiteCycleError,
  ValidationError,
} from "../../src/engine/index.ts";

const FRACTIONS = [
  { id: "divide", prerequisites: ["multiply", "reciprocal"] },
  { id: "equivalent" },
  { id: "simplify", prerequisites: ["equivalent"] },
  { id: "multiply", prerequisites: ["simplify"] },
  { id: "reciprocal" },
];

describe("competency graph", () => {
  const graph = createCompetencyGraph(FRACTIONS);

  it("orders prerequisites before the skills that need them, ties in input order", () => {
    expect(graph.skillIds).toEqual(["equivalent", "simplify", "multiply", "reciprocal", "divide"]);
  });

  it("gives ancestors and descendants in topological order", () => {
    expect(graph.ancestorsOf("divide")).toEqual([
      "equivalent",
      "simplify",
      "multiply",
      "reciprocal",
    ]);
    expect(graph.ancestorsOf("equivalent")).toEqual([]);
    expect(graph.descendantsOf("equivalent")).toEqual(["simplify", "multiply", "divide"]);
    expect(graph.prerequisitesOf("divide")).toEqual(["multiply", "reciprocal"]);
    expect(graph.dependentsOf("simplify")).toEqual(["multiply"]);
  });

  it("spells out a cycle in the error", () => {
    const attempt = () =>
      createCompetencyGraph([
        { id: "a", prerequisites: ["c"] },
        { id: "b", prerequisites: ["a"] },
        { id: "c", prerequisites: ["b"] },
        { id: "d" },
      ]);
    expect(attempt).toThrow(PrerequisiteCycleError);
    expect(attempt).toThrow("Prerequisite cycle: a → b → c → a");
    try {
      attempt();
      expect.fail("a cycle must throw");
    } catch (error) {
      expect((error as PrerequisiteCycleError).cycle).toEqual(["a", "b", "c", "a"]);
      expect((error as PrerequisiteCycleError).code).toBe("prerequisite_cycle");
    }
  });

  it("reports a skill that requires itself", () => {
    expect(() => createCompetencyGraph([{ id: "loop", prerequisites: ["loop"] }])).toThrow(
      "Prerequisite cycle: loop → loop",
    );
  });

  it("rejects unknown prerequisites, duplicates and unknown lookups by name", () => {
    expect(() => createCompetencyGraph([{ id: "a", prerequisites: ["ghost"] }])).toThrow(
      'Skill "a" lists prerequisite "ghost", which is not a skill',
    );
    expect(() => createCompetencyGraph([{ id: "a" }, { id: "a" }])).toThrow(
      'Skill "a" is defined twice',
    );
    expect(() => graph.ancestorsOf("ghost")).toThrow(ValidationError);
    expect(() => graph.ancestorsOf("ghost")).toThrow('Unknown skill "ghost"');
  });
});
