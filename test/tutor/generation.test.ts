import { describe, expect, it } from "vitest";
import { type GeneratedQuestion, solverPrompt, verifyQuestion } from "../../src/tutor/index.ts";

const numeric: GeneratedQuestion = {
  prompt: "What is 1/3 + 1/6? Write a fraction.",
  answer: "1/2",
  choices: [],
  computation: "1/3 + 1/6",
  hints: ["Use sixths.", "1/3 = 2/6.", "2/6 + 1/6 = 3/6 = 1/2."],
  solution: "1/3 = 2/6, so 2/6 + 1/6 = 3/6 = 1/2.",
};
const choice: GeneratedQuestion = {
  prompt: "Which fraction equals 2/4?",
  answer: "1/2",
  choices: ["1/3", "1/2", "2/3"],
  computation: "",
  hints: ["Divide top and bottom by 2."],
  solution: "2/4 = 1/2.",
};
const verify = (
  question: GeneratedQuestion,
  type: "numeric" | "choice" | "expression",
  solverAnswer: string,
  existingPrompts: string[] = [],
) => verifyQuestion({ question, type, skillId: "add", solverAnswer, existingPrompts });

describe("generated questions", () => {
  it("accepts a numeric question when its computation and an independent solution agree", () => {
    const verdict = verify(numeric, "numeric", "0.5");
    expect(verdict).toMatchObject({ isAccepted: true });
    if (verdict.isAccepted) {
      expect(verdict.checks).toEqual([
        "schema",
        "computation",
        "independent-solution",
        "leak-guard",
      ]);
      expect(verdict.item.id).toMatch(/^gen-[0-9a-f]{12}$/);
    }
  });

  it.each([
    [{ ...numeric, answer: "2/9" }, "2/9", "its computation gives 1/2, not the key"],
    [numeric, "1/3", "an independent solution disagrees with the key"],
    [{ ...numeric, computation: "" }, "1/2", "has no computation to check"],
    [{ ...numeric, computation: "import('fs')" }, "1/2", "its computation is not plain arithmetic"],
    [{ ...numeric, computation: "7^7^9" }, "1/2", "its computation is not plain arithmetic"],
    [{ ...numeric, computation: "(1/3 + 1/6" }, "1/2", "its computation does not evaluate"],
    [{ ...numeric, answer: "a half-ish" }, "1/2", "its key is not a readable answer"],
    [
      { ...numeric, prompt: "Check that 1/3 + 1/6 = 1/2." },
      "1/2",
      "its prompt gives the answer away",
    ],
    [{ ...numeric, hints: ["It is 0.5.", "Last."] }, "1/2", "an early hint gives the answer away"],
  ])("refuses a numeric question that is wrong or unsafe (%#)", (question, solved, reason) => {
    expect(verify(question, "numeric", solved)).toEqual({ isAccepted: false, reason });
  });

  it("checks a choice question's key against its choices and the solver", () => {
    expect(verify(choice, "choice", "1/2")).toMatchObject({ isAccepted: true });
    expect(verify(choice, "choice", "b")).toMatchObject({ isAccepted: true });
    expect(verify(choice, "choice", "2/3")).toMatchObject({ isAccepted: false });
    expect(verify({ ...choice, answer: "3/6" }, "choice", "3/6")).toMatchObject({
      isAccepted: false,
    });
    expect(verify({ ...choice, choices: ["1/2", "1/2", "1/3"] }, "choice", "1/2")).toEqual({
      isAccepted: false,
      reason: "has repeated choices",
    });
  });

  it("compares expressions by value", () => {
    const expression = {
      ...numeric,
      prompt: "Expand 2(x + 3).",
      answer: "2x + 6",
      computation: "",
      hints: ["Multiply each term."],
      solution: "2·x + 2·3",
    };
    expect(verify(expression, "expression", "6 + 2*x")).toMatchObject({ isAccepted: true });
    expect(verify(expression, "expression", "2x + 3")).toMatchObject({ isAccepted: false });
  });

  it("refuses a question the course already has", () => {
    expect(verify(numeric, "numeric", "1/2", ["what is 1/3 + 1/6?  write a fraction"])).toEqual({
      isAccepted: false,
      reason: "repeats an existing question",
    });
  });

  it("shows the solver the choices, not the key", () => {
    const prompt = solverPrompt(choice, "choice");
    expect(prompt).toContain("a) 1/3\nb) 1/2\nc) 2/3");
    expect(prompt).not.toMatch(/answer|key/i);
  });
});
