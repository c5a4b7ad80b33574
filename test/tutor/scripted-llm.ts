import type { LlmCallOptions, LlmOutput, TutorLlm } from "../../src/tutor/index.ts";

type Method = Exclude<keyof TutorLlm, "model" | "promptVersion">;
type Handler<M extends Method> = (
  input: Parameters<NonNullable<TutorLlm[M]>>[0],
  call: LlmCallOptions,
) => Promise<unknown> | unknown;

/** Every call the tutor made, with its input (to check what reaches the model). */
export interface ScriptedLlm extends TutorLlm {
  readonly calls: { method: Method; input: unknown }[];
}

const DEFAULTS: { [M in Method]?: Handler<M> } = {
  explain: () => "Half means two equal parts. For example, half of 6 is 3.",
  hint: () => "What do you get when you share it fairly between two?",
  diagnose: () => ({
    misconceptionId: null,
    newMisconception: null,
    feedback: "Check how you split it into two equal parts.",
  }),
  grade: () => ({
    verdict: "correct",
    feedback: "You explained the equal groups.",
    misconceptionId: null,
  }),
  answerQuestion: () => ({
    onTopic: true,
    reply: "Sharing fairly means equal parts. How many does each of two friends get from 6?",
  }),
  classifyIntent: () => "answer",
  solve: () => "0",
};

/**
 * A TutorLlm whose answers a test scripts per method; each call costs 100 tokens. Handlers get
 * the call options, so they can stream (`call.onText`) or wait for the signal.
 */
export function scriptedLlm(handlers: { [M in Method]?: Handler<M> } = {}): ScriptedLlm {
  const calls: { method: Method; input: unknown }[] = [];
  const method =
    <M extends Method>(name: M) =>
    async (input: unknown, call: LlmCallOptions): Promise<LlmOutput<unknown>> => {
      calls.push({ method: name, input });
      const handler = (handlers[name] ?? DEFAULTS[name]) as Handler<M> | undefined;
      if (!handler) throw new Error(`no script for ${name}`);
      const value = await handler(input as never, call);
      return { value, tokens: 100 };
    };
  return {
    calls,
    model: "scripted",
    promptVersion: () => 1,
    explain: method("explain"),
    hint: method("hint"),
    diagnose: method("diagnose"),
    grade: method("grade"),
    answerQuestion: method("answerQuestion"),
    classifyIntent: method("classifyIntent"),
    generateQuestion: method("generateQuestion"),
    solve: method("solve"),
    ...(handlers.moderate
      ? {
          moderate: async (texts: readonly string[], call: LlmCallOptions) =>
            (await method("moderate")(texts, call)).value as boolean,
        }
      : {}),
  } as ScriptedLlm;
}
