import type { AIMessageChunk } from "@langchain/core/messages";
import { ChatOpenAI, type ChatOpenAIFields } from "@langchain/openai";
import OpenAI, { APIConnectionError, InternalServerError, RateLimitError } from "openai";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { type FakeOpenAi, startFakeOpenAi } from "./fake-openai.ts";

// nock is not installed, so this suite guards the network itself: any fetch to a host other
// than 127.0.0.1 is refused (with a TypeError that LangChain's retry does not retry) and
// recorded, and afterEach fails the test that caused it.
const realFetch = globalThis.fetch;
const blockedUrls: string[] = [];

function loopbackOnlyFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname !== "127.0.0.1") {
    blockedUrls.push(url.href);
    return Promise.reject(new TypeError(`test refused a non-local fetch: ${url.href}`));
  }
  return realFetch(input, init);
}

let fake: FakeOpenAi;

beforeAll(() => {
  vi.stubGlobal("fetch", loopbackOnlyFetch);
});
afterAll(() => {
  vi.unstubAllGlobals();
});
beforeEach(async () => {
  fake = await startFakeOpenAi();
});
afterEach(async () => {
  await fake.close();
  const attempted = blockedUrls.splice(0);
  expect(attempted, "non-local fetches").toEqual([]);
});

/** A ChatOpenAI pointed at the fake; no retries unless a test asks for them. */
function chat(fields: ChatOpenAIFields = {}): ChatOpenAI {
  return new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "test-key",
    maxRetries: 0,
    ...fields,
    // logLevel "off": the SDK logs malformed SSE lines to the console otherwise.
    configuration: { baseURL: fake.url, logLevel: "off" },
  });
}

/** The error `run` rejects with; fails the test when it resolves. */
async function rejectionOf(run: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error & Record<string, unknown>;
  }
  return expect.fail("expected a rejection");
}

/**
 * Drains a LangChain stream, keeping what arrived before an error. `stream()` itself
 * rejects when the error comes before the first chunk, hence the function.
 */
async function drain(open: () => Promise<AsyncIterable<AIMessageChunk>>) {
  const chunks: AIMessageChunk[] = [];
  let error: unknown;
  try {
    for await (const chunk of await open()) chunks.push(chunk);
  } catch (caught) {
    error = caught;
  }
  return { chunks, text: chunks.map((chunk) => chunk.text).join(""), error };
}

function aggregate(chunks: readonly AIMessageChunk[]): AIMessageChunk {
  const [first, ...rest] = chunks;
  if (first === undefined) return expect.fail("the stream yielded no chunk");
  return rest.reduce((sum, chunk) => sum.concat(chunk), first);
}

const Verdict = z.object({ verdict: z.enum(["right", "wrong"]), score: z.number() });

