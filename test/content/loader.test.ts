import { describe, expect, it } from "vitest";
import { checkCourse, courseJsonSchema, formatProblems } from "../../src/content/index.ts";

const HEADER = `id: demo
title: Demo
description: A tiny course
`;

/** Problems as "line:column message" for compact assertions. */
const problemsOf = (text: string) =>
  checkCourse(text, "demo.yaml").problems.map((p) => `${p.line}:${p.column} ${p.message}`);

describe("course validation", () => {
  it("reports every semantic problem with its line and column", () => {
    const text = `${HEADER}skills:
  - id: add
    name: Adding
    explanation: Add things.
    misconceptions:
      - id: across
        description: adds across
  - id: sub
    name: Subtracting
    prerequisites: [add, mul]
    explanation: Take away.
  - id: mul
    name: Multiplying
    prerequisites: [sub]
    explanation: Times.
items:
  - id: a1
    skill: add
    type: numeric
    prompt: 1/2 + 1/4?
    answer: 3/4
    hints: ["The answer is 3/4", "It is 0.75"]
    solution: 1/2 = 2/4, so 2/4 + 1/4 = 3/4.
    feedback:
      - answer: 6/8
        message: oops
      - answer: 2/6
        misconception: nope
        message: hm
  - id: a1
    skill: add
    type: choice
    prompt: Pick
    choices: [1, 2, 3]
    answer: 4
    solution: x
  - id: a3
    skill: ghost
    type: numeric
    prompt: p
    answer: three
    solution: s
`;
    expect(problemsOf(text)).toEqual([
      '5:9 skill "add" has 2 item(s): give it at least 3 items or a template, so practice does not repeat',
      '11:9 skill "sub" has 0 item(s): give it at least 3 items or a template, so practice does not repeat',
      '15:9 skill "mul" has 0 item(s): give it at least 3 items or a template, so practice does not repeat',
      "17:20 Prerequisite cycle: sub → mul → sub",
      "25:13 hint 1 gives the answer away before the last rung",
      '28:17 feedback for "6/8" matches the correct answer',
      '31:24 unknown misconception "nope" for skill add',
      '33:9 duplicate id "a1" (also items[0])',
      '38:13 the answer "4" is not one of the choices',
      '41:12 unknown skill "ghost"',
      '44:13 the answer "three" is not a number (write 3/4, 0.75, 1 1/2 or 75%)',
    ]);
  });

  it("reports schema problems at the field, including unknown fields", () => {
    const text = `${HEADER}skills:
  - id: add
    name: Adding
    explanation: Add.
    prerequisite: [x]
items:
  - id: bad id
    skill: add
    type: multiple
    prompt: p
`;
    expect(problemsOf(text)).toEqual([
      '8:5 skills[0]: unknown field "prerequisite"',
      "12:11 items[0].type: must be one of choice, numeric, expression, text or free (templates: not free)",
    ]);
  });

  it("reports missing fields at their parent", () => {
    expect(problemsOf(`${HEADER}skills:\n  - id: add\n    name: Adding\n`)).toEqual([
      "5:5 skills[0].explanation: is required",
    ]);
  });

  it("reports the first YAML syntax error only, with its position", () => {
    expect(problemsOf(`${HEADER}skills: [ {id: a\n`)).toHaveLength(1);
    expect(problemsOf(`${HEADER}skills: [ {id: a\n`)[0]).toMatch(/^\d+:\d+ YAML: /);
  });

  it("checks template draws like authored items", () => {
    const text = `${HEADER}skills:
  - id: add
    name: Adding
    explanation: Add.
templates:
  - id: t
    skill: add
    type: numeric
    params: { a: { min: 1, max: 5 }, b: { min: 1, max: 5 } }
    constraints: ["a > 9"]
    prompt: "{{a}} + {{b}}"
    answer: "{{a + b}}"
    solution: s
  - id: t2
    skill: add
    type: numeric
    params: { a: { min: 10, max: 20 } }
    prompt: "{{a}} + 1"
    answer: "{{a + 1}}"
    hints: ["It's {{a + 1}}", "Yes, {{a + 1}}"]
    solution: s
`;
    const problems = problemsOf(text);
    expect(problems[0]).toBe('13:18 template "t": no draw of its params meets the constraints');
    expect(problems[1]).toMatch(
      /^23:13 template "t2" with \{"a":\d+\}: hint 1 gives the answer away before the last rung$/,
    );
  });

  it("compiles a valid course", () => {
    const { course, problems } = checkCourse(
      `${HEADER}skills:\n  - id: add\n    name: Adding\n    explanation: Add.\ntemplates:\n  - id: t\n    skill: add\n    type: numeric\n    params: { a: { min: 1, max: 5 } }\n    prompt: "{{a}} + 1"\n    answer: "{{a + 1}}"\n    solution: s\n`,
      "ok.yaml",
    );
    expect(problems).toEqual([]);
    expect(course?.templatesFor("add")).toHaveLength(1);
    expect(course?.findItem("t?a=3")).toMatchObject({ prompt: "3 + 1", answer: "4" });
    expect(formatProblems([{ file: "f.yaml", line: 3, column: 7, message: "m" }])).toBe(
      "f.yaml:3:7: m",
    );
  });

  it("publishes a JSON Schema for editors", () => {
    const schema = courseJsonSchema() as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["id", "title", "skills", "items", "templates"]),
    );
    expect(schema.required).toEqual(expect.arrayContaining(["id", "title", "skills"]));
  });
});
