import type {
  ConfirmReply,
  Inbound,
  Notice,
  ProgressReply,
  QuestionReply,
  Reply,
  SkillView,
} from "../../tutor/index.ts";
import { masteryBar, reasonLabel, skillStatus } from "../../tutor/index.ts";

/*
 * Replies as Slack Block Kit. Block Kit objects are plain JSON, so the few shapes used here are
 * typed locally instead of importing @slack/types: this module stays pure and dependency-free.
 */

/** Slack's documented size limits for the objects built here (characters, or blocks). */
export const SLACK_LIMITS = {
  /** Top-level `text` of a message: Slack truncates beyond this. */
  messageText: 40_000,
  /** A section block's text. */
  sectionText: 3000,
  /** A header block's plain text. */
  headerText: 150,
  /** A button's plain text. */
  buttonText: 75,
  /** A button's value, echoed back in the block_actions payload. */
  buttonValue: 2000,
  /** action_id and block_id. */
  id: 255,
  /** Blocks in one message. */
  messageBlocks: 50,
  /** Blocks in a Home tab view. */
  homeBlocks: 100,
  /** Elements in an actions block. */
  actionsElements: 25,
  /** Elements in a context block. */
  contextElements: 10,
  /** A confirmation dialog's title. */
  confirmTitle: 100,
  /** A confirmation dialog's text. */
  confirmText: 300,
  /** A confirmation dialog's confirm and deny buttons. */
  confirmButton: 30,
} as const;

export interface PlainTextObject {
  type: "plain_text";
  text: string;
  emoji?: boolean;
}

export interface MrkdwnTextObject {
  type: "mrkdwn";
  text: string;
}

/** The dialog Slack shows before a button's press is sent (Block Kit's confirmation object). */
export interface ConfirmDialog {
  title: PlainTextObject;
  text: PlainTextObject;
  confirm: PlainTextObject;
  deny: PlainTextObject;
  style?: "primary" | "danger";
}

export interface ButtonElement {
  type: "button";
  action_id: string;
  text: PlainTextObject;
  value?: string;
  style?: "primary" | "danger";
  confirm?: ConfirmDialog;
}

export interface SectionBlock {
  type: "section";
  block_id?: string;
  text: MrkdwnTextObject;
}

export interface ActionsBlock {
  type: "actions";
  block_id?: string;
  elements: ButtonElement[];
}

export interface ContextBlock {
  type: "context";
  block_id?: string;
  elements: (MrkdwnTextObject | PlainTextObject)[];
}

export interface HeaderBlock {
  type: "header";
  block_id?: string;
  text: PlainTextObject;
}

export interface DividerBlock {
  type: "divider";
  block_id?: string;
}

export type Block = SectionBlock | ActionsBlock | ContextBlock | HeaderBlock | DividerBlock;

/** A message as chat.postMessage / chat.update take it: blocks plus the plain-text fallback. */
export interface SlackMessage {
  /** For notifications and screen readers: no markup, control characters escaped. */
  text: string;
  blocks: Block[];
}

export interface HomeView {
  type: "home";
  blocks: Block[];
}

export interface RenderOptions {
  /** Hint / Explain / Skip buttons under every question. */
  readonly hasControls?: boolean;
  /** At most this many blocks (Slack allows 50 in a message). */
  readonly maxBlocks?: number;
}

export const DEFAULT_RENDER = {
  hasControls: true,
  maxBlocks: SLACK_LIMITS.messageBlocks,
} as const satisfies Required<RenderOptions>;

export interface AssignmentDue {
  readonly skillName: string;
  /** Epoch milliseconds. */
  readonly dueAt: number;
}

export interface HomeViewOptions {
  readonly assignments?: readonly AssignmentDue[];
  /** Shown in the progress header when given. */
  readonly courseTitle?: string;
  /** At most this many blocks (Slack allows 100 in a Home tab). */
  readonly maxBlocks?: number;
}

export const DEFAULT_HOME_VIEW = {
  assignments: [],
  courseTitle: "",
  maxBlocks: SLACK_LIMITS.homeBlocks,
} as const satisfies Required<HomeViewOptions>;

