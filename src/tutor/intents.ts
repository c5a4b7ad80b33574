/** The tutor's commands, whether typed (/hint), said ("hint") or sent by a platform. */
export const COMMANDS = [
  "start",
  "hint",
  "explain",
  "skip",
  "progress",
  "courses",
  "course",
  "practice",
  "help",
  "language",
  "interests",
  "reminders",
] as const;
export type CommandName = (typeof COMMANDS)[number];

export type Intent =
  | { readonly type: "command"; readonly name: CommandName; readonly args: string }
  | { readonly type: "unknown-command"; readonly name: string }
  | { readonly type: "greeting" }
  | { readonly type: "frustration" }
  | { readonly type: "question"; readonly text: string }
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "empty" };

/** Longest learner text the tutor reads; the rest is ignored (a 100 kB paste is not an answer). */
export const MAX_TEXT_LENGTH = 2000;

const PHRASES: readonly (readonly [RegExp, CommandName])[] = [
  [
    /^(hint|help|help me|give me a hint|a hint|clue|i need a hint|i don'?t know|idk|dunno|no idea|not sure|i'?m stuck|stuck|i don'?t get it)$/,
    "hint",
  ],
  [/^(explain|explain (this|it|that)|teach me|show me how|how does this work)$/, "explain"],
  [/^(skip|skip (this|it)|pass|next question)$/, "skip"],
  [/^(progress|my progress|how am i doing|stats|status|score)$/, "progress"],
  [/^(courses|list courses|which courses)$/, "courses"],
];

const GREETING =
  /^(hi|hello|hey|hiya|howdy|yo|good (morning|afternoon|evening)|start|begin|let'?s (go|start)|ready|resume|continue)$/;
const FRUSTRATION =
  /^(u+g+h+|a+r+g+h+|this is (so |really |too )?(hard|boring|stupid|dumb|annoying|confusing|pointless)|i hate (this|it|fractions|maths?|python)|i give up|i quit|i can'?t do (this|it)|(it'?s |this is )?too hard|i'?m (so |really )?(bored|tired|frustrated|confused|lost))$/;
const QUESTION_START =
  /^(why|how|what|when|where|which|who|can you|could you|would you|is it|is this|are|does|do i|do you|should)\b/;

/** Removes control characters and trims; keeps newlines out (one message is one line of intent). */
export function cleanText(raw: string): string {
  return raw
    .slice(0, MAX_TEXT_LENGTH)
    .normalize("NFKC")
    .replace(/[\p{Cc}\p{Cf}]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * Reads what the learner wants, by deterministic rules: slash commands, a few natural phrases
 * ("hint", "I don't know", "skip"), greetings, questions; anything else is text the tutor treats
 * as an answer when a question is open.
 */
export function parseIntent(raw: string): Intent {
  const text = cleanText(raw);
  if (text.length === 0) return { type: "empty" };
  if (text.startsWith("/")) {
    const [head = "", ...rest] = text.slice(1).split(" ");
    const name = head.toLowerCase();
    const command = COMMANDS.find((c) => c === name);
    return command
      ? { type: "command", name: command, args: rest.join(" ").trim() }
      : { type: "unknown-command", name };
  }
  const phrase = text
    .toLowerCase()
    .replace(/[.!?,]+$/g, "")
    .trim();
  for (const [pattern, name] of PHRASES)
    if (pattern.test(phrase)) return { type: "command", name, args: "" };
  if (GREETING.test(phrase)) return { type: "greeting" };
  if (FRUSTRATION.test(phrase)) return { type: "frustration" };
  if (text.endsWith("?") || (QUESTION_START.test(phrase) && phrase.split(" ").length > 3))
    return { type: "question", text };
  return { type: "text", text };
}
