import { createRng } from "../engine/index.ts";
import { type Fraction, float } from "./math.ts";
import { ALL_NUMBER_FORMS, type NumberForms, readNumber, sameNumber } from "./numbers.ts";
import type { ItemDefinition } from "./schema.ts";

/**
 * How an answer was judged. "unreadable" means it could not be read as an answer of the
 * expected kind (a word where a number was expected): the tutor asks again without counting it.
 */
export type Verdict = "correct" | "incorrect" | "unreadable";

export interface CheckResult {
  readonly verdict: Verdict;
  /** An equal but unsimplified fraction where the simplest form was asked for. */
  readonly isUnsimplified?: boolean;
  /** For choice items: the 0-based choice the learner picked. */
  readonly choiceIndex?: number;
  /** A number, but in a form the item does not accept (a decimal where a fraction is asked for). */
  readonly isWrongForm?: boolean;
}

/** The parts of an item the checkers read (authored items and template instances alike). */
export type CheckableItem = Exclude<ItemDefinition, { type: "free" }>;

const MAX_ANSWER_LENGTH = 500;

/** Judges a learner's answer to an item, deterministically. */
export function checkAnswer(item: CheckableItem, input: string): CheckResult {
  const answer = input.normalize("NFKC").trim();
  if (answer.length === 0 || answer.length > MAX_ANSWER_LENGTH) return { verdict: "unreadable" };
  switch (item.type) {
    case "choice":
      return checkChoice(item.choices, item.answer, answer);
    case "numeric":
      return checkNumeric(item, answer);
    case "expression":
      return checkExpression(item.answer, answer, item.variables);
    case "text":
      return checkText(item, answer);
  }
}

/** Whether `input` matches `expected` the way the item compares answers (for known wrong answers). */
export function matchesAnswer(item: CheckableItem, expected: string, input: string): boolean {
  switch (item.type) {
    case "choice": {
      const picked = readChoice(item.choices, input);
      return picked !== undefined && picked === readChoice(item.choices, expected);
    }
    case "numeric":
      return (
        checkNumeric({ ...item, answer: expected, simplest: false }, input).verdict === "correct"
      );
    case "expression":
      return checkExpression(expected, input, item.variables).verdict === "correct";
    case "text":
      return (
        checkText({ ...item, answer: expected, alternatives: [] }, input).verdict === "correct"
      );
  }
}

/**
 * Normalises text for comparison: unicode forms, spacing, curly quotes; unless case-sensitive
 * (exact answers such as program output), also case and a trailing full stop or exclamation mark.
 */
export function normalizeText(text: string, caseSensitive = false): string {
  const normalized = text
    .normalize("NFKC")
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .trim()
    .replace(/\s+/g, " ");
  return caseSensitive
    ? normalized
    : normalized
        .replace(/[.!]+$/, "")
        .trim()
        .toLowerCase();
}

const LETTERS = "abcdefgh";

/** Reads a choice by number (2), letter (b, B, (b), b)) or text; undefined when none fits. */
export function readChoice(choices: readonly string[], input: string): number | undefined {
  const text = normalizeText(input);
  const label = text.match(/^\(?([a-h]|\d)\)?\.?$/);
  if (label) {
    const token = label[1] as string;
    const index = /\d/.test(token) ? Number(token) - 1 : LETTERS.indexOf(token);
    if (index >= 0 && index < choices.length) return index;
  }
  const byText = choices.findIndex((choice) => normalizeText(choice) === text);
  if (byText >= 0) return byText;
  // A choice that is a number matches an equal number (0.5 for "1/2").
  const asNumber = readNumber(text);
  if (asNumber) {
    const index = choices.findIndex((choice) => {
      const value = readNumber(choice);
      return value !== undefined && sameNumber(value.value, asNumber.value);
    });
    if (index >= 0) return index;
  }
  return undefined;
}

/** The label a learner can type for a choice: a, b, c… */
export function choiceLabel(index: number): string {
  return LETTERS[index] ?? String(index + 1);
}

function checkChoice(choices: readonly string[], correct: string, input: string): CheckResult {
  const picked = readChoice(choices, input);
  if (picked === undefined) return { verdict: "unreadable" };
  const correctIndex = choices.findIndex(
    (choice) => normalizeText(choice) === normalizeText(correct),
  );
  return { verdict: picked === correctIndex ? "correct" : "incorrect", choiceIndex: picked };
}

/** The number forms an item accepts. */
export function numberForms(item: Extract<CheckableItem, { type: "numeric" }>): NumberForms {
  return { ...ALL_NUMBER_FORMS, ...item.forms };
}

/** The exact value of a numeric item's answer (percent items: in percent). */
export function numericAnswerValue(
  item: Extract<CheckableItem, { type: "numeric" }>,
): Fraction | undefined {
  const read = readNumber(item.answer, { ...ALL_NUMBER_FORMS, percent: item.unit !== "percent" });
  return read?.value;
}

