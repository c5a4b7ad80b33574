import { createHash } from "node:crypto";
import { ValidationError } from "../engine/index.ts";

/**
 * The xAPI version Socra speaks: sent as the `X-Experience-API-Version` header on every LRS
 * request. Statements themselves carry no `version`: xAPI 1.0.3 Data §2.4.10 says a Learning
 * Record Provider SHOULD NOT set it (and MUST set "1.0.0" if it does); the LRS stores "1.0.0".
 */
export const XAPI_VERSION = "1.0.3";

/** One entry of a learner's attempt log, plus who: the input to {@link toStatements}. */
export interface LearningEvent {
  readonly tenant: string;
  readonly platform: "slack" | "discord" | "console" | string;
  readonly learner: string;
  /** When it happened, ms since the epoch. */
  readonly at: number;
  readonly kind: "answer" | "hint" | "skip" | "rating" | "mastery";
  readonly course: { readonly id: string; readonly title: string };
  readonly skill: { readonly id: string; readonly name: string };
  /** Absent for "mastery". */
  readonly itemId?: string;
  readonly itemPrompt?: string;
  /** The learner's answer text (already scrubbed of identifiers). */
  readonly answer?: string;
  /** "correct" | "incorrect" | "partial" | "self-rated" | "ungraded"; a rating's "yes" | "partly" | "no". */
  readonly verdict?: string;
  /** 1 = first attempt. */
  readonly attempt?: number;
  /** Hints seen before this answer. */
  readonly hints?: number;
  /** For hints: which rung of the ladder. */
  readonly rung?: number;
  /** "llm" for model-written hints. */
  readonly source?: string;
  /** Misconception id (scoped to the skill). */
  readonly misconception?: string;
  readonly mastery?: { readonly change: "gained" | "lost"; readonly pKnown: number };
  readonly assignmentId?: string;
}

/** Where Socra's IRIs live and how its learners' accounts are named. */
export interface StatementContext {
  /** Absolute http(s) IRI of this deployment, e.g. "https://socra.example"; activities, Socra verbs and extensions are built under it. */
  readonly baseIri: string;
  /** Account home page per platform, overriding the defaults (e.g. a Slack Enterprise Grid URL). */
  readonly homePages?: Partial<Record<string, string>>;
  /** RFC 5646 language of the course content (titles, prompts, `context.language`); "und" (undetermined) when unknown. */
  readonly language?: string;
}

/** An xAPI language map: RFC 5646 tag → text. */
export type XapiLanguageMap = Readonly<Record<string, string>>;

/** An xAPI Agent identified by an `account` IFI: the only kind Socra emits. */
export interface XapiAgent {
  readonly objectType: "Agent";
  readonly account: { readonly homePage: string; readonly name: string };
}

export interface XapiVerb {
  readonly id: string;
  readonly display: XapiLanguageMap;
}

export interface XapiActivity {
  readonly objectType: "Activity";
  readonly id: string;
  readonly definition?: {
    readonly type?: string;
    readonly name?: XapiLanguageMap;
    readonly description?: XapiLanguageMap;
  };
}

export interface XapiResult {
  readonly success?: boolean;
  readonly response?: string;
  readonly score?: { readonly scaled: number };
  readonly extensions?: Readonly<Record<string, unknown>>;
}

