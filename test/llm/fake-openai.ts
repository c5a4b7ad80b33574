import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** One HTTP request as the fake received it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (the raw text when it was not JSON, undefined when empty). */
  // biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON that tests read freely.
  readonly body: any;
}

/** What the fake answers to one chat-completion request. */
export type FakeReply =
  | {
      kind: "text";
      text: string;
      promptTokens?: number;
      completionTokens?: number;
      /** Characters per SSE content chunk when streamed (default 8). */
      chunkSize?: number;
      /** Pause between SSE chunks when streamed. */
      chunkDelayMs?: number;
    }
  /**
   * The assistant content is `JSON.stringify(value)`; when the request forces a tool
   * (`tools` and a `tool_choice` other than "none"), a tool call carrying these arguments.
   */
  | { kind: "json"; value: unknown }
  /** An HTTP error, e.g. 429 with `retry-after`, or 500; `body` defaults to an OpenAI error. */
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: unknown }
  /** 200 whose body is not JSON (streamed: a garbage `data:` line). */
  | { kind: "malformed" }
  /** Never answers; the socket stays open until the client aborts or the fake closes. */
  | { kind: "hang" }
  /** Streams `afterChunks` content chunks, then destroys the socket (non-streamed: at once). */
  | { kind: "cut"; text: string; afterChunks: number };

type ScheduledReply = FakeReply & { delayMs?: number };

/** A local OpenAI-compatible server for tests; see {@link startFakeOpenAi}. */
export interface FakeOpenAi {
  /** Base URL for ChatOpenAI `configuration.baseURL` or `new OpenAI({ baseURL })`; ends in /v1. */
  readonly url: string;
  /** Every request, in order (chat, moderation and unknown routes). */
  readonly requests: RecordedRequest[];
  /** Replies for the next chat-completion requests, in order; `delayMs` before answering. */
  enqueue(...replies: ScheduledReply[]): void;
  /** Answers chat completions when the queue is empty (default: `{ kind: "text", text: "ok" }`). */
  setResponder(responder: (request: RecordedRequest) => ScheduledReply): void;
  /** Moderation verdict per input string (default: flagged when it contains "FLAG-ME"). */
  setModeration(isFlagged: (input: string) => boolean): void;
  /** Closes the server and destroys open sockets, hung requests included. */
  close(): Promise<void>;
}

const DEFAULT_CHUNK_SIZE = 8;
const DEFAULT_MODEL = "gpt-4o-mini";
const SYSTEM_FINGERPRINT = "fp_fake0001";

const MODERATION_CATEGORIES = [
  "harassment",
  "harassment/threatening",
  "hate",
  "hate/threatening",
  "illicit",
  "illicit/violent",
  "self-harm",
  "self-harm/instructions",
  "self-harm/intent",
  "sexual",
  "sexual/minors",
  "violence",
  "violence/graphic",
] as const;

