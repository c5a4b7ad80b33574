import { describe, expect, it } from "vitest";
import { masteryBar } from "../../src/tutor/index.ts";

describe("masteryBar", () => {
  it.each([
    [0, "░░░░░░░░░░"],
    [0.34, "███░░░░░░░"],
    [0.45, "█████░░░░░"],
    [1, "██████████"],
    [1.7, "██████████"],
    [-1, "░░░░░░░░░░"],
    [Number.NaN, "░░░░░░░░░░"],
  ])("draws %s", (mastery, bar) => {
    expect(masteryBar(mastery)).toBe(bar);
  });

  it("draws any width", () => {
    expect(masteryBar(0.5, 4)).toBe("██░░");
  });
});
