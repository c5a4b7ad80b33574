import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSlackAdapter, type SlackAdapter } from "../../../src/adapters/slack/index.ts";
import { loadConfig } from "../../../src/config.ts";
import type { Inbound, Reply, Tutor } from "../../../src/tutor/index.ts";
import { freePort } from "../../free-port.ts";
import { silentLogger } from "../../tutor/harness.ts";
import { type FakeSlack, startFakeSlack } from "./fake-slack.ts";
import { loadSlackFixture } from "./fixtures.ts";
import { blocksText, SECRET, waitFor } from "./harness.ts";
import {
  actionBody,
  CONTENT_TYPE,
  commandBody,
  eventBody,
  SLACK_IDS,
  signedRequest,
} from "./signing.ts";

/*
 * The adapter alone, behind Bolt's HTTP receiver, with a scripted tutor: what reaches the tutor
 * from teacher commands, the new buttons and people joining channels and user groups, and where
 * private replies and files go.
 */

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

describe("Slack adapter: teacher commands, buttons and private replies", () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  let events: string;
  const inbounds: Inbound[] = [];
  const membersChanges: unknown[][] = [];
  let answer: (inbound: Inbound) => Reply[] = () => [{ kind: "info", text: "ok" }];
  let counter = 0;

  const tutor: Tutor = {
    async handle(inbound) {
      inbounds.push(inbound);
      return answer(inbound);
    },
    progress: async () => undefined,
    drain: async () => {},
    courses: [],
    attachPlatform: () => {},
    runJob: async () => {},
    useKnowledge: () => {},
    membersChanged: async (...args) => {
      membersChanges.push(args);
    },
  };

  const lastInbound = async (count: number) => {
    await waitFor(() => inbounds.length >= count);
    return inbounds[count - 1];
  };

  const command = (fields: Record<string, string>) =>
    signedRequest(events, SECRET, commandBody(fields), CONTENT_TYPE.form);
  const commandIn = (channel: string, text: string, responseId: string) =>
    command({
      ...(loadSlackFixture("command-tutor-start") as Record<string, string>),
      channel_id: channel,
      text,
      response_url: fake.responseUrl(responseId),
    });
  const event = (inner: Record<string, unknown>) =>
    signedRequest(
      events,
      SECRET,
      eventBody(inner, { eventId: `EvPrivate${++counter}` }),
      CONTENT_TYPE.json,
    );

  beforeAll(async () => {
    fake = await startFakeSlack({ users: { U0LEARNER: { isAdmin: true, tz: "Asia/Tokyo" } } });
    const port = await freePort();
    const config = loadConfig({
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: "xoxb-test-token",
      SLACK_API_URL: fake.url,
      PORT: String(port),
    });
    adapter = createSlackAdapter({
      tutor,
      config: config.slack as NonNullable<typeof config.slack>,
      port,
      logger: silentLogger,
    });
    await adapter.start();
    events = `http://127.0.0.1:${port}/slack/events`;
  });
  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
  });
  beforeEach(() => {
    answer = () => [{ kind: "info", text: "ok" }];
  });

  it("passes a teacher command's text as Slack sent it, escaped mentions intact", async () => {
    const fixture = loadSlackFixture("command-tutor-assign-channel") as Record<string, string>;
    const count = inbounds.length + 1;
    await command({ ...fixture, response_url: fake.responseUrl("assign") });
    const inbound = await lastInbound(count);
    expect(inbound?.command).toEqual({
      name: "assign",
      args: 'Halves to <@U0LEARNER|learner> <#C0CHANNEL|math-practice> <!subteam^S0CLASS|@class-7a>  count 5 due 2026-12-01 note "pages 4 &amp; 5 &lt;3"',
    });
    // Who sent it is asked of Slack only when the tutor asks.
    expect(fake.callsTo("users.info")).toEqual([]);
    expect(await inbound?.sender?.()).toEqual({ isTeacher: true, timeZone: "Asia/Tokyo" });
    expect(fake.callsTo("users.info").map((c) => c.body.user)).toEqual([SLACK_IDS.learnerId]);
  });

  it("tells the tutor when someone joins a channel or a user group, for assignments made to it", async () => {
    await event({
      type: "member_joined_channel",
      user: "U0NEW",
      channel: "C0CLASS",
      channel_type: "C",
      team: SLACK_IDS.teamId,
      event_ts: "1767261800.000100",
    });
    // Only additions matter to assignments: a removal alone is not passed on.
    await event({
      type: "subteam_members_changed",
      subteam_id: "S0CLASS",
      team_id: SLACK_IDS.teamId,
      date_previous_update: 1767261000,
      date_update: 1767261800,
      removed_users: ["U0OLD"],
      removed_users_count: 1,
      event_ts: "1767261800.000200",
    });
    await event({
      type: "subteam_members_changed",
      subteam_id: "S0CLASS",
      team_id: SLACK_IDS.teamId,
      date_previous_update: 1767261800,
      date_update: 1767261900,
      added_users: ["U0NEW"],
      added_users_count: 1,
      event_ts: "1767261900.000300",
    });
    await waitFor(() => membersChanges.length >= 2);
    expect(membersChanges).toHaveLength(2);
    expect(membersChanges).toEqual(
      expect.arrayContaining([
        [SLACK_IDS.teamId, "slack", { kind: "channel", id: "C0CLASS" }],
        [SLACK_IDS.teamId, "slack", { kind: "group", id: "S0CLASS" }],
      ]),
    );
  });

  it("gives a learner command its text as it was typed", async () => {
    const count = inbounds.length + 1;
    await commandIn("D0DM", "Interests  trains &amp; <https://trains.example|trains>", "interests");
    expect((await lastInbound(count))?.command).toEqual({
      name: "interests",
      args: "trains & trains",
    });
  });

  it("turns a Start press into the tutor's start action, and takes the button away", async () => {
    const count = inbounds.length + 1;
    const fixture = loadSlackFixture("block-actions-start-dm");
    const updates = fake.callsTo("chat.update").length;
    await signedRequest(
      events,
      SECRET,
      actionBody({ ...fixture, response_url: fake.responseUrl("start") }),
      CONTENT_TYPE.form,
    );
    const inbound = await lastInbound(count);
    expect(inbound?.action).toEqual({ id: "start", value: "A1" });
    expect(typeof inbound?.sender).toBe("function");
    await waitFor(() => fake.callsTo("chat.update").length > updates);
    const update = fake.callsTo("chat.update").at(-1);
    expect(update?.body).toMatchObject({ channel: "D0DM", ts: "1767261800.000500" });
    expect(blocksText(update)).not.toContain('"type":"actions"');
    expect(blocksText(update)).toContain("Your teacher assigned you");
  });

  it("leaves the Start button when the tutor answered the press with an error", async () => {
    answer = () => [{ kind: "error", text: "Sorry" }];
    const count = inbounds.length + 1;
    const updates = fake.callsTo("chat.update").length;
    await signedRequest(
      events,
      SECRET,
      actionBody({
        ...loadSlackFixture("block-actions-start-dm"),
        response_url: fake.responseUrl("start-error"),
      }),
      CONTENT_TYPE.form,
    );
    await lastInbound(count);
    await waitFor(() => fake.callsTo("chat.postMessage").some((c) => c.body.text === "Sorry"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fake.callsTo("chat.update")).toHaveLength(updates);
  });

  it("closes an ephemeral confirmation through its response URL once pressed", async () => {
    answer = () => [{ kind: "info", text: "Deleted.", isPrivate: true }];
    const count = inbounds.length + 1;
    await signedRequest(
      events,
      SECRET,
      actionBody({
        ...loadSlackFixture("block-actions-forget-confirm-ephemeral"),
        response_url: fake.responseUrl("forget"),
      }),
      CONTENT_TYPE.form,
    );
    expect((await lastInbound(count))?.action).toEqual({ id: "forget-confirm" });
    await waitFor(() => fake.responsesTo("forget").length >= 2);
    const [reply, closed] = fake.responsesTo("forget");
    expect(reply?.body).toMatchObject({
      response_type: "ephemeral",
      replace_original: false,
      text: "Deleted.",
    });
    expect(closed?.body).toMatchObject({ replace_original: true });
    expect(blocksText(closed)).toContain("Delete my data");
    expect(blocksText(closed)).not.toContain('"type":"actions"');
  });

  it("renders a confirmation's buttons in an ephemeral answer to /tutor forget-me", async () => {
    answer = () => [
      {
        kind: "confirm",
        text: "Delete everything?",
        action: "forget-confirm",
        confirmLabel: "Delete my data",
        cancelLabel: "Keep it",
        isPrivate: true,
      },
    ];
    await commandIn("D0DM", "forget-me", "forget-me");
    await waitFor(() => fake.responsesTo("forget-me").length >= 1);
    const [shown] = fake.responsesTo("forget-me");
    expect(shown?.body.response_type).toBe("ephemeral");
    expect(blocksText(shown)).toMatch(/"action_id":"forget-confirm".*"style":"danger"/);
    expect(blocksText(shown)).toContain('"action_id":"forget-cancel"');
  });

  it("answers a private reply in the DM ephemerally, and by the DM itself if Slack refuses", async () => {
    answer = () => [{ kind: "info", text: "Only for you", isPrivate: true }];
    const posted = fake.callsTo("chat.postMessage").length;
    const dm = { type: "message", channel: "D0DM", user: "U0LEARNER", channel_type: "im" };
    await event({ ...dm, text: "report", ts: "1767262100.000100" });
    await waitFor(() => fake.callsTo("chat.postEphemeral").length >= 1);
    expect(fake.callsTo("chat.postEphemeral").at(-1)?.body).toMatchObject({
      channel: "D0DM",
      user: "U0LEARNER",
      text: "Only for you",
    });
    expect(fake.callsTo("chat.postMessage")).toHaveLength(posted);

    fake.failNext("chat.postEphemeral", { error: "user_not_in_channel" });
    await event({ ...dm, text: "report", ts: "1767262101.000100" });
    await waitFor(() => fake.callsTo("chat.postMessage").length > posted);
    expect(fake.callsTo("chat.postMessage").at(-1)?.body).toMatchObject({
      channel: "D0DM",
      text: "Only for you",
    });
  });

  it("never answers a private reply to a mention in public: ephemeral in the thread, else the DM", async () => {
    answer = () => [{ kind: "info", text: "Only for you", isPrivate: true }];
    const mention = (loadSlackFixture("event-app-mention") as { event: Record<string, unknown> })
      .event;
    const ephemerals = fake.callsTo("chat.postEphemeral").length;
    await event({ ...mention, text: "<@U0BOT> report" });
    await waitFor(() => fake.callsTo("chat.postEphemeral").length > ephemerals);
    expect(fake.callsTo("chat.postEphemeral").at(-1)?.body).toMatchObject({
      channel: SLACK_IDS.channelId,
      user: SLACK_IDS.learnerId,
      thread_ts: mention.ts,
    });
    fake.failNext("chat.postEphemeral", { error: "channel_not_found" });
    const posted = fake.callsTo("chat.postMessage").length;
    await event({ ...mention, text: "<@U0BOT> report", ts: "1767262200.000100" });
    await waitFor(() => fake.callsTo("chat.postMessage").length > posted);
    expect(
      fake
        .callsTo("chat.postMessage")
        .slice(posted)
        .map((c) => c.body.channel),
    ).toEqual(["D0DM"]);
  });

  it("uploads files to the DM, and says so in the ephemeral reply in a channel", async () => {
    answer = () => [
      {
        kind: "info",
        text: "Your report",
        isPrivate: true,
        attachments: [{ name: "report.png", mimeType: "image/png", data: PNG, title: "Heat map" }],
      },
    ];
    const uploaded = fake.files.length;
    await commandIn(SLACK_IDS.channelId, "report", "report-channel");
    await waitFor(() => fake.responsesTo("report-channel").length >= 1);
    const [reply] = fake.responsesTo("report-channel");
    expect(reply?.body.response_type).toBe("ephemeral");
    expect(blocksText(reply)).toContain("I've sent *Heat map* to our DM.");
    expect(fake.files[uploaded]).toMatchObject({
      filename: "report.png",
      title: "Heat map",
      altText: "Heat map",
      channelId: "D0DM",
      isCompleted: true,
      bytes: PNG,
    });
  });

  it("says so when the files cannot be sent, and still answers", async () => {
    answer = () => [
      {
        kind: "info",
        text: "Your data",
        isPrivate: true,
        attachments: [
          {
            name: "my-data.json",
            mimeType: "application/json",
            data: new TextEncoder().encode("{}"),
            title: "Your data",
          },
        ],
      },
    ];
    fake.failNext("files.getUploadURLExternal", { error: "missing_scope" });
    await commandIn(SLACK_IDS.channelId, "my-data", "data-failed");
    await waitFor(() => fake.responsesTo("data-failed").length >= 1);
    const [reply] = fake.responsesTo("data-failed");
    expect(blocksText(reply)).toContain("couldn't send *Your data*");
    expect(reply?.body.text).toContain("Your data");
  });
});
