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
}

export interface BeginTurnOptions {
  /** The platform's id for the inbound event: a redelivery of a processed event is skipped. */
  readonly eventId?: string;
}

/** Where learners live. The in-memory and Redis stores pass the same contract tests. */
export interface TutorStore {
  /**
   * Waits for the learner's previous turn to end (across processes for Redis), then opens a
   * turn with the learner's data; "duplicate" when the event was already processed.
   */
  beginTurn(key: LearnerKey, options?: BeginTurnOptions): Promise<Turn | "duplicate">;
  /** The newest attempt-log entries, newest first. */
  readAttempts(key: LearnerKey, limit: number): Promise<string[]>;
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

export const systemClock: Clock = { now: () => Date.now() };
