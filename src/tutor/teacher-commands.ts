import { editDistance } from "../content/index.ts";
import { ValidationError } from "../engine/index.ts";
import { cleanText } from "./intents.ts";

/*
 * The teacher commands of Slack, Discord and the console, one grammar for all three:
 *
 *   assign SKILL|COURSE to TARGET… [count N] [due DATE] [note "…"] [until mastered|until count]
 *   assignments · unassign ID · report [#channel|@user|@group|ASSIGNMENT] [SKILL]
 *   my-data · forget-me
 *
 * Pure: the clock and the teacher's time zone come in as options. A mistake is a value with a
 * message that shows what was understood and what was not; nothing here throws on what a
 * teacher types.
 *
 * Date decisions (all in the teacher's time zone, UTC by default):
 * - a due date means the end of that day, 23:59:59.999 local (the last instant of the day when a
 *   DST change repeats or skips hours around midnight);
 * - `friday` (also `this friday`, `fri`) is the next Friday after today, never today: "today"
 *   says today, and a teacher writing a weekday on that weekday more likely means a week later;
 * - `next friday` is the Friday of next week, weeks starting on Monday (ISO 8601): on Monday
 *   23 November `friday` is 27 November and `next friday` 4 December; on a Saturday both are the
 *   coming Friday;
 * - `12/01`, `01.12.2026` and other day/month forms are refused (is 12/01 December or
 *   January?) with the possible readings written year first;
 * - a day before today is refused, and so is one more than a year (366 days) away.
 */

/** Teacher command names, as typed after `/tutor`. */
export const TEACHER_COMMANDS = [
  "assign",
  "assignments",
  "unassign",
  "report",
  "my-data",
  "forget-me",
] as const;
export type TeacherCommandName = (typeof TEACHER_COMMANDS)[number];

/** Where the command was typed; decides whether plain `@ana` / `#class-7a` are accepted. */
export type TeacherPlatform = "slack" | "discord" | "console";

/** Who should practise: a learner, every member of a channel, or a user group (Discord role). */
export interface TeacherTarget {
  readonly kind: "user" | "channel" | "group";
  /** The platform id (U123, 123456, C123, S123), or the local id or name on the console. */
  readonly id: string;
  /** As written, to echo back: a platform mention renders as the name in a reply. */
  readonly text: string;
  /** The display name a Slack mention carries (`<@U123|ana>`), when it has one. */
  readonly label?: string;
}

/** A due date: the teacher's local day, and its last instant. */
export interface Due {
  /** YYYY-MM-DD in the teacher's time zone. */
  readonly date: string;
  /** The end of that day (23:59:59.999 local), in ms since the epoch. */
  readonly dueAt: number;
}

/** When an assignment is complete: its skills mastered (the default), or `count` items done. */
export type Completion = "mastery" | "count";

export interface AssignCommand {
  readonly name: "assign";
  /** The skill or course as typed; see {@link resolveAssignable}. */
  readonly assignable: string;
  /** At least one; duplicates removed. */
  readonly targets: readonly TeacherTarget[];
  /** Items to practise, 1..100. */
  readonly count?: number;
  readonly due?: Due;
  /** At most {@link MAX_NOTE_LENGTH} characters. */
  readonly note?: string;
  /** "count" only with a count. */
  readonly completion: Completion;
}

/** What a report covers; without one, every learner the teacher can see. */
export type ReportScope =
  | { readonly kind: "target"; readonly target: TeacherTarget }
  | { readonly kind: "assignment"; readonly assignmentId: string };

export interface ReportCommand {
  readonly name: "report";
  readonly scope?: ReportScope;
  /** A skill or course as typed, to narrow the report; see {@link resolveAssignable}. */
  readonly skill?: string;
}

export type TeacherCommand =
  | AssignCommand
  | { readonly name: "assignments" }
  | { readonly name: "unassign"; readonly assignmentId: string }
  | ReportCommand
  | { readonly name: "my-data" }
  | { readonly name: "forget-me" };

/** The parts of a command read before the mistake (what "I understood" echoes). */
export interface UnderstoodCommand {
  readonly name?: TeacherCommandName;
  readonly assignable?: string;
  readonly targets?: readonly TeacherTarget[];
  readonly count?: number;
  readonly due?: Due;
  readonly note?: string;
  readonly completion?: Completion;
  readonly assignmentId?: string;
  readonly scope?: ReportScope;
  readonly skill?: string;
}

export type TeacherCommandResult =
  | { readonly ok: true; readonly command: TeacherCommand }
  | {
      readonly ok: false;
      /** For the teacher: what was understood, what was not, and how to write it. */
      readonly message: string;
      readonly understood: UnderstoodCommand;
      /** The words that could not be read, when the mistake is in particular words. */
      readonly notUnderstood?: string;
    };

export interface TeacherCommandOptions {
  /** The current time, ms since the epoch. */
  readonly now: number;
  /** The teacher's IANA time zone ("Europe/Paris"); default UTC. */
  readonly timeZone?: string;
  /**
   * On Slack and Discord plain `@ana` / `#class-7a` are refused: only a mention names someone
   * for sure. Without a platform (and on the console) plain names are local ids.
   */
  readonly platform?: TeacherPlatform;
  /**
   * Whether a bare word after `report` is an assignment id rather than a skill; default
   * {@link isDefaultAssignmentId}. `report assignment ID` always names an assignment.
   */
  readonly isAssignmentId?: (word: string) => boolean;
}

