import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "../../../src/serve.ts";
import { scriptedLlm } from "../../tutor/scripted-llm.ts";
import type { FakeSlack, SlackApiCall } from "./fake-slack.ts";
import { loadSlackFixture } from "./fixtures.ts";
import {
  blocksText,
  callsOf,
  SECRET,
  type SlackUnderTest,
  startSlack,
  waitFor,
} from "./harness.ts";
import { actionBody, CONTENT_TYPE, commandBody, eventBody, signedRequest } from "./signing.ts";

const LEARNER = { tenant: "T0TEAM", learner: "U0LEARNER" };

describe("Slack: the tutor through Bolt's HTTP receiver", () => {
  let slack: SlackUnderTest;
  let fake: FakeSlack;
  let server: Server;
  let events: string;
  let base: string;
  let eventCounter = 0;

  const postEvent = (event: Record<string, unknown>, eventId = `Ev${++eventCounter}`) =>
    signedRequest(events, SECRET, eventBody(event, { eventId }), CONTENT_TYPE.json);
  const dm = (text: string, eventId?: string) =>
    postEvent(
      {
        type: "message",
        channel: "D0DM",
        user: "U0LEARNER",
        text,
        ts: `${1767261600 + ++eventCounter}.000100`,
        channel_type: "im",
      },
      eventId,
    );
  /** The question the tutor last posted in the DM: its item id and blocks. */
  const lastQuestion = () => {
    const posts = fake
      .callsTo("chat.postMessage")
      .filter((c) => blocksText(c).includes("controls:"));
    const call = posts.at(-1);
    const itemId = /"block_id":"controls:([^"]+)"/.exec(blocksText(call))?.[1];
    return { call, itemId };
  };
  const press = (actionId: string, value: string, message?: SlackApiCall) =>
    signedRequest(
      events,
      SECRET,
      actionBody({
        ...loadSlackFixture("block-actions-answer-dm"),
        actions: [{ type: "button", action_id: actionId, block_id: "b", value, action_ts: "1" }],
        response_url: fake.responseUrl("action"),
        message: {
          type: "message",
          ts: message?.response.ts ?? "1.1",
          text: "question",
          blocks: message?.body.blocks ?? [],
        },
        container: {
          type: "message",
          message_ts: message?.response.ts ?? "1.1",
          channel_id: "D0DM",
          is_ephemeral: false,
        },
      }),
      CONTENT_TYPE.form,
    );

  beforeAll(async () => {
    slack = await startSlack();
    ({ fake, server, base, events } = slack);
  });
  afterAll(async () => {
    await slack?.close();
  });

  it("rejects bad, stale and unsigned requests with 401, before the tutor", async () => {
    const body = eventBody(loadSlackFixture("event-message-im").event as never, {
      eventId: "EvBad",
    });
    const before = fake.calls.length;
    expect((await signedRequest(events, "wrong-secret", body, CONTENT_TYPE.json)).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 10 * 60;
    expect(
      (await signedRequest(events, SECRET, body, CONTENT_TYPE.json, { timestamp: stale })).status,
    ).toBe(401);
    expect(
      (
        await signedRequest(events, SECRET, body, CONTENT_TYPE.json, {
          omitHeaders: ["x-slack-signature"],
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await signedRequest(events, SECRET, body, CONTENT_TYPE.json, {
          omitHeaders: ["x-slack-request-timestamp"],
        })
      ).status,
    ).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.calls.slice(before).filter((c) => c.method !== "auth.test")).toEqual([]);
    expect(await server.app.store.readAttempts(LEARNER, 1)).toEqual([]);
  });

  it("runs a lesson in a DM: question with buttons, wrong answer, hint, right answer, progress", async () => {
    expect((await dm("hi")).status).toBe(200);
    await callsOf(fake, "chat.postMessage", 2);
    let question = lastQuestion();
    expect(question.call?.body.text).toBeTruthy(); // a plain-text fallback
    // Skip (by button) to the numeric question "What is half of 10?".
    for (let k = 0; k < 12 && question.itemId !== "half-of-10"; k++) {
      const posted = fake.callsTo("chat.postMessage").length;
      expect((await press("skip", question.itemId ?? "", question.call)).status).toBe(200);
      await callsOf(fake, "chat.postMessage", posted + 2);
      question = lastQuestion();
    }
    expect(question.itemId).toBe("half-of-10");
    // The skipped question's buttons were removed.
    const update = (await callsOf(fake, "chat.update", 1)).at(-1);
    expect(blocksText(update)).not.toContain('"type":"actions"');

    let posted = fake.callsTo("chat.postMessage").length;
    await dm("7");
    const wrong = (await callsOf(fake, "chat.postMessage", posted + 1)).at(-1);
    expect(wrong?.body.text).toMatch(/Not quite/);

    posted = fake.callsTo("chat.postMessage").length;
    await press("hint", "half-of-10", question.call);
    const hint = (await callsOf(fake, "chat.postMessage", posted + 1)).at(-1);
    expect(hint?.body.text).toMatch(/Hint 1 of 2/);

    posted = fake.callsTo("chat.postMessage").length;
    await dm("5");
    const right = (await callsOf(fake, "chat.postMessage", posted + 2)).slice(posted);
    expect(right[0]?.body.text).toMatch(/second go|Correct|right/i);
    expect(blocksText(right[1])).toContain("controls:");

    posted = fake.callsTo("chat.postMessage").length;
    const command = commandBody({
      ...(loadSlackFixture("command-tutor-start") as Record<string, string>),
      text: "progress",
      response_url: fake.responseUrl("progress"),
    });
    expect((await signedRequest(events, SECRET, command, CONTENT_TYPE.form)).status).toBe(200);
    const progress = (await callsOf(fake, "chat.postMessage", posted + 1)).at(-1);
    expect(blocksText(progress)).toContain("Halves");
    // The App Home was refreshed after the answers.
    expect((await callsOf(fake, "views.publish", 1)).length).toBeGreaterThan(0);
  });

  it("processes an event delivered three times once", async () => {
    const before = (await server.app.store.readAttempts(LEARNER, 1000)).length;
    const posted = fake.callsTo("chat.postMessage").length;
    for (let k = 0; k < 3; k++) expect((await dm("/skip", "EvSameEvent")).status).toBe(200);
    await callsOf(fake, "chat.postMessage", posted + 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = (await server.app.store.readAttempts(LEARNER, 1000)).length;
    expect(after - before).toBe(1);
    expect(fake.callsTo("chat.postMessage").length - posted).toBe(2);
  });

  it("ignores other bots' messages and its own", async () => {
    const before = fake.calls.length;
    await postEvent((loadSlackFixture("event-message-bot-message") as { event: never }).event);
    await postEvent((loadSlackFixture("event-message-im-from-own-bot") as { event: never }).event);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.calls.slice(before).filter((c) => c.method.startsWith("chat."))).toEqual([]);
  });

  it("answers a mention in a thread, and shows hints there only to the learner", async () => {
    const posted = fake.callsTo("chat.postMessage").length;
    const mention = (loadSlackFixture("event-app-mention") as { event: Record<string, unknown> })
      .event;
    await postEvent({ ...mention, user: "U0OTHER", text: "<@U0BOT> hi" });
    const replies = (await callsOf(fake, "chat.postMessage", posted + 2)).slice(posted);
    expect(replies.every((c) => c.body.thread_ts === mention.ts)).toBe(true);
    await postEvent({
      ...mention,
      user: "U0OTHER",
      text: "<@U0BOT> hint",
      ts: "1767261999.000100",
      thread_ts: mention.ts,
    });
    const ephemeral = (await callsOf(fake, "chat.postEphemeral", 1)).at(-1);
    expect(ephemeral?.body).toMatchObject({ user: "U0OTHER", thread_ts: mention.ts });
  });

  it("publishes the App Home when it is opened", async () => {
    const before = fake.callsTo("views.publish").length;
    await postEvent((loadSlackFixture("event-app-home-opened") as { event: never }).event);
    const view = (await callsOf(fake, "views.publish", before + 1)).at(-1);
    expect(view?.body).toMatchObject({ user_id: "U0LEARNER" });
    expect(JSON.stringify(view?.body.view)).toContain("Halves");
  });

  it("waits out a rate limit instead of failing the turn", async () => {
    fake.failNext("chat.postMessage", { status: 429, retryAfterSeconds: 1 });
    const posted = fake.callsTo("chat.postMessage").length;
    await dm("/progress");
    const calls = await callsOf(fake, "chat.postMessage", posted + 2);
    expect(calls.slice(posted).map((c) => c.status)).toEqual([429, 200]);
  });

  it("answers a command used in someone else's DM through its response URL", async () => {
    fake.failNext("chat.postMessage", { error: "channel_not_found" });
    const before = fake.callsTo("response_url").length;
    const command = commandBody({
      ...(loadSlackFixture("command-tutor-start") as Record<string, string>),
      channel_id: "D0SOMEONEELSE",
      text: "progress",
      response_url: fake.responseUrl("other-dm"),
    });
    expect((await signedRequest(events, SECRET, command, CONTENT_TYPE.form)).status).toBe(200);
    const answered = (await callsOf(fake, "response_url", before + 1)).at(-1);
    expect(JSON.stringify(answered?.body)).toContain("Halves");
    expect(answered?.body).toMatchObject({ response_type: "ephemeral" });
  });

  it("answers /healthz and /metrics on the same port", async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", store: "ok", slack: "connected" });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/socra_turns_total\{platform="slack",outcome="ok"\} \d+/);
    expect(metrics).toContain("socra_turn_duration_seconds_bucket");
  });
});