/** Starts a fake OpenAI API on 127.0.0.1 (random port) that answers from a scripted queue. */
export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const requests: RecordedRequest[] = [];
  const queue: ScheduledReply[] = [];
  let responder: (request: RecordedRequest) => ScheduledReply = () => ({
    kind: "text",
    text: "ok",
  });
  let isFlagged = (input: string) => input.includes("FLAG-ME");
  let sequence = 0;
  const closing = new AbortController();
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    // A client that goes away mid-write must not crash the test process.
    res.on("error", () => {});
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify(errorBody(500, `fake-openai failed: ${String(error)}`)));
      } else {
        res.destroy();
      }
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request: RecordedRequest = {
      method: req.method ?? "GET",
      path: new URL(req.url ?? "/", "http://127.0.0.1").pathname,
      headers: { ...req.headers },
      body: parseBody(await readBody(req)),
    };
    requests.push(request);
    sequence += 1;
    const ids = { n: sequence, requestId: `req_fake${sequence}` };

    if (request.method === "POST" && request.path === "/v1/chat/completions") {
      const reply = queue.shift() ?? responder(request);
      await answerChat(req, res, request, reply, ids);
    } else if (request.method === "POST" && request.path === "/v1/moderations") {
      sendJson(res, 200, moderationBody(request.body, isFlagged, ids.n), ids.requestId);
    } else {
      sendJson(
        res,
        404,
        errorBody(404, `Unknown request URL: ${request.method} ${request.path}`),
        ids.requestId,
      );
    }
  }

  async function answerChat(
    req: IncomingMessage,
    res: ServerResponse,
    request: RecordedRequest,
    reply: ScheduledReply,
    ids: { n: number; requestId: string },
  ): Promise<void> {
    // Aborts pauses when the fake closes or the client goes away.
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    const signal = AbortSignal.any([closing.signal, gone.signal]);
    if (reply.delayMs !== undefined && !(await pause(reply.delayMs, signal))) return;

    const body = asRecord(request.body);
    const isStream = body.stream === true;
    const isUsageStreamed = asRecord(body.stream_options).include_usage === true;
    const meta: CompletionMeta = {
      id: `chatcmpl-fake${ids.n}`,
      created: Math.floor(Date.now() / 1000),
      model: typeof body.model === "string" ? body.model : DEFAULT_MODEL,
    };
    const promptTokens = estimateTokens(JSON.stringify(body.messages ?? []));

    switch (reply.kind) {
      case "hang":
        return;
      case "status":
        sendStatus(res, reply, ids.requestId);
        return;
      case "malformed":
        if (isStream) {
          openStream(res, ids.requestId);
          await write(res, 'data: {"id":"chatcmpl-broken","choices":[{"delta":\n\n');
          res.end();
        } else {
          res.writeHead(200, { "content-type": "application/json", "x-request-id": ids.requestId });
          res.end('{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"message":');
        }
        return;
      case "cut":
        if (!isStream) {
          req.socket.destroy();
          return;
        }
        openStream(res, ids.requestId);
        await write(
          res,
          sse(
            chunkBody(
              meta,
              { role: "assistant", content: "", refusal: null },
              null,
              isUsageStreamed,
            ),
          ),
        );
        for (const piece of splitText(reply.text, DEFAULT_CHUNK_SIZE).slice(0, reply.afterChunks)) {
          await write(res, sse(chunkBody(meta, { content: piece }, null, isUsageStreamed)));
        }
        req.socket.destroy();
        return;
      case "text": {
        const usage = usageBody(
          reply.promptTokens ?? promptTokens,
          reply.completionTokens ?? estimateTokens(reply.text),
        );
        if (!isStream) {
          const message = {
            role: "assistant",
            content: reply.text,
            refusal: null,
            annotations: [],
          };
          sendJson(res, 200, completionBody(meta, message, "stop", usage), ids.requestId);
          return;
        }
        const deltas = splitText(reply.text, reply.chunkSize ?? DEFAULT_CHUNK_SIZE).map(
          (piece) => ({ content: piece }),
        );
        await streamDeltas(res, { role: "assistant", content: "", refusal: null }, deltas, "stop", {
          meta,
          usage: isUsageStreamed ? usage : undefined,
          chunkDelayMs: reply.chunkDelayMs ?? 0,
          requestId: ids.requestId,
          signal,
        });
        return;
      }
      case "json": {
        const content = JSON.stringify(reply.value) ?? "null";
        const usage = usageBody(promptTokens, estimateTokens(content));
        const tool = requestedTool(body);
        if (tool === undefined) {
          if (!isStream) {
            const message = { role: "assistant", content, refusal: null, annotations: [] };
            sendJson(res, 200, completionBody(meta, message, "stop", usage), ids.requestId);
            return;
          }
          const deltas = splitText(content, DEFAULT_CHUNK_SIZE).map((piece) => ({
            content: piece,
          }));
          await streamDeltas(
            res,
            { role: "assistant", content: "", refusal: null },
            deltas,
            "stop",
            {
              meta,
              usage: isUsageStreamed ? usage : undefined,
              chunkDelayMs: 0,
              requestId: ids.requestId,
              signal,
            },
          );
          return;
        }
        const callId = `call_fake${ids.n}`;
        // OpenAI reports "stop" when tool_choice names the function, "tool_calls" otherwise.
        const finishReason = tool.isNamed ? "stop" : "tool_calls";
        if (!isStream) {
          const message = {
            role: "assistant",
            content: null,
            refusal: null,
            annotations: [],
            tool_calls: [
              { id: callId, type: "function", function: { name: tool.name, arguments: content } },
            ],
          };
          sendJson(res, 200, completionBody(meta, message, finishReason, usage), ids.requestId);
          return;
        }
        const first = {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: [
            {
              index: 0,
              id: callId,
              type: "function",
              function: { name: tool.name, arguments: "" },
            },
          ],
        };
        const deltas = splitText(content, DEFAULT_CHUNK_SIZE).map((piece) => ({
          tool_calls: [{ index: 0, function: { arguments: piece } }],
        }));
        await streamDeltas(res, first, deltas, finishReason, {
          meta,
          usage: isUsageStreamed ? usage : undefined,
          chunkDelayMs: 0,
          requestId: ids.requestId,
          signal,
        });
        return;
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue(...replies) {
      queue.push(...replies);
    },
    setResponder(next) {
      responder = next;
    },
    setModeration(next) {
      isFlagged = next;
    },
    async close() {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

interface CompletionMeta {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

interface StreamOptions {
  readonly meta: CompletionMeta;
  /** The usage chunk's payload, when the request asked for it. */
  readonly usage: Record<string, unknown> | undefined;
  readonly chunkDelayMs: number;
  readonly requestId: string;
  readonly signal: AbortSignal;
}

/** Streams a role delta, the given deltas, a finish chunk, the usage chunk and [DONE]. */
async function streamDeltas(
  res: ServerResponse,
  first: Record<string, unknown>,
  deltas: readonly Record<string, unknown>[],
  finishReason: string,
  options: StreamOptions,
): Promise<void> {
  const { meta, usage } = options;
  const isUsageStreamed = usage !== undefined;
  openStream(res, options.requestId);
  await write(res, sse(chunkBody(meta, first, null, isUsageStreamed)));
  for (const delta of deltas) {
    if (options.chunkDelayMs > 0 && !(await pause(options.chunkDelayMs, options.signal))) return;
    await write(res, sse(chunkBody(meta, delta, null, isUsageStreamed)));
  }
  await write(res, sse(chunkBody(meta, {}, finishReason, isUsageStreamed)));
  if (usage !== undefined) {
    await write(res, sse({ ...chunkEnvelope(meta), choices: [], usage: { ...usage } }));
  }
  await write(res, "data: [DONE]\n\n");
  res.end();
}

function openStream(res: ServerResponse, requestId: string): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-request-id": requestId,
  });
  res.flushHeaders();
}

function sse(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** Writes and waits until the data is handed to the socket (so a later destroy cannot drop it). */
function write(res: ServerResponse, data: string): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    res.write(data, () => resolve());
  });
}

