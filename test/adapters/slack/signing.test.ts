import type { AddressInfo } from "node:net";
import { App, HTTPReceiver, isValidSlackRequest, LogLevel } from "@slack/bolt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type FakeSlack, startFakeSlack } from "./fake-slack.ts";
import { loadSlackFixture } from "./fixtures.ts";
import {
  actionBody,
  CONTENT_TYPE,
  commandBody,
  eventBody,
  nowSeconds,
  SIGNATURE_HEADER,
  SLACK_IDS,
  signedRequest,
  slackSignature,
  TIMESTAMP_HEADER,
} from "./signing.ts";

const SECRET = "test-signing-secret";

describe("slackSignature", () => {
  it("reproduces the worked example in Slack's 'Verifying requests from Slack'", () => {
    // https://docs.slack.dev/authentication/verifying-requests-from-slack (public example values)
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V" +
      "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=" +
      "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN" +
      "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    expect(slackSignature("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body)).toBe(
      "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    );
  });

  it("is accepted by Bolt's verifier, which rejects a tampered body and a stale timestamp", () => {
    const body = eventBody(
      { type: "app_home_opened", user: SLACK_IDS.learnerId },
      { eventId: "Ev1" },
    );
    const timestamp = nowSeconds();
    const headers = {
      [SIGNATURE_HEADER]: slackSignature(SECRET, timestamp, body),
      [TIMESTAMP_HEADER]: timestamp,
    };
    expect(isValidSlackRequest({ signingSecret: SECRET, body, headers })).toBe(true);
    expect(isValidSlackRequest({ signingSecret: SECRET, body: `${body} `, headers })).toBe(false);
    expect(
      isValidSlackRequest({
        signingSecret: SECRET,
        body,
        headers,
        nowMilliseconds: (timestamp + 6 * 60) * 1000,
      }),
    ).toBe(false);
  });
});

describe("body builders", () => {
  it("wrap an event in the Events API envelope", () => {
    const event = { type: "app_mention", user: SLACK_IDS.learnerId, text: "hi" };
    const body = JSON.parse(eventBody(event, { eventId: "Ev42", eventTimeSeconds: 1767261700 }));
    expect(body).toMatchObject({
      type: "event_callback",
      team_id: SLACK_IDS.teamId,
      api_app_id: SLACK_IDS.appId,
      event,
      event_id: "Ev42",
      event_time: 1767261700,
      authorizations: [{ team_id: SLACK_IDS.teamId, user_id: SLACK_IDS.botUserId, is_bot: true }],
    });
  });

  it("form-encode command fields and put an action payload in `payload=`", () => {
    const fields = { command: "/tutor", text: "start fractions & more" };
    expect(Object.fromEntries(new URLSearchParams(commandBody(fields)))).toEqual(fields);
    const payload = { type: "block_actions", actions: [{ action_id: "hint" }] };
    const form = new URLSearchParams(actionBody(payload));
    expect([...form.keys()]).toEqual(["payload"]);
    expect(JSON.parse(form.get("payload") ?? "")).toEqual(payload);
  });
});

describe("signed requests against Bolt's HTTP receiver", () => {
  let fake: FakeSlack;
  let app: App;
  let url: string;
  const commands: string[] = [];
  const actions: string[] = [];
  const events: string[] = [];

  beforeAll(async () => {
    fake = await startFakeSlack();
    const receiver = new HTTPReceiver({ signingSecret: SECRET, logLevel: LogLevel.ERROR });
    app = new App({
      token: "xoxb-test-token",
      receiver,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: fake.url },
    });
    app.command("/tutor", async ({ ack, command, client }) => {
      await ack();
      commands.push(command.text);
      await client.chat.postMessage({ channel: command.channel_id, text: "Let's start." });
    });
    app.action(/^answer:/, async ({ ack, action, respond }) => {
      await ack();
      actions.push(action.type === "button" ? (action.value ?? "") : action.type);
      await respond({ replace_original: false, text: "Checked." });
    });
    app.event("app_mention", async ({ event, context }) => {
      events.push(`retry ${context.retryNum ?? 0}: ${event.text}`);
    });
    const server = await app.start(0);
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  afterAll(async () => {
    await app.stop();
    await fake.close();
  });

  it("answers the url_verification challenge", async () => {
    const challenge = loadSlackFixture("url-verification");
    const response = await signedRequest(url, SECRET, JSON.stringify(challenge), CONTENT_TYPE.json);
    expect(response.status).toBe(200);
    expect(response.text).toContain(String(challenge.challenge));
  });

  it("delivers a form-encoded slash command, whose handler reaches the fake Web API", async () => {
    const fields = loadSlackFixture("command-tutor-start") as Record<string, string>;
    const response = await signedRequest(url, SECRET, commandBody(fields), CONTENT_TYPE.form);
    expect(response.status).toBe(200);
    expect(commands).toEqual(["start fractions"]);
    await vi.waitFor(() => expect(fake.callsTo("chat.postMessage")).toHaveLength(1));
    expect(fake.callsTo("chat.postMessage")[0]?.body).toMatchObject({
      channel: SLACK_IDS.dmChannelId,
      text: "Let's start.",
    });
  });

  it("delivers a block action as `payload=`, and `respond` posts to its response_url", async () => {
    const payload = {
      ...loadSlackFixture("block-actions-answer-dm"),
      response_url: fake.responseUrl("answer"),
    };
    const response = await signedRequest(url, SECRET, actionBody(payload), CONTENT_TYPE.form);
    expect(response.status).toBe(200);
    expect(actions).toEqual(["half-choice|b"]);
    await vi.waitFor(() => expect(fake.callsTo("response_url")).toHaveLength(1));
    expect(fake.callsTo("response_url")[0]?.body).toEqual({
      replace_original: false,
      text: "Checked.",
    });
  });

  it("delivers an event wrapped by eventBody", async () => {
    const { event } = loadSlackFixture("event-app-mention") as { event: Record<string, unknown> };
    const body = eventBody(event, { eventId: "Ev0SIGNED1" });
    const response = await signedRequest(url, SECRET, body, CONTENT_TYPE.json);
    expect(response.status).toBe(200);
    await vi.waitFor(() => expect(events).toEqual(["retry 0: <@U0BOT> start fractions"]));
  });

  it.each([
    ["a bad signature", { signature: `v0=${"0".repeat(64)}` }],
    ["another app's secret", { signature: slackSignature("other-secret", nowSeconds(), "{}") }],
    ["a stale timestamp", { timestamp: nowSeconds() - 6 * 60 }],
    ["no signature header", { omitHeaders: [SIGNATURE_HEADER] }],
    ["no timestamp header", { omitHeaders: [TIMESTAMP_HEADER] }],
  ] as const)("is refused with 401 for %s", async (_case, options) => {
    const body = eventBody({ type: "app_mention", text: "sneaky" }, { eventId: "Ev0BAD" });
    const response = await signedRequest(url, SECRET, body, CONTENT_TYPE.json, options);
    expect(response.status).toBe(401);
  });

  it("sends extra headers such as Slack's retry markers (Bolt itself does not dedupe)", async () => {
    const { event } = loadSlackFixture("event-app-mention") as { event: Record<string, unknown> };
    const body = eventBody(event, { eventId: "Ev0SIGNED1" });
    const response = await signedRequest(url, SECRET, body, CONTENT_TYPE.json, {
      headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" },
    });
    expect(response.status).toBe(200);
    await vi.waitFor(() => expect(events).toHaveLength(2));
    expect(events[1]).toBe("retry 1: <@U0BOT> start fractions");
  });
});
