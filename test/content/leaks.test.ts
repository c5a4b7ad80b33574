import { describe, expect, it } from "vitest";
import { type CheckableItem, findAnswerLeak, revealsAnswer } from "../../src/content/index.ts";

const base = { id: "i", skill: "s", prompt: "p", solution: "s", hints: [], feedback: [] };
const numeric = (answer: string, extra: Partial<CheckableItem> = {}): CheckableItem =>
  ({ ...base, type: "numeric", answer, tolerance: 0, simplest: false, ...extra }) as CheckableItem;
const text = (answer: string): CheckableItem => ({
  ...base,
  type: "text",
  answer,
  alternatives: [],
  caseSensitive: false,
});

describe("answer-leak detection: numbers", () => {
  const threeQuarters = numeric("3/4");

  it.each([
    "three quarters",
    "three-fourths",
    "seventy-five percent",
    "0.75",
    ".75",
    "75 %",
    "75%",
    "6/8",
    "3/4",
    "3 / 4",
    String.raw`\frac{3}{4}`,
    String.raw`\dfrac{3}{4}`,
    "3 over 4",
    "¾",
    "The answer is 3/4.",
    "It's 6/8 in lowest terms",
    "that makes 3 / 4",
  ])("finds 3/4 disguised as %j", (leak) => {
    expect(revealsAnswer(threeQuarters, leak)).toBe(true);
  });

  it.each([
    "Multiply top and bottom by 2.",
    "Think of 4 equal parts.",
    "1/4 + 1/2",
    "What is 3 times 4?",
    "Cut the bar in half, then in half again.",
    "Count the parts: 3 shaded out of 4 would be too quick a guess to trust.",
  ])("does not flag %j for 3/4", (hint) => {
    expect(revealsAnswer(threeQuarters, hint)).toBe(false);
  });

  it.each([
    ["1/2", "one half"],
    ["1/2", "a half"],
    ["1/2", "The answer is half."],
    ["3/2", "one and a half"],
    ["3/2", "1 1/2"],
    ["3/2", "1½ cups"],
    ["1/4", "a quarter"],
    ["1/4", "twenty-five percent"],
    ["12", "twelve"],
    ["12", "a dozen"],
    ["12", "You should get 12."],
    ["1250", "That's 1,250."],
    ["2000", "two thousand"],
    ["1/3", "about 0.33"],
    ["-3", "x = -3"],
  ])("finds %s written as %j", (answer, leak) => {
    expect(revealsAnswer(numeric(answer), leak)).toBe(true);
  });

  it.each([
    ["1/4", "the fourth step"],
    ["1/2", "Cut it in half."],
    ["3", "x = -3"],
    ["-3", "5 - 3 = 2"],
    ["4", "Split 8 into 2 groups of 4."],
    ["2", "x^2 - 4"],
  ])("does not take %s in %j", (answer, hint) => {
    expect(revealsAnswer(numeric(answer), hint)).toBe(false);
  });

  it("reads a percent item's answer in percent: 75, 75 %, 0.75 and 3/4 all give it away", () => {
    const item = numeric("75", { unit: "percent" });
    for (const leak of ["75", "75%", "0.75", "3/4", "seventy-five percent"]) {
      expect(revealsAnswer(item, leak), leak).toBe(true);
    }
    expect(revealsAnswer(item, "Three out of four is a start; now scale it.")).toBe(false);
  });
});

describe("answer-leak detection: small numbers count only when stated as a result", () => {
  const revealing = [
    "x = 2",
    "x=2",
    "x is 2",
    "x equals two",
    "The answer is 2.",
    "so you get 2",
    "6 / 3 = 2",
    "2 is the answer",
    "Is it 2?",
  ];
  const honest = [
    "2x = 4",
    "Multiply both sides by 2.",
    "Step 2 is to divide both sides by the coefficient.",
    "What is 2 + 3?",
    "10 - 2 = 8",
    "x = -2 does not work",
    "Split 8 into 2 groups of 4.",
    "Divide both sides by 2 and see what is left.",
  ];

  it.each(revealing)("for the answer 2, %j reveals it", (leak) => {
    expect(revealsAnswer(numeric("2"), leak)).toBe(true);
    expect(revealsAnswer(text("x = 2"), leak)).toBe(true);
  });

  it.each(honest)("for the answer 2, %j does not", (hint) => {
    expect(revealsAnswer(numeric("2"), hint)).toBe(false);
    expect(revealsAnswer(text("x = 2"), hint)).toBe(false);
  });

  it("says why and where", () => {
    expect(findAnswerLeak(numeric("2"), "Divide: 6 / 3 = 2.")).toEqual({
      reason: "result",
      excerpt: "2",
      index: 16,
    });
    expect(findAnswerLeak(numeric("3/4"), "Try six eighths.")).toMatchObject({
      reason: "distinctive",
      excerpt: "six eighths",
    });
  });
});

