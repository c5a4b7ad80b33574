import { SocraError } from "../engine/index.ts";

/**
 * An LLM failure. Codes: "timeout", "rate_limited", "provider_error" (5xx, connection),
 * "bad_output" (malformed JSON, schema mismatch), "circuit_open" (the provider is failing; no
 * call was made), "aborted" (the learner moved on), "bad_prompt", "bad_prompt_variables".
 */
export class LlmError extends SocraError {
  override readonly name: string = "LlmError";
  /** How long the provider asked us to wait, when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; retryAfterMs?: number } = {},
  ) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
}
