/**
 * The project's error hierarchy. It lives in the engine because the engine is the innermost
 * layer: every other layer may import it, and the engine may import nothing outside itself.
 * Callers branch on `code`, never on message text.
 */
export class SocraError extends Error {
  override readonly name: string = "SocraError";
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Invalid input to a pure function: an unknown skill, a malformed row, an empty data set. */
export class ValidationError extends SocraError {
  override readonly name: string = "ValidationError";
}

/** A prerequisite cycle; `cycle` lists the skills in order, the first repeated at the end. */
export class PrerequisiteCycleError extends ValidationError {
  override readonly name: string = "PrerequisiteCycleError";
  readonly cycle: readonly string[];

  constructor(cycle: readonly string[]) {
    super("prerequisite_cycle", `Prerequisite cycle: ${cycle.join(" → ")}`);
    this.cycle = cycle;
  }
}
