import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../src/store/index.ts";
import type {
  FeedbackReply,
  HintReply,
  ProgressReply,
  QuestionReply,
} from "../../src/tutor/index.ts";
import { parseSession, serializeSession } from "../../src/tutor/records.ts";
import {
  createHarness,
  questionIn,
  recordingLogger,
  rightAnswer,
  skipUntil,
  wrongAnswer,
} from "./harness.ts";

describe("the tutor, turn by turn", () => {
  it("greets a new learner and asks a first question from the first skill", async () => {
    const { say } = await createHarness();
    const replies = await say("hi");
    expect(replies[0]).toMatchObject({ kind: "info" });
    expect(replies[0]?.text).toContain("Mini fractions");
    const question = questionIn(replies);
    expect(question).toMatchObject({
      kind: "question",
      courseId: "mini",
      skillId: "halves",
      reason: "frontier",
    });
  });

  it("runs a lesson: a known wrong answer, a hint, then the right answer and the next question", async () => {
    const h = await createHarness();
    // Move to the numeric item with authored feedback for a known wrong answer.
    const question = await skipUntil(h, await h.say("start"), (q) => q.itemId === "half-of-8");
    expect(question.itemId).toBe("half-of-8");

    const wrong = await h.say("16");
    const feedback = wrong[0] as FeedbackReply;
    expect(feedback).toMatchObject({ kind: "feedback", correct: false, misconceptionId: "double" });
    expect(feedback.text).toContain("That's double 8");
    expect(feedback.text).toContain("Have another go");
    expect(questionIn(wrong)).toBeUndefined();

    const hint = (await h.say("hint"))[0] as HintReply;
    expect(hint).toMatchObject({ kind: "hint", rung: 1, of: 3, itemId: "half-of-8" });
    expect(hint.text).toBe("Hint 1 of 3: Split 8 into two equal groups.");

    const right = await h.say("4");
    expect(right[0]).toMatchObject({ kind: "feedback", correct: true });
    expect(right[0]?.text).toContain("second go");
    expect(questionIn(right)?.itemId).not.toBe("half-of-8");

    const { record } = await h.stored();
    const attempts = (await h.store.readAttempts({ tenant: "school", learner: "ana" }, 50)).map(
      (a) => JSON.parse(a),
    );
    expect(attempts.filter((a) => a.item === "half-of-8").map((a) => a.kind)).toEqual([
      "answer",
      "hint",
      "answer",
    ]);
    expect(attempts.find((a) => a.misconception === "double")).toMatchObject({
      answer: "16",
      verdict: "incorrect",
    });
    // Only the first attempt fed the model: one more (wrong) attempt on halves.
    expect(record?.state.evidence.skills["mini/halves"]?.attempts).toBeGreaterThanOrEqual(1);
  });

  it("counts a hint before the first attempt as not yet, and keeps the bottom-out rung for after an attempt", async () => {
    const h = await createHarness();
    await skipUntil(h, await h.say("start"), (q) => q.itemId === "half-of-10");
    const before = (await h.stored()).record?.state.evidence.skills["mini/halves"] ?? {
      attempts: 0,
      correct: 0,
    };
    expect((await h.say("/hint"))[0]).toMatchObject({ kind: "hint", rung: 1, of: 2 });
    const blocked = await h.say("/hint");
    expect(blocked[0]).toMatchObject({ kind: "info" });
    expect(blocked[0]?.text).toContain("Give it a try first");
    const correct = await h.say("5");
    expect(correct[0]).toMatchObject({ kind: "feedback", correct: true });
    expect(correct[0]?.text).toContain("with the hint");
    const after = (await h.stored()).record?.state.evidence.skills["mini/halves"];
    expect(after?.attempts).toBe(before.attempts + 1);
    expect(after?.correct).toBe(before.correct); // right, but after a hint: "not yet"
  });

  it("gives the worked solution after the last attempt and moves on", async () => {
    const h = await createHarness();
    const question = questionIn(await h.say("start")) as QuestionReply;
    if (question.itemType === "free") await h.say("/skip");
    const current = questionIn(await h.say("/skip")) as QuestionReply;
    await h.say(wrongAnswer(h.course, current));
    const last = await h.say(wrongAnswer(h.course, current));
    expect(last[0]).toMatchObject({ kind: "feedback", correct: false });
    expect(last[0]?.text).toContain("Here's how it works:");
    expect(questionIn(last)?.itemId).toBeDefined();
  });

  it("reads choice answers by number, letter or text", async () => {
    for (const answer of ["2", "b", "B)", "(b)", "1/2", " 1 / 2 "]) {
      const h = await createHarness();
      const question = await skipUntil(h, await h.say("start"), (q) => q.itemId === "half-choice");
      expect(question.choices?.map((c) => c.label)).toEqual(["a", "b", "c"]);
      expect((await h.say(answer))[0], answer).toMatchObject({ kind: "feedback", correct: true });
    }
  });

  it('reads "is it 5?" as an answer, not as an open question', async () => {
    const h = await createHarness();
    await skipUntil(h, await h.say("start"), (q) => q.itemId === "half-of-10");
    expect((await h.say("is it 5?"))[0]).toMatchObject({ kind: "feedback", correct: true });
    expect((await h.say("why do we halve?"))[0]?.text).toContain("Good question");
  });

  it("asks again, without counting an attempt, when an answer cannot be read", async () => {
    const h = await createHarness();
    await skipUntil(h, await h.say("start"), (q) => q.itemType === "numeric");
    const replies = await h.say("no clue, banana");
    expect(replies).toEqual([
      { kind: "info", text: expect.stringContaining("I was expecting a number") },
    ]);
    expect((await h.stored()).session?.current?.attempts).toBe(0);
  });

  it("names the forms a question takes when a number comes in another form", async () => {
    const h = await createHarness();
    await h.say("start");
    // Put the mixed-number-only item in front of the learner.
    const turn = await h.store.beginTurn({ tenant: "school", learner: "ana" });
    if (turn === "duplicate") throw new Error("unexpected duplicate");
    const session = parseSession(turn.data.session as string);
    session.current = {
      ...(session.current as NonNullable<typeof session.current>),
      itemId: "add-mixed",
      skillId: "add",
    };
    await turn.commit({ session: serializeSession(session) });
    const replies = await h.say("7/4");
    expect(replies).toEqual([
      { kind: "info", text: "Please write your answer as a mixed number like 1 3/4." },
    ]);
    expect((await h.say("1 3/4"))[0]).toMatchObject({ kind: "feedback", correct: true });
  });

  it("announces mastery when it is reached and reports it in progress", async () => {
    const h = await createHarness();
    let replies = await h.say("start");
    let announced = "";
    for (let turn = 0; turn < 40 && !announced; turn++) {
      const question = questionIn(replies) as QuestionReply;
      replies =
        question.itemType === "free"
          ? await h.say("/skip")
          : await h.say(rightAnswer(h.course, question));
      announced =
        replies.find((r) => r.kind === "feedback" && r.text.includes("mastered"))?.text ?? "";
    }
    expect(announced).toContain("You've mastered **Halves**");
    expect(questionIn(replies)?.skillId).toBe("add"); // the next skill, now that its prerequisite is mastered
    const progress = (await h.say("/progress"))[0] as ProgressReply;
    expect(progress.kind).toBe("progress");
    expect(progress.skills.find((s) => s.id === "halves")).toMatchObject({ isMastered: true });
    expect(progress.mastery.halves).toBeGreaterThanOrEqual(0.95);
    expect(progress.mastery.add).toBeLessThan(0.95);
    expect(progress.streak).toBeGreaterThan(0);
    expect(progress.text).toContain("1 of 2 skills mastered");
    expect(progress.text).toContain("██████████  Halves");
  });

  it("self-rates free-text answers when no LLM is configured", async () => {
    const h = await createHarness();
    await skipUntil(h, await h.say("start"), (q) => q.itemType === "free");
    const shown = await h.say("Because 4 and 4 make 8.");
    expect(shown[0]?.text).toContain("Here's a model answer");
    expect((await h.say("maybe"))[0]?.text).toContain("reply **yes**, **partly** or **no**");
    const rated = await h.say("partly");
    expect(rated[0]).toMatchObject({ kind: "feedback", correct: false });
    expect(questionIn(rated)).toBeDefined();
  });

  it("explains the current skill and keeps the question open", async () => {
    const h = await createHarness();
    const question = questionIn(await h.say("start")) as QuestionReply;
    const replies = await h.say("/explain");
    expect(replies[0]).toMatchObject({ kind: "explanation", skillId: "halves" });
    expect(replies[0]?.text).toContain("one of two equal parts");
    expect(questionIn(replies)?.itemId).toBe(question.itemId);
  });

  it("lists and switches courses, and practises a chosen skill after its prerequisites", async () => {
    const h = await createHarness();
    await h.say("start");
    expect((await h.say("/courses"))[0]?.text).toContain("**mini**: Mini fractions");
    expect((await h.say("/course nope"))[0]?.text).toContain('I don\'t know a course "nope"');
    const practice = await h.say("/practice adding");
    expect(practice[0]?.text).toContain("**Adding fractions** builds on **Halves**");
    expect(questionIn(practice)?.skillId).toBe("halves");
    expect((await h.say("/practice ghost"))[0]?.text).toContain('I can\'t find a skill "ghost"');
  });

  it("processes a redelivered event once", async () => {
    const h = await createHarness();
    await h.say("start");
    const first = await h.send({ text: "/progress", eventId: "evt-42" });
    expect(first).toHaveLength(1);
    expect(await h.send({ text: "/progress", eventId: "evt-42" })).toEqual([]);
  });

  it("serializes concurrent messages of one learner: every turn is saved, none lost", async () => {
    const h = await createHarness();
    await h.say("start");
    const results = await Promise.all(Array.from({ length: 12 }, () => h.say("/hint")));
    expect(
      results.every((replies) => replies.length > 0 && replies.every((r) => r.kind !== "error")),
    ).toBe(true);
    const { session } = await h.stored();
    expect(session?.turn).toBe(13);
    const hints = (await h.store.readAttempts({ tenant: "school", learner: "ana" }, 100)).filter(
      (a) => a.includes('"hint"'),
    );
    expect(hints.length).toBe(session?.current?.hintsShown);
  });

  it("answers garbage without crashing: empty, huge, control characters, unknown commands", async () => {
    const h = await createHarness();
    await h.say("start");
    for (const text of [
      "",
      "   ",
      "x".repeat(100_000),
      "\u0000\u0007\u001b[31mred\u001b[0m",
      "/definitely-not",
      "🙂🙂🙂",
      "\n\n\n",
      "'; DROP TABLE learners; --",
    ]) {
      const replies = await h.say(text);
      expect(replies.length, JSON.stringify(text.slice(0, 20))).toBeGreaterThan(0);
      expect(replies.some((r) => r.kind === "error")).toBe(false);
    }
    expect((await h.say("/definitely-not"))[0]?.text).toContain(
      "I don't know the command /definitely-not",
    );
  });

  it("ignores a button pressed on a question that is already finished", async () => {
    const h = await createHarness();
    const question = questionIn(await h.say("start")) as QuestionReply;
    await h.say("/skip");
    const replies = await h.send({ action: { id: "answer", itemId: question.itemId, value: "4" } });
    expect(replies[0]?.text).toContain("already finished");
    expect(questionIn(replies)?.itemId).not.toBe(question.itemId);
  });

  it("starts over, logging an error, when the stored record is corrupt", async () => {
    const logger = recordingLogger();
    const h = await createHarness({ logger });
    await h.say("start");
    const turn = await h.store.beginTurn({ tenant: "school", learner: "ana" });
    if (turn === "duplicate") throw new Error("unexpected duplicate");
    await turn.commit({ model: '{"v":1,"profile":{}', session: "not json" });
    const replies = await h.say("hi");
    expect(questionIn(replies)).toBeDefined();
    expect(
      logger.entries.some(
        (e) => e.level === "error" && e.message?.includes("learner record unreadable"),
      ),
    ).toBe(true);
  });

  it("answers with one kind message, and logs once, when the store fails", async () => {
    const logger = recordingLogger();
    const failing = {
      ...createMemoryStore(),
      beginTurn: async () => {
        throw new Error("connection refused");
      },
    };
    const h = await createHarness({ store: failing, logger });
    expect(await h.say("hi")).toEqual([
      { kind: "error", text: expect.stringContaining("Sorry, something went wrong") },
    ]);
    expect(logger.entries.filter((e) => e.level === "error")).toHaveLength(1);
  });
});
