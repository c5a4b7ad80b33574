import { all, create, type Fraction, type MathJsInstance, type MathNode } from "mathjs";

/**
 * mathjs for course expressions: exact rational arithmetic for templates and numeric answers,
 * floating point for checking algebraic expressions. Expressions cannot reach outside
 * themselves: as mathjs's security guidance advises, the functions that could (import,
 * createUnit, evaluate, parse, …) are replaced by ones that throw, and host code keeps the
 * originals captured here.
 */
export interface MathSandbox {
  readonly math: MathJsInstance;
  evaluate(expression: string, scope?: Record<string, unknown>): unknown;
  parse(expression: string): MathNode;
  /** Parses and compiles once per distinct expression (course expressions are a finite set). */
  compiled(expression: string): { evaluate(scope: Record<string, unknown>): unknown };
}

/** Distinct expressions kept compiled; far more than any set of courses uses. */
const COMPILED_KEPT = 10_000;

const BLOCKED = [
  "import",
  "createUnit",
  "evaluate",
  "parse",
  "simplify",
  "derivative",
  "resolve",
  "compile",
  "reviver",
  "chain",
];

function createSandbox(config: Parameters<typeof create>[1]): MathSandbox {
  const math = create(all as NonNullable<typeof all>, config);
  const evaluate = math.evaluate.bind(math);
  const parse = math.parse.bind(math);
  const blocked = (name: string) => () => {
    throw new Error(`${name} is not available in course expressions`);
  };
  math.import(Object.fromEntries(BLOCKED.map((name) => [name, blocked(name)])), { override: true });
  const cache = new Map<string, { evaluate(scope: Record<string, unknown>): unknown }>();
  return {
    math,
    evaluate: (expression, scope = {}) => evaluate(expression, { ...scope }),
    parse: (expression) => parse(expression),
    compiled(expression) {
      let code = cache.get(expression);
      if (code === undefined) {
        code = parse(expression).compile();
        if (cache.size >= COMPILED_KEPT) cache.clear();
        cache.set(expression, code);
      }
      return code;
    },
  };
}

export const exact: MathSandbox = createSandbox({ number: "Fraction" });
export const float: MathSandbox = createSandbox({ number: "number" });

export type { Fraction };

/** True for a mathjs Fraction value. */
export function isFraction(value: unknown): value is Fraction {
  return exact.math.typeOf(value) === "Fraction";
}
