import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import type { Config, LlmConfig } from "./config.ts";
import { type Course, loadCourseDirectory, loadCourseFile } from "./content/index.ts";
import { type FittedKnowledge, parseFittedKnowledge, SocraError } from "./engine/index.ts";
import { createOpenAiLlm } from "./llm/index.ts";
import { createLogger } from "./logging.ts";
import { createMetrics, instrumentLlm, instrumentTutor, type Metrics } from "./metrics.ts";
import {
  createLrsClient,
  type LrsClient,
  statementsFromLog,
  type XapiStatement,
} from "./records/index.ts";
import {
  createMemoryKeyValueStore,
  createMemoryScheduler,
  createMemoryStore,
  createRedisKeyValueStore,
  createRedisScheduler,
  createRedisStore,
  type KeyValueStore,
  type RedisTutorStore,
} from "./store/index.ts";
import {
  type Clock,
  createTutor,
  type Job,
  type Logger,
  type Scheduler,
  systemClock,
  type Tutor,
  type TutorLlm,
  type TutorStore,
} from "./tutor/index.ts";

/** The courses that ship with Socra (courses/ next to src/ and dist/). */
export const BUNDLED_COURSES_DIR = fileURLToPath(new URL("../courses/", import.meta.url));

/** A running Socra: the tutor and what it holds open. */
export interface App {
  readonly tutor: Tutor;
  readonly store: TutorStore;
  readonly logger: Logger;
  /** Durable records (platform installations), in the same Redis as learners when Redis is used. */
  readonly keyValue: KeyValueStore;
  /** Turn, LLM and platform metrics, when `socra serve` asked for them. */
  readonly metrics?: Metrics;
  readonly hasLlm: boolean;
  /** The Redis store's round-trip counter, when Redis is the store. */
  readonly redisStore?: RedisTutorStore;
  /** Delayed work: BullMQ on Redis, timers in memory. */
  readonly scheduler: Scheduler;
  /**
   * Reads SOCRA_MODELS_DIR again and gives the tutor what it holds (`socra serve` on SIGHUP). A
   * damaged file rejects, naming it, and the models in use stay.
   */
  reloadModels(): Promise<void>;
  close(): Promise<void>;
}

export interface AppOverrides {
  /** A course file to load besides the course directory; it becomes the default course. */
  readonly courseFile?: string;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** The LLM to use instead of the configured one (tests, evaluations). */
  readonly llm?: TutorLlm;
  /** Count turns, LLM calls and platform errors for /metrics. */
  readonly withMetrics?: boolean;
  /** False for commands that must not run scheduled jobs (an export): they only read. */
  readonly isWorker?: boolean;
  /** The LRS client to forward records to instead of the configured one (tests). */
  readonly lrs?: LrsClient;
}

/**
 * The composition root: the only place that builds clients. Loads the courses, connects the
 * store, and wires the tutor.
 */
