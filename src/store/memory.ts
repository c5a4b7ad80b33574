import type {
  BeginTurnOptions,
  Clock,
  LearnerKey,
  SharedKey,
  SharedStore,
  Turn,
  TurnChanges,
  TurnData,
  TutorStore,
} from "../tutor/index.ts";
import { systemClock } from "../tutor/index.ts";
import { DEFAULT_STORE_OPTIONS, StoreError, type StoreOptions } from "./options.ts";
import { checkSharedInput, type SharedInput } from "./shared-input.ts";

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

/** A cached value or a counter, and when it lapses. */
interface Expiring<T> {
  value: T;
  readonly expiresAt: number;
}

/**
 * A map whose entries lapse at `expiresAt` on the clock. Lapsed entries are dropped when read
 * and, so that values nobody reads again do not pile up, in a sweep each time the map doubles.
 */
function createExpiringMap<T>(clock: Clock) {
  const entries = new Map<string, Expiring<T>>();
  let sweepAtSize = 64;
  return {
    get(id: string): Expiring<T> | undefined {
      const entry = entries.get(id);
      if (entry === undefined || entry.expiresAt > clock.now()) return entry;
      entries.delete(id);
      return undefined;
    },
    delete(id: string): void {
      entries.delete(id);
    },
    set(id: string, entry: Expiring<T>): void {
      entries.set(id, entry);
      if (entries.size < sweepAtSize) return;
      const now = clock.now();
      for (const [key, { expiresAt }] of entries) if (expiresAt <= now) entries.delete(key);
      sweepAtSize = Math.max(64, entries.size * 2);
    },
  };
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

/** A learner's model and unexpired session, as a turn starts from them. */
function dataOf(entry: LearnerEntry, now: number): TurnData {
  const { model, session } = entry;
  return {
    ...(model === undefined ? {} : { model }),
    ...(session === undefined || session.expiresAt <= now ? {} : { session: session.json }),
  };
}

/**
 * The embedded store: everything in this process's memory. A learner's turns wait for each
 * other; a turn that outlives `lockTtlMs` loses its hold (its commit then fails), as in Redis.
 * Besides learners it keeps each tenant's shared data: cached values and counters that lapse on
 * the injected clock, lists trimmed to their newest entries, and record sets that never lapse.
 * It passes the same contract tests as the Redis store.
 */
export function createMemoryStore(options: StoreOptions & { clock?: Clock } = {}): TutorStore {
  const settings = { ...DEFAULT_STORE_OPTIONS, ...options };
  const clock = options.clock ?? systemClock;
  const learners = new Map<string, LearnerEntry>();
  let isClosed = false;

  const idOf = (key: LearnerKey): string => JSON.stringify([key.tenant, key.learner]);

  const entryOf = (key: LearnerKey): LearnerEntry => {
    const id = idOf(key);
    let entry = learners.get(id);
    if (!entry) {
      entry = { attempts: [], events: new Map() };
      learners.set(id, entry);
    }
    return entry;
  };

  /**
   * Waits for the learner's hold. The entry is looked up afresh after each wait: a turn that
   * erased the learner removed theirs, and the next turn starts a new one.
   */
  async function acquire(key: LearnerKey): Promise<{ entry: LearnerEntry; hold: Hold }> {
    const deadline = performance.now() + settings.waitMs;
    for (;;) {
      const entry = entryOf(key);
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
        return { entry, hold };
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
    const { entry, hold } = await acquire(key);
    const now = clock.now();
    for (const [id, expiresAt] of entry.events) if (expiresAt <= now) entry.events.delete(id);
    if (entry.session && entry.session.expiresAt <= now) delete entry.session;
    const { eventId } = turnOptions;
    if (eventId !== undefined && entry.events.has(eventId)) {
      hold.end();
      return "duplicate";
    }
    return {
      data: dataOf(entry, now),
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
      async erase() {
        if (!hold.isOpen)
          throw new StoreError(
            "lock_lost",
            "The turn outlived its hold on the learner; nothing was erased",
          );
        const id = idOf(key);
        if (learners.get(id) === entry) learners.delete(id);
        hold.end(); // waiting turns look the learner up again and find them new
      },
    };
  }

  return {
    beginTurn,
    async readAttempts(key, limit) {
      // A lookup, not entryOf: reading must not bring an erased learner back as an empty entry.
      return learners.get(idOf(key))?.attempts.slice(0, limit) ?? [];
    },
    async readLearner(key) {
      if (isClosed) throw new StoreError("unavailable", "The store is closed");
      const entry = learners.get(idOf(key));
      return entry === undefined ? {} : dataOf(entry, clock.now());
    },
    ...createMemorySharedStore(clock, () => isClosed),
    async close() {
      isClosed = true;
    },
  };
}

/** A tenant's shared data in memory; `isClosed` is asked on every call, as `beginTurn` does. */
function createMemorySharedStore(clock: Clock, isClosed: () => boolean): SharedStore {
  const cached = createExpiringMap<string>(clock);
  const counters = createExpiringMap<number>(clock);
  const lists = new Map<string, string[]>();
  const recordSets = new Map<string, Map<string, string>>();

  const idOf = (key: SharedKey, input: SharedInput = {}): string => {
    if (isClosed()) throw new StoreError("unavailable", "The store is closed");
    checkSharedInput(key, input);
    return JSON.stringify([key.tenant, key.name]);
  };

  return {
    async getCached(key) {
      return cached.get(idOf(key))?.value;
    },
    async setCached(key, value, ttlMs) {
      cached.set(idOf(key, { ttlMs }), { value, expiresAt: clock.now() + ttlMs });
    },
    async addToCounter(key, amount, ttlMs) {
      const id = idOf(key, { amount, ttlMs });
      const counter = counters.get(id);
      if (counter !== undefined) {
        counter.value += amount; // a later add keeps the expiry set when the counter was created
        return counter.value;
      }
      counters.set(id, { value: amount, expiresAt: clock.now() + ttlMs });
      return amount;
    },
    async readCounter(key) {
      return counters.get(idOf(key))?.value ?? 0;
    },
    async appendToList(key, value, max) {
      const id = idOf(key, { max });
      const list = lists.get(id) ?? [];
      list.push(value);
      if (list.length > max) list.splice(0, list.length - max);
      lists.set(id, list);
    },
    async readList(key) {
      return [...(lists.get(idOf(key)) ?? [])];
    },
    async putRecord(key, field, value) {
      const id = idOf(key, { field });
      const records = recordSets.get(id) ?? new Map<string, string>();
      records.set(field, value);
      recordSets.set(id, records);
    },
    async readRecords(key) {
      return Object.fromEntries(recordSets.get(idOf(key)) ?? []);
    },
    async deleteRecord(key, field) {
      const id = idOf(key, { field });
      const records = recordSets.get(id);
      records?.delete(field);
      if (records?.size === 0) recordSets.delete(id); // as Redis drops an emptied hash
    },
    async deleteShared(key) {
      const id = idOf(key);
      cached.delete(id);
      counters.delete(id);
      lists.delete(id);
      recordSets.delete(id);
    },
  };
}
