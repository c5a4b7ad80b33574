import { fileURLToPath } from "node:url";
import {
  type APIApplicationCommandBasicOption,
  type APIApplicationCommandOption,
  type APIApplicationCommandSubcommandOption,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
} from "discord.js";
import { beforeAll, describe, expect, it } from "vitest";
import {
  autocomplete,
  type CourseNames,
  commandDefinitions,
  isPrivateSubcommand,
  quoteText,
  toInbound,
} from "../../../src/adapters/discord/commands.ts";
import { type Course, loadCourseDirectory } from "../../../src/content/index.ts";
import {
  COMMANDS,
  parseTeacherCommand,
  resolveAssignable,
  TEACHER_COMMANDS,
} from "../../../src/tutor/index.ts";

const COURSES_DIR = fileURLToPath(new URL("../../../courses/", import.meta.url));

let courses: Course[];

beforeAll(async () => {
  courses = await loadCourseDirectory(COURSES_DIR);
});

function subcommands(command: { options?: readonly APIApplicationCommandOption[] | undefined }) {
  return (command.options ?? []).filter(
    (o): o is APIApplicationCommandSubcommandOption =>
      o.type === ApplicationCommandOptionType.Subcommand,
  );
}

function optionsOf(sub: APIApplicationCommandSubcommandOption | undefined) {
  return (sub?.options ?? []) as APIApplicationCommandBasicOption[];
}

describe("commandDefinitions", () => {
  it("matches the registration payload for the bundled courses", () => {
    expect(courses.map((c) => c.id).sort()).toEqual(["fractions", "python-basics"]);
    // As it goes over the wire: JSON, without the builders' undefined fields.
    expect(JSON.parse(JSON.stringify(commandDefinitions(courses)))).toMatchSnapshot();
  });

  it("registers /tutor with its subcommands and the /hint shortcut, in servers and bot DMs", () => {
    const definitions = commandDefinitions(courses);
    expect(definitions.map((d) => d.name)).toEqual(["tutor", "hint"]);
    for (const definition of definitions) {
      expect(definition.type ?? ApplicationCommandType.ChatInput).toBe(
        ApplicationCommandType.ChatInput,
      );
      expect(definition.integration_types).toEqual([ApplicationIntegrationType.GuildInstall]);
      expect(definition.contexts).toEqual([
        InteractionContextType.Guild,
        InteractionContextType.BotDM,
      ]);
    }
    const [tutor] = definitions;
    expect(subcommands(tutor ?? {}).map((s) => s.name)).toEqual([
      "start",
      "practice",
      "hint",
      "explain",
      "skip",
      "progress",
      "courses",
      "help",
      "assign",
      "assignments",
      "unassign",
      "report",
      "my-data",
      "forget-me",
    ]);
    // Every subcommand is a command the tutor knows (start with a course switches to it).
    const known: readonly string[] = [...COMMANDS, ...TEACHER_COMMANDS];
    for (const sub of subcommands(tutor ?? {}))
      expect(known).toContain(toInbound("tutor", sub.name, {}).name);
    // Everyone sees the teacher commands: a teacher role need not have Manage Server, so the
    // tutor checks each use instead of Discord hiding them.
    expect(tutor?.default_member_permissions ?? null).toBeNull();
  });

  it("offers assign's options: what (autocomplete), to, count 1–100, due, note, until", () => {
    const [tutor] = commandDefinitions(courses);
    const assign = subcommands(tutor ?? {}).find((s) => s.name === "assign");
    expect(optionsOf(assign)).toEqual([
      expect.objectContaining({ name: "what", required: true, autocomplete: true }),
      expect.objectContaining({
        name: "to",
        type: ApplicationCommandOptionType.String,
        required: true,
      }),
      expect.objectContaining({
        name: "count",
        type: ApplicationCommandOptionType.Integer,
        min_value: 1,
        max_value: 100,
      }),
      expect.objectContaining({ name: "due", type: ApplicationCommandOptionType.String }),
      expect.objectContaining({ name: "note", max_length: 500 }),
      expect.objectContaining({
        name: "until",
        choices: [
          expect.objectContaining({ value: "mastered" }),
          expect.objectContaining({ value: "count" }),
        ],
      }),
    ]);
    const report = subcommands(tutor ?? {}).find((s) => s.name === "report");
    expect(optionsOf(report)).toEqual([
      expect.objectContaining({ name: "for", required: false }),
      expect.objectContaining({ name: "skill", required: false, autocomplete: true }),
    ]);
    const unassign = subcommands(tutor ?? {}).find((s) => s.name === "unassign");
    expect(optionsOf(unassign)).toEqual([expect.objectContaining({ name: "id", required: true })]);
  });

  it("keeps every description within 100 characters", () => {
    for (const definition of commandDefinitions(courses)) {
      const descriptions = [
        definition.description,
        ...subcommands(definition).flatMap((s) => [
          s.description,
          ...optionsOf(s).map((o) => o.description),
        ]),
      ];
      for (const description of descriptions) {
        expect(description.length).toBeGreaterThan(0);
        expect(description.length).toBeLessThanOrEqual(100);
      }
    }
  });

  it("offers course and skill options with autocomplete; the course only with several courses", () => {
    const [tutor] = commandDefinitions(courses);
    const find = (name: string) => subcommands(tutor ?? {}).find((s) => s.name === name);
    expect(optionsOf(find("start"))).toEqual([
      expect.objectContaining({
        name: "course",
        type: ApplicationCommandOptionType.String,
        required: false,
        autocomplete: true,
      }),
    ]);
    expect(optionsOf(find("practice"))).toEqual([
      expect.objectContaining({
        name: "skill",
        type: ApplicationCommandOptionType.String,
        required: true,
        autocomplete: true,
      }),
    ]);
    const [single] = commandDefinitions(courses.slice(0, 1));
    const start = subcommands(single ?? {}).find((s) => s.name === "start");
    expect(optionsOf(start)).toEqual([]);
  });
});

