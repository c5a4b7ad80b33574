import type { Course } from "../content/index.ts";
import { type LearnerKey, ROSTER_NAME, type TutorStore } from "../tutor/index.ts";
import {
  type LearningEvent,
  type StatementContext,
  toStatements,
  type XapiStatement,
} from "./statements.ts";

/** Who an attempt-log entry belongs to. */
export interface LogOwner extends LearnerKey {
  readonly platform: string;
}

const KINDS = new Set(["answer", "hint", "skip", "rating", "mastery"]);

/**
 * One entry of the tutor's attempt log (JSON) as a learning event; undefined for entries that
 * are not learning records or name a course or skill that no longer exists.
 */
export function eventFromLog(
  json: string,
  owner: LogOwner,
  courses: ReadonlyMap<string, Course>,
): LearningEvent | undefined {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const kind = entry.kind;
  const course = courses.get(String(entry.course));
  const skill = course?.skill(String(entry.skill));
  if (
    typeof kind !== "string" ||
    !KINDS.has(kind) ||
    !course ||
    !skill ||
    typeof entry.at !== "number"
  )
    return undefined;
  const text = (key: string) =>
    typeof entry[key] === "string" ? (entry[key] as string) : undefined;
  const count = (key: string) =>
    typeof entry[key] === "number" ? (entry[key] as number) : undefined;
  const itemId = text("item");
  const item = itemId === undefined ? undefined : course.findItem(itemId);
  const change = text("change");
  return {
    tenant: owner.tenant,
    platform: owner.platform,
    learner: owner.learner,
    at: entry.at,
    kind: kind as LearningEvent["kind"],
    course: { id: course.id, title: course.title },
    skill: { id: skill.id, name: skill.name },
    ...(itemId === undefined || kind === "mastery" ? {} : { itemId }),
    ...(item ? { itemPrompt: item.prompt } : {}),
    ...optional("answer", text("answer")),
    ...optional("verdict", text("verdict")),
    ...optional("attempt", count("attempt")),
    ...optional("hints", count("hints")),
    ...optional("rung", count("rung")),
    ...optional("source", text("source")),
    ...optional("misconception", text("misconception")),
    ...optional("assignmentId", text("assignment")),
    ...(kind === "mastery" && (change === "gained" || change === "lost")
      ? { mastery: { change, pKnown: count("pKnown") ?? 0 } }
      : {}),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Statements for attempt-log entries, in the order given; entries that are not records are left out. */
export function statementsFromLog(
  entries: readonly string[],
  owner: LogOwner,
  courses: ReadonlyMap<string, Course>,
  context: StatementContext,
): XapiStatement[] {
  return entries.flatMap((json) => {
    const event = eventFromLog(json, owner, courses);
    return event
      ? toStatements(event, { ...context, language: courseLanguage(courses, event) })
      : [];
  });
}

function courseLanguage(courses: ReadonlyMap<string, Course>, event: LearningEvent): string {
  return courses.get(event.course.id)?.language ?? "und";
}

export interface ExportOptions {
  readonly store: TutorStore;
  readonly courses: readonly Course[];
  readonly tenants: readonly string[];
  /** Only records at or after this time (ms since the epoch). */
  readonly since?: number;
  readonly context: StatementContext;
  /** Attempt-log entries read per learner: the store keeps its newest ones. */
  readonly limit: number;
}

/** Every learning record the store still holds for the tenants' learners, oldest first per learner. */
export async function* exportStatements(options: ExportOptions): AsyncGenerator<XapiStatement> {
  const courses = new Map(options.courses.map((course) => [course.id, course]));
  const since = options.since ?? Number.NEGATIVE_INFINITY;
  for await (const { owner, entries } of learnerLogs(
    options.store,
    options.tenants,
    options.limit,
  )) {
    const recent = entries.filter((e) => {
      const at = (JSON.parse(e) as { at?: unknown }).at;
      return typeof at === "number" && at >= since;
    });
    yield* statementsFromLog(recent, owner, courses, options.context);
  }
}

/**
 * Each rostered learner of the tenants (in id order) with the newest `limit` entries of their
 * attempt log, oldest first.
 */
export async function* learnerLogs(
  store: TutorStore,
  tenants: readonly string[],
  limit: number,
): AsyncGenerator<{ owner: LogOwner; entries: string[] }> {
  for (const tenant of tenants) {
    const roster = await store.readRecords({ tenant, name: ROSTER_NAME });
    for (const [learner, json] of Object.entries(roster).sort(([a], [b]) => a.localeCompare(b))) {
      const platform = (JSON.parse(json) as { platform?: string }).platform ?? "console";
      const entries = (await store.readAttempts({ tenant, learner }, limit)).reverse();
      yield { owner: { tenant, learner, platform }, entries };
    }
  }
}
