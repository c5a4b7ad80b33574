import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { LlmCallOptions, LlmOutput, Tutor, TutorLlm } from "./tutor/index.ts";

/** Socra's Prometheus metrics, on one registry (served at /metrics by `socra serve`). */
export interface Metrics {
  readonly registry: Registry;
  /** A platform API call failed (after its client's own retries). */
  platformError(platform: string, method: string): void;
}

interface Instruments extends Metrics {
  readonly turns: Counter<"platform" | "outcome">;
  readonly turnSeconds: Histogram<"platform">;
  readonly llmCalls: Counter<"job" | "outcome">;
  readonly llmTokens: Counter<"job">;
}

export function createMetrics(): Instruments {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "socra_process_" });
  const platformErrors = new Counter({
    name: "socra_platform_errors_total",
    help: "Platform API calls that failed, by platform and method",
    labelNames: ["platform", "method"] as const,
    registers: [registry],
  });
  return {
    registry,
    platformError: (platform, method) => platformErrors.inc({ platform, method }),
    turns: new Counter({
      name: "socra_turns_total",
      help: "Learner turns handled, by platform and outcome (ok, error, duplicate)",
      labelNames: ["platform", "outcome"] as const,
      registers: [registry],
    }),
    turnSeconds: new Histogram({
      name: "socra_turn_duration_seconds",
      help: "Time to handle one learner turn, LLM calls included",
      labelNames: ["platform"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers: [registry],
    }),
    llmCalls: new Counter({
      name: "socra_llm_calls_total",
      help: "LLM calls by job and outcome (ok, or the failure code)",
      labelNames: ["job", "outcome"] as const,
      registers: [registry],
    }),
    llmTokens: new Counter({
      name: "socra_llm_tokens_total",
      help: "LLM tokens (prompt and completion) by job",
      labelNames: ["job"] as const,
      registers: [registry],
    }),
  };
}

/** The tutor, counting and timing its turns. */
export function instrumentTutor(tutor: Tutor, metrics: Instruments): Tutor {
  return {
    ...tutor,
    async handle(inbound, options) {
      const end = metrics.turnSeconds.startTimer({ platform: inbound.platform });
      const replies = await tutor.handle(inbound, options);
      end();
      const outcome =
        replies.length === 0
          ? "duplicate"
          : replies.some((r) => r.kind === "error")
            ? "error"
            : "ok";
      metrics.turns.inc({ platform: inbound.platform, outcome });
      return replies;
    },
  };
}

const LLM_JOBS = [
  "explain",
  "hint",
  "diagnose",
  "grade",
  "answerQuestion",
  "classifyIntent",
  "generateQuestion",
  "solve",
] as const;

/** The LLM, counting calls, failures and tokens per job. */
export function instrumentLlm(llm: TutorLlm, metrics: Instruments): TutorLlm {
  const wrap =
    <I>(job: string, call: (input: I, options: LlmCallOptions) => Promise<LlmOutput<unknown>>) =>
    async (input: I, options: LlmCallOptions) => {
      try {
        const output = await call(input, options);
        metrics.llmCalls.inc({ job, outcome: "ok" });
        metrics.llmTokens.inc({ job }, output.tokens);
        return output;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        metrics.llmCalls.inc({ job, outcome: typeof code === "string" ? code : "error" });
        throw error;
      }
    };
  const wrapped: Record<string, unknown> = { ...llm };
  for (const job of LLM_JOBS) wrapped[job] = wrap(job, llm[job].bind(llm) as never);
  return {
    ...(wrapped as unknown as TutorLlm),
    model: llm.model,
    promptVersion: (name) => llm.promptVersion(name),
  };
}
