import { describe, expect, it } from "vitest";
import {
  type CheckableItem,
  checkAnswer,
  editDistance,
  formatMixed,
  readChoice,
  readNumber,
} from "../../src/content/index.ts";
import { exact } from "../../src/content/math.ts";

const numeric = (
  answer: string,
  extra: Partial<Extract<CheckableItem, { type: "numeric" }>> = {},
): CheckableItem => ({
  id: "n",
  type: "numeric",
  skill: "s",
  prompt: "p",
  solution: "s",
  hints: [],
  feedback: [],
  answer,
  tolerance: 0,
  simplest: false,
  ...extra,
});
const verdict = (item: CheckableItem, input: string) => checkAnswer(item, input).verdict;

describe("reading numbers", () => {
  it.each([
    ["3", "3", "integer"],
    ["-12", "-12", "integer"],
    ["1,250", "1250", "integer"],
    ["0.75", "3/4", "decimal"],
    [".5", "1/2", "decimal"],
    ["3/4", "3/4", "fraction"],
    [" 3 / 4 ", "3/4", "fraction"],
    ["6/8", "3/4", "fraction"],
    ["1 1/2", "3/2", "mixed"],
    ["-2 1/3", "-7/3", "mixed"],
    ["1½", "3/2", "mixed"],
    ["¾", "3/4", "fraction"],
    ["75%", "3/4", "percent"],
    ["12.5 %", "1/8", "percent"],
    ["−4", "-4", "integer"],
  ])("reads %j as %s (%s)", (input, value, form) => {
    const read = readNumber(input);
    expect(read?.form).toBe(form);
    expect(
      exact.math.equal(read?.value as never, exact.math.fraction(value)),
      `${input} = ${value}`,
    ).toBe(true);
  });

  it.each(["", "three", "3/0", "1 5/4", "3..4", "4/", "1,25", "0x10", "1e3", "3 4"])(
    "refuses %j",
    (input) => {
      expect(readNumber(input)).toBeUndefined();
    },
  );

  it("respects the forms the author allows", () => {
    const fractionsOnly = {
      fraction: true,
      decimal: false,
      percent: false,
      mixed: true,
      thousands: false,
    };
    expect(readNumber("0.75", fractionsOnly)).toBeUndefined();
    expect(readNumber("75%", fractionsOnly)).toBeUndefined();
    expect(readNumber("1,000", fractionsOnly)).toBeUndefined();
    expect(readNumber("3/4", fractionsOnly)?.form).toBe("fraction");
  });

  it("knows lowest terms and formats mixed numbers", () => {
    expect(readNumber("6/8")?.isLowestTerms).toBe(false);
    expect(readNumber("3/4")?.isLowestTerms).toBe(true);
    expect(formatMixed(exact.math.fraction("-7/3"))).toBe("-2 1/3");
    expect(formatMixed(exact.math.fraction("3/4"))).toBe("3/4");
  });
});

