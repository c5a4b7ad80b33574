import { describe, expect, it } from "vitest";
import { StoreError } from "../../src/store/index.ts";
import type { LearnerKey, SharedKey, Turn, TutorStore } from "../../src/tutor/index.ts";

/** What a store implementation gives the contract suite. */
export interface StoreHarness {
  readonly store: TutorStore;
  /** Lets `ms` of store time pass (fake clock for memory, real time for Redis). */
  advance(ms: number): Promise<void>;
  /** A second handle on the same data, as another process would have (the same store for memory). */
  readonly other: TutorStore;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly sessionTtlMs: number;
  readonly lockTtlMs: number;
  readonly waitMs: number;
  readonly attemptsKept: number;
}

// Session expiry runs on real time for Redis: margins of a second and more for a busy CI machine.
export const CONTRACT_OPTIONS: HarnessOptions = {
  sessionTtlMs: 3000,
  lockTtlMs: 800,
  waitMs: 10_000,
  attemptsKept: 5,
};

let learnerCounter = 0;
const freshKey = (): LearnerKey => ({
  tenant: "T{1}:x",
  learner: `learner-${Date.now()}-${++learnerCounter}`,
});

const freshShared = (tenant = "T{1}:x"): SharedKey => ({
  tenant,
  name: `shared-${Date.now()}-${++learnerCounter}`,
});

// Shared data expires on real time for Redis: a short ttl, and a wait that outlasts it well.
const SHORT_TTL_MS = 300;
const PAST_SHORT_TTL_MS = 800;
const LONG_TTL_MS = 600_000;

async function open(store: TutorStore, key: LearnerKey, eventId?: string): Promise<Turn> {
  const turn = await store.beginTurn(key, eventId === undefined ? {} : { eventId });
  if (turn === "duplicate") throw new Error("unexpected duplicate");
  return turn;
}

/**
 * One suite, run against every store implementation (the in-memory store and Redis), so they
 * behave the same for the tutor.
 */
