import { createEmptyCard, fsrs, Rating } from "ts-fsrs";
import { describe, expect, it } from "vitest";
import { createReviewScheduler, reviewGrade } from "../../src/engine/index.ts";

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 5, 9, 0); // a fixed clock: Monday 5 January 2026, 09:00 UTC

describe("spaced review (FSRS)", () => {
  const scheduler = createReviewScheduler();

  it("schedules the first review three days after mastery", () => {
    const card = scheduler.start(START);
    expect(card.dueAt).toBe(START + 3 * DAY);
    expect(card.stability).toBeCloseTo(2.3065, 3);
    expect(card).toMatchObject({ reps: 1, lapses: 0, lastReviewAt: START });
  });

  it("stretches intervals after successes and shrinks them after a lapse (golden values)", () => {
    let card = scheduler.start(START);
    const intervals: number[] = [];
    for (const grade of ["good", "good", "again", "good", "hard"] as const) {
      const at = card.dueAt;
      card = scheduler.review(card, grade, at);
      intervals.push((card.dueAt - at) / DAY);
    }
    expect(intervals).toEqual([14, 57, 3, 8, 15]);
    expect(card.lapses).toBe(1);
    expect(card.reps).toBe(6);
  });

  it("agrees with ts-fsrs's own card scheduler on due dates", () => {
    const reference = fsrs({ enable_fuzz: false, enable_short_term: false, maximum_interval: 180 });
    let expected = reference.next(
      createEmptyCard(new Date(START)),
      new Date(START),
      Rating.Good,
    ).card;
    let card = scheduler.start(START);
    expect(card.dueAt).toBe(expected.due.getTime());
    const grades = [
      Rating.Good,
      Rating.Hard,
      Rating.Again,
      Rating.Good,
      Rating.Good,
      Rating.Easy,
    ] as const;
    const names = {
      [Rating.Again]: "again",
      [Rating.Hard]: "hard",
      [Rating.Good]: "good",
      [Rating.Easy]: "easy",
    } as const;
    for (const grade of grades) {
      const at = expected.due.getTime();
      expected = reference.next(expected, new Date(at), grade).card;
      card = scheduler.review(card, names[grade], at);
      expect(card.dueAt).toBe(expected.due.getTime());
      expect(card.stability).toBeCloseTo(expected.stability, 6);
    }
  });

  it("leaves stability unchanged by a same-day review", () => {
    const card = scheduler.start(START);
    expect(scheduler.review(card, "good", START).stability).toBeCloseTo(card.stability, 9);
  });

  it("gives the probability of still knowing the skill, 0.9 at the stability horizon", () => {
    const card = scheduler.start(START);
    expect(scheduler.retrievability(card, START)).toBe(1);
    expect(scheduler.retrievability(card, START + card.stability * DAY)).toBeCloseTo(0.9, 6);
    expect(scheduler.retrievability(card, START + 30 * DAY)).toBeLessThan(0.7);
  });

  it("grades answers: wrong is again, right after a hint is hard, right is good", () => {
    expect(reviewGrade(false, false)).toBe("again");
    expect(reviewGrade(false, true)).toBe("again");
    expect(reviewGrade(true, true)).toBe("hard");
    expect(reviewGrade(true, false)).toBe("good");
  });
});
