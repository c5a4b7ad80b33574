import { LogLevel, webApi } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeSlack, startFakeSlack } from "./fake-slack.ts";
import { SLACK_IDS } from "./signing.ts";

const TOKEN = "xoxb-test-token";
const QUESTION_BLOCKS = [
  { type: "section", text: { type: "mrkdwn", text: "What is *1/2 + 1/4*?" } },
  {
    type: "actions",
    block_id: "choices",
    elements: [
      {
        type: "button",
        action_id: "answer:b",
        text: { type: "plain_text", text: "3/4" },
        value: "b",
      },
    ],
  },
];

let fake: FakeSlack;

/** The real WebClient pointed at the fake, retrying fast (Retry-After still governs 429s). */
function client(options: webApi.WebClientOptions = {}): webApi.WebClient {
  return new webApi.WebClient(TOKEN, {
    slackApiUrl: fake.url,
    logLevel: LogLevel.ERROR,
    retryConfig: { retries: 2, factor: 1, minTimeout: 0, maxTimeout: 0 },
    ...options,
  });
}

beforeEach(async () => {
  fake = await startFakeSlack();
});

afterEach(async () => {
  await fake.close();
});

describe("fake Slack Web API with the real WebClient", () => {
  it("serves a base URL ending in /api/ on 127.0.0.1", () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
  });

  it("answers auth.test as the bot and records the bearer token", async () => {
    const result = await client().auth.test();
    expect(result).toMatchObject({
      ok: true,
      user_id: SLACK_IDS.botUserId,
      bot_id: SLACK_IDS.botId,
      team_id: SLACK_IDS.teamId,
    });
    const [call] = fake.callsTo("auth.test");
    expect(call?.token).toBe(TOKEN);
    expect(call?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("decodes form-encoded blocks and answers chat.postMessage with increasing unique ts", async () => {
    const web = client();
    const first = await web.chat.postMessage({
      channel: SLACK_IDS.dmChannelId,
      text: "What is 1/2 + 1/4?",
      blocks: QUESTION_BLOCKS,
    });
    const second = await web.chat.postMessage({
      channel: SLACK_IDS.channelId,
      thread_ts: "1767261700.000300",
      text: "Nice.",
    });
    expect(first).toMatchObject({
      ok: true,
      channel: SLACK_IDS.dmChannelId,
      message: { bot_id: SLACK_IDS.botId, user: SLACK_IDS.botUserId, blocks: QUESTION_BLOCKS },
    });
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    expect(second.message?.thread_ts).toBe("1767261700.000300");
    const [call] = fake.callsTo("chat.postMessage");
    expect(call?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(call?.body.blocks).toEqual(QUESTION_BLOCKS);
  });

  it("updates a posted message, and in strict mode refuses an unknown ts", async () => {
    const web = client();
    const posted = await web.chat.postMessage({ channel: SLACK_IDS.dmChannelId, text: "Q" });
    const updated = await web.chat.update({
      channel: SLACK_IDS.dmChannelId,
      ts: posted.ts ?? "",
      text: "Q (answered)",
      blocks: [],
    });
    expect(updated).toMatchObject({ ok: true, ts: posted.ts, text: "Q (answered)" });
    await fake.close();
    fake = await startFakeSlack({ strictMessages: true });
    await expect(
      client().chat.update({ channel: SLACK_IDS.dmChannelId, ts: "1.000001", text: "x" }),
    ).rejects.toMatchObject({
      code: webApi.ErrorCode.PlatformError,
      data: { error: "message_not_found" },
    });
  });

  it("answers chat.postEphemeral with a message_ts", async () => {
    const result = await client().chat.postEphemeral({
      channel: SLACK_IDS.channelId,
      user: SLACK_IDS.learnerId,
      text: "Hint: find a common denominator.",
    });
    expect(result.ok).toBe(true);
    expect(result.message_ts).toMatch(/^\d+\.\d{6}$/);
  });

  it("streams through chatStream: startStream, appendStream, stopStream", async () => {
    const web = client();
    const streamer = web.chatStream({
      channel: SLACK_IDS.channelId,
      thread_ts: "1767261700.000300",
      recipient_team_id: SLACK_IDS.teamId,
      recipient_user_id: SLACK_IDS.learnerId,
      buffer_size: 8,
    });
    await streamer.append({ markdown_text: "A half " });
    await streamer.append({ markdown_text: "is two quarters." });
    await streamer.append({ markdown_text: " Add a quarter:" });
    await streamer.append({ markdown_text: " 3/4" });
    const stopped = await streamer.stop();

    // WebClient buffers up to buffer_size characters, then starts or appends to the stream.
    const [start] = fake.callsTo("chat.startStream");
    const ts = start?.response.ts;
    expect(start?.body).toMatchObject({
      channel: SLACK_IDS.channelId,
      thread_ts: "1767261700.000300",
      recipient_team_id: SLACK_IDS.teamId,
      recipient_user_id: SLACK_IDS.learnerId,
      chunks: [{ type: "markdown_text", text: "A half is two quarters." }],
    });
    expect(fake.callsTo("chat.appendStream").map((call) => call.body)).toEqual([
      {
        channel: SLACK_IDS.channelId,
        ts,
        chunks: [{ type: "markdown_text", text: " Add a quarter:" }],
      },
    ]);
    expect(fake.callsTo("chat.stopStream")[0]?.body).toMatchObject({
      ts,
      chunks: [{ type: "markdown_text", text: " 3/4" }],
    });
    expect(stopped).toMatchObject({
      ok: true,
      ts,
      message: { text: "A half is two quarters. Add a quarter: 3/4", streaming_state: "completed" },
    });
  });

  it("appends to an open stream and refuses appends after stopStream", async () => {
    const web = client();
    const start = await web.chat.startStream({
      channel: SLACK_IDS.dmChannelId,
      thread_ts: "1767261600.000100",
      markdown_text: "Think ",
    });
    const ts = start.ts ?? "";
    await web.chat.appendStream({ channel: SLACK_IDS.dmChannelId, ts, markdown_text: "again." });
    const stop = await web.chat.stopStream({ channel: SLACK_IDS.dmChannelId, ts });
    expect(stop.message?.text).toBe("Think again.");
    await expect(
      web.chat.appendStream({ channel: SLACK_IDS.dmChannelId, ts, markdown_text: "late" }),
    ).rejects.toMatchObject({ data: { error: "message_not_in_streaming_state" } });
  });

  it("requires the recipient ids when streaming into a channel", async () => {
    await expect(
      client().chat.startStream({ channel: SLACK_IDS.channelId, thread_ts: "1767261700.000300" }),
    ).rejects.toMatchObject({ data: { error: "missing_recipient_team_id" } });
  });

  it("answers assistant.threads.setStatus, views.publish, conversations.open and users.info", async () => {
    const web = client();
    await expect(
      web.assistant.threads.setStatus({
        channel_id: SLACK_IDS.dmChannelId,
        thread_ts: "1767261600.000100",
        status: "is thinking...",
      }),
    ).resolves.toMatchObject({ ok: true });
    const home = { type: "home" as const, blocks: QUESTION_BLOCKS.slice(0, 1) };
    const published = await web.views.publish({ user_id: SLACK_IDS.learnerId, view: home });
    expect(published.view).toMatchObject({ type: "home", blocks: home.blocks });
    expect(fake.callsTo("views.publish")[0]?.body.view).toEqual(home);
    const opened = await web.conversations.open({ users: SLACK_IDS.learnerId });
    expect(opened.channel?.id).toBe(SLACK_IDS.dmChannelId);
    const info = await web.users.info({ user: SLACK_IDS.learnerId });
    expect(info.user).toMatchObject({ id: SLACK_IDS.learnerId, is_bot: false });
  });

  it("describes users as configured: admins, owners, bots, deactivated, time zones, unknown", async () => {
    await fake.close();
    fake = await startFakeSlack({
      users: {
        U0ADMIN: { isAdmin: true, tz: "Europe/Paris", displayName: "Boss" },
        U0OWNER: { isOwner: true, isPrimaryOwner: true, tz: null },
        U0HELPERBOT: { isBot: true },
        U0GONE: { isDeleted: true },
        U0NOBODY: null,
      },
    });
    const web = client();
    expect((await web.users.info({ user: "U0ADMIN" })).user).toMatchObject({
      is_admin: true,
      is_owner: false,
      tz: "Europe/Paris",
      team_id: SLACK_IDS.teamId,
      profile: { display_name: "Boss" },
    });
    const owner = (await web.users.info({ user: "U0OWNER" })).user;
    expect(owner).toMatchObject({ is_owner: true, is_primary_owner: true });
    expect(owner).not.toHaveProperty("tz");
    expect((await web.users.info({ user: "U0HELPERBOT" })).user?.is_bot).toBe(true);
    expect((await web.users.info({ user: "U0GONE" })).user?.deleted).toBe(true);
    expect((await web.users.info({ user: SLACK_IDS.botUserId })).user?.is_bot).toBe(true);
    await expect(web.users.info({ user: "U0NOBODY" })).rejects.toMatchObject({
      data: { error: "user_not_found" },
    });
  });

  it("lists a user group's users, and a channel's members page by page", async () => {
    await fake.close();
    fake = await startFakeSlack({
      usergroups: { S0TEACHERS: ["U0A", "U0B"] },
      channels: { C0CLASS: ["U01", "U02", "U03", "U04", "U05"] },
      maxMembersPerPage: 2,
    });
    const web = client();
    expect((await web.usergroups.users.list({ usergroup: "S0TEACHERS" })).users).toEqual([
      "U0A",
      "U0B",
    ]);
    await expect(web.usergroups.users.list({ usergroup: "S0NONE" })).rejects.toMatchObject({
      data: { error: "no_such_subteam" },
    });
    const members: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await web.conversations.members({
        channel: "C0CLASS",
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      members.push(...(page.members ?? []));
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    expect(members).toEqual(["U01", "U02", "U03", "U04", "U05"]);
    expect(fake.callsTo("conversations.members")).toHaveLength(3);
    await expect(web.conversations.members({ channel: "C0NONE" })).rejects.toMatchObject({
      data: { error: "channel_not_found" },
    });
  });

  it("takes files through WebClient's filesUploadV2: upload URL, bytes, completion", async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    const result = await client().filesUploadV2({
      channel_id: SLACK_IDS.dmChannelId,
      file_uploads: [
        { file: bytes, filename: "map.png", title: "Heat map", alt_text: "A heat map" },
        { file: Buffer.from('{"a":1}'), filename: "data.json", title: "Data" },
      ],
    });
    expect(result.ok).toBe(true);
    expect(fake.callsTo("files.getUploadURLExternal").map((c) => c.body.filename)).toEqual([
      "map.png",
      "data.json",
    ]);
    expect(fake.callsTo("upload")).toHaveLength(2);
    expect(fake.callsTo("files.completeUploadExternal")).toHaveLength(1);
    expect(fake.files).toEqual([
      expect.objectContaining({
        filename: "map.png",
        title: "Heat map",
        altText: "A heat map",
        channelId: SLACK_IDS.dmChannelId,
        isCompleted: true,
        bytes: new Uint8Array(bytes),
        length: bytes.length,
      }),
      expect.objectContaining({ filename: "data.json", title: "Data", isCompleted: true }),
    ]);
  });

  it("refuses to complete an upload whose bytes never arrived", async () => {
    const web = client();
    const url = await web.files.getUploadURLExternal({ filename: "a.png", length: 3 });
    await expect(
      web.files.completeUploadExternal({ files: [{ id: url.file_id ?? "" }] }),
    ).rejects.toMatchObject({ data: { error: "file_not_found" } });
  });

  it("answers unknown_method for a method it does not serve", async () => {
    await expect(client().apiCall("reactions.add", { name: "tada" })).rejects.toMatchObject({
      data: { error: "unknown_method" },
    });
  });

  it("answers not_authed without a token", async () => {
    const anonymous = new webApi.WebClient(undefined, {
      slackApiUrl: fake.url,
      logLevel: LogLevel.ERROR,
    });
    await expect(anonymous.auth.test()).rejects.toMatchObject({ data: { error: "not_authed" } });
  });

  it("fails the next call as scripted with ok: false, then answers normally", async () => {
    const web = client();
    fake.failNext("chat.postMessage", { error: "channel_not_found" });
    await expect(
      web.chat.postMessage({ channel: SLACK_IDS.dmChannelId, text: "hi" }),
    ).rejects.toMatchObject({
      code: webApi.ErrorCode.PlatformError,
      data: { ok: false, error: "channel_not_found" },
    });
    await expect(
      web.chat.postMessage({ channel: SLACK_IDS.dmChannelId, text: "hi" }),
    ).resolves.toMatchObject({ ok: true });
  });

  it("answers 429 with Retry-After, and WebClient's retry policy waits and retries", async () => {
    const web = client();
    const waitsSeconds: number[] = [];
    web.on(webApi.WebClientEvent.RATE_LIMITED, (seconds: number) => waitsSeconds.push(seconds));
    fake.failNext("chat.postMessage", { status: 429, retryAfterSeconds: 1 });
    const result = await web.chat.postMessage({ channel: SLACK_IDS.dmChannelId, text: "hi" });
    expect(result.ok).toBe(true);
    expect(waitsSeconds).toEqual([1]);
    const attempts = fake.callsTo("chat.postMessage");
    expect(attempts.map((call) => call.status)).toEqual([429, 200]);
    expect(attempts[0]?.response).toEqual({ ok: false, error: "ratelimited" });
  });

  it("hands the 429 to the caller when rejectRateLimitedCalls is set", async () => {
    fake.failNext("chat.update", { status: 429, retryAfterSeconds: 30 });
    await expect(
      client({ rejectRateLimitedCalls: true }).chat.update({
        channel: SLACK_IDS.dmChannelId,
        ts: "1.000001",
        text: "x",
      }),
    ).rejects.toMatchObject({ code: webApi.ErrorCode.RateLimitedError, retryAfter: 30 });
  });
});

describe("fake Slack Web API on the wire", () => {
  it("parses JSON bodies with a bearer token, as some clients send them", async () => {
    const response = await fetch(`${fake.url}chat.postMessage`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ channel: SLACK_IDS.learnerId, text: "hi", blocks: QUESTION_BLOCKS }),
    });
    expect(response.status).toBe(200);
    // A user id as channel posts to the DM with that user.
    expect(await response.json()).toMatchObject({ ok: true, channel: SLACK_IDS.dmChannelId });
    expect(fake.callsTo("chat.postMessage")[0]?.body.blocks).toEqual(QUESTION_BLOCKS);
  });

  it("records posts to a response_url it serves", async () => {
    const response = await fetch(fake.responseUrl("cmd-1"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ response_type: "ephemeral", text: "Only you can see this." }),
    });
    expect(await response.json()).toEqual({ ok: true });
    expect(fake.callsTo("response_url")[0]?.body).toEqual({
      response_type: "ephemeral",
      text: "Only you can see this.",
    });
  });
});
