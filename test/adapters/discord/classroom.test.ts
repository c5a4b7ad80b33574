import { once } from "node:events";
import {
  Client,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Partials,
  PermissionFlagsBits,
  PermissionsBitField,
} from "discord.js";
import { afterEach, describe, expect, it } from "vitest";
import { createDiscordClassroom, isTeacherMember } from "../../../src/adapters/discord/index.ts";
import type { ClassroomPlatform, TeacherTarget } from "../../../src/tutor/index.ts";
import { recordingLogger, silentLogger } from "../../tutor/harness.ts";
import { type FakeDiscord, type FakeDiscordOptions, startFakeDiscord } from "./fake-discord.ts";
import { DISCORD_IDS } from "./payloads.ts";

const TOKEN = "fake.discord.classroom-token";
const GUILD = DISCORD_IDS.guildId;

describe("isTeacherMember", () => {
  const permissions = (...flags: bigint[]) => new PermissionsBitField(flags);
  const roles = async () => [
    { id: DISCORD_IDS.teacherRoleId, name: "Teacher" },
    { id: DISCORD_IDS.classRoleId, name: "Class 7A" },
  ];
  const noRoles = async () => expect.fail("the roles were not needed");

  it.each([
    ["Manage Server", permissions(PermissionFlagsBits.ManageGuild), [], undefined, true],
    ["Administrator", permissions(PermissionFlagsBits.Administrator), [], "Teacher", true],
    [
      "the role, by id",
      permissions(),
      [DISCORD_IDS.teacherRoleId],
      DISCORD_IDS.teacherRoleId,
      true,
    ],
    ["the role, by name", permissions(), [DISCORD_IDS.teacherRoleId], "teacher", true],
    ["another role", permissions(), [DISCORD_IDS.classRoleId], "Teacher", false],
    ["no role configured", permissions(PermissionFlagsBits.ManageMessages), [], undefined, false],
    ["no permissions known", null, [DISCORD_IDS.classRoleId], " ", false],
  ] as const)("%s → %s", async (_, memberPermissions, roleIds, teacherRole, expected) => {
    const member = { permissions: memberPermissions, roleIds };
    expect(await isTeacherMember(member, teacherRole, roles)).toBe(expected);
  });

  it("asks for the server's roles only for a role given by name", async () => {
    const member = { permissions: permissions(), roleIds: [DISCORD_IDS.teacherRoleId] };
    expect(await isTeacherMember(member, DISCORD_IDS.teacherRoleId, noRoles)).toBe(true);
    const boss = { permissions: permissions(PermissionFlagsBits.ManageGuild), roleIds: [] };
    expect(await isTeacherMember(boss, "Teacher", noRoles)).toBe(true);
  });
});