describe("fake OpenAI through ChatOpenAI", () => {
  it("answers invoke with text and usage, and records the request", async () => {
    fake.enqueue({ kind: "text", text: "Hello there", promptTokens: 11, completionTokens: 3 });

    const message = await chat().invoke("hi");

    expect(message.content).toBe("Hello there");
    expect(message.usage_metadata).toMatchObject({
      input_tokens: 11,
      output_tokens: 3,
      total_tokens: 14,
    });
    expect(message.response_metadata).toMatchObject({
      finish_reason: "stop",
      model_name: "gpt-4o-mini",
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: "POST",
      path: "/v1/chat/completions",
      headers: { authorization: "Bearer test-key" },
      body: { model: "gpt-4o-mini", stream: false, messages: [{ role: "user", content: "hi" }] },
    });
  });

  it("streams text in chunks and ends with usage when include_usage is asked", async () => {
    fake.enqueue({ kind: "text", text: "Think of quarters.", chunkSize: 4, completionTokens: 5 });

    const { chunks, text, error } = await drain(() => chat().stream("hi"));

    expect(error).toBeUndefined();
    expect(text).toBe("Think of quarters.");
    expect(chunks.filter((chunk) => chunk.text !== "").map((chunk) => chunk.text)).toEqual([
      "Thin",
      "k of",
      " qua",
      "rter",
      "s.",
    ]);
    expect(aggregate(chunks).usage_metadata).toMatchObject({ output_tokens: 5 });
    expect(fake.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("answers from the responder when the queue is empty, after delayMs", async () => {
    fake.setResponder((request) => ({
      kind: "text",
      text: `echo: ${request.body.messages.at(-1).content}`,
      delayMs: 20,
    }));

    const [first, second] = await Promise.all([chat().invoke("one"), chat().invoke("two")]);

    expect([first.content, second.content]).toEqual(["echo: one", "echo: two"]);
  });

  it("answers 'ok' by default", async () => {
    const message = await chat().invoke("anything");
    expect(message.content).toBe("ok");
  });

  it("parses structured output with method jsonSchema", async () => {
    fake.enqueue({ kind: "json", value: { verdict: "right", score: 0.9 } });

    const verdict = await chat()
      .withStructuredOutput(Verdict, { method: "jsonSchema", name: "grade" })
      .invoke("grade this");

    expect(verdict).toEqual({ verdict: "right", score: 0.9 });
    expect(fake.requests[0]?.body.response_format).toMatchObject({
      type: "json_schema",
      json_schema: { name: "grade", strict: true, schema: { type: "object" } },
    });
  });

  it("parses structured output with method functionCalling from a tool call", async () => {
    fake.enqueue({ kind: "json", value: { verdict: "wrong", score: 0.1 } });

    const verdict = await chat()
      .withStructuredOutput(Verdict, { method: "functionCalling", name: "grade" })
      .invoke("grade this");

    expect(verdict).toEqual({ verdict: "wrong", score: 0.1 });
    expect(fake.requests[0]?.body).toMatchObject({
      tools: [{ type: "function", function: { name: "grade" } }],
      tool_choice: { type: "function", function: { name: "grade" } },
    });
  });

  it("parses structured output with method jsonMode", async () => {
    fake.enqueue({ kind: "json", value: { verdict: "right", score: 1 } });

    const verdict = await chat()
      .withStructuredOutput(Verdict, { method: "jsonMode" })
      .invoke("grade this, in JSON");

    expect(verdict).toEqual({ verdict: "right", score: 1 });
    expect(fake.requests[0]?.body.response_format).toEqual({ type: "json_object" });
  });

  it("streams a forced tool call as argument deltas", async () => {
    fake.enqueue({ kind: "json", value: { verdict: "right", score: 0.75 } });
    const tool = {
      type: "function" as const,
      function: {
        name: "grade",
        description: "Grades an answer.",
        parameters: z.toJSONSchema(Verdict),
      },
    };

    const { chunks, error } = await drain(() =>
      chat().bindTools([tool], { tool_choice: "grade" }).stream("grade this"),
    );

    expect(error).toBeUndefined();
    expect(chunks.length).toBeGreaterThan(3);
    expect(aggregate(chunks).tool_calls).toEqual([
      expect.objectContaining({ name: "grade", args: { verdict: "right", score: 0.75 } }),
    ]);
  });
});

describe("failures as LangChain surfaces them", () => {
  it("429 reaches the caller as the SDK's RateLimitError with status, headers and lc_error_code", async () => {
    fake.enqueue({ kind: "status", status: 429, headers: { "retry-after": "7" } });

    const error = await rejectionOf(() => chat().invoke("hi"));

    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({
      status: 429,
      lc_error_code: "MODEL_RATE_LIMIT",
      code: "rate_limit_exceeded",
      // Set by @langchain/core's failed-attempt handler even when maxRetries is 0.
      retryAfterMs: 7000,
      rateLimitType: "wait",
    });
    expect((error as unknown as RateLimitError).headers.get("retry-after")).toBe("7");
    expect(fake.requests).toHaveLength(1);
  });

  it("with maxRetries > 0 retries a 429 no sooner than its Retry-After", async () => {
    // The backoff alone waits 1–2 s before the first retry; 3 s can only come from the header.
    fake.enqueue(
      { kind: "status", status: 429, headers: { "retry-after": "3" } },
      { kind: "text", text: "recovered" },
    );
    const startedAt = performance.now();

    const message = await chat({ maxRetries: 1 }).invoke("hi");

    expect(message.content).toBe("recovered");
    expect(fake.requests).toHaveLength(2);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(2900);
  });

  it("does not retry a 429 without Retry-After, even with maxRetries > 0", async () => {
    fake.enqueue({ kind: "status", status: 429 }, { kind: "text", text: "never asked" });

    const error = await rejectionOf(() => chat({ maxRetries: 2 }).invoke("hi"));

    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({
      name: "RateLimitCapacityError",
      status: 429,
      rateLimitType: "capacity",
      rateLimitReason: "headerless_429",
    });
    expect(fake.requests).toHaveLength(1);
  });

  it("500 reaches the caller as InternalServerError", async () => {
    fake.enqueue({ kind: "status", status: 500 });

    const error = await rejectionOf(() => chat().invoke("hi"));

    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({ status: 500, type: "server_error" });
    expect(error.lc_error_code).toBeUndefined();
  });

  it("a malformed JSON body surfaces as a SyntaxError", async () => {
    fake.enqueue({ kind: "malformed" });

    const error = await rejectionOf(() => chat().invoke("hi"));

    expect(error).toBeInstanceOf(SyntaxError);
    expect(error.status).toBeUndefined();
  });

  it("a malformed SSE line rejects stream() itself, since it comes before the first chunk", async () => {
    fake.enqueue({ kind: "malformed" });

    const error = await rejectionOf(() => chat().stream("hi"));

    expect(error).toBeInstanceOf(SyntaxError);
    expect(error.message).toBe("Error reading response: malformed server-sent event JSON.");
  });

  it("a hung request fails with name TimeoutError after ChatOpenAI's timeout", async () => {
    fake.enqueue({ kind: "hang" });
    const startedAt = performance.now();

    const error = await rejectionOf(() => chat({ timeout: 300 }).invoke("hi"));

    expect(error).toMatchObject({ name: "TimeoutError", message: "Request timed out." });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(250);
    expect(fake.requests).toHaveLength(1);
  });

  it("an aborted signal fails a hung request with name AbortError", async () => {
    const controller = new AbortController();
    fake.setResponder(() => {
      controller.abort();
      return { kind: "hang" };
    });

    const error = await rejectionOf(() => chat().invoke("hi", { signal: controller.signal }));

    expect(error).toMatchObject({ name: "AbortError", message: "Request was aborted." });
  });

  it("the call option timeout is an abort too: name AbortError, not TimeoutError", async () => {
    fake.enqueue({ kind: "hang" });

    const error = await rejectionOf(() => chat().invoke("hi", { timeout: 300 }));

    expect(error).toMatchObject({ name: "AbortError", message: "Request was aborted." });
  });

  it("ChatOpenAI's timeout stops at the response headers: a slow stream still completes", async () => {
    // Headers come at once; the one content chunk comes after longer than the timeout.
    fake.enqueue({ kind: "text", text: "slow but sure", chunkSize: 100, chunkDelayMs: 1500 });

    const { text, error } = await drain(() => chat({ timeout: 1000 }).stream("hi"));

    expect(error).toBeUndefined();
    expect(text).toBe("slow but sure");
  });

  it("the call option timeout does stop a stream stalled mid-way", async () => {
    fake.enqueue({ kind: "text", text: "never finished", chunkDelayMs: 60_000 });

    const { text, error } = await drain(() => chat().stream("hi", { timeout: 300 }));

    expect(text).toBe("");
    expect(error).toMatchObject({ name: "TimeoutError" });
  });

  it("a cut stream yields the chunks sent, then a TypeError 'terminated'", async () => {
    fake.enqueue({ kind: "cut", text: "Think of quarters first.", afterChunks: 2 });

    const { text, error } = await drain(() => chat().stream("hi"));

    expect(text).toBe("Think of quarter");
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ message: "terminated", cause: { message: "other side closed" } });
  });

  it("a connection cut before the response surfaces as APIConnectionError", async () => {
    fake.enqueue({ kind: "cut", text: "unused", afterChunks: 0 });

    const error = await rejectionOf(() => chat().invoke("hi"));

    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error).toMatchObject({ message: "Connection error." });
  });

  it("close() ends hung requests instead of waiting for them", async () => {
    let arrived: () => void = () => {};
    const requestArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    fake.setResponder(() => {
      arrived();
      return { kind: "hang" };
    });

    const pending = rejectionOf(() => chat().invoke("hi"));
    await requestArrived;
    await fake.close();

    expect(await pending).toBeInstanceOf(APIConnectionError);
  });
});

