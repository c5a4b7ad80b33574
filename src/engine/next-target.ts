import { ValidationError } from "./errors.ts";
import type { CompetencyGraph } from "./graph.ts";
import {
  DEFAULT_STUCK_AFTER_ATTEMPTS,
  expectedPracticeGain,
  isStuck,
  type KnowledgeModel,
  type LearnerState,
  skillProgress,
} from "./learner.ts";

/** Practice a teacher asked for. */
export interface Assignment {
  readonly id: string;
  readonly skillIds: readonly string[];
  readonly dueAt?: number;
  readonly createdAt: number;
  /**
   * Items still to do when the assignment completes by count; without it, the assignment
   * completes when its skills are mastered.
   */
  readonly remainingItems?: number;
  /** The teacher insists: practise the skills even if their prerequisites are not mastered. */
  readonly isForced?: boolean;
}

/** Why a skill was chosen. */
export type TargetReason = "assignment" | "assignment-prerequisite" | "review" | "frontier";

export type NextTarget =
  | {
      readonly kind: "practice";
      readonly skillId: string;
      readonly reason: TargetReason;
      readonly assignmentId?: string;
      /** Wheel-spinning (see isStuck): worth a teacher's attention. */
      readonly isStuck: boolean;
    }
  | {
      readonly kind: "done";
      readonly reason: "all-mastered";
      /** When the next spaced review falls due, if any skill has one. */
      readonly nextReviewAt?: number;
    };

export interface NextTargetOptions {
  /** First attempts on an unmastered skill after which it may count as stuck (see isStuck). */
  readonly stuckAfterAttempts?: number;
}

export interface NextTargetInput {
  readonly graph: CompetencyGraph;
  readonly learner: LearnerState;
  readonly model: KnowledgeModel;
  readonly now: number;
  readonly assignments?: readonly Assignment[];
  readonly options?: NextTargetOptions;
}

/**
 * Decides what a learner practises next, in this order: open assignments (earliest due first),
 * bringing in unmastered prerequisites of an assigned skill first; spaced reviews that are due
 * (most overdue first); then the frontier, unmastered skills whose prerequisites are all
 * mastered, ordered by frontierPriority (ties in course order). A skill whose prerequisites are
 * unmastered is never chosen unless an assignment forces it.
 */
export function chooseNextTarget(input: NextTargetInput): NextTarget {
  const { graph, learner, model, now } = input;
  const stuckAfterAttempts = input.options?.stuckAfterAttempts ?? DEFAULT_STUCK_AFTER_ATTEMPTS;
  const isMastered = (skillId: string): boolean =>
    skillProgress(learner, model, skillId).isMastered;
  const ready = (skillId: string): boolean => graph.prerequisitesOf(skillId).every(isMastered);
  const practice = (skillId: string, reason: TargetReason, assignmentId?: string): NextTarget => ({
    kind: "practice",
    skillId,
    reason,
    isStuck: isStuck(learner, model, skillId, stuckAfterAttempts),
    ...(assignmentId === undefined ? {} : { assignmentId }),
  });

  const assignments = [...(input.assignments ?? [])].sort(
    (a, b) =>
      (a.dueAt ?? Number.POSITIVE_INFINITY) - (b.dueAt ?? Number.POSITIVE_INFINITY) ||
      a.createdAt - b.createdAt,
  );
  let stuckChoice: NextTarget | undefined;
  const offer = (target: NextTarget): NextTarget | undefined => {
    if (target.kind === "practice" && target.isStuck) {
      stuckChoice ??= target;
      return undefined;
    }
    return target;
  };
  for (const assignment of assignments) {
    for (const skillId of assignment.skillIds) {
      if (!graph.has(skillId)) {
        throw new ValidationError(
          "unknown_skill",
          `Assignment ${assignment.id} names unknown skill "${skillId}"`,
        );
      }
    }
    const isCountBased = assignment.remainingItems !== undefined;
    if (isCountBased && (assignment.remainingItems as number) <= 0) continue;
    const ordered = [...assignment.skillIds].sort((a, b) => graph.orderOf(a) - graph.orderOf(b));
    for (const skillId of ordered) {
      if (!isCountBased && isMastered(skillId)) continue;
      if (!assignment.isForced) {
        const missing = graph.ancestorsOf(skillId).find((id) => !isMastered(id) && ready(id));
        if (missing !== undefined) {
          const target = offer(practice(missing, "assignment-prerequisite", assignment.id));
          if (target) return target;
          continue;
        }
      }
      const target = offer(practice(skillId, "assignment", assignment.id));
      if (target) return target;
    }
  }

  let mostOverdue: { skillId: string; dueAt: number } | undefined;
  let nextReviewAt: number | undefined;
  for (const skillId of graph.skillIds) {
    const progress = learner.skills[skillId];
    if (!progress?.isMastered || progress.review === undefined) continue;
    const dueAt = progress.review.dueAt;
    if (dueAt <= now) {
      if (mostOverdue === undefined || dueAt < mostOverdue.dueAt) mostOverdue = { skillId, dueAt };
    } else if (nextReviewAt === undefined || dueAt < nextReviewAt) {
      nextReviewAt = dueAt;
    }
  }
  if (mostOverdue !== undefined) return practice(mostOverdue.skillId, "review");

  const frontier = graph.skillIds.filter((skillId) => !isMastered(skillId) && ready(skillId));
  const priority = new Map(
    frontier.map((skillId) => [skillId, frontierPriority(input, skillId, isMastered)]),
  );
  // A stable sort: equal priorities keep course order.
  frontier.sort((a, b) => (priority.get(b) as number) - (priority.get(a) as number));
  for (const skillId of frontier) {
    const target = offer(practice(skillId, "frontier"));
    if (target) return target;
  }
  if (stuckChoice !== undefined) return stuckChoice;
  return {
    kind: "done",
    reason: "all-mastered",
    ...(nextReviewAt === undefined ? {} : { nextReviewAt }),
  };
}

/**
 * Where the next item does most good: the expected rise in success on the skill itself
 * (expectedPracticeGain), plus, when the skill is the last unmastered prerequisite of others,
 * P(known) times the largest such rise it would open up; so a skill the learner probably
 * knows is confirmed early when it stands in front of one they need to learn. In simulation
 * this interleaves skills and reaches a given post-test accuracy with fewer items than
 * finishing one skill before starting the next (see the README's Simulation section).
 */
function frontierPriority(
  input: NextTargetInput,
  skillId: string,
  isMastered: (skillId: string) => boolean,
): number {
  const { graph, learner, model } = input;
  let unlocked = 0;
  for (const dependent of graph.dependentsOf(skillId)) {
    const blockers = graph.prerequisitesOf(dependent).filter((id) => !isMastered(id));
    if (blockers.length === 1 && blockers[0] === skillId) {
      unlocked = Math.max(unlocked, expectedPracticeGain(learner, model, dependent));
    }
  }
  return (
    expectedPracticeGain(learner, model, skillId) +
    skillProgress(learner, model, skillId).pKnown * unlocked
  );
}
