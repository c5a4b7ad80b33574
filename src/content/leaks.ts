import {
  type CheckableItem,
  choiceLabel,
  matchesAnswer,
  normalizeText,
  numericAnswerValue,
} from "./checking.ts";
import { exact, type Fraction } from "./math.ts";
import {
  formatFraction,
  type ReadNumber,
  readNumber,
  sameNumber,
  VULGAR_FRACTIONS,
} from "./numbers.ts";

/** Options of {@link findAnswerLeak} and {@link revealsAnswer}. */
export interface AnswerLeakOptions {
  /**
   * Text the learner already sees, joined by newlines: the item's prompt (and a choice item's
   * choices) and, in a conversation, their own answers to it; the tutor passes exactly that. A
   * number or expression written there tells them nothing new, so it counts only when stated as
   * a result ("= 2000", "the answer is 2000") or put forward ("try 2000"), not when merely
   * restated ("he had 2,000 steps left"). Default: the item's prompt (and a choice item's
   * choices); so checking the prompt itself flags only an answer stated in it.
   */
  readonly context?: string;
}

/**
 * Why a text gives the answer away: a number or expression equal to the answer stated as a
 * result ("= 12", "you get 12", "there are 12"), put forward as a guess ("try 12", "what about
 * 12?", "12." on its own), stated as how many someone has ("each friend has 5", "5 each"; only
 * numbers not in the context), a distinctive number equal to the answer anywhere (neither small
 * nor in the context), an equivalent expression not in the context, the correct choice's label,
 * or an accepted answer's words.
 */
export type AnswerLeakReason =
  | "result"
  | "proposed"
  | "quantity"
  | "distinctive"
  | "expression"
  | "label"
  | "phrase";

/** Where and why a text gives an item's answer away. */
export interface AnswerLeak {
  readonly reason: AnswerLeakReason;
  /** The part of the (normalised) text that gives it away. */
  readonly excerpt: string;
  readonly index: number;
}

/**
 * Whether a text gives away an item's answer: the value in any equivalent form (3/4, 6/8, 0.75,
 * .75, 75 %, "three quarters", \frac{3}{4}), an equivalent expression (2(x+3) for 2x+6), the
 * correct choice's label ("option B", "It's B.", "B is correct", "**B**") or text, or an accepted
 * text answer. Small integers count only when stated as a result ("x = 2", "so you get 2",
 * "there are 2"), put forward ("try 2", "what about 2?", "2." alone) or stated as how many
 * someone has ("each has 2", "2 each"); not "multiply both sides by 2", "step 2" or "2x = 4".
 * Numbers the learner already sees (the context) count only when stated as a result or put
 * forward. Run on every generated text shown while an item is open.
 */
export function revealsAnswer(
  item: CheckableItem,
  text: string,
  options: AnswerLeakOptions = {},
): boolean {
  return findAnswerLeak(item, text, options) !== undefined;
}

/** The first place where a text gives an item's answer away, and why; undefined when none does. */
export function findAnswerLeak(
  item: CheckableItem,
  text: string,
  options: AnswerLeakOptions = {},
): AnswerLeak | undefined {
  const prepared = prepareText(text);
  // Read only when a candidate needs it: most texts never mention the answer at all.
  let givenText: string | undefined;
  const context = (): string => {
    givenText ??= prepareText(
      options.context ??
        (item.type === "choice" ? [item.prompt, ...item.choices].join("\n") : item.prompt),
    );
    return givenText;
  };
  switch (item.type) {
    case "numeric": {
      const value = numericAnswerValue(item);
      if (value === undefined) return undefined;
      const share = exact.math.divide(value, exact.math.fraction(100)) as Fraction;
      const target: NumberTarget = {
        value,
        tolerance: item.tolerance,
        ...(item.unit === "percent" ? { share } : {}),
      };
      return findNumber(prepared, context, target);
    }
    case "choice":
      return (
        findChoiceLabel(prepared, item.choices, item.answer) ??
        findAnswerText(item, prepared, context, item.answer, false)
      );
    case "text":
      for (const answer of [item.answer, ...item.alternatives]) {
        const leak = findAnswerText(item, prepared, context, answer, item.caseSensitive);
        if (leak) return leak;
      }
      return undefined;
    case "expression":
      return findAnswerText(item, prepared, context, item.answer, false);
  }
}

/** An answer written as words, a number, an equation (x = 2) or an expression. */
function findAnswerText(
  item: CheckableItem,
  text: string,
  context: () => string,
  answer: string,
  caseSensitive: boolean,
): AnswerLeak | undefined {
  const equation = answer.match(EQUATION_ANSWER);
  const valueText = equation ? (equation[1] as string) : answer;
  const asNumber = readNumber(valueText);
  if (asNumber) {
    // The number is the answer; "x = 2" is then found as 2 stated as a result.
    return findNumber(text, context, { value: asNumber.value, tolerance: 0 });
  }
  if (item.type !== "expression" && !equation) return findPhrase(text, answer, caseSensitive);
  if (item.type === "expression" && !equation) return findExpression(item, text, context, answer);
  return findExpression(
    { ...item, type: "expression", answer: valueText } as CheckableItem,
    text,
    context,
    valueText,
  );
}

