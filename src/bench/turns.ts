import { createRng } from "../engine/index.ts";
import type { Inbound, QuestionReply, Reply, Tutor } from "../tutor/index.ts";

export interface TurnBenchOptions {
  readonly tutor: Tutor;
  readonly learners: number;
  /** Turns per learner. */
  readonly turns: number;
  readonly seed?: number;
  /** Round trips so far, when the store counts them (Redis). */
  readonly roundTrips?: () => number;
}

export interface TurnBenchReport {
  readonly turns: number;
  readonly turnsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly redisRoundTripsPerTurn: number | null;
  readonly learners: number;
  readonly seconds: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/**
 * Drives simulated learners through the real tutor (no LLM): each answers its questions right
 * about 70% of the time (from the course's own answers), asks for a hint now and then and looks
 * at its progress. All learners run at once; each learner's turns run one after another.
 */
export async function runTurnBench(options: TurnBenchOptions): Promise<TurnBenchReport> {
  const { tutor } = options;
  const courses = new Map(tutor.courses.map((course) => [course.id, course]));
  const runId = Date.now().toString(36);
  const latencies: number[] = [];
  const roundTripsBefore = options.roundTrips?.() ?? 0;

  async function learner(index: number): Promise<void> {
    const rng = createRng(`${options.seed ?? 1}/${index}`);
    const id = `bench-${runId}-${index}`;
    let question: QuestionReply | undefined;
    /** A free-text item answered: the tutor now waits for a self-rating. */
    let hasAnsweredFree = false;
    const send = async (
      message: Omit<Inbound, "tenant" | "platform" | "learner">,
    ): Promise<Reply[]> => {
      const started = performance.now();
      const replies = await tutor.handle({
        tenant: "bench",
        platform: "bench",
        learner: id,
        ...message,
      });
      latencies.push(performance.now() - started);
      return replies;
    };
    for (let turn = 0; turn < options.turns; turn++) {
      let replies: Reply[];
      const roll = rng.next();
      if (!question) replies = await send({ command: { name: "start", args: "" } });
      else if (hasAnsweredFree) replies = await send({ text: rng.chance(0.7) ? "yes" : "no" });
      else if (roll < 0.1) replies = await send({ text: "hint" });
      else if (roll < 0.13) replies = await send({ text: "/progress" });
      else {
        const item = courses.get(question.courseId)?.findItem(question.itemId);
        let text = "0";
        if (item && item.type !== "free" && rng.chance(0.7)) text = item.answer;
        else if (item?.type === "choice")
          text = item.choices[rng.int(item.choices.length)] as string;
        else if (item?.type === "free") text = "My answer, in my own words.";
        replies = await send({ text });
        hasAnsweredFree = item?.type === "free";
      }
      const next = replies.findLast((r): r is QuestionReply => r.kind === "question");
      if (next) {
        question = next;
        hasAnsweredFree = false;
      }
    }
  }

  const started = performance.now();
  await Promise.all(Array.from({ length: options.learners }, (_, k) => learner(k)));
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const turns = latencies.length;
  return {
    turns,
    turnsPerSecond: turns / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    redisRoundTripsPerTurn: options.roundTrips
      ? (options.roundTrips() - roundTripsBefore) / turns
      : null,
    learners: options.learners,
    seconds,
  };
}