function checkNumeric(
  item: Extract<CheckableItem, { type: "numeric" }>,
  input: string,
): CheckResult {
  const expected = numericAnswerValue(item);
  if (expected === undefined) return { verdict: "unreadable" };
  const forms = numberForms(item);
  let read = readNumber(input, item.unit === "percent" ? { ...forms, percent: false } : forms);
  if (item.unit === "percent" && read === undefined) {
    // "75%" to a percent question means 75.
    read = readNumber(input.replace(/%\s*$/, ""), { ...forms, percent: false });
  }
  if (read === undefined) {
    const inAnyForm = readNumber(item.unit === "percent" ? input.replace(/%\s*$/, "") : input);
    return inAnyForm ? { verdict: "unreadable", isWrongForm: true } : { verdict: "unreadable" };
  }
  const isEqual =
    item.tolerance > 0
      ? Math.abs(Number(read.value) - Number(expected)) <= item.tolerance + 1e-12
      : sameNumber(read.value, expected);
  if (!isEqual) return { verdict: "incorrect" };
  if (item.simplest && !read.isLowestTerms) return { verdict: "incorrect", isUnsimplified: true };
  return { verdict: "correct" };
}

const EXPRESSION_POINTS = 7;

/**
 * School algebra writes products of one-letter variables side by side: 2ab is 2·a·b. mathjs
 * would read "ab" as one variable, so runs of letters that are not a function or constant
 * (sqrt, pi) are split into letters.
 */
function splitLetterProducts(input: string): string {
  return input.replace(/[a-z]{2,}/gi, (run) => (run in float.math ? run : run.split("").join("*")));
}

/**
 * Algebraic equivalence by evaluation at random points (seeded, so the same answer always gets
 * the same verdict): two expressions that agree at seven points in general position are
 * equivalent for the polynomial and rational expressions of school algebra.
 */
function checkExpression(
  expected: string,
  input: string,
  variables?: readonly string[],
): CheckResult {
  let expectedNode: ReturnType<typeof float.parse>;
  let inputNode: ReturnType<typeof float.parse>;
  try {
    expectedNode = float.parse(expected);
    inputNode = float.parse(
      splitLetterProducts(input.replace(/×/g, "*").replace(/÷/g, "/").replace(/−/g, "-")),
    );
  } catch {
    return { verdict: "unreadable" };
  }
  const symbolsOf = (node: typeof inputNode): string[] =>
    node
      .filter((n) => n.type === "SymbolNode")
      .map((n) => (n as unknown as { name: string }).name)
      // Function names and constants (sqrt, pi, e) are not variables unless declared.
      .filter((name) => !(name in float.math));
  const names = [
    ...new Set([...(variables ?? []), ...symbolsOf(expectedNode), ...symbolsOf(inputNode)]),
  ].sort();
  const allowed = new Set([...(variables ?? []), ...symbolsOf(expectedNode)]);
  if (names.some((name) => !allowed.has(name))) return { verdict: "incorrect" };
  const rng = createRng(`expression:${expected}`);
  const compiledExpected = expectedNode.compile();
  const compiledInput = inputNode.compile();
  let compared = 0;
  for (
    let attempt = 0;
    attempt < EXPRESSION_POINTS * 4 && compared < EXPRESSION_POINTS;
    attempt++
  ) {
    const scope = Object.fromEntries(names.map((name) => [name, -3 + 6 * rng.next()]));
    let a: unknown;
    let b: unknown;
    try {
      a = compiledExpected.evaluate({ ...scope });
      b = compiledInput.evaluate({ ...scope });
    } catch {
      return { verdict: "unreadable" };
    }
    if (typeof a !== "number" || !Number.isFinite(a)) continue; // outside the domain: try another point
    if (typeof b !== "number" || !Number.isFinite(b)) return { verdict: "incorrect" };
    if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)))
      return { verdict: "incorrect" };
    compared++;
  }
  return { verdict: compared > 0 ? "correct" : "unreadable" };
}

/** Optimal string alignment distance (Levenshtein with adjacent swaps), capped for speed. */
export function editDistance(a: string, b: string, cap = 4): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (d[i - 1]?.[j] as number) + 1,
        (d[i]?.[j - 1] as number) + 1,
        (d[i - 1]?.[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, (d[i - 2]?.[j - 2] as number) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return d[a.length]?.[b.length] as number;
}

function checkText(item: Extract<CheckableItem, { type: "text" }>, input: string): CheckResult {
  const given = normalizeText(input, item.caseSensitive);
  const accepted = [item.answer, ...item.alternatives].map((a) =>
    normalizeText(a, item.caseSensitive),
  );
  if (accepted.includes(given)) return { verdict: "correct" };
  const typos = (expected: string): number =>
    item.typos ?? (item.caseSensitive || expected.length < 5 ? 0 : 1);
  const isClose = accepted.some((expected) => {
    const allowed = typos(expected);
    // A typo must not turn one number into another.
    return allowed > 0 && !/\d/.test(expected) && editDistance(given, expected, allowed) <= allowed;
  });
  return { verdict: isClose ? "correct" : "incorrect" };
}