/** "x = 2", "y=2x+1": the part after the variable is the answer's value. */
const EQUATION_ANSWER = /^\s*[a-z]\w*\s*=\s*(\S.*?)\s*$/i;

// ---------------------------------------------------------------------------------------------
// Text preparation

const VULGAR_GLYPH = /(\d?)([½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞])/g;

/** Unicode forms, minus signs, fraction slashes and vulgar fractions as a learner types them. */
function prepareText(text: string): string {
  return text
    .replace(VULGAR_GLYPH, (_, whole: string, glyph: string) =>
      whole ? `${whole} ${VULGAR_FRACTIONS[glyph]}` : (VULGAR_FRACTIONS[glyph] as string),
    )
    .normalize("NFKC")
    .replace(/[−–]/g, "-")
    .replace(/⁄/g, "/")
    .replace(/[‘’]/g, "'");
}

// ---------------------------------------------------------------------------------------------
// Numbers

interface NumberTarget {
  readonly value: Fraction;
  /** For an answer in percent (75 meaning 75 %): its share of one, as 0.75, 3/4 or 75 % give it. */
  readonly share?: Fraction;
  readonly tolerance: number;
}

/** A number written in a text, in digits or in words. */
interface NumberMention {
  readonly start: number;
  readonly end: number;
  readonly value: Fraction;
  readonly form: "integer" | "decimal" | "fraction" | "mixed" | "percent";
  /** How it is written: 2,000, 2000 and "two thousand" share a key; 6/8 and 3/4 do not. */
  readonly key: string;
  /**
   * Too common in explanations to mean anything on its own (a small integer, a bare "half", a
   * division such as 6/3): it counts only when stated as a result, put forward or stated as how
   * many someone has.
   */
  readonly isCommon: boolean;
  /** Decimal places as written, for answers a decimal can only approximate (0.33 for 1/3). */
  readonly places: number;
}

const SMALL_INTEGER_LIMIT = 10;

function findNumber(
  text: string,
  context: () => string,
  target: NumberTarget,
): AnswerLeak | undefined {
  let givenKeys: Set<string> | undefined;
  for (const mention of numberMentions(text)) {
    if (!isTargetValue(mention, target)) continue;
    if (isStatedAsResult(text, mention)) return leakAt(text, mention, "result");
    // The context is read only when a rule needs it: most small numbers are neither.
    const isGiven = (): boolean => {
      givenKeys ??= new Set(numberMentions(context()).map((m) => m.key));
      return givenKeys.has(mention.key);
    };
    if (!mention.isCommon && !isGiven()) return leakAt(text, mention, "distinctive");
    if (isProposed(text, mention)) return leakAt(text, mention, "proposed");
    // Restating a given ("he had 2,000 steps left") is no answer, whatever the verb.
    if (mention.isCommon && isStatedAsQuantity(text, mention) && !isGiven())
      return leakAt(text, mention, "quantity");
  }
  return undefined;
}

function leakAt(
  text: string,
  mention: { start: number; end: number },
  reason: AnswerLeakReason,
): AnswerLeak {
  return { reason, excerpt: text.slice(mention.start, mention.end), index: mention.start };
}

function isTargetValue(mention: NumberMention, target: NumberTarget): boolean {
  const { value: answer, share } = target;
  const candidates =
    share === undefined ? [answer] : mention.form === "percent" ? [share] : [answer, share];
  return candidates.some((value) => {
    if (sameNumber(mention.value, value)) return true;
    if (target.tolerance > 0)
      return Math.abs(Number(mention.value) - Number(value)) <= target.tolerance + 1e-12;
    // A decimal of two or more places that rounds the answer: 0.33 or 0.333 for 1/3.
    if (mention.form !== "decimal" || mention.places < 2) return false;
    const scale = 10 ** mention.places;
    return Math.round(Number(value) * scale) === Math.round(Number(mention.value) * scale);
  });
}

/**
 * Numbers in digits: mixed numbers, fractions (3/4, 3 / 4, 3 over 4), grouped thousands,
 * decimals (.75), integers, each with an optional percent; a sign only where it cannot be a
 * subtraction. Not inside a word, a longer number, an exponent or a denominator.
 */
const DIGIT_NUMBER =
  /(?<![\p{L}\p{N}.,/^_])(?:(?<![\p{L}\p{N})]\s{0,2})-(?=\.?\d))?(\d+ \d+ ?\/ ?\d+|\d+ ?\/ ?\d+|\d+ over \d+|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d*\.\d+|\d+)( ?%| ?percent\b| per cent\b)?(?![\p{N}]|[.,/]\d)/giu;

