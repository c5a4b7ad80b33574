import {
  ApplicationIntegrationType,
  InteractionContextType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  SlashCommandBuilder,
  type SlashCommandStringOption,
  type SlashCommandSubcommandBuilder,
  type SlashCommandSubcommandsOnlyBuilder,
} from "discord.js";
import {
  type Inbound,
  MAX_COUNT,
  MAX_NOTE_LENGTH,
  normalizeName,
  TEACHER_COMMANDS,
  type TeacherCommandName,
} from "../../tutor/index.ts";
import { DISCORD_LIMITS, truncate } from "./render.ts";

/*
 * Slash commands: what is registered with Discord, autocomplete for course and skill names,
 * and a used command back as the tutor's command. Built with the discord.js builders, which
 * validate names, descriptions and lengths; registered as the plain JSON they produce.
 */

/** An autocomplete choice as an interaction's response (and discord.js's `respond`) takes it. */
export interface AutocompleteChoice {
  readonly name: string;
  readonly value: string;
}

/** The option the learner is typing in, as Discord reports it. */
export interface FocusedOption {
  readonly name: string;
  readonly value: string | number | boolean;
  /** The `/tutor` subcommand it belongs to (`report`'s skill also offers courses). */
  readonly subcommand?: string | null;
}

/** A used command's option values by name (string options; others are ignored). */
export type CommandOptions = Readonly<Record<string, string | number | boolean | null | undefined>>;

export type TutorCommand = NonNullable<Inbound["command"]>;

/** What the commands need of a course (a content `Course` is one). */
export interface CourseNames {
  readonly id: string;
  readonly title: string;
  readonly skills: readonly { readonly id: string; readonly name: string }[];
}

/** The option names, shared by the definitions, autocomplete and toInbound. */
export const COURSE_OPTION = "course";
export const SKILL_OPTION = "skill";
/** `/tutor assign`: what to practise (a skill or a course), who, and how much, by when. */
export const ASSIGN_OPTIONS = {
  what: "what",
  to: "to",
  count: "count",
  due: "due",
  note: "note",
  until: "until",
} as const;
/** `/tutor unassign`'s assignment id, and `/tutor report`'s scope. */
export const ID_OPTION = "id";
export const FOR_OPTION = "for";
/** String options of the teacher commands, read by name when a command is used. */
export const STRING_OPTIONS = [
  COURSE_OPTION,
  SKILL_OPTION,
  ASSIGN_OPTIONS.what,
  ASSIGN_OPTIONS.to,
  ASSIGN_OPTIONS.due,
  ASSIGN_OPTIONS.note,
  ASSIGN_OPTIONS.until,
  ID_OPTION,
  FOR_OPTION,
] as const;
/** Integer options. */
export const INTEGER_OPTIONS = [ASSIGN_OPTIONS.count] as const;

/** Works in servers (installed to a server) and in the bot's DMs. */
const INTEGRATION_TYPES = [ApplicationIntegrationType.GuildInstall];
const CONTEXTS = [InteractionContextType.Guild, InteractionContextType.BotDM];

/** `/tutor` subcommands without options: name and description. */
const SIMPLE_SUBCOMMANDS: readonly (readonly [string, string])[] = [
  ["hint", "Get a hint for the current question"],
  ["explain", "Explain the skill behind the current question"],
  ["skip", "Skip the current question"],
  ["progress", "See your mastery, skill by skill"],
  ["courses", "List the courses you can practise"],
  ["help", "How to practise with Socra"],
];

function subcommand(name: string, description: string) {
  return (builder: SlashCommandSubcommandBuilder) =>
    builder.setName(name).setDescription(description);
}

function searchOption(name: string, description: string, isRequired: boolean) {
  return (option: SlashCommandStringOption) =>
    option
      .setName(name)
      .setDescription(description)
      .setRequired(isRequired)
      .setAutocomplete(true)
      .setMaxLength(DISCORD_LIMITS.choiceValue);
}

/** A string option for who or what, with an optional length cap. */
function textOption(name: string, description: string, isRequired: boolean, maxLength?: number) {
  return (option: SlashCommandStringOption) => {
    option.setName(name).setDescription(description).setRequired(isRequired);
    return maxLength === undefined ? option : option.setMaxLength(maxLength);
  };
}

