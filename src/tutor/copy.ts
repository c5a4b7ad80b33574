import type { Course, NumberForms } from "../content/index.ts";
import type { SkillView } from "./messages.ts";

/** What Socra says. Kept apart from the turn logic so tone and wording can be reviewed in one place. */

export const SORRY = "Sorry, something went wrong on my side. Please try that again in a moment.";

export function welcome(course: Course, firstSkill: string | undefined): string {
  const start = firstSkill ? ` We'll start with **${firstSkill}**.` : "";
  return `Hi! I'm Socra, and we'll practise **${course.title}** together. I pick each question for you, so it's neither too easy nor too hard. Ask for a /hint whenever you're stuck, or /help to see what else I can do.${start}`;
}

export function welcomeBack(course: Course, mastered: number, next: string | undefined): string {
  const where = `You've mastered ${mastered} of ${course.skills.length} skills in **${course.title}**.`;
  return `Welcome back! ${where}${next ? ` Next up: **${next}**.` : ""}`;
}

export const RESUME = "Here's where we left off:";

export function help(course: Course): string {
  return [
    `I'm your practice partner for **${course.title}**. Answer a question by typing it: a number like 3/4 or 1 1/2, a letter or number for a choice, or a word.`,
    "",
    "- **/hint**: a hint for the current question (also *hint*, *help*, *I don't know*). Hints come step by step.",
    "- **/explain**: the idea behind the current skill, with an example.",
    "- **/skip**: skip this question (it counts as *not yet*).",
    "- **/progress**: how far you are, skill by skill.",
    "- **/courses**, **/course ID**: see the courses and switch.",
    "- **/practice SKILL**: practise a skill you choose.",
    "- **/language CODE**, **/interests TEXT**: the language and the topics I use in explanations (with an AI model).",
  ].join("\n");
}

const PRAISE = ["Correct!", "That's right!", "Yes, exactly.", "Well done, that's it.", "Spot on!"];

export function praise(seed: number, isFirstTry: boolean, usedHint: boolean): string {
  if (!isFirstTry) return "That's it, you got it on the second go.";
  if (usedHint) return "Correct, nicely done with the hint.";
  return PRAISE[seed % PRAISE.length] as string;
}

export const NOT_QUITE = "Not quite.";
export const UNSIMPLIFIED = "That's equal to the answer, but not in its simplest form.";

export function tryAgain(hasHints: boolean): string {
  return hasHints ? "Have another go, or ask for a /hint." : "Have another go.";
}

export function workedSolution(solution: string): string {
  return `Here's how it works:\n\n${solution}`;
}

export function mastered(names: readonly string[]): string {
  return `You've mastered **${names.join("** and **")}**! 🎉`;
}

export function masteryLost(names: readonly string[]): string {
  return `**${names.join("** and **")}** could use a refresh, so we'll practise it again soon.`;
}

export function unreadable(type: string, choiceCount: number): string {
  switch (type) {
    case "choice":
      return `Pick one of the choices: a letter (a–${"abcdefgh"[choiceCount - 1]}), a number (1–${choiceCount}), or the choice itself.`;
    case "numeric":
      return "I was expecting a number, like 3, 3/4, 1 1/2 or 0.75. What's your answer?";
    case "expression":
      return "I couldn't read that as an expression. Write it like 2x + 3 or (a + b)^2.";
    default:
      return "I couldn't read that as an answer. Try again, or ask for a /hint.";
  }
}

const FORM_EXAMPLES: Record<"fraction" | "mixed" | "decimal" | "percent", string> = {
  fraction: "a fraction like 7/4",
  mixed: "a mixed number like 1 3/4",
  decimal: "a decimal like 1.75",
  percent: "a percentage like 75%",
};

/** The answer was a number in a form the question does not take: say which forms it does. */
export function wrongForm(forms: NumberForms): string {
  const allowed = (Object.keys(FORM_EXAMPLES) as (keyof typeof FORM_EXAMPLES)[]).filter(
    (form) => forms[form],
  );
  const list = allowed.map((form) => FORM_EXAMPLES[form]).join(" or ");
  return allowed.length > 0 ? `Please write your answer as ${list}.` : unreadable("numeric", 0);
}

export function hintHeader(rung: number, of: number): string {
  return of > 1 ? `Hint ${rung} of ${of}: ` : "Hint: ";
}

export const NO_HINTS =
  "I don't have a hint for this one. Try /explain for the idea behind it, or have a go.";
