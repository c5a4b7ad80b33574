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
  SOCRA_MODELS_DIR: z.string().min(1).optional(),
  SOCRA_DEFAULT_COURSE: z.string().min(1).default("fractions"),
  SESSION_TTL_HOURS: z.coerce
    .number({ error: "must be a number of hours" })
    .positive()
    .max(8760)
    .default(72),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
    .optional(),
  LLM_MODEL: z.string().min(1).default("gpt-4.1-mini"),
  LLM_TIMEOUT_SECONDS: z.coerce
    .number({ error: "must be a number of seconds" })
    .min(1)
    .max(120)
    .default(12),
  LLM_MAX_OUTPUT_TOKENS: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(50)
    .max(8000)
    .default(600),
  LLM_DAILY_TOKENS_PER_LEARNER: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(0)
    .default(40_000),
  LLM_DAILY_TOKENS_PER_TENANT: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(0)
    .default(2_000_000),
  LLM_MODERATION: z.enum(["auto", "on", "off"]).default("auto"),
  LLM_STRUCTURED_OUTPUT: z
    .enum(["json_schema", "function_calling", "json_mode"])
    .default("json_schema"),
  PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).default(3000),
  SLACK_BOT_TOKEN: z.string().startsWith("xoxb-", { error: "must start with xoxb-" }).optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z.string().startsWith("xapp-", { error: "must start with xapp-" }).optional(),
  SLACK_CLIENT_ID: z.string().min(1).optional(),
  SLACK_CLIENT_SECRET: z.string().min(1).optional(),
  SLACK_STATE_SECRET: z.string().min(1).optional(),
  SLACK_API_URL: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
    .optional(),
  DISCORD_TOKEN: z
    .string()
    .min(20, { error: "must be the bot token (Bot → Reset Token)" })
    .optional(),
  DISCORD_APPLICATION_ID: z
    .string()
    .regex(/^\d{5,20}$/, { error: "must be the numeric application id" })
    .optional(),
  DISCORD_API_URL: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
    .optional(),
  DISCORD_MESSAGE_CONTENT: z
    .enum(["true", "false"], { error: "must be true or false" })
    .default("false"),
  DISCORD_SERVER_MEMBERS: z
    .enum(["true", "false"], { error: "must be true or false" })
    .default("false"),
  SLACK_TEACHER_IDS: z
    .string()
    .regex(/^\s*[UW][A-Z0-9]+(\s*,\s*[UW][A-Z0-9]+)*\s*$/, {
      error: "must be Slack user ids separated by commas (U012AB3CD,U045EF6GH)",
    })
    .optional(),
  SLACK_TEACHER_GROUP: z
    .string()
    .regex(/^S[A-Z0-9]+$/, { error: "must be a Slack user group id (S0614TZR7)" })
    .optional(),
  DISCORD_TEACHER_ROLE: z.string().min(1).max(100).optional(),
  TEACHER_TIME_ZONE: z
    .string()
    .refine(isTimeZone, { error: "must be an IANA time zone such as Europe/Paris" })
    .default("UTC"),
  QUIET_HOURS: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, {
      error: "must be HH:MM-HH:MM in 24-hour time, such as 20:00-07:30, or off",
    })
    .or(z.literal("off"))
    .default("20:00-07:30"),
  LRS_ENDPOINT: z
    .url({ protocol: /^https?$/, error: "must be the LRS's xAPI endpoint, an http(s):// URL" })
    .optional(),
  LRS_USERNAME: z.string().min(1).optional(),
  LRS_PASSWORD: z.string().min(1).optional(),
  XAPI_BASE_IRI: z
    .url({ protocol: /^https?$/, error: "must be an http(s):// URL" })
    .default("https://socra.example"),
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
  /** Fitted knowledge models (`socra course fit --out`), one `<course id>.json` per course. */
  readonly modelsDir?: string;
  readonly defaultCourse: string;
  readonly sessionTtlMs: number;
  readonly turnLockMs: number;
  /** The LLM, when a key or a local endpoint is configured; authored content only otherwise. */
  readonly llm?: LlmConfig;
  /** HTTP port: Slack's events in HTTP mode, and /healthz and /metrics. */
  readonly port: number;
  /** Slack, when its credentials are configured. */
  readonly slack?: SlackConfig;
  /** Discord, when its credentials are configured. */
  readonly discord?: DiscordConfig;
  readonly classroom: ClassroomConfig;
  /** A Learning Record Store that receives every learning record as xAPI, when configured. */
  readonly lrs?: LrsConfig;
  /** Where xAPI activity ids live (courses, skills, items): the school's or Socra's own site. */
  readonly xapiBaseIri: string;
}

/** Teachers and the messages Socra sends on its own. */
export interface ClassroomConfig {
  /** The time zone for due dates and quiet hours when the platform does not say (Discord). */
  readonly timeZone: string;
  /** No reminders or nudges between these local times ("20:00" to "07:30"); none when absent. */
  readonly quietHours?: { readonly start: string; readonly end: string };
}

export interface LrsConfig {
  /** The xAPI endpoint; statements are POSTed to `${endpoint}/statements`. */
  readonly endpoint: string;
  readonly username: string;
  readonly password: string;
}