/**
 * The teacher subcommands, in the tutor's grammar (see teacher-commands.ts). Discord has no
 * option for several mentions at once, so `to` is text: mentions typed there (`@ana @Class 7A
 * #maths`) arrive as `<@…>`, `<@&…>` and `<#…>`. Every member sees these subcommands (a teacher
 * role need not have Manage Server, and default_member_permissions can only ask for
 * permissions): the tutor checks who is a teacher on every use, and refuses everyone else.
 */
function addTeacherSubcommands(tutor: SlashCommandSubcommandsOnlyBuilder): void {
  tutor
    .addSubcommand((builder) =>
      subcommand(
        "assign",
        "Teachers: assign practice to people, a role or a channel",
      )(builder)
        .addStringOption(searchOption(ASSIGN_OPTIONS.what, "The skill or course to practise", true))
        .addStringOption(
          textOption(ASSIGN_OPTIONS.to, "Who: one or more @people, @roles or #channels", true),
        )
        .addIntegerOption((option) =>
          option
            .setName(ASSIGN_OPTIONS.count)
            .setDescription(`How many questions to practise (1 to ${MAX_COUNT})`)
            .setMinValue(1)
            .setMaxValue(MAX_COUNT),
        )
        .addStringOption(
          textOption(ASSIGN_OPTIONS.due, "Due date: 2026-12-01, friday, in 3 days", false, 40),
        )
        .addStringOption(
          textOption(ASSIGN_OPTIONS.note, "A note for the learners", false, MAX_NOTE_LENGTH),
        )
        .addStringOption((option) =>
          option
            .setName(ASSIGN_OPTIONS.until)
            .setDescription("When the assignment is complete")
            .addChoices(
              { name: "when mastered (the default)", value: "mastered" },
              { name: "when the count is done", value: "count" },
            ),
        ),
    )
    .addSubcommand(subcommand("assignments", "Teachers: open assignments and their completion"))
    .addSubcommand((builder) =>
      subcommand(
        "unassign",
        "Teachers: cancel an assignment",
      )(builder).addStringOption(
        textOption(ID_OPTION, "The assignment's id (see /tutor assignments)", true, 100),
      ),
    )
    .addSubcommand((builder) =>
      subcommand(
        "report",
        "Teachers: mastery, who is stuck, and common mistakes",
      )(builder)
        .addStringOption(
          textOption(
            FOR_OPTION,
            "A #channel, @person, @role or assignment id (default: all your learners)",
            false,
            100,
          ),
        )
        .addStringOption(searchOption(SKILL_OPTION, "Only this skill or course", false)),
    )
    .addSubcommand(subcommand("my-data", "Get everything Socra keeps about you, as a file"))
    .addSubcommand(subcommand("forget-me", "Delete everything Socra keeps about you"));
}

/**
 * The body for registering Socra's commands (PUT applications/{id}/commands, or a guild's):
 * `/tutor` with start [course], practice SKILL, hint, explain, skip, progress, courses, help, the
 * teacher commands (assign, assignments, unassign, report), my-data and forget-me, and the `/hint`
 * shortcut. `start` offers the course option only when there is more than one course.
 */
export function commandDefinitions(
  courses: readonly CourseNames[],
): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  const tutor = new SlashCommandBuilder()
    .setName("tutor")
    .setDescription("Practise with Socra, your tutor: questions, hints and your progress")
    .setIntegrationTypes(INTEGRATION_TYPES)
    .setContexts(CONTEXTS)
    .addSubcommand((builder) => {
      subcommand("start", "Start or resume practice")(builder);
      if (courses.length > 1)
        builder.addStringOption(
          searchOption(COURSE_OPTION, "The course to practise (default: your current one)", false),
        );
      return builder;
    })
    .addSubcommand((builder) =>
      subcommand(
        "practice",
        "Practise one skill of your course",
      )(builder).addStringOption(searchOption(SKILL_OPTION, "The skill to practise", true)),
    );
  for (const [name, description] of SIMPLE_SUBCOMMANDS)
    tutor.addSubcommand(subcommand(name, description));
  addTeacherSubcommands(tutor);
  const hint = new SlashCommandBuilder()
    .setName("hint")
    .setDescription("Get a hint for the current question")
    .setIntegrationTypes(INTEGRATION_TYPES)
    .setContexts(CONTEXTS);
  return [tutor.toJSON(), hint.toJSON()];
}

