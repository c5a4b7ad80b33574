import { describe, expect, it } from "vitest";
import {
  drawParams,
  instanceId,
  instantiate,
  interpolate,
  parseInstanceId,
  type TemplateDefinition,
} from "../../src/content/index.ts";
import { createRng } from "../../src/engine/index.ts";

const template: TemplateDefinition = {
  id: "add-like",
  skill: "add",
  type: "numeric",
  params: {
    a: { min: 1, max: 6, step: 1, exclude: [] },
    b: { min: 1, max: 6, step: 1, exclude: [] },
    d: { values: [7, 9] },
  },
  constraints: ["a + b < d", "a != b"],
  prompt: "{{a}}/{{d}} + {{b}}/{{d}} = ?",
  answer: "{{(a + b)/d}}",
  hints: ["Add {{a}} and {{b}}."],
  solution: "{{a}}/{{d}} + {{b}}/{{d}} = {{frac((a + b)/d)}} = {{mixed((a + b)/d)}}",
  feedback: [{ answer: "{{(a + b)/(2*d)}}", message: "Keep the denominator." }],
  tolerance: 0,
  simplest: false,
};

describe("item templates", () => {
  it("interpolates with exact fractions and the formatting helpers", () => {
    expect(
      interpolate("{{3/4 + 1/4}} and {{1/3 + 1/3}} and {{mixed(7/3)}} and {{dec(1/8, 3)}}", {}),
    ).toBe("1 and 2/3 and 2 1/3 and 0.125");
    expect(interpolate("{{gcd(a, b)}}", { a: 12, b: 18 })).toBe("6");
  });

  it("draws parameters that meet every constraint, deterministically for a seed", () => {
    const rng = createRng(1);
    for (let k = 0; k < 50; k++) {
      const params = drawParams(template, rng) as Record<string, number>;
      expect((params.a as number) + (params.b as number)).toBeLessThan(params.d as number);
      expect(params.a).not.toBe(params.b);
    }
    expect(drawParams(template, createRng(5))).toEqual(drawParams(template, createRng(5)));
  });

  it("reports constraints that can never hold", () => {
    expect(drawParams({ ...template, constraints: ["a > 10"] }, createRng(1))).toBeUndefined();
  });

  it("instantiates a checked item whose id carries its parameters", () => {
    const item = instantiate(template, { a: 2, b: 3, d: 7 });
    expect(item).toMatchObject({
      id: "add-like?a=2&b=3&d=7",
      prompt: "2/7 + 3/7 = ?",
      answer: "5/7",
      hints: ["Add 2 and 3."],
    });
    expect(item.feedback[0]?.answer).toBe("5/14");
    expect(parseInstanceId(item.id)).toEqual({
      templateId: "add-like",
      params: { a: 2, b: 3, d: 7 },
    });
    expect(parseInstanceId("plain-item")).toBeUndefined();
    expect(instanceId("t", { word: "a b&c" })).toBe("t?word=a%20b%26c");
  });

  it("names the expression that fails", () => {
    expect(() => interpolate("{{nope(1)}}", {})).toThrow('cannot evaluate "nope(1)"');
    expect(() => interpolate("{{import({})}}", {})).toThrow("cannot evaluate");
  });
});
