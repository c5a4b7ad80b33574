import { type Course, parseInstanceId } from "../content/index.ts";
import {
  type BktParams,
  collectSkillSequences,
  createResponseLogBuilder,
  DEFAULT_BKT_PARAMS,
  fitBkt,
  type ResponseLog,
} from "../engine/index.ts";
import { engineId, enginePracticeItem, type TutorStore } from "../tutor/index.ts";
import { eventFromLog, learnerLogs } from "./export.ts";

export interface PracticeLogOptions {
  readonly store: TutorStore;
  readonly course: Course;
  readonly tenants: readonly string[];
  /** Attempt-log entries read per learner: the store keeps its newest ones. */
  readonly limit: number;
}

/**
 * The first attempts the store's attempt logs hold for a course, as the engine counted them
 * when they happened: an answer graded right without a hint before it is right; graded wrong
 * or partly right, a hint first, a self-rating other than "yes", or a skip before any answer is
 * not yet. Items and skills carry the engine's ids (`course/…`; a template's instances are
 * the template), each response tagged with every skill of its item (the logged skill when the
 * course no longer has the item). Learners are `tenant/learner`, in the order read.
 */
export async function practiceLog(options: PracticeLogOptions): Promise<ResponseLog> {
  const { course } = options;
  const courses = new Map([[course.id, course]]);
  const builder = createResponseLogBuilder(
    course.skills.map((skill) => engineId(course, skill.id)),
  );
  for await (const { owner, entries } of learnerLogs(
    options.store,
    options.tenants,
    options.limit,
  )) {
    const learnerId = `${owner.tenant}/${owner.learner}`;
    // A self-rated answer counts when the learner rates it: its item and hints meanwhile.
    let rated: { itemId: string; hints: number } | undefined;
    for (const json of entries) {
      const event = eventFromLog(json, owner, courses);
      if (!event?.itemId) continue;
      const add = (isCorrect: boolean) => {
        const itemId = event.itemId as string;
        const item = course.findItem(itemId);
        const seen = item
          ? enginePracticeItem(course, item)
          : {
              id: engineId(course, parseInstanceId(itemId)?.templateId ?? itemId),
              skillIds: [engineId(course, event.skill.id)],
            };
        builder.add({ learnerId, itemId: seen.id, skillIds: seen.skillIds, isCorrect });
      };
      const hints = event.hints ?? 0;
      if (event.kind === "answer" && event.attempt === 1) {
        if (event.verdict === "self-rated") rated = { itemId: event.itemId, hints };
        else if (event.verdict === "correct") add(hints === 0);
        else if (event.verdict === "incorrect" || event.verdict === "partial") add(false);
      } else if (event.kind === "rating" && rated?.itemId === event.itemId) {
        add(event.verdict === "yes" && rated.hints === 0);
        rated = undefined;
      } else if (event.kind === "skip" && event.attempt === 0) add(false);
    }
  }
  return builder.build();
}

/** One skill of a course fit: how much practice there was, and the BKT parameters it gives. */
export interface SkillFit {
  readonly skillId: string;
  readonly learners: number;
  readonly responses: number;
  /** Undefined when fewer learners than asked for practised the skill. */
  readonly fitted?: BktParams;
  /** What the course file says now (the engine's defaults when it says nothing). */
  readonly current: BktParams;
}

/**
 * BKT parameters for each skill of a course, fitted by EM on a practice log (practiceLog), for
 * skills that at least `minLearners` learners practised. Deterministic.
 */
export function fitCourseSkills(course: Course, log: ResponseLog, minLearners: number): SkillFit[] {
  const sequences = collectSkillSequences(log);
  const model = log.rowCount > 0 ? fitBkt(log, undefined, { seed: 1 }) : undefined;
  return course.skills.map((skill) => {
    const id = engineId(course, skill.id);
    const index = log.skillIds.indexOf(id);
    const own = sequences.get(index);
    const learners = own ? own.starts.length - 1 : 0;
    const fitted = learners >= minLearners ? model?.skills.get(id)?.params : undefined;
    return {
      skillId: skill.id,
      learners,
      responses: own?.correct.length ?? 0,
      ...(fitted ? { fitted } : {}),
      current: course.knowledge.bkt?.[skill.id] ?? DEFAULT_BKT_PARAMS,
    };
  });
}
