import { createHash } from "node:crypto";
import { SocraError } from "../engine/index.ts";
import type {
  Clock,
  LearnerKey,
  LlmCallOptions,
  LlmOutput,
  Logger,
  SharedStore,
  TutorLlm,
} from "./ports.ts";

/** How the tutor may use the LLM. */
export interface AssistOptions {
  /** The longest a turn waits for LLM text in total; authored content is shown after that. */
  readonly timeoutMs?: number;
  /** Tokens a learner may use per UTC day; 0 means no limit. */
  readonly dailyTokensPerLearner?: number;
  /** Tokens a tenant (workspace, server) may use per UTC day; 0 means no limit. */
  readonly dailyTokensPerTenant?: number;
}

export const DEFAULT_ASSIST_OPTIONS = {
  timeoutMs: 12_000,
  dailyTokensPerLearner: 40_000,
  dailyTokensPerTenant: 2_000_000,
} as const satisfies Required<AssistOptions>;

/** LLM text on its way to the learner, for adapters that can show it as it grows. */
export interface StreamEvent {
  /** The same id marks the final reply, which replaces the streamed text. */
  readonly streamId: string;
  readonly kind: "explanation" | "hint" | "info";
  /** Everything approved so far (whole sentences that passed the answer-leak guard). */
  readonly text: string;
}

/** One use of the LLM, with what the guards need to check its output. */
export interface LlmJob<T> {
  /** For logs: "hint", "explain", … */
  readonly name: string;
  readonly generate: (call: LlmCallOptions) => Promise<LlmOutput<T>>;
  /** The text a learner would see from the value (checked by the guards). */
  readonly textOf: (value: T) => string;
  /** Whether the text gives away what it must not (the open item's answer). */
  readonly leaks: (text: string) => boolean;
  /** Learner text the job sends to the model: moderated first (once per turn). */
  readonly learnerText?: readonly string[];
  /** Stream approved sentences to the adapter under this id and kind, decorated as the final reply will be. */
  readonly stream?: {
    readonly streamId: string;
    readonly kind: StreamEvent["kind"];
    readonly format: (text: string) => string;
  };
}

/** The LLM for one turn: every call shares the turn's deadline and passes the guards. */
export interface TurnAssistant {
  /** A value whose text passed the leak guard and moderation, or undefined (use authored content). */
  run<T>(job: LlmJob<T>): Promise<T | undefined>;
  /** Whether learner text may be sent to the model (moderation); true when moderation is off. */
  isAcceptableInput(text: string): Promise<boolean>;
  /** Whether the daily token budget (learner's or tenant's) stopped this turn's LLM use. */
  readonly isBudgetSpent: boolean;
}

export interface Assistant {
  /** A turn's LLM time. */
  readonly timeoutMs: number;
  forTurn(turn: {
    readonly key: LearnerKey;
    readonly log: Logger;
    /** Aborts when the learner moves on. */
    readonly signal: AbortSignal;
    readonly onStream?: (event: StreamEvent) => void;
  }): TurnAssistant;
  /** Background work (question generation): its own deadline, the tenant's budget only. */
  forBackground(tenant: string, log: Logger, timeoutMs: number): TurnAssistant;
  /** Deletes the learner's token counters (forget-me): today's and yesterday's, all that live. */
  forget(key: LearnerKey): Promise<void>;
}

const DAY_MS = 86_400_000;
const SENTENCE_END = /[.!?:;)](?=\s)|\n/g;

/** The key of a learner's daily counter: a hash, so the learner's id is not spelled out in it. */
const learnerTag = (key: LearnerKey): string =>
  createHash("sha256").update(`${key.tenant}\u0000${key.learner}`).digest("base64url").slice(0, 16);

/**
 * Wraps the LLM in the tutor's guards: daily token budgets (counters in the store), the turn's
 * deadline, the answer-leak guard (a leaking text is generated once more, then dropped), output
 * moderation, and streaming of sentences that already passed the guard.
 */
