import {
  type Course,
  choiceLabel,
  type ItemDefinition,
  normalizeText,
  revealsAnswer,
  type SkillDefinition,
} from "../content/index.ts";
import type { ItemContext, SkillContext } from "./ports.ts";

/** The skill as the LLM sees it. */
export function skillContext(course: Course, skill: SkillDefinition): SkillContext {
  return {
    courseTitle: course.title,
    name: skill.name,
    description: skill.description ?? "",
    explanation: skill.explanation,
    misconceptions: skill.misconceptions,
  };
}

/** The item as the LLM sees it: the prompt with its choices, and the key. */
export function itemContext(item: ItemDefinition): ItemContext {
  if (item.type === "free")
    return {
      prompt: item.prompt,
      solution: item.modelAnswer,
      rubric: item.rubric,
      modelAnswer: item.modelAnswer,
    };
  const choices =
    item.type === "choice"
      ? `\n\nChoices:\n${item.choices.map((c, k) => `${choiceLabel(k)}) ${c}`).join("\n")}`
      : "";
  return { prompt: `${item.prompt}${choices}`, answer: item.answer, solution: item.solution };
}

/**
 * The answer-leak guard for LLM text while an item is open. For checkable items: the answer in
 * any equivalent form, where numbers the learner already sees (the prompt, their own answers)
 * count only when stated as a result. For free-text items: a sentence of the model answer
 * copied out.
 */
export function leaksFor(
  item: ItemDefinition | undefined,
  answers: readonly string[] = [],
): (text: string) => boolean {
  if (!item) return () => false;
  if (item.type !== "free") {
    const shown = item.type === "choice" ? [item.prompt, ...item.choices] : [item.prompt];
    const context = [...shown, ...answers].join("\n");
    return (text) => revealsAnswer(item, text, { context });
  }
  const sentences = item.modelAnswer
    .split(/(?<=[.!?])\s+/)
    .map((sentence) => normalizeText(sentence))
    .filter((sentence) => sentence.length >= 20);
  return (text) => {
    const normalized = normalizeText(text);
    return sentences.some((sentence) => normalized.includes(sentence));
  };
}
