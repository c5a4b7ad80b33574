import { join } from "node:path";
import { InteractionResponseType, InteractionType } from "discord.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  commandDefinitions,
  registerDiscordCommands,
} from "../../../src/adapters/discord/index.ts";
import { loadConfig } from "../../../src/config.ts";
import { loadCourseFile } from "../../../src/content/index.ts";
import { type Server, serve } from "../../../src/serve.ts";
import type { TutorLlm } from "../../../src/tutor/index.ts";
import { freePort } from "../../free-port.ts";
import { FIXTURES, silentLogger } from "../../tutor/harness.ts";
import { scriptedLlm } from "../../tutor/scripted-llm.ts";
import {
  answersTo as answersFrom,
  answersUntil as answersFromUntil,
  customIds,
  type Json,
  textOf,
  until,
} from "./e2e.ts";
import { type FakeDiscord, startFakeDiscord } from "./fake-discord.ts";
import { buttonData, chatInputData, DISCORD_IDS, modalSubmitData } from "./payloads.ts";

const TOKEN = "fake.discord.bot-token-for-tests";

describe("Discord: a real discord.js client against a fake Discord", () => {
  let fake: FakeDiscord;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    fake = await startFakeDiscord({ token: TOKEN });
    port = await freePort();
    const config = loadConfig({
      DISCORD_TOKEN: TOKEN,
      DISCORD_APPLICATION_ID: DISCORD_IDS.applicationId,
      DISCORD_API_URL: fake.restUrl,
      PORT: String(port),
    });
    await registerDiscordCommands(config.discord as never, [
      await loadCourseFile(join(FIXTURES, "mini.yaml")),
    ]);
    server = await serve(config, {
      courseFile: join(FIXTURES, "mini.yaml"),
      logger: silentLogger,
    });
    await until(() => server.discord?.isConnected() === true);
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  const answersTo = (token: string, count = 1) => answersFrom(fake, token, count);
  const answersUntil = (token: string, check: (data: Json | undefined) => boolean) =>
    answersFromUntil(fake, token, check);

  it("registers /tutor and /hint", async () => {
    expect(fake.commands().map((c) => c.name)).toEqual(["tutor", "hint"]);
    expect(commandDefinitions([]).length).toBe(2);
  });

  it("runs a lesson: slash command, buttons, wrong answer, hint, right answer, progress", async () => {
    // In a DM with the bot: /tutor start answers with the first question and its buttons.
    const start = fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", "start"),
      where: "dm",
    });
    let answers = await answersTo(start.token, 2);
    expect(answers[0]?.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    let ids = answers.flatMap((a) => customIds(a.data));
    let skip = ids.find((id) => id.startsWith("skip:"));
    expect(skip).toBeDefined();
    // Skip (by button) to "What is half of 10?"; each skipped question's buttons are disabled.
    for (let k = 0; k < 12 && skip !== "skip:half-of-10"; k++) {
      const press = fake.interaction({
        type: InteractionType.MessageComponent,
        data: buttonData(skip as string),
        where: "dm",
      });
      const pressed = skip;
      // The next question arrives with a live Skip of its own.
      answers = await answersUntil(press.token, (data) =>
        customIds(data).some((id) => id.startsWith("skip:") && id !== pressed),
      );
      expect(answers[0]?.type).toBe(InteractionResponseType.UpdateMessage);
      expect(textOf(answers[0]?.data)).toContain('"disabled":true');
      ids = answers.flatMap((a) => customIds(a.data));
      // The new question's Skip (the answered question's disabled buttons come first).
      skip = ids.filter((id) => id.startsWith("skip:")).at(-1) ?? skip;
    }
    expect(skip).toBe("skip:half-of-10");
    expect(ids).toContain("type:half-of-10");

    // A typed answer through the modal: wrong first.
    const open = fake.interaction({
      type: InteractionType.MessageComponent,
      data: buttonData("type:half-of-10"),
      where: "dm",
    });
    const modal = await answersTo(open.token, 1);
    expect(modal[0]?.type).toBe(InteractionResponseType.Modal);
    const wrong = fake.interaction({
      type: InteractionType.ModalSubmit,
      data: modalSubmitData("modal:half-of-10", { answer: "7" }),
      where: "dm",
    });
    expect(textOf((await answersTo(wrong.token, 1))[0]?.data)).toContain("Not quite");

    const hint = fake.interaction({
      type: InteractionType.MessageComponent,
      data: buttonData("hint:half-of-10"),
      where: "dm",
    });
    expect(textOf((await answersTo(hint.token, 1))[0]?.data)).toContain(
      "Split 10 into two equal groups",
    );

    const right = fake.interaction({
      type: InteractionType.ModalSubmit,
      data: modalSubmitData("modal:half-of-10", { answer: "5" }),
      where: "dm",
    });
    const rightAnswers = await answersTo(right.token, 2);
    expect(textOf(rightAnswers[0]?.data)).toMatch(/second go|Correct|right/i);

    const progress = fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", "progress"),
      where: "dm",
    });
    const progressAnswer = (await answersTo(progress.token, 1))[0];
    expect(textOf(progressAnswer?.data)).toContain("Halves");
    expect(textOf(progressAnswer?.data)).toContain('"embeds"');
  });

  it("opens a private thread for practice in a server, and keeps hints there ephemeral", async () => {
    const start = fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", "start"),
      userId: DISCORD_IDS.otherLearnerId,
    });
    const [deferred] = await answersTo(start.token, 1);
    expect(deferred?.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    expect(Number(deferred?.data?.flags ?? 0) & 64).toBe(64);
    const [thread] = await fake.waitForRequest("POST", /\/channels\/\d+\/threads$/);
    expect(thread?.body).toMatchObject({ type: 12, invitable: false });
    const threadId = String((thread?.response as Json | undefined)?.id);
    const posted = await fake.waitForRequest(
      "POST",
      new RegExp(`/channels/${threadId}/messages$`),
      {
        count: 2,
      },
    );
    expect(textOf(posted.at(-1)?.body as Json)).toContain('"custom_id":"hint:');
    // A hint asked for in the shared channel itself is shown only to the learner.
    const hint = fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("hint"),
      userId: DISCORD_IDS.otherLearnerId,
    });
    const answers = await answersTo(hint.token, 1);
    const hintAnswer = answers.find((a) => textOf(a.data as Json).includes("Hint"));
    expect(Number((hintAnswer?.data as Json | undefined)?.flags ?? 0) & 64).toBe(64);
  });

  it("waits out a rate limit on an interaction response instead of failing the turn", async () => {
    fake.failNext("POST", /\/interactions\/\d+\/[^/]+\/callback/, {
      status: 429,
      retryAfterSeconds: 1,
    });
    const progress = fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", "progress"),
      where: "dm",
    });
    const [answer] = await answersTo(progress.token, 1);
    expect(textOf(answer?.data)).toContain("Halves");
    expect(fake.requestsTo("POST", /\/callback$/).map((r) => r.status)).toContain(429);
  });

  it("processes a duplicate interaction once", async () => {
    const before = (
      await server.app.store.readAttempts(
        { tenant: `user:${DISCORD_IDS.learnerId}`, learner: DISCORD_IDS.learnerId },
        1000,
      )
    ).length;
    const skip = fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", "skip"),
      where: "dm",
    });
    await answersTo(skip.token, 1);
    fake.dispatch("INTERACTION_CREATE", skip.payload);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = (
      await server.app.store.readAttempts(
        { tenant: `user:${DISCORD_IDS.learnerId}`, learner: DISCORD_IDS.learnerId },
        1000,
      )
    ).length;
    expect(after - before).toBe(1);
    expect(fake.callbacks.filter((c) => c.token === skip.token)).toHaveLength(1);
  });

  it("ignores bots and answers a DM typed by a learner", async () => {
    const before = fake.requestsTo("POST", /\/channels\/\d+\/messages$/).length;
    fake.directMessage({ content: "hello", isBot: true, authorId: "1300000000000000999" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.requestsTo("POST", /\/channels\/\d+\/messages$/).length).toBe(before);
    fake.directMessage({ content: "/progress" });
    const sent = await fake.waitForRequest("POST", /\/channels\/\d+\/messages$/, {
      count: before + 1,
    });
    expect(textOf(sent.at(-1)?.body as Json)).toContain("Halves");
  });

  it("answers /healthz and /metrics on PORT without Slack, with the gateway's state", async () => {
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", store: "ok", discord: "connected" });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/socra_turns_total\{platform="discord",outcome="ok"\} \d+/);
  });
});

