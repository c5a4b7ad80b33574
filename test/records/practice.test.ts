import { describe, expect, it } from "vitest";
import { DEFAULT_BKT_PARAMS, type ResponseLog, rowSkillIds } from "../../src/engine/index.ts";
import { fitCourseSkills, practiceLog } from "../../src/records/index.ts";
import type { QuestionReply, Reply } from "../../src/tutor/index.ts";
import {
  createHarness,
  questionIn,
  rightAnswer,
  type TutorHarness,
  wrongAnswer,
} from "../tutor/harness.ts";

/** The practice log of the harness's course in these tenants. */
const logOf = (h: TutorHarness, tenants = ["school"]) =>
  practiceLog({ store: h.store, course: h.course, tenants, limit: 1000 });

/** Each learner's responses in the log: `item:1` right, `item:0` not yet. */
function responsesOf(log: ResponseLog): Record<string, string[]> {
  const byLearner: Record<string, string[]> = {};
  log.learnerIds.forEach((learner, l) => {
    const rows: string[] = [];
    for (let r = log.learnerOffsets[l] as number; r < (log.learnerOffsets[l + 1] as number); r++)
      rows.push(`${log.itemIds[log.item[r] as number]}:${log.correct[r]}`);
    byLearner[learner] = rows;
  });
  return byLearner;
}

/**
 * Answers a question right or wrong; a free-text question (no LLM here) is answered and then
 * rated by the learner, yes or no. The replies to the last message.
 */
async function answer(
  h: TutorHarness,
  learner: string,
  question: QuestionReply,
  isRight: boolean,
): Promise<Reply[]> {
  const item = h.course.findItem(question.itemId);
  if (item?.type === "free") {
    await h.send({ learner, text: "Because two equal parts make a whole." });
    return h.send({ learner, text: isRight ? "yes" : "no" });
  }
  const text = isRight ? rightAnswer(h.course, question) : wrongAnswer(h.course, question);
  return h.send({ learner, text });
}

/** A question whose item has hints, after skipping others (the skipped item ids too). */
async function hintedQuestion(
  h: TutorHarness,
  learner: string,
): Promise<{ question: QuestionReply; skipped: string[] }> {
  const skipped: string[] = [];
  let question = await firstQuestion(h, learner);
  while ((h.course.findItem(question.itemId)?.hints.length ?? 0) === 0) {
    if (skipped.length > 12) throw new Error("no question with hints");
    skipped.push(question.itemId);
    question = questionIn(await h.send({ learner, text: "/skip" })) as QuestionReply;
  }
  return { question, skipped };
}

/** The learner's first question (they start the course). */
async function firstQuestion(h: TutorHarness, learner: string) {
  const question = questionIn(await h.send({ learner, text: "start" }));
  if (!question) throw new Error("no question");
  return question;
}

