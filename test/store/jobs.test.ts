import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, inject, it, vi } from "vitest";
import {
  createMemoryScheduler,
  createRedisScheduler,
  type RedisSchedulerOptions,
} from "../../src/store/index.ts";
import type { Job, Logger, Scheduler } from "../../src/tutor/index.ts";

// Timing: jobs that must still be pending when the test acts on them are due a second or more
// later, waits end on what happened (with a generous timeout), and lower bounds keep 100 ms of
// margin. The suite must pass on a slow, busy 2-core machine.

const url = inject("redisUrl");
const WAIT_MS = 20_000;

const silent: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silent,
};

const nudge = (learner: string, tenant = "t1"): Job => ({
  type: "nudge",
  tenant,
  platform: "slack",
  learner,
});

/** A name for a job in assertions: who it is for, or what it is. */
const labelOf = (job: Job): string =>
  "learner" in job && job.learner !== undefined
    ? `${job.type}:${job.tenant}/${job.learner}`
    : `${job.type}:${job.tenant}`;

interface Recorder {
  readonly handler: (job: Job) => Promise<void>;
  /** Every run, in the order the handler was called. */
  readonly runs: { readonly job: Job; readonly at: number }[];
  labels(): string[];
  count(label: string): number;
  /** Resolves once `predicate` holds; rejects after `timeoutMs`, naming what it waited for. */
  until(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

/** A handler that records its runs; `behaviour` may throw (a failed run) or wait. */
function createRecorder(
  behaviour: (job: Job, earlierRuns: number) => Promise<void> | void = () => {},
): Recorder {
  const runs: { job: Job; at: number }[] = [];
  const waiters = new Set<() => void>();
  const count = (label: string) => runs.filter(({ job }) => labelOf(job) === label).length;
  return {
    runs,
    count,
    labels: () => runs.map(({ job }) => labelOf(job)),
    async handler(job) {
      const earlierRuns = count(labelOf(job));
      runs.push({ job, at: Date.now() });
      for (const wake of waiters) wake();
      await behaviour(job, earlierRuns);
    },
    until(predicate, what, timeoutMs = WAIT_MS) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Polls `read` until `predicate` holds for its value; rejects after `timeoutMs`. */
async function eventually<T>(
  read: () => Promise<T>,
  predicate: (value: T) => boolean,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (predicate(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const clients: Redis[] = [];
const connect = (): Redis => {
  const client = new Redis(url, { maxRetriesPerRequest: 2 });
  clients.push(client);
  return client;
};
afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit()));
});

/** Every key under a prefix. */
async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys;
}

/** Every key under a prefix with its whole contents, as text to search. */
async function dumpUnder(client: Redis, prefix: string): Promise<string> {
  const parts: string[] = [];
  for (const key of await keysUnder(client, prefix)) {
    const type = await client.type(key);
    const value =
      type === "string"
        ? await client.get(key)
        : type === "hash"
          ? await client.hgetall(key)
          : type === "list"
            ? await client.lrange(key, 0, -1)
            : type === "zset"
              ? await client.zrange(key, "0", "-1")
              : type === "set"
                ? await client.smembers(key)
                : type === "stream"
                  ? await client.xrange(key, "-", "+")
                  : `unknown type ${type}`;
    parts.push(key, JSON.stringify(value));
  }
  return parts.join("\n");
}

/** Names of the Redis connections open under a prefix (the scheduler names its connections). */
async function connectionsUnder(client: Redis, prefix: string): Promise<string[]> {
  const list = (await client.call("CLIENT", "LIST")) as string;
  return list
    .split("\n")
    .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? "")
    .filter((name) => name.startsWith(prefix));
}

type Kind = "memory" | "redis";
const opened: Scheduler[] = [];
const prefixes: string[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((scheduler) => scheduler.close()));
  if (prefixes.length === 0) return;
  const client = connect();
  for (const prefix of prefixes.splice(0)) {
    const keys = await keysUnder(client, prefix);
    if (keys.length > 0) await client.del(...keys);
  }
});

const newPrefix = (): string => {
  const prefix = `jobs-test-${randomUUID()}`;
  prefixes.push(prefix);
  return prefix;
};

type Settings = Partial<Omit<RedisSchedulerOptions, "handler" | "logger" | "redisUrl">>;