// ---------------------------------------------------------------------------------------------
// Autocomplete

/** How well a candidate matches: 0 exact, 1 prefix, 2 a word's start, 3 inside; undefined: no. */
function matchRank(query: string, texts: readonly string[]): number | undefined {
  if (query === "") return 0;
  let best: number | undefined;
  for (const raw of texts) {
    const text = normalizeName(raw);
    const rank =
      text === query
        ? 0
        : text.startsWith(query)
          ? 1
          : text.includes(` ${query}`)
            ? 2
            : text.includes(query)
              ? 3
              : undefined;
    if (rank !== undefined && (best === undefined || rank < best)) best = rank;
  }
  return best;
}

interface Candidate {
  readonly name: string;
  readonly value: string;
  readonly searchable: readonly string[];
}

function courseCandidates(courses: readonly CourseNames[]): Candidate[] {
  return courses.map((course) => ({
    name: course.title === course.id ? course.id : `${course.title} (${course.id})`,
    value: course.id,
    searchable: [course.id, course.title],
  }));
}

function skillCandidates(courses: readonly CourseNames[], currentCourseId?: string): Candidate[] {
  const current = courses.find((course) => course.id === currentCourseId);
  const searched = current ? [current] : courses;
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  for (const course of searched)
    for (const skill of course.skills) {
      if (seen.has(skill.id)) continue;
      seen.add(skill.id);
      candidates.push({
        // Across several courses, the course says which "Simplifying" is meant.
        name: searched.length > 1 ? `${skill.name} · ${course.title}` : skill.name,
        value: skill.id,
        searchable: [skill.id, skill.name],
      });
    }
  return candidates;
}

/**
 * What a teacher may assign or report on: every course, then every skill, each with the text the
 * tutor resolves to exactly it (the id; `course/skill` when a skill id is not unique).
 */
function assignableCandidates(courses: readonly CourseNames[]): Candidate[] {
  const skillIds = new Map<string, number>();
  for (const course of courses)
    for (const skill of course.skills) skillIds.set(skill.id, (skillIds.get(skill.id) ?? 0) + 1);
  const courseIds = new Set(courses.map((course) => course.id));
  const skills = courses.flatMap((course) =>
    course.skills.map((skill) => ({
      name: courses.length > 1 ? `${skill.name} · ${course.title}` : skill.name,
      value:
        skillIds.get(skill.id) === 1 && !courseIds.has(skill.id)
          ? skill.id
          : `${course.id}/${skill.id}`,
      searchable: [skill.id, skill.name],
    })),
  );
  return [
    ...courses.map((course) => ({
      name: `${course.title} (whole course)`,
      value: course.id,
      searchable: [course.id, course.title],
    })),
    ...skills,
  ];
}

/**
 * Choices for the option being typed: courses (by id or title) for `course`, skills (by id or
 * name) of the learner's current course for `skill` (of every course when it is not known), and
 * courses and skills for what a teacher assigns or reports on. Best matches first (exact, prefix,
 * word start, anywhere), at most 25, names ≤ 100 characters.
 */
export function autocomplete(
  courses: readonly CourseNames[],
  focused: FocusedOption,
  currentCourseId?: string,
): AutocompleteChoice[] {
  const isAssignable =
    focused.name === ASSIGN_OPTIONS.what ||
    (focused.name === SKILL_OPTION && focused.subcommand === "report");
  const candidates = isAssignable
    ? assignableCandidates(courses)
    : focused.name === COURSE_OPTION
      ? courseCandidates(courses)
      : focused.name === SKILL_OPTION
        ? skillCandidates(courses, currentCourseId)
        : [];
  const query = normalizeName(String(focused.value));
  return candidates
    .filter((candidate) => candidate.value.length <= DISCORD_LIMITS.choiceValue)
    .map((candidate, order) => ({ candidate, order, rank: matchRank(query, candidate.searchable) }))
    .filter((match) => match.rank !== undefined)
    .sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0) || a.order - b.order)
    .slice(0, DISCORD_LIMITS.autocompleteChoices)
    .map(({ candidate }) => ({
      name: truncate(candidate.name, DISCORD_LIMITS.choiceName),
      value: candidate.value,
    }));
}

