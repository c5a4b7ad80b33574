import { createHash, randomUUID } from "node:crypto";
import {
  type CheckableItem,
  type Course,
  checkAnswer,
  choiceLabel,
  type ItemDefinition,
  matchesAnswer,
  numberForms,
  parseInstanceId,
  type SkillDefinition,
  type TemplateDefinition,
} from "../content/index.ts";
import {
  chooseItem,
  chooseNextTarget,
  createRng,
  type FittedKnowledge,
  hashSeed,
  type ItemCandidate,
  isStuck,
  predictCorrect,
  recordResponse,
  SocraError,
  skillProgress,
} from "../engine/index.ts";
import {
  type AssistOptions,
  createAssistant,
  type LlmJob,
  type StreamEvent,
  type TurnAssistant,
} from "./assist.ts";
import {
  type AssignedGroup,
  type ClassroomOptions,
  createClassroom,
  isClassroomCommand,
} from "./classroom.ts";
import * as copy from "./copy.ts";
import { looksLikeInjection, scrubIdentifiers } from "./guards.ts";
import { type CommandName, cleanText, type Intent, parseIntent } from "./intents.ts";
import { itemContext, leaksFor, skillContext } from "./llm-context.ts";
import type { Inbound, ProgressReply, QuestionReply, Reply, SkillView } from "./messages.ts";
import type {
  ClassroomPlatform,
  Clock,
  Grade,
  Job,
  LearnerContext,
  LearnerKey,
  LlmIntent,
  Logger,
  Scheduler,
  Turn,
  TutorLlm,
  TutorStore,
} from "./ports.ts";
import { createQuestionBank } from "./question-bank.ts";
import {
  type LearnerRecord,
  newLearnerRecord,
  type OpenItem,
  parseLearnerRecord,
  parseSession,
  type Session,
  serializeLearnerRecord,
  serializeSession,
} from "./records.ts";
import { type CourseRuntime, compileRuntime, engineId, enginePracticeItem } from "./runtime.ts";

export interface TutorDeps {
  readonly store: TutorStore;
  readonly courses: readonly Course[];
  /** Knowledge models fitted on each course's practice, by course id (see compileRuntime). */
  readonly knowledge?: ReadonlyMap<string, FittedKnowledge>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The course a new learner starts with (the first course otherwise). */
  readonly defaultCourseId?: string;
  /** An LLM for explanations, hints, diagnosis, grading and new questions; authored content only without one. */
  readonly llm?: TutorLlm;
  readonly assist?: AssistOptions;
  /** Delayed work (reminders, digests, review nudges); without one nothing is scheduled. */
  readonly scheduler?: Scheduler;
  /** Teachers' default time zone and quiet hours. */
  readonly classroom?: ClassroomOptions;
  /**
   * Called after each saved turn with its new attempt-log entries (JSON), e.g. to forward
   * learning records to an LRS. Failures are logged, never shown to the learner.
   */
  readonly onRecords?: (
    learner: LearnerKey & { platform: string },
    entries: readonly string[],
  ) => Promise<void>;
}

export interface HandleOptions {
  /** For adapters that can stream: LLM text as it grows, sentence by sentence, already guarded. */
  readonly onStream?: (event: StreamEvent) => void;
}

export interface Tutor {
  /** One turn: load the learner, interpret the message, act, save, reply. Never throws. */
  handle(inbound: Inbound, options?: HandleOptions): Promise<Reply[]>;
  /**
   * The learner's progress in their current course, without changing anything (for an App
   * Home tab or a dashboard); undefined when the store cannot be read.
   */
  progress(key: LearnerKey): Promise<ProgressReply | undefined>;
  /** Waits for background work (question generation) to finish, as at shutdown. */
  drain(): Promise<void>;
  readonly courses: readonly Course[];
  /**
   * Lets a platform ("slack", "discord", "console") deliver notices and resolve the learners a
   * teacher names; teacher commands from a platform that is not attached are refused.
   */
  attachPlatform(name: string, platform: ClassroomPlatform): void;
  /** Runs a scheduled job (a reminder, a digest, a review nudge, records for the LRS). */
  runJob(job: Job): Promise<void>;
  /**
   * A platform saw people join a channel or group (see Classroom.membersChanged): open
   * assignments made to it reach them now. Never throws.
   */
  membersChanged(tenant: string, platform: string, group?: AssignedGroup): Promise<void>;
  /**
   * Replaces the fitted knowledge models (course id → model) for turns that start from now on;
   * a course without one goes back to its course file's values. Learners' states carry over.
   */
  useKnowledge(knowledge: ReadonlyMap<string, FittedKnowledge>): void;
}

/** Items a /practice of an already mastered skill gives before the engine takes over again. */
const PRACTICE_ROUND = 3;
/** Longest learner answer kept in the attempt log. */
const LOGGED_ANSWER_LENGTH = 200;
/** LLM hints an item may get after its authored ladder. */
const EXTRA_HINTS = 3;
/** Misconceptions remembered per learner for explanations. */
const RECENT_MISTAKES = 3;
/** How long an LLM explanation is reused for learners in the same situation. */
const EXPLANATION_TTL_MS = 7 * 86_400_000;

/** Everything one turn works on. */
interface TurnContext {
  readonly key: LearnerKey;
  readonly now: number;
  readonly log: Logger;
  readonly isNewLearner: boolean;
  readonly record: LearnerRecord;
  session: Session;
  runtime: CourseRuntime;
  readonly replies: Reply[];
  readonly attempts: string[];
  /** Assignments this turn completed. */
  readonly completed: string[];
  /** The LLM for this turn, when one is configured. */
  readonly ai: TurnAssistant | undefined;
}

/**
 * Builds the tutor. It follows the pedagogy of the design brief: the engine picks the skill and
 * the item, the first attempt feeds the model (a hint before it counts as "not yet"), wrong
 * answers get targeted feedback and a retry, then the worked solution; hints come as a ladder
 * whose last rung waits for an attempt.
 */
