import type { Notice } from "./messages.ts";
import type { TeacherTarget } from "./teacher-commands.ts";

/**
 * The tutor's ports: small interfaces it receives in one `deps` object (no singletons). Stores,
 * clocks and loggers are implemented outside the tutor and point inward to these types.
 */

/** Whose turn it is: a learner within a tenant (a Slack workspace, a Discord guild, "local"). */
export interface LearnerKey {
  readonly tenant: string;
  readonly learner: string;
}

/** What a turn starts from: the learner's stored model and session, as JSON text. */
export interface TurnData {
  readonly model?: string;
  readonly session?: string;
}

/** What a turn leaves behind. Absent fields stay as they were; `session: null` ends the session. */
export interface TurnChanges {
  readonly model?: string;
  readonly session?: string | null;
  /** Attempt-log entries, oldest first (JSON text). */
  readonly attempts?: readonly string[];
}

/** An open turn: the learner's turns are serialized until it is committed or released. */
export interface Turn {
  readonly data: TurnData;
  /** Saves the changes and ends the turn; marks the turn's event as processed. */
  commit(changes: TurnChanges): Promise<void>;
  /** Ends the turn without saving (its event stays unprocessed, so a redelivery is handled). */
  release(): Promise<void>;
  /**
   * Deletes every key of the learner (model, session, attempt log, processed events) and ends
   * the turn: `/tutor forget-me`.
   */
  erase(): Promise<void>;
}

export interface BeginTurnOptions {
  /** The platform's id for the inbound event: a redelivery of a processed event is skipped. */
  readonly eventId?: string;
}

/**
 * A name for data a tenant shares across its learners (cached LLM text, generated items, token
 * counters). Stores keep each tenant's shared data apart.
 */
export interface SharedKey {
  readonly tenant: string;
  readonly name: string;
}

/** Data shared by a tenant's learners, outside any turn. Every call is one round trip. */
export interface SharedStore {
  /** A cached value; undefined when absent or expired. */
  getCached(key: SharedKey): Promise<string | undefined>;
  setCached(key: SharedKey, value: string, ttlMs: number): Promise<void>;
  /** Adds to a counter, which expires `ttlMs` after it was created; returns the new total. */
  addToCounter(key: SharedKey, amount: number, ttlMs: number): Promise<number>;
  /** A counter's value; 0 when absent or expired. */
  readCounter(key: SharedKey): Promise<number>;
  /** Appends to a list that keeps its newest `max` entries. */
  appendToList(key: SharedKey, value: string, max: number): Promise<void>;
  /** A list's entries, oldest first; empty when absent. */
  readList(key: SharedKey): Promise<string[]>;
  /** Sets one field of a record set (assignments, the roster); record sets never expire. */
  putRecord(key: SharedKey, field: string, value: string): Promise<void>;
  /** Every field of a record set; empty when absent. */
  readRecords(key: SharedKey): Promise<Record<string, string>>;
  deleteRecord(key: SharedKey, field: string): Promise<void>;
  /** Deletes a name's cached value, counter, list and record set. */
  deleteShared(key: SharedKey): Promise<void>;
}

