import type { Clock } from "../tutor/index.ts";
import { LlmError } from "./errors.ts";

export interface ReliabilityOptions {
  /** Calls per request, the first included. */
  readonly maxAttempts?: number;
  /** Backoff before the second attempt; doubles after each retry (with jitter). */
  readonly baseDelayMs?: number;
  /** Consecutive failed requests after which the circuit opens. */
  readonly failureThreshold?: number;
  /** How long an open circuit sends callers to authored content before one trial call. */
  readonly cooldownMs?: number;
}

export const DEFAULT_RELIABILITY = {
  maxAttempts: 3,
  baseDelayMs: 400,
  failureThreshold: 5,
  cooldownMs: 30_000,
} as const satisfies Required<ReliabilityOptions>;

/**
 * Stops calling a failing provider: after `failureThreshold` consecutive failures the circuit
 * opens and calls fail at once (the tutor falls back to authored content); after `cooldownMs`
 * one trial call goes through, and its success closes the circuit again.
 */
export interface CircuitBreaker {
  /** Throws LlmError "circuit_open" while the provider is considered down. */
  check(): void;
  succeeded(): void;
  failed(): void;
  /** A call ended without telling anything about the provider: a trial may run again. */
  released(): void;
  readonly state: "closed" | "open" | "half-open";
}

export function createCircuitBreaker(
  clock: Clock,
  options: ReliabilityOptions = {},
): CircuitBreaker {
  const settings = { ...DEFAULT_RELIABILITY, ...options };
  let failures = 0;
  let openedAt: number | undefined;
  let isTrialRunning = false;
  const stateNow = (): CircuitBreaker["state"] => {
    if (openedAt === undefined) return "closed";
    return clock.now() - openedAt >= settings.cooldownMs ? "half-open" : "open";
  };
  return {
    check() {
      const state = stateNow();
      if (state === "closed") return;
      if (state === "half-open" && !isTrialRunning) {
        isTrialRunning = true;
        return;
      }
      throw new LlmError("circuit_open", "The LLM provider is failing; using authored content");
    },
    succeeded() {
      failures = 0;
      openedAt = undefined;
      isTrialRunning = false;
    },
    released() {
      isTrialRunning = false;
    },
    failed() {
      failures += 1;
      isTrialRunning = false;
      if (failures >= settings.failureThreshold || openedAt !== undefined) openedAt = clock.now();
    },
    get state() {
      return stateNow();
    },
  };
}

/** An error from LangChain or the openai SDK, read as an LlmError with a code. */
export function toLlmError(error: unknown, signal: AbortSignal): LlmError {
  if (error instanceof LlmError) return error;
  if (signal.aborted) {
    const reason = signal.reason as { name?: string } | undefined;
    return reason?.name === "TimeoutError"
      ? new LlmError("timeout", "The LLM did not answer in time", { cause: error })
      : new LlmError("aborted", "The LLM call was cancelled", { cause: error });
  }
  const status = statusOf(error);
  const retryAfterMs = retryAfterOf(error);
  const options = { cause: error, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  const message = error instanceof Error ? error.message : String(error);
  if (status === 429) return new LlmError("rate_limited", `LLM rate limit: ${message}`, options);
  if (status !== undefined && status >= 500)
    return new LlmError("provider_error", `LLM provider error ${status}`, options);
  if (status !== undefined)
    return new LlmError("request_rejected", `LLM request rejected ${status}: ${message}`, options);
  // Malformed JSON from the SDK, or LangChain's parser failing on the model's output.
  const name = error instanceof Error ? error.name : "";
  const langChainCode = (error as { lc_error_code?: unknown }).lc_error_code;
  if (name === "SyntaxError" || langChainCode === "OUTPUT_PARSING_FAILURE")
    return new LlmError("bad_output", `LLM output unusable: ${message}`, options);
  return new LlmError("provider_error", `LLM call failed: ${message}`, options);
}

const isRetryable = (error: LlmError): boolean =>
  error.code === "rate_limited" || error.code === "provider_error";

/**
 * Runs a request with retries on 429, 5xx and connection errors, waiting for the provider's
 * Retry-After when it gives one (exponential backoff with jitter otherwise), and never past the
 * deadline: when the wait would overrun it, the error is returned at once so the learner gets
 * authored content in time. `hasOutput` stops retries once a stream has shown text.
 */
export async function withRetries<T>(
  run: () => Promise<T>,
  context: {
    readonly signal: AbortSignal;
    readonly deadlineAt: number;
    readonly clock: Clock;
    readonly breaker: CircuitBreaker;
    readonly hasOutput?: () => boolean;
    readonly options?: ReliabilityOptions;
  },
): Promise<T> {
  const settings = { ...DEFAULT_RELIABILITY, ...context.options };
  context.breaker.check();
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await run();
      context.breaker.succeeded();
      return result;
    } catch (raw) {
      const error = toLlmError(raw, context.signal);
      // Cancellations, bad output and rejected requests say nothing about the provider's health.
      if (
        error.code === "aborted" ||
        error.code === "bad_output" ||
        error.code === "request_rejected"
      ) {
        context.breaker.released();
        throw error;
      }
      const delayMs =
        error.retryAfterMs ??
        settings.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
      const canRetry =
        isRetryable(error) &&
        attempt < settings.maxAttempts &&
        !(context.hasOutput?.() ?? false) &&
        context.clock.now() + delayMs < context.deadlineAt;
      if (!canRetry) {
        context.breaker.failed();
        throw error;
      }
      await sleep(delayMs, context.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(toLlmError(signal.reason, signal));
    }
    signal.addEventListener("abort", abort, { once: true });
  });
}

function statusOf(error: unknown): number | undefined {
  const candidates = [error, (error as { cause?: unknown })?.cause];
  for (const candidate of candidates) {
    const status = (candidate as { status?: unknown } | undefined)?.status;
    if (typeof status === "number") return status;
  }
  return undefined;
}

/** Retry-After in seconds (or an HTTP date), or retry-after-ms, from the error's headers. */
function retryAfterOf(error: unknown): number | undefined {
  for (const candidate of [error, (error as { cause?: unknown })?.cause]) {
    const headers = (candidate as { headers?: unknown } | undefined)?.headers;
    const read = (name: string): string | undefined => {
      if (headers instanceof Headers) return headers.get(name) ?? undefined;
      const value = (headers as Record<string, unknown> | undefined)?.[name];
      return typeof value === "string" ? value : undefined;
    };
    const ms = Number(read("retry-after-ms"));
    if (Number.isFinite(ms) && ms >= 0 && read("retry-after-ms") !== undefined) return ms;
    const value = read("retry-after");
    if (value === undefined) continue;
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(value);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  return undefined;
}
