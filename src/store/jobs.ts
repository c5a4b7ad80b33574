import { createHash } from "node:crypto";
import { type Job as BullJob, Queue, UnrecoverableError, Worker } from "bullmq";
import { z } from "zod";
import { SocraError } from "../engine/index.ts";
import type { Clock, Job, JobHandler, Logger, Scheduler } from "../tutor/index.ts";
import { systemClock } from "../tutor/index.ts";
import { StoreError } from "./options.ts";

/** How a failing job is retried; both schedulers read the same settings. */
export interface RetryOptions {
  /** Runs a job gets (the first one included) before it is given up; `records` jobs excepted. */
  readonly attempts?: number;
  /** Runs a `records` job gets: the LRS may be down for days, and statements must not be lost. */
  readonly recordsAttempts?: number;
  /** Wait before the first retry; it doubles with each retry, up to `maxBackoffMs`. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** 1000 runs of a `records` job, 10 minutes apart at most: about a week of LRS downtime. */
export const DEFAULT_RETRY_OPTIONS = {
  attempts: 5,
  recordsAttempts: 1000,
  backoffMs: 1_000,
  maxBackoffMs: 10 * 60_000,
} as const satisfies Required<RetryOptions>;

export interface MemorySchedulerOptions extends RetryOptions {
  readonly handler: JobHandler;
  readonly logger: Logger;
  /** Reads the time that `runAt` is measured against. */
  readonly clock?: Clock;
}

export interface RedisSchedulerOptions extends MemorySchedulerOptions {
  readonly redisUrl: string;
  /**
   * BullMQ's key prefix, e.g. `${redisPrefix}:jobs`. On Redis Cluster it must be a hash tag
   * (`{socra-jobs}`), since BullMQ's scripts touch several keys of a queue at once.
   */
  readonly prefix: string;
  /** False for a process that only enqueues (a CLI command): it runs no jobs. */
  readonly isWorker?: boolean;
  /** Jobs one process runs at the same time. */
  readonly concurrency?: number;
}

export const DEFAULT_REDIS_SCHEDULER_OPTIONS = {
  isWorker: true,
  concurrency: 4,
} as const satisfies Required<Pick<RedisSchedulerOptions, "isWorker" | "concurrency">>;

/** BullMQ's queue name under the prefix. */
const QUEUE_NAME = "tutor";
/** The events stream is for diagnosis only: a short tail is enough. */
const EVENTS_KEPT = 100;
/** Failed jobs are kept for inspection, a week and a thousand at most. */
const FAILED_KEPT = { age: 7 * 24 * 3600, count: 1000 } as const;
/** Stack traces kept on a job that keeps failing (one per attempt otherwise). */
const STACK_TRACES_KEPT = 3;
/** The custom backoff type; the worker's backoff strategy computes it. */
const BACKOFF_TYPE = "socra-capped-exponential";
/** States a job can be cancelled in (a paused queue keeps its jobs in "waiting"). */
const CANCELLABLE_STATES = ["delayed", "waiting", "prioritized", "failed", "active"] as const;
/** Jobs read per round of `cancelLearner`. */
const SCAN_BATCH = 200;
/** setTimeout's longest delay; longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a cancelled job's data becomes while it runs: no learner data, and no retry. */
const CANCELLED = { type: "cancelled" } as const;
type StoredJob = Job | typeof CANCELLED;

const jobSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("reminder"),
    tenant: z.string(),
    assignmentId: z.string(),
    learner: z.string().exactOptional(),
  }),
  z.object({ type: z.literal("digest"), tenant: z.string(), assignmentId: z.string() }),
  z.object({ type: z.literal("members"), tenant: z.string(), assignmentId: z.string() }),
  z.object({
    type: z.literal("nudge"),
    tenant: z.string(),
    platform: z.string(),
    learner: z.string(),
  }),
  z.object({
    type: z.literal("records"),
    tenant: z.string(),
    learner: z.string(),
    statements: z.array(z.unknown()),
  }),
]);

const attemptsFor = (job: Job, retry: Required<RetryOptions>): number =>
  job.type === "records" ? retry.recordsAttempts : retry.attempts;

