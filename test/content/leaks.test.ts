import { describe, expect, it } from "vitest";
import { type CheckableItem, revealsAnswer } from "../../src/content/index.ts";

const base = { id: "i", skill: "s", prompt: "p", solution: "s", hints: [], feedback: [] };
const numeric = (answer: string): CheckableItem => ({
  ...base,
  type: "numeric",
  answer,
  tolerance: 0,
  simplest: false,
});

describe("answer-leak detection", () => {
  it("finds a number answer in any equivalent form", () => {
    const item = numeric("3/4");
    for (const text of [
      "The answer is 3/4.",
      "It's 6/8 in lowest terms",
      "about 0.75",
      "75% of it",
      "that makes 3 / 4",
    ]) {
      expect(revealsAnswer(item, text), text).toBe(true);
    }
    for (const text of ["Multiply top and bottom by 2.", "Think of 4 equal parts.", "1/4 + 1/2"]) {
      expect(revealsAnswer(item, text), text).toBe(false);
    }
  });

  it("ignores single-digit integers, which hints use all the time, but not larger ones", () => {
    expect(revealsAnswer(numeric("4"), "Split 8 into 2 groups of 4.")).toBe(false);
    expect(revealsAnswer(numeric("12"), "You should get 12.")).toBe(true);
    expect(revealsAnswer(numeric("1250"), "That's 1,250.")).toBe(true);
  });

  it("finds the correct choice by text or label", () => {
    const item: CheckableItem = {
      ...base,
      type: "choice",
      choices: ["Paris", "Rome", "Lyon"],
      answer: "Rome",
    };
    expect(revealsAnswer(item, "It's Rome, the eternal city.")).toBe(true);
    expect(revealsAnswer(item, "Pick option b.")).toBe(true);
    expect(revealsAnswer(item, "Think of the capital.")).toBe(false);
    expect(revealsAnswer(item, "Romeo is not a city.")).toBe(false);
  });

  it("finds accepted text answers as whole words", () => {
    const item: CheckableItem = {
      ...base,
      type: "text",
      answer: "numerator",
      alternatives: ["top"],
      caseSensitive: false,
    };
    expect(revealsAnswer(item, "The NUMERATOR is on top.")).toBe(true);
    expect(revealsAnswer(item, "Look at the number above the line.")).toBe(false);
  });
});
