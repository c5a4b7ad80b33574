import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/engine/index.ts";
import {
  type LearningEvent,
  type StatementContext,
  toStatements,
  XAPI_VERSION,
  type XapiStatement,
} from "../../src/records/index.ts";
import { createXapiValidator } from "./xapi-schema.ts";

const validate = createXapiValidator();
const CONTEXT: StatementContext = { baseIri: "https://socra.example" };
const BASE = "https://socra.example";
const EXT = `${BASE}/xapi/extensions`;

const AT = Date.UTC(2025, 2, 14, 9, 30, 0, 125);
const BASE_EVENT = {
  tenant: "T0123ABC",
  platform: "slack",
  learner: "U042LEARNER",
  at: AT,
  course: { id: "fractions", title: "Fractions" },
  skill: { id: "add-like", name: "Adding fractions with like denominators" },
} as const satisfies Partial<LearningEvent>;

/** One event of every kind and verdict the tutor logs. */
const EVENTS: Record<string, LearningEvent> = {
  "answer correct": {
    ...BASE_EVENT,
    kind: "answer",
    itemId: "add-like-3",
    itemPrompt: "What is 1/5 + 2/5?",
    answer: "3/5",
    verdict: "correct",
    attempt: 1,
    hints: 0,
  },
  "answer incorrect with a misconception": {
    ...BASE_EVENT,
    kind: "answer",
    itemId: "add-like-3",
    itemPrompt: "What is 1/5 + 2/5?",
    answer: "3/10",
    verdict: "incorrect",
    attempt: 1,
    hints: 1,
    misconception: "adds-denominators",
    assignmentId: "asg-7",
  },
  "answer partial": {
    ...BASE_EVENT,
    kind: "answer",
    itemId: "explain-1",
    answer: "Because the pieces are the same size",
    verdict: "partial",
    attempt: 2,
  },
  "answer self-rated": {
    ...BASE_EVENT,
    kind: "answer",
    itemId: "explain-1",
    answer: "The denominators stay",
    verdict: "self-rated",
    attempt: 1,
    hints: 0,
  },
  "answer ungraded": {
    ...BASE_EVENT,
    kind: "answer",
    itemId: "explain-1",
    answer: "no idea",
    verdict: "ungraded",
    attempt: 2,
  },
  "authored hint": { ...BASE_EVENT, kind: "hint", itemId: "add-like-3", rung: 1 },
  "LLM hint": { ...BASE_EVENT, kind: "hint", itemId: "add-like-3", rung: 4, source: "llm" },
  skip: { ...BASE_EVENT, kind: "skip", itemId: "add-like-3", attempt: 1, hints: 2 },
  "rating yes": { ...BASE_EVENT, kind: "rating", itemId: "explain-1", verdict: "yes" },
  "rating partly": { ...BASE_EVENT, kind: "rating", itemId: "explain-1", verdict: "partly" },
  "rating no": { ...BASE_EVENT, kind: "rating", itemId: "explain-1", verdict: "no" },
  "mastery gained": {
    ...BASE_EVENT,
    kind: "mastery",
    mastery: { change: "gained", pKnown: 0.962 },
  },
  "mastery lost": {
    ...BASE_EVENT,
    platform: "discord",
    tenant: "1100223344556677",
    learner: "998877665544",
    kind: "mastery",
    mastery: { change: "lost", pKnown: 0.81 },
  },
  "console answer": {
    ...BASE_EVENT,
    platform: "console",
    tenant: "local",
    learner: "me",
    kind: "answer",
    itemId: "add-like-1",
    answer: "2/3",
    verdict: "correct",
    attempt: 1,
  },
};

function only(event: LearningEvent, context: StatementContext = CONTEXT): XapiStatement {
  const statements = toStatements(event, context);
  expect(statements).toHaveLength(1);
  return statements[0] as XapiStatement;
}