/** The largest `count`: items to practise in one assignment. */
export const MAX_COUNT = 100;
/** The longest `note`, in characters. */
export const MAX_NOTE_LENGTH = 500;
/** A due date further away than this is more likely a typo in the year. */
const MAX_DUE_DAYS = 366;

/** The default shape of an assignment id as typed: `A12`, `a-12`. */
export function isDefaultAssignmentId(word: string): boolean {
  return /^a-?\d+$/i.test(word);
}

// ---------------------------------------------------------------------------------------------
// Tokens

interface Token {
  readonly kind: "word" | "quoted" | "comma";
  readonly text: string;
  /** For a quoted token: whether its closing quote was found. */
  readonly isClosed: boolean;
}

/** Straight, curly and low-9 opening quotes; any of the double quotes closes. */
const OPEN_QUOTES = new Set(['"', "“", "„"]);
const CLOSE_QUOTES = new Set(['"', "”", "“"]);

/** Slack escapes &, < and > in command text; only its mentions keep a literal "<". */
function unescapeSlack(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** Words, commas and quoted strings; a platform mention `<…>` is one word even with spaces. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const isBoundary = (c: string) => /\s/.test(c) || c === "," || OPEN_QUOTES.has(c);
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === ",") {
      tokens.push({ kind: "comma", text: ",", isClosed: true });
      i++;
    } else if (OPEN_QUOTES.has(c)) {
      let end = i + 1;
      while (end < text.length && !CLOSE_QUOTES.has(text.charAt(end))) end++;
      const isClosed = end < text.length;
      tokens.push({ kind: "quoted", text: unescapeSlack(text.slice(i + 1, end).trim()), isClosed });
      i = end + 1;
    } else {
      // A platform mention; a lone "<" is an ordinary character.
      const close = c === "<" && /[@#!]/.test(text.charAt(i + 1)) ? text.indexOf(">", i) : -1;
      let end = close > 0 ? close + 1 : i;
      if (close < 0) while (end < text.length && !isBoundary(text.charAt(end))) end++;
      const word = text.slice(i, end);
      tokens.push({ kind: "word", text: close > 0 ? word : unescapeSlack(word), isClosed: true });
      i = end;
    }
  }
  return tokens;
}

const isWord = (token: Token | undefined, word: string): boolean =>
  token?.kind === "word" && token.text.toLowerCase() === word;

/** The closest candidate within a small edit distance, for "did you mean"; none for short words. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  if (lower.length < 3) return undefined;
  const cap = lower.length <= 4 ? 1 : 2;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate, cap);
    if (distance <= cap && (best === undefined || distance < best.distance))
      best = { candidate, distance };
  }
  return best?.candidate;
}

/** "a", "a or b", "a, b or c". */
function listOr(items: readonly string[], conjunction = "or"): string {
  return items.length <= 1
    ? (items[0] ?? "")
    : `${items.slice(0, -1).join(", ")} ${conjunction} ${items.at(-1)}`;
}

const quote = (text: string) => `"${text}"`;

// ---------------------------------------------------------------------------------------------
// Targets

const PLATFORM_NAMES: Record<"slack" | "discord", string> = { slack: "Slack", discord: "Discord" };

type TargetRead = { readonly target: TeacherTarget } | { readonly problem: string };

