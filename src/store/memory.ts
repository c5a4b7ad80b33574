import type {
  BeginTurnOptions,
  Clock,
  LearnerKey,
  Turn,
  TurnChanges,
  TutorStore,
} from "../tutor/index.ts";
import { systemClock } from "../tutor/index.ts";
import { DEFAULT_STORE_OPTIONS, StoreError, type StoreOptions } from "./options.ts";

/** A turn's hold on a learner. */
interface Hold {
  isOpen: boolean;
  readonly expiresAt: number;
  readonly done: Promise<void>;
  end(): void;
}

interface LearnerEntry {
  model?: string;
  session?: { json: string; expiresAt: number };
  attempts: string[];
  /** Processed event ids and when they may be forgotten. */
  events: Map<string, number>;
  holder?: Hold | undefined;
}

/** Resolves after `ms` or when `early` settles, whichever comes first; never keeps the process alive. */
function pause(ms: number, early: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms));
    timer.unref();
    void early.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The embedded store: everything in this process's memory. A learner's turns wait for each
 * other; a turn that outlives `lockTtlMs` loses its hold (its commit then fails), as in Redis.
 * It passes the same contract tests as the Redis store.
 */
export function createMemoryStore(options: StoreOptions & { clock?: Clock } = {}): TutorStore {
  const settings = { ...DEFAULT_STORE_OPTIONS, ...options };
  const clock = options.clock ?? systemClock;
  const learners = new Map<string, LearnerEntry>();
  let isClosed = false;

  const entryOf = (key: LearnerKey): LearnerEntry => {
    const id = JSON.stringify([key.tenant, key.learner]);
    let entry = learners.get(id);
    if (!entry) {
      entry = { attempts: [], events: new Map() };
      learners.set(id, entry);
    }
    return entry;
  };

  async function acquire(entry: LearnerEntry): Promise<Hold> {
    const deadline = performance.now() + settings.waitMs;
    for (;;) {
      const holder = entry.holder;
      const now = performance.now();
      if (holder === undefined) {
        let end!: () => void;
        const done = new Promise<void>((resolve) => {
          end = resolve;
        });
        const hold: Hold = {
          isOpen: true,
          expiresAt: now + settings.lockTtlMs,
          done,
          end() {
            hold.isOpen = false;
            if (entry.holder === hold) entry.holder = undefined;
            end();
          },
        };
        entry.holder = hold;
        return hold;
      }
      if (holder.expiresAt <= now) {
        holder.end(); // the turn outlived its hold: its commit will fail
        continue;
      }
      if (now >= deadline)
        throw new StoreError("learner_busy", "The learner's previous turn is still running");
      await pause(Math.min(holder.expiresAt, deadline) - now, holder.done);
    }
  }

  async function beginTurn(
    key: LearnerKey,
    turnOptions: BeginTurnOptions = {},
  ): Promise<Turn | "duplicate"> {
    if (isClosed) throw new StoreError("unavailable", "The store is closed");
    const entry = entryOf(key);
    const hold = await acquire(entry);
    const now = clock.now();
    for (const [id, expiresAt] of entry.events) if (expiresAt <= now) entry.events.delete(id);
    if (entry.session && entry.session.expiresAt <= now) delete entry.session;
    const { eventId } = turnOptions;
    if (eventId !== undefined && entry.events.has(eventId)) {
      hold.end();
      return "duplicate";
    }
    return {
      data: {
        ...(entry.model === undefined ? {} : { model: entry.model }),
        ...(entry.session === undefined ? {} : { session: entry.session.json }),
      },
      async commit(changes: TurnChanges) {
        if (!hold.isOpen)
          throw new StoreError(
            "lock_lost",
            "The turn outlived its hold on the learner; nothing was saved",
          );
        const at = clock.now();
        if (changes.model !== undefined) entry.model = changes.model;
        if (changes.session === null) delete entry.session;
        else if (changes.session !== undefined)
          entry.session = { json: changes.session, expiresAt: at + settings.sessionTtlMs };
        else if (entry.session) entry.session.expiresAt = at + settings.sessionTtlMs;
        for (const attempt of changes.attempts ?? []) entry.attempts.unshift(attempt);
        if (entry.attempts.length > settings.attemptsKept)
          entry.attempts.length = settings.attemptsKept;
        if (eventId !== undefined) entry.events.set(eventId, at + settings.eventTtlMs);
        hold.end();
      },
      async release() {
        if (hold.isOpen) hold.end();
      },
    };
  }

  return {
    beginTurn,
    async readAttempts(key, limit) {
      return entryOf(key).attempts.slice(0, limit);
    },
    async close() {
      isClosed = true;
    },
  };
}
