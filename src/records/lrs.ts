import { SocraError, ValidationError } from "../engine/index.ts";
import { XAPI_VERSION, type XapiStatement } from "./statements.ts";

/** Where the Learning Record Store is and how to reach it. */
export interface LrsClientOptions {
  /** The LRS's xAPI base endpoint, e.g. "https://lrs.example/xapi" (statements go to `${endpoint}/statements`). */
  readonly endpoint: string;
  /** HTTP Basic credentials (the LRS's key and secret). Never logged, never in an error. */
  readonly username: string;
  readonly password: string;
  /** A fetch to use instead of the global one. */
  readonly fetch?: typeof fetch;
  /** How long one request may take, body included, before it counts as unavailable. */
  readonly timeoutMs?: number;
}

export const DEFAULT_LRS_TIMEOUT_MS = 10_000;

/** Sends statements to a Learning Record Store. */
export interface LrsClient {
  /**
   * Stores a batch; resolves once every statement is stored at the LRS or was already there.
   * Safe to call again with the same statements: their ids are deterministic.
   */
  send(statements: readonly XapiStatement[]): Promise<void>;
}

/**
 * A Learning Record Store failure. Codes: "unavailable" (connection failed, timeout, 408, 429,
 * 5xx: retry later, after `retryAfterMs` when the LRS said), "rejected" (any other 4xx or a
 * redirect: the statements or the credentials are wrong, and sending them again will not help).
 * Messages carry the status and the LRS's own message, shortened, never the credentials.
 */
export class LrsError extends SocraError {
  override readonly name: string = "LrsError";
  /** How long the LRS asked us to wait, when it said. */
  readonly retryAfterMs: number | undefined;
  /** The HTTP status, when the LRS answered. */
  readonly status: number | undefined;
  readonly isRetryable: boolean;

  constructor(
    code: "unavailable" | "rejected",
    message: string,
    options: { cause?: unknown; retryAfterMs?: number; status?: number } = {},
  ) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
    this.isRetryable = code === "unavailable";
  }
}

/** Longest LRS message kept in an error. */
const MAX_LRS_MESSAGE_CHARS = 300;

/**
 * Creates an xAPI 1.0.3 LRS client that POSTs statement batches with HTTP Basic auth.
 *
 * Duplicates (xAPI Communication §2.1.2): statement ids are name-based, so a re-sent statement
 * has the id it had. An LRS answers 200/204 to a statement it already holds unchanged, and MAY
 * answer 409 Conflict when the content differs (a re-export after the mapping changed); it never
 * modifies a stored statement either way. A 409 for a single statement therefore means "already
 * recorded" and counts as success: retrying can never change it. A 409 for a larger batch may
 * mean the LRS refused the whole batch, new statements included, so the batch is re-sent one
 * statement at a time and each 409 counts as recorded. Repeated ids within a batch are sent once
 * (an LRS rejects a batch with repeated ids, 400).
 */
export function createLrsClient(options: LrsClientOptions): LrsClient {
  const statementsUrl = statementsUrlOf(options.endpoint);
  if (options.username.includes(":"))
    throw new ValidationError("invalid_lrs_credentials", "The LRS username must not contain ':'");
  const token = Buffer.from(`${options.username}:${options.password}`, "utf8").toString("base64");
  const secrets = [token, options.password, options.username].filter((secret) => secret !== "");
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_LRS_TIMEOUT_MS;

  async function post(batch: readonly XapiStatement[]): Promise<"stored" | "conflict"> {
    // One signal for the request and its body: a stalled body is a timeout too.
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetchImpl(statementsUrl, {
        method: "POST",
        headers: {
          Authorization: `Basic ${token}`,
          "X-Experience-API-Version": XAPI_VERSION,
          "Content-Type": "application/json",
        },
        body: JSON.stringify(batch),
        signal,
        // A redirect would resend the credentials somewhere else; configure the final endpoint.
        redirect: "manual",
      });
      if (response.ok) {
        await response.body?.cancel();
        return "stored";
      }
      if (response.status === 409) {
        await response.body?.cancel();
        return "conflict";
      }
      const message = lrsMessageOf(await response.text(), secrets);
      const status = response.status;
      if (status === 408 || status === 429 || status >= 500) {
        const retryAfterMs = retryAfterMsOf(response.headers.get("retry-after"));
        throw new LrsError("unavailable", `The LRS is unavailable (${status})${message}`, {
          status,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        });
      }
      if (status >= 300 && status < 400)
        throw new LrsError(
          "rejected",
          `The LRS answered with a redirect (${status}); configure its final endpoint`,
          { status },
        );
      const hint = status === 401 || status === 403 ? "; check the LRS credentials" : "";
      const rejection = `The LRS rejected the statements (${status})${message}${hint}`;
      throw new LrsError("rejected", rejection, { status });
    } catch (error) {
      if (error instanceof LrsError) throw error;
      if (signal.aborted)
        throw new LrsError("unavailable", `The LRS did not answer within ${timeoutMs} ms`, {
          cause: error,
        });
      throw new LrsError("unavailable", `The LRS is unreachable${networkReasonOf(error)}`, {
        cause: error,
      });
    }
  }

  return {
    async send(statements) {
      const batch = uniqueById(statements);
      if (batch.length === 0) return;
      if ((await post(batch)) === "stored" || batch.length === 1) return;
      for (const statement of batch) await post([statement]);
    },
  };
}

function statementsUrlOf(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    // Not echoed: a malformed endpoint may still hold a secret.
    throw new ValidationError("invalid_lrs_endpoint", "The LRS endpoint is not a URL");
  }
  if (url.username !== "" || url.password !== "")
    throw new ValidationError(
      "invalid_lrs_endpoint",
      "The LRS endpoint must not carry credentials; pass them as username and password",
    );
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ValidationError("invalid_lrs_endpoint", "The LRS endpoint must be http(s)");
  if (url.search !== "" || url.hash !== "")
    throw new ValidationError("invalid_lrs_endpoint", "The LRS endpoint must have no query");
  return `${url.href.replace(/\/+$/, "")}/statements`;
}

function uniqueById(statements: readonly XapiStatement[]): XapiStatement[] {
  const seen = new Set<string>();
  return statements.filter((statement) => {
    if (seen.has(statement.id)) return false;
    seen.add(statement.id);
    return true;
  });
}

/**
 * ": <the LRS's message>" from a JSON error body or plain text, without the credentials (some
 * LRSs echo the request), then shortened; "" when empty.
 */
function lrsMessageOf(body: string, secrets: readonly string[]): string {
  let text = body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "string") text = parsed;
    else if (parsed !== null && typeof parsed === "object") {
      const fields = parsed as Record<string, unknown>;
      const message = [fields.message, fields.error, fields.errorMessage].find(
        (value) => typeof value === "string",
      );
      if (typeof message === "string") text = message;
    }
  } catch {
    // Not JSON: the text as it is.
  }
  const oneLine = redact(text, secrets).replace(/\s+/g, " ").trim();
  if (oneLine === "") return "";
  return `: ${oneLine.length > MAX_LRS_MESSAGE_CHARS ? `${oneLine.slice(0, MAX_LRS_MESSAGE_CHARS)}…` : oneLine}`;
}

/** Replaces every occurrence of each secret. */
function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((redacted, secret) => redacted.replaceAll(secret, "[redacted]"), text);
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms. */
function retryAfterMsOf(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** " (ECONNREFUSED)" from fetch's network error, whose cause holds the system error code. */
function networkReasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === "string" ? ` (${cause.code})` : "";
}