/** How a question ended, for the line that replaces its buttons. */
export type QuestionOutcome = "correct" | "incorrect" | "skipped" | "superseded";

export type SlackAction = NonNullable<Inbound["action"]>;

const ACTION_IDS = new Set<SlackAction["id"]>([
  "answer",
  "hint",
  "explain",
  "skip",
  "start",
  "forget-confirm",
  "forget-cancel",
]);

/** The action id of the button that cancels what a confirm button would do. */
const CANCEL_OF: Readonly<Record<ConfirmReply["action"], SlackAction["id"]>> = {
  "forget-confirm": "forget-cancel",
};

const OUTCOMES: Readonly<Record<QuestionOutcome, string>> = {
  correct: "Answered ✓",
  incorrect: "Answered ✗",
  skipped: "Skipped",
  superseded: "Closed: a newer question took its place",
};

const ELLIPSIS = "…";
// Private-use characters stand in for bold markers while single-star italics are rewritten.
const BOLD_MARK = "\u{E000}";
const WORD = String.raw`\p{L}\p{N}`;
const URL_SCHEME = /^(https?:|mailto:)/i;

// ---------------------------------------------------------------------------------------------
// Text: Markdown → mrkdwn, Markdown → plain text, escaping, truncation, splitting

/** Slack's three control characters as entities; everything else is left as typed. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Markdown → Slack mrkdwn: **bold** → *bold*, *italic* → _italic_, ~~strike~~ → ~strike~,
 * [text](url) → <url|text>, headings → bold lines, bullets → •, code kept. &, < and > are
 * escaped everywhere, code included: Slack parses <…> inside backticks too, and decodes the
 * entities there, so the learner sees the characters and a model cannot inject <!channel>.
 */
export function toMrkdwn(markdown: string): string {
  const lines: string[] = [];
  let inFence = false;
  for (const line of clean(markdown).split("\n")) {
    if (isFence(line)) {
      inFence = !inFence;
      lines.push("```");
      continue;
    }
    if (inFence) {
      lines.push(escapeMrkdwn(line));
      continue;
    }
    lines.push(mrkdwnLine(line));
  }
  if (inFence) lines.push("```");
  return lines.join("\n");
}

/** Markdown → plain text (markers dropped, links as "text (url)"), for fallbacks and buttons. */
export function toPlainText(markdown: string): string {
  const lines: string[] = [];
  let inFence = false;
  for (const line of clean(markdown).split("\n")) {
    if (isFence(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) {
      lines.push(line);
      continue;
    }
    const heading = line.match(/^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/);
    if (heading) {
      lines.push(plainInline(heading[1] ?? ""));
      continue;
    }
    const quote = line.match(/^\s*>\s?(.*)$/);
    if (quote) {
      lines.push(plainInline(quote[1] ?? ""));
      continue;
    }
    const bullet = line.match(/^(\s*)[-*+]\s+(.*)$/);
    if (bullet && !isRule(line)) {
      lines.push(`${bullet[1]}• ${plainInline(bullet[2] ?? "")}`);
      continue;
    }
    lines.push(isRule(line) ? "" : plainInline(line));
  }
  return lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** At most `max` UTF-16 units, ending in "…" when cut; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - ELLIPSIS.length);
  if (isLowSurrogate(text.charCodeAt(cut))) cut -= 1;
  return `${text.slice(0, cut).trimEnd()}${ELLIPSIS}`;
}

/** Like truncate, but never leaves half an entity (&amp;) or half a link (<url|text>). */
function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = safeCut(text, Math.max(0, max - ELLIPSIS.length));
  return `${text.slice(0, cut).trimEnd()}${ELLIPSIS}`;
}

/**
 * Mrkdwn in pieces of at most `max` characters, split between lines where it can (within a
 * long line at a space); a code block cut in two is closed and reopened so both halves render.
 */