export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  let courses: Course[] = await loadCourseDirectory(config.coursesDir ?? BUNDLED_COURSES_DIR);
  let defaultCourseId = config.defaultCourse;
  if (overrides.courseFile) {
    const extra = await loadCourseFile(overrides.courseFile);
    courses = [extra, ...courses.filter((course) => course.id !== extra.id)];
    defaultCourseId = extra.id;
  }
  const storeOptions = { sessionTtlMs: config.sessionTtlMs, lockTtlMs: config.turnLockMs };
  let client: Redis | undefined;
  let redisStore: RedisTutorStore | undefined;
  let store: TutorStore;
  if (config.store === "redis") {
    client = new Redis(config.redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 3,
      enableOfflineQueue: false,
    });
    client.on("error", (error: Error) => logger.warn({ err: error }, "redis connection error"));
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw new SocraError(
        "redis_unavailable",
        `Cannot connect to Redis at ${redactUrl(config.redisUrl)}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    redisStore = createRedisStore(client, { ...storeOptions, prefix: config.redisPrefix });
    store = redisStore;
  } else {
    store = createMemoryStore(storeOptions);
  }
  const clock = overrides.clock ?? systemClock;
  const metrics = overrides.withMetrics ? createMetrics() : undefined;
  const configured =
    overrides.llm ?? (config.llm ? createOpenAiLlm({ config: config.llm, clock }) : undefined);
  const llm = configured && metrics ? instrumentLlm(configured, metrics) : configured;
  if (llm)
    logger.info(
      {
        model: llm.model,
        endpoint: config.llm?.baseUrl ? redactUrl(config.llm.baseUrl) : "OpenAI",
        moderation: llm.moderate !== undefined,
      },
      "LLM configured",
    );
  else
    logger.info(
      {},
      "No LLM configured (OPENAI_API_KEY or OPENAI_BASE_URL): hints, explanations and grading come from the course packs",
    );
  // The scheduler runs the tutor's jobs, and the tutor schedules them: bound once both exist.
  let runTutorJob: ((job: Job) => Promise<void>) | undefined;
  const lrs =
    overrides.lrs ??
    (config.lrs
      ? createLrsClient({
          endpoint: config.lrs.endpoint,
          username: config.lrs.username,
          password: config.lrs.password,
        })
      : undefined);
  const handler = async (job: Job): Promise<void> => {
    if (job.type === "records") {
      if (lrs) await lrs.send(job.statements as XapiStatement[]);
      return;
    }
    if (!runTutorJob) throw new SocraError("not_ready", "The tutor is not running yet");
    await runTutorJob(job);
  };
  const scheduler =
    config.store === "redis"
      ? createRedisScheduler({
          redisUrl: config.redisUrl,
          prefix: `${config.redisPrefix}:jobs`,
          handler,
          logger,
          clock,
          isWorker: overrides.isWorker ?? true,
        })
      : createMemoryScheduler({ handler, logger, clock });
  const courseMap = new Map(courses.map((course) => [course.id, course]));
  const knowledge = config.modelsDir
    ? await loadFittedKnowledge(config.modelsDir, courses, logger)
    : undefined;
  const core = createTutor({
    store,
    courses,
    ...(knowledge ? { knowledge } : {}),
    clock,
    logger,
    defaultCourseId,
    scheduler,
    classroom: config.classroom,
    ...(lrs
      ? {
          // Each turn's records go to the LRS through the scheduler: retried until it takes them.
          onRecords: async (owner, entries) => {
            const statements = statementsFromLog(entries, owner, courseMap, {
              baseIri: config.xapiBaseIri,
            });
            if (statements.length > 0)
              await scheduler.schedule(
                { type: "records", tenant: owner.tenant, learner: owner.learner, statements },
                clock.now(),
              );
          },
        }
      : {}),
    ...(llm ? { llm } : {}),
    ...(config.llm
      ? {
          assist: {
            timeoutMs: config.llm.timeoutMs,
            dailyTokensPerLearner: config.llm.dailyTokensPerLearner,
            dailyTokensPerTenant: config.llm.dailyTokensPerTenant,
          },
        }
      : {}),
  });
  const tutor = metrics ? instrumentTutor(core, metrics) : core;
  runTutorJob = (job) => core.runJob(job);
  return {
    tutor,
    store,
    logger,
    keyValue: client
      ? createRedisKeyValueStore(client, config.redisPrefix)
      : createMemoryKeyValueStore(),
    hasLlm: llm !== undefined,
    ...(metrics ? { metrics } : {}),
    ...(redisStore ? { redisStore } : {}),
    scheduler,
    async reloadModels() {
      if (!config.modelsDir) {
        logger.warn({}, "no SOCRA_MODELS_DIR: there are no fitted models to reload");
        return;
      }
      const reloaded = await loadFittedKnowledge(config.modelsDir, courses, logger);
      core.useKnowledge(reloaded);
      logger.info(
        { courses: reloaded.size, dir: config.modelsDir },
        "fitted knowledge models reloaded",
      );
    },
    async close() {
      await tutor.drain();
      await scheduler.close();
      await store.close();
      if (client) await client.quit().catch(() => client?.disconnect());
    },
  };
}

/** The configured LLM client, for commands that use it without a tutor (evaluations). */
export function createLlm(config: LlmConfig): TutorLlm {
  return createOpenAiLlm({ config, clock: systemClock });
}

/** A URL without its password, for messages and logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}

/**
 * The fitted knowledge models in `dir` (`<course id>.json`, written by `socra course fit --out`)
 * for the courses that have one. A file that is there but unreadable stops the start, naming it.
 */
async function loadFittedKnowledge(
  dir: string,
  courses: readonly Course[],
  logger: Logger,
): Promise<Map<string, FittedKnowledge>> {
  const found = new Map<string, FittedKnowledge>();
  for (const course of courses) {
    const file = join(dir, `${course.id}.json`);
    let json: string;
    try {
      json = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new SocraError("bad_model", `Cannot read the fitted model ${file}`, { cause: error });
    }
    try {
      found.set(course.id, parseFittedKnowledge(json));
    } catch (error) {
      throw new SocraError("bad_model", `${file}: ${(error as Error).message}`, { cause: error });
    }
    logger.info({ course: course.id, file }, "fitted knowledge model loaded");
  }
  return found;
}