describe("the Discord classroom against a fake Discord", () => {
  let fake: FakeDiscord | undefined;
  let client: Client | undefined;

  afterEach(async () => {
    await client?.destroy();
    await fake?.close();
    client = undefined;
    fake = undefined;
  });

  async function start(
    options: FakeDiscordOptions = {},
    logger = silentLogger,
  ): Promise<{ fake: FakeDiscord; classroom: ClassroomPlatform; notified: string[] }> {
    fake = await startFakeDiscord({ token: TOKEN, ...options });
    client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.DirectMessages],
      partials: [Partials.Channel],
      rest: { api: fake.restUrl },
    });
    const ready = once(client, Events.ClientReady);
    await client.login(TOKEN);
    await ready;
    const notified: string[] = [];
    const classroom = createDiscordClassroom({
      client,
      logger,
      teacherRole: "Teacher",
      onNotified: async (tenant, user) => {
        notified.push(`${tenant}:${user}`);
      },
    });
    return { fake, classroom, notified };
  }

  const user = (id: string): TeacherTarget => ({ kind: "user", id, text: `<@${id}>` });
  const role = (id: string): TeacherTarget => ({ kind: "group", id, text: `<@&${id}>` });
  const channel = (id: string): TeacherTarget => ({ kind: "channel", id, text: `<#${id}>` });
  const { learnerId, otherLearnerId, teacherId, principalId } = DISCORD_IDS;

  it("names a member by mention; a bot names no learner; a stranger is not known", async () => {
    const { classroom } = await start();
    expect(await classroom.membersOf(GUILD, user(learnerId))).toEqual([learnerId]);
    expect(await classroom.membersOf(GUILD, user(DISCORD_IDS.otherBotId))).toEqual([]);
    expect(await classroom.membersOf(GUILD, user("1300000000000009999"))).toBeUndefined();
    // Not a Discord id (a Slack one), another server, or no server at all (a DM's tenant).
    expect(await classroom.membersOf(GUILD, user("U123ABC"))).toBeUndefined();
    expect(await classroom.membersOf("1300000000000000999", user(learnerId))).toBeUndefined();
    expect(await classroom.membersOf(`user:${learnerId}`, user(learnerId))).toBeUndefined();
  });

  it("names a role's learners, and a channel's learners who can see it: no bots, no teachers", async () => {
    const { classroom, fake } = await start();
    // Class 7A has a teacher by role, left out.
    expect(await classroom.membersOf(GUILD, role(DISCORD_IDS.classRoleId))).toEqual([
      learnerId,
      otherLearnerId,
    ]);
    // Class 7A's channel is hidden from @everyone: the class, teachers by role, and the owner.
    expect(await classroom.membersOf(GUILD, channel(DISCORD_IDS.classChannelId))).toEqual([
      learnerId,
      otherLearnerId,
    ]);
    // Everyone sees the text channel; the principal and owner are teachers by Manage Server.
    expect(await classroom.membersOf(GUILD, channel(DISCORD_IDS.textChannelId))).toEqual([
      learnerId,
      otherLearnerId,
    ]);
    // A teacher named in person is who the teacher named.
    expect(await classroom.membersOf(GUILD, user(teacherId))).toEqual([teacherId]);
    expect(await classroom.membersOf(GUILD, user(principalId))).toEqual([principalId]);
    expect(await classroom.membersOf(GUILD, role("1300000000000000399"))).toBeUndefined();
    expect(await classroom.membersOf(GUILD, channel("1300000000000000299"))).toBeUndefined();
    // Over REST, a page as large as Discord allows, once for all these mentions.
    const lists = fake.requestsTo("GET", /^\/guilds\/\d+\/members$/);
    expect(lists.map((list) => list.query)).toEqual([{ limit: "1000", after: "0" }]);
  });

  it("pages through a large server's members", async () => {
    const { classroom, fake } = await start({ extraMembers: 1500 });
    const members = await classroom.membersOf(GUILD, role(DISCORD_IDS.classRoleId));
    expect(members).toHaveLength(2 + 1500);
    expect(new Set(members).size).toBe(members?.length);
    expect(fake.requestsTo("GET", /^\/guilds\/\d+\/members$/)).toHaveLength(2);
  });

  it("without the Server Members intent, knows people but not roles or channels, and says why once", async () => {
    const logger = recordingLogger();
    const { classroom } = await start({ hasGuildMembersIntent: false }, logger);
    expect(await classroom.membersOf(GUILD, user(learnerId))).toEqual([learnerId]);
    expect(await classroom.membersOf(GUILD, role(DISCORD_IDS.classRoleId))).toBeUndefined();
    expect(await classroom.membersOf(GUILD, channel(DISCORD_IDS.classChannelId))).toBeUndefined();
    const warnings = logger.entries.filter((e) => e.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/Server Members Intent/);
  });

  it("DMs a notice with a Start button for the assignment, and says when it cannot", async () => {
    const { classroom, fake, notified } = await start();
    const notice = {
      kind: "assignment" as const,
      text: "📚 Your teacher assigned you **Halves**.",
      start: { assignmentId: "A1" },
    };
    expect(await classroom.notify(GUILD, otherLearnerId, notice)).toBe(true);
    const [opened] = fake.requestsTo("POST", /^\/users\/@me\/channels$/);
    expect(opened?.body).toEqual({ recipient_id: otherLearnerId });
    const dm = fake.dmChannelOf(otherLearnerId) ?? "";
    const [message] = fake.messagesIn(dm);
    expect(message?.content).toBe(notice.text);
    expect(JSON.stringify(message?.components)).toContain(`"custom_id":"start:${GUILD}:A1"`);
    expect((message?.flags ?? 0) & MessageFlags.Ephemeral).toBe(0);
    expect(notified).toEqual([`${GUILD}:${otherLearnerId}`]);

    fake.failNext("POST", /^\/channels\/\d+\/messages$/, {
      status: 403,
      code: 50007,
      message: "Cannot send messages to this user",
    });
    expect(await classroom.notify(GUILD, learnerId, notice)).toBe(false);
    expect(notified).toHaveLength(1);
  });

  it("describes a member by their display name, and a stranger by nothing", async () => {
    const { classroom } = await start();
    expect(await classroom.describe(GUILD, learnerId)).toEqual({ name: "Ada" });
    expect(await classroom.describe(GUILD, "1300000000000009999")).toEqual({});
    expect(await classroom.describe(GUILD, "not-an-id")).toEqual({});
  });
});
