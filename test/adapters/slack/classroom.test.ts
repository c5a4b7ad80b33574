import { LogLevel, webApi } from "@slack/bolt";
import { afterEach, describe, expect, it } from "vitest";
import {
  createInstallationStore,
  createSlackAdapter,
  createSlackClassroom,
  type SlackClassroomOptions,
} from "../../../src/adapters/slack/index.ts";
import { loadConfig } from "../../../src/config.ts";
import { createMemoryKeyValueStore } from "../../../src/store/index.ts";
import type { ClassroomPlatform, Tutor } from "../../../src/tutor/index.ts";
import { createHarness, recordingLogger, silentLogger } from "../../tutor/harness.ts";
import { type FakeSlack, type FakeSlackOptions, startFakeSlack } from "./fake-slack.ts";
import { SLACK_IDS } from "./signing.ts";

const TENANT = SLACK_IDS.teamId;
const TOKEN = "xoxb-test-token";

const FAKE: FakeSlackOptions = {
  users: {
    U0TEACHER: { tz: "America/Chicago" },
    U0ADMIN: { isAdmin: true, tz: "Europe/Paris" },
    U0OWNER: { isOwner: true },
    U0PRIMARY: { isPrimaryOwner: true },
    U0GROUPIE: { tz: null },
    U0GUESTADMIN: { isAdmin: true, teamId: "T0OTHERORG" },
    U0GONEADMIN: { isAdmin: true, isDeleted: true },
    U0BOTADMIN: { isAdmin: true, isBot: true },
    U0ANA: { displayName: "Ana", realName: "Ana Alves" },
    U0BEN: { displayName: "", realName: "Ben Brown" },
    U0HELPERBOT: { isBot: true },
    U0GONE: { isDeleted: true },
    U0NOBODY: null,
  },
  usergroups: { S0TEACHERS: ["U0GROUPIE"], S0CLASS: ["U0ANA", "U0HELPERBOT", "U0BEN"] },
  channels: {
    C0CLASS: [
      "U0TEACHER",
      "U0ANA",
      SLACK_IDS.botUserId,
      "U0HELPERBOT",
      "U0GONE",
      "U0BEN",
      "U0ANA",
      "U0ADMIN",
      "U0GROUPIE",
    ],
    C0EMPTY: [],
  },
  maxMembersPerPage: 3,
};

let fake: FakeSlack;
afterEach(async () => {
  await fake?.close();
});

/** The classroom over a real WebClient pointed at the fake, without retries. */
async function classroom(options: Partial<SlackClassroomOptions> = {}, fakeOptions = FAKE) {
  fake = await startFakeSlack(fakeOptions);
  const client = new webApi.WebClient(TOKEN, {
    slackApiUrl: fake.url,
    logLevel: LogLevel.ERROR,
    retryConfig: { retries: 0 },
  });
  return createSlackClassroom({
    config: { teacherIds: ["U0TEACHER"], teacherGroup: "S0TEACHERS" },
    apiFor: async () => ({ client }),
    logger: silentLogger,
    ...options,
  });
}