/** A Discord bot: gateway for events, REST for replies. */
export interface DiscordConfig {
  readonly token: string;
  readonly applicationId: string;
  /** REST base URL (its /gateway/bot answer gives the gateway); Discord's own by default. */
  readonly apiUrl?: string;
  /** The privileged Message Content intent, when the operator enabled it for the bot. */
  readonly hasMessageContent: boolean;
  /**
   * The privileged Server Members intent on the gateway (the operator enabled it for the bot):
   * members joining or getting roles reach assignments at once, not at the next check.
   */
  readonly hasServerMembers: boolean;
  /** Members with this role (id or name) are teachers, besides those with Manage Server. */
  readonly teacherRole?: string;
}

/** A Slack app: one workspace (bot token) or many (OAuth), over Socket Mode or HTTP. */
export interface SlackConfig {
  /** Verifies HTTP requests; not needed in Socket Mode. */
  readonly signingSecret?: string;
  /** Single-workspace installs. */
  readonly botToken?: string;
  /** Socket Mode when set (no public URL needed); the HTTP receiver otherwise. */
  readonly appToken?: string;
  /** Multi-workspace installs through Slack OAuth. */
  readonly oauth?: {
    readonly clientId: string;
    readonly clientSecret: string;
    readonly stateSecret: string;
  };
  /** Web API base URL (ends with /api/); Slack's own by default. */
  readonly apiUrl?: string;
  /** Teachers: these users, members of this user group, and workspace admins and owners. */
  readonly teacherIds: readonly string[];
  readonly teacherGroup?: string;
}

/** An OpenAI-compatible endpoint: OpenAI itself, Azure OpenAI's v1 API, Ollama, vLLM, llama.cpp. */
export interface LlmConfig {
  /** Absent for local servers that need none. */
  readonly apiKey?: string;
  /** Absent for OpenAI itself. */
  readonly baseUrl?: string;
  readonly model: string;
  /** The longest a learner waits for LLM text before authored content is shown instead. */
  readonly timeoutMs: number;
  readonly maxOutputTokens: number;
  readonly dailyTokensPerLearner: number;
  readonly dailyTokensPerTenant: number;
  /** Moderation through the OpenAI moderation endpoint; "auto" means on for OpenAI itself. */
  readonly moderation: boolean;
  readonly structuredOutput: "json_schema" | "function_calling" | "json_mode";
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
  const lrs = [c.LRS_ENDPOINT, c.LRS_USERNAME, c.LRS_PASSWORD];
  const problems = [
    ...slackProblems(c),
    ...(lrs.some((v) => v !== undefined) && !lrs.every((v) => v !== undefined)
      ? ["LRS_ENDPOINT, LRS_USERNAME, LRS_PASSWORD: forwarding to an LRS needs all three"]
      : []),
    ...((c.DISCORD_TOKEN === undefined) !== (c.DISCORD_APPLICATION_ID === undefined)
      ? [
          "DISCORD_TOKEN, DISCORD_APPLICATION_ID: Discord needs both (Developer Portal → your application)",
        ]
      : []),
  ];
  if (problems.length > 0)
    throw new ConfigError(
      "bad_config",
      `Invalid configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`,
    );
  if (c.LLM_TIMEOUT_SECONDS + 5 > c.TURN_LOCK_SECONDS)
    throw new ConfigError(
      "bad_config",
      `Invalid configuration:\n  LLM_TIMEOUT_SECONDS: must be at least 5 seconds shorter than TURN_LOCK_SECONDS (${c.TURN_LOCK_SECONDS}), since a turn holds its learner while it waits for the LLM`,
    );
  return {
    logLevel: c.LOG_LEVEL,
    store: c.SOCRA_STORE,
    redisUrl: c.REDIS_URL,
    redisPrefix: c.REDIS_PREFIX,
    ...(c.SOCRA_COURSES_DIR === undefined ? {} : { coursesDir: c.SOCRA_COURSES_DIR }),
    ...(c.SOCRA_MODELS_DIR === undefined ? {} : { modelsDir: c.SOCRA_MODELS_DIR }),
    defaultCourse: c.SOCRA_DEFAULT_COURSE,
    sessionTtlMs: c.SESSION_TTL_HOURS * 3_600_000,
    turnLockMs: c.TURN_LOCK_SECONDS * 1000,
    ...(c.OPENAI_API_KEY === undefined && c.OPENAI_BASE_URL === undefined
      ? {}
      : {
          llm: {
            ...(c.OPENAI_API_KEY === undefined ? {} : { apiKey: c.OPENAI_API_KEY }),
            ...(c.OPENAI_BASE_URL === undefined ? {} : { baseUrl: c.OPENAI_BASE_URL }),
            model: c.LLM_MODEL,
            timeoutMs: c.LLM_TIMEOUT_SECONDS * 1000,
            maxOutputTokens: c.LLM_MAX_OUTPUT_TOKENS,
            dailyTokensPerLearner: c.LLM_DAILY_TOKENS_PER_LEARNER,
            dailyTokensPerTenant: c.LLM_DAILY_TOKENS_PER_TENANT,
            moderation:
              c.LLM_MODERATION === "auto" ? isOpenAi(c.OPENAI_BASE_URL) : c.LLM_MODERATION === "on",
            structuredOutput: c.LLM_STRUCTURED_OUTPUT,
          },
        }),
    port: c.PORT,
    ...(c.DISCORD_TOKEN === undefined || c.DISCORD_APPLICATION_ID === undefined
      ? {}
      : {
          discord: {
            token: c.DISCORD_TOKEN,
            applicationId: c.DISCORD_APPLICATION_ID,
            ...(c.DISCORD_API_URL === undefined
              ? {}
              : { apiUrl: c.DISCORD_API_URL.replace(/\/$/, "") }),
            hasMessageContent: c.DISCORD_MESSAGE_CONTENT === "true",
            hasServerMembers: c.DISCORD_SERVER_MEMBERS === "true",
            ...(c.DISCORD_TEACHER_ROLE === undefined
              ? {}
              : { teacherRole: c.DISCORD_TEACHER_ROLE }),
          },
        }),
    ...(c.SLACK_BOT_TOKEN === undefined && c.SLACK_CLIENT_ID === undefined
      ? {}
      : {
          slack: {
            ...(c.SLACK_SIGNING_SECRET === undefined
              ? {}
              : { signingSecret: c.SLACK_SIGNING_SECRET }),
            ...(c.SLACK_BOT_TOKEN === undefined ? {} : { botToken: c.SLACK_BOT_TOKEN }),
            ...(c.SLACK_APP_TOKEN === undefined ? {} : { appToken: c.SLACK_APP_TOKEN }),
            ...(c.SLACK_CLIENT_ID && c.SLACK_CLIENT_SECRET && c.SLACK_STATE_SECRET
              ? {
                  oauth: {
                    clientId: c.SLACK_CLIENT_ID,
                    clientSecret: c.SLACK_CLIENT_SECRET,
                    stateSecret: c.SLACK_STATE_SECRET,
                  },
                }
              : {}),
            ...(c.SLACK_API_URL === undefined
              ? {}
              : {
                  apiUrl: c.SLACK_API_URL.endsWith("/") ? c.SLACK_API_URL : `${c.SLACK_API_URL}/`,
                }),
            teacherIds: (c.SLACK_TEACHER_IDS ?? "")
              .split(",")
              .map((id) => id.trim())
              .filter((id) => id !== ""),
            ...(c.SLACK_TEACHER_GROUP === undefined ? {} : { teacherGroup: c.SLACK_TEACHER_GROUP }),
          },
        }),
    classroom: {
      timeZone: c.TEACHER_TIME_ZONE,
      ...(c.QUIET_HOURS === "off"
        ? {}
        : {
            quietHours: {
              start: c.QUIET_HOURS.slice(0, 5),
              end: c.QUIET_HOURS.slice(6),
            },
          }),
    },
    ...(c.LRS_ENDPOINT && c.LRS_USERNAME && c.LRS_PASSWORD
      ? {
          lrs: {
            endpoint: c.LRS_ENDPOINT.replace(/\/$/, ""),
            username: c.LRS_USERNAME,
            password: c.LRS_PASSWORD,
          },
        }
      : {}),
    xapiBaseIri: c.XAPI_BASE_IRI.replace(/\/$/, ""),
  };
}

