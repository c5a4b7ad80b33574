import { join } from "node:path";
import { type Course, type ItemDefinition, loadCourseFile } from "../../src/content/index.ts";
import { createMemoryStore } from "../../src/store/index.ts";
import {
  type AssistOptions,
  createTutor,
  type HandleOptions,
  type Inbound,
  type Logger,
  type QuestionReply,
  type Reply,
  type Tutor,
  type TutorLlm,
  type TutorStore,
} from "../../src/tutor/index.ts";
import { parseLearnerRecord, parseSession } from "../../src/tutor/records.ts";

export const FIXTURES = join(import.meta.dirname, "../fixtures/courses");

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

/** A logger that remembers what was logged, to check that failures are logged once. */
export function recordingLogger(): Logger & {
  entries: { level: string; object: object; message?: string }[];
} {
  const entries: { level: string; object: object; message?: string }[] = [];
  const logger = {
    entries,
    debug: (object: object, message?: string) =>
      entries.push({ level: "debug", object, ...(message ? { message } : {}) }),
    info: (object: object, message?: string) =>
      entries.push({ level: "info", object, ...(message ? { message } : {}) }),
    warn: (object: object, message?: string) =>
      entries.push({ level: "warn", object, ...(message ? { message } : {}) }),
    error: (object: object, message?: string) =>
      entries.push({ level: "error", object, ...(message ? { message } : {}) }),
    child: () => logger,
  };
  return logger;
}

export interface TutorHarness {
  readonly tutor: Tutor;
  readonly store: TutorStore;
  readonly course: Course;
  /** The tutor's clock: advance it with `clock.now += ms`. */
  readonly clock: { now: number; readonly tick: () => number };
  /** Sends text (or a whole inbound) as learner "ana" of tenant "school". */
  say(text: string, extra?: Partial<Inbound>, options?: HandleOptions): Promise<Reply[]>;
  send(inbound: Partial<Inbound>, options?: HandleOptions): Promise<Reply[]>;
  /** The stored learner record and session. */
  stored(learner?: string): Promise<{
    record: ReturnType<typeof parseLearnerRecord> | undefined;
    session: ReturnType<typeof parseSession> | undefined;
  }>;
}

export async function createHarness(
  options: { store?: TutorStore; logger?: Logger; llm?: TutorLlm; assist?: AssistOptions } = {},
): Promise<TutorHarness> {
  const course = await loadCourseFile(join(FIXTURES, "mini.yaml"));
  const clock = { now: Date.UTC(2026, 8, 1, 9, 0), tick: () => clock.now };
  const store = options.store ?? createMemoryStore({ clock: { now: () => clock.now } });
  const tutor = createTutor({
    store,
    courses: [course],
    clock: { now: () => clock.now },
    logger: options.logger ?? silentLogger,
    ...(options.llm ? { llm: options.llm } : {}),
    ...(options.assist ? { assist: options.assist } : {}),
  });
  const send = (inbound: Partial<Inbound>, handleOptions: HandleOptions = {}) =>
    tutor.handle({ tenant: "school", platform: "test", learner: "ana", ...inbound }, handleOptions);
  return {
    tutor,
    store,
    course,
    clock,
    send,
    say: (text, extra = {}, handleOptions = {}) => send({ text, ...extra }, handleOptions),
    async stored(learner = "ana") {
      const turn = await store.beginTurn({ tenant: "school", learner });
      if (turn === "duplicate") throw new Error("unexpected duplicate");
      await turn.release();
      return {
        record: turn.data.model === undefined ? undefined : parseLearnerRecord(turn.data.model),
        session: turn.data.session === undefined ? undefined : parseSession(turn.data.session),
      };
    },
  };
}

export const questionIn = (replies: readonly Reply[]): QuestionReply | undefined =>
  replies.findLast((r): r is QuestionReply => r.kind === "question");

/** The right answer to a question, as a learner would type it. */
export function rightAnswer(course: Course, question: QuestionReply): string {
  const item = course.findItem(question.itemId) as ItemDefinition;
  if (item.type === "free") throw new Error("free items have no right answer");
  return item.answer;
}

/** A wrong answer that the course has no specific feedback for. */
export function wrongAnswer(course: Course, question: QuestionReply): string {
  const item = course.findItem(question.itemId) as ItemDefinition;
  switch (item.type) {
    case "choice":
      return item.choices.find((c) => c !== item.answer) as string;
    case "text":
      return "quarter";
    case "expression":
      return "x + 1";
    default:
      return "999";
  }
}

/** Skips questions until one satisfies `isWanted` (at most 12 skips); returns it. */
export async function skipUntil(
  harness: TutorHarness,
  first: Reply[],
  isWanted: (question: QuestionReply) => boolean,
): Promise<QuestionReply> {
  let question = questionIn(first) as QuestionReply;
  for (let k = 0; k < 12 && !isWanted(question); k++)
    question = questionIn(await harness.say("/skip")) as QuestionReply;
  if (!isWanted(question)) throw new Error("the wanted question never came");
  return question;
}