export function splitMrkdwn(text: string, max: number = SLACK_LIMITS.sectionText): string[] {
  const FENCE = "```";
  // Room kept in every chunk for closing a fence and reopening it in the next.
  const budget = Math.max(16, max - 2 * (FENCE.length + 1));
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 0;
  let inFence = false;
  const flush = () => {
    // A fence opened on the chunk's last line moves to the next chunk whole.
    if (inFence && current.at(-1) === FENCE) current.pop();
    else if (inFence) current.push(FENCE);
    const chunk = current.join("\n").replace(/^\n+|\s+$/g, "");
    if (chunk) chunks.push(chunk);
    current = inFence ? [FENCE] : [];
    size = inFence ? FENCE.length : 0;
  };
  for (const line of text.split("\n")) {
    const isFenceLine = line.trim() === FENCE;
    for (const piece of splitLine(line, budget - FENCE.length - 1)) {
      // A closing fence always fits: its room was kept.
      const isClosing = isFenceLine && inFence;
      if (size > 0 && size + 1 + piece.length > budget && !isClosing) flush();
      current.push(piece);
      size += (size > 0 ? 1 : 0) + piece.length;
    }
    if (isFenceLine) inFence = !inFence;
  }
  inFence = false;
  flush();
  return chunks;
}

function clean(markdown: string): string {
  return markdown.replace(/\r\n?/g, "\n").replace(/[\u{E000}-\u{E003}]/gu, "");
}

function isFence(line: string): boolean {
  return /^\s*(`{3,}|~{3,})/.test(line);
}

function isRule(line: string): boolean {
  return /^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line);
}

function mrkdwnLine(line: string): string {
  if (isRule(line)) return "──────────";
  const heading = line.match(/^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/);
  if (heading) {
    const content = (heading[1] ?? "").replace(/\*\*|__/g, "");
    return content ? `*${mrkdwnInline(content)}*` : "";
  }
  const quote = line.match(/^\s*>\s?(.*)$/);
  // A quote keeps its raw ">": that is Slack's own quote marker.
  if (quote) return `> ${mrkdwnInline(quote[1] ?? "")}`;
  const bullet = line.match(/^(\s*)[-*+]\s+(.*)$/);
  if (bullet) return `${bullet[1]}• ${mrkdwnInline(bullet[2] ?? "")}`;
  return mrkdwnInline(line);
}

// Code spans, links, images and autolinks: everything inline that is not plain text.
const INLINE_TOKEN =
  /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)|!?\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|<((?:https?:\/\/|mailto:)[^>\s]+)>/g;

interface InlineHandlers {
  readonly text: (text: string) => string;
  readonly code: (code: string) => string;
  readonly link: (label: string, url: string) => string;
}

function mapInline(line: string, handlers: InlineHandlers): string {
  let out = "";
  let last = 0;
  for (const match of line.matchAll(INLINE_TOKEN)) {
    const index = match.index;
    out += handlers.text(line.slice(last, index));
    if (match[2] !== undefined) out += handlers.code(match[2]);
    else if (match[4] !== undefined) out += handlers.link(match[3] ?? "", match[4]);
    else out += handlers.link("", match[5] ?? "");
    last = index + match[0].length;
  }
  return out + handlers.text(line.slice(last));
}

function mrkdwnInline(line: string): string {
  return mapInline(line, {
    text: (text) => restoreEscapes(emphasis(escapeMrkdwn(protectEscapes(text))), RESTORED_MRKDWN),
    code: (code) => `\`${escapeMrkdwn(code)}\``,
    link: (label, url) => {
      const text = plainInline(label);
      if (!URL_SCHEME.test(url)) return escapeMrkdwn(text ? `${text} (${url})` : url);
      const href = escapeMrkdwn(url).replace(/\|/g, "%7C");
      return text && text !== url ? `<${href}|${escapeMrkdwn(text)}>` : `<${href}>`;
    },
  });
}

function plainInline(line: string): string {
  return mapInline(line, {
    text: (text) => restoreEscapes(stripEmphasis(protectEscapes(text))),
    code: (code) => code,
    link: (label, url) => {
      const text = plainInline(label);
      return text && text !== url ? `${text} (${url})` : url;
    },
  });
}