/** Slack settings that only make sense together. */
function slackProblems(c: z.output<typeof envSchema>): string[] {
  const oauth = [c.SLACK_CLIENT_ID, c.SLACK_CLIENT_SECRET, c.SLACK_STATE_SECRET];
  const hasOauth = oauth.every((v) => v !== undefined);
  const isSlackWanted =
    c.SLACK_BOT_TOKEN !== undefined ||
    c.SLACK_APP_TOKEN !== undefined ||
    c.SLACK_SIGNING_SECRET !== undefined ||
    oauth.some((v) => v !== undefined);
  const problems: string[] = [];
  if (!isSlackWanted) return problems;
  if (oauth.some((v) => v !== undefined) && !hasOauth)
    problems.push(
      "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET: OAuth installs need all three",
    );
  if (c.SLACK_BOT_TOKEN === undefined && !hasOauth)
    problems.push(
      "SLACK_BOT_TOKEN: required for a single-workspace app (OAuth & Permissions → Bot User OAuth Token), or set the three OAuth variables",
    );
  if (c.SLACK_APP_TOKEN === undefined && c.SLACK_SIGNING_SECRET === undefined)
    problems.push(
      "SLACK_SIGNING_SECRET: required in HTTP mode (Basic Information → App Credentials); or set SLACK_APP_TOKEN for Socket Mode",
    );
  return problems;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Whether the endpoint is OpenAI's own (which has the moderation endpoint). */
function isOpenAi(baseUrl: string | undefined): boolean {
  return baseUrl === undefined || new URL(baseUrl).hostname === "api.openai.com";
}

/** The process environment, after loading `.env` from the working directory if there is one. */
export function readEnvironment(envFile = ".env"): Record<string, string | undefined> {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return { ...process.env };
}