/** The wait before retry number `retry` (1 for the first): doubling, capped. */
const backoffDelayMs = (retry: number, settings: Required<RetryOptions>): number =>
  Math.min(settings.maxBackoffMs, settings.backoffMs * 2 ** Math.max(0, retry - 1));

const isLearnerJob = (job: StoredJob, tenant: string, learner: string): boolean =>
  job.type !== "cancelled" && job.tenant === tenant && "learner" in job && job.learner === learner;

/**
 * What a failure is recorded as in Redis (the failed job and the events stream keep it): the
 * error's class and code, never its message, which may name a learner.
 */
function describeFailure(error: unknown): string {
  if (error instanceof SocraError) return `${error.name} (${error.code})`;
  if (error instanceof Error) return error.name;
  return "non-error thrown";
}

function retrySettings(options: RetryOptions): Required<RetryOptions> {
  const settings = { ...DEFAULT_RETRY_OPTIONS, ...options };
  const { attempts, recordsAttempts, backoffMs, maxBackoffMs } = settings;
  if (![attempts, recordsAttempts].every((runs) => Number.isInteger(runs) && runs >= 1)) {
    throw new StoreError(
      "invalid_option",
      "Scheduler attempts must be whole numbers of at least 1",
    );
  }
  if (![backoffMs, maxBackoffMs].every((ms) => Number.isFinite(ms) && ms >= 0)) {
    throw new StoreError("invalid_option", "Scheduler backoffs must be milliseconds of at least 0");
  }
  return settings;
}

/**
 * The BullMQ job ids for a caller's id: `j-` and the id's SHA-256 (BullMQ ids may not contain
 * ':' or be integers, and ids end up in the events stream, where a learner id must not). Two
 * slots, so a job can be rescheduled while its previous version is running: a running job cannot
 * be removed, and BullMQ ignores an add whose id exists.
 */
function slotsOf(id: string): readonly [string, string] {
  const base = `j-${createHash("sha256").update(id).digest("base64url")}`;
  return [base, `${base}-2`];
}

/**
 * The scheduler on Redis: one BullMQ queue, and (unless `isWorker` is false) a worker that runs
 * due jobs with `handler`, `concurrency` at a time. Jobs survive restarts and are shared by all
 * processes on the same Redis and prefix; any worker may run any job.
 *
 * - A job scheduled with an id replaces the pending job with that id. A job that is running
 *   cannot be removed: it is left to finish, its data is replaced by a tombstone so that it is
 *   not retried if it fails, and the new job goes in the id's second slot. So a handler may
 *   reschedule its own job. When both slots are running (both are then tombstoned), `schedule`
 *   throws `job_busy` and adds nothing. Two processes scheduling one id at the same moment:
 *   one of the two jobs wins.
 * - A handler that throws is retried after `backoffMs`, doubling up to `maxBackoffMs`, for
 *   `attempts` runs (`recordsAttempts` for records). Completed jobs are deleted; failed ones are
 *   kept a week (a thousand at most) with their data, and recorded with the error's class and
 *   code only, since its message may name a learner.
 * - `cancel` and `cancelLearner` remove pending (delayed, waiting, prioritized) and failed jobs;
 *   running ones are tombstoned as above. `cancelLearner` reads every job, which is fine for the
 *   thousands a school has (forget-me is rare), and counts the jobs it removed.
 * - `close` waits for running jobs, then closes every connection it opened (the queue's, and
 *   the worker's two).
 */
