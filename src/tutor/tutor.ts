import { randomUUID } from "node:crypto";
import {
  type CheckableItem,
  type Course,
  checkAnswer,
  choiceLabel,
  type ItemDefinition,
  matchesAnswer,
  numberForms,
  parseInstanceId,
  type TemplateDefinition,
} from "../content/index.ts";
import {
  type CompetencyGraph,
  chooseItem,
  chooseNextTarget,
  createCompetencyGraph,
  createKnowledgeModel,
  createRng,
  hashSeed,
  type ItemCandidate,
  type KnowledgeModel,
  type PracticeItem,
  predictCorrect,
  recordResponse,
  SocraError,
  skillProgress,
} from "../engine/index.ts";
import * as copy from "./copy.ts";
import { type CommandName, cleanText, type Intent, parseIntent } from "./intents.ts";
import type { Inbound, ProgressReply, QuestionReply, Reply, SkillView } from "./messages.ts";
import type { Clock, LearnerKey, Logger, TutorStore } from "./ports.ts";
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

export interface TutorDeps {
  readonly store: TutorStore;
  readonly courses: readonly Course[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** The course a new learner starts with (the first course otherwise). */
  readonly defaultCourseId?: string;
}

export interface Tutor {
  /** One turn: load the learner, interpret the message, act, save, reply. Never throws. */
  handle(inbound: Inbound): Promise<Reply[]>;
  readonly courses: readonly Course[];
}

/** First attempts without mastery after which a skill counts as stuck. */
const STUCK_AFTER = 15;
/** Items a /practice of an already mastered skill gives before the engine takes over again. */
const PRACTICE_ROUND = 3;
/** Longest learner answer kept in the attempt log. */
const LOGGED_ANSWER_LENGTH = 200;

/** A course with the engine's view of it: skill ids prefixed by the course id. */
interface CourseRuntime {
  readonly course: Course;
  readonly graph: CompetencyGraph;
  readonly model: KnowledgeModel;
}

const engineId = (course: Course, id: string): string => `${course.id}/${id}`;

function compileRuntime(course: Course): CourseRuntime {
  const prefix = (id: string) => engineId(course, id);
  const prefixed = <T>(record: Readonly<Record<string, T>> | undefined) =>
    Object.fromEntries(Object.entries(record ?? {}).map(([id, value]) => [prefix(id), value]));
  return {
    course,
    graph: createCompetencyGraph(
      course.skills.map((skill) => ({
        id: prefix(skill.id),
        prerequisites: skill.prerequisites.map(prefix),
      })),
    ),
    model: createKnowledgeModel({
      bkt: prefixed(course.knowledge.bkt),
      thresholds: prefixed(course.knowledge.thresholds),
      ...(course.knowledge.threshold === undefined
        ? {}
        : { threshold: course.knowledge.threshold }),
    }),
  };
}

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
  const runtimes = new Map(deps.courses.map((course) => [course.id, compileRuntime(course)]));
  const defaultRuntime =
    runtimes.get(deps.defaultCourseId ?? "") ?? (runtimes.values().next().value as CourseRuntime);