describe("answer-leak detection: small numbers put forward or stated as a quantity", () => {
  const half = numeric("5", { prompt: "What is half of 10?" });

  it.each([
    "Try 5.",
    "What about 5?",
    "How about five?",
    "Each group has 5 items.",
    "So each friend has 5.",
    "Give them 5 each.",
    "Put 5 in each group.",
    "5.",
    "5!",
    "Close! 5 apples.",
    "Yes, 5.",
    // Stated as what a count comes to: which thing is counted cannot be told, so it counts.
    "There are 5 steps.",
  ])("for half of 10, %j reveals 5", (leak) => {
    expect(revealsAnswer(half, leak, { context: half.prompt })).toBe(true);
  });

  it.each([
    "Half of 10 means splitting 10 into 2 equal groups.",
    "Try splitting the 10 into two equal groups.",
    "Try 5 + 5 and see whether it makes 10.",
    "4. Split 10 into two groups.\n5. Count one group.",
    "Step 5 is the last one.",
  ])("for half of 10, %j does not reveal 5", (hint) => {
    expect(revealsAnswer(half, hint, { context: half.prompt })).toBe(false);
  });

  it.each([
    "Multiply both sides by 2.",
    "Step 2: divide both sides by the coefficient.",
    "2x = 4",
    "1. Divide both sides by 4.\n2. Check your answer.",
    "Divide by 2 in each step.",
    "Split it into 2 groups of 4 each.",
  ])("for the answer 2, %j does not reveal it", (hint) => {
    expect(revealsAnswer(numeric("2", { prompt: "Solve 4x = 8." }), hint)).toBe(false);
  });

  it("takes a number the learner sees as a given unless it is put forward or a result", () => {
    const bags = numeric("5", {
      prompt: "Tom has 5 bags with 2 apples in each. Sam has as many bags as Tom. How many bags?",
    });
    expect(revealsAnswer(bags, "Tom has 5 bags; what does that tell you about Sam?")).toBe(false);
    expect(revealsAnswer(bags, "Each bag holds 2 apples; that is not what is asked.")).toBe(false);
    expect(revealsAnswer(bags, "What about 5?")).toBe(true);
    expect(revealsAnswer(bags, "So Sam's bags come to 5.")).toBe(true);
  });

  it("says why", () => {
    expect(findAnswerLeak(half, "Try 5.")).toMatchObject({ reason: "proposed", excerpt: "5" });
    expect(findAnswerLeak(half, "Each friend has 5.")).toMatchObject({
      reason: "quantity",
      excerpt: "5",
    });
  });
});

describe("answer-leak detection: what the learner already sees", () => {
  const jog = numeric("2000", {
    prompt:
      "Ravi walks 10,000 steps a day. After his walks and a jog he had 2,000 steps left. " +
      "His walks took 6,000 steps. How many steps was the jog?",
  });

  it.each([
    ["Remember he still had 2,000 steps left.", false],
    ["Use the 2000 steps he had left in your subtraction.", false],
    ["So the jog was 2,000 steps.", true],
    ["10,000 - 6,000 - 2,000 = 2,000", true],
    ["The jog comes to two thousand steps.", true],
  ])("numbers in the prompt count only as results: %j", (hint, expected) => {
    expect(revealsAnswer(jog, hint)).toBe(expected);
  });

  it("takes the context from the options, for the learner's own messages", () => {
    const item = numeric("150", { prompt: "How many cards did Kenny start with?" });
    const hint = "Look again at the 150 you found for the money.";
    expect(revealsAnswer(item, hint)).toBe(true);
    expect(revealsAnswer(item, hint, { context: `${item.prompt}\nI need $150 in total.` })).toBe(
      false,
    );
  });

  it("checks a prompt against itself: only an answer stated in it counts", () => {
    const toDecimal = numeric("0.75", { prompt: "Write 3/4 as a decimal." });
    expect(revealsAnswer(toDecimal, toDecimal.prompt)).toBe(false);
    const stated = { ...toDecimal, prompt: "Write 3/4 as a decimal: it is 0.75." };
    expect(revealsAnswer(stated, stated.prompt)).toBe(true);
    const expand: CheckableItem = {
      ...base,
      prompt: "Expand 2(x + 3).",
      type: "expression",
      answer: "2x+6",
    };
    expect(revealsAnswer(expand, expand.prompt)).toBe(false);
    const solved = { ...expand, prompt: "Expand 2(x + 3) = 2x + 6." };
    expect(revealsAnswer(solved, solved.prompt)).toBe(true);
  });

  it("reads a number after '=' in an equation being set up as a given, not a result", () => {
    const item = numeric("150", { prompt: "He earns $150 selling cards for $1.50 each." });
    expect(revealsAnswer(item, "Solve 1.5x = 150 for x.")).toBe(false);
    expect(revealsAnswer(item, "So x = 150.")).toBe(true);
  });
});

