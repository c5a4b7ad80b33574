import type { BaseMessage } from "@langchain/core/messages";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { ChatOpenAICompletions } from "@langchain/openai";
import OpenAI from "openai";
import { z } from "zod";
import type { LlmConfig } from "../config.ts";
import type {
  Clock,
  Diagnosis,
  GeneratedQuestion,
  Grade,
  ItemContext,
  LlmCallOptions,
  LlmIntent,
  LlmOutput,
  SkillContext,
  TopicReply,
  TutorLlm,
} from "../tutor/index.ts";
import { LlmError } from "./errors.ts";
import { loadPrompts, type PromptBook, type PromptName, type RenderedPrompt } from "./prompts.ts";
import {
  type CircuitBreaker,
  createCircuitBreaker,
  type ReliabilityOptions,
  toLlmError,
  withRetries,
} from "./reliability.ts";

const diagnosisSchema = z.strictObject({
  misconceptionId: z.string().nullable(),
  newMisconception: z.string().nullable(),
  feedback: z.string().trim().min(1).max(1200),
});
const gradeSchema = z.strictObject({
  verdict: z.enum(["correct", "partial", "incorrect"]),
  feedback: z.string().trim().min(1).max(1200),
  misconceptionId: z.string().nullable(),
});
const topicReplySchema = z.strictObject({
  onTopic: z.boolean(),
  reply: z.string().trim().min(1).max(2000),
});
const intentSchema = z.strictObject({
  intent: z.enum(["answer", "hint", "question", "greeting", "frustration", "off-topic"]),
});
const questionSchema = z.strictObject({
  prompt: z.string().trim().min(1).max(2000),
  answer: z.string().trim().min(1).max(300),
  choices: z.array(z.string().trim().min(1).max(300)).max(8),
  computation: z.string().max(300),
  hints: z.array(z.string().trim().min(1).max(600)).max(5),
  solution: z.string().trim().min(1).max(2000),
});
const solutionSchema = z.strictObject({ answer: z.string().trim().min(1).max(300) });

/** Longest text kept from a free-form generation, whatever the model wrote. */
const MAX_TEXT_CHARS = 2400;

export interface OpenAiLlmOptions {
  readonly config: LlmConfig;
  readonly clock: Clock;
  readonly promptsDir?: string;
  readonly reliability?: ReliabilityOptions;
}

/** The LLM behind the tutor, plus what an operator may want to watch. */
export interface OpenAiLlm extends TutorLlm {
  readonly circuit: CircuitBreaker["state"];
}

/**
 * The tutor's LLM through LangChain's Chat Completions model, which every OpenAI-compatible
 * server speaks (OpenAI, Azure OpenAI's v1 API, Ollama, vLLM, llama.cpp). Retries and the
 * circuit breaker are ours (LangChain's are off) so that Retry-After and the turn's deadline are
 * honoured; moderation uses the openai SDK.
 */
