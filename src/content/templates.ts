import { type Rng, ValidationError } from "../engine/index.ts";
import { exact } from "./math.ts";
import { formatFraction, formatMixed, formatValue } from "./numbers.ts";
import {
  type ItemDefinition,
  itemSchema,
  type ParamDefinition,
  type TemplateDefinition,
} from "./schema.ts";

export type ParamValues = Readonly<Record<string, number | string>>;

/** Functions templates can call besides mathjs's own: mixed(x) "1 1/2", frac(x) "3/2", dec(x, 2) "1.50". */
const HELPERS = {
  mixed: (x: unknown) => formatMixed(exact.math.fraction(x as never)),
  frac: (x: unknown) => formatFraction(exact.math.fraction(x as never)),
  dec: (x: unknown, digits: unknown = 2) => Number(x).toFixed(Number(digits)),
};

const PLACEHOLDER = /\{\{(.*?)\}\}/g;
const MAX_DRAWS = 500;

type Scope = Record<string, unknown>;

function scopeOf(params: ParamValues): Scope {
  const scope: Scope = { ...HELPERS };
  for (const [name, value] of Object.entries(params)) {
    scope[name] = typeof value === "number" ? exact.math.fraction(value) : value;
  }
  return scope;
}

function evaluateIn(expression: string, scope: Scope): unknown {
  try {
    // The scope is copied: an expression cannot change what the next one sees.
    return exact.compiled(expression).evaluate({ ...scope });
  } catch (error) {
    throw new ValidationError(
      "bad_expression",
      `cannot evaluate "${expression.trim()}": ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

function interpolateIn(text: string, scope: Scope): string {
  return text.replace(PLACEHOLDER, (_, expression: string) =>
    formatValue(evaluateIn(expression, scope)),
  );
}

/** Replaces every {{ expression }} in a text by its formatted value. */
export function interpolate(text: string, params: ParamValues): string {
  return interpolateIn(text, scopeOf(params));
}

function candidates(param: ParamDefinition): readonly (number | string)[] {
  if ("values" in param) return param.values;
  const values: number[] = [];
  for (let v = param.min; v <= param.max && values.length < 10_000; v += param.step) {
    if (!param.exclude.includes(v)) values.push(v);
  }
  return values;
}

/**
 * Draws parameters until the constraints hold; undefined if MAX_DRAWS draws all fail (the
 * validator reports such a template).
 */
export function drawParams(
  template: Pick<TemplateDefinition, "params" | "constraints">,
  rng: Rng,
): ParamValues | undefined {
  const pools = Object.entries(template.params).map(
    ([name, param]) => [name, candidates(param)] as const,
  );
  if (pools.some(([, pool]) => pool.length === 0)) return undefined;
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const params = Object.fromEntries(
      pools.map(([name, pool]) => [name, pool[rng.int(pool.length)] as number | string]),
    );
    const scope = scopeOf(params);
    if (template.constraints.every((constraint) => evaluateIn(constraint, scope) === true))
      return params;
  }
  return undefined;
}

/** Instance ids carry their parameters, so an instance can be rebuilt from its id alone. */
export function instanceId(templateId: string, params: ParamValues): string {
  const query = Object.entries(params)
    .map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`)
    .join("&");
  return `${templateId}?${query}`;
}

/** Splits an instance id into template id and parameters; undefined for an authored item id. */
export function parseInstanceId(
  id: string,
): { templateId: string; params: ParamValues } | undefined {
  const at = id.indexOf("?");
  if (at < 0) return undefined;
  const params: Record<string, number | string> = {};
  for (const pair of id.slice(at + 1).split("&")) {
    const [name, raw = ""] = pair.split("=");
    if (!name) continue;
    const value = decodeURIComponent(raw);
    params[name] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return { templateId: id.slice(0, at), params };
}

/**
 * The item a template gives for some parameters: every text field interpolated, then checked
 * against the item schema like an authored item.
 */
export function instantiate(template: TemplateDefinition, params: ParamValues): ItemDefinition {
  const { params: _params, constraints: _constraints, ...fields } = template;
  const scope = scopeOf(params);
  const fill = (value: unknown): unknown => {
    if (typeof value === "string")
      return value.includes("{{") ? interpolateIn(value, scope) : value;
    if (Array.isArray(value)) return value.map(fill);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, fill(inner)]));
    }
    return value;
  };
  const filled = fill(fields) as Record<string, unknown>;
  const parsed = itemSchema.safeParse({ ...filled, id: template.id });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(
      "bad_template",
      `template ${template.id} gives an invalid item (${issue?.path.join(".")}: ${issue?.message})`,
    );
  }
  return { ...parsed.data, id: instanceId(template.id, params) };
}