describe("fake OpenAI through the openai SDK", () => {
  function sdk(): OpenAI {
    return new OpenAI({ baseURL: fake.url, apiKey: "test-key", maxRetries: 0, logLevel: "off" });
  }

  it("moderates a single input", async () => {
    const clean = await sdk().moderations.create({
      model: "omni-moderation-latest",
      input: "What is 1/2 + 1/4?",
    });
    const flagged = await sdk().moderations.create({
      model: "omni-moderation-latest",
      input: "FLAG-ME please",
    });

    expect(clean.results.map((result) => result.flagged)).toEqual([false]);
    expect(flagged.results[0]).toMatchObject({ flagged: true, categories: { harassment: true } });
    expect(fake.requests.map((request) => request.path)).toEqual([
      "/v1/moderations",
      "/v1/moderations",
    ]);
    expect(fake.requests[1]?.body).toEqual({
      model: "omni-moderation-latest",
      input: "FLAG-ME please",
    });
  });

  it("moderates each string of an array with a custom verdict", async () => {
    fake.setModeration((input) => input.includes("nasty"));

    const response = await sdk().moderations.create({
      model: "omni-moderation-latest",
      input: ["kind words", "nasty words", "FLAG-ME"],
    });

    expect(response.results.map((result) => result.flagged)).toEqual([false, true, false]);
    expect(response.model).toBe("omni-moderation-latest");
  });

  it("streams raw chunks: role first, finish_reason, then a usage chunk with no choices", async () => {
    fake.enqueue({ kind: "text", text: "abc", chunkSize: 1, promptTokens: 4, completionTokens: 3 });

    const stream = await sdk().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks[0]?.choices[0]?.delta).toMatchObject({ role: "assistant", content: "" });
    expect(chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content))).toEqual([
      "",
      "a",
      "b",
      "c",
      undefined,
    ]);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({
      object: "chat.completion.chunk",
      choices: [],
      usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 },
    });
  });

  it("answers unknown routes with an OpenAI-style 404", async () => {
    const error = await rejectionOf(() => sdk().embeddings.create({ model: "x", input: "y" }));

    expect(error).toMatchObject({ status: 404, code: "unknown_url" });
  });
});

describe("tiktoken downloads (forbidden traffic)", () => {
  it("ChatOpenAI({ streaming: true }).invoke and getNumTokens fetch tiktoken ranks from the internet", async () => {
    // Guarded above: the fetch is refused here, LangChain warns and falls back to length / 4.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    fake.enqueue({ kind: "text", text: "tok" });

    const message = await chat({ streaming: true }).invoke("hi");
    const count = await chat().getNumTokens("sixteen chars...");

    expect(message.content).toBe("tok");
    expect(count).toBe(4);
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
    const attempted = blockedUrls.splice(0);
    expect(new Set(attempted)).toEqual(new Set(["https://tiktoken.pages.dev/js/gpt2.json"]));
  });
});
