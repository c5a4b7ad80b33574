import { z } from "zod";
import { type ItemDefinition, itemSchema } from "../content/index.ts";
import {
  createLearnerState,
  type LearnerState,
  parseLearnerState,
  serializeLearnerState,
  ValidationError,
} from "../engine/index.ts";

/** What Socra keeps about a learner besides the engine's model: streaks, counts, their course. */
export interface Profile {
  courseId?: string;
  /** First attempts right in a row (without hints). */
  streak: number;
  bestStreak: number;
  /** Items finished per course. */
  itemsDone: Record<string, number>;
  firstSeenAt: number;
  lastActiveAt: number;
  /** Language the learner asked for (BCP 47); the course's language otherwise. */
  language?: string;
  /** What the learner said they like, for examples in explanations (their words). */
  interests?: string;
  /** Misconceptions shown recently, newest first, as "course/skill/misconception" ids. */
  recentMistakes?: string[];
  /** When the learner was added to their tenant's roster (the teacher's class list). */
  rosteredAt?: number;
  /** The learner asked for a message when a spaced review falls due. */
  wantsReviewNudges?: boolean;
  /** When the pending review nudge is scheduled for. */
  nudgeAt?: number;
}

/** An assignment as the learner's record keeps it: what to practise and how far they are. */
export interface LearnerAssignment {
  readonly courseId: string;
  /** Skill ids of the course. */
  readonly skillIds: readonly string[];
  readonly createdAt: number;
  readonly dueAt?: number;
  /** Items to practise; with completion "count" it decides completion, otherwise a minimum. */
  readonly count?: number;
  readonly completion: "mastery" | "count";
  /** Items finished for this assignment. */
  done: number;
  completedAt?: number;
}

/** The learner's durable record: never expires. */
export interface LearnerRecord {
  readonly profile: Profile;
  readonly state: LearnerState;
  /** Open and completed assignments by id. */
  readonly assignments: Record<string, LearnerAssignment>;
}

/** The question in front of the learner. */
export interface OpenItem {
  readonly itemId: string;
  readonly skillId: string;
  readonly reason: string;
  /** The assignment this item was chosen for. */
  readonly assignmentId?: string;
  readonly shownAt: number;
  /** Readable answers given so far. */
  attempts: number;
  hintsShown: number;
  /** A hint before the first attempt: that attempt counts as "not yet". */
  hintBeforeAttempt: boolean;
  /** Free-text items without an LLM: the model answer is shown, waiting for a self-rating. */
  isAwaitingRating: boolean;
  /** An LLM-written item (not in the course file), kept whole so the session can resume it. */
  generated?: ItemDefinition;
  /** The learner's answers to this item so far, for LLM hints (newest last, shortened). */
  answers?: string[];
  /** LLM hints given after the authored ladder. */
  extraHints?: string[];
}

/** The conversation in progress: expires after inactivity. */
export interface Session {
  courseId: string;
  /** A skill the learner asked to practise with /practice. */
  focusSkillId?: string;
  /** For a focus skill already mastered: items left in the practice round. */
  focusRemaining?: number;
  turn: number;
  current?: OpenItem | undefined;
  /** The UTC day the learner was told their LLM budget is spent (told once a day). */
  budgetNoticeDay?: string;
}

const profileSchema = z.object({
  courseId: z.string().optional(),
  streak: z.int().min(0),
  bestStreak: z.int().min(0),
  itemsDone: z.record(z.string(), z.int().min(0)),
  firstSeenAt: z.number(),
  lastActiveAt: z.number(),
  language: z.string().optional(),
  interests: z.string().optional(),
  recentMistakes: z.array(z.string()).optional(),
  rosteredAt: z.number().optional(),
  wantsReviewNudges: z.boolean().optional(),
  nudgeAt: z.number().optional(),
});

const learnerAssignmentSchema = z.object({
  courseId: z.string(),
  skillIds: z.array(z.string()),
  createdAt: z.number(),
  dueAt: z.number().optional(),
  count: z.int().min(1).optional(),
  completion: z.enum(["mastery", "count"]),
  done: z.int().min(0),
  completedAt: z.number().optional(),
});

const recordSchema = z.object({
  v: z.literal(1),
  profile: profileSchema,
  state: z.string(),
  assignments: z.record(z.string(), learnerAssignmentSchema).optional(),
});

const sessionSchema = z.object({
  v: z.literal(1),
  courseId: z.string(),
  focusSkillId: z.string().optional(),
  focusRemaining: z.int().min(0).optional(),
  turn: z.int().min(0),
  current: z
    .object({
      itemId: z.string(),
      skillId: z.string(),
      reason: z.string(),
      assignmentId: z.string().optional(),
      shownAt: z.number(),
      attempts: z.int().min(0),
      hintsShown: z.int().min(0),
      hintBeforeAttempt: z.boolean(),
      isAwaitingRating: z.boolean(),
      generated: itemSchema.optional(),
      answers: z.array(z.string()).optional(),
      extraHints: z.array(z.string()).optional(),
    })
    .optional(),
  budgetNoticeDay: z.string().optional(),
});

export function newLearnerRecord(now: number): LearnerRecord {
  return {
    profile: { streak: 0, bestStreak: 0, itemsDone: {}, firstSeenAt: now, lastActiveAt: now },
    state: createLearnerState(),
    assignments: {},
  };
}

function parseJson<T>(json: string, schema: z.ZodType<T>, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new ValidationError(`bad_${what}`, `Stored ${what} is not JSON`, { cause: error });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new ValidationError(
      `bad_${what}`,
      `Stored ${what} is invalid: ${z.prettifyError(parsed.error)}`,
    );
  return parsed.data;
}

export function parseLearnerRecord(json: string): LearnerRecord {
  const data = parseJson(json, recordSchema, "learner");
  return {
    profile: withoutUndefined(data.profile) as Profile,
    state: parseLearnerState(data.state),
    assignments: Object.fromEntries(
      Object.entries(data.assignments ?? {}).map(([id, a]) => [
        id,
        withoutUndefined(a) as LearnerAssignment,
      ]),
    ),
  };
}

export function serializeLearnerRecord(record: LearnerRecord): string {
  return JSON.stringify({
    v: 1,
    profile: record.profile,
    state: serializeLearnerState(record.state),
    ...(Object.keys(record.assignments).length > 0 ? { assignments: record.assignments } : {}),
  });
}

export function parseSession(json: string): Session {
  const { v: _version, current, ...rest } = parseJson(json, sessionSchema, "session");
  const session = withoutUndefined(rest) as Session;
  if (current) session.current = withoutUndefined(current) as OpenItem;
  return session;
}

export function serializeSession(session: Session): string {
  return JSON.stringify({ v: 1, ...session });
}

/** zod's optional fields come back as `undefined`; stored records leave them out instead. */
function withoutUndefined(object: object): object {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}
