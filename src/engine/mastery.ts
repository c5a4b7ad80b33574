import { ValidationError } from "./errors.ts";

/** Mastery is P(known) at or above a threshold, course-wide with per-skill overrides. */
export interface MasteryOptions {
  readonly threshold?: number;
  readonly thresholds?: Readonly<Record<string, number>>;
}

/** The usual mastery criterion of cognitive tutors (Corbett & Anderson 1995). */
export const DEFAULT_MASTERY_THRESHOLD = 0.95;

/** How a response changed a skill's mastery status. */
export type MasteryChange = "gained" | "lost" | "unchanged";

/** The threshold that applies to a skill; validates that every threshold is in (0, 1). */
export function createMasteryThresholds(options: MasteryOptions = {}): (skillId: string) => number {
  const threshold = options.threshold ?? DEFAULT_MASTERY_THRESHOLD;
  const overrides = options.thresholds ?? {};
  for (const [skillId, value] of [
    ["(default)", threshold] as const,
    ...Object.entries(overrides),
  ]) {
    if (!(value > 0 && value < 1)) {
      throw new ValidationError(
        "bad_mastery_threshold",
        `Mastery threshold for ${skillId} must be in (0, 1), got ${value}`,
      );
    }
  }
  return (skillId) => overrides[skillId] ?? threshold;
}

/** Compares mastery before and after a response. */
export function masteryChange(wasMastered: boolean, isMastered: boolean): MasteryChange {
  if (wasMastered === isMastered) return "unchanged";
  return isMastered ? "gained" : "lost";
}