/** Whether a word is meant as a target (a mention, `@…` or `#…`), readable or not. */
function isTargetLike(word: string): boolean {
  return /^(<[@#!]|[@#])/.test(word);
}

function withLabel(target: Omit<TeacherTarget, "label">, label: string | undefined): TeacherTarget {
  const name = label?.replace(/^@/, "").trim();
  return name ? { ...target, label: name } : target;
}

/**
 * One target in any platform's syntax: Slack `<@U1>`, `<@U1|ana>`, `<#C1|general>`,
 * `<!subteam^S1|@group>`; Discord `<@1>`, `<@!1>`, `<#1>`, `<@&1>` (a role); the console's
 * `@ana`, `#class-7a`, `@group:7a`. Undefined when the word is not target-like.
 */
function readTarget(word: string, platform: TeacherPlatform | undefined): TargetRead | undefined {
  if (!isTargetLike(word)) return undefined;
  const text = word;
  let match = /^<@&(\d+)>$/.exec(word);
  if (match) return { target: { kind: "group", id: match[1] as string, text } };
  match = /^<@!?([A-Z0-9]+)(?:\|([^>]*))?>$/.exec(word);
  if (match) return { target: withLabel({ kind: "user", id: match[1] as string, text }, match[2]) };
  match = /^<#([A-Z0-9]+)(?:\|([^>]*))?>$/.exec(word);
  if (match)
    return { target: withLabel({ kind: "channel", id: match[1] as string, text }, match[2]) };
  match = /^<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>$/.exec(word);
  if (match)
    return { target: withLabel({ kind: "group", id: match[1] as string, text }, match[2]) };
  if (/^(<!(here|channel|everyone)(\|[^>]*)?>|@(here|channel|everyone))$/i.test(word))
    return {
      problem: `I can't assign to ${word}: name a #channel instead, and everyone in it gets the practice.`,
    };
  if (word.startsWith("<"))
    return {
      problem: `I can't read the mention ${word}: pick the name from the list as you type.`,
    };
  const group = /^@group:([\p{L}\p{N}][\p{L}\p{N}._-]*)$/iu.exec(word);
  const named = /^([@#])([\p{L}\p{N}][\p{L}\p{N}._-]*)$/u.exec(word);
  const id = group?.[1] ?? named?.[2];
  if (id === undefined)
    return { problem: `I can't tell who ${word} is: write @name, #channel or @group:name.` };
  const kind = group ? "group" : named?.[1] === "#" ? "channel" : "user";
  if (platform === "slack" || platform === "discord") {
    const what = kind === "channel" ? "channel" : kind === "group" ? "group" : "person";
    const sign = kind === "channel" ? "#" : "@";
    const pronoun = kind === "user" ? "them" : "it";
    return {
      problem: `I don't know which ${what} ${word} is: pick ${pronoun} from ${PLATFORM_NAMES[platform]}'s list as you type ${sign}, so it becomes a mention.`,
    };
  }
  return { target: { kind, id, text } };
}

// ---------------------------------------------------------------------------------------------
// Dates in a time zone

const DAY_MS = 86_400_000;
const WEEKDAYS = [
  "sunday",
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
] as const;
const WEEKDAY_ABBREVIATIONS: Readonly<Record<string, number>> = {
  sun: 0,
  mon: 1,
  tue: 2,
  tues: 2,
  wed: 3,
  weds: 3,
  thu: 4,
  thur: 4,
  thurs: 4,
  fri: 5,
  sat: 6,
};

/** Days since 1970-01-01 of a calendar day (a day number is zone-free). */
function dayNumber(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

function isoDate(days: number): string {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

function weekday(days: number): number {
  return new Date(days * DAY_MS).getUTCDay();
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "Friday 2026-11-27": the weekday confirms a relative date, the ISO date is unambiguous. */
function describeDay(days: number): string {
  return `${capitalized(WEEKDAYS[weekday(days)] as string)} ${isoDate(days)}`;
}

/** The first such weekday after today (1 to 7 days ahead): a weekday is never today. */
function nextWeekday(today: number, day: number): number {
  return today + ((day - weekday(today) + 7) % 7 || 7);
}

const pad = (n: number) => String(n).padStart(2, "0");

function weekdayOf(word: string): number | undefined {
  const lower = word.toLowerCase();
  const index = WEEKDAYS.indexOf(lower as (typeof WEEKDAYS)[number]);
  return index >= 0 ? index : WEEKDAY_ABBREVIATIONS[lower];
}

interface Zone {
  readonly name: string;
  /** The local calendar day of an instant, as a day number. */
  dayAt(instant: number): number;
  /** The last instant whose local day is this one. */
  endOfDay(days: number): number;
}

/** Local days and their ends in an IANA zone, computed with Intl (Node 24 has no Temporal). */
function createZone(timeZone: string): Zone {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch (cause) {
    throw new ValidationError("invalid_time_zone", `Unknown time zone "${timeZone}"`, { cause });
  }
  /** The local wall time of an instant, read as if it were UTC, to whole seconds. */
  const wallTime = (instant: number): number => {
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(instant))
      if (part.type !== "literal") parts[part.type] = Number(part.value);
    return Date.UTC(
      parts.year ?? 1970,
      (parts.month ?? 1) - 1,
      parts.day ?? 1,
      parts.hour ?? 0,
      parts.minute ?? 0,
      parts.second ?? 0,
    );
  };
  const offsetMs = (instant: number) => wallTime(instant) - Math.floor(instant / 1000) * 1000;
  return {
    name: timeZone,
    dayAt: (instant) => Math.floor(wallTime(instant) / DAY_MS),
    endOfDay(days) {
      const wall = days * DAY_MS + DAY_MS - 1;
      // The offsets a day either side; when both fit (a repeated hour), the later instant wins.
      let best: number | undefined;
      for (const probe of [wall - DAY_MS, wall + DAY_MS]) {
        const offset = offsetMs(probe);
        const instant = wall - offset;
        if (offsetMs(instant) === offset && (best === undefined || instant > best)) best = instant;
      }
      return best ?? wall - offsetMs(wall - DAY_MS);
    },
  };
}

type DueRead =
  | { readonly days: number; readonly length: number }
  | { readonly problem: string; readonly notUnderstood?: string };

/** Readings of a day/month form, year first, each the next such day when no year is given. */
function slashReadings(parts: readonly number[], today: number): string[] {
  const [a = 0, b = 0, c] = parts;
  const readings = new Set<string>();
  for (const [month, day] of [
    [a, b],
    [b, a],
  ] as const) {
    if (month < 1 || month > 12 || day < 1 || day > 31) continue;
    const thisYear = new Date(today * DAY_MS).getUTCFullYear();
    const years = c === undefined ? [thisYear, thisYear + 1] : [c < 100 ? 2000 + c : c];
    for (const year of years) {
      const days = dayNumber(year, month, day);
      if (isoDate(days) !== `${year}-${pad(month)}-${pad(day)}`) continue;
      if (c !== undefined || days >= today) {
        readings.add(isoDate(days));
        break;
      }
    }
  }
  return [...readings];
}

const DATE_WORDS = ["today", "tomorrow", "next", "this", "in", ...WEEKDAYS];

/** The day a due phrase names (ISO, today, tomorrow, weekday, next weekday, in N days/weeks). */
function readDue(tokens: readonly Token[], start: number, today: number, example: string): DueRead {
  const first = tokens[start];
  const tryDate = `try a date like ${example}, friday or in 3 days.`;
  if (first?.kind !== "word" || isOptionKeyword(first.text))
    return { problem: `After due, write a date: ${tryDate}` };
  const word = first.text.toLowerCase();
  // Year first is unambiguous, whatever the separator: 2026-12-01, 2026/12/01.
  const iso = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(word);
  if (iso) {
    const [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
    const days = dayNumber(year, month, day);
    if (isoDate(days) !== `${pad(year)}-${pad(month)}-${pad(day)}`)
      return {
        problem: `There is no day ${first.text}: check the month and the day.`,
        notUnderstood: first.text,
      };
    return { days, length: 1 };
  }
  const slash = /^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?$/.exec(word);
  if (slash) {
    const parts = [slash[1], slash[2], slash[3]].filter((p) => p !== undefined).map(Number);
    const readings = slashReadings(parts, today);
    const problem =
      readings.length === 0
        ? `${first.text} is not a date I can read: write dates year first, like ${example}.`
        : readings.length === 1
          ? `Write dates year first so no one reads them the wrong way round: due ${readings[0]}.`
          : `I can't tell whether ${first.text} is month/day or day/month: write ${listOr(readings.map((r) => `due ${r}`))}.`;
    return { problem, notUnderstood: first.text };
  }
  if (word === "today") return { days: today, length: 1 };
  if (word === "tomorrow") return { days: today + 1, length: 1 };
  const day = weekdayOf(word);
  if (day !== undefined) return { days: nextWeekday(today, day), length: 1 };
  const second = tokens[start + 1];
  const secondDay = second?.kind === "word" ? weekdayOf(second.text) : undefined;
  if (word === "this" || word === "next") {
    if (secondDay === undefined)
      return {
        problem: `After ${word}, write a weekday, like ${word} friday.`,
        notUnderstood: second?.text ?? word,
      };
    if (word === "this") return { days: nextWeekday(today, secondDay), length: 2 };
    const nextMonday = today - ((weekday(today) + 6) % 7) + 7;
    return { days: nextMonday + ((secondDay + 6) % 7), length: 2 };
  }
  if (word === "in") {
    const amount = second?.kind === "word" ? second.text.toLowerCase() : "";
    const unit = tokens[start + 2];
    const size = /^\d{1,4}$/.test(amount)
      ? Number(amount)
      : amount === "a" || amount === "an" || amount === "one"
        ? 1
        : undefined;
    const perUnit =
      unit?.kind !== "word"
        ? undefined
        : /^days?$/i.test(unit.text)
          ? 1
          : /^weeks?$/i.test(unit.text)
            ? 7
            : undefined;
    if (size === undefined || perUnit === undefined)
      return {
        problem: `After due in, write a number of days or weeks, like in 3 days or in 2 weeks.`,
        notUnderstood: [second?.text, unit?.text].filter(Boolean).join(" ") || "in",
      };
    return { days: today + size * perUnit, length: 3 };
  }
  const guess = closest(word, DATE_WORDS);
  return {
    problem: guess
      ? `I didn't understand ${quote(first.text)} after due: did you mean ${guess}? Or ${tryDate}`
      : `I didn't understand ${quote(first.text)} after due: ${tryDate}`,
    notUnderstood: first.text,
  };
}

// ---------------------------------------------------------------------------------------------
// Commands

const OPTION_KEYWORDS = ["count", "due", "note", "until"] as const;
type OptionKeyword = (typeof OPTION_KEYWORDS)[number];

function isOptionKeyword(word: string): word is OptionKeyword {
  return (OPTION_KEYWORDS as readonly string[]).includes(word.toLowerCase());
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function describeTarget(target: TeacherTarget): string {
  return target.text;
}

function describeScope(scope: ReportScope): string {
  return scope.kind === "target"
    ? describeTarget(scope.target)
    : `assignment ${scope.assignmentId}`;
}

/** The understood part as a command a teacher could have typed. */
function describe(understood: UnderstoodCommand, zoneName: string): string {
  const parts: string[] = understood.name ? [understood.name] : [];
  if (understood.assignable !== undefined) parts.push(quote(understood.assignable));
  if (understood.targets?.length)
    parts.push(`to ${understood.targets.map(describeTarget).join(", ")}`);
  if (understood.count !== undefined) parts.push(`count ${understood.count}`);
  if (understood.due) {
    const days = Date.parse(understood.due.date) / DAY_MS;
    parts.push(`due ${describeDay(days)}${zoneName === "UTC" ? "" : ` (${zoneName})`}`);
  }
  if (understood.note !== undefined) {
    const note = [...understood.note];
    parts.push(
      `note ${quote(note.length > 40 ? `${note.slice(0, 39).join("")}…` : note.join(""))}`,
    );
  }
  if (understood.completion === "count") parts.push("until count");
  if (understood.assignmentId !== undefined) parts.push(understood.assignmentId);
  if (understood.scope) parts.push(describeScope(understood.scope));
  if (understood.skill !== undefined) parts.push(quote(understood.skill));
  return parts.join(" ");
}

type Failure = Extract<TeacherCommandResult, { ok: false }>;

interface Context {
  readonly tokens: readonly Token[];
  readonly zone: Zone;
  readonly today: number;
  readonly platform: TeacherPlatform | undefined;
  readonly isAssignmentId: (word: string) => boolean;
}

/** A failure whose message starts with the understood command when more than its name is known. */
function fail(
  context: Context,
  understood: UnderstoodCommand,
  problem: string,
  notUnderstood?: string,
): Failure {
  const summary = describe(understood, context.zone.name);
  const hasMore = summary.includes(" ");
  return {
    ok: false,
    message: hasMore ? `I understood: ${summary}. ${problem}` : problem,
    understood,
    ...(notUnderstood === undefined ? {} : { notUnderstood }),
  };
}

const COMMAND_LIST = listOr([...TEACHER_COMMANDS]);
const WHO = "@people, #channels or @groups";

function parseAssign(context: Context, start: number): TeacherCommandResult {
  const { tokens } = context;
  const understood: Mutable<UnderstoodCommand> = { name: "assign" };
  const example = (name: string) => `assign ${quote(name)} to @ana`;
  let i = start;
  const first = tokens[i];
  if (first === undefined)
    return fail(
      context,
      understood,
      `Assign what, and to whom? Write the skill or course, then to and who should practise it, like ${example("Adding fractions")}.`,
    );
  let isQuoted = false;
  if (first.kind === "quoted") {
    if (!first.isClosed)
      return fail(
        context,
        understood,
        `The name ${quote(first.text)} has no closing quote.`,
        `"${first.text}`,
      );
    understood.assignable = first.text;
    isQuoted = true;
    i++;
  } else {
    const words: string[] = [];
    while (i < tokens.length) {
      const token = tokens[i] as Token;
      if (token.kind !== "word" || isWord(token, "to") || isTargetLike(token.text)) break;
      words.push(token.text);
      i++;
    }
    understood.assignable = words.join(" ");
    const keywordAt = words.findIndex(isOptionKeyword);
    if (!isWord(tokens[i], "to") && keywordAt > 0)
      // No "to": the options were probably written straight after the name.
      understood.assignable = words.slice(0, keywordAt).join(" ");
  }
  const name = understood.assignable;
  if (name === "") {
    delete understood.assignable;
    return fail(
      context,
      understood,
      `What should they practise? Write a skill or course before to, like ${example("Adding fractions")}.`,
    );
  }
  const next = tokens[i];
  if (!isWord(next, "to")) {
    if (next === undefined || isOptionKeyword(next.text))
      return fail(
        context,
        understood,
        `Who should practise? Add to and one or more ${WHO}, like ${example(name)}.`,
      );
    if (next.kind === "word" && isTargetLike(next.text))
      return fail(
        context,
        understood,
        `Put to before who should practise: assign ${quote(name)} to ${next.text}.`,
        next.text,
      );
    return fail(
      context,
      understood,
      `I didn't understand ${quote(next.text)} after ${quote(name)}: write to and who should practise next, like ${example(name)}.`,
      next.text,
    );
  }
  i++;

  const targets: TeacherTarget[] = [];
  const seen = new Set<OptionKeyword>();
  while (i < tokens.length) {
    const token = tokens[i] as Token;
    if (token.kind === "comma" || isWord(token, "and")) {
      i++;
      continue;
    }
    const read = token.kind === "word" ? readTarget(token.text, context.platform) : undefined;
    if (read && "problem" in read) return fail(context, understood, read.problem, token.text);
    if (read) {
      const { target } = read;
      if (!targets.some((t) => t.kind === target.kind && t.id === target.id)) {
        targets.push(target);
        understood.targets = [...targets];
      }
      i++;
      continue;
    }
    if (token.kind === "word" && isOptionKeyword(token.text)) {
      const keyword = token.text.toLowerCase() as OptionKeyword;
      if (seen.has(keyword))
        return fail(context, understood, `${keyword} is given twice: keep one.`, token.text);
      seen.add(keyword);
      const result = readOption(context, understood, keyword, i + 1);
      if ("ok" in result) return result;
      i = result.next;
      continue;
    }
    return fail(
      context,
      understood,
      unknownAfterTo(context, token, i, targets.length === 0, isQuoted ? undefined : name),
      token.kind === "quoted" ? `"${token.text}"` : token.text,
    );
  }
  if (targets.length === 0)
    return fail(
      context,
      understood,
      `Who should practise? After to, write one or more ${WHO}, like ${example(name)}.`,
    );
  if (understood.completion === "count" && understood.count === undefined)
    return fail(
      context,
      understood,
      `until count needs a count: add how many items, like count 10.`,
    );
  return {
    ok: true,
    command: {
      name: "assign",
      assignable: name,
      targets,
      ...(understood.count === undefined ? {} : { count: understood.count }),
      ...(understood.due === undefined ? {} : { due: understood.due }),
      ...(understood.note === undefined ? {} : { note: understood.note }),
      completion: understood.completion ?? "mastery",
    },
  };
}

/** The message for a word after `to` that is neither a target nor an option. */
function unknownAfterTo(
  context: Context,
  token: Token,
  at: number,
  isFirst: boolean,
  unquotedName: string | undefined,
): string {
  const shown = token.kind === "quoted" ? `"${token.text}"` : quote(token.text);
  if (isFirst) {
    const laterTo = context.tokens.findIndex((t, index) => index > at && isWord(t, "to"));
    const hint =
      unquotedName !== undefined && laterTo > 0
        ? ` If to is part of the name, put the name in quotes: assign ${quote(
            [unquotedName, "to", ...context.tokens.slice(at, laterTo).map((t) => t.text)].join(" "),
          )} to …`
        : "";
    return `I didn't understand ${shown} after to: write who should practise, as ${WHO}.${hint}`;
  }
  const guess = token.kind === "word" ? closest(token.text, OPTION_KEYWORDS) : undefined;
  const options = `count N, due DATE, note "…" and until count`;
  return guess
    ? `I didn't understand ${shown}: did you mean ${guess}? After who should practise come ${options}.`
    : `I didn't understand ${shown}: after who should practise come ${options}.`;
}

/** Reads one option's value into `understood`; the index after it, or the failure. */
function readOption(
  context: Context,
  understood: Mutable<UnderstoodCommand>,
  keyword: OptionKeyword,
  at: number,
): { readonly next: number } | Failure {
  const { tokens } = context;
  const value = tokens[at];
  switch (keyword) {
    case "count": {
      const range = `from 1 to ${MAX_COUNT}`;
      if (value?.kind !== "word" || isOptionKeyword(value.text) || isTargetLike(value.text))
        return fail(
          context,
          understood,
          `count needs a number of items ${range}, like count 10.`,
          "count",
        );
      const count = /^\d{1,4}$/.test(value.text) ? Number(value.text) : Number.NaN;
      if (!(count >= 1 && count <= MAX_COUNT))
        return fail(
          context,
          understood,
          `count must be a whole number ${range}, not ${value.text}.`,
          value.text,
        );
      understood.count = count;
      return { next: at + 1 };
    }
    case "until": {
      const word = value?.kind === "word" ? value.text.toLowerCase() : "";
      if (word === "mastered" || word === "mastery") understood.completion = "mastery";
      else if (word === "count") understood.completion = "count";
      else
        return fail(
          context,
          understood,
          `After until, write mastered (the default) or count.`,
          value?.text ?? "until",
        );
      return { next: at + 1 };
    }
    case "note": {
      if (value?.kind !== "quoted")
        return fail(
          context,
          understood,
          `Put the note in quotes, like note "Start with the red questions".`,
          value?.text ?? "note",
        );
      if (!value.isClosed)
        return fail(
          context,
          understood,
          `The note has no closing quote: end it with ".`,
          `"${value.text}`,
        );
      const length = [...value.text].length;
      if (length === 0)
        return fail(context, understood, `The note is empty: write it between the quotes.`, '""');
      if (length > MAX_NOTE_LENGTH)
        return fail(
          context,
          understood,
          `The note is ${length} characters long: keep it to ${MAX_NOTE_LENGTH}.`,
        );
      understood.note = value.text;
      return { next: at + 1 };
    }
    case "due": {
      const example = isoDate(context.today + 7);
      const read = readDue(tokens, at, context.today, example);
      if ("problem" in read) return fail(context, understood, read.problem, read.notUnderstood);
      const zoneNote = ` (${context.zone.name})`;
      if (read.days < context.today)
        return fail(
          context,
          understood,
          `The due date ${describeDay(read.days)} is in the past: today is ${describeDay(context.today)}${zoneNote}.`,
          tokens
            .slice(at, at + read.length)
            .map((t) => t.text)
            .join(" "),
        );
      if (read.days > context.today + MAX_DUE_DAYS)
        return fail(
          context,
          understood,
          `The due date ${describeDay(read.days)} is more than a year away: pick a day before ${isoDate(context.today + MAX_DUE_DAYS + 1)}.`,
          tokens
            .slice(at, at + read.length)
            .map((t) => t.text)
            .join(" "),
        );
      understood.due = { date: isoDate(read.days), dueAt: context.zone.endOfDay(read.days) };
      return { next: at + read.length };
    }
  }
}

function parseReport(context: Context, start: number): TeacherCommandResult {
  const { tokens } = context;
  const understood: Mutable<UnderstoodCommand> = { name: "report" };
  let i = start;
  const first = tokens[i];
  if (first?.kind === "word") {
    const read = readTarget(first.text, context.platform);
    if (read && "problem" in read) return fail(context, understood, read.problem, first.text);
    if (read) {
      understood.scope = { kind: "target", target: read.target };
      i++;
    } else if (isWord(first, "assignment")) {
      const id = tokens[i + 1];
      if (id?.kind !== "word")
        return fail(
          context,
          understood,
          `Which assignment? Write its id after assignment; assignments lists them.`,
        );
      understood.scope = { kind: "assignment", assignmentId: id.text };
      i += 2;
    } else if (context.isAssignmentId(first.text)) {
      understood.scope = { kind: "assignment", assignmentId: first.text };
      i++;
    }
  }
  const rest = tokens.slice(i).filter((t) => t.kind !== "comma");
  const stray = rest.find((t) => t.kind === "word" && isTargetLike(t.text));
  if (stray)
    return fail(
      context,
      understood,
      understood.scope
        ? `A report covers one #channel, @user, @group or assignment at a time; I didn't understand ${quote(stray.text)}.`
        : `Put who the report is about first, like report ${stray.text} fractions.`,
      stray.text,
    );
  const unclosed = rest.find((t) => t.kind === "quoted" && !t.isClosed);
  if (unclosed)
    return fail(
      context,
      understood,
      `The name ${quote(unclosed.text)} has no closing quote.`,
      `"${unclosed.text}`,
    );
  const skill = rest.map((t) => t.text).join(" ");
  return {
    ok: true,
    command: {
      name: "report",
      ...(understood.scope ? { scope: understood.scope } : {}),
      ...(skill === "" ? {} : { skill }),
    },
  };
}

function parseUnassign(context: Context, start: number): TeacherCommandResult {
  const [id, extra] = context.tokens.slice(start).filter((t) => t.kind !== "comma");
  const understood: Mutable<UnderstoodCommand> = { name: "unassign" };
  if (id?.kind !== "word")
    return fail(
      context,
      understood,
      `Which assignment? Write unassign and its id; assignments lists them.`,
      id?.text,
    );
  understood.assignmentId = id.text;
  if (extra)
    return fail(
      context,
      understood,
      `unassign takes one assignment id at a time; I didn't understand ${quote(extra.text)}.`,
      extra.text,
    );
  return { ok: true, command: { name: "unassign", assignmentId: id.text } };
}

/** The command name at the start and where its arguments begin, or the unknown word. */
function readName(
  tokens: readonly Token[],
): { readonly name: TeacherCommandName; readonly next: number } | { readonly unknown: string } {
  let i = isWord(tokens[0], "/tutor") || isWord(tokens[0], "tutor") ? 1 : 0;
  const token = tokens[i];
  if (token?.kind !== "word") return { unknown: token?.text ?? "" };
  const word = token.text.toLowerCase().replace(/^\//, "").replaceAll("_", "-");
  i++;
  if (
    (word === "my" && isWord(tokens[i], "data")) ||
    (word === "forget" && isWord(tokens[i], "me"))
  )
    return { name: word === "my" ? "my-data" : "forget-me", next: i + 1 };
  const name = TEACHER_COMMANDS.find((command) => command === word);
  return name ? { name, next: i } : { unknown: token.text };
}

/**
 * Parses a teacher command (`assign …`, `assignments`, `unassign ID`, `report …`, `my-data`,
 * `forget-me`, with or without a leading `/tutor`) typed on Slack, Discord or the console.
 * Dates are read in `timeZone` relative to `now`. A mistake is a value whose message shows what
 * was understood and what was not; it throws only for an unknown `timeZone` or a bad `now`.
 */
export function parseTeacherCommand(
  text: string,
  options: TeacherCommandOptions,
): TeacherCommandResult {
  if (!Number.isFinite(options.now))
    throw new ValidationError("invalid_time", `now must be a finite time, got ${options.now}`);
  const zone = createZone(options.timeZone ?? "UTC");
  // A sentence-final full stop is not part of the last word ("due friday.").
  const tokens = tokenize(cleanText(text).replace(/(?<=[^.])[.!]+$/u, ""));
  const context: Context = {
    tokens,
    zone,
    today: zone.dayAt(options.now),
    platform: options.platform,
    isAssignmentId: options.isAssignmentId ?? isDefaultAssignmentId,
  };
  const read = readName(tokens);
  if ("unknown" in read) {
    if (read.unknown === "") return fail(context, {}, `Write a command: ${COMMAND_LIST}.`);
    const guess = closest(read.unknown.replace(/^\//, ""), TEACHER_COMMANDS);
    return fail(
      context,
      {},
      `I don't know the command ${quote(read.unknown)}.${guess ? ` Did you mean ${guess}?` : ""} Teacher commands: ${listOr([...TEACHER_COMMANDS], "and")}.`,
      read.unknown,
    );
  }
  switch (read.name) {
    case "assign":
      return parseAssign(context, read.next);
    case "report":
      return parseReport(context, read.next);
    case "unassign":
      return parseUnassign(context, read.next);
    default: {
      const extra = tokens.slice(read.next);
      if (extra.length > 0) {
        const words = extra.map((t) => (t.kind === "quoted" ? `"${t.text}"` : t.text)).join(" ");
        return fail(
          context,
          { name: read.name },
          `${read.name} takes nothing after it; I didn't understand ${quote(words)}.`,
          words,
        );
      }
      return { ok: true, command: { name: read.name } };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Skill and course names

/** What resolving needs of a course (a content `Course` is one). */
export interface AssignableCourse {
  readonly id: string;
  readonly title: string;
  readonly skills: readonly { readonly id: string; readonly name: string }[];
}

/** A skill of a course, or a whole course. */
export type Assignable =
  | { readonly kind: "skill"; readonly courseId: string; readonly skillId: string }
  | { readonly kind: "course"; readonly courseId: string };

/** A skill or course a teacher may have meant. */
export interface AssignableChoice {
  readonly assignable: Assignable;
  /** The skill's name or the course's title. */
  readonly name: string;
  /** What to type to get exactly this one: its id, or `course/skill` when the id is not unique. */
  readonly text: string;
}

export type ResolveAssignableResult =
  | { readonly ok: true; readonly assignable: Assignable; readonly name: string }
  | {
      readonly ok: false;
      readonly message: string;
      readonly suggestions: readonly AssignableChoice[];
    };

/** At most this many "did you mean" suggestions. */
const MAX_SUGGESTIONS = 3;

/**
 * A name as typed, for matching course and skill names: lower case, accents dropped, spaces,
 * dashes and underscores as one space.
 */
export function normalizeName(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[\s_-]+/g, " ")
    .trim();
}

interface Candidate extends AssignableChoice {
  readonly id: string;
  readonly keys: readonly string[];
  readonly courseTitle: string;
}

function candidatesOf(courses: readonly AssignableCourse[]): Candidate[] {
  const skillIds = new Map<string, number>();
  for (const course of courses)
    for (const skill of course.skills) skillIds.set(skill.id, (skillIds.get(skill.id) ?? 0) + 1);
  const courseIds = new Set(courses.map((course) => course.id));
  const candidates: Candidate[] = [];
  for (const course of courses) {
    candidates.push({
      assignable: { kind: "course", courseId: course.id },
      name: course.title,
      text: course.id,
      id: normalizeName(course.id),
      keys: [normalizeName(course.id), normalizeName(course.title)],
      courseTitle: course.title,
    });
    for (const skill of course.skills) {
      const isUnique = skillIds.get(skill.id) === 1 && !courseIds.has(skill.id);
      candidates.push({
        assignable: { kind: "skill", courseId: course.id, skillId: skill.id },
        name: skill.name,
        text: isUnique ? skill.id : `${course.id}/${skill.id}`,
        id: normalizeName(skill.id),
        keys: [normalizeName(skill.id), normalizeName(skill.name)],
        courseTitle: course.title,
      });
    }
  }
  return candidates;
}

/** How a choice reads in a message: `"Adding fractions" (adding-fractions)`. */
function describeChoice(candidate: Candidate, hasManyCourses: boolean): string {
  const label =
    candidate.assignable.kind === "course"
      ? `the course ${quote(candidate.name)}`
      : `${quote(candidate.name)}${hasManyCourses ? ` in ${candidate.courseTitle}` : ""}`;
  return normalizeName(candidate.name) === normalizeName(candidate.text)
    ? label
    : `${label} (${candidate.text})`;
}

/** Whether a query word names a key word: its start, or the word with one typo. */
function isSameWord(queryWord: string, keyWord: string): boolean {
  return (
    keyWord.startsWith(queryWord) ||
    (keyWord.length >= 3 && editDistance(queryWord, keyWord, 1) <= 1)
  );
}

/**
 * Lower is better: 1 prefix, 2 a word's start, 3 inside, 4-6 a typo, 10-11 shared words. Shared
 * words count by how rare they are among the candidates (`weight`), so "adding fractions" finds
 * the adding skills before every skill with "fractions" in its name.
 */
function suggestionScore(
  query: string,
  keys: readonly string[],
  weight: (queryWord: string) => number,
): number | undefined {
  let best: number | undefined;
  const better = (score: number) => {
    if (best === undefined || score < best) best = score;
  };
  // A typo or two, not another word: "fractons", not "dividing" for "adding".
  const cap = Math.max(1, Math.floor(query.length / 6));
  const queryWords = query.split(" ").filter((word) => word.length >= 3);
  const total = queryWords.reduce((sum, word) => sum + weight(word), 0);
  for (const key of keys) {
    if (key.startsWith(query)) better(1);
    else if (key.includes(` ${query}`)) better(2);
    else if (key.includes(query)) better(3);
    const distance = editDistance(query, key, cap);
    if (distance <= cap) better(3 + distance);
    const keyWords = key.split(" ");
    const shared = queryWords
      .filter((word) => keyWords.some((keyWord) => isSameWord(word, keyWord)))
      .reduce((sum, word) => sum + weight(word), 0);
    if (shared > 0) better(11 - shared / total);
  }
  return best;
}

/**
 * Finds the skill or course a teacher named, by id or name (case, accents, dashes and spaces
 * ignored), or `course/skill` when a skill id is in several courses. An id beats a name; a tie
 * between one course and skills goes to the course. Not found or ambiguous: a message with up
 * to three suggestions, each with the exact text to type.
 */
export function resolveAssignable(
  text: string,
  courses: readonly AssignableCourse[],
): ResolveAssignableResult {
  const query = normalizeName(text.replace(/^["“„]|["”“]$/g, ""));
  const candidates = candidatesOf(courses);
  const hasManyCourses = courses.length > 1;
  const ok = (candidate: Candidate): ResolveAssignableResult => ({
    ok: true,
    assignable: candidate.assignable,
    name: candidate.name,
  });
  if (query === "")
    return { ok: false, message: "Write the skill or course to practise.", suggestions: [] };

  const slash = text.indexOf("/");
  if (slash > 0) {
    const courseQuery = normalizeName(text.slice(0, slash));
    const skillQuery = normalizeName(text.slice(slash + 1));
    const found = candidates.find((candidate) => {
      const { assignable } = candidate;
      if (assignable.kind !== "skill" || !candidate.keys.includes(skillQuery)) return false;
      const course = courses.find((c) => c.id === assignable.courseId);
      return (
        course !== undefined && [course.id, course.title].map(normalizeName).includes(courseQuery)
      );
    });
    if (found) return ok(found);
  }

  const byId = candidates.filter((candidate) => candidate.id === query);
  const byName = candidates.filter((candidate) => candidate.keys.includes(query));
  const matches = byId.length > 0 ? byId : byName;
  const courseMatches = matches.filter((candidate) => candidate.assignable.kind === "course");
  const single =
    matches.length === 1 ? matches[0] : courseMatches.length === 1 ? courseMatches[0] : undefined;
  if (single) return ok(single);
  if (matches.length > 1) {
    const choices = matches.slice(0, MAX_SUGGESTIONS);
    return {
      ok: false,
      message: `${quote(text)} could be ${listOr(choices.map((c) => describeChoice(c, true)))}: write the id in brackets for the one you mean.`,
      suggestions: choices.map(toChoice),
    };
  }

  const candidateWords = candidates.map((candidate) => candidate.keys.flatMap((k) => k.split(" ")));
  const weight = (queryWord: string) =>
    1 /
    Math.max(
      1,
      candidateWords.filter((words) => words.some((w) => isSameWord(queryWord, w))).length,
    );
  const suggestions = candidates
    .map((candidate, order) => ({
      candidate,
      order,
      score: suggestionScore(query, candidate.keys, weight),
    }))
    .filter(
      (s): s is { candidate: Candidate; order: number; score: number } => s.score !== undefined,
    )
    .sort((a, b) => a.score - b.score || a.order - b.order)
    .slice(0, MAX_SUGGESTIONS)
    .map((s) => s.candidate);
  const unknown = `I don't know a skill or course called ${quote(text)}`;
  return {
    ok: false,
    message:
      suggestions.length > 0
        ? `${unknown}. Did you mean ${listOr(suggestions.map((c) => describeChoice(c, hasManyCourses)))}?`
        : `${unknown}: check the spelling, or write its id.`,
    suggestions: suggestions.map(toChoice),
  };
}

function toChoice(candidate: Candidate): AssignableChoice {
  return { assignable: candidate.assignable, name: candidate.name, text: candidate.text };
}