const LATEX_FRACTION = /\\[dt]?frac\s*\{\s*(-?\d+)\s*\}\s*\{\s*(\d+)\s*\}/g;

/** Every number in a text, in order, in digits, LaTeX fractions or words. */
function numberMentions(text: string): NumberMention[] {
  const mentions: NumberMention[] = [];
  const covered: [number, number][] = [];
  if (text.includes("frac")) {
    for (const match of text.matchAll(LATEX_FRACTION)) {
      const read = readNumber(`${match[1]}/${match[2]}`);
      if (!read) continue;
      const start = match.index;
      const end = start + match[0].length;
      covered.push([start, end]);
      mentions.push(mentionOf(start, end, read, `${match[1]}/${match[2]}`));
    }
  }
  if (/\d/.test(text)) {
    DIGIT_NUMBER.lastIndex = 0;
    for (let match = DIGIT_NUMBER.exec(text); match; match = DIGIT_NUMBER.exec(text)) {
      const start = match.index;
      const end = start + match[0].length;
      if (covered.some(([from, to]) => start < to && end > from)) continue;
      const body = (match[1] as string).replace(/ over /i, "/");
      const percent = match[2] === undefined ? "" : "%";
      const sign = match[0].startsWith("-") ? "-" : "";
      if (isNotAValue(text, end)) continue;
      const read = readDigits(sign, body, percent);
      if (!read) {
        // "2 5/3" is no mixed number: read the whole part alone, then the fraction.
        const space = body.indexOf(" ");
        if (space > 0 && /^\d+ \d/.test(body)) DIGIT_NUMBER.lastIndex = start + space + 1;
        continue;
      }
      mentions.push(mentionOf(start, end, read, body));
    }
  }
  if (NUMBER_WORD_HINT.test(text)) mentions.push(...wordMentions(text));
  return mentions.sort((a, b) => a.start - b.start);
}

/**
 * Reads a number the digit pattern found. Plain integers and decimals, most numbers in a text,
 * skip the general reader, which tries every form.
 */
function readDigits(sign: string, body: string, percent: string): ReadNumber | undefined {
  if (percent === "" && /^[\d,]*(?:\.\d+)?$/.test(body)) {
    const plain = body.replaceAll(",", "");
    return {
      value: exact.math.fraction(`${sign}${plain.startsWith(".") ? "0" : ""}${plain}`),
      form: plain.includes(".") ? "decimal" : "integer",
      isLowestTerms: true,
    };
  }
  return readNumber(`${sign}${body}${percent}`);
}

/** "2x" (a coefficient), "2nd" (an ordinal) and "x^2" are not values; "5km" and "10 mph" are. */
function isNotAValue(text: string, end: number): boolean {
  const after = text.slice(end, end + 3);
  return /^\p{L}(?!\p{L})/u.test(after) || /^(?:st|nd|rd|th)(?!\p{L})/iu.test(after);
}

function mentionOf(start: number, end: number, read: ReadNumber, written: string): NumberMention {
  const value = read.value;
  const isInteger = value.d === 1n;
  const compact = written.replace(/[\s,]/g, "");
  const isWrittenAsFraction = read.form === "fraction" || read.form === "mixed";
  const key = keyOf(read.form, isWrittenAsFraction ? compact : formatFraction(value));
  const isSmall = isInteger && value.n < BigInt(SMALL_INTEGER_LIMIT);
  const places = read.form === "decimal" ? (compact.split(".")[1]?.length ?? 0) : 0;
  return {
    start,
    end,
    value,
    form: read.form,
    key,
    // A fraction that comes out whole (6/3) is a division, not a way of writing the answer.
    isCommon:
      ((read.form === "integer" || read.form === "decimal") && isSmall) ||
      (read.form === "fraction" && isInteger),
    places,
  };
}

/**
 * How a number is written, for finding it in the context: integers and decimals by value (2,000
 * is 2000), fractions as written (6/8 is not 3/4 there), percents by value.
 */
function keyOf(form: NumberMention["form"], written: string): string {
  return `${form === "integer" || form === "decimal" ? "number" : form}:${written}`;
}

/** The words of a list written as one string. */
function words(list: string): string[] {
  return list.trim().split(/\s+/);
}

// ---------------------------------------------------------------------------------------------
// Numbers in words: "twelve", "seventy-five percent", "three-fourths", "one and a half"

