import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConsole } from "../../src/adapters/console/index.ts";
import { loadConfig } from "../../src/config.ts";
import { type App, createApp } from "../../src/main.ts";
import type { Tutor } from "../../src/tutor/index.ts";
import { type FakeOpenAi, type RecordedRequest, startFakeOpenAi } from "../llm/fake-openai.ts";
import { FIXTURES, silentLogger } from "../tutor/harness.ts";

type JsonReply = Record<string, unknown> & { kind: string; text: string };

/** What the fake model says, by prompt: every hint and diagnosis tries to give the answer away. */
function leakyModel(request: RecordedRequest) {
  const system: string = request.body?.messages?.[0]?.content ?? "";
  const user: string = request.body?.messages?.[1]?.content ?? "";
  if (system.includes("Write the next hint")) {
    const solution = /Worked solution[^"]*"""\n([\s\S]*?)\n"""/.exec(user)?.[1] ?? "";
    return { kind: "text" as const, text: `LEAKY ${solution}` };
  }
  if (system.includes("diagnoses mistakes")) {
    const answer = /Correct answer \(for you only\): (.*)/.exec(user)?.[1] ?? "";
    return {
      kind: "json" as const,
      value: {
        misconceptionId: null,
        newMisconception: null,
        feedback: `LEAKY the answer is ${answer}.`,
      },
    };
  }
  if (system.includes("Explain one skill"))
    return { kind: "text" as const, text: "LLM-EXPLAINED: share it fairly between two friends." };
  if (system.includes("You classify one chat message"))
    return { kind: "json" as const, value: { intent: "answer" } };
  return { kind: "status" as const, status: 500 };
}

/** A console session driven line by line: each `say` resolves with that line's replies. */
async function consoleWith(app: App, learner: string) {
  const input = new PassThrough();
  const output = new PassThrough();
  let buffer = "";
  output.on("data", (chunk) => {
    buffer += String(chunk);
  });
  let turnDone: (() => void) | undefined;
  const tutor: Tutor = {
    ...app.tutor,
    handle: async (inbound, options) => {
      const replies = await app.tutor.handle(inbound, options);
      setImmediate(() => turnDone?.());
      return replies;
    },
  };
  const take = (): JsonReply[] => {
    const lines = buffer.trim().split("\n").filter(Boolean);
    buffer = "";
    return lines.map((line) => JSON.parse(line) as JsonReply);
  };
  const next = () =>
    new Promise<JsonReply[]>((resolve) => {
      turnDone = () => resolve(take());
    });
  const first = next();
  const done = runConsole({ tutor, input, output, learner, json: true });
  return {
    greeting: await first,
    async say(line: string): Promise<JsonReply[]> {
      const replies = next();
      input.write(`${line}\n`);
      return replies;
    },
    async end() {
      input.end();
      await done;
    },
  };
}

describe("a console lesson with an LLM", () => {
  let fake: FakeOpenAi;
  let app: App;
  beforeAll(async () => {
    fake = await startFakeOpenAi();
    fake.setResponder(leakyModel);
    const config = loadConfig({
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: "test-key",
      LLM_MODEL: "fake-model",
      LLM_TIMEOUT_SECONDS: "2",
    });
    app = await createApp(config, {
      courseFile: join(FIXTURES, "mini.yaml"),
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  it("never shows the learner a hint or feedback that gives the answer away", async () => {
    const session = await consoleWith(app, "leaky");
    let question = session.greeting.findLast((r) => r.kind === "question");
    for (let k = 0; k < 12 && question?.itemId !== "half-of-8"; k++)
      question = (await session.say("/skip")).findLast((r) => r.kind === "question");
    expect(question?.itemId).toBe("half-of-8");
    const seen: JsonReply[] = [];
    seen.push(...(await session.say("/explain")));
    expect(seen.find((r) => r.kind === "explanation")?.text).toContain("LLM-EXPLAINED");
    seen.push(...(await session.say("/hint")), ...(await session.say("/hint")));
    seen.push(...(await session.say("7"))); // wrong, no authored feedback: the LLM's diagnosis leaks
    seen.push(...(await session.say("/hint"))); // the authored ladder's last rung, after an attempt
    const afterLadder = await session.say("/hint"); // the LLM's hint leaks, twice
    seen.push(...afterLadder);
    await session.end();
    const shown = seen.map((r) => r.text).join("\n");
    expect(shown).not.toContain("LEAKY");
    expect(afterLadder.map((r) => r.text).join("\n")).toContain("That was my last hint");
    expect(seen.find((r) => r.kind === "feedback")?.text).toContain("Not quite.");
    // The model was asked (hint twice: the first try and its regeneration), and refused each time.
    const hintCalls = fake.requests.filter((r) =>
      String(r.body?.messages?.[0]?.content ?? "").includes("Write the next hint"),
    );
    expect(hintCalls).toHaveLength(2);
    // Nothing identifying the learner reached the model.
    expect(JSON.stringify(fake.requests.map((r) => r.body))).not.toContain("leaky");
  });

  it("answers within the timeout plus a second when the model hangs", async () => {
    fake.setResponder(() => ({ kind: "hang" }));
    try {
      const session = await consoleWith(app, "patient");
      await session.say("/interests trains"); // a situation no explanation is cached for
      const started = performance.now();
      const replies = await session.say("/explain");
      const elapsedMs = performance.now() - started;
      await session.end();
      expect(replies.find((r) => r.kind === "explanation")?.text).toContain(
        "Half of something is one of two equal parts.",
      );
      expect(elapsedMs).toBeLessThan(2000 + 1000);
    } finally {
      fake.setResponder(leakyModel);
    }
  });
});

describe("every LLM failure still gives a useful reply in time", () => {
  let fake: FakeOpenAi;
  let app: App;
  const TIMEOUT_MS = 2000;
  beforeAll(async () => {
    fake = await startFakeOpenAi();
    const config = loadConfig({
      OPENAI_BASE_URL: fake.url,
      LLM_TIMEOUT_SECONDS: String(TIMEOUT_MS / 1000),
    });
    app = await createApp(config, {
      courseFile: join(FIXTURES, "mini.yaml"),
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  it.each([
    [
      "a 429 asking for a long wait",
      { kind: "status", status: 429, headers: { "retry-after": "60" } },
    ],
    ["a 500", { kind: "status", status: 500 }],
    ["malformed JSON", { kind: "malformed" }],
    [
      "a stream cut mid-way",
      { kind: "cut", text: "Share it fairly. Then count one part.", afterChunks: 3 },
    ],
    ["a timeout", { kind: "hang" }],
  ] as const)("explains from the course after %s", async (_name, reply) => {
    fake.setResponder(() => reply);
    const learner = `learner-${Math.random()}`;
    const send = (text: string) =>
      app.tutor.handle(
        { tenant: "failures", platform: "test", learner, text },
        { onStream: () => {} },
      );
    await send("hi");
    await send(`/interests ${learner}`); // nothing cached for this situation
    const started = performance.now();
    const replies = await send("/explain");
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 1000);
    expect(replies.find((r) => r.kind === "explanation")?.text).toContain(
      "Half of something is one of two equal parts.",
    );
  });

  it.each([
    ["output that does not fit the schema", { kind: "json", value: { verdict: "maybe" } }],
    ["malformed JSON", { kind: "malformed" }],
  ] as const)("gives authored feedback on a wrong answer after %s", async (_name, reply) => {
    fake.setResponder(() => reply);
    const learner = `learner-${Math.random()}`;
    const send = (text: string) =>
      app.tutor.handle({ tenant: "failures", platform: "test", learner, text });
    let question = (await send("hi")).findLast((r) => r.kind === "question");
    for (
      let k = 0;
      k < 12 && question?.kind === "question" && question.itemId !== "half-of-10";
      k++
    )
      question = (await send("/skip")).findLast((r) => r.kind === "question");
    const started = performance.now();
    const replies = await send("7");
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 1000);
    expect(replies.find((r) => r.kind === "feedback")?.text).toContain("Not quite.");
  });
});