export const TRY_FIRST =
  "Give it a try first. After your first answer I can show you the last step.";
export const NO_MORE_HINTS =
  "That was my last hint. Have a go, or /skip to see the worked solution.";
export const NO_QUESTION = "There's no question open right now.";

export function skipped(solution: string): string {
  return `Skipped. ${workedSolution(solution)}`;
}

export function explanation(name: string, text: string): string {
  return `**${name}**\n\n${text}`;
}

export function allMastered(course: Course, nextReviewAt: number | undefined): string {
  const review =
    nextReviewAt === undefined
      ? ""
      : ` Your next review is due on ${new Date(nextReviewAt).toISOString().slice(0, 10)}.`;
  return `You've mastered every skill in **${course.title}**. Brilliant work!${review} Try /courses for another course, or /practice a skill to keep it fresh.`;
}

export function stuckNote(name: string): string {
  return `We've spent a while on **${name}**. Have a look at /explain, and it's a good moment to ask your teacher too.`;
}

export function courseList(courses: readonly Course[], currentId: string): string {
  const lines = courses.map(
    (c) =>
      `- **${c.id}**: ${c.title}. ${c.description.split("\n")[0]}${c.id === currentId ? " *(current)*" : ""}`,
  );
  return `Courses:\n\n${lines.join("\n")}\n\nSwitch with /course ID.`;
}

export function unknownCourse(id: string, courses: readonly Course[]): string {
  return `I don't know a course "${id}". Courses: ${courses.map((c) => c.id).join(", ")}.`;
}

export function switchedCourse(course: Course): string {
  return `Switched to **${course.title}**.`;
}

export function unknownSkill(query: string, course: Course): string {
  return `I can't find a skill "${query}" in ${course.title}. Skills: ${course.skills.map((s) => `${s.id} (${s.name})`).join(", ")}.`;
}

export function practiceFocus(name: string): string {
  return `Let's practise **${name}**.`;
}

export function practicePrerequisite(name: string, prerequisite: string): string {
  return `**${name}** builds on **${prerequisite}**, so let's make sure of that first.`;
}

export function practiceMastered(name: string): string {
  return `You've already mastered **${name}**. Here are a few more for practice.`;
}

export const OPEN_QUESTION =
  "Good question! I can't answer open questions right now. /explain shows the idea behind this skill, and /hint gives a hint for the current question.";

export function offTopic(skillName: string | undefined): string {
  return skillName
    ? `That's outside what I can help with here. Let's keep going with **${skillName}**: ask me anything about it, or try the question.`
    : "That's outside what I can help with here. Say **start** to practise, or /help to see what I can do.";
}

export const INJECTION =
  "I can't change how I work or hand out answers, but I'm glad to help you get there yourself. Ask for a /hint, or /explain for the idea.";

export const MODERATED =
  "Let's keep our chat about learning. Ask me about the question, or ask for a /hint.";

export const BUDGET_SPENT =
  "I've used up today's AI help, so hints and explanations come from the course itself until tomorrow.";

export function frustration(hasQuestion: boolean): string {
  return hasQuestion
    ? "That's okay: getting stuck is part of learning, and you're doing the work. Want a /hint, the idea behind it with /explain, or to /skip this one?"
    : "That's okay: getting stuck is part of learning. Say **start** when you're ready, and I'll pick something that suits you.";
}

export const GREETING_MID = "Hi! Here's the question we're on:";

export function extraHintHeader(): string {
  return "Another hint: ";
}

export function languageSet(tag: string | undefined, courseLanguage: string): string {
  return tag
    ? `Okay, I'll write hints and explanations in **${tag}** where I can. Questions stay in the course's language (${courseLanguage}).`
    : `Okay, I'll use the course's language (${courseLanguage}).`;
}

export const LANGUAGE_USAGE =
  "Say /language followed by a language code, like /language fr or /language pt-BR.";

export function interestsSet(interests: string | undefined): string {
  return interests
    ? `Thanks! I'll use examples about **${interests}** in explanations when they fit.`
    : "Okay, I've forgotten your interests.";
}

export function unknownCommand(name: string): string {
  return `I don't know the command /${name}. Try /help to see what I can do.`;
}

export const NUDGE =
  "I'm not sure what you mean. Say **start** to practise, or /help to see what I can do.";
export const EMPTY = "I'm here when you're ready: type your answer, or /help.";
export const STALE_BUTTON = "That question is already finished, so here's the current one.";