/** A scheduler of the given kind with short backoffs; closed after the test. */
function open(kind: Kind, recorder: Recorder, settings: Settings = {}): Scheduler {
  const options = {
    handler: recorder.handler,
    logger: silent,
    backoffMs: 100,
    maxBackoffMs: 200,
    ...settings,
  };
  const scheduler =
    kind === "memory"
      ? createMemoryScheduler(options)
      : createRedisScheduler({ redisUrl: url, prefix: options.prefix ?? newPrefix(), ...options });
  opened.push(scheduler);
  return scheduler;
}

describe.each(["memory", "redis"] as const)("%s scheduler", (kind) => {
  it("runs a job at its time, and one whose time has passed at once", async () => {
    const recorder = createRecorder();
    const scheduler = open(kind, recorder);
    const start = Date.now();
    await scheduler.schedule(nudge("later"), start + 600);
    await scheduler.schedule(nudge("past"), start - 60_000);
    await recorder.until(() => recorder.runs.length === 2, "both jobs to run");
    expect(recorder.runs.map(({ job }) => job)).toEqual([nudge("past"), nudge("later")]);
    expect(recorder.runs[1]?.at ?? 0).toBeGreaterThanOrEqual(start + 500);
  });

  it("replaces a pending job that has the same id", async () => {
    const recorder = createRecorder();
    const scheduler = open(kind, recorder);
    const start = Date.now();
    await scheduler.schedule(nudge("old"), start + 1000, "nudge:t1:ana");
    await scheduler.schedule(nudge("new"), start + 1500, "nudge:t1:ana");
    await scheduler.schedule(nudge("sentinel"), start + 2500);
    await recorder.until(() => recorder.count("nudge:t1/sentinel") === 1, "the sentinel");
    expect(recorder.labels()).toEqual(["nudge:t1/new", "nudge:t1/sentinel"]);
  });

  it("cancels a pending job by id, and ignores an unknown id", async () => {
    const recorder = createRecorder();
    const scheduler = open(kind, recorder);
    const start = Date.now();
    await scheduler.schedule(nudge("cancelled"), start + 1000, "nudge:t1:cancelled");
    await scheduler.cancel("nudge:t1:cancelled");
    await scheduler.cancel("no such job");
    await scheduler.schedule(nudge("sentinel"), start + 1500);
    await recorder.until(() => recorder.count("nudge:t1/sentinel") === 1, "the sentinel");
    expect(recorder.labels()).toEqual(["nudge:t1/sentinel"]);
  });

  it("cancels exactly one learner's jobs of one tenant", async () => {
    const recorder = createRecorder();
    const scheduler = open(kind, recorder);
    const at = Date.now() + 1500;
    const ana: Job[] = [
      nudge("ana"),
      { type: "records", tenant: "t1", learner: "ana", statements: [{ verb: "answered" }] },
      { type: "reminder", tenant: "t1", assignmentId: "a1", learner: "ana" },
    ];
    const others: Job[] = [
      nudge("bob"),
      nudge("ana", "t2"),
      { type: "digest", tenant: "t1", assignmentId: "a1" },
      { type: "reminder", tenant: "t1", assignmentId: "a1" },
    ];
    await scheduler.schedule(ana[0] as Job, at, "nudge:t1:ana");
    await scheduler.schedule(ana[1] as Job, at);
    await scheduler.schedule(ana[2] as Job, at, "reminder:t1:a1:ana");
    for (const [index, job] of others.entries()) {
      await scheduler.schedule(job, at, index % 2 === 0 ? `other-${index}` : undefined);
    }
    expect(await scheduler.cancelLearner("t1", "ana")).toBe(3);
    await scheduler.schedule(nudge("sentinel"), at + 1000);
    await recorder.until(() => recorder.count("nudge:t1/sentinel") === 1, "the sentinel");
    expect(recorder.labels().sort()).toEqual([...others.map(labelOf), "nudge:t1/sentinel"].sort());
    expect(await scheduler.cancelLearner("t1", "ana")).toBe(0);
  });

  it("retries a job that throws until it succeeds, then runs it no more", async () => {
    const recorder = createRecorder((job, earlierRuns) => {
      if (labelOf(job) === "nudge:t1/flaky" && earlierRuns < 2) throw new Error("not yet");
    });
    const scheduler = open(kind, recorder);
    await scheduler.schedule(nudge("flaky"), Date.now(), "nudge:t1:flaky");
    await recorder.until(() => recorder.count("nudge:t1/flaky") === 3, "the third run");
    const [first, , third] = recorder.runs;
    // Backoffs of 100 and 200 ms between the runs.
    expect((third?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(200);
    await scheduler.schedule(nudge("sentinel"), Date.now() + 1000);
    await recorder.until(() => recorder.count("nudge:t1/sentinel") === 1, "the sentinel");
    expect(recorder.count("nudge:t1/flaky")).toBe(3);
  });

  it("gives a job up after `attempts` runs, but keeps retrying learning records", async () => {
    const records: Job = { type: "records", tenant: "t1", learner: "ana", statements: [] };
    const recorder = createRecorder((job, earlierRuns) => {
      if (labelOf(job) === "nudge:t1/doomed") throw new Error("always fails");
      if (job.type === "records" && earlierRuns < 4) throw new Error("LRS down");
    });
    const scheduler = open(kind, recorder, { attempts: 2 });
    await scheduler.schedule(nudge("doomed"), Date.now());
    await scheduler.schedule(records, Date.now(), "records:t1:ana:1");
    await recorder.until(() => recorder.count("records:t1/ana") === 5, "the fifth records run");
    await scheduler.schedule(nudge("sentinel"), Date.now() + 1000);
    await recorder.until(() => recorder.count("nudge:t1/sentinel") === 1, "the sentinel");
    expect(recorder.count("nudge:t1/doomed")).toBe(2);
    expect(recorder.count("records:t1/ana")).toBe(5);
  });

  it("lets a running job reschedule its own id: the new job runs, the old one is not retried", async () => {
    let scheduler: Scheduler | undefined;
    const recorder = createRecorder(async (job) => {
      if (labelOf(job) !== "nudge:t1/v1") return;
      await scheduler?.schedule(nudge("v2"), Date.now() + 300, "nudge:t1:self");
      throw new Error("fails after rescheduling");
    });
    scheduler = open(kind, recorder);
    await scheduler.schedule(nudge("v1"), Date.now(), "nudge:t1:self");
    await recorder.until(() => recorder.count("nudge:t1/v2") === 1, "the new version");
    await scheduler.schedule(nudge("v3"), Date.now() + 300, "nudge:t1:self");
    await scheduler.schedule(nudge("sentinel"), Date.now() + 1200);
    await recorder.until(() => recorder.count("nudge:t1/sentinel") === 1, "the sentinel");
    expect(recorder.labels()).toEqual([
      "nudge:t1/v1",
      "nudge:t1/v2",
      "nudge:t1/v3",
      "nudge:t1/sentinel",
    ]);
  });

  it("keeps a running job of a forgotten learner from being retried", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const recorder = createRecorder(async (job) => {
      if (labelOf(job) !== "nudge:t1/ana") return;
      await gate;
      throw new Error("fails after the learner was forgotten");
    });
    const scheduler = open(kind, recorder);
    await scheduler.schedule(nudge("ana"), Date.now(), "nudge:t1:ana");
    await recorder.until(() => recorder.count("nudge:t1/ana") === 1, "the job to start");
    // Running, so not pending: not counted, but stopped from coming back.
    expect(await scheduler.cancelLearner("t1", "ana")).toBe(0);
    release();
    await scheduler.schedule(nudge("sentinel"), Date.now() + 1000);
    await recorder.until(() => recorder.count("nudge:t1/sentinel") === 1, "the sentinel");
    expect(recorder.count("nudge:t1/ana")).toBe(1);
  });

  it("refuses jobs once closed", async () => {
    const scheduler = open(kind, createRecorder());
    await scheduler.close();
    await expect(scheduler.schedule(nudge("late"), Date.now())).rejects.toMatchObject({
      code: "closed",
    });
  });
});

describe("memory scheduler, in-process only", () => {
  it("drops its pending jobs on close", async () => {
    const recorder = createRecorder();
    const scheduler = open("memory", recorder);
    await scheduler.schedule(nudge("dropped"), Date.now() + 300);
    await scheduler.close();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(recorder.runs).toEqual([]);
  });

  it("waits longer than setTimeout allows (2^31 - 1 ms) by re-arming its timer", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const recorder = createRecorder();
      const scheduler = open("memory", recorder);
      const day = 24 * 3_600_000;
      await scheduler.schedule(nudge("far"), Date.now() + 30 * day);
      await vi.advanceTimersByTimeAsync(29 * day);
      expect(recorder.runs).toEqual([]);
      await vi.advanceTimersByTimeAsync(2 * day);
      expect(recorder.labels()).toEqual(["nudge:t1/far"]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("redis scheduler: restarts, privacy, connections", () => {
  it("runs a delayed job after a restart", async () => {
    const prefix = newPrefix();
    const before = createRecorder();
    const first = open("redis", before, { prefix });
    await first.schedule(nudge("survivor"), Date.now() + 1500, "nudge:t1:survivor");
    await first.close();
    const after = createRecorder();
    open("redis", after, { prefix });
    await after.until(() => after.runs.length === 1, "the job in the new instance");
    expect(after.labels()).toEqual(["nudge:t1/survivor"]);
    expect(before.runs).toEqual([]);
  });

  it("only enqueues when it is not a worker", async () => {
    const prefix = newPrefix();
    const cli = createRecorder();
    const enqueuer = open("redis", cli, { prefix, isWorker: false });
    await enqueuer.schedule(nudge("now"), Date.now());
    const worker = createRecorder();
    open("redis", worker, { prefix });
    await worker.until(() => worker.runs.length === 1, "the worker to run the job");
    expect(cli.runs).toEqual([]);
  });

  it("keeps tenant and learner ids out of job ids and events, and forgets a learner entirely", async () => {
    const tenant = "T7f3a91";
    const learner = "U9c2e55";
    const client = connect();
    const prefix = newPrefix();
    const recorder = createRecorder((job) => {
      if (job.type === "records") throw new Error(`LRS refused statements of ${learner}`);
    });
    const scheduler = open("redis", recorder, { prefix, recordsAttempts: 2 });
    const later = Date.now() + 60_000;
    const records: Job = { type: "records", tenant, learner, statements: [{ actor: learner }] };
    await scheduler.schedule(nudge(learner, tenant), Date.now(), `nudge:${tenant}:${learner}`);
    await scheduler.schedule(records, Date.now(), `records:${tenant}:${learner}:1`);
    const reminder: Job = { type: "reminder", tenant, assignmentId: "a1", learner };
    await scheduler.schedule(reminder, later, `reminder:${tenant}:a1:${learner}`);
    await scheduler.schedule(nudge(learner, tenant), later, `later:${tenant}:${learner}`);
    await scheduler.schedule(nudge(learner, tenant), later + 1, `later:${tenant}:${learner}`);
    await scheduler.schedule(nudge(learner, tenant), later, `gone:${tenant}:${learner}`);
    await scheduler.cancel(`gone:${tenant}:${learner}`);
    await recorder.until(() => recorder.runs.length === 3, "the nudge and two records runs");
    await eventually(
      () => client.zcard(`${prefix}:tutor:failed`),
      (failed) => failed === 1,
      "the records job to fail for good",
    );

    const keys = await keysUnder(client, prefix);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toContain(tenant);
      expect(key).not.toContain(learner);
    }
    const events = JSON.stringify(await client.xrange(`${prefix}:tutor:events`, "-", "+"));
    expect(events).toContain("failed");
    expect(events).not.toContain(tenant);
    expect(events).not.toContain(learner);
    expect(await client.hget(`${prefix}:tutor:meta`, "opts.maxLenEvents")).toBe("100");

    // The failed records job, the reminder and the replaced nudge.
    expect(await scheduler.cancelLearner(tenant, learner)).toBe(3);
    const everything = await dumpUnder(client, prefix);
    expect(everything).not.toContain(learner);
    expect(everything).not.toContain(tenant);
  });

  it("closes every connection it opened", async () => {
    const client = connect();
    const prefix = newPrefix();
    const recorder = createRecorder();
    const scheduler = open("redis", recorder, { prefix });
    await scheduler.schedule(nudge("ana"), Date.now());
    await recorder.until(() => recorder.runs.length === 1, "the job to run");
    // The queue's connection and the worker's two.
    expect((await connectionsUnder(client, prefix)).length).toBeGreaterThanOrEqual(3);
    await scheduler.close();
    await eventually(
      () => connectionsUnder(client, prefix),
      (names) => names.length === 0,
      "the connections to close",
    );

    const enqueuer = open("redis", recorder, { prefix, isWorker: false });
    await enqueuer.schedule(nudge("bob"), Date.now() + 60_000);
    expect(await connectionsUnder(client, prefix)).toHaveLength(1);
    await enqueuer.close();
    await eventually(
      () => connectionsUnder(client, prefix),
      (names) => names.length === 0,
      "the enqueuer's connection to close",
    );
  });
});