describe("Slack classroom: who is a teacher", () => {
  it.each([
    ["a configured teacher id", "U0TEACHER", true, "America/Chicago"],
    ["a workspace admin", "U0ADMIN", true, "Europe/Paris"],
    ["a workspace owner", "U0OWNER", true, "Europe/Berlin"],
    ["the primary owner", "U0PRIMARY", true, "Europe/Berlin"],
    ["a member of the teachers' group", "U0GROUPIE", true, undefined],
    ["a student", "U0ANA", false, "Europe/Berlin"],
    ["an admin of another organization", "U0GUESTADMIN", false, "Europe/Berlin"],
    ["a deactivated admin", "U0GONEADMIN", false, "Europe/Berlin"],
    ["a bot flagged admin", "U0BOTADMIN", false, "Europe/Berlin"],
    ["someone Slack does not know", "U0NOBODY", false, undefined],
  ])("%s: isTeacher %s, with their time zone", async (_, user, isTeacher, timeZone) => {
    const slack = await classroom();
    expect(await slack.senderOf(TENANT, user)).toEqual({
      isTeacher,
      ...(timeZone ? { timeZone } : {}),
    });
  });

  it("asks Slack on the server: users.info, then the group only when still needed", async () => {
    const slack = await classroom();
    await slack.senderOf(TENANT, "U0ADMIN");
    expect(fake.callsTo("users.info").map((c) => c.body.user)).toEqual(["U0ADMIN"]);
    expect(fake.callsTo("usergroups.users.list")).toEqual([]);
    await slack.senderOf(TENANT, "U0ANA");
    expect(fake.callsTo("usergroups.users.list").map((c) => c.body.usergroup)).toEqual([
      "S0TEACHERS",
    ]);
    expect(fake.callsTo("users.info").every((c) => c.token === TOKEN)).toBe(true);
  });

  it("treats a Slack error as 'not a teacher', logged, and keeps a configured id a teacher", async () => {
    const logger = recordingLogger();
    const slack = await classroom({ logger, cacheTtlMs: 0 });
    fake.failNext("users.info", { error: "internal_error" }, 2);
    expect(await slack.senderOf(TENANT, "U0ADMIN")).toEqual({ isTeacher: false });
    expect(await slack.senderOf(TENANT, "U0TEACHER")).toEqual({ isTeacher: true });
    fake.failNext("usergroups.users.list", { error: "plan_upgrade_required" });
    expect(await slack.senderOf(TENANT, "U0GROUPIE")).toEqual({ isTeacher: false });
    const warnings = logger.entries.filter((e) => e.level === "warn");
    expect(warnings.map((e) => e.message)).toEqual([
      "could not read a user for the teacher check",
      "could not read a user for the teacher check",
      "could not read the teachers' user group",
    ]);
    // Nothing about the failure was kept: the next check asks again and gets the answer.
    expect(await slack.senderOf(TENANT, "U0ADMIN")).toMatchObject({ isTeacher: true });
    expect(await slack.senderOf(TENANT, "U0GROUPIE")).toMatchObject({ isTeacher: true });
  });

  it("reuses an answer for a few seconds only", async () => {
    let now = 1_000_000;
    const slack = await classroom({ now: () => now, cacheTtlMs: 5000 });
    await slack.senderOf(TENANT, "U0ADMIN");
    await slack.senderOf(TENANT, "U0ADMIN");
    expect(fake.callsTo("users.info")).toHaveLength(1);
    now += 5000;
    await slack.senderOf(TENANT, "U0ADMIN");
    expect(fake.callsTo("users.info")).toHaveLength(2);
    // Another workspace never shares an answer.
    await slack.senderOf("T0ELSEWHERE", "U0ADMIN");
    expect(fake.callsTo("users.info")).toHaveLength(3);
  });

  it("asks every time with no cache", async () => {
    const slack = await classroom({ cacheTtlMs: 0 });
    await slack.senderOf(TENANT, "U0ADMIN");
    await slack.senderOf(TENANT, "U0ADMIN");
    expect(fake.callsTo("users.info")).toHaveLength(2);
  });
});