describe("the practice log of a course, from the store", () => {
  it("counts first attempts as the engine did: hints, second attempts and skips", async () => {
    const h = await createHarness();
    const right = await hintedQuestion(h, "right");
    await answer(h, "right", right.question, true);
    const hinted = await hintedQuestion(h, "hinted");
    await h.send({ learner: "hinted", action: { id: "hint", itemId: hinted.question.itemId } });
    await answer(h, "hinted", hinted.question, true);
    const wrong = await hintedQuestion(h, "wrong");
    await answer(h, "wrong", wrong.question, false);
    await answer(h, "wrong", wrong.question, true); // the retry: not a first attempt
    const skipped = await firstQuestion(h, "skipper");
    await h.send({ learner: "skipper", text: "/skip" });

    const log = await logOf(h);
    // Items by the engine's ids: the course's id first.
    const row = (itemId: string, isRight: boolean) => `mini/${itemId}:${isRight ? 1 : 0}`;
    const skips = (skipped: string[]) => skipped.map((id) => row(id, false));
    expect(responsesOf(log)).toEqual({
      "school/hinted": [...skips(hinted.skipped), row(hinted.question.itemId, false)],
      "school/right": [...skips(right.skipped), row(right.question.itemId, true)],
      "school/skipper": [row(skipped.itemId, false)],
      "school/wrong": [...skips(wrong.skipped), row(wrong.question.itemId, false)],
    });
    // The engine saw the same: as many first attempts, as many right.
    for (const learner of ["right", "hinted", "wrong", "skipper"]) {
      const total = (await h.stored(learner)).record?.state.evidence.total;
      const rows = responsesOf(log)[`school/${learner}`] ?? [];
      expect(total?.attempts).toBe(rows.length);
      expect(total?.correct).toBe(rows.filter((row) => row.endsWith(":1")).length);
    }
    // Each response is tagged with its item's skills, as the engine saw it.
    for (let r = 0; r < log.rowCount; r++) {
      const itemId = (log.itemIds[log.item[r] as number] as string).slice("mini/".length);
      const item = h.course.findItem(itemId);
      expect(rowSkillIds(log, r)).toEqual(
        h.course.skillsOf(item as never).map((id) => `mini/${id}`),
      );
    }
    const elsewhere = await logOf(h, ["elsewhere"]);
    expect(elsewhere.rowCount).toBe(0);
  });

  it("counts a self-rated answer by the learner's rating", async () => {
    const h = await createHarness();
    for (const [learner, rating] of [
      ["sure", true],
      ["unsure", false],
    ] as const) {
      let question = await firstQuestion(h, learner);
      for (let k = 0; k < 12 && h.course.findItem(question.itemId)?.type !== "free"; k++)
        question = questionIn(await h.send({ learner, text: "/skip" })) as QuestionReply;
      expect(h.course.findItem(question.itemId)?.type).toBe("free");
      await answer(h, learner, question, rating);
    }
    const log = await logOf(h);
    const last = (learner: string) => responsesOf(log)[`school/${learner}`]?.at(-1);
    expect(last("sure")).toBe("mini/half-explain:1");
    expect(last("unsure")).toBe("mini/half-explain:0");
  });

  it("fits BKT per skill where enough learners practised it, and keeps the course file's values beside it", async () => {
    const h = await createHarness();
    for (let l = 0; l < 24; l++) {
      const learner = `l${l}`;
      let question = await firstQuestion(h, learner);
      for (let k = 0; k < 6; k++) {
        const isRight = (l + k) % 3 !== 0 || k > 3;
        let replies = await answer(h, learner, question, isRight);
        // A wrong answer may get a retry: answer it right to move on.
        const retry = questionIn(replies);
        if (!isRight && (!retry || retry.itemId === question.itemId))
          replies = await answer(h, learner, question, true);
        const next = questionIn(replies);
        if (!next || next.itemId === question.itemId) break;
        question = next;
      }
    }
    const log = await logOf(h);
    expect(log.learnerIds).toHaveLength(24);
    const fits = fitCourseSkills(h.course, log, 20);
    expect(fits.map((f) => f.skillId)).toEqual(h.course.skills.map((s) => s.id));
    const practised = fits.filter((f) => f.learners >= 20);
    expect(practised.length).toBeGreaterThan(0);
    for (const fit of fits) {
      expect(fit.current).toEqual(h.course.knowledge.bkt?.[fit.skillId] ?? DEFAULT_BKT_PARAMS);
      if (fit.learners < 20) expect(fit.fitted).toBeUndefined();
      else {
        for (const value of Object.values(fit.fitted ?? {})) {
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThanOrEqual(1);
        }
      }
    }
    // Deterministic, and nothing to fit on an empty log.
    expect(fitCourseSkills(h.course, log, 20)).toEqual(fits);
    const empty = await logOf(h, []);
    expect(fitCourseSkills(h.course, empty, 1).every((f) => f.fitted === undefined)).toBe(true);
  });
});
