import { randomUUID } from "node:crypto";
import { join } from "node:path";
import {
  ApplicationCommandOptionType,
  ButtonStyle,
  GatewayIntentBits,
  InteractionResponseType,
  InteractionType,
} from "discord.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  homeKey,
  registerDiscordCommands,
  threadKey,
} from "../../../src/adapters/discord/index.ts";
import { loadConfig } from "../../../src/config.ts";
import { loadCourseFile } from "../../../src/content/index.ts";
import { type ServeOverrides, type Server, serve } from "../../../src/serve.ts";
import { freePort } from "../../free-port.ts";
import { FIXTURES, silentLogger } from "../../tutor/harness.ts";
import {
  answersUntil,
  customIds,
  isEphemeral,
  type Json,
  type SentMessage,
  sentFor,
  textOf,
  until,
} from "./e2e.ts";
import { type FakeDiscord, type FakeDiscordOptions, startFakeDiscord } from "./fake-discord.ts";
import {
  buttonData,
  type CommandOptionValue,
  chatInputData,
  DISCORD_IDS,
  humanUser,
  stringOption,
} from "./payloads.ts";

const TOKEN = "fake.discord.teacher-token";
const GUILD = DISCORD_IDS.guildId;
const { learnerId, otherLearnerId, teacherId, principalId, ownerId, otherBotId } = DISCORD_IDS;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Socra served against a fake Discord whose teacher role is "Teacher" (by name). */
async function startSocra(
  options: FakeDiscordOptions = {},
  overrides: ServeOverrides = {},
  env: Readonly<Record<string, string>> = {},
): Promise<{ fake: FakeDiscord; server: Server }> {
  const fake = await startFakeDiscord({ token: TOKEN, ...options });
  const config = loadConfig({
    DISCORD_TOKEN: TOKEN,
    DISCORD_APPLICATION_ID: DISCORD_IDS.applicationId,
    DISCORD_API_URL: fake.restUrl,
    DISCORD_TEACHER_ROLE: "Teacher",
    PORT: String(await freePort()),
    ...env,
  });
  await registerDiscordCommands(config.discord as never, [
    await loadCourseFile(join(FIXTURES, "mini.yaml")),
  ]);
  const server = await serve(config, {
    courseFile: join(FIXTURES, "mini.yaml"),
    logger: silentLogger,
    ...overrides,
  });
  await until(() => server.discord?.isConnected() === true);
  return { fake, server };
}

const integerOption = (name: string, value: number): CommandOptionValue => ({
  name,
  type: ApplicationCommandOptionType.Integer,
  value,
});

/** The message that says something matching `pattern`, once it is sent. */
async function answerMatching(
  fake: FakeDiscord,
  token: string,
  pattern: RegExp,
): Promise<SentMessage> {
  const answers = await answersUntil(fake, token, (data) => pattern.test(textOf(data)));
  const answer = answers.find((a) => pattern.test(textOf(a.data)));
  if (!answer)
    return expect.fail(`nothing matched ${pattern}: ${answers.map((a) => textOf(a.data))}`);
  return answer;
}

/** DM messages a user got that carry a Start button for this assignment. */
function startButtons(fake: FakeDiscord, userId: string, assignmentId: string): string[] {
  const dm = fake.dmChannelOf(userId);
  if (dm === undefined) return [];
  return fake
    .messagesIn(dm)
    .flatMap((m) => customIds(m as unknown as Json))
    .filter((id) => id === `start:${GUILD}:${assignmentId}`);
}

/** The assignment id a teacher's "Assigned **A1**" reply names. */
function assignmentIdIn(answer: SentMessage): string {
  const id = /Assigned \*\*(A\d+)\*\*/.exec(textOf(answer.data))?.[1];
  if (!id) return expect.fail(`no assignment id in ${textOf(answer.data)}`);
  return id;
}