const UNITS = new Map(
  words(`
    zero one two three four five six seven eight nine ten eleven twelve thirteen
    fourteen fifteen sixteen seventeen eighteen nineteen
  `).map((word, value) => [word, value]),
);
const TENS = new Map(
  ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"].map((word, k) => [
    word,
    20 + 10 * k,
  ]),
);
const SCALES = new Map([
  ["hundred", 100],
  ["thousand", 1000],
  ["million", 1_000_000],
  ["billion", 1_000_000_000],
]);
/** Denominators in words; "second" is left out: "one second" is a time. */
const DENOMINATORS = new Map<string, number>([
  ["half", 2],
  ["halves", 2],
  ["third", 3],
  ["quarter", 4],
  ["fourth", 4],
  ["fifth", 5],
  ["sixth", 6],
  ["seventh", 7],
  ["eighth", 8],
  ["ninth", 9],
  ["tenth", 10],
  ["eleventh", 11],
  ["twelfth", 12],
  ["twentieth", 20],
  ["hundredth", 100],
  ["thousandth", 1000],
]);
for (const [word, value] of [...DENOMINATORS]) {
  if (word !== "half" && word !== "halves") DENOMINATORS.set(`${word}s`, value);
}

const NUMBER_WORD_HINT =
  /\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen|half|an? (?:third|quarter|fourth|fifth|sixth|seventh|eighth|ninth|tenth))\b/i;

interface WordToken {
  readonly word: string;
  readonly start: number;
  readonly end: number;
}

interface WordNumber {
  readonly value: Fraction;
  readonly form: NumberMention["form"];
  /** Index of the token after the number. */
  readonly next: number;
  readonly isCommon: boolean;
}

function wordMentions(text: string): NumberMention[] {
  const tokens: WordToken[] = [];
  for (const match of text.matchAll(/\p{L}+/gu)) {
    tokens.push({
      word: match[0].toLowerCase(),
      start: match.index,
      end: match.index + match[0].length,
    });
  }
  const mentions: NumberMention[] = [];
  for (let i = 0; i < tokens.length; ) {
    const read = readWordNumber(text, tokens, i);
    if (!read) {
      i++;
      continue;
    }
    const start = (tokens[i] as WordToken).start;
    const end = (tokens[read.next - 1] as WordToken).end;
    const value = read.value;
    const key = keyOf(read.form, formatFraction(value));
    mentions.push({ start, end, value, form: read.form, key, isCommon: read.isCommon, places: 0 });
    i = read.next;
  }
  return mentions;
}

/** Whether two tokens are one phrase: only spaces or a hyphen between them. */
function isJoined(text: string, tokens: readonly WordToken[], i: number): boolean {
  const left = tokens[i - 1];
  const right = tokens[i];
  return (
    left !== undefined &&
    right !== undefined &&
    /^[ \t]*-?[ \t]*$/.test(text.slice(left.end, right.start))
  );
}

function fraction(numerator: bigint | number, denominator: bigint | number = 1): Fraction {
  return exact.math.fraction(`${numerator}/${denominator}`);
}

function readWordNumber(
  text: string,
  tokens: readonly WordToken[],
  i: number,
): WordNumber | undefined {
  const word = tokens[i]?.word;
  const next = (k: number): string | undefined =>
    isJoined(text, tokens, k) ? tokens[k]?.word : undefined;
  if (word === "half")
    return { value: fraction(1, 2), form: "fraction", next: i + 1, isCommon: true };
  if (word === "a" || word === "an") {
    const denominator = DENOMINATORS.get(next(i + 1) ?? "");
    if (denominator !== undefined)
      return { value: fraction(1, denominator), form: "fraction", next: i + 2, isCommon: false };
  }
  const cardinal = readCardinal(text, tokens, i);
  if (!cardinal) return undefined;
  const k = cardinal.next;
  const after = next(k);
  if (after !== undefined && cardinal.value > 0n) {
    const denominator = DENOMINATORS.get(after);
    if (denominator !== undefined)
      return {
        value: fraction(cardinal.value, denominator),
        form: "fraction",
        next: k + 1,
        isCommon: false,
      };
  }
  if (after === "percent")
    return { value: fraction(cardinal.value, 100), form: "percent", next: k + 1, isCommon: false };
  if (after === "per" && next(k + 1) === "cent")
    return { value: fraction(cardinal.value, 100), form: "percent", next: k + 2, isCommon: false };
  if (after === "and") {
    const part = readWordNumber(text, tokens, k + 1);
    if (
      part &&
      isJoined(text, tokens, k + 1) &&
      part.form === "fraction" &&
      Number(part.value) < 1 &&
      !part.isCommon
    )
      return {
        value: exact.math.add(fraction(cardinal.value), part.value) as Fraction,
        form: "mixed",
        next: part.next,
        isCommon: false,
      };
  }
  if (after === "over") {
    const denominator = readCardinal(text, tokens, k + 1);
    if (denominator && isJoined(text, tokens, k + 1) && denominator.value > 0n)
      return {
        value: fraction(cardinal.value, denominator.value),
        form: "fraction",
        next: denominator.next,
        isCommon: cardinal.value % denominator.value === 0n,
      };
  }
  if (after === "point") {
    let digits = "";
    let j = k + 1;
    for (let digit = next(j); digit !== undefined; digit = next(++j)) {
      const value = UNITS.get(digit);
      if (value === undefined || value > 9) break;
      digits += String(value);
    }
    if (digits.length > 0)
      return {
        value: exact.math.fraction(`${cardinal.value}.${digits}`),
        form: "decimal",
        next: j,
        isCommon: false,
      };
  }
  return {
    value: fraction(cardinal.value),
    form: "integer",
    next: k,
    isCommon: cardinal.value < BigInt(SMALL_INTEGER_LIMIT),
  };
}

