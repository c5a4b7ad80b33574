import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LlmConfig } from "../../src/config.ts";
import { createOpenAiLlm, LlmError } from "../../src/llm/index.ts";
import type { LlmCallOptions, SkillContext } from "../../src/tutor/index.ts";
import { type FakeOpenAi, startFakeOpenAi } from "./fake-openai.ts";

const skill: SkillContext = {
  courseTitle: "Fractions",
  name: "Adding fractions",
  description: "Adding fractions with different denominators.",
  explanation: "Find a common denominator, then add the numerators.",
  misconceptions: [{ id: "add-across", description: "Adds numerators and denominators." }],
};
const item = { prompt: "1/2 + 1/4 = ?", answer: "3/4", solution: "2/4 + 1/4 = 3/4." };
const hintInput = { skill, item, hintsGiven: [], attempts: ["2/6"], language: "en" };

let fake: FakeOpenAi;
beforeAll(async () => {
  fake = await startFakeOpenAi();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

function llmWith(overrides: Partial<LlmConfig> = {}) {
  const config: LlmConfig = {
    apiKey: "test-key",
    baseUrl: fake.url,
    model: "test-model",
    timeoutMs: 5000,
    maxOutputTokens: 600,
    dailyTokensPerLearner: 0,
    dailyTokensPerTenant: 0,
    moderation: false,
    structuredOutput: "json_schema",
    ...overrides,
  };
  return createOpenAiLlm({
    config,
    clock: { now: () => Date.now() },
    reliability: { baseDelayMs: 20, cooldownMs: 60_000 },
  });
}

const call = (timeoutMs = 5000, onText?: (text: string) => void): LlmCallOptions => ({
  signal: AbortSignal.timeout(timeoutMs),
  deadlineAt: Date.now() + timeoutMs,
  ...(onText ? { onText } : {}),
});

const chatRequests = () => fake.requests.filter((r) => r.path.endsWith("/chat/completions"));

describe("the OpenAI-compatible LLM", () => {
  it("sends the rendered prompt with the model and the prompt's output cap", async () => {
    fake.enqueue({
      kind: "text",
      text: "What is 1/2 in quarters?",
      promptTokens: 50,
      completionTokens: 9,
    });
    const output = await llmWith().hint(hintInput, call());
    expect(output).toEqual({ value: "What is 1/2 in quarters?", tokens: 59 });
    const [request] = chatRequests();
    expect(request?.body).toMatchObject({ model: "test-model", max_tokens: 160 });
    expect(request?.body.messages[0]).toMatchObject({ role: "system" });
    expect(request?.body.messages[1].content).toContain("<learner_data>2/6</learner_data>");
    expect(request?.headers.authorization).toBe("Bearer test-key");
  });

  it("streams text as it arrives and reports usage", async () => {
    fake.enqueue({
      kind: "text",
      text: "Think of quarters. What is 1/2 as quarters?",
      chunkSize: 5,
    });
    const seen: string[] = [];
    const output = await llmWith().hint(
      hintInput,
      call(5000, (t) => seen.push(t)),
    );
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.at(-1)).toBe("Think of quarters. What is 1/2 as quarters?");
    expect(output.tokens).toBeGreaterThan(0);
    expect(chatRequests()[0]?.body).toMatchObject({ stream: true });
  });

  it.each(["json_schema", "function_calling", "json_mode"] as const)(
    "reads structured output with %s, validated by zod",
    async (structuredOutput) => {
      fake.enqueue({
        kind: "json",
        value: {
          misconceptionId: "add-across",
          newMisconception: null,
          feedback: "Same-size pieces first.",
        },
      });
      const output = await llmWith({ structuredOutput }).diagnose(
        { skill, item, learnerAnswer: "2/6", language: "en" },
        call(),
      );
      expect(output.value).toEqual({
        misconceptionId: "add-across",
        newMisconception: null,
        feedback: "Same-size pieces first.",
      });
    },
  );

  it("refuses output that does not fit the schema, and malformed JSON, as bad_output", async () => {
    const llm = llmWith();
    fake.enqueue({
      kind: "json",
      value: { verdict: "great", feedback: "", misconceptionId: null },
    });
    await expect(
      llm.grade({ skill, item, learnerAnswer: "x", language: "en" }, call()),
    ).rejects.toMatchObject({ code: "bad_output" });
    fake.enqueue({ kind: "malformed" });
    await expect(llm.classifyIntent({ message: "hm" }, call())).rejects.toBeInstanceOf(LlmError);
  });

  it("waits for Retry-After on 429 and then succeeds", async () => {
    fake.enqueue(
      { kind: "status", status: 429, headers: { "retry-after": "0.3" } },
      { kind: "text", text: "Try quarters." },
    );
    const started = performance.now();
    const output = await llmWith().hint(hintInput, call());
    expect(output.value).toBe("Try quarters.");
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
    expect(chatRequests()).toHaveLength(2);
  });

  it("does not wait for a Retry-After beyond the deadline", async () => {
    fake.enqueue({ kind: "status", status: 429, headers: { "retry-after": "30" } });
    const started = performance.now();
    await expect(llmWith().hint(hintInput, call(2000))).rejects.toMatchObject({
      code: "rate_limited",
      retryAfterMs: 30_000,
    });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(chatRequests()).toHaveLength(1);
  });

  it("retries 500s with backoff, then gives up with provider_error", async () => {
    fake.enqueue(
      { kind: "status", status: 500 },
      { kind: "status", status: 502 },
      { kind: "status", status: 503 },
    );
    await expect(llmWith().hint(hintInput, call())).rejects.toMatchObject({
      code: "provider_error",
    });
    expect(chatRequests()).toHaveLength(3);
  });

  it("stops at the deadline when the provider hangs", async () => {
    fake.enqueue({ kind: "hang" });
    const started = performance.now();
    await expect(llmWith().hint(hintInput, call(600))).rejects.toMatchObject({ code: "timeout" });
    expect(performance.now() - started).toBeLessThan(1600);
  });

  it("fails a stream cut mid-way without retrying text already shown", async () => {
    fake.enqueue({
      kind: "cut",
      text: "Think of quarters first. Then add the parts.",
      afterChunks: 3,
    });
    const seen: string[] = [];
    await expect(
      llmWith().hint(
        hintInput,
        call(5000, (t) => seen.push(t)),
      ),
    ).rejects.toBeInstanceOf(LlmError);
    expect(seen.length).toBeGreaterThan(0);
    expect(chatRequests()).toHaveLength(1);
  });

  it("opens the circuit after repeated failures and stops calling the provider", async () => {
    const llm = llmWith();
    fake.setResponder(() => ({ kind: "status", status: 500 }));
    try {
      for (let k = 0; k < 5; k++)
        await expect(llm.hint(hintInput, call())).rejects.toBeInstanceOf(LlmError);
      expect(llm.circuit).toBe("open");
      const before = chatRequests().length;
      await expect(llm.hint(hintInput, call())).rejects.toMatchObject({ code: "circuit_open" });
      expect(chatRequests()).toHaveLength(before);
    } finally {
      fake.setResponder(() => ({ kind: "text", text: "ok" }));
    }
  });

  it("moderates through the openai SDK when moderation is on", async () => {
    const llm = llmWith({ moderation: true });
    expect(await llm.moderate?.(["a kind message"], call())).toBe(false);
    expect(await llm.moderate?.(["fine", "FLAG-ME please"], call())).toBe(true);
    expect(fake.requests.at(-1)).toMatchObject({ path: "/v1/moderations" });
    expect(llmWith({ moderation: false }).moderate).toBeUndefined();
  });

  it("works with a local server that needs no key", async () => {
    fake.enqueue({ kind: "text", text: "Quarters!" });
    const { apiKey: _, ...noKey } = {
      apiKey: "",
      baseUrl: fake.url,
      model: "llama3.1:8b",
      timeoutMs: 5000,
      maxOutputTokens: 600,
      dailyTokensPerLearner: 0,
      dailyTokensPerTenant: 0,
      moderation: false,
      structuredOutput: "json_schema" as const,
    };
    const llm = createOpenAiLlm({ config: noKey, clock: { now: () => Date.now() } });
    expect((await llm.hint(hintInput, call())).value).toBe("Quarters!");
    expect(chatRequests()[0]?.body.model).toBe("llama3.1:8b");
  });
});

describe("the circuit breaker", () => {
  it("lets one trial call through after the cooldown, and closes again when it succeeds", async () => {
    let now = Date.now();
    const fakeClock = { now: () => now };
    const llm = createOpenAiLlm({
      config: {
        apiKey: "k",
        baseUrl: fake.url,
        model: "m",
        timeoutMs: 5000,
        maxOutputTokens: 600,
        dailyTokensPerLearner: 0,
        dailyTokensPerTenant: 0,
        moderation: false,
        structuredOutput: "json_schema",
      },
      clock: fakeClock,
      reliability: { maxAttempts: 1, failureThreshold: 2, cooldownMs: 30_000 },
    });
    const options = () => ({ signal: AbortSignal.timeout(5000), deadlineAt: now + 5000 });
    fake.enqueue({ kind: "status", status: 500 }, { kind: "status", status: 500 });
    for (let k = 0; k < 2; k++)
      await expect(llm.hint(hintInput, options())).rejects.toBeInstanceOf(LlmError);
    expect(llm.circuit).toBe("open");
    await expect(llm.hint(hintInput, options())).rejects.toMatchObject({ code: "circuit_open" });
    now += 31_000;
    expect(llm.circuit).toBe("half-open");
    fake.enqueue({ kind: "text", text: "Back again." });
    expect((await llm.hint(hintInput, options())).value).toBe("Back again.");
    expect(llm.circuit).toBe("closed");
  });
});