export function rateYourself(modelAnswer: string): string {
  return `Here's a model answer:\n\n${modelAnswer}\n\nHow did yours compare? Reply **yes** (I had it), **partly**, or **no**.`;
}

export const RATE_PROMPT =
  "Compare your answer with the model answer, then reply **yes**, **partly** or **no**.";

export function ratingThanks(rating: "yes" | "partly" | "no"): string {
  if (rating === "yes") return "Great, well done.";
  if (rating === "partly")
    return "Good honest rating. Compare the parts you missed with the model answer.";
  return "Thanks for being honest. Reread the model answer; this skill will come back.";
}

/** A text mastery bar: ██████░░░░. */
/** A text mastery bar, ██████░░░░, from a share in [0, 1] (anything else is clamped; NaN is 0). */
export function bar(mastery: number, width = 10): string {
  const share = Number.isFinite(mastery) ? Math.min(1, Math.max(0, mastery)) : 0;
  const filled = Math.round(share * width);
  return `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
}

/** Where a learner stands on a skill, in words (with an icon for mastered and stuck, if asked). */
export function skillStatus(skill: SkillView, hasIcon = false): string {
  if (skill.isMastered) return hasIcon ? "✅ mastered" : "mastered";
  if (skill.isStuck) return hasIcon ? "⚠️ stuck, ask for help" : "stuck, ask for help";
  if (skill.isStarted) return `${Math.round(skill.mastery * 100)}%`;
  return "not started";
}

export function progress(
  course: Course,
  skills: readonly SkillView[],
  accuracy: number | null,
  itemsDone: number,
  streak: number,
  bestStreak: number,
): string {
  const masteredCount = skills.filter((s) => s.isMastered).length;
  const width = Math.max(...skills.map((s) => s.name.length));
  const rows = skills.map((s) => {
    return `${bar(s.isStarted || s.isMastered ? s.mastery : 0)}  ${s.name.padEnd(width)}  ${skillStatus(s)}`;
  });
  const accuracyText =
    accuracy === null
      ? "no answers yet"
      : `${Math.round(accuracy * 100)}% right first time without a hint`;
  return [
    `**${course.title}**: ${masteredCount} of ${skills.length} skills mastered`,
    "",
    "```",
    ...rows,
    "```",
    `${accuracyText} · ${itemsDone} item${itemsDone === 1 ? "" : "s"} done · streak ${streak} (best ${bestStreak})`,
  ].join("\n");
}

const REASONS: Readonly<Record<string, string>> = {
  assignment: "📌 assigned by your teacher",
  "assignment-prerequisite": "📌 needed for an assignment",
  review: "🔁 review, to keep it fresh",
  frontier: "🧭 your next step in the course",
  focus: "🎯 the skill you chose",
  "focus-prerequisite": "🎯 needed for the skill you chose",
};

/** Why this question now, in the learner's words (for adapters that show it); undefined if unknown. */
export function reasonLabel(reason: string): string | undefined {
  return REASONS[reason];
}

export const FORGOTTEN =
  "Done: everything I kept about you here is deleted, and no reminders will come. If you write to me again, we start from scratch.";
export const FORGET_CANCELLED = "Nothing was deleted.";
export const FORGET_FAILED =
  "Sorry, I couldn't delete your data just now. Nothing is half-deleted that matters; please try `/tutor forget-me` again in a minute.";
export const ASSIGNMENT_GONE =
  "That assignment was cancelled by your teacher, but let's practise anyway.";
export const ASSIGNMENT_ALREADY_DONE =
  "You've already finished that assignment. 🎉 Let's keep going.";

/** After an assignment is complete: its skills, and the items done when it was by count. */
export function assignmentDone(skills: readonly string[], items: number | undefined): string {
  const what = skills.length === 1 ? `**${skills[0]}**` : `your assignment (${skills.join(", ")})`;
  return items === undefined
    ? `✅ Assignment done: you've mastered ${what}. Your teacher can see it.`
    : `✅ Assignment done: ${items} questions on ${what}. Your teacher can see it.`;
}

/** `/reminders on|off`: what was set, or how to use it. */
export function reminders(choice: "on" | "off" | undefined, isOn: boolean): string {
  if (choice === undefined)
    return `Review reminders are **${isOn ? "on" : "off"}**. \`/tutor reminders on\` sends you a message when a skill is due for review (never at night); \`/tutor reminders off\` stops them.`;
  return choice === "on"
    ? "Review reminders are on: I'll message you when a skill is due for review, never during quiet hours."
    : "Review reminders are off.";
}