/** A whole number in words: "twelve", "seventy-five", "a hundred and five", "two thousand". */
function readCardinal(
  text: string,
  tokens: readonly WordToken[],
  i: number,
): { value: bigint; next: number } | undefined {
  let total = 0n;
  let current = 0n;
  let last: "none" | "a" | "unit" | "teen" | "tens" | "dozen" | "hundred" | "scale" = "none";
  let j = i;
  for (; j < tokens.length; j++) {
    if (j > i && !isJoined(text, tokens, j)) break;
    const word = (tokens[j] as WordToken).word;
    const unit = UNITS.get(word);
    const tens = TENS.get(word);
    const scale = SCALES.get(word);
    if ((word === "a" || word === "an") && last === "none") {
      const following = tokens[j + 1]?.word ?? "";
      if (!(SCALES.has(following) || following === "dozen") || !isJoined(text, tokens, j + 1))
        return undefined;
      current = 1n;
      last = "a";
    } else if (
      unit !== undefined &&
      unit < 10 &&
      ["none", "tens", "hundred", "scale"].includes(last)
    ) {
      current += BigInt(unit);
      last = "unit";
    } else if (unit !== undefined && ["none", "hundred", "scale"].includes(last)) {
      current += BigInt(unit);
      last = "teen";
    } else if (tens !== undefined && ["none", "hundred", "scale"].includes(last)) {
      current += BigInt(tens);
      last = "tens";
    } else if (word === "dozen" && ["a", "unit", "teen", "tens"].includes(last)) {
      current *= 12n;
      last = "dozen";
    } else if (scale === 100 && ["a", "unit", "teen"].includes(last)) {
      current *= 100n;
      last = "hundred";
    } else if (scale !== undefined && scale > 100 && last !== "none" && last !== "scale") {
      total += current * BigInt(scale);
      current = 0n;
      last = "scale";
    } else if (word === "and" && (last === "hundred" || last === "scale")) {
      const following = tokens[j + 1]?.word ?? "";
      if (!isJoined(text, tokens, j + 1) || !(UNITS.has(following) || TENS.has(following))) break;
    } else {
      break;
    }
  }
  if (last === "none" || last === "a") return undefined;
  return { value: total + current, next: j };
}

// ---------------------------------------------------------------------------------------------
// Stated as a result

/**
 * Words after which a number is what something comes to: "is 2", "you get 2", "a total of 2".
 * "There are 5 steps" counts too, for an answer of 5: which thing is counted cannot be told from
 * the words, "there are 75 seeds that do not sprout" states a count asked for as plainly, and a
 * hint loses nothing by saying "a few steps".
 */
const RESULT_WORDS = new Set(
  words(`
    is are was were be been equals equal equaling equalling makes making get gets got getting
    gives gave giving yields yield leaves leaving total totals totaling totalling answer result
    solution come comes came becomes become means mean meaning
  `),
);

/** Contractions that state a value: "it's 2", "that's 2" (not "Tom's 2 apples"). */
const RESULT_CONTRACTIONS = new Set(["it's", "that's", "there's", "here's", "he's", "she's"]);

/**
 * Words that may stand between a result word and the number without changing what it says:
 * "is simply 2", "should be about 2", "gives us a total of 2", "answer of 2".
 */
const FILLER_WORDS = new Set(
  words(`
    a an the just simply only actually exactly really indeed then now still also already about
    around approximately roughly nearly almost final correct right new whole of to up out us you
    we it our your its their should would will must might could can so therefore thus hence value
    number
  `),
);

/** How many words may stand between a result word and the number: "get a final speed of 205". */
const RESULT_REACH = 4;