describe("Slack classroom: the learners a teacher names", () => {
  const user = (id: string) => ({ kind: "user" as const, id, text: `<@${id}>` });
  const channel = (id: string) => ({ kind: "channel" as const, id, text: `<#${id}>` });
  const group = (id: string) => ({ kind: "group" as const, id, text: `<!subteam^${id}>` });

  it("a user: themselves when they are a person; nobody for a bot or a deactivated user", async () => {
    const slack = await classroom();
    expect(await slack.membersOf(TENANT, user("U0ANA"))).toEqual(["U0ANA"]);
    expect(await slack.membersOf(TENANT, user("U0HELPERBOT"))).toEqual([]);
    expect(await slack.membersOf(TENANT, user("U0GONE"))).toEqual([]);
    expect(await slack.membersOf(TENANT, user(SLACK_IDS.botUserId))).toEqual([]);
    expect(await slack.membersOf(TENANT, user("U0NOBODY"))).toBeUndefined();
  });

  it("a channel: every page of members, without bots, the app itself, deactivated users or teachers", async () => {
    const slack = await classroom();
    // Teachers by configuration, by office (an admin) and by the teachers' group are left out.
    expect(await slack.membersOf(TENANT, channel("C0CLASS"))).toEqual(["U0ANA", "U0BEN"]);
    const pages = fake.callsTo("conversations.members");
    expect(pages).toHaveLength(3);
    expect(pages[0]?.body.cursor).toBeUndefined();
    expect(pages.slice(1).every((c) => typeof c.body.cursor === "string")).toBe(true);
    // The app's bot user is known from auth.test, asked once, and never looked up.
    expect(fake.callsTo("auth.test")).toHaveLength(1);
    expect(fake.callsTo("users.info").map((c) => c.body.user)).not.toContain(SLACK_IDS.botUserId);
    expect(await slack.membersOf(TENANT, channel("C0EMPTY"))).toEqual([]);
    expect(fake.callsTo("auth.test")).toHaveLength(1);
  });

  it("a user group: its people", async () => {
    const slack = await classroom();
    expect(await slack.membersOf(TENANT, group("S0CLASS"))).toEqual(["U0ANA", "U0BEN"]);
  });

  it("undefined for what Slack does not know here, without asking for malformed ids", async () => {
    const slack = await classroom();
    expect(await slack.membersOf(TENANT, channel("C0NOWHERE"))).toBeUndefined();
    expect(await slack.membersOf(TENANT, group("S0NONE"))).toBeUndefined();
    const before = fake.calls.length;
    expect(await slack.membersOf(TENANT, user("ana"))).toBeUndefined();
    expect(await slack.membersOf(TENANT, channel("class-7a"))).toBeUndefined();
    expect(await slack.membersOf(TENANT, group("@teachers"))).toBeUndefined();
    expect(fake.calls.length).toBe(before);
  });

  it("throws a coded error for any other Slack failure (the tutor says it could not find them)", async () => {
    const slack = await classroom();
    fake.failNext("conversations.members", { error: "missing_scope" });
    await expect(slack.membersOf(TENANT, channel("C0CLASS"))).rejects.toMatchObject({
      code: "slack_missing_scope",
    });
  });
});

describe("Slack classroom: notices and names", () => {
  it("sends a notice to the user's DM, with a primary Start button carrying the assignment", async () => {
    const slack = await classroom();
    const isSent = await slack.notify(TENANT, "U0ANA", {
      kind: "assignment",
      text: "📚 Your teacher assigned you **Halves**.",
      start: { assignmentId: "A7" },
    });
    expect(isSent).toBe(true);
    expect(fake.callsTo("conversations.open")[0]?.body.users).toBe("U0ANA");
    const [post] = fake.callsTo("chat.postMessage");
    expect(post?.body.channel).toBe("D0ANA");
    expect(post?.body.text).toContain("Halves");
    expect(JSON.stringify(post?.body.blocks)).toContain("*Halves*");
    const blocks = (post?.body.blocks ?? []) as { type: string; elements?: unknown[] }[];
    const actions = blocks.find((b) => b.type === "actions");
    expect(actions?.elements).toEqual([
      expect.objectContaining({ action_id: "start", value: "A7", style: "primary" }),
    ]);
  });

  it("sends a notice without a button when it has no Start", async () => {
    const slack = await classroom();
    await slack.notify(TENANT, "U0ANA", { kind: "digest", text: "All done." });
    expect(JSON.stringify(fake.callsTo("chat.postMessage")[0]?.body.blocks)).not.toContain(
      "actions",
    );
  });

  it("says false, logged, when the notice cannot be delivered", async () => {
    const logger = recordingLogger();
    const slack = await classroom({ logger });
    fake.failNext("chat.postMessage", { error: "cannot_dm_bot" });
    expect(await slack.notify(TENANT, "U0ANA", { kind: "reminder", text: "Due soon" })).toBe(false);
    expect(logger.entries.map((e) => e.message)).toContain("could not send a notice");
    // The notice's text is learner-facing content: it is not logged.
    expect(JSON.stringify(logger.entries)).not.toContain("Due soon");
  });

  it("describes a user by display name, else real name, with their time zone", async () => {
    const slack = await classroom();
    expect(await slack.describe(TENANT, "U0ANA")).toEqual({
      name: "Ana",
      timeZone: "Europe/Berlin",
    });
    expect(await slack.describe(TENANT, "U0BEN")).toMatchObject({ name: "Ben Brown" });
    expect(await slack.describe(TENANT, "U0NOBODY")).toEqual({});
    fake.failNext("users.info", { error: "internal_error" });
    expect(await slack.describe(TENANT, "U0TEACHER")).toEqual({});
  });
});