export function createTutor(deps: TutorDeps): Tutor {
  if (deps.courses.length === 0)
    throw new SocraError("no_courses", "The tutor needs at least one course");
  // One map, shared with the classroom: useKnowledge replaces its entries in place.
  const runtimes = new Map<string, CourseRuntime>();
  const useKnowledge = (knowledge: ReadonlyMap<string, FittedKnowledge> | undefined): void => {
    for (const course of deps.courses)
      runtimes.set(course.id, compileRuntime(course, knowledge?.get(course.id)));
  };
  useKnowledge(deps.knowledge);
  const defaultCourseId = runtimes.has(deps.defaultCourseId ?? "")
    ? (deps.defaultCourseId as string)
    : (deps.courses[0] as Course).id;
  const assistant = deps.llm
    ? createAssistant({
        llm: deps.llm,
        store: deps.store,
        clock: deps.clock,
        ...(deps.assist ? { options: deps.assist } : {}),
      })
    : undefined;
  /** Each learner's LLM work in progress in this process: a new message cancels it. */
  const inFlight = new Map<string, { controller: AbortController; eventId?: string }>();
  const bank =
    assistant && deps.llm
      ? createQuestionBank({ store: deps.store, llm: deps.llm, assistant, clock: deps.clock })
      : undefined;
  const classroom = createClassroom({
    store: deps.store,
    runtimes,
    clock: deps.clock,
    logger: deps.logger,
    options: deps.classroom ?? { timeZone: "UTC" },
    ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
    ...(assistant ? { forgetLlmData: (key: LearnerKey) => assistant.forget(key) } : {}),
  });

  async function handle(inbound: Inbound, options: HandleOptions = {}): Promise<Reply[]> {
    const name = inbound.command?.name.toLowerCase().replace(/^\//, "");
    if (name !== undefined && isClassroomCommand(name)) {
      try {
        return await classroom.command(inbound, name, inbound.command?.args ?? "");
      } catch (error) {
        deps.logger.error({ err: error, command: name }, "classroom command failed");
        return [{ kind: "error", text: copy.SORRY, isPrivate: true }];
      }
    }
    const learnerId = JSON.stringify([inbound.tenant, inbound.learner]);
    const previous = inFlight.get(learnerId);
    // A platform's redelivery of the same event is not the learner moving on.
    if (previous && (inbound.eventId === undefined || previous.eventId !== inbound.eventId))
      previous.controller.abort(new SocraError("aborted", "The learner moved on"));
    const work = {
      controller: new AbortController(),
      ...(inbound.eventId === undefined ? {} : { eventId: inbound.eventId }),
    };
    inFlight.set(learnerId, work);
    try {
      return await runTurn(inbound, work.controller.signal, options);
    } finally {
      if (inFlight.get(learnerId) === work) inFlight.delete(learnerId);
    }
  }

  async function runTurn(
    inbound: Inbound,
    signal: AbortSignal,
    options: HandleOptions,
  ): Promise<Reply[]> {
    const key = { tenant: inbound.tenant, learner: inbound.learner };
    const log = deps.logger.child({
      platform: inbound.platform,
      tenant: inbound.tenant,
      turnId: randomUUID(),
    });
    let turn: Awaited<ReturnType<TutorStore["beginTurn"]>>;
    try {
      turn = await deps.store.beginTurn(
        key,
        inbound.eventId === undefined ? {} : { eventId: inbound.eventId },
      );
    } catch (error) {
      log.error({ err: error }, "could not start a turn");
      return [{ kind: "error", text: copy.SORRY }];
    }
    if (turn === "duplicate") {
      log.info({ eventId: inbound.eventId }, "duplicate event skipped");
      return [];
    }
    if (inbound.action?.id === "forget-confirm" || inbound.action?.id === "forget-cancel")
      return forgetTurn(turn, key, inbound.action.id === "forget-confirm", log);
    try {
      const ai = assistant?.forTurn({
        key,
        log,
        signal,
        ...(options.onStream ? { onStream: options.onStream } : {}),
      });
      const context = openContext(key, turn.data.model, turn.data.session, log, ai);
      await bank?.refresh(key.tenant, context.runtime.course, context.now, log);
      await dispatch(context, inbound);
      context.record.profile.lastActiveAt = context.now;
      context.record.profile.courseId = context.session.courseId;
      context.session.turn += 1;
      await afterTurn(context, inbound.platform);
      await turn.commit({
        model: serializeLearnerRecord(context.record),
        session: serializeSession(context.session),
        attempts: context.attempts,
      });
      log.debug({ replies: context.replies.map((r) => r.kind) }, "turn done");
      await classroom
        .completed(key.tenant, context.completed)
        .catch((error: unknown) =>
          log.warn({ err: error }, "could not check assignments for a digest"),
        );
      if (deps.onRecords && context.attempts.length > 0)
        await deps
          .onRecords({ ...key, platform: inbound.platform }, context.attempts)
          .catch((error: unknown) =>
            log.warn({ err: error }, "could not pass on learning records"),
          );
      return context.replies;
    } catch (error) {
      await turn
        .release()
        .catch((releaseError: unknown) =>
          log.warn({ err: releaseError }, "could not release the turn"),
        );
      log.error({ err: error }, "turn failed");
      return [{ kind: "error", text: copy.SORRY }];
    }
  }

  /** Roster and review nudges, before the turn is saved; failures never cost the learner a turn. */
  async function afterTurn(context: TurnContext, platform: string): Promise<void> {
    try {
      await classroom.enroll(context.key, platform, context.record);
      await classroom.planNudge(context.key, platform, context.record, context.runtime);
    } catch (error) {
      context.log.warn({ err: error }, "could not update the roster or the review nudge");
    }
  }

  /** `/tutor forget-me`, confirmed or not: deletes every key of the learner, in every store. */
  async function forgetTurn(
    turn: Turn,
    key: LearnerKey,
    isConfirmed: boolean,
    log: Logger,
  ): Promise<Reply[]> {
    if (!isConfirmed) {
      await turn.release();
      return [{ kind: "info", text: copy.FORGET_CANCELLED, isPrivate: true }];
    }
    try {
      const record = readStored(turn.data.model, parseLearnerRecord, () => {});
      await turn.erase();
      await classroom.forget(key, record);
      return [{ kind: "info", text: copy.FORGOTTEN, code: "forgotten", isPrivate: true }];
    } catch (error) {
      await turn.release().catch(() => {});
      log.error({ err: error }, "could not delete a learner's data");
      return [{ kind: "error", text: copy.FORGET_FAILED, isPrivate: true }];
    }
  }

  function openContext(
    key: LearnerKey,
    model: string | undefined,
    session: string | undefined,
    log: Logger,
    ai: TurnAssistant | undefined,
  ): TurnContext {
    const now = deps.clock.now();
    // A corrupt record would block the learner for good: start over, loudly in the log.
    const record = readStored(model, parseLearnerRecord, (err) =>
      log.error({ err }, "stored learner record unreadable; starting a new one"),
    );
    const stored = readStored(session, parseSession, (err) =>
      log.warn({ err }, "stored session unreadable; starting a new one"),
    );
    const isNewLearner = record === undefined;
    const learner = record ?? newLearnerRecord(now);
    const runtime =
      runtimes.get(stored?.courseId ?? "") ??
      runtimes.get(learner.profile.courseId ?? "") ??
      (runtimes.get(defaultCourseId) as CourseRuntime);
    const current = stored?.courseId === runtime.course.id ? stored : undefined;
    return {
      key,
      now,
      log,
      isNewLearner,
      record: learner,
      session: current ?? { courseId: runtime.course.id, turn: stored?.turn ?? 0 },
      runtime,
      replies: [],
      attempts: [],
      completed: [],
      ai,
    };
  }

  async function dispatch(context: TurnContext, inbound: Inbound): Promise<void> {
    if (inbound.action) {
      const { id, itemId, value } = inbound.action;
      const open = context.session.current;
      if (itemId !== undefined && open?.itemId !== itemId) {
        context.replies.push({ kind: "info", text: copy.STALE_BUTTON, code: "stale-button" });
        ensureQuestion(context);
        return;
      }
      if (id === "answer") return answer(context, value ?? "");
      if (id === "next") return ensureQuestion(context);
      if (id === "start") return startAssignment(context, value);
      if (id === "forget-confirm" || id === "forget-cancel") return;
      return command(context, id, "");
    }
    if (inbound.command) {
      const name = inbound.command.name.toLowerCase().replace(/^\//, "");
      const intent = parseIntent(`/${name} ${inbound.command.args}`);
      return act(context, intent);
    }
    return act(context, parseIntent(inbound.text ?? ""));
  }

  async function act(context: TurnContext, intent: Intent): Promise<void> {
    switch (intent.type) {
      case "command":
        return command(context, intent.name, intent.args);
      case "greeting":
        return greet(context);
      case "frustration":
        say(context, "info", copy.frustration(openItem(context) !== undefined));
        return;
      case "question":
        if (isAnswerAsked(context, intent.text)) return answer(context, intent.text);
        if (refusesInjection(context, intent.text)) return;
        return openQuestion(context, intent.text);
      case "text": {
        const current = openItem(context);
        if (current && (current.item.type === "free" || isReadableAnswer(context, intent.text))) {
          // Any words are readable for text and free items: an instruction is not an answer.
          if (!isRightAnswer(current.item, intent.text) && refusesInjection(context, intent.text))
            return;
          return answer(context, intent.text);
        }
        if (refusesInjection(context, intent.text)) return;
        // The rules cannot tell what this is: the LLM may (an answer in words, a question, a mood).
        const guess = await classify(context, intent.text);
        if (guess === "hint" && current) return hint(context);
        if (guess === "question") return openQuestion(context, intent.text);
        if (guess === "frustration") {
          say(context, "info", copy.frustration(current !== undefined));
          return;
        }
        if (guess === "off-topic") {
          say(context, "info", copy.offTopic(current ? skillOf(context)?.name : undefined));
          return;
        }
        if (current) {
          if (guess === "greeting") {
            say(context, "info", copy.GREETING_MID);
            showQuestion(context, current.open);
            return;
          }
          return answer(context, intent.text);
        }
        if (context.isNewLearner || guess === "greeting") return greet(context);
        say(context, "info", copy.NUDGE);
        return;
      }
      case "unknown-command":
        say(context, "info", copy.unknownCommand(intent.name));
        return;
      case "empty":
        say(context, "info", copy.EMPTY);
        return;
    }
  }

  async function command(context: TurnContext, name: CommandName, args: string): Promise<void> {
    switch (name) {
      case "start":
        return greet(context);
      case "hint":
        return hint(context);
      case "explain":
        return explain(context);
      case "skip":
        return skip(context);
      case "progress":
        context.replies.push(progressReply(context));
        return;
      case "courses":
        say(context, "info", copy.courseList(deps.courses, context.runtime.course.id));
        return;
      case "course":
        return switchCourse(context, args);
      case "practice":
        return practice(context, args);
      case "help":
        say(context, "info", copy.help(context.runtime.course));
        return;
      case "language":
        return setLanguage(context, args);
      case "interests":
        return setInterests(context, args);
      case "reminders":
        return setReminders(context, args);
    }
  }

  function setReminders(context: TurnContext, args: string): void {
    const choice = args.trim().toLowerCase();
    const profile = context.record.profile;
    if (choice === "on") profile.wantsReviewNudges = true;
    else if (choice === "off") {
      delete profile.wantsReviewNudges;
      delete profile.nudgeAt;
    }
    say(
      context,
      "info",
      copy.reminders(
        choice === "on" || choice === "off" ? choice : undefined,
        profile.wantsReviewNudges === true,
      ),
    );
  }

  /** The Start button of an assignment or a reminder: practice in that assignment's course. */
  function startAssignment(context: TurnContext, assignmentId: string | undefined): void {
    const assignment =
      assignmentId === undefined ? undefined : context.record.assignments[assignmentId];
    const runtime = assignment ? runtimes.get(assignment.courseId) : undefined;
    if (assignmentId !== undefined && (!assignment || assignment.completedAt !== undefined)) {
      say(context, "info", assignment ? copy.ASSIGNMENT_ALREADY_DONE : copy.ASSIGNMENT_GONE);
    }
    if (runtime && runtime.course.id !== context.runtime.course.id) {
      context.runtime = runtime;
      context.session = { courseId: runtime.course.id, turn: context.session.turn };
    }
    if (
      assignment &&
      context.session.current &&
      context.session.current.assignmentId !== assignmentId
    ) {
      // The assignment comes first: the open question makes way for it.
      context.session.current = undefined;
    }
    delete context.session.focusSkillId;
    delete context.session.focusRemaining;
    greet(context);
  }

  function setLanguage(context: TurnContext, args: string): void {
    const tag = args.trim();
    const profile = context.record.profile;
    const courseLanguage = context.runtime.course.language;
    if (tag === "" || /^(default|auto|course)$/i.test(tag)) {
      if (tag === "") {
        say(context, "info", copy.LANGUAGE_USAGE);
        return;
      }
      delete profile.language;
      say(context, "info", copy.languageSet(undefined, courseLanguage));
      return;
    }
    if (!/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i.test(tag)) {
      say(context, "info", copy.LANGUAGE_USAGE);
      return;
    }
    // BCP 47 casing: the language lower-case (fr, pt-BR), as prompts and courses write it.
    const [language = "", ...subtags] = tag.split("-");
    profile.language = [
      language.toLowerCase(),
      ...subtags.map((t) => (t.length === 2 ? t.toUpperCase() : t)),
    ].join("-");
    say(context, "info", copy.languageSet(profile.language, courseLanguage));
  }

  function setInterests(context: TurnContext, args: string): void {
    const interests = cleanText(args).slice(0, 100);
    const profile = context.record.profile;
    if (interests === "") {
      delete profile.interests;
      say(context, "info", copy.interestsSet(undefined));
      return;
    }
    if (refusesInjection(context, interests)) return;
    profile.interests = scrubIdentifiers(interests);
    say(context, "info", copy.interestsSet(profile.interests));
  }

  /** Refuses text that tries to instruct the model; logs it without the text. */
  function refusesInjection(context: TurnContext, text: string): boolean {
    if (!looksLikeInjection(text)) return false;
    context.log.warn(
      { guard: "prompt-injection" },
      "learner text looks like an instruction to the model",
    );
    say(context, "info", copy.INJECTION);
    return true;
  }

  /** What the LLM thinks a message is, when the rules could not tell; undefined without one. */
  async function classify(context: TurnContext, text: string): Promise<LlmIntent | undefined> {
    if (!context.ai || !deps.llm) return undefined;
    const llm = deps.llm;
    const current = openItem(context);
    const message = scrubIdentifiers(text);
    return ask(context, {
      name: "intent",
      generate: (call) =>
        llm.classifyIntent(
          { message, ...(current ? { item: itemContext(current.item) } : {}) },
          call,
        ),
      textOf: () => "",
      leaks: () => false,
      learnerText: [message],
    });
  }

  /** A learner's own question, answered by the LLM in the context of the current skill. */
  async function openQuestion(context: TurnContext, text: string): Promise<void> {
    const llm = deps.llm;
    const skill = skillOf(context);
    if (!context.ai || !llm || !skill) {
      say(context, "info", copy.OPEN_QUESTION);
      return;
    }
    const question = scrubIdentifiers(text);
    if (!(await context.ai.isAcceptableInput(question))) {
      say(context, "info", copy.MODERATED);
      return;
    }
    const current = openItem(context);
    const reply = await ask(context, {
      name: "answer-question",
      generate: (call) =>
        llm.answerQuestion(
          {
            skill: skillContext(context.runtime.course, skill),
            question,
            language: languageOf(context),
            ...(current ? { item: itemContext(current.item) } : {}),
          },
          call,
        ),
      textOf: (value) => value.reply,
      leaks: leaksFor(current?.item, current?.open.answers),
    });
    if (!reply) {
      say(context, "info", copy.OPEN_QUESTION);
      return;
    }
    if (!reply.onTopic) {
      say(context, "info", copy.offTopic(skill.name));
      return;
    }
    context.replies.push({ kind: "explanation", text: reply.reply, skillId: skill.id });
  }

  /** The skill in front of the learner: the open item's, else their focus, else none. */
  function skillOf(context: TurnContext) {
    const { course } = context.runtime;
    const id = context.session.current?.skillId ?? context.session.focusSkillId;
    return id === undefined ? undefined : course.skill(id);
  }

  function languageOf(context: TurnContext): string {
    return context.record.profile.language ?? context.runtime.course.language;
  }

  /** What the LLM may know about the learner (no name, handle or id). */
  function learnerContext(context: TurnContext, skillId: string): LearnerContext {
    const { course, model } = context.runtime;
    const progress = skillProgress(context.record.state, model, engineId(course, skillId));
    const level: LearnerContext["level"] = progress.isMastered
      ? "mastered"
      : progress.pKnown < 0.4
        ? "new to it"
        : progress.pKnown < 0.8
          ? "getting there"
          : "almost mastered";
    const profile = context.record.profile;
    return {
      language: languageOf(context),
      level,
      recentMistakes: recentMistakesOf(context, skillId).map((m) => m.description),
      ...(profile.interests ? { interests: profile.interests } : {}),
    };
  }

  function recentMistakesOf(context: TurnContext, skillId: string) {
    const { course } = context.runtime;
    const skill = course.skill(skillId);
    return (context.record.profile.recentMistakes ?? [])
      .filter((id) => id.startsWith(`${course.id}/${skillId}/`))
      .map((id) => skill?.misconceptions.find((m) => `${course.id}/${skillId}/${m.id}` === id))
      .filter((m) => m !== undefined);
  }

  function rememberMistake(context: TurnContext, skillId: string, misconceptionId: string): void {
    const id = `${context.runtime.course.id}/${skillId}/${misconceptionId}`;
    const profile = context.record.profile;
    profile.recentMistakes = [id, ...(profile.recentMistakes ?? []).filter((m) => m !== id)].slice(
      0,
      RECENT_MISTAKES,
    );
  }

  /**
   * Runs an LLM job through the turn's guards; undefined means authored content (and, when the
   * learner's budget is spent, they are told so once a day).
   */
  async function ask<T>(context: TurnContext, job: LlmJob<T>): Promise<T | undefined> {
    const value = await context.ai?.run(job);
    if (value === undefined) noteFallback(context);
    return value;
  }

  /** Tells the learner once a day that their LLM budget is spent. */
  function noteFallback(context: TurnContext): void {
    if (!context.ai?.isBudgetSpent) return;
    const day = new Date(context.now).toISOString().slice(0, 10);
    if (context.session.budgetNoticeDay === day) return;
    context.session.budgetNoticeDay = day;
    say(context, "info", copy.BUDGET_SPENT);
  }

  function greet(context: TurnContext): void {
    const { course } = context.runtime;
    const open = context.session.current;
    if (open) {
      say(
        context,
        "info",
        `${copy.welcomeBack(course, masteredCount(context), undefined)} ${copy.RESUME}`,
      );
      showQuestion(context, open);
      return;
    }
    const hasPractised = course.skills.some(
      (skill) =>
        (context.record.state.evidence.skills[engineId(course, skill.id)]?.attempts ?? 0) > 0,
    );
    const next = pickQuestion(context);
    const nextName = next ? course.skill(next.skillId)?.name : undefined;
    say(
      context,
      "info",
      hasPractised
        ? copy.welcomeBack(course, masteredCount(context), nextName)
        : copy.welcome(course, nextName),
    );
    if (next) showQuestion(context, next);
    else say(context, "info", copy.allMastered(course, nextReviewAt(context)));
  }

  function masteredCount(context: TurnContext): number {
    const { course, model } = context.runtime;
    return course.skills.filter(
      (s) => skillProgress(context.record.state, model, engineId(course, s.id)).isMastered,
    ).length;
  }

  function nextReviewAt(context: TurnContext): number | undefined {
    const target = chooseNextTarget({
      graph: context.runtime.graph,
      learner: context.record.state,
      model: context.runtime.model,
      now: context.now,
    });
    return target.kind === "done" ? target.nextReviewAt : undefined;
  }

  /** Re-shows the open question, or picks and shows the next one. */
  function ensureQuestion(context: TurnContext): void {
    const open = context.session.current;
    if (open) {
      showQuestion(context, open);
      return;
    }
    nextQuestion(context);
  }

  function nextQuestion(context: TurnContext): void {
    const next = pickQuestion(context);
    if (next) showQuestion(context, next);
    else say(context, "info", copy.allMastered(context.runtime.course, nextReviewAt(context)));
  }

  /** Chooses the next skill (engine, or the learner's /practice focus) and an item in it. */
  function pickQuestion(context: TurnContext): OpenItem | undefined {
    const { course, graph, model } = context.runtime;
    const state = context.record.state;
    let skillId: string | undefined;
    let reason = "frontier";
    let assignmentId: string | undefined;
    const focus = context.session.focusSkillId;
    if (focus !== undefined && course.skill(focus)) {
      const missing = graph
        .ancestorsOf(engineId(course, focus))
        .find(
          (id) =>
            !skillProgress(state, model, id).isMastered &&
            graph.prerequisitesOf(id).every((p) => skillProgress(state, model, p).isMastered),
        );
      skillId = missing === undefined ? focus : missing.slice(course.id.length + 1);
      reason = missing === undefined ? "focus" : "focus-prerequisite";
    } else {
      const target = chooseNextTarget({
        graph,
        learner: state,
        model,
        now: context.now,
        assignments: classroom.assignmentsFor(context.record, course),
      });
      if (target.kind === "done") return undefined;
      skillId = target.skillId.slice(course.id.length + 1);
      reason = target.reason;
      assignmentId = target.assignmentId;
      if (target.isStuck)
        say(context, "info", copy.stuckNote(course.skill(skillId)?.name ?? skillId));
    }
    const item = pickItem(context, skillId);
    if (!item)
      throw new SocraError("no_items", `Skill ${skillId} of course ${course.id} has no items`);
    bank?.replenish(context.key.tenant, course, skillId, context.log);
    const isGenerated =
      course.findItem(item.id) === undefined && parseInstanceId(item.id) === undefined;
    context.session.current = {
      ...(isGenerated ? { generated: item } : {}),
      itemId: item.id,
      skillId,
      reason,
      ...(assignmentId === undefined ? {} : { assignmentId }),
      shownAt: context.now,
      attempts: 0,
      hintsShown: 0,
      hintBeforeAttempt: false,
      isAwaitingRating: false,
    };
    return context.session.current;
  }

  /**
   * The item nearest the target success rate among the skill's authored items and templates (a
   * template's instances share its statistics, so it is chosen as one), then a fresh draw if a
   * template wins.
   */
  function pickItem(context: TurnContext, skillId: string): ItemDefinition | undefined {
    const { course, model } = context.runtime;
    const state = context.record.state;
    const seed = `${context.key.tenant}/${context.key.learner}/${context.session.turn}`;
    const options = new Map<ItemCandidate, () => ItemDefinition | undefined>();
    const offer = (
      entry: ItemDefinition | TemplateDefinition,
      get: () => ItemDefinition | undefined,
    ): void => {
      const practiceItem = enginePracticeItem(course, entry);
      options.set(
        { id: practiceItem.id, predicted: predictCorrect(state, model, practiceItem) },
        get,
      );
    };
    for (const item of course.itemsFor(skillId)) offer(item, () => item);
    for (const { item } of bank?.questionsFor(context.key.tenant, course, skillId) ?? [])
      offer(item, () => item);
    for (const template of course.templatesFor(skillId))
      offer(template, () => course.drawInstance(template, createRng(seed)));
    if (options.size === 0) return undefined;
    return options.get(chooseItem([...options.keys()], state.recentItems, seed))?.();
  }

  function showQuestion(context: TurnContext, open: OpenItem): void {
    const { course } = context.runtime;
    const item = open.generated ?? course.findItem(open.itemId);
    const skill = course.skill(open.skillId);
    if (!item || !skill) {
      // The course changed under a stored session: move on.
      context.session.current = undefined;
      nextQuestion(context);
      return;
    }
    const header = open.reason === "review" ? `**Review: ${skill.name}**` : `**${skill.name}**`;
    const reply: QuestionReply = {
      kind: "question",
      text: `${header}\n\n${item.prompt}`,
      courseId: course.id,
      skillId: skill.id,
      skillName: skill.name,
      itemId: item.id,
      itemType: item.type,
      reason: open.reason,
      ...(item.type === "choice"
        ? { choices: item.choices.map((text, k) => ({ label: choiceLabel(k), text })) }
        : {}),
    };
    context.replies.push(reply);
  }

  function openItem(context: TurnContext): { open: OpenItem; item: ItemDefinition } | undefined {
    const open = context.session.current;
    if (!open) return undefined;
    const item = open.generated ?? context.runtime.course.findItem(open.itemId);
    if (!item) {
      context.session.current = undefined;
      return undefined;
    }
    return { open, item };
  }

  /** The open question; without one, says so and asks the next question instead. */
  function openItemOrAsk(
    context: TurnContext,
  ): { open: OpenItem; item: ItemDefinition } | undefined {
    const current = openItem(context);
    if (!current) {
      say(context, "info", copy.NO_QUESTION);
      nextQuestion(context);
    }
    return current;
  }

  /**
   * Whether a question-shaped message is an answer ("is it 3/4?"). Any text is readable for a
   * text item, so there a question counts as an answer only when it is right or a few words.
   */
  function isAnswerAsked(context: TurnContext, text: string): boolean {
    const current = openItem(context);
    if (!current || current.item.type === "free") return false;
    const result = checkAnswer(current.item, answerText(text));
    if (result.verdict === "unreadable") return false;
    return (
      current.item.type !== "text" ||
      result.verdict === "correct" ||
      answerText(text).split(" ").length <= 3
    );
  }

  function isReadableAnswer(context: TurnContext, text: string): boolean {
    const current = openItem(context);
    if (!current || current.item.type === "free") return false;
    return checkAnswer(current.item, answerText(text)).verdict !== "unreadable";
  }

  async function answer(context: TurnContext, raw: string): Promise<void> {
    const current = openItemOrAsk(context);
    if (!current) return;
    const { open, item } = current;
    const text = answerText(raw);
    if (item.type === "free") return freeAnswer(context, open, item, text);
    const result = checkAnswer(item, text);
    if (result.verdict === "unreadable") {
      const message =
        result.isWrongForm && item.type === "numeric"
          ? copy.wrongForm(numberForms(item))
          : copy.unreadable(item.type, item.type === "choice" ? item.choices.length : 0);
      say(context, "info", message);
      return;
    }
    const isCorrect = result.verdict === "correct";
    const authored = isCorrect
      ? undefined
      : item.feedback.find((f) => matchesAnswer(item as CheckableItem, f.answer, text));
    const diagnosis =
      isCorrect || authored || result.isUnsimplified
        ? undefined
        : await diagnose(context, open, item, text);
    settleAttempt(context, open, item, {
      answer: text,
      verdict: result.verdict,
      isCorrect,
      ...(isCorrect
        ? {}
        : {
            message: result.isUnsimplified
              ? copy.UNSIMPLIFIED
              : (authored?.message ?? diagnosis?.feedback ?? copy.NOT_QUITE),
          }),
      ...(authored?.misconception === undefined
        ? diagnosis?.misconceptionId
          ? { misconceptionId: diagnosis.misconceptionId }
          : {}
        : { misconceptionId: authored.misconception }),
      ...(diagnosis?.newMisconception ? { newMisconception: diagnosis.newMisconception } : {}),
    });
  }

  /**
   * Counts an answer: the model update on the first attempt, the attempt log, feedback with
   * praise or the diagnosis, a retry or the worked solution, and the next question when done.
   */
  function settleAttempt(
    context: TurnContext,
    open: OpenItem,
    item: ItemDefinition,
    outcome: {
      readonly answer: string;
      readonly verdict: string;
      readonly isCorrect: boolean;
      /** Feedback on the answer (after the praise when correct). */
      readonly message?: string;
      readonly misconceptionId?: string;
      readonly newMisconception?: string;
    },
  ): void {
    const { isCorrect, misconceptionId } = outcome;
    open.attempts += 1;
    open.answers = [
      ...(open.answers ?? []),
      scrubIdentifiers(outcome.answer).slice(0, LOGGED_ANSWER_LENGTH),
    ].slice(-5);
    const isFirst = open.attempts === 1;
    const changes = isFirst
      ? recordFirstAttempt(context, item, isCorrect, open.hintBeforeAttempt)
      : { gainedIds: [], gained: [], lost: [] };
    if (misconceptionId !== undefined) rememberMistake(context, open.skillId, misconceptionId);
    logAttempt(context, open, "answer", {
      answer: outcome.answer.slice(0, LOGGED_ANSWER_LENGTH),
      verdict: outcome.verdict,
      attempt: open.attempts,
      hints: open.hintsShown + (open.extraHints?.length ?? 0),
      ...(misconceptionId === undefined ? {} : { misconception: misconceptionId }),
      ...(outcome.newMisconception === undefined
        ? {}
        : { newMisconception: outcome.newMisconception.slice(0, LOGGED_ANSWER_LENGTH) }),
    });
    const usedHints =
      open.hintBeforeAttempt || open.hintsShown > 0 || (open.extraHints?.length ?? 0) > 0;
    const parts: string[] = [];
    if (isCorrect)
      parts.push(
        copy.praise(hashSeed(`${open.itemId}/${context.session.turn}`), isFirst, usedHints),
      );
    if (outcome.message !== undefined) parts.push(outcome.message);
    if (changes.gained.length > 0) parts.push(copy.mastered(changes.gained));
    if (changes.lost.length > 0) parts.push(copy.masteryLost(changes.lost));
    const isLastAttempt = !isCorrect && open.attempts >= context.runtime.course.attempts;
    const hasHints =
      open.hintsShown < item.hints.length ||
      (context.ai !== undefined &&
        !context.ai.isBudgetSpent &&
        (open.extraHints?.length ?? 0) < EXTRA_HINTS);
    if (!isCorrect && !isLastAttempt) parts.push(copy.tryAgain(hasHints));
    if (isLastAttempt)
      parts.push(copy.workedSolution(item.type === "free" ? item.modelAnswer : item.solution));
    context.replies.push({
      kind: "feedback",
      text: parts.join("\n\n"),
      itemId: item.id,
      correct: isCorrect,
      isItemDone: isCorrect || isLastAttempt,
      ...(misconceptionId === undefined ? {} : { misconceptionId }),
      ...(changes.gained.length > 0 ? { mastered: changes.gainedIds } : {}),
    });
    if (isCorrect || isLastAttempt) {
      finishItem(context, open);
      nextQuestion(context);
    }
  }

  /** What a wrong answer shows, from the LLM: a known misconception or a new one, and feedback. */
  async function diagnose(
    context: TurnContext,
    open: OpenItem,
    item: CheckableItem,
    text: string,
  ): Promise<
    { feedback: string; misconceptionId?: string; newMisconception?: string } | undefined
  > {
    const llm = deps.llm;
    const skill = context.runtime.course.skill(open.skillId);
    if (!context.ai || !llm || !skill) return undefined;
    const diagnosis = await ask(context, {
      name: "diagnose",
      generate: (call) =>
        llm.diagnose(
          {
            skill: skillContext(context.runtime.course, skill),
            item: itemContext(item),
            learnerAnswer: scrubIdentifiers(text),
            language: languageOf(context),
          },
          call,
        ),
      textOf: (value) => value.feedback,
      leaks: leaksFor(item, open.answers),
      learnerText: [scrubIdentifiers(text)],
    });
    if (!diagnosis) return undefined;
    const known = skill.misconceptions.some((m) => m.id === diagnosis.misconceptionId);
    return {
      feedback: diagnosis.feedback,
      ...(known && diagnosis.misconceptionId ? { misconceptionId: diagnosis.misconceptionId } : {}),
      ...(!known && diagnosis.newMisconception
        ? { newMisconception: diagnosis.newMisconception }
        : {}),
    };
  }

  /**
   * Free-text items: graded by the LLM against the rubric when one is configured; otherwise (or
   * when grading fails) the model answer is shown and the learner rates their own answer.
   */
  async function freeAnswer(
    context: TurnContext,
    open: OpenItem,
    item: Extract<ItemDefinition, { type: "free" }>,
    text: string,
  ): Promise<void> {
    if (!open.isAwaitingRating && context.ai) {
      const grade = await gradeFree(context, open, item, text);
      if (grade === "refused") return;
      if (grade) {
        settleAttempt(context, open, item, {
          answer: text,
          verdict: grade.verdict,
          isCorrect: grade.verdict === "correct",
          message: grade.feedback,
          ...(grade.misconceptionId ? { misconceptionId: grade.misconceptionId } : {}),
        });
        return;
      }
      if (open.attempts > 0) {
        // Graded once already (that attempt fed the model): without a grade now, show the model
        // answer and move on rather than count a self-rating as a second first attempt.
        logAttempt(context, open, "answer", {
          answer: text.slice(0, LOGGED_ANSWER_LENGTH),
          verdict: "ungraded",
          attempt: open.attempts + 1,
        });
        say(context, "info", copy.workedSolution(item.modelAnswer));
        finishItem(context, open);
        nextQuestion(context);
        return;
      }
    }
    if (!open.isAwaitingRating) {
      open.isAwaitingRating = true;
      logAttempt(context, open, "answer", {
        answer: text.slice(0, LOGGED_ANSWER_LENGTH),
        verdict: "self-rated",
        attempt: 1,
        hints: open.hintsShown,
      });
      say(context, "info", copy.rateYourself(item.modelAnswer));
      return;
    }
    const rating = /^(y|yes|yep|yeah|i had it|got it)$/i.test(text)
      ? "yes"
      : /^(partly|partially|some|kind of|sort of|half)$/i.test(text)
        ? "partly"
        : /^(n|no|nope|not really)$/i.test(text)
          ? "no"
          : undefined;
    if (rating === undefined) {
      say(context, "info", copy.RATE_PROMPT);
      return;
    }
    open.attempts = 1;
    const changes = recordFirstAttempt(context, item, rating === "yes", open.hintBeforeAttempt);
    logAttempt(context, open, "rating", { verdict: rating });
    const parts = [copy.ratingThanks(rating)];
    if (changes.gained.length > 0) parts.push(copy.mastered(changes.gained));
    context.replies.push({
      kind: "feedback",
      text: parts.join("\n\n"),
      itemId: item.id,
      correct: rating === "yes",
      isItemDone: true,
    });
    finishItem(context, open);
    nextQuestion(context);
  }

  async function gradeFree(
    context: TurnContext,
    open: OpenItem,
    item: Extract<ItemDefinition, { type: "free" }>,
    text: string,
  ): Promise<Grade | "refused" | undefined> {
    const llm = deps.llm;
    const skill = context.runtime.course.skill(open.skillId);
    if (!context.ai || !llm || !skill) return undefined;
    const learnerAnswer = scrubIdentifiers(text);
    if (!(await context.ai.isAcceptableInput(learnerAnswer))) {
      say(context, "info", copy.MODERATED);
      return "refused";
    }
    const grade = await ask(context, {
      name: "grade",
      generate: (call) =>
        llm.grade(
          {
            skill: skillContext(context.runtime.course, skill),
            item: itemContext(item),
            learnerAnswer,
            language: languageOf(context),
          },
          call,
        ),
      textOf: (value) => value.feedback,
      leaks: leaksFor(item, open.answers),
    });
    if (!grade) return undefined;
    const known = skill.misconceptions.some((m) => m.id === grade.misconceptionId);
    return known ? grade : { ...grade, misconceptionId: null };
  }

  /** The model update of a first attempt, and the learner's streak. */
  function recordFirstAttempt(
    context: TurnContext,
    item: ItemDefinition,
    isCorrect: boolean,
    usedHint: boolean,
  ) {
    const { course, model } = context.runtime;
    const effect = recordResponse(context.record.state, model, {
      item: enginePracticeItem(course, item),
      isCorrect,
      usedHint,
      at: context.now,
    });
    const profile = context.record.profile;
    profile.streak = isCorrect && !usedHint ? profile.streak + 1 : 0;
    profile.bestStreak = Math.max(profile.bestStreak, profile.streak);
    const nameOf = (id: string) => course.skill(id.slice(course.id.length + 1))?.name ?? id;
    for (const change of effect.skills.filter((s) => s.mastery !== "unchanged"))
      context.attempts.push(
        JSON.stringify({
          at: context.now,
          course: course.id,
          skill: change.skillId.slice(course.id.length + 1),
          kind: "mastery",
          change: change.mastery,
          pKnown: Math.round(change.pKnownAfter * 1000) / 1000,
        }),
      );
    const gainedIds = effect.skills
      .filter((s) => s.mastery === "gained")
      .map((s) => s.skillId.slice(course.id.length + 1));
    return {
      gainedIds,
      gained: gainedIds.map((id) => nameOf(engineId(course, id))),
      lost: effect.skills.filter((s) => s.mastery === "lost").map((s) => nameOf(s.skillId)),
    };
  }

  function finishItem(context: TurnContext, open: OpenItem): void {
    const { course } = context.runtime;
    const done = context.record.profile.itemsDone;
    done[course.id] = (done[course.id] ?? 0) + 1;
    context.session.current = undefined;
    const assignment =
      open.assignmentId === undefined ? undefined : context.record.assignments[open.assignmentId];
    if (assignment && assignment.completedAt === undefined) assignment.done += 1;
    for (const id of classroom.settle(context.record, context.runtime, context.now)) {
      context.completed.push(id);
      const finished = context.record.assignments[id];
      say(
        context,
        "info",
        copy.assignmentDone(
          finished?.skillIds.map((s) => course.skill(s)?.name ?? s) ?? [],
          finished?.completion === "count" ? finished.done : undefined,
        ),
      );
    }
    const focus = context.session.focusSkillId;
    if (focus !== undefined && open.skillId === focus) {
      const isMastered = skillProgress(
        context.record.state,
        context.runtime.model,
        engineId(course, focus),
      ).isMastered;
      const remaining = (context.session.focusRemaining ?? 0) - 1;
      if (isMastered && remaining <= 0) {
        delete context.session.focusSkillId;
        delete context.session.focusRemaining;
      } else if (context.session.focusRemaining !== undefined) {
        context.session.focusRemaining = remaining;
      }
    }
  }

  async function hint(context: TurnContext): Promise<void> {
    const current = openItemOrAsk(context);
    if (!current) return;
    const { open, item } = current;
    const rungs = item.hints;
    if (open.hintsShown >= rungs.length) {
      if (await llmHint(context, open, item)) return;
      say(context, "info", rungs.length === 0 ? copy.NO_HINTS : copy.NO_MORE_HINTS);
      return;
    }
    const isBottomOut = open.hintsShown === rungs.length - 1;
    if (isBottomOut && open.attempts === 0) {
      say(context, "info", copy.TRY_FIRST);
      return;
    }
    if (open.attempts === 0) open.hintBeforeAttempt = true;
    open.hintsShown += 1;
    logAttempt(context, open, "hint", { rung: open.hintsShown });
    context.replies.push({
      kind: "hint",
      text: `${copy.hintHeader(open.hintsShown, rungs.length)}${rungs[open.hintsShown - 1]}`,
      itemId: item.id,
      rung: open.hintsShown,
      of: rungs.length,
    });
  }

  /**
   * A Socratic hint from the LLM once the authored ladder has run out (or when there is none),
   * streamed sentence by sentence after the leak guard; false when there is none to give.
   */
  async function llmHint(
    context: TurnContext,
    open: OpenItem,
    item: ItemDefinition,
  ): Promise<boolean> {
    const llm = deps.llm;
    const skill = context.runtime.course.skill(open.skillId);
    const extra = open.extraHints ?? [];
    if (!context.ai || !llm || !skill || extra.length >= EXTRA_HINTS) return false;
    const streamId = randomUUID();
    const text = await ask(context, {
      name: "hint",
      generate: (call) =>
        llm.hint(
          {
            skill: skillContext(context.runtime.course, skill),
            item: itemContext(item),
            hintsGiven: [...item.hints.slice(0, open.hintsShown), ...extra],
            attempts: open.answers ?? [],
            language: languageOf(context),
          },
          call,
        ),
      textOf: (value) => value,
      leaks: leaksFor(item, open.answers),
      learnerText: open.answers ?? [],
      stream: {
        streamId,
        kind: "hint",
        format: (hintText) => `${copy.extraHintHeader()}${hintText}`,
      },
    });
    if (text === undefined) return false;
    if (open.attempts === 0) open.hintBeforeAttempt = true;
    open.extraHints = [...extra, text];
    logAttempt(context, open, "hint", {
      rung: open.hintsShown + open.extraHints.length,
      source: "llm",
    });
    context.replies.push({
      kind: "hint",
      text: `${copy.extraHintHeader()}${text}`,
      itemId: item.id,
      rung: open.hintsShown + open.extraHints.length,
      of: item.hints.length + EXTRA_HINTS,
      streamId,
    });
    return true;
  }

  async function explain(context: TurnContext): Promise<void> {
    const { course } = context.runtime;
    const open = context.session.current ?? pickQuestion(context);
    const skill = open ? course.skill(open.skillId) : undefined;
    if (!open || !skill) {
      say(context, "info", copy.allMastered(course, nextReviewAt(context)));
      return;
    }
    const streamId = randomUUID();
    const generated = await llmExplanation(context, skill, open, streamId);
    context.replies.push({
      kind: "explanation",
      text: copy.explanation(skill.name, generated ?? skill.explanation),
      skillId: skill.id,
      ...(generated === undefined ? {} : { streamId }),
    });
    if (!context.replies.some((r) => r.kind === "question")) showQuestion(context, open);
  }

  /**
   * An explanation fitted to the learner, from the cache when learners in the same situation
   * (skill, level, language, interest, recent misconception, prompt version) already had one.
   */
  async function llmExplanation(
    context: TurnContext,
    skill: SkillDefinition,
    open: OpenItem,
    streamId: string,
  ): Promise<string | undefined> {
    const llm = deps.llm;
    if (!context.ai || !llm) return undefined;
    const { course } = context.runtime;
    const learner = learnerContext(context, skill.id);
    const leaks = leaksFor(open.generated ?? course.findItem(open.itemId), open.answers);
    const situation = [
      course.id,
      skill.id,
      learner.level,
      learner.language,
      learner.interests?.toLowerCase() ?? "",
      ...learner.recentMistakes,
      course.title,
      skill.name,
      skill.description ?? "",
      skill.explanation,
    ].join("\u0000");
    const cacheKey = {
      tenant: context.key.tenant,
      name: `explain:v${llm.promptVersion("explain")}:${createHash("sha256").update(situation).digest("base64url").slice(0, 24)}`,
    };
    try {
      const cached = await deps.store.getCached(cacheKey);
      if (cached !== undefined && !leaks(cached)) return cached;
    } catch (error) {
      context.log.warn({ err: error }, "could not read the explanation cache");
    }
    const text = await ask(context, {
      name: "explain",
      generate: (call) => llm.explain({ skill: skillContext(course, skill), learner }, call),
      textOf: (value) => value,
      leaks,
      learnerText: learner.interests ? [learner.interests] : [],
      stream: {
        streamId,
        kind: "explanation",
        format: (explanation) => copy.explanation(skill.name, explanation),
      },
    });
    if (text === undefined) return undefined;
    await deps.store
      .setCached(cacheKey, text, EXPLANATION_TTL_MS)
      .catch((error: unknown) =>
        context.log.warn({ err: error }, "could not cache the explanation"),
      );
    return text;
  }

  function skip(context: TurnContext): void {
    const current = openItem(context);
    if (!current) {
      nextQuestion(context);
      return;
    }
    const { open, item } = current;
    if (open.attempts === 0) recordFirstAttempt(context, item, false, open.hintBeforeAttempt);
    logAttempt(context, open, "skip", { attempt: open.attempts, hints: open.hintsShown });
    say(context, "info", copy.skipped(item.type === "free" ? item.modelAnswer : item.solution));
    context.session.current = undefined;
    nextQuestion(context);
  }

  function switchCourse(context: TurnContext, args: string): void {
    const id = args.trim().split(" ")[0] ?? "";
    const runtime =
      runtimes.get(id) ??
      [...runtimes.values()].find(
        (r) => r.course.title.toLowerCase() === args.trim().toLowerCase(),
      );
    if (!runtime) {
      const known = id
        ? copy.unknownCourse(id, deps.courses)
        : copy.courseList(deps.courses, context.runtime.course.id);
      say(context, "info", known);
      return;
    }
    context.runtime = runtime;
    context.session = { courseId: runtime.course.id, turn: context.session.turn };
    say(context, "info", copy.switchedCourse(runtime.course));
    greet(context);
  }

  function practice(context: TurnContext, args: string): void {
    const { course, model, graph } = context.runtime;
    const query = args.trim().toLowerCase();
    const skill =
      course.skills.find((s) => s.id.toLowerCase() === query) ??
      course.skills.find((s) => s.name.toLowerCase() === query) ??
      (query.length >= 3
        ? course.skills.find(
            (s) => s.id.toLowerCase().includes(query) || s.name.toLowerCase().includes(query),
          )
        : undefined);
    if (!skill) {
      say(context, "info", copy.unknownSkill(args.trim(), course));
      return;
    }
    const state = context.record.state;
    const isMastered = skillProgress(state, model, engineId(course, skill.id)).isMastered;
    context.session.focusSkillId = skill.id;
    if (isMastered) context.session.focusRemaining = PRACTICE_ROUND;
    else delete context.session.focusRemaining;
    context.session.current = undefined;
    const missing = graph
      .ancestorsOf(engineId(course, skill.id))
      .find((id) => !skillProgress(state, model, id).isMastered);
    if (isMastered) say(context, "info", copy.practiceMastered(skill.name));
    else if (missing)
      say(
        context,
        "info",
        copy.practicePrerequisite(
          skill.name,
          course.skill(missing.slice(course.id.length + 1))?.name ?? missing,
        ),
      );
    else say(context, "info", copy.practiceFocus(skill.name));
    nextQuestion(context);
  }

  function progressReply(context: TurnContext): ProgressReply {
    const { course, model } = context.runtime;
    const state = context.record.state;
    let attempts = 0;
    let correct = 0;
    const skills: SkillView[] = course.skills.map((skill) => {
      const id = engineId(course, skill.id);
      const progress = skillProgress(state, model, id);
      const stats = state.evidence.skills[id];
      attempts += stats?.attempts ?? 0;
      correct += stats?.correct ?? 0;
      const isStarted = (stats?.attempts ?? 0) > 0;
      return {
        id: skill.id,
        name: skill.name,
        mastery: progress.pKnown,
        isMastered: progress.isMastered,
        isStarted,
        isStuck: isStuck(state, model, id),
      };
    });
    const accuracy = attempts === 0 ? null : correct / attempts;
    const itemsDone = context.record.profile.itemsDone[course.id] ?? 0;
    const { streak, bestStreak } = context.record.profile;
    return {
      kind: "progress",
      text: copy.progress(course, skills, accuracy, itemsDone, streak, bestStreak),
      courseId: course.id,
      mastery: Object.fromEntries(skills.map((s) => [s.id, s.mastery])),
      skills,
      accuracy,
      itemsDone,
      streak,
      bestStreak,
    };
  }

  function logAttempt(
    context: TurnContext,
    open: OpenItem,
    kind: string,
    details: Record<string, unknown>,
  ): void {
    const { course } = context.runtime;
    context.attempts.push(
      JSON.stringify({
        at: context.now,
        course: course.id,
        item: open.itemId,
        skill: open.skillId,
        kind,
        ...details,
      }),
    );
  }

  function say(context: TurnContext, kind: "info" | "error", text: string): void {
    context.replies.push({ kind, text });
  }

  async function progress(key: LearnerKey): Promise<ProgressReply | undefined> {
    const log = deps.logger.child({ tenant: key.tenant, turnId: randomUUID() });
    try {
      const turn = await deps.store.beginTurn(key);
      if (turn === "duplicate") return undefined;
      await turn.release();
      return progressReply(openContext(key, turn.data.model, turn.data.session, log, undefined));
    } catch (error) {
      log.error({ err: error }, "could not read progress");
      return undefined;
    }
  }

  return {
    handle,
    progress,
    courses: deps.courses,
    async drain() {
      await bank?.drain();
    },
    attachPlatform: (name, platform) => classroom.attach(name, platform),
    runJob: (job) => classroom.runJob(job),
    useKnowledge,
    membersChanged: (tenant, platform, group) =>
      classroom.membersChanged(tenant, platform, group).catch((error: unknown) => {
        deps.logger.warn({ err: error }, "could not check new members for assignments");
      }),
  };
}

/** The answer in a message: "is it 3/4?" and "maybe 3/4" answer 3/4. */
function answerText(raw: string): string {
  return cleanText(raw)
    .replace(/^(is it|is the answer|it'?s|maybe)\s+/i, "")
    .replace(/\?+$/, "");
}

/** Parses stored JSON; on failure reports the error and returns undefined. */
function readStored<T>(
  json: string | undefined,
  parse: (json: string) => T,
  onError: (error: unknown) => void,
): T | undefined {
  if (json === undefined) return undefined;
  try {
    return parse(json);
  } catch (error) {
    onError(error);
    return undefined;
  }
}

function isRightAnswer(item: ItemDefinition, text: string): boolean {
  return item.type !== "free" && checkAnswer(item, answerText(text)).verdict === "correct";
}
