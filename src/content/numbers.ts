import { exact, type Fraction, isFraction } from "./math.ts";

/** What forms a numeric answer may take, as the author allows. */
export interface NumberForms {
  readonly fraction: boolean;
  readonly decimal: boolean;
  readonly percent: boolean;
  readonly mixed: boolean;
  readonly thousands: boolean;
}

export const ALL_NUMBER_FORMS = {
  fraction: true,
  decimal: true,
  percent: true,
  mixed: true,
  thousands: true,
} as const satisfies NumberForms;

/** A number read from text: its exact value and the form it was written in. */
export interface ReadNumber {
  readonly value: Fraction;
  readonly form: "integer" | "decimal" | "fraction" | "mixed" | "percent";
  /** For fractions and mixed numbers: whether numerator and denominator share no factor. */
  readonly isLowestTerms: boolean;
}

/** Vulgar fraction glyphs as a learner would type them. */
export const VULGAR_FRACTIONS: Readonly<Record<string, string>> = {
  "½": "1/2",
  "⅓": "1/3",
  "⅔": "2/3",
  "¼": "1/4",
  "¾": "3/4",
  "⅕": "1/5",
  "⅖": "2/5",
  "⅗": "3/5",
  "⅘": "4/5",
  "⅙": "1/6",
  "⅚": "5/6",
  "⅛": "1/8",
  "⅜": "3/8",
  "⅝": "5/8",
  "⅞": "7/8",
};

const INTEGER = String.raw`\d+`;
const GROUPED = String.raw`\d{1,3}(?:,\d{3})+`;

/**
 * Reads a number as a learner would type it: 3, -2, 0.75, .75, 3/4, 3 / 4, 1 1/2, 1½, 75%,
 * 1,250, with the forms the author allows. Returns undefined for anything else.
 */
export function readNumber(
  input: string,
  forms: NumberForms = ALL_NUMBER_FORMS,
): ReadNumber | undefined {
  // Vulgar fractions first: NFKC would turn "1½" into "11⁄2".
  let text = input;
  for (const [glyph, ascii] of Object.entries(VULGAR_FRACTIONS))
    text = text.replaceAll(glyph, ` ${ascii}`);
  text = text
    .normalize("NFKC")
    .replace(/[−–]/g, "-")
    .replace(/⁄/g, "/")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^\+/, "");
  if (text.length === 0 || text.length > 40) return undefined;
  const sign = text.startsWith("-") ? -1 : 1;
  const body = text.replace(/^-\s*/, "");
  const integerPattern = forms.thousands ? `(?:${GROUPED}|${INTEGER})` : INTEGER;
  const toInt = (s: string): bigint => BigInt(s.replaceAll(",", ""));
  const signed = (f: Fraction): Fraction => (sign < 0 ? (exact.math.unaryMinus(f) as Fraction) : f);

  let match = body.match(new RegExp(`^(${integerPattern})$`));
  if (match)
    return {
      value: signed(exact.math.fraction(String(toInt(match[1] as string)))),
      form: "integer",
      isLowestTerms: true,
    };

  match = body.match(new RegExp(`^(${integerPattern})?\\.(\\d+)$`));
  if (match && forms.decimal) {
    const whole = match[1] === undefined ? "0" : String(toInt(match[1]));
    return {
      value: signed(exact.math.fraction(`${whole}.${match[2]}`)),
      form: "decimal",
      isLowestTerms: true,
    };
  }

  match = body.match(/^(\d+) ?\/ ?(\d+)$/);
  if (match && forms.fraction) {
    const numerator = BigInt(match[1] as string);
    const denominator = BigInt(match[2] as string);
    if (denominator === 0n) return undefined;
    return {
      value: signed(exact.math.fraction(`${numerator}/${denominator}`)),
      form: "fraction",
      isLowestTerms: gcd(numerator, denominator) === 1n,
    };
  }

  match = body.match(/^(\d+) (\d+) ?\/ ?(\d+)$/);
  if (match && forms.mixed) {
    const whole = BigInt(match[1] as string);
    const numerator = BigInt(match[2] as string);
    const denominator = BigInt(match[3] as string);
    if (denominator === 0n || numerator >= denominator) return undefined;
    const value = exact.math.fraction(`${whole * denominator + numerator}/${denominator}`);
    return {
      value: signed(value),
      form: "mixed",
      isLowestTerms: gcd(numerator, denominator) === 1n,
    };
  }

  match = body.match(new RegExp(`^(${integerPattern}(?:\\.\\d+)?|\\.\\d+) ?%$`));
  if (match && forms.percent) {
    const percent = exact.math.fraction((match[1] as string).replaceAll(",", ""));
    return {
      value: signed(exact.math.divide(percent, exact.math.fraction(100)) as Fraction),
      form: "percent",
      isLowestTerms: true,
    };
  }
  return undefined;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** A rational as a learner would write it: 3, -1/2, 7/4. */
export function formatFraction(value: Fraction): string {
  const sign = value.s < 0n ? "-" : "";
  return value.d === 1n ? `${sign}${value.n}` : `${sign}${value.n}/${value.d}`;
}

/** A rational as a mixed number: 1 3/4, -2 1/2, 5, 3/4. */
export function formatMixed(value: Fraction): string {
  const sign = value.s < 0n ? "-" : "";
  const whole = value.n / value.d;
  const rest = value.n % value.d;
  if (rest === 0n) return `${sign}${whole}`;
  return whole === 0n ? `${sign}${rest}/${value.d}` : `${sign}${whole} ${rest}/${value.d}`;
}

/** Formats any value a course expression may produce. */
export function formatValue(value: unknown): string {
  if (isFraction(value)) return formatFraction(value);
  if (typeof value === "number")
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)));
  if (typeof value === "boolean") return value ? "true" : "false";
  return String(value);
}

/** Exact equality of two rationals. */
export function sameNumber(a: Fraction, b: Fraction): boolean {
  return exact.math.equal(a, b) as boolean;
}
