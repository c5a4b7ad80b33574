import { createHash } from "node:crypto";
import {
  ActionRowBuilder,
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIComponentInMessageActionRow,
  type APIEmbed,
  type APIMessageTopLevelComponent,
  type APIModalInteractionResponseCallbackData,
  type APIModalSubmissionComponent,
  type AttachmentPayload,
  ButtonBuilder,
  ButtonStyle,
  ComponentType,
  EmbedBuilder,
  embedLength,
  escapeMarkdown,
  type InteractionEditReplyOptions,
  type InteractionReplyOptions,
  isJSONEncodable,
  type JSONEncodable,
  LabelBuilder,
  type MessageCreateOptions,
  MessageFlags,
  ModalBuilder,
  TextDisplayBuilder,
  TextInputBuilder,
  TextInputStyle,
} from "discord.js";
import type {
  Attachment,
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
 * Replies as Discord messages. Components, embeds and modals are made with the discord.js
 * builders (which validate lengths and shapes as they build) and returned as plain API JSON, so
 * the same payload goes to discord.js, to raw REST or to an interaction callback. Texts are
 * Markdown, which Discord renders as is: nothing is escaped but course-authored names.
 */

/** Discord's documented limits for what is built here (UTF-16 units, a safe bound for its count). */
export const DISCORD_LIMITS = {
  /** A message's content. */
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  embedFieldName: 256,
  embedFieldValue: 1024,
  /** All the text of a message's embeds together. */
  embedTotal: 6000,
  buttonLabel: 80,
  customId: 100,
  buttonsPerRow: 5,
  actionRows: 5,
  modalTitle: 45,
  /** A Label component's text (the text input's caption). */
  labelText: 45,
  textDisplay: 4000,
  textInputValue: 4000,
  /** Slash command and option descriptions. */
  commandDescription: 100,
  /** An autocomplete choice's name and value. */
  choiceName: 100,
  choiceValue: 100,
  autocompleteChoices: 25,
  /** An attachment's description (its alt text). */
  attachmentDescription: 1024,
  /** Files on one message. */
  filesPerMessage: 10,
} as const;

/** Mentions that may ping: none, ever. A learner's or a model's "@everyone" stays text. */
export interface NoMentions {
  readonly parse: [];
}

/**
 * One message as Discord's API takes it (channel message, interaction response, follow-up,
 * edit). `allowed_mentions` is the API's field; discord.js reads `allowedMentions` instead and
 * drops the other, so both are set and the payload is safe whichever way it is sent.
 */
export interface DiscordPayload {
  content?: string;
  embeds?: APIEmbed[];
  components?: APIActionRowComponent<APIButtonComponent>[];
  /** Files to upload, as discord.js takes them (sent as multipart/form-data). */
  files?: AttachmentPayload[];
  flags?: MessageFlags.Ephemeral;
  allowed_mentions: NoMentions;
  allowedMentions: NoMentions;
}

/** A payload as discord.js takes it for a reply or follow-up (ephemeral flag included). */
export function replyOptions(payload: DiscordPayload): InteractionReplyOptions {
  const { allowed_mentions: _wire, ...options } = payload;
  return options as InteractionReplyOptions;
}

/** The same for an edit or a channel message: ephemerality is fixed when a message is created. */
export function messageOptions(
  payload: DiscordPayload,
): InteractionEditReplyOptions & MessageCreateOptions {
  const { allowed_mentions: _wire, flags: _flags, ...options } = payload;
  return options as InteractionEditReplyOptions & MessageCreateOptions;
}

export interface RenderOptions {
  /** Hint / Explain / Skip buttons under every question. */
  readonly hasControls?: boolean;
  /** Only the learner sees it (`MessageFlags.Ephemeral`; interaction responses only). */
  readonly ephemeral?: boolean;
  /** Long text is split into at most this many messages; the last is cut with "…". */
  readonly maxMessages?: number;
  /** Shown in the progress embed's title when given. */
  readonly courseTitle?: string;
}

export const DEFAULT_RENDER = {
  hasControls: true,
  ephemeral: false,
  maxMessages: 5,
  courseTitle: "",
} as const satisfies Required<RenderOptions>;

/**
 * What a Socra button or modal asks for: a question's buttons ("type" opens the modal for a
 * typed answer), an assignment's Start, or the answer to a confirmation (forget-me).
 */
export interface DiscordAction {
  readonly id:
    | "answer"
    | "hint"
    | "explain"
    | "skip"
    | "type"
    | "start"
    | "forget-confirm"
    | "forget-cancel";
  /** The question's item id, to spot a stale button; absent when the id was too long to carry. */
  readonly itemId?: string;
  /** A long item id's digest (see itemKey), carried instead of the id. */
  readonly itemKey?: string;
  /**
   * For "answer": the choice label (a, b, …) the tutor reads like a typed answer. For "start":
   * the assignment id.
   */
  readonly value?: string;
  /** For "start": the server the assignment belongs to (the button is pressed in a DM). */
  readonly tenant?: string;
}

/** A typed answer from the answer modal. */
export interface ModalAnswer {
  readonly itemId?: string;
  readonly itemKey?: string;
  readonly answer: string;
}

/** How a question ended, for the disabled button that replaces its live ones. */
export type QuestionOutcome = "answered" | "correct" | "incorrect" | "skipped" | "superseded";

export interface AnsweredOptions {
  /** The custom_id of the button the learner pressed: kept coloured so they see their choice. */
  readonly chosenCustomId?: string;
}

/** The custom_id of the answer modal's text input. */
export const ANSWER_INPUT_ID = "answer";
/** The custom_id of the disabled button that says how a question ended. */
export const STATUS_ID = "status";

const MODAL_PREFIX = "modal:";
const KEY_PREFIX = "~";
const ACTION_IDS = new Set<DiscordAction["id"]>([
  "answer",
  "hint",
  "explain",
  "skip",
  "type",
  "start",
  "forget-confirm",
  "forget-cancel",
]);
/** The cancel button's action for each confirmation. */
const CANCEL_OF: Readonly<Record<ConfirmReply["action"], DiscordAction["id"]>> = {
  "forget-confirm": "forget-cancel",
};
const ELLIPSIS = "…";
const FENCE = "```";
/** Room kept in a chunk for closing a code block and reopening it (with its language) in the next. */
const FENCE_ROOM = 64;
const EMBED_COLOR = 0x2f9e8f;

const OUTCOMES: Readonly<Record<QuestionOutcome, string>> = {
  answered: "Answered",
  correct: "Answered ✓",
  incorrect: "Answered ✗",
  skipped: "Skipped",
  superseded: "Closed: a newer question took its place",
};

type ButtonRow = APIActionRowComponent<APIButtonComponent>;
type TopLevelComponent = APIMessageTopLevelComponent | JSONEncodable<APIMessageTopLevelComponent>;

// ---------------------------------------------------------------------------------------------
// Text: truncation and splitting that keep Markdown code blocks whole

/** At most `max` UTF-16 units, ending in "…" when cut; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, safeCut(text, Math.max(0, max - ELLIPSIS.length))).trimEnd()}${ELLIPSIS}`;
}

/**
 * Markdown in pieces of at most `max` characters, split between lines where it can (within a
 * long line at a space); a code block cut in two is closed and reopened, with its language, so
 * both halves render as code.
 */
export function splitMarkdown(text: string, max: number = DISCORD_LIMITS.content): string[] {
  const pieceMax = Math.max(16, max - FENCE_ROOM);
  const chunks: string[] = [];
  let lines: string[] = [];
  let size = 0;
  /** The line that opened the code block we are in, as it is reopened in the next chunk. */
  let reopen: string | undefined;
  /** Index in `lines` of the line that opened it, when that is in this chunk. */
  let openedAt = -1;
  const push = (line: string) => {
    size += (lines.length > 0 ? 1 : 0) + line.length;
    lines.push(line);
  };
  const flush = () => {
    if (reopen !== undefined && openedAt === lines.length - 1) lines.pop();
    else if (reopen !== undefined) lines.push(FENCE);
    const chunk = lines.join("\n").replace(/^\n+|\s+$/g, "");
    if (chunk) chunks.push(chunk);
    lines = [];
    size = 0;
    openedAt = -1;
    if (reopen !== undefined) {
      push(reopen);
      openedAt = 0;
    }
  };
  for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
    const toggles = line.split(FENCE).length % 2 === 0;
    for (const piece of splitLine(line, pieceMax)) {
      const isClosing = toggles && reopen !== undefined;
      // A closing fence always fits: its room was kept.
      const room = max - (reopen !== undefined && !isClosing ? FENCE.length + 1 : 0);
      if (lines.length > 0 && size + 1 + piece.length > room && !isClosing) flush();
      push(piece);
    }
    if (!toggles) continue;
    if (reopen === undefined) {
      const language = line.trim().match(/^```([\w+#.-]{0,40})\s*$/)?.[1] ?? "";
      reopen = `${FENCE}${language}`;
      openedAt = lines.length - 1;
    } else {
      reopen = undefined;
      openedAt = -1;
    }
  }
  // Close a block the text left open, as Discord would render it anyway.
  flush();
  return chunks;
}

/** At most `max` characters of Markdown, cut with "…"; a code block cut short is closed. */
export function truncateMarkdown(text: string, max: number = DISCORD_LIMITS.content): string {
  if (text.length <= max) return text;
  const first = splitMarkdown(text, Math.max(1, max - 2))[0] ?? "";
  return first.endsWith(FENCE) ? `${first}\n${ELLIPSIS}` : `${first.trimEnd()}${ELLIPSIS}`;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function safeCut(text: string, at: number): number {
  return at > 0 && isLowSurrogate(text.charCodeAt(at)) ? at - 1 : at;
}

/** One line in pieces of at most `max`, cut at a space where possible. */
function splitLine(line: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = line;
  while (rest.length > max) {
    let cut = safeCut(rest, max);
    const space = rest.lastIndexOf(" ", cut);
    if (space > max / 2) cut = space;
    if (cut <= 0) cut = max;
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  pieces.push(rest);
  return pieces;
}

/** Markdown → one line of plain text, for button labels and modal titles (which show no markup). */
export function toPlainLine(markdown: string): string {
  return markdown
    .split(/(`+[^`]*`+)/)
    .map((part, k) => (k % 2 === 1 ? part.replace(/^`+|`+$/g, "") : stripMarkup(part)))
    .join("")
    .replace(/\s+/g, " ")
    .trim();
}

function stripMarkup(text: string): string {
  return text
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/^\s*(#{1,3}|-#|>)\s+/gm, "")
    .replace(/(\*\*|__|~~|\|\|)(?=\S)(.+?)(?<=\S)\1/g, "$2")
    .replace(/(^|[^\p{L}\p{N}*])\*(?=\S)(.+?)(?<=\S)\*(?![\p{L}\p{N}*])/gu, "$1$2")
    .replace(/(^|[^\p{L}\p{N}_])_(?=\S)(.+?)(?<=\S)_(?![\p{L}\p{N}_])/gu, "$1$2")
    .replace(/\\([\\`*_{}[\]()#+\-.!|~>])/g, "$1");
}

/** An icon before a text; on its own line when the text opens with a block (code, heading, list). */
function withIcon(icon: string, text: string): string {
  return /^\s*(```|#{1,3}\s|-#?\s|\*\s|>|\d+\.\s)/.test(text)
    ? `${icon}\n${text}`
    : `${icon} ${text}`;
}

// ---------------------------------------------------------------------------------------------
// custom_id: what a button or modal carries, and reading it back

/**
 * A short, stable stand-in for an item id too long for a custom_id: "~" and 16 characters of
 * its SHA-256 (no item id starts with "~"). The adapter can compare it with `itemKey(open id)`.
 */
export function itemKey(itemId: string): string {
  return `${KEY_PREFIX}${createHash("sha256").update(itemId).digest("base64url").slice(0, 16)}`;
}

/** The item part of a custom_id: the id when the whole id fits in 100 characters, else its key. */
function itemRef(itemId: string, otherLength: number): string {
  if (itemId.startsWith(KEY_PREFIX)) return itemId;
  return otherLength + itemId.length <= DISCORD_LIMITS.customId ? itemId : itemKey(itemId);
}

function fromRef(ref: string): { itemId?: string; itemKey?: string } {
  if (ref === "") return {};
  return ref.startsWith(KEY_PREFIX) ? { itemKey: ref } : { itemId: ref };
}

/**
 * A button's custom_id: "answer:<item>:<label>", or "hint:<item>", "explain:<item>",
 * "skip:<item>", "type:<item>". The item is the item id when the whole custom_id fits in
 * Discord's 100 characters, else its key (see itemKey): the button still works, on the open question.
 * An assignment's Start is "start:<server>:<assignment>" (the server empty when the tenant is not
 * one, the assignment empty when its id does not fit); a confirmation's buttons are
 * "forget-confirm:" and "forget-cancel:".
 */
export function encodeCustomId(action: DiscordAction): string {
  if (action.id === "start") {
    const tenant =
      action.tenant !== undefined && /^\d{1,25}$/.test(action.tenant) ? action.tenant : "";
    const prefix = `start:${tenant}:`;
    const value = action.value ?? "";
    return prefix.length + value.length <= DISCORD_LIMITS.customId ? `${prefix}${value}` : prefix;
  }
  if (action.id === "forget-confirm" || action.id === "forget-cancel") return `${action.id}:`;
  const item = action.itemId ?? action.itemKey ?? "";
  if (action.id !== "answer") return `${action.id}:${itemRef(item, action.id.length + 1)}`;
  const value = action.value ?? "";
  return `answer:${itemRef(item, "answer:".length + 1 + value.length)}:${value}`;
}

/** A pressed button back as the tutor's action; undefined for a custom_id Socra did not make. */
export function parseCustomId(customId: string): DiscordAction | undefined {
  const colon = customId.indexOf(":");
  if (colon < 0) return undefined;
  const id = customId.slice(0, colon) as DiscordAction["id"];
  if (!ACTION_IDS.has(id)) return undefined;
  const rest = customId.slice(colon + 1);
  if (id === "start") {
    const match = /^(\d*):(.*)$/s.exec(rest);
    if (!match) return undefined;
    const [, tenant = "", value = ""] = match;
    return { id, ...(tenant ? { tenant } : {}), ...(value ? { value } : {}) };
  }
  if (id === "forget-confirm" || id === "forget-cancel") return { id };
  if (id !== "answer") return { id, ...fromRef(rest) };
  // Labels never hold ":"; an item id might, so the label is what follows the last one.
  const last = rest.lastIndexOf(":");
  if (last < 0) return undefined;
  return { id, ...fromRef(rest.slice(0, last)), value: rest.slice(last + 1) };
}

// ---------------------------------------------------------------------------------------------
// Builders

function noMentions(): Pick<DiscordPayload, "allowed_mentions" | "allowedMentions"> {
  return { allowed_mentions: { parse: [] }, allowedMentions: { parse: [] } };
}

function button(
  label: string,
  customId: string,
  style: ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Danger,
  emoji?: string,
): ButtonBuilder {
  const built = new ButtonBuilder()
    .setCustomId(customId)
    .setLabel(truncate(label.trim() || "…", DISCORD_LIMITS.buttonLabel))
    .setStyle(style);
  return emoji ? built.setEmoji({ name: emoji }) : built;
}

function row(buttons: readonly ButtonBuilder[]): ButtonRow {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(...buttons).toJSON();
}

/** Content in messages of at most 2000 characters, at most `maxMessages` of them. */
function contentChunks(content: string, maxMessages: number): string[] {
  const chunks = splitMarkdown(content, DISCORD_LIMITS.content);
  if (chunks.length <= maxMessages) return chunks;
  const kept = chunks.slice(0, Math.max(1, maxMessages));
  kept[kept.length - 1] = truncateMarkdown(`${kept.at(-1) ?? ""}\n${ELLIPSIS}`);
  return kept;
}

/**
 * Text (and components and files, under the last part) as messages; flags and mention rules on
 * each. Files beyond what one message carries go in messages of their own.
 */
function messages(
  content: string,
  components: ButtonRow[],
  options: Required<RenderOptions>,
  attachments: readonly Attachment[] = [],
): DiscordPayload[] {
  const chunks = contentChunks(content, options.maxMessages);
  const flags = options.ephemeral ? { flags: MessageFlags.Ephemeral as const } : {};
  const files = attachments.map(toFile);
  const { filesPerMessage } = DISCORD_LIMITS;
  const payloads: DiscordPayload[] = chunks.map((chunk, k) => ({
    content: chunk,
    ...(k === chunks.length - 1 && components.length > 0 ? { components } : {}),
    ...(k === chunks.length - 1 && files.length > 0
      ? { files: files.slice(0, filesPerMessage) }
      : {}),
    ...flags,
    ...noMentions(),
  }));
  const firstExtra = payloads.length > 0 ? filesPerMessage : 0;
  for (let start = firstExtra; start < files.length; start += filesPerMessage)
    payloads.push({
      files: files.slice(start, start + filesPerMessage),
      ...flags,
      ...noMentions(),
    });
  return payloads;
}

/** A reply's file as discord.js uploads it: the bytes, the name, the title as alt text. */
function toFile(attachment: Attachment): AttachmentPayload {
  const { data } = attachment;
  return {
    attachment: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    name: attachment.name,
    description: truncate(attachment.title, DISCORD_LIMITS.attachmentDescription),
  };
}

// ---------------------------------------------------------------------------------------------
// Replies

/**
 * One tutor reply as Discord messages: usually one; text longer than a message (2000
 * characters) is split into several at line breaks, code blocks closed and reopened, the buttons
 * and files under the last, and cut with "…" after `maxMessages`. Splitting rather than cutting
 * keeps a long explanation whole; for an edit that must stay one message, send the first and
 * follow up the rest. A confirmation gets its two buttons (confirm in red). A reply with no text
 * and no files renders as no message. Whether a private reply is ephemeral is the caller's call
 * (`ephemeral`): only interaction responses in a server can be.
 */
export function renderReply(reply: Reply, options: RenderOptions = {}): DiscordPayload[] {
  const resolved: Required<RenderOptions> = { ...DEFAULT_RENDER, ...options };
  const attachments = reply.attachments ?? [];
  switch (reply.kind) {
    case "question":
      return renderQuestion(reply, resolved);
    case "progress":
      return [renderProgress(reply, resolved)];
    case "confirm":
      return messages(reply.text.trim() || "…", [confirmRow(reply)], resolved, attachments);
    default: {
      const text = reply.text.trim();
      if (text === "") return attachments.length > 0 ? messages("", [], resolved, attachments) : [];
      return messages(replyContent(reply, text), [], resolved, attachments);
    }
  }
}

function confirmRow(reply: ConfirmReply): ButtonRow {
  return row([
    button(reply.confirmLabel, encodeCustomId({ id: reply.action }), ButtonStyle.Danger),
    button(
      reply.cancelLabel,
      encodeCustomId({ id: CANCEL_OF[reply.action] }),
      ButtonStyle.Secondary,
    ),
  ]);
}

/**
 * A notice sent to a learner outside a conversation (a new assignment, a reminder) as DM
 * messages, with a Start button when it opens practice. `tenant` is the server the notice comes
 * from: the button carries it, so pressing it in the DM practises there.
 */
export function renderNotice(notice: Notice, tenant: string): DiscordPayload[] {
  const start = notice.start
    ? [
        row([
          button(
            "Start",
            encodeCustomId({
              id: "start",
              tenant,
              ...(notice.start.assignmentId === undefined
                ? {}
                : { value: notice.start.assignmentId }),
            }),
            ButtonStyle.Primary,
            "▶️",
          ),
        ]),
      ]
    : [];
  return messages(notice.text.trim() || "…", start, DEFAULT_RENDER);
}

function replyContent(
  reply: Exclude<Reply, QuestionReply | ProgressReply | ConfirmReply>,
  text: string,
): string {
  switch (reply.kind) {
    case "feedback":
      return withIcon(reply.correct ? "✅" : "❌", text);
    case "hint":
      return reply.of > 1
        ? `${withIcon("💡", text)}\n-# Hint ${reply.rung} of ${reply.of}`
        : withIcon("💡", text);
    case "error":
      return withIcon("⚠️", text);
    default:
      return text;
  }
}

function whyLine(question: QuestionReply): string {
  const why = reasonLabel(question.reason) ?? escapeMarkdown(question.reason);
  return `-# **${escapeMarkdown(question.skillName)}** · ${why}`;
}

function questionContent(question: QuestionReply): string {
  const choices = (question.choices ?? []).map(
    (choice) => `**${escapeMarkdown(choice.label)})** ${choice.text}`,
  );
  const prompt = question.text.trim();
  return [
    whyLine(question),
    ...(prompt ? [prompt] : []),
    ...(choices.length > 0 ? ["", ...choices] : []),
  ].join("\n");
}

/** Choice buttons (up to four rows of five), then Answer (typed) / Hint / Explain / Skip. */
function questionRows(question: QuestionReply, hasControls: boolean): ButtonRow[] {
  const { buttonsPerRow, actionRows } = DISCORD_LIMITS;
  const choices = question.choices ?? [];
  // One row is always kept for the controls, so any item can be answered by typing.
  const shown = choices.slice(0, (actionRows - 1) * buttonsPerRow);
  const rows: ButtonRow[] = [];
  for (let start = 0; start < shown.length; start += buttonsPerRow) {
    rows.push(
      row(
        shown
          .slice(start, start + buttonsPerRow)
          .map((choice) =>
            button(
              `${choice.label}) ${toPlainLine(choice.text)}`,
              encodeCustomId({ id: "answer", itemId: question.itemId, value: choice.label }),
              ButtonStyle.Primary,
            ),
          ),
      ),
    );
  }
  const controls: ButtonBuilder[] = [];
  const item = { itemId: question.itemId };
  // Typing works in DMs, but in a server without the message content intent only a modal can
  // carry a typed answer; it also covers choices beyond the buttons' room.
  if (shown.length < Math.max(1, choices.length))
    controls.push(
      button("Answer", encodeCustomId({ id: "type", ...item }), ButtonStyle.Primary, "✏️"),
    );
  if (hasControls)
    controls.push(
      button("Hint", encodeCustomId({ id: "hint", ...item }), ButtonStyle.Secondary, "💡"),
      button("Explain", encodeCustomId({ id: "explain", ...item }), ButtonStyle.Secondary, "📘"),
      button("Skip", encodeCustomId({ id: "skip", ...item }), ButtonStyle.Secondary, "⏭️"),
    );
  if (controls.length > 0) rows.push(row(controls));
  return rows;
}

function renderQuestion(question: QuestionReply, options: Required<RenderOptions>) {
  return messages(questionContent(question), questionRows(question, options.hasControls), options);
}

// ---------------------------------------------------------------------------------------------
// Progress

function skillLine(skill: SkillView): string {
  const shown = skill.isStarted || skill.isMastered ? skill.mastery : 0;
  const name = escapeMarkdown(truncate(skill.name, 120));
  return `\`${masteryBar(shown)}\` **${name}** · ${skillStatus(skill, true)}`;
}

/** The summary and one line per skill, as many as fit, then how many more there are. */
function progressDescription(progress: ProgressReply, room: number): string {
  const { skills } = progress;
  const mastered = skills.filter((s) => s.isMastered).length;
  const summary = `**${mastered} of ${skills.length} skill${skills.length === 1 ? "" : "s"} mastered**`;
  if (skills.length === 0) return `${summary}\n\n*No skills in this course yet.*`;
  const lines = [summary, ""];
  let size = summary.length + 1;
  for (const [k, skill] of skills.entries()) {
    const line = skillLine(skill);
    const more = `*…and ${skills.length - k} more*`;
    // Room for this line, and for the "more" line should the next not fit.
    const isLast = k === skills.length - 1;
    if (size + 1 + line.length + (isLast ? 0 : 1 + more.length) > room) {
      lines.push(more);
      break;
    }
    lines.push(line);
    size += 1 + line.length;
  }
  return lines.join("\n");
}

function progressFields(progress: ProgressReply): { name: string; value: string; inline: true }[] {
  const accuracy =
    progress.accuracy === null
      ? "no answers yet"
      : `${Math.round(progress.accuracy * 100)}% right first time`;
  return [
    { name: "Accuracy", value: accuracy, inline: true },
    { name: "Items done", value: String(progress.itemsDone), inline: true },
    { name: "Streak", value: `${progress.streak} (best ${progress.bestStreak})`, inline: true },
  ];
}

function renderProgress(progress: ProgressReply, options: Required<RenderOptions>): DiscordPayload {
  const title = truncate(
    options.courseTitle ? `Your progress in ${options.courseTitle}` : "Your progress",
    DISCORD_LIMITS.embedTitle,
  );
  const fields = progressFields(progress);
  const others = embedLength({ title, fields });
  const room = Math.min(DISCORD_LIMITS.embedDescription, DISCORD_LIMITS.embedTotal - others);
  const embed = new EmbedBuilder()
    .setColor(EMBED_COLOR)
    .setTitle(title)
    .setDescription(progressDescription(progress, room))
    .addFields(fields)
    .toJSON();
  return {
    embeds: [embed],
    ...(options.ephemeral ? { flags: MessageFlags.Ephemeral as const } : {}),
    ...noMentions(),
  };
}

// ---------------------------------------------------------------------------------------------
// Answered questions

/**
 * A question message's components once it is answered, skipped or superseded: every button and
 * menu disabled (so none can be pressed twice), the pressed one kept coloured, and a disabled
 * button saying how it ended, in a row of its own (or the last row with room; with five full
 * rows it is left out). Takes the components as the message has them: API JSON, or discord.js
 * components (anything with `toJSON`). Components other than action rows are kept as they are.
 */
export function answeredComponents(
  components: readonly TopLevelComponent[],
  outcome: QuestionOutcome,
  options: AnsweredOptions = {},
): APIMessageTopLevelComponent[] {
  const chosenStyle =
    outcome === "correct"
      ? ButtonStyle.Success
      : outcome === "incorrect"
        ? ButtonStyle.Danger
        : ButtonStyle.Primary;
  const result: APIMessageTopLevelComponent[] = [];
  for (const raw of components) {
    const component = isJSONEncodable(raw) ? raw.toJSON() : raw;
    if (component.type !== ComponentType.ActionRow) {
      result.push(component);
      continue;
    }
    const disabled = component.components
      .filter((c) => !isStatusButton(c))
      .map((c) => disable(c, options.chosenCustomId, chosenStyle));
    if (disabled.length > 0) result.push({ ...component, components: disabled });
  }
  const status = new ButtonBuilder()
    .setCustomId(STATUS_ID)
    .setLabel(OUTCOMES[outcome])
    .setStyle(
      outcome === "correct"
        ? ButtonStyle.Success
        : outcome === "incorrect"
          ? ButtonStyle.Danger
          : ButtonStyle.Secondary,
    )
    .setDisabled(true)
    .toJSON();
  const rows = result.filter((c) => c.type === ComponentType.ActionRow);
  if (rows.length < DISCORD_LIMITS.actionRows) {
    result.push({ type: ComponentType.ActionRow, components: [status] });
    return result;
  }
  const roomy = rows.findLast(
    (r) =>
      r.components.length < DISCORD_LIMITS.buttonsPerRow &&
      r.components.every((c) => c.type === ComponentType.Button),
  );
  roomy?.components.push(status);
  return result;
}

/**
 * A message's components once one of its buttons was pressed for good (a confirmation): all
 * disabled, the pressed one keeping its colour, the others grey.
 */
export function pressedComponents(
  components: readonly TopLevelComponent[],
  chosenCustomId: string,
): APIMessageTopLevelComponent[] {
  return components.map((raw) => {
    const component = isJSONEncodable(raw) ? raw.toJSON() : raw;
    if (component.type !== ComponentType.ActionRow) return component;
    return { ...component, components: component.components.map((c) => press(c, chosenCustomId)) };
  });
}

function press(
  component: APIComponentInMessageActionRow,
  chosenCustomId: string,
): APIComponentInMessageActionRow {
  if (component.type !== ComponentType.Button || !("custom_id" in component))
    return { ...component, disabled: true };
  return component.custom_id === chosenCustomId
    ? { ...component, disabled: true }
    : { ...component, style: ButtonStyle.Secondary, disabled: true };
}

function isStatusButton(component: APIComponentInMessageActionRow): boolean {
  return (
    component.type === ComponentType.Button &&
    "custom_id" in component &&
    component.custom_id === STATUS_ID
  );
}

function disable(
  component: APIComponentInMessageActionRow,
  chosenCustomId: string | undefined,
  chosenStyle: ButtonStyle.Primary | ButtonStyle.Success | ButtonStyle.Danger,
): APIComponentInMessageActionRow {
  if (component.type !== ComponentType.Button) return { ...component, disabled: true };
  if (!("custom_id" in component)) return { ...component, disabled: true };
  const isChosen = chosenCustomId !== undefined && component.custom_id === chosenCustomId;
  return isChosen
    ? { ...component, style: chosenStyle, disabled: true }
    : {
        ...component,
        // The others fade to grey, so the pressed one stands out.
        style: chosenCustomId === undefined ? component.style : ButtonStyle.Secondary,
        disabled: true,
      };
}

// ---------------------------------------------------------------------------------------------
// Typed answers: the modal

/**
 * The modal for a typed answer (opened by the "Answer" button, where the bot cannot read
 * messages): the prompt shown above one required short text input "Your answer". `itemId` may
 * also be an item key from parseCustomId; custom_id "modal:<item>" as for buttons.
 */
export function answerModal(
  itemId: string,
  prompt: string,
): APIModalInteractionResponseCallbackData {
  const modal = new ModalBuilder()
    .setCustomId(`${MODAL_PREFIX}${itemRef(itemId, MODAL_PREFIX.length)}`)
    .setTitle("Answer the question");
  const shown = prompt.trim();
  if (shown !== "")
    modal.addTextDisplayComponents(
      new TextDisplayBuilder().setContent(truncateMarkdown(shown, DISCORD_LIMITS.textDisplay)),
    );
  modal.addLabelComponents(
    new LabelBuilder()
      .setLabel("Your answer")
      .setTextInputComponent(
        new TextInputBuilder()
          .setCustomId(ANSWER_INPUT_ID)
          .setStyle(TextInputStyle.Short)
          .setRequired(true)
          .setMaxLength(DISCORD_LIMITS.content),
      ),
  );
  return modal.toJSON();
}

/**
 * A submitted answer modal: the item it was for and the typed text. The text comes from a
 * function (discord.js: `(id) => interaction.fields.getTextInputValue(id)`) or from the
 * submission's components as the API sends them. Undefined for a modal Socra did not make.
 */
export function parseModalSubmit(
  customId: string,
  answerOf:
    | ((inputId: string) => string | null | undefined)
    | readonly APIModalSubmissionComponent[],
): ModalAnswer | undefined {
  if (!customId.startsWith(MODAL_PREFIX)) return undefined;
  const answer =
    typeof answerOf === "function" ? answerOf(ANSWER_INPUT_ID) : submittedText(answerOf);
  if (answer === null || answer === undefined) return undefined;
  return { ...fromRef(customId.slice(MODAL_PREFIX.length)), answer: answer.trim() };
}

function submittedText(components: readonly APIModalSubmissionComponent[]): string | undefined {
  for (const component of components) {
    const inputs =
      component.type === ComponentType.ActionRow
        ? component.components
        : component.type === ComponentType.Label
          ? [component.component]
          : [];
    for (const input of inputs)
      if (input.type === ComponentType.TextInput && input.custom_id === ANSWER_INPUT_ID)
        return input.value;
  }
  return undefined;
}

/** The tutor's action for a pressed button or a submitted answer; undefined for "type". */
export function toInboundAction(action: DiscordAction | ModalAnswer): Inbound["action"] {
  if ("answer" in action)
    return {
      id: "answer",
      ...(action.itemId !== undefined ? { itemId: action.itemId } : {}),
      value: action.answer,
    };
  if (action.id === "type") return undefined;
  if (action.id === "start")
    return { id: "start", ...(action.value === undefined ? {} : { value: action.value }) };
  if (action.id === "forget-confirm" || action.id === "forget-cancel") return { id: action.id };
  return {
    id: action.id,
    ...(action.itemId !== undefined ? { itemId: action.itemId } : {}),
    ...(action.value !== undefined ? { value: action.value } : {}),
  };
}
