import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeSlackUser, SlackApiCall } from "./fake-slack.ts";
import { blocksText, callsOf, type SlackUnderTest, startSlack, waitFor } from "./harness.ts";
import { CONTENT_TYPE, eventBody, SLACK_IDS, signedRequest } from "./signing.ts";

/*
 * Teachers on Slack, end to end: signed slash commands and button presses into `socra serve`,
 * the tutor's classroom behind it, and a fake Slack Web API recording what the app asks and
 * posts. Who is a teacher is asked of (fake) Slack on every command.
 */

const TENANT = SLACK_IDS.teamId;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const USERS: Record<string, FakeSlackUser> = {
  U0TEACHER: { displayName: "Ms Rivera", tz: "America/New_York" },
  U0GROUPTEACHER: { displayName: "Mr Okafor" },
  U0ADMIN: { displayName: "Principal Li", isAdmin: true },
  U0OWNER: { displayName: "Owner", isOwner: true },
  U0ADMINTWO: { displayName: "Vice Principal", isAdmin: true },
  U0GUESTADMIN: { displayName: "Admin elsewhere", isAdmin: true, teamId: "T0OTHERORG" },
  U0STUDENT: { displayName: "Sam" },
  U0ANA: { displayName: "Ana" },
  U0BEN: { displayName: "Ben" },
  U0CARA: { displayName: "Cara" },
  U0DAN: { displayName: "Dan" },
  U0ERIN: { displayName: "Erin" },
  U0HELPERBOT: { displayName: "helper", isBot: true },
  U0GONE: { displayName: "gone", isDeleted: true },
};
/** A class channel: its teacher, two students, the app's own bot, another bot, a deactivated user. */
const classOf = (teacher: string) => [
  teacher,
  "U0ANA",
  SLACK_IDS.botUserId,
  "U0HELPERBOT",
  "U0BEN",
  "U0GONE",
];

/** The notices (posts with a Start button) of assignment `id`. */
const noticesOf = (calls: readonly SlackApiCall[], id: string) =>
  calls.filter((call) =>
    (
      (call.body.blocks ?? []) as {
        type: string;
        elements?: { action_id?: string; value?: string }[];
      }[]
    ).some((block) => block.elements?.some((e) => e.action_id === "start" && e.value === id)),
  );

/** The text of a response_url post or a message: fallback and blocks. */
const shown = (call: SlackApiCall | undefined) =>
  `${String(call?.body.text ?? "")} ${blocksText(call)}`;