/** Socra with this LLM served against a fresh fake Discord, once the gateway is ready. */
async function serveWithLlm(llm: TutorLlm): Promise<{ fake: FakeDiscord; server: Server }> {
  const fake = await startFakeDiscord({ token: TOKEN });
  const config = loadConfig({
    DISCORD_TOKEN: TOKEN,
    DISCORD_APPLICATION_ID: DISCORD_IDS.applicationId,
    DISCORD_API_URL: fake.restUrl,
    PORT: String(await freePort()),
  });
  const server = await serve(config, {
    courseFile: join(FIXTURES, "mini.yaml"),
    logger: silentLogger,
    llm,
  });
  await until(() => server.discord?.isConnected() === true);
  return { fake, server };
}

describe("Discord: a slow turn is deferred, then edited", () => {
  it("defers an interaction whose answer takes longer than 1.5 s, and edits in the reply", async () => {
    const { fake, server } = await serveWithLlm(
      scriptedLlm({
        explain: async () => {
          await new Promise((resolve) => setTimeout(resolve, 2500));
          return "Share 6 sweets fairly between two friends: each gets 3.";
        },
      }),
    );
    try {
      const explain = fake.interaction({
        type: InteractionType.ApplicationCommand,
        data: chatInputData("tutor", "explain"),
        where: "dm",
      });
      const [edit] = await fake.waitForRequest(
        "PATCH",
        new RegExp(`/webhooks/\\d+/${explain.token}/messages/@original`),
        { timeoutMs: 15_000 },
      );
      const first = fake.callbacks.find((c) => c.token === explain.token);
      expect(first?.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
      expect(textOf(edit?.body as Json)).toContain("each gets 3");
    } finally {
      await server.close();
      await fake.close();
    }
  });
});

describe("Discord: streamed LLM text under a question in a shared channel", () => {
  it("streams into an ephemeral follow-up, which the explanation then replaces", async () => {
    const final = "Half means two equal parts. For example, half of 8 is 4.";
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // Slower than the 1.5 s before a deferral, and streaming after it.
    const { fake, server } = await serveWithLlm(
      scriptedLlm({
        explain: async (_input, call) => {
          await pause(1800);
          call.onText?.("Half means two equal parts.");
          await pause(1400);
          call.onText?.("Half means two equal parts. For example,");
          await pause(300);
          return final;
        },
      }),
    );
    try {
      // Practice in the class channel: the question is ephemeral, with an Explain button.
      const practice = fake.interaction({
        type: InteractionType.ApplicationCommand,
        data: chatInputData("tutor", "practice", [{ name: "skill", type: 3, value: "halves" }]),
        where: "guild",
      });
      const answers = await answersFromUntil(fake, practice.token, (data) =>
        customIds(data).some((id) => id.startsWith("explain:")),
      );
      const question = answers.find((a) =>
        customIds(a.data).some((id) => id.startsWith("explain:")),
      );
      expect(Number(question?.data?.flags ?? 0) & 64).toBe(64);
      const explain = customIds(question?.data).find((id) => id.startsWith("explain:"));
      expect(explain).toBeDefined();
      const press = fake.interaction({
        type: InteractionType.MessageComponent,
        data: buttonData(explain as string),
        where: "guild",
      });
      // Two edits of the follow-up: more streamed text, then the explanation.
      const edits = await fake.waitForRequest(
        "PATCH",
        new RegExp(`/webhooks/\\d+/${press.token}/messages/\\d+$`),
        { count: 2, timeoutMs: 15_000 },
      );
      // The pressed question was deferred as an update and left as it was; the streamed text
      // came as an ephemeral follow-up, and the explanation replaced it there.
      expect(fake.callbacks.find((c) => c.token === press.token)?.type).toBe(
        InteractionResponseType.DeferredMessageUpdate,
      );
      const followUps = fake.requestsTo("POST", new RegExp(`/webhooks/\\d+/${press.token}$`));
      expect(followUps).toHaveLength(1);
      expect(textOf(followUps[0]?.body as Json)).toContain("Half means two equal parts");
      expect(Number((followUps[0]?.body as Json)?.flags ?? 0) & 64).toBe(64);
      expect(textOf(edits.at(-1)?.body as Json)).toContain("half of 8 is 4");
      expect(
        fake.requestsTo("PATCH", new RegExp(`/webhooks/\\d+/${press.token}/messages/@original`)),
      ).toEqual([]);
    } finally {
      await server.close();
      await fake.close();
    }
  });
});