describe("Slack classroom in a multi-workspace (OAuth) install", () => {
  it("calls Slack with the installation's bot token, through Bolt's authorize", async () => {
    fake = await startFakeSlack(FAKE);
    const installations = createInstallationStore(createMemoryKeyValueStore());
    await installations.storeInstallation({
      team: { id: TENANT, name: "School" },
      enterprise: undefined,
      user: { id: "U0ADMIN", token: undefined, scopes: undefined },
      bot: {
        id: SLACK_IDS.botId,
        userId: SLACK_IDS.botUserId,
        token: "xoxb-installed",
        scopes: ["chat:write"],
      },
      isEnterpriseInstall: false,
      authVersion: "v2",
    });
    const harness = await createHarness();
    const attached: [string, ClassroomPlatform][] = [];
    const tutor: Tutor = {
      ...harness.tutor,
      attachPlatform: (name, platform) => {
        attached.push([name, platform]);
        harness.tutor.attachPlatform(name, platform);
      },
    };
    const config = loadConfig({
      SLACK_CLIENT_ID: "1.2",
      SLACK_CLIENT_SECRET: "client-secret",
      SLACK_STATE_SECRET: "state-secret",
      SLACK_SIGNING_SECRET: "signing-secret",
      SLACK_API_URL: fake.url,
    });
    const adapter = createSlackAdapter({
      tutor,
      config: config.slack as NonNullable<typeof config.slack>,
      port: 0,
      logger: silentLogger,
      installationStore: installations,
    });
    expect(attached.map(([name]) => name)).toEqual(["slack"]);
    expect(attached[0]?.[1]).toBe(adapter.classroom);

    // No teacher ids or group are configured here: only the admin is a teacher.
    expect(
      await adapter.classroom.membersOf(TENANT, { kind: "channel", id: "C0CLASS", text: "" }),
    ).toEqual(["U0TEACHER", "U0ANA", "U0BEN", "U0GROUPIE"]);
    expect(await adapter.classroom.notify(TENANT, "U0ANA", { kind: "reminder", text: "Due" })).toBe(
      true,
    );
    const calls = fake.calls.filter((c) => c.method !== "auth.test");
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.token === "xoxb-installed")).toBe(true);
    // The bot user comes with the installation: no auth.test needed.
    expect(fake.callsTo("auth.test")).toEqual([]);

    // A workspace without an installation: nothing is sent, and nobody is found.
    expect(
      await adapter.classroom.notify("T0ELSEWHERE", "U0ANA", { kind: "reminder", text: "x" }),
    ).toBe(false);
    await expect(
      adapter.classroom.membersOf("T0ELSEWHERE", { kind: "user", id: "U0ANA", text: "" }),
    ).rejects.toThrow();
    expect(await adapter.classroom.senderOf("T0ELSEWHERE", "U0ADMIN")).toEqual({
      isTeacher: false,
    });
  });
});