describe("autocomplete", () => {
  const names = (choices: readonly { name: string }[]) => choices.map((c) => c.name);

  it("lists every course for an empty course option, by title and id", () => {
    expect(autocomplete(courses, { name: "course", value: "" })).toEqual(
      courses.map((c) => ({ name: `${c.title} (${c.id})`, value: c.id })),
    );
  });

  it("matches courses by id or title, case- and accent-insensitively", () => {
    expect(autocomplete(courses, { name: "course", value: "FRAC" }).map((c) => c.value)).toEqual([
      "fractions",
    ]);
    expect(autocomplete(courses, { name: "course", value: "pythön" }).map((c) => c.value)).toEqual([
      "python-basics",
    ]);
    expect(autocomplete(courses, { name: "course", value: "basics" }).map((c) => c.value)).toEqual([
      "python-basics",
    ]);
    expect(autocomplete(courses, { name: "course", value: "zzz" })).toEqual([]);
  });

  it("offers the current course's skills, best matches first", () => {
    const fractions = courses.find((c) => c.id === "fractions");
    if (!fractions) return expect.fail("no fractions course");
    const all = autocomplete(courses, { name: "skill", value: "" }, "fractions");
    expect(all).toEqual(fractions.skills.slice(0, 25).map((s) => ({ name: s.name, value: s.id })));
    const mixed = autocomplete(courses, { name: "skill", value: "mixed" }, "fractions");
    // "Mixed numbers…" starts with it; the others have it as a later word.
    expect(names(mixed)[0]).toBe("Mixed numbers and improper fractions");
    expect(mixed.map((c) => c.value)).toEqual(
      expect.arrayContaining([
        "mixed-numbers",
        "adding-subtracting-mixed-numbers",
        "multiplying-dividing-mixed-numbers",
      ]),
    );
    expect(autocomplete(courses, { name: "skill", value: "reciprocals" }, "fractions")).toEqual([
      { name: "Reciprocals", value: "reciprocals" },
    ]);
    // By id too, dashes read as spaces.
    expect(
      autocomplete(courses, { name: "skill", value: "dividing-fr" }, "fractions").map(
        (c) => c.value,
      ),
    ).toEqual(["dividing-fractions"]);
  });

  it("searches every course's skills, naming the course, when the current one is not known", () => {
    const choices = autocomplete(courses, { name: "skill", value: "" });
    const skillCount = courses.reduce((sum, course) => sum + course.skills.length, 0);
    expect(choices.length).toBe(Math.min(25, skillCount));
    expect(autocomplete(courses, { name: "skill", value: "" }, "no-such-course")).toEqual(choices);
    const python = courses.find((c) => c.id === "python-basics");
    const [first] = python?.skills ?? [];
    const found = autocomplete(courses, { name: "skill", value: first?.name ?? "" });
    expect(found[0]).toEqual({ name: `${first?.name} · ${python?.title}`, value: first?.id });
  });

  it("returns at most 25 choices with names of at most 100 characters", () => {
    const big: CourseNames = {
      id: "big",
      title: `A course with a very long title ${"that goes on ".repeat(10)}`,
      skills: Array.from({ length: 60 }, (_, k) => ({
        id: `skill-${k}`,
        name: `Skill ${k}: ${"a long name ".repeat(12)}`,
      })),
    };
    const skills = autocomplete([big], { name: "skill", value: "skill" }, "big");
    expect(skills).toHaveLength(25);
    for (const choice of skills) {
      expect(choice.name.length).toBeLessThanOrEqual(100);
      expect(choice.value.length).toBeLessThanOrEqual(100);
    }
    const [course] = autocomplete([big], { name: "course", value: "" });
    expect(course?.name.length).toBe(100);
    expect(course?.name.endsWith("…")).toBe(true);
  });

  it("offers courses and skills to assign or report on, each as text the tutor resolves to it", () => {
    const all = autocomplete(courses, { name: "what", value: "" });
    expect(all.slice(0, 2).map((c) => c.value)).toEqual(["fractions", "python-basics"]);
    expect(all[0]?.name).toMatch(/whole course/);
    for (const choice of autocomplete(courses, { name: "what", value: "frac" })) {
      const resolved = resolveAssignable(choice.value, courses);
      expect(resolved.ok).toBe(true);
    }
    // A skill id found in two courses is offered as course/skill.
    const twins: CourseNames[] = [
      { id: "a", title: "A", skills: [{ id: "same", name: "Same A" }] },
      { id: "b", title: "B", skills: [{ id: "same", name: "Same B" }] },
    ];
    expect(autocomplete(twins, { name: "what", value: "same" }).map((c) => c.value)).toEqual([
      "a/same",
      "b/same",
    ]);
    // report's skill offers the same; practice's skill only skills.
    expect(autocomplete(courses, { name: "skill", value: "", subcommand: "report" })).toEqual(all);
    expect(
      autocomplete(courses, { name: "skill", value: "", subcommand: "practice" }).some(
        (c) => c.value === "fractions",
      ),
    ).toBe(false);
  });

  it("offers nothing for an option it does not know", () => {
    expect(autocomplete(courses, { name: "other", value: "" })).toEqual([]);
  });
});

