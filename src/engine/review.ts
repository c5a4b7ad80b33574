import { FSRS, type Grade, Rating } from "ts-fsrs";

/**
 * The spaced-review schedule of one mastered skill: an FSRS memory state (FSRS-6 via ts-fsrs)
 * with dates as epoch milliseconds, so it serialises as plain JSON.
 */
export interface ReviewCard {
  readonly dueAt: number;
  /** Days until the probability of recall falls to 90%. */
  readonly stability: number;
  /** FSRS difficulty, 1 (easy) to 10 (hard). */
  readonly difficulty: number;
  readonly reps: number;
  /** Reviews failed. */
  readonly lapses: number;
  readonly lastReviewAt: number;
}

/** How a review went, in FSRS terms. */
export type ReviewGrade = "again" | "hard" | "good" | "easy";

export interface ReviewOptions {
  /** Target probability of still knowing a skill when its review falls due. */
  readonly requestRetention?: number;
  readonly maximumIntervalDays?: number;
}

export const DEFAULT_REVIEW_OPTIONS = {
  requestRetention: 0.9,
  maximumIntervalDays: 180,
} as const satisfies Required<ReviewOptions>;

export interface ReviewScheduler {
  /** A new card for a skill just mastered: a first successful review at `now`. */
  start(now: number): ReviewCard;
  /** The card after a review graded `grade` at `now`. */
  review(card: ReviewCard, grade: ReviewGrade, now: number): ReviewCard;
  /** Probability the skill is still known at `now`. */
  retrievability(card: ReviewCard, now: number): number;
}

const DAY_MS = 86_400_000;

const RATING: Record<ReviewGrade, Grade> = {
  again: Rating.Again,
  hard: Rating.Hard,
  good: Rating.Good,
  easy: Rating.Easy,
};

/**
 * The FSRS grade of a practice answer on a mastered skill: wrong is "again", right after a hint
 * is "hard", right unaided is "good". ("easy" is left to callers that know more, such as speed.)
 */
export function reviewGrade(isCorrect: boolean, usedHint: boolean): ReviewGrade {
  if (!isCorrect) return "again";
  return usedHint ? "hard" : "good";
}

/** Whole calendar days (UTC) between two instants, as ts-fsrs counts them. */
function calendarDays(from: number, to: number): number {
  return Math.max(0, Math.floor(to / DAY_MS) - Math.floor(from / DAY_MS));
}

/**
 * FSRS on day scale for skills rather than flashcards: no same-day learning steps, no fuzz. It
 * calls the algorithm (memory state, interval) directly instead of ts-fsrs's card scheduler,
 * which builds dates and whole cards for every grade and would dominate a learner update, and
 * applies the scheduler's rules itself: elapsed time in calendar days, and intervals that rise
 * with the grade (again < hard < good < easy). Due dates agree with ts-fsrs's scheduler.
 */
export function createReviewScheduler(options: ReviewOptions = {}): ReviewScheduler {
  const settings = { ...DEFAULT_REVIEW_OPTIONS, ...options };
  const algorithm = new FSRS({
    request_retention: settings.requestRetention,
    maximum_interval: settings.maximumIntervalDays,
    enable_fuzz: false,
    enable_short_term: false,
  });
  const next = (card: ReviewCard | null, grade: ReviewGrade, now: number): ReviewCard => {
    const elapsedDays = card === null ? 0 : calendarDays(card.lastReviewAt, now);
    const recall =
      card === null ? undefined : algorithm.forgetting_curve(elapsedDays, card.stability);
    const memory = (g: ReviewGrade) => algorithm.next_state(card, elapsedDays, RATING[g], recall);
    const states = {
      again: memory("again"),
      hard: memory("hard"),
      good: memory("good"),
      easy: memory("easy"),
    };
    const days = (g: ReviewGrade): number =>
      algorithm.next_interval(states[g].stability, elapsedDays);
    const againDays = Math.min(days("again"), days("hard"));
    const hardDays = Math.max(days("hard"), againDays + 1);
    const goodDays = Math.max(days("good"), hardDays + 1);
    const intervals: Record<ReviewGrade, number> = {
      again: againDays,
      hard: hardDays,
      good: goodDays,
      easy: Math.max(days("easy"), goodDays + 1),
    };
    const { stability, difficulty } = states[grade];
    return {
      dueAt: now + intervals[grade] * DAY_MS,
      stability,
      difficulty,
      reps: (card?.reps ?? 0) + 1,
      lapses: (card?.lapses ?? 0) + (grade === "again" ? 1 : 0),
      lastReviewAt: now,
    };
  };
  return {
    start: (now) => next(null, "good", now),
    review: (card, grade, now) => next(card, grade, now),
    // Continuous time here: the chance of still knowing a skill decays by the hour, not the day.
    retrievability: (card, now) =>
      algorithm.forgetting_curve(Math.max(0, now - card.lastReviewAt) / DAY_MS, card.stability),
  };
}