describe("answer-leak detection: expressions", () => {
  const simplify: CheckableItem = {
    ...base,
    prompt: "Simplify x + 3 + x + 3.",
    type: "expression",
    answer: "2x+6",
  };
  const expand: CheckableItem = { ...simplify, prompt: "Expand 2(x + 3)." };

  it.each([
    [simplify, "That is 2(x+3).", true],
    [simplify, "6 + 2x", true],
    [simplify, "so it's 2x + 6.", true],
    [simplify, "2 * x + 2 * 3", true],
    [simplify, "Collect the x terms first.", false],
    [simplify, "x + 3 appears twice", false],
    [expand, "Start from 2(x + 3).", false],
    [expand, "Multiply each term inside by 2.", false],
    [expand, "(x+3)*2 = 2x + 6", true],
  ])("%#: %j", (item, hint, expected) => {
    expect(revealsAnswer(item, hint)).toBe(expected);
  });
});

describe("answer-leak detection: choices and text", () => {
  const capital: CheckableItem = {
    ...base,
    type: "choice",
    choices: ["Paris", "Rome", "Lyon"],
    answer: "Rome",
  };

  it.each([
    ["It's Rome, the eternal city.", true],
    ["Pick option b.", true],
    ["Option B", true],
    ["(b)", true],
    ["b) is the one", true],
    ["the second one", true],
    ["choice 2", true],
    ["Choose B.", true],
    ["The answer is b", true],
    ["Think of the capital.", false],
    ["Romeo is not a city.", false],
    ["Pick a city you know and check it.", false],
  ])("%j for Rome", (hint, expected) => {
    expect(revealsAnswer(capital, hint)).toBe(expected);
  });

  it("tells the label a from the article a", () => {
    const item: CheckableItem = { ...capital, answer: "Paris" };
    expect(revealsAnswer(item, "Option A is right.")).toBe(true);
    expect(revealsAnswer(item, "The answer is a.")).toBe(true);
    expect(revealsAnswer(item, "Option (a) it is.")).toBe(true);
    expect(revealsAnswer(item, "Answer a simpler question first: which is a capital?")).toBe(false);
  });

  const fractions: CheckableItem = {
    ...base,
    prompt: "Which fraction is half of a whole?",
    type: "choice",
    choices: ["1/3", "1/2", "2/3"],
    answer: "1/2",
  };

  it.each([
    "It's B.",
    "B is correct",
    "b is the right one.",
    "**B**",
    "*b*",
    "`b`",
    "The answer: **(b)**",
    "I'd say B",
    "I think B, because two equal parts make a whole.",
    "Go with b",
    "B.",
    "Yes, B!",
    "Try 1/2.",
  ])("%j gives away b) 1/2", (leak) => {
    expect(revealsAnswer(fractions, leak)).toBe(true);
  });

  it.each([
    "Compare each fraction with a half.",
    "Options A, B and C have different denominators.",
    "Plan B is the right idea: draw it.",
    "In triangle ABC, angle B is the right angle.",
    "Compare 1/3 and 1/2 with a picture.",
    "Take a look at the denominators.",
  ])("%j does not give away b) 1/2", (hint) => {
    expect(revealsAnswer(fractions, hint)).toBe(false);
  });

  it.each([
    "a half",
    "Is a half bigger than a third?",
    "Answer a question first: how many parts?",
    "Take a look at the denominators.",
    "I'd say a picture helps.",
    "It's a good start.",
  ])("reads the article in %j as no label for a) 1/3", (hint) => {
    expect(revealsAnswer({ ...fractions, answer: "1/3" }, hint)).toBe(false);
  });

  it.each(["Pick a.", "A is correct.", "*a*", "It's A."])(
    "reads %j as the label a) for a) 1/3",
    (leak) => {
      expect(revealsAnswer({ ...fractions, answer: "1/3" }, leak)).toBe(true);
    },
  );

  it("treats a number choice as a number, the choices being in sight", () => {
    const item: CheckableItem = {
      ...base,
      type: "choice",
      choices: ["1/2", "3/4", "2/3"],
      answer: "3/4",
    };
    expect(revealsAnswer(item, "Compare 3/4 and 2/3 with a common denominator.")).toBe(false);
    expect(revealsAnswer(item, "It's 0.75, the biggest.")).toBe(true);
    expect(revealsAnswer(item, "The biggest is 3/4.")).toBe(true);
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
