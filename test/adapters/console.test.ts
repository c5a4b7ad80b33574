import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, inject, it } from "vitest";
import { renderMarkdown, renderReply, runConsole } from "../../src/adapters/console/index.ts";
import type { QuestionReply, Reply } from "../../src/tutor/index.ts";
import { createHarness, FIXTURES, rightAnswer, wrongAnswer } from "../tutor/harness.ts";

const ROOT = join(import.meta.dirname, "../..");
const MINI = join(FIXTURES, "mini.yaml");

type JsonReply = Record<string, unknown> & { kind: string; text: string };

/** Runs the console in-process on the given lines; returns the JSON replies. */
async function consoleSession(lines: readonly string[]): Promise<JsonReply[]> {
  const { tutor } = await createHarness();
  const input = new PassThrough();
  const output = new PassThrough();
  const chunks: string[] = [];
  output.on("data", (chunk) => chunks.push(String(chunk)));
  const done = runConsole({ tutor, input, output, learner: "ana", json: true });
  input.end(lines.map((line) => `${line}\n`).join(""));
  await done;
  return chunks
    .join("")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as JsonReply);
}

/** Runs `socra chat --json` as a child process; resolves with its replies and exit code. */
function chatProcess(
  args: readonly string[],
  lines: readonly string[],
  env: Record<string, string> = {},
) {
  return new Promise<{ code: number | null; replies: JsonReply[]; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, "src/cli.ts"), "chat", "--json", ...args], {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: "warn", ...env },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => {
        stdout += String(chunk);
      });
      child.stderr.on("data", (chunk) => {
        stderr += String(chunk);
      });
      child.on("error", reject);
      child.on("close", (code) =>
        resolve({
          code,
          stderr,
          replies:
            stdout.trim() === ""
              ? []
              : stdout
                  .trim()
                  .split("\n")
                  .map((l) => JSON.parse(l) as JsonReply),
        }),
      );
      child.stdin.end(lines.map((line) => `${line}\n`).join(""));
    },
  );
}