  async function handle(inbound: Inbound): Promise<Reply[]> {
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
    try {
      const context = openContext(key, turn.data.model, turn.data.session, log);
      await dispatch(context, inbound);
      context.record.profile.lastActiveAt = context.now;
      context.record.profile.courseId = context.session.courseId;
      context.session.turn += 1;
      await turn.commit({
        model: serializeLearnerRecord(context.record),
        session: serializeSession(context.session),
        attempts: context.attempts,
      });
      log.debug({ replies: context.replies.map((r) => r.kind) }, "turn done");
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

  function openContext(
    key: LearnerKey,
    model: string | undefined,
    session: string | undefined,
    log: Logger,
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
      defaultRuntime;
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
    };
  }

  async function dispatch(context: TurnContext, inbound: Inbound): Promise<void> {
    if (inbound.action) {
      const { id, itemId, value } = inbound.action;
      const open = context.session.current;
      if (itemId !== undefined && open?.itemId !== itemId) {
        say(context, "info", copy.STALE_BUTTON);
        ensureQuestion(context);
        return;
      }
      if (id === "answer") return answer(context, value ?? "");
      if (id === "next") return ensureQuestion(context);
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
      case "question":
        if (context.session.current && isReadableAnswer(context, intent.text))
          return answer(context, intent.text);
        say(context, "info", copy.OPEN_QUESTION);
        return;
      case "text":
        if (context.session.current) return answer(context, intent.text);
        if (context.isNewLearner) return greet(context);
        say(context, "info", copy.NUDGE);
        return;
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
    }
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
        options: { stuckAfterAttempts: STUCK_AFTER },
      });
      if (target.kind === "done") return undefined;
      skillId = target.skillId.slice(course.id.length + 1);
      reason = target.reason;
      if (target.isStuck)
        say(context, "info", copy.stuckNote(course.skill(skillId)?.name ?? skillId));
    }
    const item = pickItem(context, skillId);
    if (!item)
      throw new SocraError("no_items", `Skill ${skillId} of course ${course.id} has no items`);
    context.session.current = {
      itemId: item.id,
      skillId,
      reason,
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
    for (const template of course.templatesFor(skillId))
      offer(template, () => course.drawInstance(template, createRng(seed)));
    if (options.size === 0) return undefined;
    return options.get(chooseItem([...options.keys()], state.recentItems, seed))?.();
  }

  function showQuestion(context: TurnContext, open: OpenItem): void {
    const { course } = context.runtime;
    const item = course.findItem(open.itemId);
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
    const item = context.runtime.course.findItem(open.itemId);
    if (!item) {
      context.session.current = undefined;
      return undefined;
    }
    return { open, item };
  }

  function isReadableAnswer(context: TurnContext, text: string): boolean {
    const current = openItem(context);
    if (!current || current.item.type === "free") return false;
    return checkAnswer(current.item, answerText(text)).verdict !== "unreadable";
  }

  async function answer(context: TurnContext, raw: string): Promise<void> {
    const current = openItem(context);
    if (!current) {
      say(context, "info", copy.NO_QUESTION);
      nextQuestion(context);
      return;
    }
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
    open.attempts += 1;
    const isFirst = open.attempts === 1;
    const changes = isFirst
      ? recordFirstAttempt(context, item, isCorrect, open.hintBeforeAttempt)
      : { gainedIds: [], gained: [], lost: [] };
    const feedback = isCorrect
      ? undefined
      : item.feedback.find((f) => matchesAnswer(item as CheckableItem, f.answer, text));
    logAttempt(context, open, "answer", {
      answer: text.slice(0, LOGGED_ANSWER_LENGTH),
      verdict: result.verdict,
      attempt: open.attempts,
      hints: open.hintsShown,
      ...(feedback?.misconception === undefined ? {} : { misconception: feedback.misconception }),
    });
    const parts: string[] = [];
    if (isCorrect) {
      parts.push(
        copy.praise(
          hashSeed(`${open.itemId}/${context.session.turn}`),
          isFirst,
          open.hintBeforeAttempt || open.hintsShown > 0,
        ),
      );
    } else {
      parts.push(result.isUnsimplified ? copy.UNSIMPLIFIED : (feedback?.message ?? copy.NOT_QUITE));
    }
    if (changes.gained.length > 0) parts.push(copy.mastered(changes.gained));
    if (changes.lost.length > 0) parts.push(copy.masteryLost(changes.lost));
    const isLastAttempt = !isCorrect && open.attempts >= context.runtime.course.attempts;
    if (!isCorrect && !isLastAttempt)
      parts.push(copy.tryAgain(open.hintsShown < item.hints.length));
    if (isLastAttempt) parts.push(copy.workedSolution(item.solution));
    context.replies.push({
      kind: "feedback",
      text: parts.join("\n\n"),
      itemId: item.id,
      correct: isCorrect,
      ...(feedback?.misconception === undefined ? {} : { misconceptionId: feedback.misconception }),
      ...(changes.gained.length > 0 ? { mastered: changes.gainedIds } : {}),
    });
    if (isCorrect || isLastAttempt) {
      finishItem(context, open);
      nextQuestion(context);
    }
  }

  /** Free-text items without an LLM: show the model answer, then take the learner's self-rating. */
  function freeAnswer(
    context: TurnContext,
    open: OpenItem,
    item: Extract<ItemDefinition, { type: "free" }>,
    text: string,
  ): void {
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
    });
    finishItem(context, open);
    nextQuestion(context);
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

  function hint(context: TurnContext): void {
    const current = openItem(context);
    if (!current) {
      say(context, "info", copy.NO_QUESTION);
      nextQuestion(context);
      return;
    }
    const { open, item } = current;
    const rungs = item.hints;
    if (rungs.length === 0) {
      say(context, "info", copy.NO_HINTS);
      return;
    }
    if (open.hintsShown >= rungs.length) {
      say(context, "info", copy.NO_MORE_HINTS);
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

  function explain(context: TurnContext): void {
    const { course } = context.runtime;
    const open = context.session.current ?? pickQuestion(context);
    const skill = open ? course.skill(open.skillId) : undefined;
    if (!open || !skill) {
      say(context, "info", copy.allMastered(course, nextReviewAt(context)));
      return;
    }
    context.replies.push({
      kind: "explanation",
      text: copy.explanation(skill.name, skill.explanation),
      skillId: skill.id,
    });
    if (!context.replies.some((r) => r.kind === "question")) showQuestion(context, open);
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
        isStuck: !progress.isMastered && (stats?.attempts ?? 0) >= STUCK_AFTER,
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

  return { handle, courses: deps.courses };
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

/** The engine's view of an item: a template's instances share the template's id and statistics. */
function enginePracticeItem(
  course: Course,
  item: ItemDefinition | TemplateDefinition,
): PracticeItem {
  const templateId = parseInstanceId(item.id)?.templateId;
  return {
    id: engineId(course, templateId ?? item.id),
    skillIds: course.skillsOf(item).map((id) => engineId(course, id)),
    ...(item.difficulty === undefined ? {} : { difficulty: item.difficulty }),
  };
}