// Markdown's backslash escapes (\* \_ …): the character is kept out of emphasis, then stands
// alone (Slack has no escapes of its own).
const ESCAPED = /\\([\\`*_{}[\]()#+\-.!~|>])/g;
const PROTECTED: Readonly<Record<string, string>> = {
  "*": "\u{E001}",
  _: "\u{E002}",
  "~": "\u{E003}",
};
const UNPROTECT = /[\u{E001}-\u{E003}]/gu;
const RESTORED: Readonly<Record<string, string>> = {
  "\u{E001}": "*",
  "\u{E002}": "_",
  "\u{E003}": "~",
};
// In mrkdwn an escaped star becomes the asterisk operator, which looks alike and never formats.
const RESTORED_MRKDWN: Readonly<Record<string, string>> = { ...RESTORED, "\u{E001}": "∗" };

function protectEscapes(text: string): string {
  return text.replace(ESCAPED, (_, char: string) => PROTECTED[char] ?? char);
}

function restoreEscapes(text: string, restored = RESTORED): string {
  return text.replace(UNPROTECT, (char) => restored[char] ?? char);
}

// Emphasis only where Markdown and Slack both see it: markers at word edges, not around spaces,
// so 2*3*4 and snake_case stay as typed.
const STRONG_EMPHASIS = new RegExp(
  String.raw`(?<![${WORD}*])\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*(?![${WORD}*])`,
  "gu",
);
const BOLD_STARS = new RegExp(
  String.raw`(?<![${WORD}*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![${WORD}*])`,
  "gu",
);
const BOLD_UNDERSCORES = new RegExp(
  String.raw`(?<![${WORD}_])__(?=\S)(.+?)(?<=\S)__(?![${WORD}_])`,
  "gu",
);
const ITALIC_STARS = new RegExp(
  String.raw`(?<![${WORD}*\\])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![${WORD}*])`,
  "gu",
);
const ITALIC_UNDERSCORES = new RegExp(
  String.raw`(?<![${WORD}_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![${WORD}_])`,
  "gu",
);
const STRIKE = /~~(?=\S)(.+?)(?<=\S)~~/g;

function emphasis(text: string): string {
  return text
    .replace(STRIKE, "~$1~")
    .replace(STRONG_EMPHASIS, `${BOLD_MARK}_$1_${BOLD_MARK}`)
    .replace(BOLD_STARS, `${BOLD_MARK}$1${BOLD_MARK}`)
    .replace(BOLD_UNDERSCORES, `${BOLD_MARK}$1${BOLD_MARK}`)
    .replace(ITALIC_STARS, "_$1_")
    .replaceAll(BOLD_MARK, "*");
}

function stripEmphasis(text: string): string {
  return text
    .replace(STRIKE, "$1")
    .replace(STRONG_EMPHASIS, "$1")
    .replace(BOLD_STARS, "$1")
    .replace(BOLD_UNDERSCORES, "$1")
    .replace(ITALIC_STARS, "$1")
    .replace(ITALIC_UNDERSCORES, "$1");
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** A cut at or before `at` that falls outside entities, <…> sequences and surrogate pairs. */
function safeCut(text: string, at: number): number {
  let cut = at;
  const before = text.slice(0, cut);
  const open = before.lastIndexOf("<");
  if (open > before.lastIndexOf(">")) cut = open;
  const amp = text.slice(0, cut).lastIndexOf("&");
  if (amp >= 0 && amp > cut - 6 && !text.slice(amp, cut).includes(";")) cut = amp;
  if (isLowSurrogate(text.charCodeAt(cut))) cut -= 1;
  return cut;
}

/** One line in pieces of at most `max`, cut at a space where possible. */
function splitLine(line: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = line;
  while (rest.length > max) {
    let cut = safeCut(rest, max);
    const space = rest.lastIndexOf(" ", cut);
    if (space > max / 2) cut = space;
    if (cut <= 0) cut = safeCut(rest, max) || max;
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  pieces.push(rest);
  return pieces;
}

// ---------------------------------------------------------------------------------------------
// Block builders

function plainText(text: string, max: number): PlainTextObject {
  return { type: "plain_text", text: truncate(text.trim() || " ", max), emoji: true };
}

function mrkdwn(text: string): MrkdwnTextObject {
  return { type: "mrkdwn", text: truncateMrkdwn(text, SLACK_LIMITS.sectionText) };
}

/** Sections for a mrkdwn text, at most `maxSections` (the last one cut with "…" if needed). */
function sections(text: string, maxSections: number): SectionBlock[] {
  const chunks = splitMrkdwn(text, SLACK_LIMITS.sectionText);
  if (chunks.length > maxSections && maxSections > 0) {
    const kept = chunks.slice(0, maxSections);
    const last = kept[maxSections - 1] ?? "";
    kept[maxSections - 1] = truncateMrkdwn(`${last}\n${ELLIPSIS}`, SLACK_LIMITS.sectionText);
    return kept.map((chunk) => ({ type: "section", text: mrkdwn(chunk) }));
  }
  return chunks
    .slice(0, Math.max(0, maxSections))
    .map((chunk) => ({ type: "section", text: mrkdwn(chunk) }));
}

function context(text: string): ContextBlock {
  return { type: "context", elements: [mrkdwn(text)] };
}

function header(text: string): HeaderBlock {
  return { type: "header", text: plainText(text, SLACK_LIMITS.headerText) };
}

function button(text: string, actionId: string, value?: string): ButtonElement {
  return {
    type: "button",
    action_id: truncate(actionId, SLACK_LIMITS.id),
    text: plainText(text, SLACK_LIMITS.buttonText),
    ...(value !== undefined && value.length <= SLACK_LIMITS.buttonValue ? { value } : {}),
  };
}

function blockId(prefix: string, itemId: string): string {
  return truncate(`${prefix}:${itemId}`, SLACK_LIMITS.id);
}

function fallback(plain: string): string {
  return truncate(escapeMrkdwn(plain.trim() || " "), SLACK_LIMITS.messageText);
}

// ---------------------------------------------------------------------------------------------
// Slash command text

/**
 * A slash command's text as its subcommand and the rest, the rest exactly as sent (its spacing,
 * quotes and Slack's escaped mentions such as `<@U123|ana>` intact).
 */
export function splitCommandText(text: string): { head: string; rest: string } {
  const match = /^\s*(\S*)\s*([\s\S]*?)\s*$/.exec(text);
  return { head: match?.[1] ?? "", rest: match?.[2] ?? "" };
}

/**
 * Command text escaped by Slack (`should_escape`) back as the learner saw it while typing:
 * `<@U123|ana>` → `@ana`, `<#C123|class>` → `#class`, `<!subteam^S1|@group>` → `@group`,
 * `<https://x|x>` → `x`, and `&lt;` `&gt;` `&amp;` decoded. Teacher commands do not go through
 * this: their grammar reads the mentions' ids.
 */
export function unescapeCommandText(text: string): string {
  return text
    .replace(/<([@#!][^>|]*)(?:\|([^>]*))?>/g, (_, id: string, label?: string) => {
      const sigil = id.startsWith("#") ? "#" : "@";
      const name = label || (id.startsWith("!") ? (id.slice(1).split("^")[0] ?? "") : id.slice(1));
      return name.startsWith(sigil) ? name : `${sigil}${name}`;
    })
    .replace(/<((?:https?:|mailto:)[^>|]*)(?:\|([^>]*))?>/g, (_, url: string, label?: string) =>
      label ? label : url,
    )
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

// ---------------------------------------------------------------------------------------------
// Actions: what a button carries, and reading it back

/**
 * A choice button's value: "itemId|label". The label (a, b, …) is what the learner could type,
 * so the tutor reads it like a typed answer; the item id lets it spot a stale button.
 */
export function choiceValue(itemId: string, label: string): string {
  const value = `${itemId}|${label}`;
  return value.length <= SLACK_LIMITS.buttonValue ? value : `|${label}`;
}

/**
 * A pressed button back as the tutor's action: action_id "answer" or "answer:<k>" with value
 * "itemId|label"; "hint" / "explain" / "skip" with the item id as value; "start" with the
 * assignment id as value; "forget-confirm" / "forget-cancel" with none.
 * Undefined for an action id Socra did not make.
 */
export function parseActionValue(actionId: string, value = ""): SlackAction | undefined {
  const id = actionId.split(":", 1)[0] as SlackAction["id"];
  if (!ACTION_IDS.has(id)) return undefined;
  if (id === "start") return { id, ...(value ? { value } : {}) };
  if (id === "forget-confirm" || id === "forget-cancel") return { id };
  if (id === "answer") {
    const bar = value.lastIndexOf("|");
    const itemId = bar > 0 ? value.slice(0, bar) : "";
    const answer = bar >= 0 ? value.slice(bar + 1) : value;
    return { id, ...(itemId ? { itemId } : {}), value: answer };
  }
  return { id, ...(value ? { itemId: value } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Replies

/** One tutor reply as a Slack message: Block Kit blocks and a plain-text fallback. */
export function renderReply(reply: Reply, options: RenderOptions = {}): SlackMessage {
  const { hasControls, maxBlocks } = { ...DEFAULT_RENDER, ...options };
  switch (reply.kind) {
    case "question":
      return renderQuestion(reply, hasControls, maxBlocks);
    case "progress":
      return renderProgress(reply, maxBlocks);
    case "confirm":
      return renderConfirm(reply, maxBlocks);
    case "feedback": {
      const mark = reply.correct ? "✅" : "❌";
      return {
        text: fallback(toPlainText(reply.text)),
        blocks: sections(`${mark} ${toMrkdwn(reply.text)}`, maxBlocks),
      };
    }
    case "hint":
      return {
        text: fallback(toPlainText(reply.text)),
        blocks: sections(`💡 ${toMrkdwn(reply.text)}`, maxBlocks),
      };
    case "error":
      return {
        text: fallback(toPlainText(reply.text)),
        blocks: sections(`⚠️ ${toMrkdwn(reply.text)}`, maxBlocks),
      };
    default:
      return {
        text: fallback(toPlainText(reply.text)),
        blocks: sections(toMrkdwn(reply.text), maxBlocks),
      };
  }
}

function questionMrkdwn(question: QuestionReply): string {
  const choices = (question.choices ?? []).map(
    (choice) => `*${escapeMrkdwn(choice.label)})* ${toMrkdwn(choice.text)}`,
  );
  return choices.length > 0
    ? `${toMrkdwn(question.text)}\n\n${choices.join("\n")}`
    : toMrkdwn(question.text);
}

function questionFallback(question: QuestionReply): string {
  const choices = (question.choices ?? []).map((c) => `${c.label}) ${toPlainText(c.text)}`);
  return [toPlainText(question.text), ...choices].join("\n");
}

function whyLine(question: QuestionReply): string {
  const why = reasonLabel(question.reason) ?? escapeMrkdwn(question.reason);
  return `*${escapeMrkdwn(question.skillName)}* · ${why}`;
}

function renderQuestion(
  question: QuestionReply,
  hasControls: boolean,
  maxBlocks: number,
): SlackMessage {
  const tail: Block[] = [];
  const choices = question.choices ?? [];
  for (let start = 0; start < choices.length; start += SLACK_LIMITS.actionsElements) {
    tail.push({
      type: "actions",
      block_id: blockId(`choices${start === 0 ? "" : `-${start}`}`, question.itemId),
      elements: choices
        .slice(start, start + SLACK_LIMITS.actionsElements)
        .map((choice, k) =>
          button(
            `${choice.label}) ${toPlainText(choice.text)}`,
            `answer:${start + k}`,
            choiceValue(question.itemId, choice.label),
          ),
        ),
    });
  }
  if (hasControls) {
    tail.push({
      type: "actions",
      block_id: blockId("controls", question.itemId),
      elements: [
        button("💡 Hint", "hint", question.itemId),
        button("📘 Explain", "explain", question.itemId),
        button("⏭ Skip", "skip", question.itemId),
      ],
    });
  }
  tail.push(context(whyLine(question)));
  const body = sections(questionMrkdwn(question), Math.max(1, maxBlocks - tail.length));
  return { text: fallback(questionFallback(question)), blocks: [...body, ...tail] };
}

/**
 * A question message as Slack sends it back in a block_actions payload, closed once it is
 * answered or skipped: every actions block removed (so no button can be pressed twice), and a
 * line saying how it ended.
 */
export function closedQuestionBlocks(
  blocks: readonly unknown[],
  outcome: QuestionOutcome,
): unknown[] {
  return closedBlocks(blocks, closedQuestionLine(outcome));
}

/** The line saying how a question ended (mrkdwn). */
export function closedQuestionLine(outcome: QuestionOutcome): string {
  return OUTCOMES[outcome];
}

/**
 * A message as Slack sends it back in a block_actions payload, with its buttons taken away
 * (every actions block removed, so none can be pressed twice) and `line` (mrkdwn) saying what
 * happened.
 */
export function closedBlocks(blocks: readonly unknown[], line: string): unknown[] {
  const kept = blocks.filter(
    (block) =>
      typeof block !== "object" ||
      block === null ||
      (block as { type?: unknown }).type !== "actions",
  );
  return [...kept.slice(0, SLACK_LIMITS.messageBlocks - 1), context(line)];
}

// ---------------------------------------------------------------------------------------------
// Confirmations and notices

/**
 * A question with two buttons: the confirm button is red and asks once more in Slack's own
 * dialog (a deletion cannot be undone), the cancel button is plain. Presses come back as the
 * reply's `action` and its cancel (`forget-confirm` / `forget-cancel`).
 */
function renderConfirm(reply: ConfirmReply, maxBlocks: number): SlackMessage {
  const plain = toPlainText(reply.text);
  const confirm: ButtonElement = {
    ...button(reply.confirmLabel, reply.action, reply.action),
    style: "danger",
    confirm: {
      title: plainText("Are you sure?", SLACK_LIMITS.confirmTitle),
      text: plainText(plain, SLACK_LIMITS.confirmText),
      confirm: plainText(reply.confirmLabel, SLACK_LIMITS.confirmButton),
      deny: plainText(reply.cancelLabel, SLACK_LIMITS.confirmButton),
      style: "danger",
    },
  };
  const cancelId = CANCEL_OF[reply.action];
  const actions: ActionsBlock = {
    type: "actions",
    block_id: truncate(`confirm:${reply.action}`, SLACK_LIMITS.id),
    elements: [confirm, button(reply.cancelLabel, cancelId, cancelId)],
  };
  return {
    text: fallback(plain),
    blocks: [...sections(toMrkdwn(reply.text), Math.max(1, maxBlocks - 1)), actions],
  };
}

/**
 * A notice sent to a learner's DM (a new assignment, a reminder, a digest), with a primary
 * Start button when it has one; the button's value is the assignment id, when there is one.
 */
export function noticeMessage(notice: Notice): SlackMessage {
  const tail: Block[] = notice.start
    ? [
        {
          type: "actions",
          block_id: truncate(`notice:${notice.start.assignmentId ?? notice.kind}`, SLACK_LIMITS.id),
          elements: [
            {
              ...button("▶ Start", "start", notice.start.assignmentId),
              style: "primary",
            },
          ],
        },
      ]
    : [];
  return {
    text: fallback(toPlainText(notice.text)),
    blocks: [...sections(toMrkdwn(notice.text), SLACK_LIMITS.messageBlocks - tail.length), ...tail],
  };
}

/** A message with a note (mrkdwn) added below it, as a context line. */
export function withNote(message: SlackMessage, note: string | undefined): SlackMessage {
  if (!note) return message;
  return {
    text: truncate(`${message.text}\n${note}`, SLACK_LIMITS.messageText),
    blocks: [...message.blocks.slice(0, SLACK_LIMITS.messageBlocks - 1), context(note)],
  };
}

/** A file-sent note, for the requester's reply: files never go to a channel, only to the DM. */
export function filesNote(titles: readonly string[], isDelivered: boolean): string {
  const named = titles.map((title) => `*${escapeMrkdwn(title)}*`).join(", ");
  return isDelivered
    ? `📎 I've sent ${named} to our DM.`
    : `⚠️ I couldn't send ${named} to our DM. Please try again in a moment.`;
}

// ---------------------------------------------------------------------------------------------
// Progress and the App Home

function skillLines(skills: readonly SkillView[]): string {
  if (skills.length === 0) return "_No skills in this course yet._";
  return skills
    .map((skill) => {
      const shown = skill.isStarted || skill.isMastered ? skill.mastery : 0;
      return `\`${masteryBar(shown)}\`  *${escapeMrkdwn(skill.name)}* · ${skillStatus(skill, true)}`;
    })
    .join("\n");
}

function masteredSummary(progress: ProgressReply): string {
  const mastered = progress.skills.filter((s) => s.isMastered).length;
  return `${mastered} of ${progress.skills.length} skill${progress.skills.length === 1 ? "" : "s"} mastered`;
}

function statsLine(progress: ProgressReply): string {
  const accuracy =
    progress.accuracy === null
      ? "no answers yet"
      : `${Math.round(progress.accuracy * 100)}% right first time`;
  const items = `${progress.itemsDone} item${progress.itemsDone === 1 ? "" : "s"} done`;
  return `${accuracy} · ${items} · streak ${progress.streak} (best ${progress.bestStreak})`;
}

function progressBlocks(progress: ProgressReply, maxBlocks: number): Block[] {
  const stats = context(statsLine(progress));
  const summary: SectionBlock = { type: "section", text: mrkdwn(`*${masteredSummary(progress)}*`) };
  const rows = sections(skillLines(progress.skills), Math.max(1, maxBlocks - 2));
  return [summary, ...rows, stats];
}

function renderProgress(progress: ProgressReply, maxBlocks: number): SlackMessage {
  const rows = progress.skills.map((s) => `${s.name}: ${skillStatus(s, false)}`);
  return {
    text: fallback(
      [`Your progress: ${masteredSummary(progress)}.`, ...rows, statsLine(progress)].join("\n"),
    ),
    blocks: [header("Your progress"), ...progressBlocks(progress, maxBlocks - 1)],
  };
}

/** A date Slack shows in each viewer's own time zone, with the UTC day as its fallback. */
function slackDate(epochMs: number): string {
  const seconds = Math.floor(epochMs / 1000);
  const day = Number.isFinite(epochMs) ? new Date(epochMs).toISOString().slice(0, 10) : "soon";
  return `<!date^${seconds}^{date_short_pretty}|${day}>`;
}

function assignmentLines(assignments: readonly AssignmentDue[]): string {
  return [...assignments]
    .sort((a, b) => a.dueAt - b.dueAt)
    .map((a) => `• *${escapeMrkdwn(a.skillName)}*, due ${slackDate(a.dueAt)}`)
    .join("\n");
}

/**
 * The App Home tab: how to start practising (the Messages tab), mastery per skill, and the
 * assignments due. `progress` is undefined before the learner's first session.
 */
export function homeView(
  progress: ProgressReply | undefined,
  options: HomeViewOptions = {},
): HomeView {
  const { assignments, courseTitle, maxBlocks } = { ...DEFAULT_HOME_VIEW, ...options };
  const start: Block[] = [
    header("Socra, your practice partner"),
    {
      type: "section",
      text: mrkdwn(
        "*Start practising:* open the *Messages* tab and say *start*, or type `/tutor start` in any channel. Stuck on a question? Ask for a `/hint`.",
      ),
    },
    { type: "divider" },
    header(courseTitle ? `Progress in ${courseTitle}` : "Your progress"),
  ];
  const due: Block[] = [{ type: "divider" }, header("Assignments due")];
  const dueText = assignments.length > 0 ? assignmentLines(assignments) : "No assignments due";
  // Assignments get what the progress leaves, and at least one section.
  const progressRoom = maxBlocks - start.length - due.length - 1;
  const middle: Block[] = progress
    ? progressBlocks(progress, progressRoom)
    : [
        {
          type: "section",
          text: mrkdwn("_No practice yet._ Your mastery of each skill shows here once you start."),
        },
      ];
  const dueSections = sections(
    dueText,
    Math.max(1, maxBlocks - start.length - middle.length - due.length),
  );
  return { type: "home", blocks: [...start, ...middle, ...due, ...dueSections] };
}
