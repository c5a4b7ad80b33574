import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { loadConfig } from "../src/config.ts";
import { type App, createApp } from "../src/main.ts";
import type {
  ClassroomPlatform,
  Inbound,
  Notice,
  QuestionReply,
  Reply,
} from "../src/tutor/index.ts";
import { captureCli } from "./cli-capture.ts";
import { startFakeLrs } from "./records/fake-lrs.ts";
import { createXapiValidator } from "./records/xapi-schema.ts";
import { FIXTURES, recordingLogger, silentLogger } from "./tutor/harness.ts";

/*
 * The assignment lifecycle through the composition root, against a real Redis and BullMQ:
 * create, notify, prioritise, remind, complete (digest), cancel; and forget-me leaving no key
 * or value of the learner behind.
 */

const url = inject("redisUrl");
const LEARNER = "U0LEARNER7";
const OTHER = "U0OTHER42";
const TEACHER = "U0TEACHER1";
const DAY_MS = 86_400_000;

let app: App | undefined;
const clients: Redis[] = [];
afterEach(async () => {
  await app?.close();
  app = undefined;
  await Promise.all(clients.splice(0).map((c) => c.quit()));
});

/** A platform whose channel C0CLASS holds `channel`'s learners. */
function platform() {
  const sent: { user: string; notice: Notice }[] = [];
  const channel: string[] = [OTHER];
  const waiters: { match: (n: Notice, user: string) => boolean; resolve: () => void }[] = [];
  const port: ClassroomPlatform = {
    async membersOf(_tenant, target) {
      if (target.kind === "channel" && target.id === "C0CLASS") return [...channel];
      return target.kind === "user" ? [target.id] : undefined;
    },
    async notify(_tenant, user, notice) {
      sent.push({ user, notice });
      for (const w of waiters.filter((w) => w.match(notice, user))) w.resolve();
      return true;
    },
    async describe(_tenant, user) {
      return { name: user };
    },
  };
  /** Resolves when a matching notice was (or is) sent. */
  const waitFor = (match: (n: Notice, user: string) => boolean) =>
    new Promise<void>((resolve) => {
      if (sent.some((s) => match(s.notice, s.user))) resolve();
      else waiters.push({ match, resolve });
    });
  return { port, sent, waitFor, channel };
}

/** Every key under the prefix with its value, whatever its type, as text. */
async function dump(client: Redis, prefix: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "COUNT", 1000);
    cursor = next;
    for (const key of keys) {
      if (!key.startsWith(`${prefix}:`)) continue;
      const type = await client.type(key);
      const value =
        type === "string"
          ? await client.get(key)
          : type === "hash"
            ? JSON.stringify(await client.hgetall(key))
            : type === "list"
              ? JSON.stringify(await client.lrange(key, 0, -1))
              : type === "set"
                ? JSON.stringify(await client.smembers(key))
                : type === "zset"
                  ? JSON.stringify(await client.zrange(key, "0", "-1"))
                  : type === "stream"
                    ? JSON.stringify(await client.xrange(key, "-", "+"))
                    : type;
      found.set(key, value ?? "");
    }
  } while (cursor !== "0");
  return found;
}

async function start(env: Readonly<Record<string, string>> = {}) {
  const prefix = `test-classroom-${randomUUID()}`;
  const config = loadConfig({
    SOCRA_STORE: "redis",
    REDIS_URL: url,
    REDIS_PREFIX: prefix,
    QUIET_HOURS: "off",
    ...env,
  });
  const shift = { ms: 0 };
  const clock = { now: () => Date.now() + shift.ms };
  app = await createApp(config, {
    courseFile: join(FIXTURES, "mini.yaml"),
    logger: silentLogger,
    clock,
  });
  const p = platform();
  app.tutor.attachPlatform("slack", p.port);
  const tutor = app.tutor;
  const send = (learner: string, inbound: Partial<Inbound>, isTeacher = false) =>
    tutor.handle({
      tenant: "T1",
      platform: "slack",
      learner,
      sender: async () => ({ isTeacher }),
      ...inbound,
    });
  const teacher = (text: string) => {
    const [name = "", ...rest] = text.split(" ");
    return send(TEACHER, { command: { name, args: rest.join(" ") } }, true);
  };
  const client = new Redis(url);
  clients.push(client);
  return { prefix, p, send, teacher, client, shift, tutor };
}