export interface XapiContext {
  readonly contextActivities?: {
    readonly parent?: readonly XapiActivity[];
    readonly grouping?: readonly XapiActivity[];
  };
  readonly platform?: string;
  readonly language?: string;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** The subset of an xAPI 1.0.3 Statement that Socra produces. */
export interface XapiStatement {
  /** Name-based (v5) UUID of the event: re-exports and retries never duplicate at the LRS. */
  readonly id: string;
  readonly actor: XapiAgent;
  readonly verb: XapiVerb;
  readonly object: XapiActivity;
  readonly result?: XapiResult;
  readonly context: XapiContext;
  /** ISO 8601, UTC. */
  readonly timestamp: string;
}

// Verbs. Registered vocabulary where one says exactly what happened; a Socra verb under the
// deployment's baseIri otherwise (xAPI Data §3.1: an IRI under a domain the author controls).
const ANSWERED: XapiVerb = {
  id: "http://adlnet.gov/expapi/verbs/answered",
  display: { "en-US": "answered" },
};
const MASTERED: XapiVerb = {
  id: "http://adlnet.gov/expapi/verbs/mastered",
  display: { "en-US": "mastered" },
};
const SKIPPED: XapiVerb = {
  id: "http://id.tincanapi.com/verb/skipped",
  display: { "en-US": "skipped" },
};
/** Socra verbs: path under `${baseIri}/xapi/verbs/` and display. */
const SOCRA_VERBS = {
  // ADL "asked" means posing a question and ADB "requested" is defined around coaching
  // requests; neither says "asked for a hint on this question".
  hint: ["requested-hint", "requested a hint on"],
  // A free-text answer compared with the model answer by the learner; tin can "rated" would
  // read as rating the question itself.
  rating: ["self-assessed", "self-assessed"],
  // No registered verb for a mastery estimate falling back under the threshold.
  lost: ["lost-mastery", "lost mastery of"],
} as const;

const ACTIVITY_TYPES = {
  course: "http://adlnet.gov/expapi/activities/course",
  skill: "http://adlnet.gov/expapi/activities/objective",
  item: "http://adlnet.gov/expapi/activities/cmi.interaction",
} as const;

/** Account home pages of the platforms whose user ids the learner ids are. */
const DEFAULT_HOME_PAGES: ReadonlyMap<string, string> = new Map([
  ["slack", "https://slack.com"],
  ["discord", "https://discord.com"],
]);

/**
 * Namespace of statement ids: UUIDv5 of the URL namespace and "urn:socra:xapi:statements".
 * Never change it: ids must stay the same across releases for the LRS to recognise re-sends.
 */
const STATEMENT_ID_NAMESPACE = "e4191aa8-66bf-592b-9aa5-4e2e464aebea";

/**
 * Turns one learning event into xAPI statements (one today; an array so an event may map to
 * several later without breaking callers). Pure: the same event always gives the same
 * statements, ids included.
 *
 * - Actor: an `account` IFI, homePage per platform (Slack, Discord; the deployment's baseIri for
 *   console learners, who are accounts of Socra itself), name `${tenant}/${learner}`. Never a
 *   display name, e-mail or any learner text except the answer in `result.response`.
 * - Verbs: answer → ADL answered; skip → tincan skipped; mastery gained → ADL mastered; hint →
 *   `${baseIri}/xapi/verbs/requested-hint`; rating → `…/self-assessed`; mastery lost →
 *   `…/lost-mastery`.
 * - Object: the item (`${baseIri}/courses/{course}/items/{item}`, type cmi.interaction, the
 *   prompt as description), or for mastery the skill (`…/courses/{course}/skills/{skill}`,
 *   type objective).
 * - Result: `success` from the verdict (correct → true; incorrect, partial → false; a rating
 *   "yes" → true, "partly"/"no" → false, as the learner model counts them; self-rated and
 *   ungraded answers → absent), a rating's score (yes 1, partly 0.5, no 0), the answer as
 *   `response`, and extensions under `${baseIri}/xapi/extensions/`: attempt, hints, verdict,
 *   misconception (an IRI under the skill), hint-rung, hint-source, p-known.
 * - Context: parent = the skill (for mastery: the course), grouping = the course, `platform`,
 *   `language` when known, the assignment id as an extension.
 * - id: UUIDv5 over (tenant, platform, learner, at, kind, course, skill, item, attempt, rung):
 *   skill and rung are in it because one turn can master several skills at the same instant.
 *
 * Throws a ValidationError for an event that cannot be a statement ("invalid_learning_event":
 * no item on an item event, no mastery on a mastery event, not a valid time) and for a bad
 * context ("invalid_base_iri", "invalid_language"); callers exporting many events catch per event.
 */
export function toStatements(event: LearningEvent, context: StatementContext): XapiStatement[] {
  const base = baseOf(context.baseIri);
  const language = context.language ?? "und";
  if (!LANGUAGE_TAG.test(language))
    throw new ValidationError("invalid_language", `"${language}" is not an RFC 5646 language tag`);
  const when = new Date(event.at);
  if (Number.isNaN(when.getTime()))
    throw invalid(`Learning event time ${String(event.at)} is not a valid time`);
  const courseIri = `${base}/courses/${segment(event.course.id)}`;
  const course = activity(courseIri, ACTIVITY_TYPES.course, { [language]: event.course.title });
  const skillIri = `${courseIri}/skills/${segment(event.skill.id)}`;
  const skill = activity(skillIri, ACTIVITY_TYPES.skill, { [language]: event.skill.name });
  const extension = (name: string): string => `${base}/xapi/extensions/${name}`;
  const socraVerb = ([path, display]: readonly [string, string]): XapiVerb => ({
    id: `${base}/xapi/verbs/${path}`,
    display: { "en-US": display },
  });

  let verb: XapiVerb;
  let object: XapiActivity;
  if (event.kind === "mastery") {
    if (!event.mastery) throw invalid("A mastery event needs its mastery change");
    verb = event.mastery.change === "gained" ? MASTERED : socraVerb(SOCRA_VERBS.lost);
    object = skill;
  } else {
    if (event.itemId === undefined || event.itemId === "")
      throw invalid(`A ${event.kind} event needs its item id`);
    verb =
      event.kind === "answer"
        ? ANSWERED
        : event.kind === "skip"
          ? SKIPPED
          : socraVerb(event.kind === "hint" ? SOCRA_VERBS.hint : SOCRA_VERBS.rating);
    object = {
      objectType: "Activity",
      id: `${courseIri}/items/${segment(event.itemId)}`,
      definition: {
        type: ACTIVITY_TYPES.item,
        name: { [language]: event.itemId },
        ...(event.itemPrompt ? { description: { [language]: event.itemPrompt } } : {}),
      },
    };
  }

  const extensions: Record<string, unknown> = {};
  if (event.attempt !== undefined) extensions[extension("attempt")] = event.attempt;
  if (event.hints !== undefined) extensions[extension("hints")] = event.hints;
  if (event.verdict !== undefined) extensions[extension("verdict")] = event.verdict;
  if (event.misconception !== undefined)
    extensions[extension("misconception")] =
      `${skillIri}/misconceptions/${segment(event.misconception)}`;
  if (event.rung !== undefined) extensions[extension("hint-rung")] = event.rung;
  if (event.source !== undefined) extensions[extension("hint-source")] = event.source;
  if (event.mastery) extensions[extension("p-known")] = event.mastery.pKnown;
  const success = successOf(event);
  const scaled = event.kind === "rating" ? RATING_SCORES.get(event.verdict ?? "") : undefined;
  const result: XapiResult = {
    ...(success === undefined ? {} : { success }),
    ...(scaled === undefined ? {} : { score: { scaled } }),
    ...(event.kind === "answer" && event.answer !== undefined ? { response: event.answer } : {}),
    ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
  };

  const statement: XapiStatement = {
    id: statementId(event),
    actor: {
      objectType: "Agent",
      account: {
        homePage: homePageOf(event.platform, base, context.homePages),
        name: `${event.tenant}/${event.learner}`,
      },
    },
    verb,
    object,
    ...(Object.keys(result).length > 0 ? { result } : {}),
    context: {
      contextActivities:
        event.kind === "mastery" ? { parent: [course] } : { parent: [skill], grouping: [course] },
      platform: event.platform,
      // Only a known language: "und" in a language map says "no tag", here it would say nothing.
      ...(language === "und" ? {} : { language }),
      ...(event.assignmentId === undefined
        ? {}
        : { extensions: { [extension("assignment")]: event.assignmentId } }),
    },
    timestamp: when.toISOString(),
  };
  return [statement];
}

/** RFC 5646 in outline (language, then subtags): enough to keep a typo out of every language map. */
const LANGUAGE_TAG = /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/;

const RATING_SCORES: ReadonlyMap<string, number> = new Map([
  ["yes", 1],
  ["partly", 0.5],
  ["no", 0],
]);

function successOf(event: LearningEvent): boolean | undefined {
  if (event.kind === "answer") {
    if (event.verdict === "correct") return true;
    if (event.verdict === "incorrect" || event.verdict === "partial") return false;
    return undefined;
  }
  if (event.kind === "rating" && RATING_SCORES.has(event.verdict ?? ""))
    return event.verdict === "yes";
  return undefined;
}

function statementId(event: LearningEvent): string {
  const name = JSON.stringify([
    event.tenant,
    event.platform,
    event.learner,
    event.at,
    event.kind,
    event.course.id,
    event.skill.id,
    event.itemId ?? null,
    event.attempt ?? null,
    event.rung ?? null,
  ]);
  return uuidV5(STATEMENT_ID_NAMESPACE, name);
}

/** RFC 9562 §5.5: SHA-1 of namespace bytes and name, version 5, variant 10. */
function uuidV5(namespace: string, name: string): string {
  const bytes = createHash("sha1")
    .update(Buffer.from(namespace.replaceAll("-", ""), "hex"))
    .update(name, "utf8")
    .digest()
    .subarray(0, 16);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x50, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function homePageOf(
  platform: string,
  base: string,
  overrides: Partial<Record<string, string>> | undefined,
): string {
  // Own properties only: a platform named "constructor" must not find Object.prototype's.
  const configured =
    (overrides && Object.hasOwn(overrides, platform) ? overrides[platform] : undefined) ??
    DEFAULT_HOME_PAGES.get(platform);
  if (configured !== undefined) return configured;
  return platform === "console" ? base : `${base}/platforms/${segment(platform)}`;
}

function activity(id: string, type: string, name: XapiLanguageMap): XapiActivity {
  return { objectType: "Activity", id, definition: { type, name } };
}

/** The base IRI without trailing slashes; an absolute http(s) IRI or a ValidationError. */
function baseOf(baseIri: string): string {
  let url: URL;
  try {
    url = new URL(baseIri);
  } catch {
    throw new ValidationError("invalid_base_iri", `xAPI base IRI "${baseIri}" is not a URL`);
  }
  if (url.username !== "" || url.password !== "")
    throw new ValidationError("invalid_base_iri", "xAPI base IRI must not carry credentials");
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ValidationError("invalid_base_iri", `xAPI base IRI "${baseIri}" is not http(s)`);
  if (url.search !== "" || url.hash !== "")
    throw new ValidationError(
      "invalid_base_iri",
      `xAPI base IRI "${baseIri}" has a query or fragment`,
    );
  return baseIri.replace(/\/+$/, "");
}

/** One IRI path segment: ids may hold spaces, slashes or any Unicode ("." and ".." too). */
function segment(id: string): string {
  return id === "." || id === ".." ? id.replaceAll(".", "%2E") : encodeURIComponent(id);
}

function invalid(message: string): ValidationError {
  return new ValidationError("invalid_learning_event", message);
}