describe("checking answers", () => {
  it("accepts every equivalent form of a number: 3/4, 0.75, 75%, 6/8", () => {
    const item = numeric("3/4");
    for (const input of ["3/4", "0.75", ".75", "75%", "6/8", "3 / 4", "¾", "0.750"])
      expect(verdict(item, input), input).toBe("correct");
  });

  it("rejects near misses", () => {
    const item = numeric("3/4");
    for (const input of ["0.7", "0.76", "3/5", "4/3", "-3/4", "7.5", "1 3/4"])
      expect(verdict(item, input), input).toBe("incorrect");
  });

  it("requires simplest form when asked, naming the near miss", () => {
    const item = numeric("3/4", { simplest: true });
    expect(checkAnswer(item, "6/8")).toEqual({ verdict: "incorrect", isUnsimplified: true });
    expect(verdict(item, "3/4")).toBe("correct");
  });

  it("says when a number comes in a form the item does not take", () => {
    const mixedOnly = numeric("41/8", {
      forms: { fraction: false, decimal: false, percent: false, mixed: true, thousands: false },
    });
    expect(checkAnswer(mixedOnly, "41/8")).toEqual({ verdict: "unreadable", isWrongForm: true });
    expect(checkAnswer(mixedOnly, "five")).toEqual({ verdict: "unreadable" });
    expect(verdict(mixedOnly, "5 1/8")).toBe("correct");
  });

  it("reads percent questions in percent, with or without the sign", () => {
    const item = numeric("75", { unit: "percent" });
    expect(verdict(item, "75")).toBe("correct");
    expect(verdict(item, "75%")).toBe("correct");
    expect(verdict(item, "0.75")).toBe("incorrect");
  });

  it("applies an absolute tolerance", () => {
    const item = numeric("3.14159", { tolerance: 0.01 });
    expect(verdict(item, "3.14")).toBe("correct");
    expect(verdict(item, "3.1")).toBe("incorrect");
  });

  it("reads choices by number, letter or text, and rejects others", () => {
    const choices = ["2/4", "2/3", "3/4"];
    expect(readChoice(choices, "1")).toBe(0);
    expect(readChoice(choices, "c")).toBe(2);
    expect(readChoice(choices, "(B)")).toBe(1);
    expect(readChoice(choices, "2/3")).toBe(1);
    expect(readChoice(choices, "0.75")).toBe(2);
    expect(readChoice(choices, "d")).toBeUndefined();
    expect(readChoice(choices, "7")).toBeUndefined();
    const item: CheckableItem = {
      ...numeric("x"),
      type: "choice",
      choices,
      answer: "3/4",
    } as CheckableItem;
    expect(verdict(item, "3")).toBe("correct");
    expect(checkAnswer(item, "a")).toEqual({ verdict: "incorrect", choiceIndex: 0 });
    expect(verdict(item, "dunno")).toBe("unreadable");
  });

  it("judges algebraic expressions by value", () => {
    const item: CheckableItem = {
      ...numeric("x"),
      type: "expression",
      answer: "2(x + 1)",
    } as CheckableItem;
    for (const input of ["2x + 2", "2*x+2", "x + x + 2", "2 (1 + x)", "(4x + 4)/2"])
      expect(verdict(item, input), input).toBe("correct");
    for (const input of ["2x + 1", "x + 2", "2y + 2"])
      expect(verdict(item, input), input).toBe("incorrect");
    expect(verdict(item, "2x +")).toBe("unreadable");
    const square: CheckableItem = {
      ...numeric("x"),
      type: "expression",
      answer: "(a + b)^2",
    } as CheckableItem;
    expect(verdict(square, "a^2 + 2ab + b^2")).toBe("correct");
    expect(verdict(square, "a^2 + b^2")).toBe("incorrect");
  });

  it("normalises text answers and forgives a typo in longer words", () => {
    const item: CheckableItem = {
      ...numeric("x"),
      type: "text",
      answer: "denominator",
      alternatives: ["the denominator"],
      caseSensitive: false,
    } as CheckableItem;
    for (const input of [
      "denominator",
      "Denominator.",
      "  the   denominator ",
      "denomniator",
      "denominater",
    ]) {
      expect(verdict(item, input), input).toBe("correct");
    }
    for (const input of ["numerator", "denom", "dnmntr"])
      expect(verdict(item, input), input).toBe("incorrect");
  });

  it("compares code output exactly when case-sensitive", () => {
    const item: CheckableItem = {
      ...numeric("x"),
      type: "text",
      answer: "True",
      alternatives: [],
      caseSensitive: true,
    } as CheckableItem;
    expect(verdict(item, "True")).toBe("correct");
    expect(verdict(item, "true")).toBe("incorrect");
    expect(verdict(item, "Tru")).toBe("incorrect");
    const hello: CheckableItem = { ...item, answer: "Hello, world!" } as CheckableItem;
    expect(verdict(hello, "Hello, world!")).toBe("correct");
    expect(verdict(hello, "Hello, world")).toBe("incorrect");
  });

  it("measures edit distance with adjacent swaps", () => {
    expect(editDistance("half", "hlaf")).toBe(1);
    expect(editDistance("half", "halves")).toBe(3);
    expect(editDistance("a", "abcdefgh", 2)).toBe(3);
  });

  it("treats empty and over-long input as unreadable", () => {
    expect(verdict(numeric("3"), "   ")).toBe("unreadable");
    expect(verdict(numeric("3"), "3".repeat(600))).toBe("unreadable");
  });
});