export function createAssistant(deps: {
  readonly llm: TutorLlm;
  readonly store: SharedStore;
  readonly clock: Clock;
  readonly options?: AssistOptions;
}): Assistant {
  const settings = { ...DEFAULT_ASSIST_OPTIONS, ...deps.options };
  const { llm, store, clock } = deps;

  function createTurnAssistant(turn: {
    readonly tenant: string;
    readonly learner?: LearnerKey;
    readonly log: Logger;
    readonly signal: AbortSignal;
    readonly timeoutMs: number;
    readonly onStream?: (event: StreamEvent) => void;
  }): TurnAssistant {
    const deadlineAt = clock.now() + turn.timeoutMs;
    const turnSignal = AbortSignal.any([turn.signal, AbortSignal.timeout(turn.timeoutMs)]);
    const day = new Date(clock.now()).toISOString().slice(0, 10);
    const counters = [
      { key: { tenant: turn.tenant, name: `tokens:${day}` }, limit: settings.dailyTokensPerTenant },
      ...(turn.learner
        ? [
            {
              key: { tenant: turn.tenant, name: `tokens:${day}:${learnerTag(turn.learner)}` },
              limit: settings.dailyTokensPerLearner,
            },
          ]
        : []),
    ].filter((counter) => counter.limit > 0);
    let isBudgetChecked = false;
    let isBudgetSpent = false;
    /** Moderation verdicts on learner text, so a text is checked once per turn. */
    const verdicts = new Map<string, Promise<boolean>>();

    async function hasBudget(): Promise<boolean> {
      if (!isBudgetChecked) {
        isBudgetChecked = true;
        const used = await Promise.all(counters.map((c) => store.readCounter(c.key)));
        isBudgetSpent = counters.some((c, k) => (used[k] ?? 0) >= c.limit);
        if (isBudgetSpent) turn.log.info({ guard: "budget" }, "daily LLM token budget spent");
      }
      return !isBudgetSpent;
    }

    /** Counts tokens against the budgets; a store failure must not cost the learner the text. */
    async function charge(tokens: number): Promise<void> {
      try {
        await Promise.all(counters.map((c) => store.addToCounter(c.key, tokens, 2 * DAY_MS)));
      } catch (error) {
        turn.log.warn({ err: error }, "could not count LLM tokens");
      }
    }

    const callOptions = (signal: AbortSignal, onText?: (text: string) => void): LlmCallOptions => ({
      signal,
      deadlineAt,
      ...(onText ? { onText } : {}),
    });

    async function isFlagged(texts: readonly string[]): Promise<boolean> {
      const present = texts.filter((text) => text.trim() !== "");
      if (!llm.moderate || present.length === 0) return false;
      return llm.moderate(present, callOptions(turnSignal));
    }

    /** Learner text may go to the model unless moderation flags it; failures let it through. */
    function isAcceptableInput(text: string): Promise<boolean> {
      let verdict = verdicts.get(text);
      if (!verdict) {
        verdict = isFlagged([text]).then(
          (isBad) => {
            if (isBad)
              turn.log.warn({ guard: "moderation", direction: "input" }, "learner text flagged");
            return !isBad;
          },
          (error: unknown) => {
            // Without a verdict the text may still go to the model: its output is checked too.
            turn.log.warn({ err: error }, "moderation of learner text failed");
            return true;
          },
        );
        verdicts.set(text, verdict);
      }
      return verdict;
    }

    async function attempt<T>(job: LlmJob<T>): Promise<{ value: T } | "leak"> {
      const local = new AbortController();
      const signal = AbortSignal.any([turnSignal, local.signal]);
      let shown = "";
      let hasLeaked = false;
      // With moderation on, nothing is shown before the whole text has been moderated.
      const onText =
        job.stream && !llm.moderate
          ? (text: string) => {
              let end = -1;
              for (const match of text.matchAll(SENTENCE_END)) end = match.index + match[0].length;
              const approved = text.slice(0, end).trim();
              if (approved.length <= shown.length) return;
              if (job.leaks(approved)) {
                hasLeaked = true;
                local.abort(new SocraError("answer_leak", "The text gives the answer away"));
                return;
              }
              shown = approved;
              const stream = job.stream as NonNullable<LlmJob<T>["stream"]>;
              turn.onStream?.({
                streamId: stream.streamId,
                kind: stream.kind,
                text: stream.format(approved),
              });
            }
          : undefined;
      try {
        const output = await job.generate(callOptions(signal, onText));
        await charge(output.tokens);
        if (job.leaks(job.textOf(output.value))) return "leak";
        return { value: output.value };
      } catch (error) {
        if (hasLeaked && !turnSignal.aborted) return "leak";
        throw error;
      }
    }

    return {
      get isBudgetSpent() {
        return isBudgetSpent;
      },
      isAcceptableInput,
      async run<T>(job: LlmJob<T>): Promise<T | undefined> {
        try {
          if (!(await hasBudget())) return undefined;
          for (const text of job.learnerText ?? [])
            if (!(await isAcceptableInput(text))) return undefined;
          for (let round = 1; round <= 2; round++) {
            const result = await attempt(job);
            if (result === "leak") {
              turn.log.warn(
                { guard: "answer-leak", job: job.name, round },
                "LLM text gave the answer away",
              );
              continue;
            }
            if (await isFlagged([job.textOf(result.value)])) {
              turn.log.warn(
                { guard: "moderation", direction: "output", job: job.name },
                "LLM text flagged",
              );
              return undefined;
            }
            return result.value;
          }
          return undefined;
        } catch (error) {
          const code = error instanceof SocraError ? error.code : "unknown";
          turn.log.warn(
            { err: error, job: job.name, code },
            "LLM call failed; using authored content",
          );
          return undefined;
        }
      },
    };
  }

  return {
    timeoutMs: settings.timeoutMs,
    forTurn: ({ key, log, signal, onStream }) =>
      createTurnAssistant({
        tenant: key.tenant,
        learner: key,
        log,
        signal,
        timeoutMs: settings.timeoutMs,
        ...(onStream ? { onStream } : {}),
      }),
    async forget(key) {
      for (const daysAgo of [0, 1]) {
        const day = new Date(clock.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
        await store.deleteShared({ tenant: key.tenant, name: `tokens:${day}:${learnerTag(key)}` });
      }
    },
    forBackground: (tenant, log, timeoutMs) =>
      createTurnAssistant({ tenant, log, signal: new AbortController().signal, timeoutMs }),
  };
}