describe("toInbound", () => {
  it("turns each subcommand into the tutor's command", () => {
    expect(toInbound("tutor", "start", {})).toEqual({ name: "start", args: "" });
    expect(toInbound("tutor", "start", { course: "python-basics" })).toEqual({
      name: "course",
      args: "python-basics",
    });
    expect(toInbound("tutor", "start", { course: "  " })).toEqual({ name: "start", args: "" });
    expect(toInbound("tutor", "practice", { skill: " reciprocals " })).toEqual({
      name: "practice",
      args: "reciprocals",
    });
    for (const name of ["hint", "explain", "skip", "progress", "courses", "help"])
      expect(toInbound("tutor", name, { course: undefined, skill: undefined })).toEqual({
        name,
        args: "",
      });
    expect(toInbound("tutor", null)).toEqual({ name: "start", args: "" });
    expect(toInbound("hint", null)).toEqual({ name: "hint", args: "" });
  });
});

describe("toInbound: teacher commands", () => {
  const NOW = Date.UTC(2026, 10, 23, 12); // Monday 23 November 2026
  const parse = (command: { name: string; args: string }) =>
    parseTeacherCommand(`${command.name} ${command.args}`, { now: NOW, platform: "discord" });

  it("writes /tutor assign in the tutor's grammar, which reads it back", () => {
    const command = toInbound("tutor", "assign", {
      what: "fractions",
      to: "<@1300000000000000400> <@&1300000000000000302> <#1300000000000000201>",
      count: 5,
      due: "friday",
      note: 'Start with the "red" ones',
      until: "count",
    });
    expect(command).toEqual({
      name: "assign",
      args: '"fractions" to <@1300000000000000400> <@&1300000000000000302> <#1300000000000000201> count 5 due friday note "Start with the \'red\' ones" until count',
    });
    const parsed = parse(command);
    if (!parsed.ok) return expect.fail(parsed.message);
    expect(parsed.command).toMatchObject({
      name: "assign",
      assignable: "fractions",
      targets: [
        { kind: "user", id: "1300000000000000400" },
        { kind: "group", id: "1300000000000000302" },
        { kind: "channel", id: "1300000000000000201" },
      ],
      count: 5,
      due: { date: "2026-11-27" },
      note: "Start with the 'red' ones",
      completion: "count",
    });
  });

  it("keeps a name with grammar words whole, and leaves out what was not given", () => {
    const command = toInbound("tutor", "assign", {
      what: "Introduction to fractions",
      to: " <@!1300000000000000400> ",
      note: "   ",
    });
    expect(command.args).toBe('"Introduction to fractions" to <@!1300000000000000400>');
    const parsed = parse(command);
    expect(parsed.ok && parsed.command).toMatchObject({
      assignable: "Introduction to fractions",
      completion: "mastery",
    });
  });

  it("lets the tutor explain a mistake in what was typed (a plain @name is not a mention)", () => {
    const parsed = parse(toInbound("tutor", "assign", { what: "halves", to: "@ana" }));
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toMatch(/Discord's list/);
  });

  it("quotes text so that no quote inside can end it early", () => {
    expect(quoteText('say "hi" and “bye”')).toBe("\"say 'hi' and ‘bye’\"");
    expect(quoteText(" two\nlines ")).toBe('"two lines"');
  });

  it("writes unassign, report and the data commands", () => {
    expect(toInbound("tutor", "unassign", { id: " A12 " })).toEqual({
      name: "unassign",
      args: "A12",
    });
    expect(toInbound("tutor", "report", {})).toEqual({ name: "report", args: "" });
    const byRole = toInbound("tutor", "report", {
      for: "<@&1300000000000000302>",
      skill: "Adding fractions",
    });
    expect(byRole.args).toBe('<@&1300000000000000302> "Adding fractions"');
    expect(parse(byRole)).toMatchObject({
      ok: true,
      command: {
        scope: { kind: "target", target: { kind: "group", id: "1300000000000000302" } },
        skill: "Adding fractions",
      },
    });
    // Anything else in `for` is an assignment's id, whatever its shape.
    const byAssignment = toInbound("tutor", "report", { for: "A3" });
    expect(byAssignment.args).toBe("assignment A3");
    expect(parse(byAssignment)).toMatchObject({
      ok: true,
      command: { scope: { kind: "assignment", assignmentId: "A3" } },
    });
    for (const name of ["assignments", "my-data", "forget-me"])
      expect(toInbound("tutor", name, {})).toEqual({ name, args: "" });
  });

  it("answers teacher and data commands privately, and nothing else", () => {
    for (const name of TEACHER_COMMANDS) expect(isPrivateSubcommand(name)).toBe(true);
    for (const name of ["start", "hint", "progress", null, undefined])
      expect(isPrivateSubcommand(name)).toBe(false);
  });
});
