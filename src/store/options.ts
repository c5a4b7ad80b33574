import { SocraError } from "../engine/index.ts";

/** How long things live in a store, and how long a turn may hold a learner. */
export interface StoreOptions {
  /** A session ends after this long without a turn; the learner model never expires. */
  readonly sessionTtlMs?: number;
  /** A turn's hold on its learner lapses after this long (a crashed process cannot block them). */
  readonly lockTtlMs?: number;
  /** How long a turn waits for the learner's previous turn before giving up. */
  readonly waitMs?: number;
  /** Newest attempt-log entries kept per learner. */
  readonly attemptsKept?: number;
  /** How long a processed event id is remembered (platform retries come within minutes). */
  readonly eventTtlMs?: number;
}

export const DEFAULT_STORE_OPTIONS = {
  sessionTtlMs: 3 * 24 * 3_600_000,
  lockTtlMs: 30_000,
  waitMs: 15_000,
  attemptsKept: 1000,
  eventTtlMs: 24 * 3_600_000,
} as const satisfies Required<StoreOptions>;

/** A store failure with a code: "learner_busy" (waited too long), "lock_lost" (turn outlived its hold), "unavailable". */
export class StoreError extends SocraError {
  override readonly name: string = "StoreError";
}