/** After the number: an operation continues ("2 + 1", "3 times 4", "2 more than"). */
const OPERATION_AFTER =
  /^\s*(?:\([\p{L}\s]+\)\s*)?(?:[-+*/×÷·^=]\s*(?:[\p{N}(.]|\p{L}(?!\p{L}))|x\s*\d|(?:times|plus|minus|divided|multiplied|over)\b|(?:more|less|fewer)\s+than\b|(?:and|or|to)\s+[$€£]?\d)/iu;

/** After the number: "… is the answer", "… is correct". */
const RESULT_AFTER =
  /^(?:(?:\s+\p{L}+){0,2}?\s+(?:is|was|'s|would be|will be|should be)\s+(?:\p{L}+\s+){0,3}?(?:answer|result|solution|correct|right)\b|(?:\s+\p{L}+){0,2}?\s+(?:in total|in all|altogether)\b)/iu;

/**
 * Whether a number is stated as what something comes to: after "=", "is", "equals", "answer",
 * "get(s)", "gives", "makes", "comes to", "a total of" in its clause (at the end of a
 * calculation such as "6 / 3 = 2"), or followed by "is the answer"; and not an operand of more
 * arithmetic ("is 3 times 4").
 */
function isStatedAsResult(text: string, mention: { start: number; end: number }): boolean {
  const after = text.slice(mention.end, mention.end + 80);
  if (OPERATION_AFTER.test(after)) return false;
  if (RESULT_AFTER.test(after.split(/[.!?;\n](?:\s|$)/)[0] ?? "")) return true;
  const before = text.slice(Math.max(0, mention.start - 80), mention.start);
  const equals = before.match(/(?:[=≈→]|=>)\s*\(?\s*[$€£]?\s*$/);
  if (equals) return !isEquationSide(before.slice(0, equals.index));
  if (/\b(?:adds?|added|adding|works?|worked|working)\s+(?:up|out)\s+to\s*[$€£]?\s*$/i.test(before))
    return true;
  const tokens = before.match(/[\p{L}']+|[^\s\p{L}]/gu) ?? [];
  let fillers = 0;
  for (let k = tokens.length - 1; k >= 0; k--) {
    const token = (tokens[k] as string).toLowerCase();
    if (/^[$€£:(]$/.test(token)) continue;
    if (RESULT_WORDS.has(token) || RESULT_CONTRACTIONS.has(token)) return true;
    if (!FILLER_WORDS.has(token) || ++fillers > RESULT_REACH) return false;
  }
  return false;
}

/** Words that put a number forward as a guess: "try 5", "what about 5", "how about five". */
const PROPOSAL_BEFORE = /\b(?:try|what about|how about|guess)[ \t]*[$€£]?[ \t]*$/i;

/**
 * Before a number standing as its own sentence or clause: the start of the text, a line or a
 * sentence, after "yes", "so", "exactly" at most ("5.", "Close! 5.", "So, 5!").
 */
const BARE_BEFORE =
  /(?:^|\n|[.!?]["')\]]?[ \t]+)[ \t>*-]*(?:(?:yes|so|exactly|right|correct|okay|ok)[,!]?[ \t]+)?[$€£]?$/i;

/** After a number standing alone: at most a unit word, then the end of its sentence or text. */
const BARE_AFTER = /^(?:[ \t]+\p{L}+)?[ \t]*(?:[!?]|\.(?=\s|$)|\s*$)/u;

/**
 * Whether a number is put forward as the answer: after "try", "what about", "how about"
 * ("Try 5.", "What about 5?"), or standing alone as a sentence ("5.", "Close! 5 apples.",
 * "5?"); not a list marker ("1. Divide by 2"), nor an operand of more arithmetic ("try 5 + 3").
 */
function isProposed(text: string, mention: { start: number; end: number }): boolean {
  const after = text.slice(mention.end, mention.end + 80);
  if (OPERATION_AFTER.test(after)) return false;
  const before = text.slice(Math.max(0, mention.start - 40), mention.start);
  if (PROPOSAL_BEFORE.test(before)) return true;
  const bare = BARE_AFTER.exec(after);
  if (!bare || !BARE_BEFORE.test(before)) return false;
  // "1. Divide both sides by 2." numbers a list item: the line goes on after the point.
  const isListMarker =
    /(?:^|\n)[ \t>*-]*$/.test(before) && /^\.[ \t]+\S/.test(after.slice(bare[0].length - 1));
  return !isListMarker;
}

/** Verbs after which a number is how many someone has: "has 5", "needs 7 weeks", "ends up with 5". */
const QUANTITY_BEFORE =
  /\b(?:has|have|had|having|needs?|needed|receives?|received|owns?|holds?|keeps?|kept|takes?|took|ends? up with|(?:is|are|was|were) left with)[ \t]+(?:(?:only|just|exactly|still|about|around)[ \t]+)?[$€£]?$/i;

/** After a number: a share of each ("5 each", "5 apples apiece", "5 per friend", "5 in each group"). */
const QUANTITY_AFTER =
  /^[ \t]+(?:\p{L}+[ \t]+)?(?:each|apiece|per[ \t]+(?!cent\b)\p{L}+|(?:in|to|for)[ \t]+(?:each|every)\b)/iu;

/**
 * Whether a number is stated as a quantity someone or something has: "each friend has 5", "each
 * group gets 5 items", "it takes 7 weeks", "5 each"; not an operand ("divide by 2 in each
 * step") nor the start of more arithmetic ("has 5 more than").
 */
function isStatedAsQuantity(text: string, mention: { start: number; end: number }): boolean {
  const after = text.slice(mention.end, mention.end + 80);
  if (OPERATION_AFTER.test(after)) return false;
  const before = text.slice(Math.max(0, mention.start - 40), mention.start);
  if (QUANTITY_BEFORE.test(before)) return true;
  return (
    QUANTITY_AFTER.test(after) && !/\b(?:by|of|from|into|times|over|than|to)[ \t]*$/i.test(before)
  );
}

/**
 * Whether the text before an "=" ends with an expression in a variable ("3x/2", "0.1x + 5"): then
 * the number after it is a given of the equation being set up, not what something comes to.
 * A lone variable ("x = 2") states a solution.
 */
function isEquationSide(before: string): boolean {
  // "50 x 2" and "10x6" multiply numbers; the x is no variable there.
  const parts = before
    .replace(/(\d)\s*[x×]\s*(?=[$€£]?\d)/g, "$1 * ")
    .trimEnd()
    .split(/\s+/);
  let side = "";
  for (let k = parts.length - 1; k >= 0; k--) {
    const word = parts[k] as string;
    if (!/^[$€£\p{N}.,+\-*/^()×÷·]*(?:\p{L}(?!\p{L})[\p{N}.,+\-*/^()×÷·]*)*$/u.test(word)) break;
    side = `${word}${side}`;
  }
  return /\p{L}/u.test(side) && /[\p{N}+\-*/^()×÷·]/u.test(side);
}

// ---------------------------------------------------------------------------------------------
// Expressions, choices, phrases

/** Function and constant names an expression may use besides its variables. */
const MATH_NAMES = new Set(["sqrt", "cbrt", "abs", "sin", "cos", "tan", "log", "exp", "pi"]);

/** Math-looking words: numbers, single-letter variables, operators, brackets. */
const MATH_RUN = /[\p{L}\p{N}.+\-*/^()×÷·=\s]+/gu;

function findExpression(
  item: CheckableItem,
  text: string,
  context: () => string,
  answer: string,
): AnswerLeak | undefined {
  const compact = (s: string) => normalizeText(s).replace(/\s+/g, "");
  const compactContext = compact(context());
  const compactAnswer = compact(answer);
  const isGiven = (expression: string) => compactContext.includes(compact(expression));
  if (/[-+*/^()]/.test(compactAnswer) && !isGiven(answer)) {
    // The answer as written, spaced in any way: "2x + 6" for 2x+6.
    const spaced = [...compactAnswer].map((c) => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
    const match = new RegExp(spaced.join("\\s*"), "i").exec(text);
    if (match) return { reason: "expression", excerpt: match[0], index: match.index };
  }
  const variables = new Set(
    (item.type === "expression" ? item.variables : undefined) ??
      (answer.match(/\p{L}+/gu) ?? []).flatMap((run) => (MATH_NAMES.has(run) ? [] : [...run])),
  );
  for (const span of mathSpans(text, variables)) {
    let start = span.index;
    for (const [k, side] of span.text.split("=").entries()) {
      const candidate = side.trim();
      const index = start + side.indexOf(candidate);
      start += side.length + 1;
      if (!/[\p{L}\p{N}]/u.test(candidate)) continue;
      // Written in the context, it counts only as a result: after "=", "is", "the answer is".
      const isResult =
        k > 0 || isStatedAsResult(text, { start: index, end: index + candidate.length });
      if ((isResult || !isGiven(candidate)) && matchesAnswer(item, answer, candidate))
        return { reason: isResult ? "result" : "expression", excerpt: candidate, index };
    }
  }
  return undefined;
}

/** Runs of math in prose: "so 2(x + 3) is" gives "2(x + 3)". */
function mathSpans(
  text: string,
  variables: ReadonlySet<string>,
): { text: string; index: number }[] {
  const isMathWord = (word: string): boolean =>
    (word.match(/\p{L}+/gu) ?? []).every(
      (run) => MATH_NAMES.has(run) || [...run].every((c) => variables.has(c)),
    ) && /[\p{N}\p{L}+\-*/^()=]/u.test(word);
  const spans: { text: string; index: number }[] = [];
  for (const run of text.matchAll(MATH_RUN)) {
    let current: { text: string; index: number } | undefined;
    for (const word of run[0].matchAll(/\S+/g)) {
      const index = run.index + word.index;
      if (isMathWord(word[0])) {
        current = current
          ? { text: text.slice(current.index, index + word[0].length), index: current.index }
          : { text: word[0], index };
        continue;
      }
      if (current) spans.push(current);
      current = undefined;
    }
    if (current) spans.push(current);
  }
  // Only spans with an operation or a variable can be an expression.
  return spans
    .map((span) => {
      const lead = span.text.match(/^[.=]*/)?.[0].length ?? 0;
      return { text: span.text.slice(lead).replace(/[.=]+$/, ""), index: span.index + lead };
    })
    .filter((span) => /[-+*/^×÷·(\p{L}]/u.test(span.text));
}

/** Markdown emphasis marks, captured so that the closing mark can match the opening one. */
const EMPHASIS = "(\\*\\*|\\*|__|_|`)";

const ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"];
const CARDINALS = ["one", "two", "three", "four", "five", "six", "seven", "eight"];

/**
 * Before a bare letter label: the start of a sentence or line ("B.", "B is correct"), or words
 * that put a label forward ("It's B", "I'd say B", "Go with b", "I think B is right").
 */
const LABEL_LEAD =
  /(?:^|[.!?]["')\]]?\s+|\n[\s>*-]*|\b(?:it's|it is|that's|that is|it'd be|it would be|it must be|it should be|is it|say|guess|think|bet|pick|choose|select|go with|going with|try|maybe|probably|definitely|surely|clearly|obviously|so|yes)[,:]?\s+)["'(]?$/i;

/**
 * After a bare letter label: the end of its clause ("It's B.", "I'd say B, because"), or what
 * says it is the answer ("B is correct", "b is the right one", "B's the answer"); not "B is right
 * angled" nor "B is the right angle".
 */
const LABEL_END =
  /^\)?["']?(?:\s*(?:$|[.,;:!?](?:\s|$)|\n)|(?:\s+(?:is|was|would be|should be|must be|seems|looks)|'s)\s+(?:(?:the|your|my)\s+)?(?:correct|right|best|true|answer|one)\b(?!\s*(?:-|angle|triangle|side|hand|of\b)))/i;

/**
 * The correct choice by label: "option B", "(b)", "b)", "choice 2", "the second one", and a bare
 * letter as its own clause ("It's B.", "I'd say B", "B is correct") or emphasised ("**B**",
 * "*b*", "`b`").
 */
function findChoiceLabel(
  text: string,
  choices: readonly string[],
  answer: string,
): AnswerLeak | undefined {
  const index = choices.findIndex((c) => normalizeText(c) === normalizeText(answer));
  if (index < 0) return undefined;
  const letter = choiceLabel(index);
  const number = `(?:${index + 1}|${CARDINALS[index]})`;
  const patterns = [
    new RegExp(
      String.raw`\b(?:option|choice|answer|letter)(?:\s+is)?\s*[:#]?\s*\(?(${letter}|${number})\)?(?![\w/])`,
      "i",
    ),
    // After a verb only at the end of a clause: "pick b." but not "pick a number".
    new RegExp(
      String.raw`\b(?:pick|choose|select|go with)\s+\(?(?:${letter}|${number})\)?(?=\s*(?:$|[.,;:!?]))`,
      "i",
    ),
    new RegExp(String.raw`\(${letter}\)`, "i"),
    new RegExp(String.raw`(?:^|\s)${letter}\)`, "i"),
    new RegExp(String.raw`\bthe\s+${ORDINALS[index]}\s+(?:one|option|choice|answer)\b`, "i"),
    // Emphasised in Markdown: "**B**", "*b*", "__b__", "`b`", "**(b)**".
    new RegExp(
      String.raw`(?<![\p{L}\p{N}])${EMPHASIS}\s*\(?(${letter})\)?[.:]?\s*\1(?![\p{L}\p{N}])`,
      "iu",
    ),
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(new RegExp(pattern, "giu"))) {
      // "answer a question" is no label: a lowercase "a" must end its clause or be in brackets.
      const isArticle =
        match[1] === "a" &&
        !match[0].endsWith(")") &&
        /^\s+\p{L}/u.test(text.slice(match.index + match[0].length));
      if (!isArticle) return { reason: "label", excerpt: match[0].trim(), index: match.index };
    }
  }
  return findBareLabel(text, letter);
}

/**
 * A letter label on its own: "It's B.", "I'd say B", "B is correct". The letter must be led in
 * (start of a sentence, "it's", "say", "go with") and end its clause or be called correct, so
 * the article in "Take a look", "Answer a question" or "a half" is never one; nor is a capital
 * in the middle of a name ("Plan B is right", "angle B").
 */
function findBareLabel(text: string, letter: string): AnswerLeak | undefined {
  const bare = new RegExp(String.raw`(?<![\p{L}\p{N}'’])\(?${letter}(?![\p{L}\p{N}])`, "giu");
  for (const match of text.matchAll(bare)) {
    const before = text.slice(Math.max(0, match.index - 40), match.index);
    const after = text.slice(match.index + match[0].length, match.index + match[0].length + 40);
    if (LABEL_LEAD.test(before) && LABEL_END.test(after))
      return { reason: "label", excerpt: match[0], index: match.index };
  }
  return undefined;
}

function findPhrase(text: string, phrase: string, caseSensitive: boolean): AnswerLeak | undefined {
  const needle = normalizeText(phrase, caseSensitive);
  if (needle.length < 2) return undefined;
  const haystack = normalizeText(text, caseSensitive);
  const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, "u").exec(haystack);
  return match
    ? { reason: "phrase", excerpt: needle, index: match.index + (match[1] as string).length }
    : undefined;
}