describe("Slack: streamed LLM text", () => {
  let slack: SlackUnderTest;
  let fake: FakeSlack;
  let events: string;
  const explanation = "Share 6 sweets fairly between two friends. Each friend gets 3 of them.";

  beforeAll(async () => {
    const llm = scriptedLlm({
      explain: (_input, call) => {
        const [first = "", second = ""] = explanation.split(". ");
        call.onText?.(`${first}. `);
        call.onText?.(`${first}. ${second} `);
        return explanation;
      },
    });
    slack = await startSlack({}, {}, llm);
    ({ fake, events } = slack);
  });
  afterAll(async () => {
    await slack?.close();
  });

  it("streams into a mention's thread with Slack's chat streaming", async () => {
    const mention = (loadSlackFixture("event-app-mention") as { event: Record<string, unknown> })
      .event;
    await signedRequest(
      events,
      SECRET,
      eventBody({ ...mention, text: "<@U0BOT> hi" }, { eventId: "EvS1" }),
      CONTENT_TYPE.json,
    );
    await callsOf(fake, "chat.postMessage", 2);
    await signedRequest(
      events,
      SECRET,
      eventBody(
        { ...mention, text: "<@U0BOT> explain", ts: "1767262000.000100", thread_ts: mention.ts },
        { eventId: "EvS2" },
      ),
      CONTENT_TYPE.json,
    );
    const stop = (await callsOf(fake, "chat.stopStream", 1)).at(-1);
    const streamed = fake.calls
      .filter((c) => c.method.endsWith("Stream"))
      .map((c) => JSON.stringify(c.body))
      .join(" ");
    expect(streamed).toContain("Share 6 sweets fairly");
    expect(fake.callsTo("chat.startStream")[0]?.body).toMatchObject({
      thread_ts: mention.ts,
      recipient_user_id: "U0LEARNER",
      recipient_team_id: "T0TEAM",
    });
    expect(stop).toBeDefined();
  });

  it("posts then updates in a DM", async () => {
    const dmEvent = (text: string, id: string) =>
      signedRequest(
        events,
        SECRET,
        eventBody(
          {
            type: "message",
            channel: "D0DM",
            user: "U0DMLEARNER",
            text,
            ts: `${Date.now() / 1000}`,
            channel_type: "im",
          },
          { eventId: id },
        ),
        CONTENT_TYPE.json,
      );
    // Only this DM's posts: the mention test's thread may still be getting its last message.
    const dmPosts = () => fake.callsTo("chat.postMessage").filter((c) => c.body.channel === "D0DM");
    await dmEvent("/interests trains", "EvD1"); // nothing cached for this learner's situation
    await waitFor(() => dmPosts().length >= 1);
    const posted = dmPosts().length;
    await dmEvent("/explain", "EvD2");
    const update = (await callsOf(fake, "chat.update", 1)).at(-1);
    const first = dmPosts()[posted];
    expect(first?.body.text).toContain("Share 6 sweets fairly");
    expect(update?.body.ts).toBe(first?.response.ts);
    expect(String(update?.body.text)).toContain("Each friend gets 3");
  });
});

describe("Slack: /tutor start in a channel", () => {
  it("moves practice to the learner's DM and says so only to them", async () => {
    const slack = await startSlack({}, { dmChannels: { U0CHANNELLEARNER: "D0MOVED" } });
    const { fake, events } = slack;
    try {
      const fields = {
        ...(loadSlackFixture("command-hint-channel") as Record<string, string>),
        command: "/tutor",
        text: "start",
        user_id: "U0CHANNELLEARNER",
        response_url: fake.responseUrl("start"),
      };
      const response = await signedRequest(events, SECRET, commandBody(fields), CONTENT_TYPE.form);
      expect(response.status).toBe(200);
      const posts = await callsOf(fake, "chat.postMessage", 2);
      expect(posts.every((c) => c.body.channel === "D0MOVED")).toBe(true);
      expect(JSON.stringify(fake.callsTo("response_url"))).toContain("direct messages");
    } finally {
      await slack.close();
    }
  });
});
