import { join } from "node:path";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { loadCourseFile } from "../../src/content/index.ts";
import { createMemoryStore } from "../../src/store/index.ts";
import {
  type ClassroomPlatform,
  createTutor,
  type Inbound,
  type Job,
  type Notice,
  quietHoursEnd,
  type Reply,
  type Scheduler,
  type TeacherTarget,
} from "../../src/tutor/index.ts";
import { parseLearnerRecord } from "../../src/tutor/records.ts";
import { FIXTURES, questionIn, rightAnswer, silentLogger, wrongAnswer } from "./harness.ts";

/** A platform with a fixed class: #7a holds ana, ben and the teacher. */
function fakePlatform(members: Record<string, readonly string[]> = {}) {
  const sent: { tenant: string; user: string; notice: Notice }[] = [];
  const platform: ClassroomPlatform = {
    async membersOf(_tenant, target: TeacherTarget) {
      if (target.kind === "user") return [target.id];
      return members[target.id];
    },
    async notify(tenant, user, notice) {
      sent.push({ tenant, user, notice });
      return true;
    },
    async describe(_tenant, user) {
      return { name: user.toUpperCase() };
    },
  };
  return { platform, sent };
}

/** A scheduler that only records: the test runs the jobs itself, at the times it chooses. */
function recordingScheduler() {
  const pending = new Map<string, { job: Job; runAt: number }>();
  let anonymous = 0;
  const scheduler: Scheduler = {
    async schedule(job, runAt, id) {
      pending.set(id ?? `anonymous-${++anonymous}`, { job, runAt });
    },
    async cancel(id) {
      pending.delete(id);
    },
    async cancelLearner(tenant, learner) {
      let count = 0;
      for (const [id, { job }] of pending)
        if (job.tenant === tenant && "learner" in job && job.learner === learner) {
          pending.delete(id);
          count++;
        }
      return count;
    },
    async close() {},
  };
  return { scheduler, pending };
}

async function createClass() {
  const course = await loadCourseFile(join(FIXTURES, "mini.yaml"));
  // Monday 23 November 2026, 10:00 in Paris.
  const clock = { now: Date.UTC(2026, 10, 23, 9, 0) };
  const store = createMemoryStore({ clock: { now: () => clock.now } });
  const { scheduler, pending } = recordingScheduler();
  const tutor = createTutor({
    store,
    courses: [course],
    clock: { now: () => clock.now },
    logger: silentLogger,
    scheduler,
    classroom: { timeZone: "Europe/Paris", quietHours: { start: "20:00", end: "07:30" } },
  });
  const members: Record<string, string[]> = { "7a": ["ana", "ben", "teacher"] };
  const { platform, sent } = fakePlatform(members);
  tutor.attachPlatform("test", platform);
  const as = (learner: string, inbound: Partial<Inbound>, isTeacher = false, tenant = "school") =>
    tutor.handle({
      tenant,
      platform: "test",
      learner,
      sender: async () => ({ isTeacher, timeZone: "Europe/Paris" }),
      ...inbound,
    });
  const teacher = (text: string, tenant = "school") => {
    const [name = "", ...rest] = text.split(" ");
    return as("teacher", { command: { name, args: rest.join(" ") } }, true, tenant);
  };
  const record = async (learner: string, tenant = "school") => {
    const data = await store.readLearner({ tenant, learner });
    return data.model === undefined ? undefined : parseLearnerRecord(data.model);
  };
  return { course, clock, store, tutor, sent, pending, members, as, teacher, record };
}

const textOf = (replies: readonly Reply[]) => replies.map((r) => r.text).join("\n");