describe("Slack: teachers", () => {
  let sut: SlackUnderTest;
  let responses = 0;

  /** Runs `/tutor TEXT` as `user` in `channel`; resolves with the first answer to its response_url. */
  async function command(user: string, channel: string, text: string): Promise<SlackApiCall[]> {
    const id = `r${++responses}`;
    expect((await sut.command({ user, channel, text, responseId: id })).status).toBe(200);
    await waitFor(() => sut.fake.responsesTo(id).length >= 1);
    // Give a second answer (the files' note comes in the same one) a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return sut.fake.responsesTo(id);
  }

  /** Assigns as `teacher`; resolves with the assignment id from the teacher's private reply. */
  async function assign(teacher: string, channel: string, text: string): Promise<string> {
    const [answer] = await command(teacher, channel, `assign ${text}`);
    expect(answer?.body.response_type).toBe("ephemeral");
    const id = /Assigned \*?(A\d+)/.exec(shown(answer))?.[1];
    expect(id, shown(answer)).toBeDefined();
    return id as string;
  }

  const dm = (user: string, text: string, eventId: string) =>
    signedRequest(
      sut.events,
      "test-signing-secret",
      eventBody(
        {
          type: "message",
          channel: `D${user.slice(1)}`,
          user,
          text,
          ts: `${(Date.now() / 1000).toFixed(6)}`,
          channel_type: "im",
        },
        { eventId },
      ),
      CONTENT_TYPE.json,
    );

  const postsTo = (channel: string) =>
    sut.fake.callsTo("chat.postMessage").filter((call) => call.body.channel === channel);

  /** A learner says hi in their DM and answers the question they get. */
  async function practise(user: string): Promise<void> {
    const channel = `D${user.slice(1)}`;
    const hasQuestion = () => postsTo(channel).some((c) => blocksText(c).includes("controls:"));
    await dm(user, "hi", `Ev${user}hi`);
    await waitFor(hasQuestion);
    const posted = postsTo(channel).length;
    await dm(user, "7", `Ev${user}answer`);
    await waitFor(() => postsTo(channel).length > posted);
  }

  beforeAll(async () => {
    sut = await startSlack(
      { SLACK_TEACHER_IDS: "U0TEACHER", SLACK_TEACHER_GROUP: "S0TEACHERS" },
      {
        users: { ...USERS, U0NOBODY: null },
        usergroups: { S0TEACHERS: ["U0GROUPTEACHER"], S0STUDENTS: ["U0CARA", "U0HELPERBOT"] },
        channels: {
          C0CLASSA: classOf("U0TEACHER"),
          C0CLASSB: classOf("U0GROUPTEACHER"),
          C0CLASSC: classOf("U0ADMIN"),
          C0CLASSD: classOf("U0OWNER"),
        },
        // Two members a page: a class channel takes three pages.
        maxMembersPerPage: 2,
      },
    );
  });
  afterAll(async () => {
    await sut?.close();
  });

  it("refuses a student's /tutor assign, asking Slack who they are, and changes nothing", async () => {
    const posted = sut.fake.callsTo("chat.postMessage").length;
    const [answer] = await command("U0STUDENT", "C0CLASSA", "assign Halves to <@U0CARA|cara>");
    expect(answer?.body.response_type).toBe("ephemeral");
    expect(shown(answer)).toMatch(/Only teachers/);
    const asked = sut.fake.callsTo("users.info").map((call) => call.body.user);
    expect(asked).toContain("U0STUDENT");
    expect(sut.fake.callsTo("usergroups.users.list")[0]?.body.usergroup).toBe("S0TEACHERS");
    expect(sut.fake.callsTo("chat.postMessage")).toHaveLength(posted);
    expect(sut.fake.callsTo("conversations.members")).toEqual([]);
    expect(await sut.server.app.store.readRecords({ tenant: TENANT, name: "assignments" })).toEqual(
      {},
    );
  });

  it("refuses an admin of another organization (a Slack Connect guest)", async () => {
    const posted = sut.fake.callsTo("chat.postMessage").length;
    const [answer] = await command("U0GUESTADMIN", "C0CLASSA", "assign Halves to <@U0CARA|cara>");
    expect(shown(answer)).toMatch(/Only teachers/);
    expect(sut.fake.callsTo("chat.postMessage")).toHaveLength(posted);
  });

  it("refuses, and never crashes, when Slack fails the teacher check", async () => {
    const posted = sut.fake.callsTo("chat.postMessage").length;
    sut.fake.failNext("users.info", { error: "internal_error" });
    const [answer] = await command("U0ADMINTWO", "C0CLASSA", "assign Halves to <@U0CARA|cara>");
    expect(shown(answer)).toMatch(/Only teachers/);
    expect(sut.fake.callsTo("chat.postMessage")).toHaveLength(posted);
    // The failure is not remembered: the next command asks again, and Slack now answers.
    const id = await assign("U0ADMINTWO", "C0CLASSA", "Halves to <@U0CARA|cara>");
    expect(id).toMatch(/^A\d+$/);
  });

  it.each([
    ["a configured teacher id", "U0TEACHER", "C0CLASSA"],
    ["a member of the teachers' user group", "U0GROUPTEACHER", "C0CLASSB"],
    ["a workspace admin", "U0ADMIN", "C0CLASSC"],
    ["a workspace owner", "U0OWNER", "C0CLASSD"],
  ])(
    "%s assigns a skill to a user and a channel: each student gets a DM with a Start button",
    async (_, teacher, channel) => {
      const id = await assign(
        teacher,
        channel,
        `Adding fractions to <@U0CARA|cara> <#${channel}|class> due in 3 days`,
      );
      await waitFor(() => noticesOf(sut.fake.callsTo("chat.postMessage"), id).length >= 3);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const notices = noticesOf(sut.fake.callsTo("chat.postMessage"), id);
      // Not the teacher, not the app's bot, not another bot, not a deactivated user.
      expect(notices.map((call) => call.body.channel).sort()).toEqual(["D0ANA", "D0BEN", "D0CARA"]);
      for (const notice of notices) {
        expect(shown(notice)).toContain("Adding fractions");
        const start = (notice.body.blocks as { elements?: Record<string, unknown>[] }[])
          .flatMap((block) => block.elements ?? [])
          .find((element) => element.action_id === "start");
        expect(start).toMatchObject({ type: "button", style: "primary", value: id });
      }
      // The channel's members were read page by page.
      const pages = sut.fake
        .callsTo("conversations.members")
        .filter((call) => call.body.channel === channel);
      expect(pages.length).toBe(3);
      expect(pages.slice(1).every((call) => typeof call.body.cursor === "string")).toBe(true);
    },
  );

  it("assigns to a user group's people, and answers an unknown user precisely", async () => {
    const id = await assign("U0TEACHER", "C0CLASSA", "Halves to <!subteam^S0STUDENTS|@students>");
    await waitFor(() => noticesOf(sut.fake.callsTo("chat.postMessage"), id).length >= 1);
    expect(
      noticesOf(sut.fake.callsTo("chat.postMessage"), id).map((call) => call.body.channel),
    ).toEqual(["D0CARA"]);
    const [unknown] = await command("U0TEACHER", "C0CLASSA", "assign Halves to <@U0NOBODY|nobody>");
    expect(shown(unknown)).toMatch(/couldn't find/);
  });

  it("starts practice on the assigned skill when Start is pressed, and takes the button away", async () => {
    const id = await assign("U0TEACHER", "C0CLASSA", "Adding fractions to <@U0DAN|dan>");
    const [notice] = await waitFor(() => postsTo("D0DAN").length >= 1).then(() => postsTo("D0DAN"));
    expect(noticesOf([notice as SlackApiCall], id)).toHaveLength(1);
    const updates = sut.fake.callsTo("chat.update").length;
    await sut.press({
      user: "U0DAN",
      channel: "D0DAN",
      actionId: "start",
      value: id,
      label: "▶ Start",
      ...(notice ? { message: notice } : {}),
    });
    await waitFor(() => postsTo("D0DAN").some((call) => blocksText(call).includes("controls:")));
    const question = postsTo("D0DAN").find((call) => blocksText(call).includes("controls:"));
    // Adding fractions needs Halves first: the assignment brings its prerequisite in.
    expect(blocksText(question)).toContain("Halves");
    expect(blocksText(question)).toContain("needed for an assignment");
    const closed = (await callsOf(sut.fake, "chat.update", updates + 1)).at(-1);
    expect(closed?.body).toMatchObject({ channel: "D0DAN", ts: notice?.response.ts });
    expect(blocksText(closed)).not.toContain('"type":"actions"');
    expect(blocksText(closed)).toContain("Started");
  });

  it("lists open assignments and cancels one, only to the teacher", async () => {
    const id = await assign("U0TEACHER", "C0CLASSA", "Halves to <@U0BEN|ben>");
    const [list] = await command("U0TEACHER", "C0CLASSA", "assignments");
    expect(list?.body.response_type).toBe("ephemeral");
    expect(shown(list)).toContain(id);
    const [cancelled] = await command("U0TEACHER", "C0CLASSA", `unassign ${id}`);
    expect(shown(cancelled)).toMatch(/Cancelled/);
    expect(
      sut.fake.callsTo("chat.postMessage").filter((c) => c.body.channel === "C0CLASSA"),
    ).toEqual([]);
  });

  it("answers /tutor report ephemerally, with the heat map as a PNG uploaded to the teacher's DM", async () => {
    await assign("U0TEACHER", "C0CLASSA", "Halves to <#C0CLASSA|class>");
    const uploaded = sut.fake.files.length;
    const [answer] = await command("U0TEACHER", "C0CLASSA", "report <#C0CLASSA|class>");
    expect(answer?.body.response_type).toBe("ephemeral");
    expect(shown(answer)).toMatch(/Ana/);
    expect(shown(answer)).toMatch(/I've sent .* to our DM/);
    const file = sut.fake.files[uploaded];
    expect(file).toMatchObject({ channelId: "D0TEACHER", isCompleted: true });
    expect(file?.filename).toMatch(/\.png$/);
    expect([...(file?.bytes ?? []).slice(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(file?.bytes?.length).toBe(file?.length);
    // The upload went through Slack's three steps, with the bot's token.
    expect(sut.fake.callsTo("upload").at(-1)?.token).toBe("xoxb-test-token");
    // Nothing of the report in the channel.
    expect(
      sut.fake.callsTo("chat.postMessage").filter((c) => c.body.channel === "C0CLASSA"),
    ).toEqual([]);
  });

  it("in the teacher's DM, answers the report ephemerally and puts the PNG there without a note", async () => {
    const uploaded = sut.fake.files.length;
    const posted = postsTo("D0TEACHER").length;
    const [answer] = await command("U0TEACHER", "D0TEACHER", "report");
    expect(answer?.body.response_type).toBe("ephemeral");
    expect(shown(answer)).not.toMatch(/our DM/);
    expect(sut.fake.files[uploaded]).toMatchObject({ channelId: "D0TEACHER", isCompleted: true });
    expect(postsTo("D0TEACHER")).toHaveLength(posted);
  });

  it("sends /tutor my-data as a JSON file to the learner's DM", async () => {
    const uploaded = sut.fake.files.length;
    const [answer] = await command("U0CARA", "C0CLASSA", "my-data");
    expect(answer?.body.response_type).toBe("ephemeral");
    expect(shown(answer)).toMatch(/to our DM/);
    const file = sut.fake.files[uploaded];
    expect(file).toMatchObject({ channelId: "D0CARA", isCompleted: true });
    expect(file?.filename).toMatch(/\.json$/);
    expect(() => JSON.parse(new TextDecoder().decode(file?.bytes))).not.toThrow();
  });

  it("asks before /tutor forget-me, and deletes the learner once confirmed", async () => {
    const key = { tenant: TENANT, learner: "U0ERIN" };
    await practise("U0ERIN");
    expect((await sut.server.app.store.readLearner(key)).model).toBeDefined();

    const [confirm] = await command("U0ERIN", "D0ERIN", "forget-me");
    expect(confirm?.body.response_type).toBe("ephemeral");
    const blocks = (confirm?.body.blocks ?? []) as {
      type: string;
      elements?: Record<string, unknown>[];
    }[];
    const elements = blocks
      .filter((block) => block.type === "actions")
      .flatMap((block) => block.elements ?? []);
    expect(elements.map((e) => e.action_id)).toEqual(["forget-confirm", "forget-cancel"]);
    expect(elements[0]).toMatchObject({ style: "danger", confirm: { style: "danger" } });

    const id = `press-${++responses}`;
    await sut.press({
      user: "U0ERIN",
      channel: "D0ERIN",
      actionId: "forget-confirm",
      label: "Delete",
      responseId: id,
    });
    await waitFor(() => sut.fake.responsesTo(id).length >= 2);
    const [done, closed] = sut.fake.responsesTo(id);
    expect(done?.body).toMatchObject({ response_type: "ephemeral", replace_original: false });
    expect(shown(done)).toMatch(/deleted/);
    // The confirmation loses its buttons.
    expect(closed?.body).toMatchObject({ replace_original: true });
    expect(blocksText(closed)).not.toContain('"type":"actions"');

    expect(await sut.server.app.store.readLearner(key)).toEqual({});
    expect(await sut.server.app.store.readAttempts(key, 10)).toEqual([]);
    const progress = await sut.server.app.tutor.progress(key);
    expect(progress?.itemsDone).toBe(0);
    expect(progress?.skills.every((skill) => !skill.isStarted)).toBe(true);
  });

  it("keeps everything when forget-me is cancelled", async () => {
    const key = { tenant: TENANT, learner: "U0ANA" };
    await practise("U0ANA");
    const before = await sut.server.app.store.readLearner(key);
    expect(before.model).toBeDefined();
    await command("U0ANA", "C0CLASSA", "forget-me");
    const id = `press-${++responses}`;
    await sut.press({
      user: "U0ANA",
      channel: "C0CLASSA",
      actionId: "forget-cancel",
      label: "Keep",
      responseId: id,
    });
    await waitFor(() => sut.fake.responsesTo(id).length >= 2);
    expect(shown(sut.fake.responsesTo(id)[0])).toMatch(/Nothing was deleted/);
    expect(await sut.server.app.store.readLearner(key)).toEqual(before);
  });
});
