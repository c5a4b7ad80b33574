import { describe, expect, it } from "vitest";
import { StoreError } from "../../src/store/index.ts";
import type { LearnerKey, Turn, TutorStore } from "../../src/tutor/index.ts";

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
  });
}