// ---------------------------------------------------------------------------------------------
// A used command back as the tutor's command

function stringOption(options: CommandOptions, name: string): string {
  const value = options[name];
  return typeof value === "string" ? value.trim() : "";
}

/**
 * Text in double quotes for the tutor's grammar, which has no escapes: a quote inside becomes a
 * single quote, so the text cannot end early (`note "say "hi""` would).
 */
export function quoteText(text: string): string {
  const inner = text.replaceAll('"', "'").replaceAll("“", "‘").replaceAll("”", "’");
  return `"${inner.replace(/\s+/g, " ").trim()}"`;
}

/** Whether text names someone or something (a mention, or a plain @name / #name). */
function isTargetLike(text: string): boolean {
  return /^(<[@#!]|[@#])/.test(text);
}

/** `/tutor assign` as the tutor reads it: `"WHAT" to WHO [count N] [due D] [note "…"] [until U]`. */
function assignArgs(options: CommandOptions): string {
  const parts = [quoteText(stringOption(options, ASSIGN_OPTIONS.what)), "to"];
  parts.push(stringOption(options, ASSIGN_OPTIONS.to));
  const count = options[ASSIGN_OPTIONS.count];
  if (typeof count === "number") parts.push(`count ${count}`);
  const due = stringOption(options, ASSIGN_OPTIONS.due);
  if (due) parts.push(`due ${due}`);
  const note = stringOption(options, ASSIGN_OPTIONS.note);
  if (note) parts.push(`note ${quoteText(note)}`);
  const until = stringOption(options, ASSIGN_OPTIONS.until);
  if (until) parts.push(`until ${until}`);
  return parts.filter((part) => part !== "").join(" ");
}

/**
 * `/tutor report` as the tutor reads it: the scope as given when it is a mention (an id is said
 * to be an assignment's, whatever its shape), then the skill in quotes.
 */
function reportArgs(options: CommandOptions): string {
  const scope = stringOption(options, FOR_OPTION);
  const skill = stringOption(options, SKILL_OPTION);
  return [
    scope === "" ? "" : isTargetLike(scope) ? scope : `assignment ${scope}`,
    skill === "" ? "" : quoteText(skill),
  ]
    .filter((part) => part !== "")
    .join(" ");
}

function isTeacherCommand(name: string): name is TeacherCommandName {
  return (TEACHER_COMMANDS as readonly string[]).includes(name);
}

/**
 * A used slash command as the tutor's `Inbound.command`: `/hint` and `/tutor hint` → hint,
 * `/tutor practice SKILL` → practice SKILL, `/tutor start` → start, and `/tutor start COURSE` →
 * course COURSE (the tutor's "switch to this course", which then starts practice). The teacher
 * subcommands become their text in the tutor's grammar: `/tutor assign` → assign `"fractions" to
 * <@1> <@&2> count 5 due friday note "…"`, `/tutor unassign` → unassign ID, `/tutor report` →
 * report [SCOPE] ["SKILL"]. With discord.js: `toInbound(i.commandName,
 * i.options.getSubcommand(false), { course: …, skill: …, … })`.
 */
export function toInbound(
  command: string,
  subcommandName?: string | null,
  options: CommandOptions = {},
): TutorCommand {
  if (command !== "tutor") return { name: command, args: "" };
  const name = subcommandName ?? "start";
  if (name === "start") {
    const course = stringOption(options, COURSE_OPTION);
    return course ? { name: "course", args: course } : { name: "start", args: "" };
  }
  if (name === "practice") return { name, args: stringOption(options, SKILL_OPTION) };
  if (!isTeacherCommand(name)) return { name, args: "" };
  switch (name) {
    case "assign":
      return { name, args: assignArgs(options) };
    case "unassign":
      return { name, args: stringOption(options, ID_OPTION) };
    case "report":
      return { name, args: reportArgs(options) };
    default:
      return { name, args: "" };
  }
}

/** Whether a `/tutor` subcommand answers only its user (teacher commands and data requests). */
export function isPrivateSubcommand(name: string | null | undefined): boolean {
  return name !== null && name !== undefined && isTeacherCommand(name);
}