const question = (replies: readonly Reply[]) =>
  replies.findLast((r): r is QuestionReply => r.kind === "question");

describe("the assignment lifecycle on Redis and BullMQ", () => {
  it("creates, notifies, prioritises, reminds, completes with a digest, and cancels", async () => {
    // The tutor's clock stands 5 s before the end of today (UTC): "due tomorrow" makes the
    // reminder, a day before the due time, fall due 5 s from now.
    const c = await start();
    const endOfToday = Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS - 1;
    c.shift.ms = endOfToday - 5000 - Date.now();

    const created = await c.teacher(`assign add to <@${LEARNER}> count 1 due tomorrow until count`);
    expect(created[0]?.text).toContain("Assigned **A1**");
    expect(c.p.sent).toEqual([
      expect.objectContaining({
        user: LEARNER,
        notice: expect.objectContaining({ kind: "assignment", start: { assignmentId: "A1" } }),
      }),
    ]);
    // A second assignment, cancelled at once: its reminder must never come.
    await c.teacher(`assign halves to <@${OTHER}> due tomorrow`);
    expect((await c.teacher("unassign A2"))[0]?.text).toContain("Cancelled **A2**");

    // The reminder comes from BullMQ's delayed set.
    await c.p.waitFor((n, user) => n.kind === "reminder" && user === LEARNER);
    expect(c.p.sent.filter((s) => s.notice.kind === "reminder").map((s) => s.user)).toEqual([
      LEARNER,
    ]);

    // Start: the prerequisite of the assigned skill comes first, for the assignment.
    const first = question(await c.send(LEARNER, { action: { id: "start", value: "A1" } }));
    expect(first).toMatchObject({ skillId: "halves", reason: "assignment-prerequisite" });
    // One item completes it (count 1): the teacher's digest goes out through the queue.
    const { course } = { course: app?.tutor.courses[0] };
    const item = course?.findItem(first?.itemId ?? "");
    const answer = item && item.type !== "free" ? item.answer : "";
    const done = await c.send(LEARNER, { text: answer });
    expect(done.map((r) => r.text).join("\n")).toContain("Assignment done");
    await c.p.waitFor((n, user) => n.kind === "digest" && user === TEACHER);
    expect(c.p.sent.find((s) => s.notice.kind === "digest")?.notice.text).toContain(
      "1/1 learners finished",
    );
    expect((await c.teacher("assignments"))[0]?.text).toContain("no open assignments");
    expect(c.p.sent.filter((s) => s.user === OTHER).map((s) => s.notice.kind)).toEqual([
      "assignment",
    ]);
  });

  it("forget-me leaves no key or value of the learner in Redis, jobs included", async () => {
    const c = await start();
    await c.teacher(`assign add to <@${LEARNER}> due friday`);
    // A channel's assignment that reached the learner when they joined it later.
    await c.teacher("assign halves to <#C0CLASS|class> due friday");
    c.p.channel.push(LEARNER);
    await c.tutor.membersChanged("T1", "slack", { kind: "channel", id: "C0CLASS" });
    await c.p.waitFor((n, user) => user === LEARNER && n.text.includes("Halves"));
    await c.send(LEARNER, { command: { name: "reminders", args: "on" } });
    const first = question(await c.send(LEARNER, { text: "start" }));
    await c.send(LEARNER, { text: "999", eventId: "Ev1" });
    await c.send(LEARNER, { action: { id: "hint", itemId: first?.itemId ?? "" } });
    await c.send(OTHER, { text: "start" });
    const before = await dump(c.client, c.prefix);
    const mentions = (dumped: Map<string, string>) =>
      [...dumped].filter(([key, value]) => key.includes(LEARNER) || value.includes(LEARNER));
    expect(mentions(before).length).toBeGreaterThan(3);

    const [confirm] = await c.send(LEARNER, { command: { name: "forget-me", args: "" } });
    expect(confirm?.kind).toBe("confirm");
    const [done] = await c.send(LEARNER, { action: { id: "forget-confirm" } });
    expect(done).toMatchObject({ code: "forgotten" });

    const after = await dump(c.client, c.prefix);
    expect(mentions(after)).toEqual([]);
    // The other learner and the teacher's assignment are still there.
    expect([...after].some(([key, value]) => key.includes(OTHER) || value.includes(OTHER))).toBe(
      true,
    );
    expect([...after.keys()].some((key) => key.endsWith(":records:assignments"))).toBe(true);
  });
});

