import { styleText } from "node:util";
import type { Notice, Reply } from "../../tutor/index.ts";

type Style = Parameters<typeof styleText>[0];

const KIND_STYLE: Partial<Record<Reply["kind"], Style>> = {
  hint: "yellow",
  error: "red",
  explanation: "cyan",
};

/**
 * Markdown as terminal text: **bold**, *italic* and `code` lose their markers (styled on a
 * colour terminal), fenced blocks are kept line for line.
 */
export function renderMarkdown(markdown: string, color: boolean): string {
  const paint = (style: Style, text: string): string =>
    color ? styleText(style, text, { validateStream: false }) : text;
  let inFence = false;
  const lines: string[] = [];
  for (const line of markdown.split("\n")) {
    if (line.trimStart().startsWith("```")) {
      inFence = !inFence;
      continue;
    }
    if (inFence) {
      lines.push(`  ${line}`);
      continue;
    }
    lines.push(
      line
        .replace(/\*\*(.+?)\*\*/g, (_, text: string) => paint("bold", text))
        .replace(
          /(^|[^*])\*(?!\s)(.+?)\*(?!\*)/g,
          (_, before: string, text: string) => `${before}${paint("italic", text)}`,
        )
        .replace(/`([^`]+)`/g, (_, text: string) => paint("cyan", text)),
    );
  }
  return lines.join("\n");
}

/** A message to someone outside the conversation, as the console shows it. */
export function renderNotice(to: string, notice: Notice, color: boolean): string {
  const start = notice.start ? "\n  (Say start to begin.)" : "";
  return `📨 To ${to}: ${renderMarkdown(notice.text, color)}${start}`;
}

/** One reply as readable terminal text. */
export function renderReply(reply: Reply, color: boolean): string {
  let text = renderMarkdown(reply.text, color);
  if (reply.kind === "question" && reply.choices) {
    text += `\n${reply.choices.map((c) => `  ${c.label}) ${c.text}`).join("\n")}`;
  }
  if (reply.kind === "confirm")
    text += `\n  (Type yes to ${reply.confirmLabel.toLowerCase()}, or no.)`;
  if (reply.kind === "feedback" && color) {
    const mark = reply.correct
      ? styleText("green", "✓", { validateStream: false })
      : styleText("red", "✗", { validateStream: false });
    text = `${mark} ${text}`;
  }
  const style = KIND_STYLE[reply.kind];
  return style && color && reply.kind !== "explanation"
    ? styleText(style, text, { validateStream: false })
    : text;
}

/**
 * One reply as a JSON object: its kind and Markdown text, and per kind: questions carry
 * skillId, itemId and the choices' texts; feedback carries `correct`; progress carries
 * `mastery` (skill id to a number in [0, 1]).
 */
export function replyToJson(reply: Reply): Record<string, unknown> {
  if (reply.kind === "question") {
    const { choices, ...rest } = reply;
    return { ...rest, ...(choices ? { choices: choices.map((c) => c.text) } : {}) };
  }
  return { ...reply };
}
