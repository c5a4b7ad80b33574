import type { Course } from "../content/index.ts";
import { type Assignment, chooseNextTarget, isStuck, skillProgress } from "../engine/index.ts";
import { renderHeatmap } from "./heatmap.ts";
import type { Attachment, ConfirmReply, Inbound, Reply, Sender } from "./messages.ts";
import type {
  ClassroomPlatform,
  Clock,
  Job,
  LearnerKey,
  Logger,
  Scheduler,
  TutorStore,
} from "./ports.ts";
import {
  type LearnerAssignment,
  type LearnerRecord,
  newLearnerRecord,
  parseLearnerRecord,
  serializeLearnerRecord,
} from "./records.ts";
import { type CourseRuntime, engineId } from "./runtime.ts";
import {
  type AssignCommand,
  parseTeacherCommand,
  type ReportCommand,
  resolveAssignable,
  type TeacherTarget,
} from "./teacher-commands.ts";

/*
 * Teachers and learners' data rights: assignments (stored once per tenant for the teacher, and
 * in each assignee's record for the engine), reports, reminders and digests through the
 * scheduler, `/tutor my-data` and `/tutor forget-me`.
 *
 * Store layout (record sets of the tenant): `assignments` (id → assignment), `learners` (the
 * roster: learner id → platform and first seen), `joined:ID` (learners who joined assignment
 * ID's channel or group after it was made, each written alone so no write loses another). A
 * learner's own assignments and their progress live in their record, changed under their turn
 * lock.
 */

export interface ClassroomOptions {
  /** For due dates and quiet hours when the platform does not know a person's time zone. */
  readonly timeZone: string;
  /** Local times ("20:00", "07:30") between which no reminder or nudge is sent. */
  readonly quietHours?: { readonly start: string; readonly end: string };
}

export interface ClassroomDeps {
  readonly store: TutorStore;
  readonly runtimes: ReadonlyMap<string, CourseRuntime>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly scheduler?: Scheduler;
  readonly options: ClassroomOptions;
  /** Deletes what the LLM layer keeps about a learner (token counters). */
  readonly forgetLlmData?: (key: LearnerKey) => Promise<void>;
}

/** An assignment as the teacher's tenant keeps it. */
export interface AssignmentRecord {
  readonly id: string;
  readonly courseId: string;
  readonly skillIds: readonly string[];
  /** The skill's or course's name. */
  readonly title: string;
  readonly platform: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly dueAt?: number;
  /** The due day as the teacher wrote it (YYYY-MM-DD in their time zone). */
  readonly dueDate?: string;
  readonly timeZone: string;
  readonly count?: number;
  readonly completion: "mastery" | "count";
  readonly note?: string;
  /** Who it was assigned to, as written. */
  readonly targets: readonly string[];
  /** The channels and groups among the targets: whoever joins them later gets it too. */
  readonly groups?: readonly AssignedGroup[];
  /** The learners it was made for; later joiners are in the `joined:ID` record set (learnersOf). */
  readonly learners: readonly string[];
  readonly status: "open" | "closed" | "cancelled";
  readonly closedAt?: number;
}

export interface AssignedGroup {
  readonly kind: "channel" | "group";
  readonly id: string;
}

/** Commands of this module, as typed after `/tutor`. */
const TEACHER_ONLY = ["assign", "assignments", "unassign", "report"] as const;
const DATA_COMMANDS = ["my-data", "forget-me"] as const;
export type ClassroomCommand = (typeof TEACHER_ONLY)[number] | (typeof DATA_COMMANDS)[number];

export function isClassroomCommand(name: string): name is ClassroomCommand {
  return ([...TEACHER_ONLY, ...DATA_COMMANDS] as readonly string[]).includes(name);
}

/** The record set naming every tenant with learners (for exports across tenants). */
export const TENANTS_KEY = { tenant: "*", name: "tenants" } as const;
/** A tenant's roster: learner id → `{ platform }`. */
export const ROSTER_NAME = "learners";
const ASSIGNMENTS = "assignments";
const ROSTER = ROSTER_NAME;
const ASSIGNMENT_IDS = "assignment-ids";
/** Ids are counted for ever; the counter's expiry only has to be far away. */
const ID_COUNTER_TTL_MS = 100 * 365 * 86_400_000;
/** How often an open assignment's channels and groups are checked for new members. */
const MEMBERS_CHECK_MS = 15 * 60_000;
/** A reminder goes out this long before the due time. */
const REMIND_BEFORE_MS = 24 * 3_600_000;
/** First attempts on a skill without mastering it after which a learner may count as stuck. */
const STUCK_ATTEMPTS = 12;
/** Gaps between a learner's actions longer than this are not practice time. */
const IDLE_GAP_MS = 5 * 60_000;
/** Attempt-log entries read per learner for a report. */
const REPORT_LOG = 1000;
const MAX_REPORT_LEARNERS = 200;

export interface Classroom {
  attach(name: string, platform: ClassroomPlatform): void;
  /** A teacher or data command; replies only to whoever typed it. */
  command(inbound: Inbound, name: ClassroomCommand, args: string): Promise<Reply[]>;
  /** After a learner's data was erased: their roster entry, assignments' lists and jobs. */
  forget(key: LearnerKey, record: LearnerRecord | undefined): Promise<void>;
  /** Adds a learner to their tenant's roster (once per learner). */
  enroll(key: LearnerKey, platform: string, record: LearnerRecord): Promise<void>;
  /** The engine's view of the learner's open assignments in a course. */
  assignmentsFor(record: LearnerRecord, course: Course): Assignment[];
  /**
   * A platform saw people join a channel or group (or, without `group`, its members change in
   * ways it cannot pin down): open assignments made to it reach the newcomers now, not at the
   * next periodic check.
   */
  membersChanged(tenant: string, platform: string, group?: AssignedGroup): Promise<void>;
  /** Marks finished assignments; returns the ids that were completed now. */
  settle(record: LearnerRecord, runtime: CourseRuntime, now: number): string[];
  /** After a turn that completed assignments: the teacher's digest once everyone is done. */
  completed(tenant: string, assignmentIds: readonly string[]): Promise<void>;
  /** Schedules (or moves) the learner's review nudge when they asked for them. */
  planNudge(
    key: LearnerKey,
    platform: string,
    record: LearnerRecord,
    runtime: CourseRuntime,
  ): Promise<void>;
  runJob(job: Job): Promise<void>;
}