describe("console adapter", () => {
  it("greets, then answers every line, one JSON object per reply", async () => {
    const replies = await consoleSession(["/progress", "/help"]);
    expect(replies[0]).toMatchObject({ kind: "info" });
    const question = replies.find((r) => r.kind === "question");
    expect(question).toMatchObject({ skillId: "halves", courseId: "mini" });
    expect(typeof question?.itemId).toBe("string");
    const progress = replies.find((r) => r.kind === "progress");
    expect(progress?.mastery).toEqual({ halves: 0.3, add: 0.3 });
    expect(replies.at(-1)?.text).toContain("/hint");
  });

  it("prints choices as their texts in JSON", async () => {
    const replies = await consoleSession(Array.from({ length: 8 }, () => "/skip"));
    const choice = replies.find((r) => r.kind === "question" && r.itemType === "choice");
    expect(choice?.choices).toEqual(["1/3", "1/2", "2/1"]);
  });

  it("renders readable text: Markdown markers gone, choices listed, no colour unless asked", () => {
    expect(renderMarkdown("**Halves**: use `x/2`\n```\n██ bar\n```", false)).toBe(
      "Halves: use x/2\n  ██ bar",
    );
    const text = renderReply(
      {
        kind: "question",
        text: "Pick",
        courseId: "c",
        skillId: "s",
        skillName: "S",
        itemId: "i",
        itemType: "choice",
        reason: "frontier",
        choices: [{ label: "a", text: "1/2" }],
      },
      false,
    );
    expect(text).toBe("Pick\n  a) 1/2");
    expect(
      renderReply(
        { kind: "feedback", text: "Yes", itemId: "i", correct: true, isItemDone: true },
        true,
      ),
    ).toContain("\u001b[");
    expect(
      renderReply(
        { kind: "feedback", text: "Yes", itemId: "i", correct: true, isItemDone: true },
        false,
      ),
    ).toBe("Yes");
  });

  it("runs a whole lesson as a child process and exits 0 at the end of input", async () => {
    const { code, replies, stderr } = await chatProcess(
      ["--course", MINI],
      ["hint", "/skip", "/skip", "/progress", "", "x".repeat(100_000), "\u0007\u0000", "/nope"],
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const kinds = replies.map((r) => r.kind);
    expect(kinds[0]).toBe("info");
    expect(kinds).toContain("question");
    expect(kinds).toContain("progress");
    expect(kinds).not.toContain("error");
    expect(replies.at(-1)?.text).toContain("I don't know the command /nope");
  });

  it("runs a lesson to mastery as a child process, reply for reply the same as in-process", async () => {
    // Decide each line in-process (the tutor is deterministic for a learner), then replay them.
    const h = await createHarness();
    const learner = "ana";
    const lines: string[] = [];
    const expected: Reply[] = [];
    let replies = await h.send({ command: { name: "start", args: "" }, tenant: "local", learner });
    expected.push(...replies);
    let step = 0;
    let question = replies.findLast(
      (r): r is QuestionReply => r.kind === "question",
    ) as QuestionReply;
    while (
      !replies.some((r) => r.kind === "feedback" && r.mastered?.includes("halves")) &&
      step < 60
    ) {
      // The first question gets a wrong answer, a hint and the right answer; the rest the right answer.
      const line =
        question.itemType === "free"
          ? "/skip"
          : step === 0
            ? wrongAnswer(h.course, question)
            : step === 1
              ? "hint"
              : rightAnswer(h.course, question);
      lines.push(line);
      replies = await h.send({ text: line, tenant: "local", learner });
      expected.push(...replies);
      question = replies.findLast((r): r is QuestionReply => r.kind === "question") ?? question;
      step++;
    }
    lines.push("/progress");
    expected.push(...(await h.send({ text: "/progress", tenant: "local", learner })));

    const { code, replies: actual } = await chatProcess(
      ["--course", MINI, "--learner", learner],
      lines,
    );
    expect(code).toBe(0);
    expect(actual).toEqual(
      expected.map((r) =>
        JSON.parse(
          JSON.stringify(
            r.kind === "question" && r.choices
              ? { ...r, choices: r.choices.map((c) => c.text) }
              : r,
          ),
        ),
      ),
    );
    const kinds = actual.map((r) => (r.kind === "feedback" ? `feedback:${r.correct}` : r.kind));
    expect(kinds.slice(0, 5)).toEqual([
      "info",
      "question",
      "feedback:false",
      "hint",
      "feedback:true",
    ]);
    expect(
      actual.some(
        (r) => r.kind === "feedback" && (r.mastered as string[] | undefined)?.includes("halves"),
      ),
    ).toBe(true);
    const progress = actual.at(-1) as JsonReply & { mastery: Record<string, number> };
    expect(progress.kind).toBe("progress");
    expect(progress.mastery.halves).toBeGreaterThanOrEqual(0.95);
  });

  it("resumes a learner with Redis after a restart: same question, mastery intact", async () => {
    const env = { REDIS_PREFIX: `test-${randomUUID()}` };
    const args = [
      "--course",
      MINI,
      "--store",
      "redis",
      "--redis-url",
      inject("redisUrl"),
      "--learner",
      "zoe",
    ];
    // First run: skip a few questions (each a "not yet"), look at progress, and leave.
    const first = await chatProcess(
      args,
      ["/skip", "/skip", "/skip", "/skip", "/skip", "/progress"],
      env,
    );
    expect(first.code).toBe(0);
    const lastQuestion = first.replies.findLast((r) => r.kind === "question");
    const progressBefore = first.replies.findLast((r) => r.kind === "progress");
    const second = await chatProcess(args, ["/progress"], env);
    expect(second.code).toBe(0);
    expect(second.replies[0]?.text).toContain("Welcome back");
    expect(second.replies.find((r) => r.kind === "question")?.itemId).toBe(lastQuestion?.itemId);
    expect(second.replies.find((r) => r.kind === "progress")?.mastery).toEqual(
      progressBefore?.mastery,
    );
    const masteryBefore = progressBefore?.mastery as Record<string, number>;
    expect(masteryBefore.halves).toBeLessThan(0.3); // five skips: "not yet" five times
  });

  it("lets a teacher assign to a local learner, who then practises it (--role teacher, /as)", async () => {
    const { code, replies } = await chatProcess(
      ["--role", "teacher", "--learner", "mrs-t"],
      [
        "/tutor assign simplifying-fractions to @ana count 2",
        "/tutor assignments",
        "/as ana",
        "/tutor assignments",
      ],
    );
    expect(code).toBe(0);
    const lines = replies as (JsonReply & { notice?: string; to?: string; as?: string })[];
    expect(lines.find((r) => r.notice === "assignment")).toMatchObject({ to: "ana" });
    expect(lines.find((r) => r.text?.startsWith("Assigned **A1**"))).toMatchObject({
      isPrivate: true,
    });
    expect(
      lines.some((r) => r.text?.includes("**A1** Simplifying fractions → @ana: 0/1 done")),
    ).toBe(true);
    // As ana: practice starts with what the assignment needs (a prerequisite first).
    const asAna = lines.slice(lines.findIndex((r) => r.as === "ana") + 1);
    expect(asAna.find((r) => r.kind === "question")).toMatchObject({
      reason: "assignment-prerequisite",
    });
    expect(asAna.at(-1)?.text).toContain("Only teachers can use `/tutor assignments`");
  });

  it("stops with a clear message when Redis cannot be reached", async () => {
    const { code, stderr } = await chatProcess(
      ["--course", MINI, "--store", "redis", "--redis-url", "redis://127.0.0.1:1"],
      [],
    );
    expect(code).toBe(1);
    expect(stderr).toContain("Cannot connect to Redis at redis://127.0.0.1:1");
  });

  it("stops with a message naming a bad configuration variable", async () => {
    const { code, stderr } = await chatProcess(["--course", MINI], [], {
      SESSION_TTL_HOURS: "soon",
      SOCRA_STORE: "mongo",
    });
    expect(code).toBe(1);
    expect(stderr).toContain("SESSION_TTL_HOURS: must be a number of hours");
    expect(stderr).toContain("SOCRA_STORE");
  });
});