export function createRedisScheduler(options: RedisSchedulerOptions): Scheduler {
  const retry = retrySettings(options);
  const { isWorker, concurrency } = { ...DEFAULT_REDIS_SCHEDULER_OPTIONS, ...options };
  const clock = options.clock ?? systemClock;
  const log = options.logger.child({ module: "jobs" });
  // Connection options rather than a client: each BullMQ part opens (and closes) its own ioredis
  // client, and the worker's blocking one needs settings the app's client does not have. They
  // are named after the prefix, so CLIENT LIST tells whose they are.
  const connection = {
    url: options.redisUrl,
    connectionName: `${options.prefix}:${QUEUE_NAME}`.replace(/[^\x21-\x7e]/g, "_"),
  };
  let isClosed = false;

  // Typed by its job class: a union data type would make BullMQ's types distribute over it.
  const queue = new Queue<BullJob<StoredJob>>(QUEUE_NAME, {
    connection,
    prefix: options.prefix,
    streams: { events: { maxLen: EVENTS_KEPT } },
  });
  queue.on("error", (error) => log.warn({ err: error }, "job queue: Redis error"));

  async function run(bullJob: BullJob<StoredJob>): Promise<void> {
    const data = bullJob.data;
    if (data.type === "cancelled") return;
    const parsed = jobSchema.safeParse(data);
    if (!parsed.success) {
      log.error({ jobId: bullJob.id, issues: parsed.error.issues.length }, "invalid job data");
      throw new UnrecoverableError("invalid job data");
    }
    const job: Job = parsed.data;
    try {
      await options.handler(job);
    } catch (error) {
      // Cancelled or replaced while it ran: done, not retried.
      const current = bullJob.id === undefined ? undefined : await queue.getJob(bullJob.id);
      if (current === undefined || current.data.type === "cancelled") return;
      const attempt = bullJob.attemptsMade + 1;
      const isLast = attempt >= (bullJob.opts.attempts ?? 1);
      const fields = { err: error, jobId: bullJob.id, jobType: job.type, attempt };
      if (isLast) log.error(fields, "job failed for good");
      else log.warn(fields, "job failed; will retry");
      throw new Error(describeFailure(error));
    }
  }

  const worker = isWorker
    ? new Worker<StoredJob>(QUEUE_NAME, run, {
        connection,
        prefix: options.prefix,
        concurrency,
        settings: { backoffStrategy: (attemptsMade) => backoffDelayMs(attemptsMade, retry) },
      })
    : undefined;
  worker?.on("error", (error) => log.warn({ err: error }, "job worker: Redis error"));

  /** Keeps a running job from being retried, and drops its learner data. */
  async function tombstone(bullId: string): Promise<void> {
    try {
      const running = await queue.getJob(bullId);
      if (running !== undefined && running.data.type !== "cancelled") {
        await running.updateData(CANCELLED);
      }
    } catch (error) {
      // A job that finished in the meantime has nothing left to cancel; anything else is a failure.
      if ((await queue.getJob(bullId)) !== undefined) throw error;
    }
  }

  /** Removes a job unless it is running (then tombstones it); true when it was running. */
  async function removeOrTombstone(bullId: string): Promise<boolean> {
    const removed = await queue.remove(bullId);
    if (removed === 1) return false;
    await tombstone(bullId);
    return true;
  }

  const assertOpen = (): void => {
    if (isClosed) throw new StoreError("closed", "The scheduler is closed");
  };

  return {
    async schedule(job, runAt, id) {
      assertOpen();
      const jobOptions = {
        delay: Math.max(0, Math.round(runAt - clock.now())),
        attempts: attemptsFor(job, retry),
        backoff: { type: BACKOFF_TYPE },
        removeOnComplete: true,
        removeOnFail: FAILED_KEPT,
        stackTraceLimit: STACK_TRACES_KEPT,
      };
      if (id === undefined) {
        await queue.add(job.type, job, jobOptions);
        return;
      }
      const slots = slotsOf(id);
      const isRunning = await Promise.all(slots.map(removeOrTombstone));
      const free = slots.find((_, index) => !isRunning[index]);
      if (free === undefined) {
        throw new StoreError("job_busy", "Both versions of this job are running; try again");
      }
      await queue.add(job.type, job, { ...jobOptions, jobId: free });
    },

    async cancel(id) {
      assertOpen();
      await Promise.all(slotsOf(id).map(removeOrTombstone));
    },

    async cancelLearner(tenant, learner) {
      assertOpen();
      const ids = await queue.getRanges([...CANCELLABLE_STATES], 0, -1, true);
      let removed = 0;
      for (let start = 0; start < ids.length; start += SCAN_BATCH) {
        const batch = ids.slice(start, start + SCAN_BATCH);
        const jobs = await Promise.all(batch.map((bullId) => queue.getJob(bullId)));
        const matching = batch.filter((_, index) => {
          const bullJob = jobs[index];
          return bullJob !== undefined && isLearnerJob(bullJob.data, tenant, learner);
        });
        const wasRunning = await Promise.all(matching.map(removeOrTombstone));
        removed += wasRunning.filter((isRunning) => !isRunning).length;
      }
      return removed;
    },

    async close() {
      if (isClosed) return;
      isClosed = true;
      await worker?.close();
      await queue.close();
    },
  };
}

