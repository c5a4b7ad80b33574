import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Slack payloads built from Slack's documentation; each names its page in `_source`. */
export const SLACK_FIXTURES_DIR = join(import.meta.dirname, "../../fixtures/slack");

/** The fixture file names (without `.json`), sorted. */
export function slackFixtureNames(): string[] {
  return readdirSync(SLACK_FIXTURES_DIR)
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.slice(0, -".json".length))
    .sort();
}

/** A fixture as Slack would send it: parsed, without the `_source` note. */
export function loadSlackFixture(name: string): Record<string, unknown> {
  const { _source, ...payload } = readSlackFixtureFile(name);
  return payload;
}

/** A fixture exactly as stored, `_source` included. */
export function readSlackFixtureFile(name: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(
    readFileSync(join(SLACK_FIXTURES_DIR, `${name}.json`), "utf8"),
  );
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`Slack fixture ${name} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}