export function describeStoreContract(
  name: string,
  makeHarness: (options: HarnessOptions) => Promise<StoreHarness>,
): void {
  describe(`${name} store contract`, () => {
    const withHarness =
      (test: (h: StoreHarness) => Promise<void>, options: Partial<HarnessOptions> = {}) =>
      async () => {
        const harness = await makeHarness({ ...CONTRACT_OPTIONS, ...options });
        try {
          await test(harness);
        } finally {
          await harness.close();
        }
      };

    it(
      "starts empty and keeps what a turn commits",
      withHarness(async ({ store }) => {
        const key = freshKey();
        const first = await open(store, key);
        expect(first.data).toEqual({});
        await first.commit({ model: '{"m":1}', session: '{"s":1}', attempts: ["a1", "a2"] });
        const second = await open(store, key);
        expect(second.data).toEqual({ model: '{"m":1}', session: '{"s":1}' });
        await second.release();
        expect(await store.readAttempts(key, 10)).toEqual(["a2", "a1"]);
      }),
    );

    it(
      "keeps learners of different tenants apart",
      withHarness(async ({ store }) => {
        const a = { tenant: "school-a", learner: `same-${++learnerCounter}` };
        const b = { tenant: "school-b", learner: a.learner };
        await (await open(store, a)).commit({ model: "A" });
        const turn = await open(store, b);
        expect(turn.data.model).toBeUndefined();
        await turn.release();
      }),
    );

    it(
      "expires the session after inactivity but never the model",
      withHarness(async ({ store, advance }) => {
        const key = freshKey();
        await (await open(store, key)).commit({ model: "model", session: "session" });
        await advance(CONTRACT_OPTIONS.sessionTtlMs + 1000);
        const turn = await open(store, key);
        expect(turn.data).toEqual({ model: "model" });
        await turn.release();
      }),
    );

    it(
      "ends a session on request and keeps an untouched session alive while turns continue",
      withHarness(async ({ store, advance }) => {
        const key = freshKey();
        await (await open(store, key)).commit({ session: "s" });
        await advance((CONTRACT_OPTIONS.sessionTtlMs * 2) / 3); // two of these outlast an unrefreshed session
        await (await open(store, key)).commit({}); // activity refreshes the session's expiry
        await advance((CONTRACT_OPTIONS.sessionTtlMs * 2) / 3); // two of these outlast an unrefreshed session
        const kept = await open(store, key);
        expect(kept.data.session).toBe("s");
        await kept.commit({ session: null });
        const ended = await open(store, key);
        expect(ended.data.session).toBeUndefined();
        await ended.release();
      }),
    );

    it(
      "keeps only the newest attempts",
      withHarness(async ({ store }) => {
        const key = freshKey();
        await (await open(store, key)).commit({ attempts: ["1", "2", "3"] });
        await (await open(store, key)).commit({ attempts: ["4", "5", "6", "7"] });
        expect(await store.readAttempts(key, 100)).toEqual(["7", "6", "5", "4", "3"]);
        expect(await store.readAttempts(key, 2)).toEqual(["7", "6"]);
      }),
    );

    it(
      "processes an event once: a redelivery after a commit is a duplicate",
      withHarness(async ({ store, other }) => {
        const key = freshKey();
        await (await open(store, key, "evt-1")).commit({ model: "once" });
        expect(await store.beginTurn(key, { eventId: "evt-1" })).toBe("duplicate");
        expect(await other.beginTurn(key, { eventId: "evt-1" })).toBe("duplicate");
        const next = await open(store, key, "evt-2");
        await next.release();
      }),
    );

    it(
      "does not mark an event processed when its turn is released without saving",
      withHarness(async ({ store }) => {
        const key = freshKey();
        await (await open(store, key, "evt-failed")).release();
        const retry = await store.beginTurn(key, { eventId: "evt-failed" });
        expect(retry).not.toBe("duplicate");
        await (retry as Turn).release();
      }),
    );

    it(
      "serializes concurrent turns of one learner: no lost update, even across handles",
      withHarness(async ({ store, other }) => {
        const key = freshKey();
        const increment = async (handle: TutorStore) => {
          const turn = await open(handle, key);
          const count = Number(turn.data.model ?? "0");
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
          await turn.commit({ model: String(count + 1) });
        };
        await Promise.all(
          Array.from({ length: 30 }, (_, k) => increment(k % 2 === 0 ? store : other)),
        );
        const turn = await open(store, key);
        expect(turn.data.model).toBe("30");
        await turn.release();
      }),
    );

    it(
      "lets a duplicate delivered during the first turn wait, then skip it",
      withHarness(async ({ store, other }) => {
        const key = freshKey();
        const first = await open(store, key, "evt-race");
        const second = other.beginTurn(key, { eventId: "evt-race" });
        await new Promise((resolve) => setTimeout(resolve, 50));
        await first.commit({ model: "first" });
        expect(await second).toBe("duplicate");
      }),
    );

    it(
      "frees a learner whose turn outlived its hold, and rejects that turn's late commit",
      withHarness(async ({ store, other }) => {
        const key = freshKey();
        const stale = await open(store, key);
        const started = performance.now();
        const fresh = await open(other, key); // waits until the stale hold lapses
        expect(performance.now() - started).toBeGreaterThanOrEqual(
          CONTRACT_OPTIONS.lockTtlMs - 100,
        );
        await fresh.commit({ model: "fresh" });
        await expect(stale.commit({ model: "stale" })).rejects.toThrow(StoreError);
        const check = await open(store, key);
        expect(check.data.model).toBe("fresh");
        await check.release();
      }),
    );

    it(
      "gives up waiting with a learner_busy error",
      withHarness(
        async ({ store, other }) => {
          const key = freshKey();
          const holder = await open(store, key);
          await expect(other.beginTurn(key)).rejects.toMatchObject({ code: "learner_busy" });
          await holder.release();
        },
        { waitMs: 200, lockTtlMs: 5000 },
      ),
    );

    it(
      "reads a learner as stored, without taking their turn: {} when unknown",
      withHarness(
        async ({ store, other }) => {
          const key = freshKey();
          expect(await store.readLearner(key)).toEqual({});
          await (await open(store, key)).commit({ model: "m1", session: "s1", attempts: ["a"] });
          expect(await other.readLearner(key)).toEqual({ model: "m1", session: "s1" });
          // A turn holds the learner: reading neither waits for it (the hold lasts far longer than
          // the test's wait) nor breaks it (the turn still commits).
          const turn = await open(store, key);
          expect(await other.readLearner(key)).toEqual({ model: "m1", session: "s1" });
          await turn.commit({ model: "m2", session: null });
          expect(await other.readLearner(key)).toEqual({ model: "m2" });
          const next = await open(other, key);
          expect(next.data).toEqual({ model: "m2" });
          await next.release();
        },
        { lockTtlMs: 30_000 },
      ),
    );

    it(
      "reads a learner without their expired session",
      withHarness(async ({ store, advance }) => {
        const key = freshKey();
        await (await open(store, key)).commit({ model: "model", session: "session" });
        await advance(CONTRACT_OPTIONS.sessionTtlMs + 1000);
        expect(await store.readLearner(key)).toEqual({ model: "model" });
      }),
    );

    it(
      "erases every trace of a learner and ends the turn; other learners keep theirs",
      withHarness(async ({ store, other }) => {
        const key = freshKey();
        const neighbour = { tenant: key.tenant, learner: `${key.learner}-neighbour` };
        await (await open(store, key, "evt-1")).commit({
          model: "m",
          session: "s",
          attempts: ["a1"],
        });
        await (await open(store, key, "evt-2")).commit({ attempts: ["a2"] });
        await (await open(store, neighbour, "evt-1")).commit({
          model: "kept",
          session: "kept",
          attempts: ["kept"],
        });

        const turn = await open(store, key, "evt-3");
        await turn.erase();
        expect(await other.readLearner(key)).toEqual({});
        expect(await other.readAttempts(key, 10)).toEqual([]);
        for (const eventId of ["evt-1", "evt-2", "evt-3"]) {
          // Processed events are forgotten too.
          const again = await other.beginTurn(key, { eventId });
          expect(again).not.toBe("duplicate");
          expect((again as Turn).data).toEqual({});
          await (again as Turn).release();
        }
        await expect(turn.commit({ model: "late" })).rejects.toMatchObject({ code: "lock_lost" });
        await expect(turn.erase()).rejects.toMatchObject({ code: "lock_lost" });
        await turn.release(); // a no-op on an ended turn
        expect(await store.readLearner(key)).toEqual({});

        expect(await store.readLearner(neighbour)).toEqual({ model: "kept", session: "kept" });
        expect(await store.readAttempts(neighbour, 10)).toEqual(["kept"]);
        expect(await store.beginTurn(neighbour, { eventId: "evt-1" })).toBe("duplicate");
      }),
    );

    it(
      "erases only the learner named, whatever glob characters the ids hold",
      withHarness(async ({ store, other }) => {
        const base = `glob-${Date.now()}-${++learnerCounter}`;
        const ids = ["*", "?", "[ab]", "\\", "a", "b", "ab", "*x", "x*", "", "%2A"].map(
          (id) => `${base}${id}`,
        );
        for (const tenant of ["t*", "t?", "t[x]"]) {
          for (const learner of ids) {
            await (await open(store, { tenant, learner }, "evt")).commit({
              model: `${tenant} ${learner}`,
              attempts: [learner],
            });
          }
        }
        for (const erased of [`${base}*`, `${base}?`, `${base}[ab]`]) {
          await (await open(store, { tenant: "t*", learner: erased })).erase();
        }
        for (const tenant of ["t*", "t?", "t[x]"]) {
          for (const learner of ids) {
            const key = { tenant, learner };
            const isErased =
              tenant === "t*" && ["*", "?", "[ab]"].some((id) => learner === `${base}${id}`);
            expect(await other.readLearner(key)).toEqual(
              isErased ? {} : { model: `${tenant} ${learner}` },
            );
            expect(await other.readAttempts(key, 10)).toEqual(isErased ? [] : [learner]);
          }
        }
      }),
    );

    it(
      "lets a turn waiting on the learner go on after an erase, finding a new learner",
      withHarness(
        async ({ store, other }) => {
          const key = freshKey();
          await (await open(store, key, "evt-old")).commit({ model: "old", attempts: ["old"] });
          const erasing = await open(store, key);
          // The hold outlasts this turn's wait: only the erase lets it in.
          const waiting = open(other, key, "evt-new");
          await new Promise((resolve) => setTimeout(resolve, 50));
          await erasing.erase();
          const next = await waiting;
          expect(next.data).toEqual({});
          await next.commit({ model: "new" });
          expect(await store.readLearner(key)).toEqual({ model: "new" });
          expect(await store.readAttempts(key, 10)).toEqual([]);
          expect(await store.beginTurn(key, { eventId: "evt-new" })).toBe("duplicate");
          const redelivered = await open(store, key, "evt-old"); // forgotten with the rest
          await redelivered.release();
        },
        { lockTtlMs: 30_000, waitMs: 5000 },
      ),
    );

    it(
      "refuses to erase for a turn that outlived its hold, and erases nothing",
      withHarness(async ({ store, other }) => {
        const key = freshKey();
        await (await open(store, key, "evt-1")).commit({
          model: "m",
          session: "s",
          attempts: ["a1"],
        });
        const stale = await open(store, key);
        const fresh = await open(other, key); // waits until the stale hold lapses
        await fresh.commit({ model: "fresh", attempts: ["a2"] });
        await expect(stale.erase()).rejects.toMatchObject({ code: "lock_lost" });
        expect(await store.readLearner(key)).toEqual({ model: "fresh", session: "s" });
        expect(await store.readAttempts(key, 10)).toEqual(["a2", "a1"]);
        expect(await store.beginTurn(key, { eventId: "evt-1" })).toBe("duplicate");
        const next = await open(other, key); // the failed erase left the lock alone
        await next.release();
      }),
    );

    it(
      "caches a value until its ttl lapses; a new value replaces the old one and its ttl",
      withHarness(async ({ store, other, advance }) => {
        const lapsing = freshShared();
        const replaced = freshShared();
        expect(await store.getCached(lapsing)).toBeUndefined();
        await store.setCached(lapsing, "soon gone", SHORT_TTL_MS);
        await store.setCached(replaced, "old", SHORT_TTL_MS);
        await store.setCached(replaced, "new", LONG_TTL_MS);
        expect(await other.getCached(replaced)).toBe("new");
        await advance(PAST_SHORT_TTL_MS);
        expect(await store.getCached(lapsing)).toBeUndefined();
        expect(await store.getCached(replaced)).toBe("new");
        await store.setCached(replaced, "", LONG_TTL_MS);
        expect(await store.getCached(replaced)).toBe(""); // an empty value is still a value
      }),
    );

    it(
      "adds to a counter and reads it back, 0 when absent",
      withHarness(async ({ store, other }) => {
        const key = freshShared();
        expect(await store.readCounter(key)).toBe(0);
        expect(await store.addToCounter(key, 120, LONG_TTL_MS)).toBe(120);
        expect(await other.addToCounter(key, 0, LONG_TTL_MS)).toBe(120);
        expect(await store.addToCounter(key, 35, LONG_TTL_MS)).toBe(155);
        expect(await other.readCounter(key)).toBe(155);
      }),
    );

    it(
      "expires a counter ttlMs after it was created; later adds do not extend it",
      withHarness(async ({ store, advance }) => {
        const lapsing = freshShared();
        const addedTo = freshShared();
        await store.addToCounter(lapsing, 7, SHORT_TTL_MS);
        await store.addToCounter(addedTo, 7, SHORT_TTL_MS);
        await store.addToCounter(addedTo, 3, LONG_TTL_MS); // the counter keeps its first ttl
        await advance(PAST_SHORT_TTL_MS);
        expect(await store.readCounter(lapsing)).toBe(0);
        expect(await store.readCounter(addedTo)).toBe(0);
        expect(await store.addToCounter(lapsing, 5, LONG_TTL_MS)).toBe(5); // a new counter
      }),
    );

    it(
      "sums concurrent adds exactly, across handles",
      withHarness(async ({ store, other }) => {
        const key = freshShared();
        const amounts = Array.from({ length: 50 }, (_, k) => k + 1);
        const totals = await Promise.all(
          amounts.map((amount, k) =>
            (k % 2 === 0 ? store : other).addToCounter(key, amount, LONG_TTL_MS),
          ),
        );
        const sum = amounts.reduce((a, b) => a + b, 0);
        expect(await store.readCounter(key)).toBe(sum);
        expect(Math.max(...totals)).toBe(sum);
        expect(new Set(totals).size).toBe(amounts.length); // each add saw its own total
      }),
    );

    it(
      "appends to a list, reads it oldest first and keeps only the newest max entries",
      withHarness(async ({ store, other }) => {
        const key = freshShared();
        expect(await store.readList(key)).toEqual([]);
        for (const value of ["1", "2", "3"]) await store.appendToList(key, value, 5);
        expect(await other.readList(key)).toEqual(["1", "2", "3"]);
        for (const value of ["4", "5", "6", "7"]) await other.appendToList(key, value, 5);
        expect(await store.readList(key)).toEqual(["3", "4", "5", "6", "7"]);
        await store.appendToList(key, "8", 2);
        expect(await store.readList(key)).toEqual(["7", "8"]);
      }),
    );

    it(
      "keeps every concurrent append",
      withHarness(async ({ store, other }) => {
        const key = freshShared();
        const values = Array.from({ length: 30 }, (_, k) => `v${k}`);
        await Promise.all(
          values.map((value, k) => (k % 2 === 0 ? store : other).appendToList(key, value, 100)),
        );
        expect((await store.readList(key)).sort()).toEqual([...values].sort());
      }),
    );

    it(
      "puts, reads and deletes the fields of a record set, which never expires",
      withHarness(async ({ store, other, advance }) => {
        const key = freshShared();
        expect(await store.readRecords(key)).toEqual({});
        await store.putRecord(key, "a1", '{"title":"Fractions"}');
        await other.putRecord(key, "a2", "été ☕ 名前 🧠");
        await store.putRecord(key, "a1", '{"title":"Decimals"}'); // replaces the field's value
        await store.putRecord(key, "empty", ""); // an empty value is still a value
        expect(await other.readRecords(key)).toEqual({
          a1: '{"title":"Decimals"}',
          a2: "été ☕ 名前 🧠",
          empty: "",
        });
        await other.deleteRecord(key, "a1");
        await other.deleteRecord(key, "never set");
        await advance(PAST_SHORT_TTL_MS);
        expect(await store.readRecords(key)).toEqual({ a2: "été ☕ 名前 🧠", empty: "" });
        await store.deleteRecord(key, "a2");
        await store.deleteRecord(key, "empty");
        expect(await store.readRecords(key)).toEqual({});
        await store.putRecord(key, "again", "1"); // an emptied record set takes new fields
        expect(await store.readRecords(key)).toEqual({ again: "1" });
      }),
    );

    it(
      "keeps record fields with odd names, even those an object holds already",
      withHarness(async ({ store, other }) => {
        const key = freshShared();
        const fields = [
          "__proto__",
          "constructor",
          "toString",
          "a:b",
          "{slot}*?[x]",
          "名前 🧠",
          " ",
        ];
        for (const [k, field] of fields.entries()) await store.putRecord(key, field, `v${k}`);
        const records = await other.readRecords(key);
        expect(Object.keys(records).sort()).toEqual([...fields].sort());
        for (const [k, field] of fields.entries()) {
          expect(Object.getOwnPropertyDescriptor(records, field)?.value).toBe(`v${k}`);
        }
        expect(Object.getPrototypeOf(records)).toBe(Object.prototype);
      }),
    );

    it(
      "keeps record sets of tenants and names apart, and apart from a name's other data",
      withHarness(async ({ store }) => {
        const a = freshShared("school-a");
        const b = { tenant: "school-b", name: a.name };
        const c = freshShared("school-a");
        await store.putRecord(a, "f", "A");
        await store.putRecord(b, "f", "B");
        await store.setCached(c, "cached", LONG_TTL_MS);
        await store.appendToList(c, "listed", 10);
        expect(await store.readRecords(a)).toEqual({ f: "A" });
        expect(await store.readRecords(b)).toEqual({ f: "B" });
        expect(await store.readRecords(c)).toEqual({});
        await store.deleteRecord(b, "f");
        expect(await store.readRecords(a)).toEqual({ f: "A" });
        expect(await store.getCached(c)).toBe("cached");
      }),
    );

    it(
      "deletes a name's cached value, counter, list and record set, and nothing else",
      withHarness(async ({ store, other }) => {
        const gone = freshShared("school-a");
        const sameName = { tenant: "school-b", name: gone.name };
        const otherName = freshShared("school-a");
        for (const key of [gone, sameName, otherName]) {
          await store.setCached(key, "v", LONG_TTL_MS);
          await store.addToCounter(key, 3, LONG_TTL_MS);
          await store.appendToList(key, "e", 10);
          await store.putRecord(key, "f", "r");
        }
        await other.deleteShared(gone);
        expect(await store.getCached(gone)).toBeUndefined();
        expect(await store.readCounter(gone)).toBe(0);
        expect(await store.readList(gone)).toEqual([]);
        expect(await store.readRecords(gone)).toEqual({});
        for (const key of [sameName, otherName]) {
          expect(await store.getCached(key)).toBe("v");
          expect(await store.readCounter(key)).toBe(3);
          expect(await store.readList(key)).toEqual(["e"]);
          expect(await store.readRecords(key)).toEqual({ f: "r" });
        }
        await store.deleteShared(gone); // deleting what is gone is no error
        expect(await store.addToCounter(gone, 1, LONG_TTL_MS)).toBe(1); // a new counter
      }),
    );

    it(
      "keeps tenants' shared data apart, and a cache, a counter and a list of one name apart",
      withHarness(async ({ store }) => {
        const a = freshShared("school-a");
        const b = { tenant: "school-b", name: a.name };
        await store.setCached(a, "A", LONG_TTL_MS);
        await store.addToCounter(a, 10, LONG_TTL_MS);
        await store.appendToList(a, "A", 10);
        expect(await store.getCached(b)).toBeUndefined();
        expect(await store.readCounter(b)).toBe(0);
        expect(await store.readList(b)).toEqual([]);
        await store.setCached(b, "B", LONG_TTL_MS);
        await store.addToCounter(b, 1, LONG_TTL_MS);
        await store.appendToList(b, "B", 10);
        expect(await store.getCached(a)).toBe("A");
        expect(await store.readCounter(a)).toBe(10);
        expect(await store.readList(a)).toEqual(["A"]);
      }),
    );

    it(
      "takes tenants and names with odd characters, which never run into each other",
      withHarness(async ({ store, other }) => {
        const unique = freshShared().name;
        const keys: SharedKey[] = [
          { tenant: "a:cache:b", name: `c:${unique}` },
          { tenant: "a", name: `b:cache:c:${unique}` }, // the same text once the parts are joined by ":"
          { tenant: "guild {42}", name: `{slot}:*? [x] ${unique}` },
          { tenant: "guild%20%7B42%7D", name: `{slot}:*? [x] ${unique}` }, // the one above, encoded
          { tenant: "école ☕", name: `名前 🧠 ${unique}` },
          { tenant: "", name: unique },
        ];
        for (const [k, key] of keys.entries()) {
          await store.setCached(key, `value ${k}`, LONG_TTL_MS);
          await store.addToCounter(key, k + 1, LONG_TTL_MS);
          await store.appendToList(key, `entry ${k}`, 10);
          await store.putRecord(key, "field", `record ${k}`);
        }
        for (const [k, key] of keys.entries()) {
          expect(await other.getCached(key)).toBe(`value ${k}`);
          expect(await other.readCounter(key)).toBe(k + 1);
          expect(await other.readList(key)).toEqual([`entry ${k}`]);
          expect(await other.readRecords(key)).toEqual({ field: `record ${k}` });
        }
        const [first, second] = keys as [SharedKey, SharedKey];
        await store.deleteShared(first); // the same text once joined: only the one named goes
        expect(await other.getCached(first)).toBeUndefined();
        expect(await other.readRecords(first)).toEqual({});
        expect(await other.getCached(second)).toBe("value 1");
        expect(await other.readRecords(second)).toEqual({ field: "record 1" });
      }),
    );

    it(
      "rejects a fractional or negative amount, a ttl or max that is not a whole number > 0, and a malformed name",
      withHarness(async ({ store }) => {
        const key = freshShared();
        await store.addToCounter(key, 4, LONG_TTL_MS);
        const calls = [
          () => store.addToCounter(key, 1.5, LONG_TTL_MS),
          () => store.addToCounter(key, -1, LONG_TTL_MS),
          () => store.addToCounter(key, Number.NaN, LONG_TTL_MS),
          () => store.addToCounter(key, Number.POSITIVE_INFINITY, LONG_TTL_MS),
          () => store.addToCounter(key, 1, 0),
          () => store.addToCounter(key, 1, 2.5),
          () => store.setCached(key, "v", -1),
          () => store.setCached(key, "v", Number.NaN),
          () => store.appendToList(key, "v", 0),
          () => store.appendToList(key, "v", 1.5),
          () => store.getCached({ tenant: "t", name: "lone \ud800 surrogate" }),
          () => store.readList({ tenant: "\udc00", name: key.name }),
          () => store.putRecord(key, "", "v"),
          () => store.putRecord(key, "lone \ud800", "v"),
          () => store.putRecord({ tenant: "\ud800", name: key.name }, "f", "v"),
          () => store.deleteRecord(key, ""),
          () => store.deleteRecord(key, "\udc00"),
          () => store.readRecords({ tenant: "t", name: "\ud800" }),
          () => store.deleteShared({ tenant: "t", name: "\ud800" }),
        ];
        for (const call of calls) await expect(call()).rejects.toMatchObject({ code: "bad_input" });
        expect(await store.readCounter(key)).toBe(4);
        expect(await store.getCached(key)).toBeUndefined();
        expect(await store.readList(key)).toEqual([]);
        expect(await store.readRecords(key)).toEqual({});
      }),
    );

    it(
      "refuses shared calls and reading a learner once closed",
      withHarness(async ({ store }) => {
        await store.close();
        await expect(store.getCached(freshShared())).rejects.toMatchObject({ code: "unavailable" });
        await expect(store.addToCounter(freshShared(), 1, LONG_TTL_MS)).rejects.toMatchObject({
          code: "unavailable",
        });
        for (const call of [
          () => store.putRecord(freshShared(), "f", "v"),
          () => store.readRecords(freshShared()),
          () => store.deleteRecord(freshShared(), "f"),
          () => store.deleteShared(freshShared()),
          () => store.readLearner(freshKey()),
        ]) {
          await expect(call()).rejects.toMatchObject({ code: "unavailable" });
        }
      }),
    );
  });
}
