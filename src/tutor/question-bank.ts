import { z } from "zod";
import { type Course, type ItemDefinition, itemSchema } from "../content/index.ts";
import type { Assistant } from "./assist.ts";
import { type GeneratedType, solverPrompt, verifyQuestion } from "./generation.ts";
import { itemContext, skillContext } from "./llm-context.ts";
import type { Clock, Logger, SharedStore, TutorLlm } from "./ports.ts";

/** Where a generated item came from, kept with it in the store. */
export interface Provenance {
  readonly model: string;
  readonly promptVersion: number;
  readonly createdAt: number;
  /** The independent checks it passed. */
  readonly checks: readonly string[];
}

/** A generated item as stored: the item and its provenance. */
export interface StoredQuestion {
  readonly item: ItemDefinition;
  readonly provenance: Provenance;
}

const storedQuestionSchema = z.object({
  item: itemSchema,
  provenance: z.object({
    model: z.string(),
    promptVersion: z.int().positive(),
    createdAt: z.number(),
    checks: z.array(z.string()),
  }),
});

/** Generated questions kept per skill, and the pool size below which more are written. */
const KEPT_PER_SKILL = 30;
const GENERATE_BELOW = 6;
/** How long generated questions read from the store are reused in this process. */
const REFRESH_MS = 60_000;
/** After a refused or failed generation, how long before the same skill is tried again. */
const RETRY_AFTER_MS = 10 * 60_000;

/**
 * LLM-written questions, per tenant and course. They live in the store (one bounded list per
 * course) and are read into this process at most once a minute, so a turn costs no extra round
 * trip. New ones are written in the background for skills with few items, checked by
 * {@link verifyQuestion}, and then served like authored items.
 */
export interface QuestionBank {
  /** Reads a course's questions from the store when this process's copy is stale. */
  refresh(tenant: string, course: Course, now: number, log: Logger): Promise<void>;
  questionsFor(tenant: string, course: Course, skillId: string): StoredQuestion[];
  /** Starts writing a question for the skill if its pool is thin (no templates, few items). */
  replenish(tenant: string, course: Course, skillId: string, log: Logger): void;
  /** Waits for questions being written. */
  drain(): Promise<void>;
}

export function createQuestionBank(deps: {
  readonly store: SharedStore;
  readonly llm: TutorLlm;
  readonly assistant: Assistant;
  readonly clock: Clock;
}): QuestionBank {
  const { store, llm, assistant } = deps;
  const cache = new Map<string, { readAt: number; questions: StoredQuestion[] }>();
  const writing = new Map<string, Promise<void>>();
  const retryAt = new Map<string, number>();
  const cacheKey = (tenant: string, course: Course) => `${tenant}\u0000${course.id}`;
  const listKey = (tenant: string, course: Course) => ({ tenant, name: `questions:${course.id}` });

  function questionsFor(tenant: string, course: Course, skillId: string): StoredQuestion[] {
    return (cache.get(cacheKey(tenant, course))?.questions ?? []).filter((q) =>
      course.skillsOf(q.item).includes(skillId),
    );
  }

  async function write(
    tenant: string,
    course: Course,
    skillId: string,
    type: GeneratedType,
    log: Logger,
  ): Promise<boolean> {
    const skill = course.skill(skillId);
    if (!skill) return false;
    const pool = [
      ...course.itemsFor(skillId),
      ...questionsFor(tenant, course, skillId).map((q) => q.item),
    ];
    const background = assistant.forBackground(tenant, log, 3 * assistant.timeoutMs);
    const question = await background.run({
      name: "generate-question",
      generate: (call) =>
        llm.generateQuestion(
          {
            skill: skillContext(course, skill),
            type,
            examples: pool.slice(0, 4).map((item) => JSON.stringify(itemContext(item))),
            language: course.language,
          },
          call,
        ),
      textOf: (q) => [q.prompt, ...q.choices, ...q.hints, q.solution].join("\n"),
      leaks: () => false,
    });
    if (!question) return false;
    const solverAnswer = await background.run({
      name: "solve",
      generate: (call) => llm.solve({ itemPrompt: solverPrompt(question, type) }, call),
      textOf: () => "",
      leaks: () => false,
    });
    if (solverAnswer === undefined) return false;
    const verdict = verifyQuestion({
      question,
      type,
      skillId,
      solverAnswer,
      existingPrompts: pool.map((item) => item.prompt),
    });
    if (!verdict.isAccepted) {
      log.info({ reason: verdict.reason }, "generated question refused");
      return false;
    }
    const stored: StoredQuestion = {
      item: verdict.item,
      provenance: {
        model: llm.model,
        promptVersion: llm.promptVersion("generate-question"),
        createdAt: deps.clock.now(),
        checks: verdict.checks,
      },
    };
    await store.appendToList(
      listKey(tenant, course),
      JSON.stringify(stored),
      KEPT_PER_SKILL * course.skills.length,
    );
    cache.get(cacheKey(tenant, course))?.questions.push(stored);
    log.info({ itemId: stored.item.id, checks: verdict.checks }, "generated question accepted");
    return true;
  }

  return {
    async refresh(tenant, course, now, log) {
      const cached = cache.get(cacheKey(tenant, course));
      if (cached && now - cached.readAt < REFRESH_MS) return;
      try {
        const entries = await store.readList(listKey(tenant, course));
        cache.set(cacheKey(tenant, course), {
          readAt: now,
          questions: entries.flatMap((entry) => readStoredQuestion(entry, course) ?? []),
        });
      } catch (error) {
        log.warn({ err: error }, "could not read generated questions");
      }
    },
    questionsFor,
    replenish(tenant, course, skillId, log) {
      const authored = course.itemsFor(skillId);
      if (course.templatesFor(skillId).length > 0) return;
      if (authored.length + questionsFor(tenant, course, skillId).length >= GENERATE_BELOW) return;
      const type = commonType(authored);
      const jobKey = `${cacheKey(tenant, course)}\u0000${skillId}`;
      if (!type || writing.has(jobKey) || (retryAt.get(jobKey) ?? 0) > deps.clock.now()) return;
      const jobLog = log.child({ job: "generate-question", skill: skillId });
      const job = write(tenant, course, skillId, type, jobLog)
        .catch((error: unknown) => {
          jobLog.warn({ err: error }, "question generation failed");
          return false;
        })
        .then((isAccepted) => {
          if (isAccepted) retryAt.delete(jobKey);
          else retryAt.set(jobKey, deps.clock.now() + RETRY_AFTER_MS);
        })
        .finally(() => writing.delete(jobKey));
      writing.set(jobKey, job);
    },
    async drain() {
      while (writing.size > 0) await Promise.allSettled([...writing.values()]);
    },
  };
}

/** The checkable type most of a skill's items have, for generating more like them. */
function commonType(items: readonly ItemDefinition[]): GeneratedType | undefined {
  const counts = new Map<GeneratedType, number>();
  for (const item of items)
    if (item.type === "numeric" || item.type === "choice" || item.type === "expression")
      counts.set(item.type, (counts.get(item.type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** A stored generated question, if it is still valid for the course (skills can be removed). */
function readStoredQuestion(json: string, course: Course): StoredQuestion | undefined {
  try {
    const parsed = storedQuestionSchema.safeParse(JSON.parse(json));
    if (!parsed.success) return undefined;
    const { item, provenance } = parsed.data;
    if (course.skillsOf(item).some((id) => course.skill(id) === undefined)) return undefined;
    return { item, provenance };
  } catch {
    return undefined;
  }
}