export function createClassroom(deps: ClassroomDeps): Classroom {
  const { store, runtimes, clock, scheduler, options } = deps;
  const log = deps.logger.child({ module: "classroom" });
  const platforms = new Map<string, ClassroomPlatform>();
  const courses = [...runtimes.values()].map((r) => r.course);

  const shared = (tenant: string, name: string) => ({ tenant, name });

  async function readAssignments(tenant: string): Promise<AssignmentRecord[]> {
    const records = await store.readRecords(shared(tenant, ASSIGNMENTS));
    return Object.values(records)
      .map((json) => JSON.parse(json) as AssignmentRecord)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async function readAssignment(tenant: string, id: string): Promise<AssignmentRecord | undefined> {
    const records = await store.readRecords(shared(tenant, ASSIGNMENTS));
    const key = Object.keys(records).find(
      (k) => k.toLowerCase() === id.toLowerCase().replace("-", ""),
    );
    return key === undefined ? undefined : (JSON.parse(records[key] as string) as AssignmentRecord);
  }

  const saveAssignment = (tenant: string, assignment: AssignmentRecord) =>
    store.putRecord(shared(tenant, ASSIGNMENTS), assignment.id, JSON.stringify(assignment));

  const joinedKey = (tenant: string, assignmentId: string) =>
    shared(tenant, `joined:${assignmentId}`);

  /** Everyone an assignment reaches: those it was made for and those who joined since. */
  async function learnersOf(tenant: string, a: AssignmentRecord): Promise<string[]> {
    if (!a.groups?.length) return [...a.learners];
    const joined = await store.readRecords(joinedKey(tenant, a.id));
    const later = Object.keys(joined).filter((l) => !a.learners.includes(l));
    return [...a.learners, ...later.sort()];
  }

  /** Ends an assignment: its learners folded into the record, so it no longer needs `joined:ID`. */
  async function closeAssignment(
    tenant: string,
    a: AssignmentRecord,
    status: "closed" | "cancelled",
  ): Promise<AssignmentRecord> {
    const closed = {
      ...a,
      learners: await learnersOf(tenant, a),
      status,
      closedAt: clock.now(),
    } satisfies AssignmentRecord;
    await saveAssignment(tenant, closed);
    if (a.groups?.length) await store.deleteShared(joinedKey(tenant, a.id));
    return closed;
  }

  async function readRecord(key: LearnerKey): Promise<LearnerRecord | undefined> {
    const data = await store.readLearner(key);
    if (data.model === undefined) return undefined;
    try {
      return parseLearnerRecord(data.model);
    } catch (error) {
      log.warn({ err: error }, "unreadable learner record left out");
      return undefined;
    }
  }

  /** Changes a learner's record under their turn lock (a learner who never wrote gets one). */
  async function updateLearner(
    key: LearnerKey,
    change: (record: LearnerRecord) => void,
  ): Promise<void> {
    const turn = await store.beginTurn(key);
    if (turn === "duplicate") return;
    try {
      const record = turn.data.model
        ? parseLearnerRecord(turn.data.model)
        : newLearnerRecord(clock.now());
      change(record);
      await turn.commit({ model: serializeLearnerRecord(record) });
    } catch (error) {
      await turn.release().catch(() => {});
      throw error;
    }
  }

  async function roster(tenant: string): Promise<string[]> {
    return Object.keys(await store.readRecords(shared(tenant, ROSTER))).sort();
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  async function command(inbound: Inbound, name: ClassroomCommand, args: string): Promise<Reply[]> {
    const key = { tenant: inbound.tenant, learner: inbound.learner };
    if (name === "my-data") return myData(key);
    if (name === "forget-me") return [forgetConfirmation()];
    const platform = platforms.get(inbound.platform);
    const sender = await senderOf(inbound);
    if (!sender.isTeacher || !platform)
      return [
        privately(
          `Only teachers can use \`/tutor ${name}\`. Ask your teacher or a workspace admin if you think you should be one.`,
        ),
      ];
    const timeZone = sender.timeZone ?? options.timeZone;
    const parsed = parseTeacherCommand(`${name} ${args}`, {
      now: clock.now(),
      timeZone,
      platform:
        inbound.platform === "slack" || inbound.platform === "discord"
          ? inbound.platform
          : "console",
      isAssignmentId: (word) => /^a-?\d+$/i.test(word),
    });
    if (!parsed.ok) return [privately(parsed.message)];
    const teacher = {
      tenant: inbound.tenant,
      id: inbound.learner,
      platform,
      platformName: inbound.platform,
      timeZone,
    };
    switch (parsed.command.name) {
      case "assign":
        return assign(teacher, parsed.command);
      case "assignments":
        return listAssignments(teacher);
      case "unassign":
        return unassign(teacher, parsed.command.assignmentId);
      case "report":
        return report(teacher, parsed.command);
      default:
        return [
          privately(
            "That command is for learners' own data: `/tutor my-data`, `/tutor forget-me`.",
          ),
        ];
    }
  }

  async function senderOf(inbound: Inbound): Promise<Sender> {
    if (!inbound.sender) return { isTeacher: false };
    try {
      return await inbound.sender();
    } catch (error) {
      log.warn({ err: error }, "could not ask the platform who sent a teacher command");
      return { isTeacher: false };
    }
  }

  interface Teacher {
    readonly tenant: string;
    readonly id: string;
    readonly platform: ClassroomPlatform;
    readonly platformName: string;
    readonly timeZone: string;
  }

  async function assign(teacher: Teacher, cmd: AssignCommand): Promise<Reply[]> {
    const what = resolveAssignable(cmd.assignable, courses);
    if (!what.ok) return [privately(what.message)];
    const runtime = runtimes.get(what.assignable.courseId) as CourseRuntime;
    const skillIds =
      what.assignable.kind === "skill"
        ? [what.assignable.skillId]
        : runtime.course.skills.map((s) => s.id);
    const learners = new Set<string>();
    const unknown: string[] = [];
    for (const target of cmd.targets) {
      const members = await membersOf(teacher, target);
      if (members === undefined) unknown.push(target.text);
      else for (const member of members) if (member !== teacher.id) learners.add(member);
    }
    if (unknown.length > 0)
      return [privately(`${notFound(unknown, teacher.platformName)} Nothing was assigned.`)];
    if (learners.size === 0)
      return [
        privately(
          `There is nobody to assign to in ${cmd.targets.map((t) => t.text).join(", ")} (I leave out you, other teachers and bots). Nothing was assigned.`,
        ),
      ];
    const now = clock.now();
    const groups = cmd.targets.flatMap(({ kind, id }): AssignedGroup[] =>
      kind === "user" ? [] : [{ kind, id }],
    );
    const number = await store.addToCounter(
      shared(teacher.tenant, ASSIGNMENT_IDS),
      1,
      ID_COUNTER_TTL_MS,
    );
    const assignment: AssignmentRecord = {
      id: `A${number}`,
      courseId: runtime.course.id,
      skillIds,
      title: what.name,
      platform: teacher.platformName,
      createdBy: teacher.id,
      createdAt: now,
      ...(cmd.due ? { dueAt: cmd.due.dueAt, dueDate: cmd.due.date } : {}),
      timeZone: teacher.timeZone,
      ...(cmd.count === undefined ? {} : { count: cmd.count }),
      completion: cmd.completion,
      ...(cmd.note === undefined ? {} : { note: cmd.note }),
      targets: cmd.targets.map((t) => t.label ?? t.text),
      ...(groups.length > 0 ? { groups } : {}),
      learners: [...learners].sort(),
      status: "open",
    };
    await saveAssignment(teacher.tenant, assignment);
    const undelivered: string[] = [];
    for (const learner of assignment.learners) {
      const isSent = await giveAssignment(teacher.tenant, assignment, learner, teacher.platform);
      if (!isSent) undelivered.push(learner);
    }
    await planAssignmentJobs(teacher.tenant, assignment);
    log.info(
      { tenant: teacher.tenant, assignment: assignment.id, learners: learners.size },
      "assignment created",
    );
    const names = await namesOf(teacher.tenant, teacher.platform, assignment.learners.slice(0, 10));
    const lines = [
      `Assigned **${assignment.id}**: ${assignment.title} to ${plural(learners.size, "learner")} (${[...names.values()].join(", ")}${learners.size > 10 ? ", …" : ""}).`,
      describeTerms(assignment),
    ];
    if (undelivered.length > 0)
      lines.push(
        `I couldn't message ${plural(undelivered.length, "learner")}; they will see it when they next practise.`,
      );
    return [privately(lines.join("\n"))];
  }

  /** Puts the assignment in the learner's record, on the roster, and tells them; false: not told. */
  async function giveAssignment(
    tenant: string,
    a: AssignmentRecord,
    learner: string,
    platform: ClassroomPlatform,
  ): Promise<boolean> {
    const key = { tenant, learner };
    const entry: LearnerAssignment = {
      courseId: a.courseId,
      skillIds: a.skillIds,
      createdAt: a.createdAt,
      ...(a.dueAt === undefined ? {} : { dueAt: a.dueAt }),
      ...(a.count === undefined ? {} : { count: a.count }),
      completion: a.completion,
      done: 0,
    };
    await updateLearner(key, (record) => {
      record.assignments[a.id] ??= entry;
    });
    await addToRoster(key, a.platform);
    return platform
      .notify(tenant, learner, {
        kind: "assignment",
        text: assignmentNotice(a),
        start: { assignmentId: a.id },
      })
      .catch((error: unknown) => {
        log.warn({ err: error }, "could not deliver an assignment");
        return false;
      });
  }

  /**
   * Gives an open assignment to the members of its channels and groups who do not have it yet
   * (people who joined after it was made); returns how many.
   */
  async function admitNewMembers(tenant: string, a: AssignmentRecord): Promise<number> {
    const platform = platforms.get(a.platform);
    if (a.status !== "open" || !platform || !a.groups?.length) return 0;
    const joined = await store.readRecords(joinedKey(tenant, a.id));
    const known = new Set([...a.learners, ...Object.keys(joined), a.createdBy]);
    const newcomers = new Set<string>();
    for (const group of a.groups) {
      const members = await platform.membersOf(tenant, { ...group, text: group.id });
      for (const member of members ?? []) if (!known.has(member)) newcomers.add(member);
    }
    for (const learner of newcomers) {
      await store.putRecord(joinedKey(tenant, a.id), learner, String(clock.now()));
      await giveAssignment(tenant, a, learner, platform);
    }
    if (newcomers.size > 0)
      log.info(
        { tenant, assignment: a.id, learners: newcomers.size },
        "assignment reached new members",
      );
    return newcomers.size;
  }

  async function membersChanged(
    tenant: string,
    platformName: string,
    group?: AssignedGroup,
  ): Promise<void> {
    for (const a of await readAssignments(tenant)) {
      if (a.status !== "open" || a.platform !== platformName) continue;
      if (group && !a.groups?.some((g) => g.kind === group.kind && g.id === group.id)) continue;
      await admitNewMembers(tenant, a).catch((error: unknown) =>
        log.warn({ err: error, assignment: a.id }, "could not give an assignment to new members"),
      );
    }
  }

  async function membersOf(
    teacher: Teacher,
    target: TeacherTarget,
  ): Promise<readonly string[] | undefined> {
    try {
      return await teacher.platform.membersOf(teacher.tenant, target);
    } catch (error) {
      log.warn({ err: error, kind: target.kind }, "could not list a target's members");
      return undefined;
    }
  }

  function describeTerms(a: AssignmentRecord): string {
    const parts = [
      a.completion === "count"
        ? `Done after ${plural(a.count ?? 0, "item")}`
        : `Done when mastered${a.count === undefined ? "" : `, at least ${plural(a.count, "item")}`}`,
      a.dueAt === undefined
        ? "no due date"
        : `due ${formatDay(a.dueAt, a.timeZone)} (${a.timeZone})`,
    ];
    return `${parts.join(", ")}.${a.note ? ` Note: “${a.note}”` : ""}`;
  }

  function assignmentNotice(a: AssignmentRecord): string {
    const due = a.dueAt === undefined ? "" : ` Due ${formatDay(a.dueAt, a.timeZone)}.`;
    const goal =
      a.completion === "count"
        ? `Practise ${plural(a.count ?? 0, "question")}.`
        : "Practise until you've mastered it.";
    return `📚 Your teacher assigned you **${a.title}**. ${goal}${due}${a.note ? `\n> ${a.note}` : ""}`;
  }

  async function listAssignments(teacher: Teacher): Promise<Reply[]> {
    const open = (await readAssignments(teacher.tenant)).filter((a) => a.status === "open");
    if (open.length === 0)
      return [
        privately(
          "There are no open assignments. Create one with `/tutor assign SKILL to @learner`.",
        ),
      ];
    const lines = ["**Open assignments**"];
    for (const a of open) {
      const done = await completionOf(teacher.tenant, a);
      lines.push(
        `• **${a.id}** ${a.title} → ${a.targets.join(", ")}: ${done.complete}/${done.byLearner.size} done${a.dueAt === undefined ? "" : `, due ${formatDay(a.dueAt, a.timeZone)}`}`,
      );
    }
    lines.push("Cancel one with `/tutor unassign ID`; details with `/tutor report ID`.");
    return [privately(lines.join("\n"))];
  }

  async function completionOf(tenant: string, a: AssignmentRecord) {
    let complete = 0;
    let items = 0;
    const byLearner = new Map<string, LearnerAssignment | undefined>();
    for (const learner of await learnersOf(tenant, a)) {
      const entry = (await readRecord({ tenant, learner }))?.assignments[a.id];
      byLearner.set(learner, entry);
      if (entry?.completedAt !== undefined) complete++;
      items += entry?.done ?? 0;
    }
    return { complete, items, byLearner };
  }

  async function unassign(teacher: Teacher, id: string): Promise<Reply[]> {
    const a = await readAssignment(teacher.tenant, id);
    if (!a || a.status === "cancelled")
      return [
        privately(`There is no assignment ${id} here. \`/tutor assignments\` lists the open ones.`),
      ];
    const cancelled = await closeAssignment(teacher.tenant, a, "cancelled");
    for (const learner of cancelled.learners)
      await updateLearner({ tenant: teacher.tenant, learner }, (record) => {
        delete record.assignments[a.id];
      });
    await cancelAssignmentJobs(teacher.tenant, cancelled);
    return [
      privately(
        `Cancelled **${a.id}** (${a.title}); it no longer comes first for ${plural(cancelled.learners.length, "learner")}.`,
      ),
    ];
  }

  // -------------------------------------------------------------------------------------------
  // Reports

  async function report(teacher: Teacher, cmd: ReportCommand): Promise<Reply[]> {
    const tenant = teacher.tenant;
    let learners: string[];
    let assignment: AssignmentRecord | undefined;
    let scopeText = "all learners";
    if (cmd.scope?.kind === "assignment") {
      assignment = await readAssignment(tenant, cmd.scope.assignmentId);
      if (!assignment) return [privately(`There is no assignment ${cmd.scope.assignmentId} here.`)];
      learners = await learnersOf(tenant, assignment);
      scopeText = `assignment ${assignment.id} (${assignment.title})`;
    } else if (cmd.scope?.kind === "target") {
      const members = await membersOf(teacher, cmd.scope.target);
      if (members === undefined)
        return [privately(notFound([cmd.scope.target.text], teacher.platformName))];
      const known = new Set(await roster(tenant));
      learners = members.filter((m) => known.has(m));
      scopeText = cmd.scope.target.label ?? cmd.scope.target.text;
    } else {
      learners = await roster(tenant);
    }
    learners = learners.filter((l) => l !== teacher.id).slice(0, MAX_REPORT_LEARNERS);
    let runtime = assignment ? runtimes.get(assignment.courseId) : undefined;
    let skillIds = assignment?.skillIds;
    if (cmd.skill !== undefined) {
      const what = resolveAssignable(cmd.skill, courses);
      if (!what.ok) return [privately(what.message)];
      runtime = runtimes.get(what.assignable.courseId);
      skillIds = what.assignable.kind === "skill" ? [what.assignable.skillId] : undefined;
    }
    const records = new Map<string, LearnerRecord>();
    for (const learner of learners) {
      const record = await readRecord({ tenant, learner });
      if (record) records.set(learner, record);
    }
    if (!runtime) runtime = mostCommonCourse(records);
    const course = runtime.course;
    const skills = course.skills.filter((s) => skillIds === undefined || skillIds.includes(s.id));
    if (learners.length === 0) return [privately(`No learners to report on for ${scopeText} yet.`)];
    const names = await namesOf(tenant, teacher.platform, learners);
    const openAssignments = await Promise.all(
      (assignment
        ? [assignment]
        : (await readAssignments(tenant)).filter(
            (a) => a.status === "open" && a.courseId === course.id,
          )
      ).map(async (a) => ({ ...a, learners: await learnersOf(tenant, a) })),
    );
    const rows: ReportRow[] = [];
    const misconceptions = new Map<
      string,
      { count: number; learners: Set<string>; answers: Map<string, number> }
    >();
    for (const learner of learners) {
      const record = records.get(learner);
      const log = await readLog({ tenant, learner });
      const mastery = skills.map((skill) => {
        if (!record) return null;
        const id = engineId(course, skill.id);
        const stats = record.state.evidence.skills[id];
        if ((stats?.attempts ?? 0) === 0) return null;
        return skillProgress(record.state, runtime.model, id);
      });
      const stuck: ReportRow["stuck"][number][] = [];
      const state = record?.state;
      for (const skill of skills) {
        const id = engineId(course, skill.id);
        if (!state || !isStuck(state, runtime.model, id, STUCK_ATTEMPTS)) continue;
        stuck.push({
          name: skill.name,
          attempts: state.evidence.skills[id]?.attempts ?? 0,
          hints: log.filter((e) => e.kind === "hint" && e.skill === skill.id).length,
        });
      }
      for (const entry of log) {
        if (entry.course !== course.id || entry.misconception === undefined) continue;
        if (!skills.some((s) => s.id === entry.skill)) continue;
        const id = `${entry.skill}/${entry.misconception}`;
        const m = misconceptions.get(id) ?? {
          count: 0,
          learners: new Set<string>(),
          answers: new Map<string, number>(),
        };
        m.count++;
        m.learners.add(learner);
        if (entry.answer) m.answers.set(entry.answer, (m.answers.get(entry.answer) ?? 0) + 1);
        misconceptions.set(id, m);
      }
      rows.push({
        name: names.get(learner) ?? learner,
        mastery,
        practiceMs: practiceTime(log.filter((e) => e.course === course.id)),
        assignments: openAssignments
          .filter((a) => a.learners.includes(learner))
          .map((a) => {
            const entry = record?.assignments[a.id];
            return `${a.id} ${entry?.completedAt !== undefined ? "done" : a.completion === "count" ? `${entry?.done ?? 0}/${a.count}` : `${entry?.done ?? 0} items`}`;
          }),
        stuck,
      });
    }
    const table = reportTable(
      rows,
      skills.map((s) => s.name),
    );
    const topMisconceptions = [...misconceptions.entries()]
      .sort((a, b) => b[1].count - a[1].count)
      .slice(0, 5)
      .map(([id, m]) => {
        const [skillId = "", misconceptionId = ""] = id.split("/");
        const skill = course.skill(skillId);
        const description =
          skill?.misconceptions.find((x) => x.id === misconceptionId)?.description ??
          misconceptionId;
        const typical = [...m.answers.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
        return `• ${description} (${skill?.name ?? skillId}): ${plural(m.count, "time")}, ${plural(m.learners.size, "learner")}${typical ? `; typical answer \`${typical}\`` : ""}`;
      });
    const stuckLines = rows.flatMap((r) =>
      r.stuck.map(
        (s) =>
          `• ${r.name}: ${s.name} (${plural(s.attempts, "attempt")}, ${plural(s.hints, "hint")}, not mastered)`,
      ),
    );
    const text = [
      `**Report: ${course.title}, ${scopeText}** (${plural(learners.length, "learner")})`,
      `\`\`\`\n${table}\n\`\`\``,
      `**Stuck**\n${stuckLines.length > 0 ? stuckLines.join("\n") : "Nobody is stuck."}`,
      `**Most frequent misconceptions**\n${topMisconceptions.length > 0 ? topMisconceptions.join("\n") : "None recorded yet."}`,
    ].join("\n\n");
    const heatmap = renderHeatmap({
      title: `${course.title}: mastery by learner and skill`,
      rows: rows.map((r) => r.name),
      columns: skills.map((s) => s.name),
      values: rows.map((r) => r.mastery.map((m) => (m === null ? null : m.pKnown))),
      marks: rows.map((r) => r.mastery.map((m) => m?.isMastered ?? false)),
    });
    const image: Attachment = {
      name: `socra-report-${course.id}.png`,
      mimeType: "image/png",
      data: heatmap.png,
      title: `Mastery heat map: ${course.title}, ${scopeText}`,
    };
    return [{ kind: "info", text, isPrivate: true, attachments: [image] }];
  }

  function mostCommonCourse(records: ReadonlyMap<string, LearnerRecord>): CourseRuntime {
    const counts = new Map<string, number>();
    for (const record of records.values()) {
      const id = record.profile.courseId;
      if (id !== undefined && runtimes.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const best = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    return runtimes.get(best ?? "") ?? (runtimes.values().next().value as CourseRuntime);
  }

  async function readLog(key: LearnerKey): Promise<LogEntry[]> {
    const entries = await store.readAttempts(key, REPORT_LOG);
    return entries
      .map((json) => {
        try {
          return JSON.parse(json) as LogEntry;
        } catch {
          return undefined;
        }
      })
      .filter((e): e is LogEntry => e !== undefined)
      .reverse();
  }

  async function namesOf(tenant: string, platform: ClassroomPlatform, learners: readonly string[]) {
    const names = new Map<string, string>();
    for (const learner of learners) {
      const name = await platform
        .describe(tenant, learner)
        .then((d) => d.name)
        .catch(() => undefined);
      names.set(learner, name ?? learner);
    }
    return names;
  }

  // -------------------------------------------------------------------------------------------
  // Data rights

  async function myData(key: LearnerKey): Promise<Reply[]> {
    const data = await store.readLearner(key);
    const attempts = await store.readAttempts(key, 100_000);
    const record = data.model ? parseLearnerRecord(data.model) : undefined;
    const exported = {
      exportedAt: new Date(clock.now()).toISOString(),
      tenant: key.tenant,
      learner: key.learner,
      profile: record?.profile ?? null,
      assignments: record?.assignments ?? {},
      knowledge: record ? JSON.parse(serializeLearnerRecord(record)).state : null,
      session: data.session ? JSON.parse(data.session) : null,
      attempts: attempts.map((json) => JSON.parse(json) as unknown).reverse(),
    };
    const file: Attachment = {
      name: "socra-my-data.json",
      mimeType: "application/json",
      data: new TextEncoder().encode(`${JSON.stringify(exported, null, 2)}\n`),
      title: "Everything Socra keeps about you",
    };
    return [
      {
        kind: "info",
        text: record
          ? `Here is everything I keep about you: your progress, settings, assignments and every answer and hint (${plural(attempts.length, "record")}). \`/tutor forget-me\` deletes it all.`
          : "I don't keep anything about you yet. Here is the (empty) file anyway.",
        isPrivate: true,
        attachments: [file],
      },
    ];
  }

  function forgetConfirmation(): ConfirmReply {
    return {
      kind: "confirm",
      text: "This deletes everything I keep about you here: your progress, settings, assignments and answers, and any reminders. It cannot be undone. Delete it all?",
      action: "forget-confirm",
      confirmLabel: "Delete my data",
      cancelLabel: "Keep it",
      isPrivate: true,
    };
  }

  async function forget(key: LearnerKey, record: LearnerRecord | undefined): Promise<void> {
    await store.deleteRecord(shared(key.tenant, ROSTER), key.learner);
    const ids = new Set(Object.keys(record?.assignments ?? {}));
    for (const a of await readAssignments(key.tenant)) {
      if (!(ids.has(a.id) || a.learners.includes(key.learner) || a.createdBy === key.learner))
        continue;
      await saveAssignment(key.tenant, {
        ...a,
        learners: a.learners.filter((l) => l !== key.learner),
        // A mention of the learner, as the teacher wrote it, goes too.
        targets: a.targets.filter((t) => !t.includes(key.learner)),
        createdBy: a.createdBy === key.learner ? "" : a.createdBy,
      });
      // Still in the channel, they get an open one again at the next check, as a newcomer would.
      if (a.groups?.length) await store.deleteRecord(joinedKey(key.tenant, a.id), key.learner);
    }
    await scheduler?.cancelLearner(key.tenant, key.learner);
    await deps.forgetLlmData?.(key);
    log.info({ tenant: key.tenant }, "a learner's data was deleted at their request");
  }

  async function addToRoster(key: LearnerKey, platform: string): Promise<void> {
    await store.putRecord(shared(key.tenant, ROSTER), key.learner, JSON.stringify({ platform }));
  }

  async function enroll(key: LearnerKey, platform: string, record: LearnerRecord): Promise<void> {
    if (record.profile.rosteredAt !== undefined) return;
    await addToRoster(key, platform);
    await store.putRecord(TENANTS_KEY, key.tenant, "1");
    record.profile.rosteredAt = clock.now();
  }

  // -------------------------------------------------------------------------------------------
  // Assignments in the engine

  function assignmentsFor(record: LearnerRecord, course: Course): Assignment[] {
    return Object.entries(record.assignments)
      .filter(([, a]) => a.courseId === course.id && a.completedAt === undefined)
      .map(([id, a]) => ({
        id,
        skillIds: a.skillIds.filter((s) => course.skill(s)).map((s) => engineId(course, s)),
        createdAt: a.createdAt,
        ...(a.dueAt === undefined ? {} : { dueAt: a.dueAt }),
        ...(a.completion === "count"
          ? { remainingItems: Math.max(0, (a.count ?? 0) - a.done) }
          : {}),
      }))
      .filter((a) => a.skillIds.length > 0);
  }

  function settle(record: LearnerRecord, runtime: CourseRuntime, now: number): string[] {
    const done: string[] = [];
    for (const [id, a] of Object.entries(record.assignments)) {
      if (a.completedAt !== undefined || a.courseId !== runtime.course.id) continue;
      const isCountDone = a.done >= (a.count ?? 0);
      const isMastered = a.skillIds.every(
        (s) => skillProgress(record.state, runtime.model, engineId(runtime.course, s)).isMastered,
      );
      if (a.completion === "count" ? isCountDone : isCountDone && isMastered) {
        a.completedAt = now;
        done.push(id);
      }
    }
    return done;
  }

  async function completed(tenant: string, assignmentIds: readonly string[]): Promise<void> {
    for (const id of assignmentIds) {
      const a = await readAssignment(tenant, id);
      if (a?.status !== "open") continue;
      const { complete, byLearner } = await completionOf(tenant, a);
      if (complete >= byLearner.size) {
        await scheduler?.cancel(jobId("reminder", tenant, a.id));
        await scheduler?.schedule(
          { type: "digest", tenant, assignmentId: a.id },
          clock.now(),
          jobId("digest", tenant, a.id),
        );
      }
    }
  }

  async function planAssignmentJobs(tenant: string, a: AssignmentRecord): Promise<void> {
    if (!scheduler) return;
    await planMembersCheck(tenant, a);
    if (a.dueAt === undefined) return;
    const now = clock.now();
    const remindAt = a.dueAt - REMIND_BEFORE_MS;
    if (remindAt > now)
      await scheduler.schedule(
        { type: "reminder", tenant, assignmentId: a.id },
        remindAt,
        jobId("reminder", tenant, a.id),
      );
    await scheduler.schedule(
      { type: "digest", tenant, assignmentId: a.id },
      a.dueAt,
      jobId("digest", tenant, a.id),
    );
  }

  /** The next look for new members of an open assignment's channels and groups, if any. */
  async function planMembersCheck(tenant: string, a: AssignmentRecord): Promise<void> {
    const at = clock.now() + MEMBERS_CHECK_MS;
    if (!scheduler || !a.groups?.length || (a.dueAt !== undefined && at >= a.dueAt)) return;
    await scheduler.schedule(
      { type: "members", tenant, assignmentId: a.id },
      at,
      jobId("members", tenant, a.id),
    );
  }

  async function cancelAssignmentJobs(tenant: string, a: AssignmentRecord): Promise<void> {
    if (!scheduler) return;
    await scheduler.cancel(jobId("members", tenant, a.id));
    await scheduler.cancel(jobId("reminder", tenant, a.id));
    await scheduler.cancel(jobId("digest", tenant, a.id));
    for (const learner of a.learners)
      await scheduler.cancel(jobId("reminder", tenant, a.id, learner));
  }

  async function planNudge(
    key: LearnerKey,
    platform: string,
    record: LearnerRecord,
    runtime: CourseRuntime,
  ): Promise<void> {
    const profile = record.profile;
    if (!scheduler || !profile.wantsReviewNudges) return;
    const target = chooseNextTarget({
      graph: runtime.graph,
      learner: record.state,
      model: runtime.model,
      now: clock.now(),
    });
    const dueAt = target.kind === "done" ? target.nextReviewAt : undefined;
    if (dueAt === undefined || dueAt === profile.nudgeAt) return;
    await scheduler.schedule(
      { type: "nudge", tenant: key.tenant, platform, learner: key.learner },
      dueAt,
      jobId("nudge", key.tenant, key.learner),
    );
    profile.nudgeAt = dueAt;
  }

  // -------------------------------------------------------------------------------------------
  // Jobs

  async function runJob(job: Job): Promise<void> {
    switch (job.type) {
      case "reminder":
        return remind(job.tenant, job.assignmentId, job.learner);
      case "digest":
        return digest(job.tenant, job.assignmentId);
      case "nudge":
        return nudge(job.tenant, job.platform, job.learner);
      case "members":
        return checkMembers(job.tenant, job.assignmentId);
      case "records":
        throw new Error("records jobs are forwarded by the composition root, not the classroom");
    }
  }

  /** When a person's quiet hours end, if they are in them now; undefined otherwise. */
  async function quietUntil(
    platform: ClassroomPlatform,
    tenant: string,
    user: string,
  ): Promise<number | undefined> {
    if (!options.quietHours) return undefined;
    const zone =
      (await platform.describe(tenant, user).catch(() => ({}) as { timeZone?: string })).timeZone ??
      options.timeZone;
    return quietHoursEnd(clock.now(), zone, options.quietHours);
  }

  /**
   * The periodic look for new members. The next one is planned first, so a platform error (it
   * fails this run) never ends the series.
   */
  async function checkMembers(tenant: string, assignmentId: string): Promise<void> {
    const a = await readAssignment(tenant, assignmentId);
    if (a?.status !== "open") return;
    await planMembersCheck(tenant, a);
    await admitNewMembers(tenant, a);
  }

  async function remind(tenant: string, assignmentId: string, only?: string): Promise<void> {
    const a = await readAssignment(tenant, assignmentId);
    const platform = a ? platforms.get(a.platform) : undefined;
    if (a?.status !== "open" || !platform) return;
    for (const learner of only === undefined ? await learnersOf(tenant, a) : [only]) {
      const entry = (await readRecord({ tenant, learner }))?.assignments[a.id];
      if (!entry || entry.completedAt !== undefined) continue;
      const later = await quietUntil(platform, tenant, learner);
      if (later !== undefined) {
        await scheduler?.schedule(
          { type: "reminder", tenant, assignmentId: a.id, learner },
          later,
          jobId("reminder", tenant, a.id, learner),
        );
        continue;
      }
      const progress = a.completion === "count" ? ` You've done ${entry.done} of ${a.count}.` : "";
      await platform.notify(tenant, learner, {
        kind: "reminder",
        text: `⏰ Reminder: **${a.title}** is due ${a.dueAt === undefined ? "soon" : formatDay(a.dueAt, a.timeZone)}.${progress}`,
        start: { assignmentId: a.id },
      });
    }
  }

  async function digest(tenant: string, assignmentId: string): Promise<void> {
    const a = await readAssignment(tenant, assignmentId);
    const platform = a ? platforms.get(a.platform) : undefined;
    if (a?.status !== "open" || !platform) return;
    const { complete, items, byLearner } = await completionOf(tenant, a);
    const notDone = [...byLearner.keys()].filter(
      (l) => byLearner.get(l)?.completedAt === undefined,
    );
    const names = await namesOf(tenant, platform, notDone.slice(0, 20));
    await closeAssignment(tenant, a, "closed");
    await scheduler?.cancel(jobId("members", tenant, a.id));
    if (a.createdBy === "") return;
    const text = [
      `📋 **${a.id}** (${a.title}) is closed: ${complete}/${byLearner.size} learners finished, ${plural(items, "item")} practised.`,
      notDone.length > 0
        ? `Not finished: ${[...names.values()].join(", ")}${notDone.length > 20 ? ", …" : ""}.`
        : "Everyone finished. 🎉",
      `Details: \`/tutor report ${a.id}\`.`,
    ].join("\n");
    await platform.notify(tenant, a.createdBy, { kind: "digest", text });
  }

  async function nudge(tenant: string, platformName: string, learner: string): Promise<void> {
    const platform = platforms.get(platformName);
    const record = await readRecord({ tenant, learner });
    if (!platform || !record?.profile.wantsReviewNudges) return;
    const runtime = runtimes.get(record.profile.courseId ?? "");
    if (!runtime) return;
    const target = chooseNextTarget({
      graph: runtime.graph,
      learner: record.state,
      model: runtime.model,
      now: clock.now(),
    });
    if (target.kind !== "practice" || target.reason !== "review") return;
    const later = await quietUntil(platform, tenant, learner);
    if (later !== undefined) {
      await scheduler?.schedule(
        { type: "nudge", tenant, platform: platformName, learner },
        later,
        jobId("nudge", tenant, learner),
      );
      return;
    }
    const name =
      runtime.course.skill(target.skillId.slice(runtime.course.id.length + 1))?.name ??
      target.skillId;
    await platform.notify(tenant, learner, {
      kind: "review",
      text: `🔁 Time for a quick review of **${name}**, so it stays fresh. (\`/tutor reminders off\` stops these.)`,
      start: {},
    });
  }

  return {
    attach(name, platform) {
      platforms.set(name, platform);
    },
    command,
    forget,
    enroll,
    membersChanged,
    assignmentsFor,
    settle,
    completed,
    planNudge,
    runJob,
  };
}

interface LogEntry {
  readonly at: number;
  readonly course: string;
  readonly skill: string;
  readonly kind: string;
  readonly answer?: string;
  readonly misconception?: string;
}

interface ReportRow {
  readonly name: string;
  readonly mastery: readonly ({ pKnown: number; isMastered: boolean } | null)[];
  readonly practiceMs: number;
  readonly assignments: readonly string[];
  readonly stuck: readonly { name: string; attempts: number; hints: number }[];
}

/** The scheduler id of a job: one per kind and subject, so scheduling again replaces it. */
function jobId(kind: string, ...parts: string[]): string {
  return JSON.stringify([kind, ...parts]);
}

/** Practice time: the gaps between a learner's actions, leaving out breaks longer than {@link IDLE_GAP_MS}. */
export function practiceTime(entries: readonly { readonly at: number }[]): number {
  let total = 0;
  for (let k = 1; k < entries.length; k++) {
    const gap = (entries[k]?.at ?? 0) - (entries[k - 1]?.at ?? 0);
    if (gap > 0 && gap <= IDLE_GAP_MS) total += gap;
  }
  return total;
}

function reportTable(rows: readonly ReportRow[], skills: readonly string[]): string {
  const header = ["Learner", "Mastered", "Practice", "Assignments", "Stuck on"];
  const lines = rows.map((r) => [
    r.name,
    `${r.mastery.filter((m) => m?.isMastered).length}/${skills.length}`,
    formatDuration(r.practiceMs),
    r.assignments.join(", ") || "–",
    r.stuck.map((s) => s.name).join(", ") || "–",
  ]);
  const widths = header.map((h, k) =>
    Math.min(28, Math.max(h.length, ...lines.map((l) => (l[k] ?? "").length))),
  );
  const format = (cells: readonly string[]) =>
    cells
      .map((c, k) =>
        c.length > (widths[k] ?? 0)
          ? `${c.slice(0, (widths[k] ?? 1) - 1)}…`
          : c.padEnd(widths[k] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [format(header), format(widths.map((w) => "-".repeat(w))), ...lines.map(format)].join(
    "\n",
  );
}

function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function formatDay(at: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    weekday: "short",
    day: "numeric",
    month: "short",
    timeZone,
  }).format(at);
}

/**
 * Targets the platform could not resolve, written as typed so a mention shows as the name (no
 * code quotes). On Discord, roles and channels are listed only with the Server Members intent.
 */
function notFound(targets: readonly string[], platform: string): string {
  const hint =
    platform === "discord"
      ? " (On Discord, roles and channels need the bot's Server Members intent.)"
      : "";
  return `I couldn't find ${targets.join(", ")} here, or couldn't list who is in it.${hint}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function privately(text: string): Reply {
  return { kind: "info", text, isPrivate: true };
}

/** Minutes since local midnight of an instant in a time zone. */
function localMinutes(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    hour: "numeric",
    minute: "numeric",
  }).formatToParts(at);
  const value = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return value("hour") * 60 + value("minute");
}

const minutesOf = (hhmm: string): number =>
  Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When quiet hours (local `start` to `end`, possibly across midnight) end, if `at` falls in
 * them; undefined otherwise. Found by stepping through the local clock, so DST changes are
 * handled as they happen.
 */
export function quietHoursEnd(
  at: number,
  timeZone: string,
  quiet: { readonly start: string; readonly end: string },
): number | undefined {
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  const isQuiet = (t: number) => {
    const m = localMinutes(t, timeZone);
    return start <= end ? m >= start && m < end : m >= start || m < end;
  };
  if (!isQuiet(at)) return undefined;
  const step = 60_000;
  let t = Math.floor(at / step) * step;
  for (let k = 0; k < 24 * 60 + 120 && isQuiet(t); k++) t += step;
  return t;
}