/** Where learners live. The in-memory and Redis stores pass the same contract tests. */
export interface TutorStore extends SharedStore {
  /**
   * Waits for the learner's previous turn to end (across processes for Redis), then opens a
   * turn with the learner's data; "duplicate" when the event was already processed.
   */
  beginTurn(key: LearnerKey, options?: BeginTurnOptions): Promise<Turn | "duplicate">;
  /** The newest attempt-log entries, newest first. */
  readAttempts(key: LearnerKey, limit: number): Promise<string[]>;
  /** The learner's data as stored, without waiting for their turn (reports, exports). */
  readLearner(key: LearnerKey): Promise<TurnData>;
  close(): Promise<void>;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The slice of a pino logger the tutor uses. */
export interface Logger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** What the LLM may know about the learner: never a name, a handle or a platform id. */
export interface LearnerContext {
  /** BCP 47 tag of the language to write in. */
  readonly language: string;
  readonly level: "new to it" | "getting there" | "almost mastered" | "mastered";
  /** What the learner said they like, in their words (learner text). */
  readonly interests?: string;
  /** Descriptions of misconceptions they showed recently (authored text). */
  readonly recentMistakes: readonly string[];
}

export interface SkillContext {
  readonly courseTitle: string;
  readonly name: string;
  readonly description: string;
  readonly explanation: string;
  readonly misconceptions: readonly { readonly id: string; readonly description: string }[];
}

/** The open question as the LLM sees it: the prompt with its choices, and the key. */
export interface ItemContext {
  readonly prompt: string;
  /** The correct answer as authored (absent for free-text items). */
  readonly answer?: string;
  readonly solution: string;
  /** Free-text items: what a good answer contains, and a model answer. */
  readonly rubric?: string;
  readonly modelAnswer?: string;
}

/** How one LLM call may run: until the signal aborts (the turn's deadline, or the learner moved on). */
export interface LlmCallOptions {
  readonly signal: AbortSignal;
  /** When the turn's LLM time runs out, in clock milliseconds: retries never wait past it. */
  readonly deadlineAt: number;
  /** Streaming: called with the whole text so far as it grows. */
  readonly onText?: (textSoFar: string) => void;
}

/** What a call produced and what it cost. */
export interface LlmOutput<T> {
  readonly value: T;
  /** Prompt plus completion tokens, as reported by the provider (estimated when it does not say). */
  readonly tokens: number;
}

export interface Diagnosis {
  /** A known misconception of the skill, by id. */
  readonly misconceptionId: string | null;
  /** A misconception the pack does not know, described for the teacher. */
  readonly newMisconception: string | null;
  readonly feedback: string;
}

export interface Grade {
  readonly verdict: "correct" | "partial" | "incorrect";
  readonly feedback: string;
  readonly misconceptionId: string | null;
}

export interface TopicReply {
  readonly onTopic: boolean;
  readonly reply: string;
}

export type LlmIntent = "answer" | "hint" | "question" | "greeting" | "frustration" | "off-topic";

/** A question the LLM wrote; the tutor accepts it only after checking it. */
export interface GeneratedQuestion {
  readonly prompt: string;
  readonly answer: string;
  readonly choices: readonly string[];
  /** Numeric items: arithmetic that computes the answer from the question's numbers. */
  readonly computation: string;
  readonly hints: readonly string[];
  readonly solution: string;
}

/**
 * The LLM, as the tutor uses it: one method per pedagogical job. Implementations render the
 * versioned prompts and validate structured output; the tutor applies the guards (answer leaks,
 * moderation, budgets) to everything they return.
 */
export interface TutorLlm {
  /** The model name, for provenance. */
  readonly model: string;
  /** A prompt's version, for cache keys and provenance. */
  promptVersion(name: string): number;
  explain(
    input: { skill: SkillContext; learner: LearnerContext },
    options: LlmCallOptions,
  ): Promise<LlmOutput<string>>;
  hint(
    input: {
      skill: SkillContext;
      item: ItemContext;
      hintsGiven: readonly string[];
      attempts: readonly string[];
      language: string;
    },
    options: LlmCallOptions,
  ): Promise<LlmOutput<string>>;
  diagnose(
    input: { skill: SkillContext; item: ItemContext; learnerAnswer: string; language: string },
    options: LlmCallOptions,
  ): Promise<LlmOutput<Diagnosis>>;
  grade(
    input: { skill: SkillContext; item: ItemContext; learnerAnswer: string; language: string },
    options: LlmCallOptions,
  ): Promise<LlmOutput<Grade>>;
  answerQuestion(
    input: { skill: SkillContext; item?: ItemContext; question: string; language: string },
    options: LlmCallOptions,
  ): Promise<LlmOutput<TopicReply>>;
  classifyIntent(
    input: { item?: ItemContext; message: string },
    options: LlmCallOptions,
  ): Promise<LlmOutput<LlmIntent>>;
  generateQuestion(
    input: {
      skill: SkillContext;
      type: "numeric" | "choice" | "expression";
      examples: readonly string[];
      language: string;
    },
    options: LlmCallOptions,
  ): Promise<LlmOutput<GeneratedQuestion>>;
  /** Solves a question without its key, to check a generated one independently. */
  solve(input: { itemPrompt: string }, options: LlmCallOptions): Promise<LlmOutput<string>>;
  /**
   * Whether any of the texts breaks the provider's content policy. Absent when moderation is
   * off (local servers).
   */
  moderate?(texts: readonly string[], options: LlmCallOptions): Promise<boolean>;
}

/** Something to do later: reminders, digests, new members' assignments, review nudges, records for the LRS. */
export type Job =
  | {
      /** Reminds an assignment's learners who have not finished, before it is due. */
      readonly type: "reminder";
      readonly tenant: string;
      readonly assignmentId: string;
      /** One learner (a reminder moved out of their quiet hours); all of them otherwise. */
      readonly learner?: string;
    }
  | {
      /** Tells the teacher how an assignment went, when it is due or everyone finished. */
      readonly type: "digest";
      readonly tenant: string;
      readonly assignmentId: string;
    }
  | {
      /** Gives an open assignment to people who joined its channels or groups since; repeats. */
      readonly type: "members";
      readonly tenant: string;
      readonly assignmentId: string;
    }
  | {
      /** Tells a learner who asked for it that a spaced review is due. */
      readonly type: "nudge";
      readonly tenant: string;
      readonly platform: string;
      readonly learner: string;
    }
  | {
      /** Learning records to forward to the Learning Record Store, retried until it takes them. */
      readonly type: "records";
      readonly tenant: string;
      readonly learner: string;
      readonly statements: readonly unknown[];
    };

/**
 * Delayed work that survives a restart (BullMQ on Redis; timers in memory for the console).
 * A failing job is retried with backoff.
 */
export interface Scheduler {
  /** Runs `job` at `runAt` (at once when past). A pending job with the same `id` is replaced. */
  schedule(job: Job, runAt: number, id?: string): Promise<void>;
  /** Cancels a pending job; nothing when there is none. */
  cancel(id: string): Promise<void>;
  /** Cancels every pending job of a learner (forget-me); returns how many. */
  cancelLearner(tenant: string, learner: string): Promise<number>;
  close(): Promise<void>;
}

/** What a platform (Slack, Discord, the console) does for teachers, outside a conversation. */
export interface ClassroomPlatform {
  /**
   * The learners a target names: the user, or a channel's or a group's members who are neither
   * bots nor teachers; undefined when the platform does not know the target in this tenant.
   */
  membersOf(tenant: string, target: TeacherTarget): Promise<readonly string[] | undefined>;
  /** Sends the user a direct message; false when it could not be delivered. */
  notify(tenant: string, user: string, notice: Notice): Promise<boolean>;
  /** A user's display name (for their teacher's report) and time zone, when known. */
  describe(tenant: string, user: string): Promise<{ name?: string; timeZone?: string }>;
}

/** Runs a job when it falls due; a throw means "retry later". */
export type JobHandler = (job: Job) => Promise<void>;

export const systemClock: Clock = { now: () => Date.now() };
