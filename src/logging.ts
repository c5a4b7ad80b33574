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
    { level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } },
    pino.destination(2),
  );
}