/** Waits `ms`; false when the fake closed or the client left meanwhile. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function chunkEnvelope(meta: CompletionMeta) {
  return {
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    service_tier: "default",
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

function chunkBody(
  meta: CompletionMeta,
  delta: Record<string, unknown>,
  finishReason: string | null,
  isUsageStreamed: boolean,
) {
  return {
    ...chunkEnvelope(meta),
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    // OpenAI sends `usage: null` on every chunk but the last when include_usage is set.
    ...(isUsageStreamed ? { usage: null } : {}),
  };
}

function completionBody(
  meta: CompletionMeta,
  message: Record<string, unknown>,
  finishReason: string,
  usage: Record<string, unknown>,
) {
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
    usage,
    service_tier: "default",
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

function usageBody(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function sendStatus(
  res: ServerResponse,
  reply: Extract<FakeReply, { kind: "status" }>,
  requestId: string,
): void {
  const body = reply.body === undefined ? errorBody(reply.status) : reply.body;
  const isText = typeof body === "string";
  res.writeHead(reply.status, {
    "content-type": isText ? "text/plain; charset=utf-8" : "application/json",
    "x-request-id": requestId,
    ...reply.headers,
  });
  res.end(isText ? body : JSON.stringify(body));
}

function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "x-request-id": requestId,
    "openai-processing-ms": "1",
  });
  res.end(JSON.stringify(body));
}

/** The error envelope OpenAI uses; messages avoid "try again in", which LangChain parses. */
function errorBody(status: number, message?: string) {
  if (status === 429) {
    return {
      error: {
        message: message ?? "Rate limit reached for requests.",
        type: "requests",
        param: null,
        code: "rate_limit_exceeded",
      },
    };
  }
  if (status >= 500) {
    return {
      error: {
        message: message ?? "The server had an error while processing your request.",
        type: "server_error",
        param: null,
        code: null,
      },
    };
  }
  return {
    error: {
      message: message ?? `Request failed with status ${status}.`,
      type: "invalid_request_error",
      param: null,
      code: status === 404 ? "unknown_url" : null,
    },
  };
}

function moderationBody(body: unknown, isFlagged: (input: string) => boolean, n: number) {
  const request = asRecord(body);
  const input = request.input;
  // Strings are judged one by one; a multimodal array is one input whose text parts are joined.
  const texts =
    typeof input === "string"
      ? [input]
      : Array.isArray(input) && input.every((item) => typeof item === "string")
        ? input
        : [
            (Array.isArray(input) ? input : [])
              .map((part) => asRecord(part).text)
              .filter((text): text is string => typeof text === "string")
              .join("\n"),
          ];
  return {
    id: `modr-fake${n}`,
    model: typeof request.model === "string" ? request.model : "omni-moderation-latest",
    results: texts.map((text) => moderationResult(isFlagged(text))),
  };
}

function moderationResult(flagged: boolean) {
  const categories: Record<string, boolean> = {};
  const scores: Record<string, number> = {};
  const appliedTypes: Record<string, string[]> = {};
  for (const category of MODERATION_CATEGORIES) {
    const isHit = flagged && category === "harassment";
    categories[category] = isHit;
    scores[category] = isHit ? 0.93 : 0.0001;
    appliedTypes[category] = ["text"];
  }
  return {
    flagged,
    categories,
    category_scores: scores,
    category_applied_input_types: appliedTypes,
  };
}

/** The function a request forces: tool_choice names it, or "required"/"auto" picks the first. */
function requestedTool(
  body: Record<string, unknown>,
): { name: string; isNamed: boolean } | undefined {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const choice = body.tool_choice;
  if (tools.length === 0 || choice === undefined || choice === "none") return undefined;
  const namedFunction = asRecord(asRecord(choice).function).name;
  if (typeof namedFunction === "string") return { name: namedFunction, isNamed: true };
  const firstName = asRecord(asRecord(tools[0]).function).name;
  return typeof firstName === "string" ? { name: firstName, isNamed: false } : undefined;
}

/** Splits by code points so a chunk never holds half a surrogate pair. */
function splitText(text: string, size: number): string[] {
  const chars = Array.from(text);
  const step = Math.max(1, Math.floor(size));
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += step) pieces.push(chars.slice(i, i + step).join(""));
  return pieces;
}

/** A stable stand-in for a tokenizer: about four characters per token. */
function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
