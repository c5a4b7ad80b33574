import { describe, expect, it } from "vitest";
import { loadSlackFixture, readSlackFixtureFile, slackFixtureNames } from "./fixtures.ts";
import { SLACK_IDS } from "./signing.ts";

const PLACEHOLDER_IDS = new Set<string>([...Object.values(SLACK_IDS), "B0OTHERBOT", "V0HOME"]);

/** Every string in a JSON value, depth first. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

const names = slackFixtureNames();

describe("Slack fixtures", () => {
  it("cover every payload kind the adapter handles", () => {
    expect(names).toEqual(
      expect.arrayContaining([
        "url-verification",
        "event-message-im",
        "event-message-im-from-own-bot",
        "event-message-bot-message",
        "event-app-mention",
        "event-app-home-opened",
        "command-tutor-start",
        "block-actions-answer-dm",
      ]),
    );
  });

  it.each(names)("%s names the Slack documentation page it follows", (name) => {
    expect(readSlackFixtureFile(name)._source).toMatch(
      /^https:\/\/(docs\.slack\.dev|api\.slack\.com)\//,
    );
    expect(loadSlackFixture(name)).not.toHaveProperty("_source");
  });

  it.each(names)("%s uses only the placeholder ids", (name) => {
    const slackIds = strings(loadSlackFixture(name)).flatMap(
      (text) => text.match(/\b[ABCDGTUVW][A-Z0-9]{5,}\b/g) ?? [],
    );
    for (const id of slackIds) expect(PLACEHOLDER_IDS, `${name}: ${id}`).toContain(id);
  });

  it.each(names.filter((name) => name.startsWith("event-")))(
    "%s is an event_callback wrapper from the learner's workspace",
    (name) => {
      const body = loadSlackFixture(name);
      expect(body).toMatchObject({
        type: "event_callback",
        team_id: SLACK_IDS.teamId,
        api_app_id: SLACK_IDS.appId,
        event: { type: expect.any(String) },
        event_id: expect.stringMatching(/^Ev/),
        event_time: expect.any(Number),
      });
    },
  );

  it.each(names.filter((name) => name.startsWith("command-")))(
    "%s holds a slash command's form fields, all strings",
    (name) => {
      const fields = loadSlackFixture(name);
      for (const field of [
        "team_id",
        "channel_id",
        "user_id",
        "command",
        "text",
        "api_app_id",
        "response_url",
        "trigger_id",
      ]) {
        expect(fields, `${name}.${field}`).toHaveProperty(field, expect.any(String));
      }
      expect(Object.values(fields).every((value) => typeof value === "string")).toBe(true);
    },
  );

  const actionFixtures = names.filter((name) => name.startsWith("block-actions-"));

  it.each(actionFixtures.filter((name) => name.endsWith("-ephemeral")))(
    "%s is a block_actions payload on an ephemeral message, which Slack leaves out",
    (name) => {
      const payload = loadSlackFixture(name);
      expect(payload).toMatchObject({
        type: "block_actions",
        user: { id: SLACK_IDS.learnerId },
        container: { type: "message", message_ts: expect.any(String), is_ephemeral: true },
        response_url: expect.any(String),
        actions: [{ action_id: expect.any(String), block_id: expect.any(String) }],
      });
      expect(payload).not.toHaveProperty("message");
    },
  );

  it.each(actionFixtures.filter((name) => !name.endsWith("-ephemeral")))(
    "%s is a block_actions payload on a bot message",
    (name) => {
      const payload = loadSlackFixture(name);
      expect(payload).toMatchObject({
        type: "block_actions",
        user: { id: SLACK_IDS.learnerId },
        container: { type: "message", message_ts: expect.any(String) },
        message: { bot_id: SLACK_IDS.botId, user: SLACK_IDS.botUserId },
        response_url: expect.any(String),
        trigger_id: expect.any(String),
        actions: [
          {
            action_id: expect.any(String),
            block_id: expect.any(String),
            value: expect.any(String),
          },
        ],
      });
      const { container, message } = payload as {
        container: { message_ts: string; channel_id: string };
        message: { ts: string };
      };
      expect(container.message_ts).toBe(message.ts);
      expect((payload.channel as { id: string }).id).toBe(container.channel_id);
    },
  );
});