describe("Discord: teachers assign, report, and learners forget", () => {
  let fake: FakeDiscord;
  let server: Server;

  beforeAll(async () => {
    ({ fake, server } = await startSocra());
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  const tutor = (
    subcommand: string,
    options: CommandOptionValue[],
    userId: string,
    where: "guild" | "dm" = "guild",
  ) =>
    fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", subcommand, options),
      userId,
      where,
    });
  const dmChannelsOpened = () => fake.requestsTo("POST", /^\/users\/@me\/channels$/).length;

  it("refuses a student's /tutor assign, privately, and assigns nothing", async () => {
    const opened = dmChannelsOpened();
    const asked = tutor(
      "assign",
      [stringOption("what", "halves"), stringOption("to", `<@${otherLearnerId}>`)],
      learnerId,
    );
    const refusal = await answerMatching(fake, asked.token, /Only teachers/);
    expect(isEphemeral(refusal)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(dmChannelsOpened()).toBe(opened);
    expect(fake.dmChannelOf(otherLearnerId)).toBeUndefined();
    // A teacher finds no assignment.
    const listed = tutor("assignments", [], principalId);
    expect(isEphemeral(await answerMatching(fake, listed.token, /no open assignments/i))).toBe(
      true,
    );
  });

  it("refuses teacher commands in a DM, where there is no server to teach in", async () => {
    const asked = tutor("assignments", [], teacherId, "dm");
    await answerMatching(fake, asked.token, /Only teachers/);
  });

  it("lets a teacher by Manage Server assign a skill; Start in the learner's DM practises it", async () => {
    const assign = tutor(
      "assign",
      [
        stringOption("what", "halves"),
        stringOption("to", `<@${learnerId}>`),
        integerOption("count", 3),
        stringOption("note", 'Do the "easy" ones first'),
      ],
      principalId,
    );
    const assigned = await answerMatching(fake, assign.token, /Assigned/);
    expect(isEphemeral(assigned)).toBe(true);
    const id = assignmentIdIn(assigned);
    await until(() => startButtons(fake, learnerId, id).length > 0);
    expect(startButtons(fake, learnerId, id)).toHaveLength(1);
    const [notice] = fake.messagesIn(fake.dmChannelOf(learnerId) ?? "");
    expect(notice?.content).toContain("Halves");
    expect(notice?.content).toContain("Do the 'easy' ones first");
    // Only the learner: no DM to the teacher.
    expect(fake.dmChannelOf(principalId)).toBeUndefined();

    // The learner presses Start in their DM: practice on the assigned skill, in the server.
    const start = fake.interaction({
      type: InteractionType.MessageComponent,
      data: buttonData(`start:${GUILD}:${id}`),
      where: "dm",
      userId: learnerId,
    });
    const question = await answerMatching(fake, start.token, /"custom_id":"skip:/);
    expect(textOf(question.data)).toContain("Halves");
    expect(textOf(question.data)).toContain("assigned by your teacher");
    expect(isEphemeral(question)).toBe(false);
    const stored = await server.app.store.readLearner({ tenant: GUILD, learner: learnerId });
    expect(stored.session).toBeDefined();
  });

  it("practises in the DM's own tenant when Start names a server the learner is not in", async () => {
    const stranger = "1300000000000000777";
    const otherServer = "1300000000000000999";
    const start = fake.interaction({
      type: InteractionType.MessageComponent,
      data: buttonData(`start:${otherServer}:A1`),
      where: "dm",
      userId: stranger,
    });
    await answerMatching(fake, start.token, /"custom_id":"skip:/);
    const there = await server.app.store.readLearner({ tenant: otherServer, learner: stranger });
    expect(there).toEqual({});
    const own = await server.app.store.readLearner({
      tenant: `user:${stranger}`,
      learner: stranger,
    });
    expect(own.session).toBeDefined();
  });

  it("lets a teacher by role assign to a role and to a channel: every learner, no teachers or bots", async () => {
    const toRole = tutor(
      "assign",
      [stringOption("what", "halves"), stringOption("to", `<@&${DISCORD_IDS.classRoleId}>`)],
      teacherId,
    );
    const byRole = assignmentIdIn(await answerMatching(fake, toRole.token, /Assigned/));
    await until(() => startButtons(fake, otherLearnerId, byRole).length > 0);
    expect(startButtons(fake, learnerId, byRole)).toHaveLength(1);
    expect(startButtons(fake, otherLearnerId, byRole)).toHaveLength(1);
    // Not the teacher, though Class 7A has them; not the other bot, which is in it too.
    expect(startButtons(fake, teacherId, byRole)).toEqual([]);
    expect(fake.dmChannelOf(otherBotId)).toBeUndefined();

    // Class 7A's channel: the class sees it, and the teacher and the owner, who are not learners.
    const toChannel = tutor(
      "assign",
      [
        stringOption("what", "Adding fractions"),
        stringOption("to", `<#${DISCORD_IDS.classChannelId}>`),
        stringOption("due", "in 3 days"),
      ],
      teacherId,
    );
    const byChannel = assignmentIdIn(await answerMatching(fake, toChannel.token, /Assigned/));
    await until(() => startButtons(fake, otherLearnerId, byChannel).length > 0);
    for (const member of [learnerId, otherLearnerId])
      expect(startButtons(fake, member, byChannel)).toHaveLength(1);
    expect(startButtons(fake, teacherId, byChannel)).toEqual([]);
    expect(fake.dmChannelOf(ownerId)).toBeUndefined();
    // The principal cannot see the channel: Manage Server is not Administrator.
    expect(fake.dmChannelOf(principalId)).toBeUndefined();
  });

  it("answers /tutor report only to the teacher, with a PNG heat map", async () => {
    const report = tutor("report", [], teacherId);
    const answers = await answersUntil(fake, report.token, () =>
      fake
        .requestsTo("POST", /./)
        .concat(fake.requestsTo("PATCH", /./))
        .some((r) => r.path.includes(report.token) && r.uploads.length > 0),
    );
    const withImage = answers.find((a) => a.uploads.some((u) => u.contentType === "image/png"));
    if (!withImage)
      return expect.fail(
        `no PNG uploaded: ${JSON.stringify(answers.map((a) => [a.type, a.data, a.uploads.length]))}`,
      );
    const [png] = withImage.uploads;
    expect([...(png?.data.subarray(0, 8) ?? [])]).toEqual(PNG_SIGNATURE);
    expect(png?.filename).toMatch(/\.png$/);
    // Ephemeral: the message itself, or the deferral an edit completes.
    const deferral = answers.find(
      (a) => a.type === InteractionResponseType.DeferredChannelMessageWithSource,
    );
    expect(isEphemeral(withImage.type === "edit" ? deferral : withImage)).toBe(true);
    for (const answer of answers)
      if (answer.type !== "edit") expect(isEphemeral(answer)).toBe(true);
    // The heat map's alt text, and the table naming learners as the server knows them.
    expect(withImage.data?.attachments).toEqual([
      expect.objectContaining({ id: "0", description: expect.stringMatching(/heat map/i) }),
    ]);
    expect(textOf(withImage.data)).toMatch(/Ada.*Grace/s);
  });

  it("forgets a learner who confirms /tutor forget-me: their data, Discord keys and practice thread", async () => {
    // Grace practises in a private thread: the adapter keeps her server and her thread.
    const start = tutor("start", [], otherLearnerId);
    await answerMatching(fake, start.token, /private thread/);
    await until(
      () =>
        fake.requestsTo("POST", /^\/channels\/\d+\/messages$/).length > 0 &&
        fake.requests.some((r) => r.method === "PUT" && r.path.includes("thread-members")),
    );
    const keyValue = server.app.keyValue;
    expect(await keyValue.get(homeKey(otherLearnerId))).toBe(GUILD);
    const thread = await keyValue.get(threadKey(otherLearnerId, DISCORD_IDS.textChannelId));
    expect(fake.messagesIn(thread as string).length).toBeGreaterThan(0);
    const before = await server.app.store.readLearner({ tenant: GUILD, learner: otherLearnerId });
    expect(before.model).toBeDefined();

    const forget = tutor("forget-me", [], otherLearnerId);
    const confirm = await answerMatching(fake, forget.token, /"custom_id":"forget-confirm:"/);
    expect(isEphemeral(confirm)).toBe(true);
    expect(textOf(confirm.data)).toContain(`"style":${ButtonStyle.Danger}`);

    const press = fake.interaction({
      type: InteractionType.MessageComponent,
      data: buttonData("forget-confirm:"),
      userId: otherLearnerId,
    });
    const answers = await answersUntil(fake, press.token, (data) => /delet/i.test(textOf(data)));
    // The buttons are disabled, so the confirmation cannot be pressed twice.
    expect(answers[0]?.type).toBe(InteractionResponseType.UpdateMessage);
    expect(textOf(answers[0]?.data).match(/"disabled":true/g)).toHaveLength(2);
    expect(answers.slice(1).every(isEphemeral)).toBe(true);

    const after = await server.app.store.readLearner({ tenant: GUILD, learner: otherLearnerId });
    expect(after).toEqual({});
    // The adapter's keys go while the answer is sent.
    await until(async () => (await keyValue.get(homeKey(otherLearnerId))) === undefined);
    expect(await keyValue.get(homeKey(otherLearnerId))).toBeUndefined();
    expect(
      await keyValue.get(threadKey(otherLearnerId, DISCORD_IDS.textChannelId)),
    ).toBeUndefined();
    // Their answers in the practice thread go with it.
    expect(fake.requestsTo("DELETE", /^\/channels\/\d+$/).map((r) => r.path)).toEqual([
      `/channels/${thread}`,
    ]);
    expect(fake.messagesIn(thread as string)).toEqual([]);
    // Another learner's keys stay.
    expect(await keyValue.get(homeKey(learnerId))).toBe(GUILD);
  });

  it("keeps everything when forget-me is cancelled (in a DM, where nothing is ephemeral)", async () => {
    const forget = tutor("forget-me", [], learnerId, "dm");
    const confirm = await answerMatching(fake, forget.token, /"custom_id":"forget-cancel:"/);
    expect(isEphemeral(confirm)).toBe(false);
    const press = fake.interaction({
      type: InteractionType.MessageComponent,
      data: buttonData("forget-cancel:"),
      where: "dm",
      userId: learnerId,
    });
    await answerMatching(fake, press.token, /Nothing was deleted/);
    const kept = await server.app.store.readLearner({ tenant: GUILD, learner: learnerId });
    expect(kept.model).toBeDefined();
    expect(await server.app.keyValue.get(homeKey(learnerId))).toBe(GUILD);
  });
});

describe("Discord: a slow forget-me confirmation", () => {
  it("closes the private confirmation's buttons through the interaction, then answers", async () => {
    // Every turn that waits for Redis is deferred first, as a slow store would make it.
    const { fake, server } = await startSocra(
      {},
      { discordDeferAfterMs: 0 },
      { SOCRA_STORE: "redis", REDIS_URL: inject("redisUrl"), REDIS_PREFIX: `test-${randomUUID()}` },
    );
    try {
      const forget = fake.interaction({
        type: InteractionType.ApplicationCommand,
        data: chatInputData("tutor", "forget-me", []),
        userId: learnerId,
      });
      await answerMatching(fake, forget.token, /"custom_id":"forget-confirm:"/);
      const press = fake.interaction({
        type: InteractionType.MessageComponent,
        data: buttonData("forget-confirm:"),
        userId: learnerId,
      });
      await until(() => sentFor(fake, press.token).some((a) => a.type === "follow-up"));
      const answers = sentFor(fake, press.token);
      // An ephemeral message can only be changed through the interaction: a deferred update.
      expect(answers[0]?.type).toBe(InteractionResponseType.DeferredMessageUpdate);
      const edit = answers.find((a) => a.type === "edit");
      expect(textOf(edit?.data).match(/"disabled":true/g)).toHaveLength(2);
      const answer = answers.find((a) => a.type === "follow-up");
      expect(textOf(answer?.data)).toMatch(/delet/i);
      expect(isEphemeral(answer)).toBe(true);
    } finally {
      await server.close();
      await fake.close();
    }
  });
});

describe("Discord: a bot without Manage Threads", () => {
  it("still forgets a learner's data and keys, and leaves the practice thread it may not delete", async () => {
    const { fake, server } = await startSocra({ canManageThreads: false });
    try {
      const command = (subcommand: string) =>
        fake.interaction({
          type: InteractionType.ApplicationCommand,
          data: chatInputData("tutor", subcommand, []),
          userId: learnerId,
        });
      const start = command("start");
      await answerMatching(fake, start.token, /private thread/);
      const keyValue = server.app.keyValue;
      await until(async () => (await keyValue.get(homeKey(learnerId))) !== undefined);
      const thread = await keyValue.get(threadKey(learnerId, DISCORD_IDS.textChannelId));
      expect(thread).toBeDefined();
      const forget = command("forget-me");
      await answerMatching(fake, forget.token, /"custom_id":"forget-confirm:"/);
      const press = fake.interaction({
        type: InteractionType.MessageComponent,
        data: buttonData("forget-confirm:"),
        userId: learnerId,
      });
      await answersUntil(fake, press.token, (data) => /delet/i.test(textOf(data)));
      await until(async () => (await keyValue.get(homeKey(learnerId))) === undefined);
      expect(fake.requestsTo("DELETE", /^\/channels\/\d+$/)).toHaveLength(1);
      expect(await keyValue.get(threadKey(learnerId, DISCORD_IDS.textChannelId))).toBeUndefined();
      expect(await server.app.store.readLearner({ tenant: GUILD, learner: learnerId })).toEqual({});
      expect(fake.messagesIn(thread as string).length).toBeGreaterThan(0);
    } finally {
      await server.close();
      await fake.close();
    }
  });
});

describe("Discord: a bot without the Server Members intent", () => {
  it("assigns nothing to a role it cannot list, and says so to the teacher", async () => {
    const { fake, server } = await startSocra({ hasGuildMembersIntent: false });
    try {
      // Not asked for on the gateway either, unless DISCORD_SERVER_MEMBERS says it is enabled.
      const intents = fake.gatewayConnections.at(-1)?.identify?.intents ?? 0;
      expect(intents & GatewayIntentBits.GuildMembers).toBe(0);
      const assign = fake.interaction({
        type: InteractionType.ApplicationCommand,
        data: chatInputData("tutor", "assign", [
          stringOption("what", "halves"),
          stringOption("to", `<@&${DISCORD_IDS.classRoleId}>`),
        ]),
        userId: principalId,
      });
      const answer = await answerMatching(fake, assign.token, /Nothing was assigned/);
      expect(isEphemeral(answer)).toBe(true);
      expect(fake.requestsTo("POST", /^\/users\/@me\/channels$/)).toHaveLength(0);
      // A single person needs no intent.
      const one = fake.interaction({
        type: InteractionType.ApplicationCommand,
        data: chatInputData("tutor", "assign", [
          stringOption("what", "halves"),
          stringOption("to", `<@${learnerId}>`),
        ]),
        userId: principalId,
      });
      await answerMatching(fake, one.token, /Assigned/);
    } finally {
      await server.close();
      await fake.close();
    }
  });
});

describe("Discord: with the Server Members intent on the gateway", () => {
  it("gives a role's assignment to someone who joins the server with it, or gets it later", async () => {
    const { fake, server } = await startSocra({}, {}, { DISCORD_SERVER_MEMBERS: "true" });
    try {
      const intents = fake.gatewayConnections.at(-1)?.identify?.intents ?? 0;
      expect(intents & GatewayIntentBits.GuildMembers).toBe(GatewayIntentBits.GuildMembers);
      const assign = fake.interaction({
        type: InteractionType.ApplicationCommand,
        data: chatInputData("tutor", "assign", [
          stringOption("what", "halves"),
          stringOption("to", `<@&${DISCORD_IDS.classRoleId}>`),
        ]),
        userId: teacherId,
      });
      const id = assignmentIdIn(await answerMatching(fake, assign.token, /Assigned/));
      await until(() => startButtons(fake, otherLearnerId, id).length > 0);

      // Joins with the class role: the assignment follows within seconds, not 15 minutes.
      const newcomer = "1500000000000000001";
      fake.joinGuild(humanUser(newcomer), [DISCORD_IDS.classRoleId]);
      await until(() => startButtons(fake, newcomer, id).length > 0);
      expect(startButtons(fake, newcomer, id)).toHaveLength(1);

      // Joins without it: nothing; given the role later: the assignment.
      const late = "1500000000000000002";
      fake.joinGuild(humanUser(late));
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(fake.dmChannelOf(late)).toBeUndefined();
      fake.setMemberRoles(late, [DISCORD_IDS.classRoleId]);
      await until(() => startButtons(fake, late, id).length > 0);
      expect(startButtons(fake, late, id)).toHaveLength(1);
      // Nobody got it twice.
      expect(startButtons(fake, newcomer, id)).toHaveLength(1);
      expect(startButtons(fake, learnerId, id)).toHaveLength(1);
    } finally {
      await server.close();
      await fake.close();
    }
  });
});