interface MemoryEntry {
  readonly job: Job;
  runAt: number;
  attemptsMade: number;
  timer?: NodeJS.Timeout | undefined;
  isRunning: boolean;
  /** Cancelled or replaced while it ran: not retried. */
  isCancelled: boolean;
}

/**
 * The scheduler for the console without Redis: a timer per job, in this process only, so its
 * jobs do not survive a restart. Timers are unref'd (they never keep the process alive); waits
 * longer than setTimeout allows are re-armed. Replacing, cancelling and retrying work as in
 * `createRedisScheduler`: a running job is left to finish and is not retried once replaced or
 * cancelled. `close` clears the timers and waits for running jobs.
 */
export function createMemoryScheduler(options: MemorySchedulerOptions): Scheduler {
  const retry = retrySettings(options);
  const clock = options.clock ?? systemClock;
  const log = options.logger.child({ module: "jobs" });
  // Named jobs under "n:" + id, the others under "a:" + a counter, so cancelLearner sees both.
  const entries = new Map<string, MemoryEntry>();
  const running = new Set<Promise<void>>();
  let anonymous = 0;
  let isClosed = false;

  function arm(key: string, entry: MemoryEntry): void {
    const delayMs = Math.max(0, entry.runAt - clock.now());
    entry.timer = setTimeout(
      () => {
        entry.timer = undefined;
        if (delayMs > MAX_TIMER_MS) arm(key, entry);
        else start(key, entry);
      },
      Math.min(delayMs, MAX_TIMER_MS),
    );
    entry.timer.unref();
  }

  function start(key: string, entry: MemoryEntry): void {
    entry.isRunning = true;
    const done = runEntry(key, entry).finally(() => running.delete(done));
    running.add(done);
  }

  async function runEntry(key: string, entry: MemoryEntry): Promise<void> {
    try {
      await options.handler(entry.job);
      if (entries.get(key) === entry) entries.delete(key);
    } catch (error) {
      entry.isRunning = false;
      if (entry.isCancelled || isClosed) return;
      entry.attemptsMade += 1;
      const isLast = entry.attemptsMade >= attemptsFor(entry.job, retry);
      const fields = { err: error, jobType: entry.job.type, attempt: entry.attemptsMade };
      if (isLast) {
        log.error(fields, "job failed for good");
        if (entries.get(key) === entry) entries.delete(key);
        return;
      }
      log.warn(fields, "job failed; will retry");
      entry.runAt = clock.now() + backoffDelayMs(entry.attemptsMade, retry);
      arm(key, entry);
    }
  }

  /** Takes a job out; a running one finishes but is not retried. True when it was pending. */
  function drop(key: string, entry: MemoryEntry): boolean {
    entries.delete(key);
    clearTimeout(entry.timer);
    entry.isCancelled = true;
    return !entry.isRunning;
  }

  const assertOpen = (): void => {
    if (isClosed) throw new StoreError("closed", "The scheduler is closed");
  };

  return {
    async schedule(job, runAt, id) {
      assertOpen();
      const key = id === undefined ? `a:${++anonymous}` : `n:${id}`;
      const previous = entries.get(key);
      if (previous !== undefined) drop(key, previous);
      // A copy, as Redis would store: later changes to the caller's object do not leak in.
      const entry: MemoryEntry = {
        job: structuredClone(job),
        runAt,
        attemptsMade: 0,
        isRunning: false,
        isCancelled: false,
      };
      entries.set(key, entry);
      arm(key, entry);
    },

    async cancel(id) {
      assertOpen();
      const entry = entries.get(`n:${id}`);
      if (entry !== undefined) drop(`n:${id}`, entry);
    },

    async cancelLearner(tenant, learner) {
      assertOpen();
      let removed = 0;
      for (const [key, entry] of [...entries]) {
        if (isLearnerJob(entry.job, tenant, learner) && drop(key, entry)) removed += 1;
      }
      return removed;
    },

    async close() {
      if (isClosed) return;
      isClosed = true;
      for (const entry of entries.values()) clearTimeout(entry.timer);
      entries.clear();
      await Promise.allSettled([...running]);
    },
  };
}