export function createOpenAiLlm(options: OpenAiLlmOptions): OpenAiLlm {
  const { config, clock } = options;
  const prompts: PromptBook = loadPrompts(options.promptsDir);
  const breaker = createCircuitBreaker(clock, options.reliability);
  const models = new Map<number, ChatOpenAICompletions>();
  const modelFor = (maxTokens: number): ChatOpenAICompletions => {
    let model = models.get(maxTokens);
    if (!model) {
      model = new ChatOpenAICompletions({
        model: config.model,
        // Local servers need no key, but the client insists on one.
        apiKey: config.apiKey ?? "not-needed",
        maxRetries: 0,
        maxTokens,
        streamUsage: true,
        // The SDK would print malformed streams to the console (stdout is the console tutor's).
        configuration: {
          logLevel: "off",
          ...(config.baseUrl === undefined ? {} : { baseURL: config.baseUrl }),
        },
      });
      models.set(maxTokens, model);
    }
    return model;
  };
  const moderationClient = config.moderation
    ? new OpenAI({
        apiKey: config.apiKey ?? "not-needed",
        maxRetries: 0,
        logLevel: "off",
        ...(config.baseUrl === undefined ? {} : { baseURL: config.baseUrl }),
      })
    : undefined;

  const messagesOf = (prompt: RenderedPrompt): BaseMessage[] => [
    new SystemMessage(prompt.system),
    new HumanMessage(prompt.user),
  ];
  const modelForPrompt = (prompt: RenderedPrompt) =>
    modelFor(Math.min(prompt.maxOutputTokens, config.maxOutputTokens));
  const estimateTokens = (prompt: RenderedPrompt, output: string): number =>
    Math.ceil((prompt.system.length + prompt.user.length + output.length) / 4);

  /** Free text, streamed when the caller listens. */
  async function generateText(
    prompt: RenderedPrompt,
    call: LlmCallOptions,
  ): Promise<LlmOutput<string>> {
    let text = "";
    return withRetries(
      async () => {
        text = "";
        let tokens: number | undefined;
        const model = modelForPrompt(prompt);
        if (call.onText) {
          const stream = await model.stream(messagesOf(prompt), { signal: call.signal });
          for await (const chunk of stream) {
            if (typeof chunk.content === "string" && chunk.content.length > 0) {
              text = (text + chunk.content).slice(0, MAX_TEXT_CHARS);
              call.onText(text);
            }
            tokens = totalTokens(chunk) ?? tokens;
          }
        } else {
          const message = await model.invoke(messagesOf(prompt), { signal: call.signal });
          text = (typeof message.content === "string" ? message.content : "").slice(
            0,
            MAX_TEXT_CHARS,
          );
          tokens = totalTokens(message);
        }
        text = text.trim();
        if (text.length === 0) throw new LlmError("bad_output", "The LLM wrote nothing");
        return { value: text, tokens: tokens ?? estimateTokens(prompt, text) };
      },
      {
        signal: call.signal,
        deadlineAt: call.deadlineAt,
        clock,
        breaker,
        hasOutput: () => text.length > 0,
        ...(options.reliability ? { options: options.reliability } : {}),
      },
    );
  }

  /** Structured output, validated by zod (the provider's parse is not trusted). */
  async function generateObject<T>(
    prompt: RenderedPrompt,
    schema: z.ZodType<T>,
    call: LlmCallOptions,
  ): Promise<LlmOutput<T>> {
    return withRetries(
      async () => {
        const jsonSchema = z.toJSONSchema(schema, { io: "output" }) as Record<string, unknown>;
        const method =
          config.structuredOutput === "json_mode"
            ? "jsonMode"
            : config.structuredOutput === "function_calling"
              ? "functionCalling"
              : "jsonSchema";
        const runnable = modelForPrompt(prompt).withStructuredOutput(jsonSchema, {
          name: prompt.name.replace(/-/g, "_"),
          method,
          includeRaw: true,
          ...(method === "jsonMode" ? {} : { strict: true }),
        });
        const { raw, parsed } = await runnable.invoke(messagesOf(prompt), { signal: call.signal });
        const checked = schema.safeParse(parsed);
        if (!checked.success)
          throw new LlmError(
            "bad_output",
            `The LLM's ${prompt.name} output does not fit its schema: ${z.prettifyError(checked.error)}`,
          );
        const rawText = typeof raw.content === "string" ? raw.content : JSON.stringify(parsed);
        return {
          value: checked.data,
          tokens: totalTokens(raw) ?? estimateTokens(prompt, rawText),
        };
      },
      {
        signal: call.signal,
        deadlineAt: call.deadlineAt,
        clock,
        breaker,
        ...(options.reliability ? { options: options.reliability } : {}),
      },
    );
  }

  const render = prompts.render;
  const misconceptionList = (skill: SkillContext) =>
    skill.misconceptions.length === 0
      ? "(none known)"
      : skill.misconceptions.map((m) => `- ${m.id}: ${m.description}`).join("\n");
  const itemText = (item: ItemContext | undefined) => item?.prompt ?? "(none)";

  return {
    model: config.model,
    promptVersion: (name) => prompts.version(name as PromptName),
    get circuit() {
      return breaker.state;
    },
    explain({ skill, learner }, call) {
      return generateText(
        render("explain", {
          language: learner.language,
          courseTitle: skill.courseTitle,
          skillName: skill.name,
          skillDescription: skill.description || skill.name,
          authoredExplanation: skill.explanation,
          level: learner.level,
          recentMistakes:
            learner.recentMistakes.length === 0 ? "(none)" : learner.recentMistakes.join("; "),
          interests: learner.interests ?? "",
        }),
        call,
      );
    },
    hint({ skill, item, hintsGiven, attempts, language }, call) {
      return generateText(
        render("hint", {
          language,
          skillName: skill.name,
          itemPrompt: item.prompt,
          solution: item.solution,
          hintsGiven:
            hintsGiven.length === 0 ? "(none)" : hintsGiven.map((h) => `- ${h}`).join("\n"),
          attempts: attempts.length === 0 ? "(no attempts yet)" : attempts.join("\n"),
        }),
        call,
      );
    },
    diagnose({ skill, item, learnerAnswer, language }, call): Promise<LlmOutput<Diagnosis>> {
      return generateObject(
        render("diagnose", {
          language,
          skillName: skill.name,
          itemPrompt: item.prompt,
          correctAnswer: item.answer ?? item.solution,
          misconceptions: misconceptionList(skill),
          learnerAnswer,
        }),
        diagnosisSchema,
        call,
      );
    },
    grade({ skill, item, learnerAnswer, language }, call): Promise<LlmOutput<Grade>> {
      return generateObject(
        render("grade", {
          language,
          skillName: skill.name,
          itemPrompt: item.prompt,
          rubric: item.rubric ?? item.solution,
          modelAnswer: item.modelAnswer ?? item.solution,
          misconceptions: misconceptionList(skill),
          learnerAnswer,
        }),
        gradeSchema,
        call,
      );
    },
    answerQuestion({ skill, item, question, language }, call): Promise<LlmOutput<TopicReply>> {
      return generateObject(
        render("answer-question", {
          language,
          courseTitle: skill.courseTitle,
          skillName: skill.name,
          skillExplanation: skill.explanation,
          itemPrompt: itemText(item),
          question,
        }),
        topicReplySchema,
        call,
      );
    },
    async classifyIntent({ item, message }, call): Promise<LlmOutput<LlmIntent>> {
      const output = await generateObject(
        render("intent", { itemPrompt: itemText(item), message }),
        intentSchema,
        call,
      );
      return { value: output.value.intent, tokens: output.tokens };
    },
    generateQuestion(
      { skill, type, examples, language },
      call,
    ): Promise<LlmOutput<GeneratedQuestion>> {
      return generateObject(
        render("generate-question", {
          language,
          courseTitle: skill.courseTitle,
          skillName: skill.name,
          skillDescription: skill.description || skill.name,
          itemType: type,
          examples: examples.join("\n"),
        }),
        questionSchema,
        call,
      );
    },
    async solve({ itemPrompt }, call): Promise<LlmOutput<string>> {
      const output = await generateObject(render("solve", { itemPrompt }), solutionSchema, call);
      return { value: output.value.answer, tokens: output.tokens };
    },
    ...(moderationClient
      ? {
          async moderate(texts: readonly string[], call: LlmCallOptions): Promise<boolean> {
            try {
              const result = await moderationClient.moderations.create(
                { model: "omni-moderation-latest", input: [...texts] },
                { signal: call.signal, timeout: Math.max(1, call.deadlineAt - clock.now()) },
              );
              return result.results.some((r) => r.flagged);
            } catch (error) {
              throw toLlmError(error, call.signal);
            }
          },
        }
      : {}),
  };
}

/** Total tokens a LangChain message reports, if it does. */
function totalTokens(message: unknown): number | undefined {
  const usage = (message as { usage_metadata?: { total_tokens?: unknown } }).usage_metadata;
  return typeof usage?.total_tokens === "number" ? usage.total_tokens : undefined;
}