function event(name: string): LearningEvent {
  const found = EVENTS[name];
  if (!found) throw new Error(`no event ${name}`);
  return found;
}

describe("toStatements: valid against the published xAPI schema", () => {
  it.each(Object.keys(EVENTS))("%s", (name) => {
    for (const statement of toStatements(event(name), CONTEXT)) {
      expect(validate(statement)).toEqual([]);
      // What goes over the wire: plain JSON, nothing lost in serialization.
      expect(validate(JSON.parse(JSON.stringify(statement)))).toEqual([]);
    }
  });

  it("context.language only when the language is known", () => {
    expect(only(event("skip")).context).not.toHaveProperty("language");
    expect(only(event("skip"), { ...CONTEXT, language: "und" }).context).not.toHaveProperty(
      "language",
    );
    const french = only(event("skip"), { ...CONTEXT, language: "fr-CA" });
    expect(french.context.language).toBe("fr-CA");
    expect(french.object.definition?.name).toEqual({ "fr-CA": "add-like-3" });
  });

  it("with a course language, home page overrides and a base IRI ending in a slash", () => {
    const context: StatementContext = {
      baseIri: "https://tutor.school.example/socra/",
      homePages: { slack: "https://school.enterprise.slack.com" },
      language: "fr-CA",
    };
    for (const name of Object.keys(EVENTS)) {
      const statement = only(event(name), context);
      expect(validate(statement)).toEqual([]);
      expect(statement.object.id.startsWith("https://tutor.school.example/socra/courses/")).toBe(
        true,
      );
    }
  });

  it("any ids, titles and answers (Unicode, spaces, slashes) still give valid statements", () => {
    const text = fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 });
    const arbitraryEvent = fc.record({
      tenant: text,
      // Names an object literal lookup would find on Object.prototype are in on purpose.
      platform: fc.oneof(
        fc.constantFrom("slack", "discord", "console", "constructor", "__proto__", "toString"),
        text,
      ),
      learner: text,
      at: fc.integer({ min: 0, max: Date.UTC(9999, 0, 1) }),
      kind: fc.constantFrom("answer", "hint", "skip", "rating", "mastery"),
      course: fc.record({ id: text, title: text }),
      skill: fc.record({ id: text, name: text }),
      itemId: text,
      itemPrompt: text,
      answer: text,
      verdict: fc.oneof(
        fc.constantFrom("correct", "incorrect", "partial", "self-rated", "yes", "partly", "no"),
        fc.constantFrom("constructor", "toString"),
        text,
      ),
      attempt: fc.integer({ min: 1, max: 9 }),
      hints: fc.nat(5),
      misconception: text,
      mastery: fc.record({
        change: fc.constantFrom("gained", "lost"),
        pKnown: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      assignmentId: text,
    }) satisfies fc.Arbitrary<LearningEvent>;
    fc.assert(
      fc.property(arbitraryEvent, (generated) => {
        for (const statement of toStatements(generated, CONTEXT))
          expect(validate(JSON.parse(JSON.stringify(statement)))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the validator is live", () => {
  const good = only(event("answer incorrect with a misconception"));
  const json = (): Record<string, unknown> => JSON.parse(JSON.stringify(good));

  it("accepts the statement it is shown", () => {
    expect(validate(json())).toEqual([]);
  });

  const mangles: Record<string, (statement: Record<string, unknown>) => void> = {
    "no actor": (s) => {
      delete s.actor;
    },
    "two identifiers on the actor (account and mbox)": (s) => {
      (s.actor as Record<string, unknown>).mbox = "mailto:learner@example.com";
    },
    "an account without a homePage": (s) => {
      s.actor = { objectType: "Agent", account: { name: "T1/U1" } };
    },
    "a verb id that is not an IRI": (s) => {
      s.verb = { id: "answered", display: { "en-US": "answered" } };
    },
    "a verb display keyed by something not a language tag": (s) => {
      s.verb = { id: "http://adlnet.gov/expapi/verbs/answered", display: { "en US!": "answered" } };
    },
    "an id that is not a UUID": (s) => {
      s.id = "statement-1";
    },
    "a timestamp that is not ISO 8601": (s) => {
      s.timestamp = "14/03/2025 09:30";
    },
    "a scaled score above 1": (s) => {
      s.result = { score: { scaled: 1.5 } };
    },
    "an extension keyed by a plain word": (s) => {
      s.result = { extensions: { attempt: 1 } };
    },
    "success as a string": (s) => {
      s.result = { success: "false" };
    },
    "an unknown top-level property": (s) => {
      s.learnerEmail = "learner@example.com";
    },
  };

  it.each(Object.keys(mangles))("rejects %s", (name) => {
    const statement = json();
    mangles[name]?.(statement);
    expect(validate(statement).length).toBeGreaterThan(0);
  });
});

describe("toStatements: what the statements say", () => {
  it("a correct first answer: answered, the item as object, the skill and course around it", () => {
    const statement = only(event("answer correct"));
    expect(statement).toEqual({
      id: expect.any(String),
      actor: {
        objectType: "Agent",
        account: { homePage: "https://slack.com", name: "T0123ABC/U042LEARNER" },
      },
      verb: { id: "http://adlnet.gov/expapi/verbs/answered", display: { "en-US": "answered" } },
      object: {
        objectType: "Activity",
        id: `${BASE}/courses/fractions/items/add-like-3`,
        definition: {
          type: "http://adlnet.gov/expapi/activities/cmi.interaction",
          name: { und: "add-like-3" },
          description: { und: "What is 1/5 + 2/5?" },
        },
      },
      result: {
        success: true,
        response: "3/5",
        extensions: { [`${EXT}/attempt`]: 1, [`${EXT}/hints`]: 0, [`${EXT}/verdict`]: "correct" },
      },
      context: {
        contextActivities: {
          parent: [
            {
              objectType: "Activity",
              id: `${BASE}/courses/fractions/skills/add-like`,
              definition: {
                type: "http://adlnet.gov/expapi/activities/objective",
                name: { und: "Adding fractions with like denominators" },
              },
            },
          ],
          grouping: [
            {
              objectType: "Activity",
              id: `${BASE}/courses/fractions`,
              definition: {
                type: "http://adlnet.gov/expapi/activities/course",
                name: { und: "Fractions" },
              },
            },
          ],
        },
        platform: "slack",
      },
      timestamp: "2025-03-14T09:30:00.125Z",
    });
  });

  it("a wrong answer carries the misconception as an IRI and the assignment", () => {
    const statement = only(event("answer incorrect with a misconception"));
    expect(statement.result?.success).toBe(false);
    expect(statement.result?.extensions?.[`${EXT}/misconception`]).toBe(
      `${BASE}/courses/fractions/skills/add-like/misconceptions/adds-denominators`,
    );
    expect(statement.context.extensions).toEqual({ [`${EXT}/assignment`]: "asg-7" });
  });

  it.each([
    ["answer partial", false],
    ["answer self-rated", undefined],
    ["answer ungraded", undefined],
    ["rating yes", true],
    ["rating partly", false],
    ["rating no", false],
  ])("%s: success %s", (name, success) => {
    expect(only(event(name)).result?.success).toBe(success);
  });

  it("a rating is a Socra verb with the rating as a score", () => {
    const statement = only(event("rating partly"));
    expect(statement.verb).toEqual({
      id: `${BASE}/xapi/verbs/self-assessed`,
      display: { "en-US": "self-assessed" },
    });
    expect(statement.result?.score).toEqual({ scaled: 0.5 });
    expect(only(event("rating yes")).result?.score).toEqual({ scaled: 1 });
    expect(only(event("rating no")).result?.score).toEqual({ scaled: 0 });
  });

  it("a hint is a Socra verb on the item with its rung and source", () => {
    const statement = only(event("LLM hint"));
    expect(statement.verb.id).toBe(`${BASE}/xapi/verbs/requested-hint`);
    expect(statement.object.id).toBe(`${BASE}/courses/fractions/items/add-like-3`);
    expect(statement.result).toEqual({
      extensions: { [`${EXT}/hint-rung`]: 4, [`${EXT}/hint-source`]: "llm" },
    });
  });

  it("a skip uses the registered skipped verb", () => {
    expect(only(event("skip")).verb).toEqual({
      id: "http://id.tincanapi.com/verb/skipped",
      display: { "en-US": "skipped" },
    });
  });

  it("mastery gained: ADL mastered the skill, within its course, with the estimate", () => {
    const statement = only(event("mastery gained"));
    expect(statement.verb.id).toBe("http://adlnet.gov/expapi/verbs/mastered");
    expect(statement.object.id).toBe(`${BASE}/courses/fractions/skills/add-like`);
    expect(statement.object.definition?.type).toBe("http://adlnet.gov/expapi/activities/objective");
    expect(statement.context.contextActivities?.parent?.[0]?.id).toBe(`${BASE}/courses/fractions`);
    expect(statement.result).toEqual({ extensions: { [`${EXT}/p-known`]: 0.962 } });
  });

  it("mastery lost: a Socra verb, the Discord account", () => {
    const statement = only(event("mastery lost"));
    expect(statement.verb).toEqual({
      id: `${BASE}/xapi/verbs/lost-mastery`,
      display: { "en-US": "lost mastery of" },
    });
    expect(statement.actor.account).toEqual({
      homePage: "https://discord.com",
      name: "1100223344556677/998877665544",
    });
  });

  it("console learners are accounts of the deployment; other platforms get a page under it", () => {
    expect(only(event("console answer")).actor.account.homePage).toBe(BASE);
    const teams = only({ ...event("answer correct"), platform: "ms teams" });
    expect(teams.actor.account.homePage).toBe(`${BASE}/platforms/ms%20teams`);
    expect(teams.context.platform).toBe("ms teams");
  });

  it("platform and verdict names that Object.prototype has are plain strings", () => {
    const statement = only({
      ...event("rating yes"),
      platform: "constructor",
      verdict: "toString",
    });
    expect(statement.actor.account.homePage).toBe(`${BASE}/platforms/constructor`);
    expect(statement.result?.success).toBeUndefined();
    expect(statement.result?.score).toBeUndefined();
    expect(validate(statement)).toEqual([]);
  });

  it("ids with spaces, slashes and dot segments stay inside their own path segment", () => {
    const statement = only({
      ...event("answer correct"),
      course: { id: "maths/year 7", title: "Maths" },
      itemId: "..",
    });
    expect(statement.object.id).toBe(`${BASE}/courses/maths%2Fyear%207/items/%2E%2E`);
    expect(validate(statement)).toEqual([]);
  });

  it("the actor is an account and nothing else; learner text appears only as the response", () => {
    const statement = only(event("answer incorrect with a misconception"));
    expect(Object.keys(statement.actor).sort()).toEqual(["account", "objectType"]);
    const { result, ...rest } = statement;
    expect(JSON.stringify(rest)).not.toContain("3/10");
    expect(result?.response).toBe("3/10");
    for (const name of ["authored hint", "skip", "rating yes", "mastery gained"])
      expect(only(event(name)).result?.response).toBeUndefined();
  });

  it("statements carry no version: xAPI 1.0.3 §2.4.10, the version travels in the header", () => {
    expect(XAPI_VERSION).toBe("1.0.3");
    for (const name of Object.keys(EVENTS)) expect(only(event(name))).not.toHaveProperty("version");
  });
});

describe("statement ids", () => {
  it("are the UUIDv5 of the event's identity (golden value computed with Python's uuid5)", () => {
    // uuid.uuid5(uuid.UUID("e4191aa8-66bf-592b-9aa5-4e2e464aebea"),
    //   '["T0123ABC","slack","U042LEARNER",1741944600125,"answer","fractions","add-like","add-like-3",1,null]')
    expect(only(event("answer correct")).id).toBe("0b6bde02-df87-5cc3-9c51-ab32dce50613");
  });

  it("are the same for the same event, whatever else changes (re-export, base IRI, wording)", () => {
    const original = only(event("answer correct"));
    const again = only(
      {
        ...event("answer correct"),
        itemPrompt: "Reworded",
        course: { id: "fractions", title: "F" },
      },
      { baseIri: "https://elsewhere.example" },
    );
    expect(again.id).toBe(original.id);
  });

  it("differ between events that differ in who, when, what or which attempt", () => {
    const base = event("answer correct");
    const variants: LearningEvent[] = [
      base,
      { ...base, tenant: "T999" },
      { ...base, platform: "discord" },
      { ...base, learner: "U999" },
      { ...base, at: base.at + 1 },
      { ...base, kind: "skip" },
      { ...base, itemId: "add-like-4" },
      { ...base, attempt: 2 },
      { ...event("mastery gained") },
      { ...event("mastery gained"), skill: { id: "subtract-like", name: "Subtracting" } },
      { ...event("authored hint") },
      { ...event("authored hint"), rung: 2 },
    ];
    const ids = variants.map((variant) => only(variant).id);
    expect(new Set(ids).size).toBe(variants.length);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("toStatements: invalid input", () => {
  it.each<[string, LearningEvent, StatementContext, string]>([
    [
      "an item event without an item",
      { ...BASE_EVENT, kind: "answer" },
      CONTEXT,
      "invalid_learning_event",
    ],
    [
      "a mastery event without its change",
      { ...BASE_EVENT, kind: "mastery" },
      CONTEXT,
      "invalid_learning_event",
    ],
    [
      "a time that is not a number",
      { ...event("skip"), at: Number.NaN },
      CONTEXT,
      "invalid_learning_event",
    ],
    [
      "a time past the end of ECMAScript dates",
      { ...event("skip"), at: 8.64e15 + 1 },
      CONTEXT,
      "invalid_learning_event",
    ],
    ["a relative base IRI", event("skip"), { baseIri: "socra.example" }, "invalid_base_iri"],
    [
      "a base IRI with a query",
      event("skip"),
      { baseIri: "https://socra.example/?x=1" },
      "invalid_base_iri",
    ],
    [
      "a language that is not a tag",
      event("skip"),
      { ...CONTEXT, language: "French!" },
      "invalid_language",
    ],
  ])("%s", (_name, input, context, code) => {
    expect(() => toStatements(input, context)).toThrow(ValidationError);
    try {
      toStatements(input, context);
      expect.fail("toStatements should have thrown");
    } catch (error) {
      expect((error as ValidationError).code).toBe(code);
    }
  });

  it("a base IRI with credentials is refused without echoing them", () => {
    try {
      toStatements(event("skip"), { baseIri: "https://admin:hunter2@socra.example" });
      expect.fail("toStatements should have thrown");
    } catch (error) {
      expect((error as ValidationError).code).toBe("invalid_base_iri");
      expect((error as Error).message).not.toContain("hunter2");
    }
  });
});

describe("statements.ts is pure", () => {
  const source = readFileSync(join(import.meta.dirname, "../../src/records/statements.ts"), "utf8");

  it("imports only hashing and the engine's errors", () => {
    const imports = [...source.matchAll(/\bfrom\s*["']([^"']+)["']/g)].map((match) => match[1]);
    expect(imports.sort()).toEqual(["../engine/index.ts", "node:crypto"]);
  });

  it("reads no clock, randomness, environment or console", () => {
    expect(
      source.match(/\b(process\.|Date\.now\(|new Date\(\)|Math\.random\(|console\.|fetch\()/)?.[0],
    ).toBeUndefined();
  });
});