/** Runs the CLI against the test's Redis prefix, capturing what it prints. */
async function cli(prefix: string, args: string[]) {
  vi.stubEnv("REDIS_PREFIX", prefix);
  try {
    return await captureCli([...args, "--store", "redis", "--redis-url", url]);
  } finally {
    vi.unstubAllEnvs();
  }
}

describe("socra course fit", () => {
  it("fits BKT per skill on the first attempts in the store, and prints the lines for the course file", async () => {
    const c = await start();
    const learners = ["U0FIT1", "U0FIT2", "U0FIT3", "U0FIT4"];
    for (const [l, learner] of learners.entries()) {
      await c.send(learner, { command: { name: "course", args: "fractions" } });
      for (let k = 0; k < 8; k++)
        await c.send(learner, { text: (k + l) % 3 === 0 ? "/skip" : "1/2" });
    }
    const json = await cli(c.prefix, [
      "course",
      "fit",
      "fractions",
      "--min-learners",
      "3",
      "--json",
    ]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as {
      course: string;
      learners: number;
      responses: number;
      skills: { skillId: string; learners: number; fitted?: Record<string, number> }[];
    };
    expect(report).toMatchObject({ course: "fractions", learners: 4 });
    expect(report.responses).toBeGreaterThan(learners.length);
    const fitted = report.skills.filter((s) => s.fitted);
    expect(fitted.length).toBeGreaterThan(0);
    for (const skill of report.skills) expect(skill.fitted !== undefined).toBe(skill.learners >= 3);

    const text = await cli(c.prefix, ["course", "fit", "fractions", "--min-learners", "3"]);
    expect(text.stdout).toContain("first attempts by 4 learners in 1 tenant(s)");
    expect(text.stdout).toContain(`- id: ${fitted[0]?.skillId}\n    bkt: { prior: `);
    // What it prints is what a course file accepts: probabilities strictly between 0 and 1.
    const printed = [...text.stdout.matchAll(/(prior|learn|guess|slip): ([\d.]+)/g)];
    expect(printed.length).toBeGreaterThan(0);
    for (const [, , number] of printed) {
      expect(Number(number)).toBeGreaterThan(0);
      expect(Number(number)).toBeLessThan(1);
    }
    // The whole model, for the tutor to load at start.
    const dir = mkdtempSync(join(tmpdir(), "socra-models-"));
    const out = await cli(c.prefix, [
      "course",
      "fit",
      "fractions",
      "--min-learners",
      "3",
      "--out",
      join(dir, "fractions.json"),
    ]);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(
      /wrote .*fractions\.json: BKT for [1-9]\d* skill\(s\) and the logistic predictor/,
    );
    expect(out.stderr).toContain(
      "socra: fitted on 4 learner(s), fewer than 200: in simulation, fits on 60 declared up to 6%",
    );
    // Learners who mostly answered "1/2" never look like masters to the fitted model.
    expect(out.stderr).toMatch(
      /socra: [\w-]+: no learner here reached the 90% predicted success mastery asks for \(highest \d+%\); .* takes 29 right answers in a row/,
    );
    const logger = recordingLogger();
    const served = await createApp(
      loadConfig({
        SOCRA_MODELS_DIR: dir,
        REDIS_PREFIX: c.prefix,
        SOCRA_STORE: "redis",
        REDIS_URL: url,
      }),
      { logger, isWorker: false },
    );
    expect(logger.entries.map((e) => e.message)).toContain("fitted knowledge model loaded");
    // Reloaded while serving (SIGHUP): the next turn uses the new model; a damaged file
    // changes nothing; without a file the course file's values come back.
    const file = join(dir, "fractions.json");
    const fittedJson = JSON.parse(readFileSync(file, "utf8"));
    const key = { tenant: "T-models", learner: "U0MODELS" };
    await served.tutor.handle({ ...key, platform: "console", text: "start" });
    const skill = Object.keys((await served.tutor.progress(key))?.mastery ?? {})[0] as string;
    const priorNow = async () => (await served.tutor.progress(key))?.mastery[skill];
    const fromCourseFile = await (async () => {
      rmSync(file);
      await served.reloadModels();
      return priorNow();
    })();
    for (const params of Object.values(fittedJson.bkt) as { prior: number }[]) params.prior = 0.123;
    fittedJson.defaultBkt.prior = 0.123;
    writeFileSync(file, JSON.stringify(fittedJson));
    await served.reloadModels();
    expect(await priorNow()).toBe(0.123);
    expect(logger.entries.map((e) => e.message)).toContain("fitted knowledge models reloaded");
    writeFileSync(file, "{}");
    await expect(served.reloadModels()).rejects.toThrow(/fractions\.json/);
    expect(await priorNow()).toBe(0.123);
    rmSync(file);
    await served.reloadModels();
    expect(await priorNow()).toBe(fromCourseFile);
    expect(fromCourseFile).not.toBe(0.123);
    await served.close();
    writeFileSync(join(dir, "fractions.json"), "{}");
    await expect(
      createApp(loadConfig({ SOCRA_MODELS_DIR: dir }), { logger: silentLogger }),
    ).rejects.toThrow(/fractions\.json: A fitted model has version 1/);

    const unknown = await cli(c.prefix, ["course", "fit", "no-such-course"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No course "no-such-course"');
  });
});

describe("socra export xapi", () => {
  it("prints the store's learning records as valid xAPI statements, one per line", async () => {
    const c = await start();
    // A bundled course, which the export command (with the default courses) knows.
    const first = question(
      await c.send(LEARNER, { command: { name: "course", args: "fractions" } }),
    );
    await c.send(LEARNER, { action: { id: "hint", itemId: first?.itemId ?? "" } });
    await c.send(LEARNER, { text: "a" });
    const { code, stdout, stderr } = await cli(c.prefix, ["export", "xapi"]);
    expect(stderr).toContain("2 statements from 1 tenant");
    expect(code).toBe(0);
    const statements = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(statements.map((s) => s.verb.id)).toEqual([
      expect.stringMatching(/requested-hint$/),
      "http://adlnet.gov/expapi/verbs/answered",
    ]);
    expect(statements[0].actor.account).toEqual({
      homePage: "https://slack.com",
      name: `T1/${LEARNER}`,
    });
    const validate = createXapiValidator();
    for (const statement of statements) expect(validate(statement)).toEqual([]);
  });
});

describe("forwarding to a Learning Record Store", () => {
  it("keeps a turn's statements through LRS outages and delivers them once it is back", async () => {
    const lrs = await startFakeLrs({ username: "key", password: "secret" });
    try {
      lrs.enqueue({ kind: "status", status: 503 }, { kind: "status", status: 503 });
      const c = await start({
        LRS_ENDPOINT: lrs.endpoint,
        LRS_USERNAME: "key",
        LRS_PASSWORD: "secret",
      });
      const first = question(await c.send(LEARNER, { text: "start" }));
      await c.send(LEARNER, { action: { id: "hint", itemId: first?.itemId ?? "" } });
      // Two 503s, then the LRS takes the hint's statement on BullMQ's third try.
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (lrs.stored.size > 0) {
            clearInterval(check);
            resolve();
          }
        }, 50);
      });
      expect(lrs.requests.length).toBe(3);
      const [statement] = [...lrs.stored.values()] as { verb: { id: string } }[];
      expect(statement?.verb.id).toMatch(/requested-hint$/);
    } finally {
      await lrs.close();
    }
  });
});
