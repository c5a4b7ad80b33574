import { existsSync } from "node:fs";
import { z } from "zod";
import { SocraError } from "./engine/index.ts";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const envSchema = z.object({
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  SOCRA_STORE: z.enum(["memory", "redis"]).default("memory"),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" })
    .default("redis://127.0.0.1:6379"),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, { error: "letters, digits, '.', '_' and '-' only" })
    .default("socra"),
  SOCRA_COURSES_DIR: z.string().min(1).optional(),
  SOCRA_DEFAULT_COURSE: z.string().min(1).default("fractions"),
  SESSION_TTL_HOURS: z.coerce
    .number({ error: "must be a number of hours" })
    .positive()
    .max(8760)
    .default(72),
  TURN_LOCK_SECONDS: z.coerce
    .number({ error: "must be a number of seconds" })
    .int()
    .min(5)
    .max(600)
    .default(30),
});

/** Validated configuration, read once at start-up. */
export interface Config {
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly store: "memory" | "redis";
  readonly redisUrl: string;
  readonly redisPrefix: string;
  /** Extra course directory; the bundled courses otherwise. */
  readonly coursesDir?: string;
  readonly defaultCourse: string;
  readonly sessionTtlMs: number;
  readonly turnLockMs: number;
}

/** A configuration problem; the message names every variable that is wrong. */
export class ConfigError extends SocraError {
  override readonly name: string = "ConfigError";
}

/**
 * Parses the environment with one zod schema. Empty values count as unset. A bad value stops
 * start-up with a message that names the variable and what it should be.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError("bad_config", `Invalid configuration:\n${lines.join("\n")}`);
  }
  const c = parsed.data;
  return {
    logLevel: c.LOG_LEVEL,
    store: c.SOCRA_STORE,
    redisUrl: c.REDIS_URL,
    redisPrefix: c.REDIS_PREFIX,
    ...(c.SOCRA_COURSES_DIR === undefined ? {} : { coursesDir: c.SOCRA_COURSES_DIR }),
    defaultCourse: c.SOCRA_DEFAULT_COURSE,
    sessionTtlMs: c.SESSION_TTL_HOURS * 3_600_000,
    turnLockMs: c.TURN_LOCK_SECONDS * 1000,
  };
}

/** The process environment, after loading `.env` from the working directory if there is one. */
export function readEnvironment(envFile = ".env"): Record<string, string | undefined> {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return { ...process.env };
}
