import type { SharedKey } from "../tutor/index.ts";
import { StoreError } from "./options.ts";

/** The numbers and record field a shared-data call may carry; each is checked only when given. */
export interface SharedInput {
  /** Added to a counter: counters hold token counts, so whole and not negative. */
  readonly amount?: number;
  readonly ttlMs?: number;
  /** A list's size limit: a limit of 0 would keep nothing (and in Redis, `LTRIM -0 -1` everything). */
  readonly max?: number;
  /** A record set's field: a Redis hash field, so non-empty, well-formed text. */
  readonly field?: string;
}

/**
 * Rejects, with a "bad_input" StoreError, what the stores could not keep alike: a tenant, name or
 * record field that is not well-formed UTF-16 (Redis keys are UTF-8), an empty field, or an
 * amount, ttl or limit out of range.
 */
export function checkSharedInput(key: SharedKey, input: SharedInput = {}): void {
  if (!key.tenant.isWellFormed() || !key.name.isWellFormed()) {
    throw new StoreError("bad_input", "A shared key's tenant and name must be well-formed text");
  }
  const { amount, ttlMs, max, field } = input;
  if (amount !== undefined && !(Number.isSafeInteger(amount) && amount >= 0)) {
    throw new StoreError("bad_input", `A counter amount must be a whole number ≥ 0, not ${amount}`);
  }
  if (ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && ttlMs > 0)) {
    throw new StoreError("bad_input", `ttlMs must be a whole number > 0, not ${ttlMs}`);
  }
  if (max !== undefined && !(Number.isSafeInteger(max) && max > 0)) {
    throw new StoreError("bad_input", `A list's max must be a whole number > 0, not ${max}`);
  }
  if (field !== undefined && !(typeof field === "string" && field !== "" && field.isWellFormed())) {
    throw new StoreError("bad_input", "A record's field must be non-empty, well-formed text");
  }
}
