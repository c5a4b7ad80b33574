import {
  ApplicationIntegrationType,
  InteractionContextType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  SlashCommandBuilder,
  type SlashCommandStringOption,
  type SlashCommandSubcommandBuilder,
} from "discord.js";
import { type Inbound, normalizeName } from "../../tutor/index.ts";
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

/**
 * The body for registering Socra's commands (PUT applications/{id}/commands, or a guild's):
 * `/tutor` with start [course], practice SKILL, hint, explain, skip, progress, courses, help, and
 * the `/hint` shortcut. `start` offers the course option only when there is more than one course.
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
 * Choices for the option being typed: courses (by id or title) for `course`, skills (by id or
 * name) of the learner's current course for `skill` (of every course when it is not known).
 * Best matches first (exact, prefix, word start, anywhere), at most 25, names ≤ 100 characters.
 */
export function autocomplete(
  courses: readonly CourseNames[],
  focused: FocusedOption,
  currentCourseId?: string,
): AutocompleteChoice[] {
  const candidates =
    focused.name === COURSE_OPTION
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
 * A used slash command as the tutor's `Inbound.command`: `/hint` and `/tutor hint` → hint,
 * `/tutor practice SKILL` → practice SKILL, `/tutor start` → start, and `/tutor start COURSE` →
 * course COURSE (the tutor's "switch to this course", which then starts practice). With
 * discord.js: `toInbound(i.commandName, i.options.getSubcommand(false), { course: …, skill: … })`.
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
  return { name, args: "" };
}
