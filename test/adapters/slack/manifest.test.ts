import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SLACK_SCOPES } from "../../../src/adapters/slack/index.ts";

interface Manifest {
  features: { slash_commands: { command: string; should_escape: boolean }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean } };
}

const manifest = parse(
  readFileSync(join(import.meta.dirname, "../../../slack/manifest.yaml"), "utf8"),
) as Manifest;

describe("slack/manifest.yaml", () => {
  it("asks for the scopes the OAuth install asks for, no more and no fewer", () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...SLACK_SCOPES].sort());
  });

  it("has Slack escape /tutor's mentions, so teacher commands name people by id", () => {
    const tutor = manifest.features.slash_commands.find((c) => c.command === "/tutor");
    expect(tutor?.should_escape).toBe(true);
  });

  it("turns interactivity on: answer, Start and confirm buttons", () => {
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
  });
});