describe("teachers in the tutor", () => {
  it("refuses teacher commands to learners, and nothing changes", async () => {
    const c = await createClass();
    const replies = await c.as("ana", { command: { name: "assign", args: "add to <@ben>" } });
    expect(replies).toEqual([expect.objectContaining({ kind: "info", isPrivate: true })]);
    expect(textOf(replies)).toContain("Only teachers can use `/tutor assign`");
    expect(c.sent).toEqual([]);
    expect(await c.store.readRecords({ tenant: "school", name: "assignments" })).toEqual({});
  });

  it("answers a command with a mistake precisely, without assigning", async () => {
    const c = await createClass();
    const replies = await c.teacher("assign add to @ben due 12/01");
    expect(textOf(replies)).toContain("12/01");
    expect(c.sent).toEqual([]);
  });

  it("assigns a skill to a channel: each learner (not the teacher) gets a notice with Start", async () => {
    const c = await createClass();
    const replies = await c.teacher('assign add to #7a count 2 due friday note "Before the quiz"');
    expect(replies[0]?.isPrivate).toBe(true);
    expect(textOf(replies)).toContain("Assigned **A1**: Adding fractions to 2 learners (ANA, BEN)");
    expect(textOf(replies)).toContain("due Fri 27 Nov (Europe/Paris)");
    expect(c.sent.map((s) => s.user)).toEqual(["ana", "ben"]);
    expect(c.sent[0]?.notice).toMatchObject({ kind: "assignment", start: { assignmentId: "A1" } });
    expect(c.sent[0]?.notice.text).toContain("Before the quiz");
    // A look for new members of #7a in 15 minutes, a reminder a day before the end of Friday
    // in Paris, and the digest at the due time.
    const dueAt = Date.UTC(2026, 10, 27, 22, 59, 59, 999);
    expect([...c.pending.values()].map((p) => [p.job.type, p.runAt])).toEqual([
      ["members", c.clock.now + 15 * 60_000],
      ["reminder", dueAt - 86_400_000],
      ["digest", dueAt],
    ]);
    expect((await c.record("ana"))?.assignments.A1).toMatchObject({ count: 2, done: 0 });
  });

  it("prioritises the assignment, brings in its prerequisite first, and completes by count", async () => {
    const c = await createClass();
    await c.teacher("assign add to @ana count 2 until count");
    // Start: the prerequisite (halves) comes first, for the assignment.
    let replies = await c.as("ana", { action: { id: "start", value: "A1" } });
    let question = questionIn(replies);
    expect(question).toMatchObject({ skillId: "halves", reason: "assignment-prerequisite" });
    // Two items done for the assignment complete it.
    replies = await c.as("ana", { text: rightAnswer(c.course, question as never) });
    question = questionIn(replies);
    replies = await c.as("ana", { text: rightAnswer(c.course, question as never) });
    expect(textOf(replies)).toContain("Assignment done: 2 questions");
    expect((await c.record("ana"))?.assignments.A1?.completedAt).toBe(c.clock.now);
    // Everyone finished: the digest is due now, and tells the teacher.
    const digest = c.pending.get(JSON.stringify(["digest", "school", "A1"]));
    expect(digest).toMatchObject({ runAt: c.clock.now });
    await c.tutor.runJob(digest?.job as Job);
    expect(c.sent.at(-1)).toMatchObject({ user: "teacher", notice: { kind: "digest" } });
    expect(c.sent.at(-1)?.notice.text).toContain("1/1 learners finished");
    expect(textOf(await c.teacher("assignments"))).toContain("no open assignments");
  });

  it("reminds learners who have not finished, after their quiet hours", async () => {
    const c = await createClass();
    await c.teacher("assign add to @ana @ben due friday");
    await c.as("ben", { action: { id: "start", value: "A1" } });
    const reminder = c.pending.get(JSON.stringify(["reminder", "school", "A1"]));
    // 23:00 in Paris: quiet; each learner's reminder moves to 07:30.
    c.clock.now = reminder?.runAt as number;
    await c.tutor.runJob(reminder?.job as Job);
    expect(c.sent.filter((s) => s.notice.kind === "reminder")).toEqual([]);
    const moved = c.pending.get(JSON.stringify(["reminder", "school", "A1", "ana"]));
    expect(moved?.runAt).toBe(Date.UTC(2026, 10, 27, 6, 30));
    c.clock.now = moved?.runAt as number;
    await c.tutor.runJob(moved?.job as Job);
    expect(c.sent.filter((s) => s.notice.kind === "reminder").map((s) => s.user)).toEqual(["ana"]);
  });

  it("cancels an assignment: gone from the learners, the list and the schedule", async () => {
    const c = await createClass();
    await c.teacher("assign add to @ana due friday");
    expect(textOf(await c.teacher("assignments"))).toContain("**A1** Adding fractions");
    expect(textOf(await c.teacher("unassign A1"))).toContain("Cancelled **A1**");
    expect((await c.record("ana"))?.assignments).toEqual({});
    expect(c.pending.size).toBe(0);
    expect(textOf(await c.teacher("unassign A1"))).toContain("no assignment A1");
  });

  it("gives a channel's assignment to those who join it later: at the next check, or at once when the platform says so", async () => {
    const c = await createClass();
    await c.teacher("assign add to #7a due friday");
    const membersJob = JSON.stringify(["members", "school", "A1"]);
    const check = c.pending.get(membersJob);
    expect(check?.runAt).toBe(c.clock.now + 15 * 60_000);

    // cleo joins #7a: the periodic check gives her A1, and looks again 15 minutes later.
    c.members["7a"]?.push("cleo");
    c.clock.now = check?.runAt as number;
    await c.tutor.runJob(check?.job as Job);
    expect(c.sent.map((s) => s.user)).toEqual(["ana", "ben", "cleo"]);
    expect(c.sent.at(-1)?.notice).toMatchObject({
      kind: "assignment",
      start: { assignmentId: "A1" },
    });
    expect((await c.record("cleo"))?.assignments.A1).toMatchObject({ done: 0 });
    expect(c.pending.get(membersJob)?.runAt).toBe(c.clock.now + 15 * 60_000);
    // Nobody new: nothing is sent twice.
    await c.tutor.runJob(check?.job as Job);
    expect(c.sent).toHaveLength(3);

    // dan joins and the platform reports it: no wait for the next check. Another channel's
    // news changes nothing.
    c.members["7a"]?.push("dan");
    await c.tutor.membersChanged("school", "test", { kind: "channel", id: "7b" });
    expect(c.sent).toHaveLength(3);
    await c.tutor.membersChanged("school", "test", { kind: "channel", id: "7a" });
    expect(c.sent.at(-1)).toMatchObject({ user: "dan", notice: { kind: "assignment" } });
    expect(textOf(await c.teacher("assignments"))).toContain("0/4 done");
    const report = textOf(await c.teacher("report A1"));
    expect(report).toContain("(4 learners)");
    expect(report).toContain("DAN");

    // Closed at the due time: the digest counts everyone, the record keeps them, and no check
    // is left.
    c.clock.now = c.pending.get(JSON.stringify(["digest", "school", "A1"]))?.runAt as number;
    await c.tutor.runJob({ type: "digest", tenant: "school", assignmentId: "A1" });
    expect(c.sent.at(-1)?.notice.text).toContain("0/4 learners finished");
    const closed = JSON.parse(
      (await c.store.readRecords({ tenant: "school", name: "assignments" })).A1 as string,
    );
    expect(closed).toMatchObject({ status: "closed", learners: ["ana", "ben", "cleo", "dan"] });
    expect(await c.store.readRecords({ tenant: "school", name: "joined:A1" })).toEqual({});
    expect(c.pending.has(membersJob)).toBe(false);
    c.members["7a"]?.push("eve");
    await c.tutor.runJob(check?.job as Job);
    await c.tutor.membersChanged("school", "test");
    expect(c.sent.map((s) => s.user)).not.toContain("eve");
  });

  it("forgets a later joiner entirely; still in the channel, they get it again like a newcomer", async () => {
    const c = await createClass();
    await c.teacher("assign add to #7a");
    c.members["7a"]?.push("cleo");
    await c.tutor.membersChanged("school", "test");
    expect((await c.record("cleo"))?.assignments.A1).toBeDefined();
    await c.as("cleo", { action: { id: "forget-confirm" } });
    expect(await c.record("cleo")).toBeUndefined();
    expect(await c.store.readRecords({ tenant: "school", name: "joined:A1" })).toEqual({});
    expect(textOf(await c.teacher("assignments"))).toContain("0/2 done");
    await c.tutor.runJob({ type: "members", tenant: "school", assignmentId: "A1" });
    expect((await c.record("cleo"))?.assignments.A1).toMatchObject({ done: 0 });
    expect(c.sent.filter((s) => s.user === "cleo")).toHaveLength(2);
    // Cancelled: every learner loses it, later joiners included, and no check is left.
    expect(textOf(await c.teacher("unassign A1"))).toContain("for 3 learners");
    expect((await c.record("cleo"))?.assignments).toEqual({});
    expect(await c.store.readRecords({ tenant: "school", name: "joined:A1" })).toEqual({});
    expect(c.pending.size).toBe(0);

    // An assignment to individuals has nobody to look for.
    await c.teacher("assign add to @ana");
    expect([...c.pending.values()].map((p) => p.job.type)).not.toContain("members");
  });

  it("reports mastery, practice time, stuck learners and misconceptions, with a heat map", async () => {
    const c = await createClass();
    // ana practises well; ben keeps giving the "double" answer on half-of-8.
    for (const learner of ["ana", "ben"]) {
      let question = questionIn(await c.as(learner, { text: "start" }));
      for (let turn = 0; turn < 60 && question; turn++) {
        c.clock.now += 30_000;
        const answer =
          learner === "ana"
            ? rightAnswer(c.course, question)
            : question.itemId === "half-of-8"
              ? "16"
              : ["free", "text"].includes(question.itemType)
                ? "skip"
                : wrongAnswer(c.course, question);
        question = questionIn(await c.as(learner, { text: answer })) ?? question;
      }
    }
    const replies = await c.teacher("report");
    const text = textOf(replies);
    expect(text).toContain("Report: Mini fractions, all learners** (2 learners)");
    expect(text).toMatch(/ANA\s+2\/2/);
    expect(text).toMatch(/BEN\s+0\/2\s+\d+ min/);
    expect(text).toContain("BEN: Halves");
    expect(text).toMatch(
      /Doubles instead of halving. \(Halves\): \d+ times?, 1 learner; typical answer `16`/,
    );
    const image = replies[0]?.attachments?.[0];
    expect(image).toMatchObject({ mimeType: "image/png", name: "socra-report-mini.png" });
    const png = PNG.sync.read(Buffer.from(image?.data as Uint8Array));
    expect(png.height).toBe(162 + 42 * 2 + 20 * 2);
  });

  it("keeps tenants apart: a teacher sees only their own workspace's learners", async () => {
    const c = await createClass();
    await c.as("ana", { text: "start" });
    await c.as("zoe", { text: "start" }, false, "other-school");
    const report = textOf(await c.teacher("report", "other-school"));
    expect(report).toContain("ZOE");
    expect(report).not.toContain("ANA");
    await c.teacher("assign add to @ana", "school");
    expect(textOf(await c.teacher("unassign A1", "other-school"))).toContain("no assignment A1");
  });

  it("sends learners their data as a JSON file, and forgets them on confirmation", async () => {
    const c = await createClass();
    await c.teacher("assign add to @ana due friday");
    const question = questionIn(await c.as("ana", { text: "start" }));
    await c.as("ana", { text: rightAnswer(c.course, question as never) });
    const [data] = await c.as("ana", { command: { name: "my-data", args: "" } });
    const file = JSON.parse(new TextDecoder().decode(data?.attachments?.[0]?.data));
    expect(file).toMatchObject({ tenant: "school", learner: "ana", assignments: { A1: {} } });
    expect(file.attempts.length).toBeGreaterThan(0);

    const [confirm] = await c.as("ana", { command: { name: "forget-me", args: "" } });
    expect(confirm).toMatchObject({ kind: "confirm", action: "forget-confirm" });
    expect(await c.as("ana", { action: { id: "forget-cancel" } })).toEqual([
      expect.objectContaining({ text: "Nothing was deleted." }),
    ]);
    expect(await c.record("ana")).toBeDefined();
    const [done] = await c.as("ana", { action: { id: "forget-confirm" } });
    expect(done).toMatchObject({ kind: "info", code: "forgotten" });
    expect(await c.record("ana")).toBeUndefined();
    expect(await c.store.readAttempts({ tenant: "school", learner: "ana" }, 10)).toEqual([]);
    expect(await c.store.readRecords({ tenant: "school", name: "learners" })).not.toHaveProperty(
      "ana",
    );
    const assignment = JSON.parse(
      (await c.store.readRecords({ tenant: "school", name: "assignments" })).A1 as string,
    );
    expect(assignment.learners).toEqual([]);
    expect([...c.pending.values()].some((p) => "learner" in p.job && p.job.learner === "ana")).toBe(
      false,
    );
  });

  it("nudges a learner who asked for reviews when one falls due", async () => {
    const c = await createClass();
    expect(textOf(await c.as("ana", { command: { name: "reminders", args: "on" } }))).toContain(
      "Review reminders are on",
    );
    let replies = await c.as("ana", { text: "start" });
    for (let turn = 0; turn < 20 && questionIn(replies); turn++)
      replies = await c.as("ana", { text: rightAnswer(c.course, questionIn(replies) as never) });
    const nudge = c.pending.get(JSON.stringify(["nudge", "school", "ana"]));
    expect(nudge?.runAt).toBeGreaterThan(c.clock.now);
    c.clock.now = Math.max(nudge?.runAt as number, Date.UTC(2026, 11, 10, 12, 0));
    await c.tutor.runJob(nudge?.job as Job);
    expect(c.sent.at(-1)).toMatchObject({ user: "ana", notice: { kind: "review", start: {} } });
  });
});

describe("quiet hours", () => {
  const quiet = { start: "20:00", end: "07:30" };
  it.each([
    ["before quiet hours", Date.UTC(2026, 10, 23, 18, 59), undefined],
    ["in the evening", Date.UTC(2026, 10, 23, 19, 0), Date.UTC(2026, 10, 24, 6, 30)],
    ["after midnight", Date.UTC(2026, 10, 24, 2, 0), Date.UTC(2026, 10, 24, 6, 30)],
    ["in the morning", Date.UTC(2026, 10, 24, 6, 30), undefined],
  ])("%s in Paris", (_, at, end) => {
    expect(quietHoursEnd(at, "Europe/Paris", quiet)).toBe(end);
  });
  it("follows a daylight-saving change", () => {
    // 29 March 2026: Paris moves from UTC+1 to UTC+2 at 02:00.
    expect(quietHoursEnd(Date.UTC(2026, 2, 28, 23, 0), "Europe/Paris", quiet)).toBe(
      Date.UTC(2026, 2, 29, 5, 30),
    );
  });
});
