import { pino } from "pino";
import type { Config } from "./config.ts";
import type { Logger } from "./tutor/index.ts";

/** Paths pino blanks out: credentials, signatures, and learner text (only ever logged at debug). */
export const REDACTED_PATHS = [
  "*.token",
  "*.secret",
  "*.password",
  "*.apiKey",
  "*.authorization",
  "headers.authorization",
  'headers["x-slack-signature"]',
  'headers["x-signature-ed25519"]',
  "*.redisUrl",
];

/**
 * The root logger. Logs go to stderr so stdout stays clean for the console tutor's replies
 * (and its --json mode).
 */
export function createLogger(level: Config["logLevel"]): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      serializers: { err: serializeError },
    },
    pino.destination(2),
  );
}

// Interaction and webhook tokens travel in Discord's URLs: /interactions/ID/TOKEN, /webhooks/ID/TOKEN.
const URL_TOKEN = /(\/(?:interactions|webhooks)\/\d+\/)[^/?\s]+/g;

/**
 * Errors as pino writes them, without what platform clients attach that must not reach a log:
 * request bodies (learner text) and tokens in request URLs (Discord's API errors carry both).
 */
export function serializeError(error: unknown): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error as Error) as Record<string, unknown>;
  delete serialized.requestBody;
  delete serialized.rawError;
  const mask = (value: unknown) =>
    typeof value === "string" ? value.replace(URL_TOKEN, "$1[redacted]") : value;
  for (const key of ["url", "message", "stack"])
    if (key in serialized) serialized[key] = mask(serialized[key]);
  return serialized;
}
