import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/engine/index.ts";
import {
  type AssignableCourse,
  parseTeacherCommand,
  resolveAssignable,
  type TeacherCommand,
  type TeacherCommandOptions,
  type TeacherTarget,
} from "../../src/tutor/teacher-commands.ts";

/** Monday 2026-11-23, 15:00 UTC: 10:00 in New York, already Tuesday 00:00 in Tokyo. */
const NOW = Date.UTC(2026, 10, 23, 15, 0);
const AT_NOW: TeacherCommandOptions = { now: NOW };

/** The last millisecond of a UTC calendar day (month 1-based, like the dates in the tables). */
const endOfUtcDay = (year: number, month: number, day: number) =>
  Date.UTC(year, month - 1, day, 23, 59, 59, 999);

const ana: TeacherTarget = { kind: "user", id: "ana", text: "@ana" };

function parsed(text: string, options: TeacherCommandOptions = AT_NOW): TeacherCommand {
  const result = parseTeacherCommand(text, options);
  if (!result.ok) expect.fail(`"${text}" did not parse: ${result.message}`);
  return result.command;
}

function failure(text: string, options: TeacherCommandOptions = AT_NOW) {
  const result = parseTeacherCommand(text, options);
  if (result.ok) expect.fail(`"${text}" parsed: ${JSON.stringify(result.command)}`);
  return result;
}

describe("parseTeacherCommand: good commands", () => {
  it.each<[string, TeacherCommand]>([
    [
      "assign fractions-add to @ana",
      { name: "assign", assignable: "fractions-add", targets: [ana], completion: "mastery" },
    ],
    [
      "/tutor assign fractions-add to @ana",
      { name: "assign", assignable: "fractions-add", targets: [ana], completion: "mastery" },
    ],
    [
      "tutor ASSIGN Adding fractions TO @ana",
      { name: "assign", assignable: "Adding fractions", targets: [ana], completion: "mastery" },
    ],
    [
      'assign "Count to ten" to @ana',
      { name: "assign", assignable: "Count to ten", targets: [ana], completion: "mastery" },
    ],
    [
      "assign “Adding fractions” to @ana",
      { name: "assign", assignable: "Adding fractions", targets: [ana], completion: "mastery" },
    ],
    [
      'assign fractions to @ana count 10 due 2026-12-01 note "Start with the red ones" until count',
      {
        name: "assign",
        assignable: "fractions",
        targets: [ana],
        count: 10,
        due: { date: "2026-12-01", dueAt: endOfUtcDay(2026, 12, 1) },
        note: "Start with the red ones",
        completion: "count",
      },
    ],
    [
      // Options in any order, curly quotes, a sentence-final full stop.
      "assign fractions to @ana until mastered note “Bring your workbook” count 5 due friday.",
      {
        name: "assign",
        assignable: "fractions",
        targets: [ana],
        count: 5,
        due: { date: "2026-11-27", dueAt: endOfUtcDay(2026, 11, 27) },
        note: "Bring your workbook",
        completion: "mastery",
      },
    ],
    [
      "assign fractions to @ana count 100",
      {
        name: "assign",
        assignable: "fractions",
        targets: [ana],
        count: 100,
        completion: "mastery",
      },
    ],
    [
      `assign fractions to @ana note "${"x".repeat(500)}"`,
      {
        name: "assign",
        assignable: "fractions",
        targets: [ana],
        note: "x".repeat(500),
        completion: "mastery",
      },
    ],
    [
      // Slack escapes &, < and > in command text, but not in its mentions.
      'assign fractions to <@U1> note "Fractions &amp; decimals: 1 &lt; 2"',
      {
        name: "assign",
        assignable: "fractions",
        targets: [{ kind: "user", id: "U1", text: "<@U1>" }],
        note: "Fractions & decimals: 1 < 2",
        completion: "mastery",
      },
    ],
    ["assignments", { name: "assignments" }],
    ["/tutor assignments", { name: "assignments" }],
    ["unassign A12", { name: "unassign", assignmentId: "A12" }],
    ["unassign 7f3k", { name: "unassign", assignmentId: "7f3k" }],
    ["report", { name: "report" }],
    [
      "report #class-7a",
      {
        name: "report",
        scope: { kind: "target", target: { kind: "channel", id: "class-7a", text: "#class-7a" } },
      },
    ],
    [
      "report <@U123|ana> Adding fractions",
      {
        name: "report",
        scope: {
          kind: "target",
          target: { kind: "user", id: "U123", text: "<@U123|ana>", label: "ana" },
        },
        skill: "Adding fractions",
      },
    ],
    ["report A12", { name: "report", scope: { kind: "assignment", assignmentId: "A12" } }],
    [
      'report assignment 7f3k "Adding fractions"',
      {
        name: "report",
        scope: { kind: "assignment", assignmentId: "7f3k" },
        skill: "Adding fractions",
      },
    ],
    ["report fractions", { name: "report", skill: "fractions" }],
    ["my-data", { name: "my-data" }],
    ["my data", { name: "my-data" }],
    ["/tutor my_data", { name: "my-data" }],
    ["forget-me", { name: "forget-me" }],
    ["Forget me", { name: "forget-me" }],
  ])("%s", (text, command) => {
    expect(parseTeacherCommand(text, AT_NOW)).toEqual({ ok: true, command });
  });

  it("reads a bare word after report as an assignment id when the caller says so", () => {
    const options = { ...AT_NOW, isAssignmentId: (word: string) => word.startsWith("asg_") };
    expect(parsed("report asg_9", options)).toEqual({
      name: "report",
      scope: { kind: "assignment", assignmentId: "asg_9" },
    });
    expect(parsed("report A12", options)).toEqual({ name: "report", skill: "A12" });
  });
});

describe("parseTeacherCommand: targets in each platform's syntax", () => {
  it.each<[string, string, readonly TeacherTarget[]]>([
    ["Slack user", "<@U123>", [{ kind: "user", id: "U123", text: "<@U123>" }]],
    [
      "Slack user with a name",
      "<@U123|ana>",
      [{ kind: "user", id: "U123", text: "<@U123|ana>", label: "ana" }],
    ],
    [
      "Slack channel",
      "<#C123|general>",
      [{ kind: "channel", id: "C123", text: "<#C123|general>", label: "general" }],
    ],
    [
      "Slack channel without a name",
      "<#C123|>",
      [{ kind: "channel", id: "C123", text: "<#C123|>" }],
    ],
    [
      "Slack user group",
      "<!subteam^S123|@maths-7a>",
      [{ kind: "group", id: "S123", text: "<!subteam^S123|@maths-7a>", label: "maths-7a" }],
    ],
    [
      "Slack user group, bare",
      "<!subteam^S123>",
      [{ kind: "group", id: "S123", text: "<!subteam^S123>" }],
    ],
    [
      "Discord user",
      "<@123456789012345678>",
      [{ kind: "user", id: "123456789012345678", text: "<@123456789012345678>" }],
    ],
    ["Discord nickname mention", "<@!123>", [{ kind: "user", id: "123", text: "<@!123>" }]],
    ["Discord channel", "<#123>", [{ kind: "channel", id: "123", text: "<#123>" }]],
    ["Discord role", "<@&42>", [{ kind: "group", id: "42", text: "<@&42>" }]],
    ["console learner", "@ana", [ana]],
    ["console channel", "#class-7a", [{ kind: "channel", id: "class-7a", text: "#class-7a" }]],
    ["console group", "@group:7a", [{ kind: "group", id: "7a", text: "@group:7a" }]],
    [
      "spaces, commas and 'and'",
      "@ana, @ben and #class-7a",
      [
        ana,
        { kind: "user", id: "ben", text: "@ben" },
        { kind: "channel", id: "class-7a", text: "#class-7a" },
      ],
    ],
    ["commas without spaces", "@ana,@ben", [ana, { kind: "user", id: "ben", text: "@ben" }]],
    ["the same learner twice", "@ana and @ana", [ana]],
    [
      "mixed platforms",
      "<@U1> <@2>",
      [
        { kind: "user", id: "U1", text: "<@U1>" },
        { kind: "user", id: "2", text: "<@2>" },
      ],
    ],
  ])("%s: %s", (_, targets, expected) => {
    const command = parsed(`assign fractions to ${targets} count 3`);
    expect(command).toEqual({
      name: "assign",
      assignable: "fractions",
      targets: expected,
      count: 3,
      completion: "mastery",
    });
  });

  it("accepts mentions on their own platform", () => {
    expect(parsed("assign fractions to <@U123|ana>", { ...AT_NOW, platform: "slack" })).toEqual(
      parsed("assign fractions to <@U123|ana>"),
    );
    expect(parsed("assign fractions to @ana", { ...AT_NOW, platform: "console" })).toEqual(
      parsed("assign fractions to @ana"),
    );
  });
});

describe("parseTeacherCommand: due dates", () => {
  const NEW_YORK = "America/New_York";
  const TOKYO = "Asia/Tokyo";
  const SANTIAGO = "America/Santiago";
  /** Friday 2026-10-30, 12:00 in New York; clocks go back on Sunday 2026-11-01. */
  const BEFORE_FALL_BACK = Date.UTC(2026, 9, 30, 16, 0);
  /** Friday 2027-03-12, 12:00 in New York; clocks go forward on Sunday 2027-03-14. */
  const BEFORE_SPRING_FORWARD = Date.UTC(2027, 2, 12, 17, 0);
  /** Thursday 2026-04-02 in Santiago; Saturday 23:00-24:00 happens twice (at 24:00, back to 23:00). */
  const SANTIAGO_FALL_BACK = Date.UTC(2026, 3, 2, 15, 0);
  /** Thursday 2026-09-03 in Santiago; Sunday 00:00-01:00 does not exist (24:00 becomes 01:00). */
  const SANTIAGO_SPRING_FORWARD = Date.UTC(2026, 8, 3, 15, 0);

  it.each<[string, string, number, string, number]>([
    // UTC, Monday 2026-11-23 15:00
    ["today", "UTC", NOW, "2026-11-23", endOfUtcDay(2026, 11, 23)],
    ["tomorrow", "UTC", NOW, "2026-11-24", endOfUtcDay(2026, 11, 24)],
    ["2026-12-01", "UTC", NOW, "2026-12-01", endOfUtcDay(2026, 12, 1)],
    ["2026-12-1", "UTC", NOW, "2026-12-01", endOfUtcDay(2026, 12, 1)],
    ["2026/12/01", "UTC", NOW, "2026-12-01", endOfUtcDay(2026, 12, 1)],
    ["friday", "UTC", NOW, "2026-11-27", endOfUtcDay(2026, 11, 27)],
    ["Fri", "UTC", NOW, "2026-11-27", endOfUtcDay(2026, 11, 27)],
    ["this friday", "UTC", NOW, "2026-11-27", endOfUtcDay(2026, 11, 27)],
    ["sunday", "UTC", NOW, "2026-11-29", endOfUtcDay(2026, 11, 29)],
    // A weekday is never today: on a Monday, "monday" is a week later.
    ["monday", "UTC", NOW, "2026-11-30", endOfUtcDay(2026, 11, 30)],
    ["next friday", "UTC", NOW, "2026-12-04", endOfUtcDay(2026, 12, 4)],
    ["next monday", "UTC", NOW, "2026-11-30", endOfUtcDay(2026, 11, 30)],
    ["next sunday", "UTC", NOW, "2026-12-06", endOfUtcDay(2026, 12, 6)],
    ["in 0 days", "UTC", NOW, "2026-11-23", endOfUtcDay(2026, 11, 23)],
    ["in 1 day", "UTC", NOW, "2026-11-24", endOfUtcDay(2026, 11, 24)],
    ["in 3 days", "UTC", NOW, "2026-11-26", endOfUtcDay(2026, 11, 26)],
    ["in a week", "UTC", NOW, "2026-11-30", endOfUtcDay(2026, 11, 30)],
    ["in 2 weeks", "UTC", NOW, "2026-12-07", endOfUtcDay(2026, 12, 7)],
    ["in 366 days", "UTC", NOW, "2027-11-24", endOfUtcDay(2027, 11, 24)],
    // On a Saturday, "friday" and "next friday" are the same day.
    ["friday", "UTC", Date.UTC(2026, 10, 28, 12), "2026-12-04", endOfUtcDay(2026, 12, 4)],
    ["next friday", "UTC", Date.UTC(2026, 10, 28, 12), "2026-12-04", endOfUtcDay(2026, 12, 4)],
    // New York, Monday 10:00 EST (UTC-5)
    ["today", NEW_YORK, NOW, "2026-11-23", Date.UTC(2026, 10, 24, 4, 59, 59, 999)],
    ["friday", NEW_YORK, NOW, "2026-11-27", Date.UTC(2026, 10, 28, 4, 59, 59, 999)],
    ["2026-12-01", NEW_YORK, NOW, "2026-12-01", Date.UTC(2026, 11, 2, 4, 59, 59, 999)],
    // Tokyo (UTC+9): already Tuesday 00:00
    ["today", TOKYO, NOW, "2026-11-24", Date.UTC(2026, 10, 24, 14, 59, 59, 999)],
    ["tomorrow", TOKYO, NOW, "2026-11-25", Date.UTC(2026, 10, 25, 14, 59, 59, 999)],
    ["friday", TOKYO, NOW, "2026-11-27", Date.UTC(2026, 10, 27, 14, 59, 59, 999)],
    ["next friday", TOKYO, NOW, "2026-12-04", Date.UTC(2026, 11, 4, 14, 59, 59, 999)],
    ["in 3 days", TOKYO, NOW, "2026-11-27", Date.UTC(2026, 10, 27, 14, 59, 59, 999)],
    // One millisecond earlier it is still Monday in Tokyo.
    ["today", TOKYO, NOW - 1, "2026-11-23", Date.UTC(2026, 10, 23, 14, 59, 59, 999)],
    // DST in New York: Saturday still EDT (UTC-4), Sunday EST (UTC-5); and back in March.
    ["tomorrow", NEW_YORK, BEFORE_FALL_BACK, "2026-10-31", Date.UTC(2026, 10, 1, 3, 59, 59, 999)],
    ["sunday", NEW_YORK, BEFORE_FALL_BACK, "2026-11-01", Date.UTC(2026, 10, 2, 4, 59, 59, 999)],
    ["in 3 days", NEW_YORK, BEFORE_FALL_BACK, "2026-11-02", Date.UTC(2026, 10, 3, 4, 59, 59, 999)],
    [
      "saturday",
      NEW_YORK,
      BEFORE_SPRING_FORWARD,
      "2027-03-13",
      Date.UTC(2027, 2, 14, 4, 59, 59, 999),
    ],
    [
      "sunday",
      NEW_YORK,
      BEFORE_SPRING_FORWARD,
      "2027-03-14",
      Date.UTC(2027, 2, 15, 3, 59, 59, 999),
    ],
    // Santiago changes clocks at midnight: the end of the day is its last instant.
    ["saturday", SANTIAGO, SANTIAGO_FALL_BACK, "2026-04-04", Date.UTC(2026, 3, 5, 3, 59, 59, 999)],
    ["sunday", SANTIAGO, SANTIAGO_FALL_BACK, "2026-04-05", Date.UTC(2026, 3, 6, 3, 59, 59, 999)],
    [
      "saturday",
      SANTIAGO,
      SANTIAGO_SPRING_FORWARD,
      "2026-09-05",
      Date.UTC(2026, 8, 6, 3, 59, 59, 999),
    ],
    [
      "sunday",
      SANTIAGO,
      SANTIAGO_SPRING_FORWARD,
      "2026-09-06",
      Date.UTC(2026, 8, 7, 2, 59, 59, 999),
    ],
  ])("due %s in %s at %i → %s", (phrase, timeZone, now, date, dueAt) => {
    const command = parsed(`assign fractions to @ana due ${phrase}`, { now, timeZone });
    expect(command).toEqual({
      name: "assign",
      assignable: "fractions",
      targets: [ana],
      due: { date, dueAt },
      completion: "mastery",
    });
  });

  it("defaults to UTC", () => {
    expect(parsed("assign fractions to @ana due today")).toEqual(
      parsed("assign fractions to @ana due today", { now: NOW, timeZone: "UTC" }),
    );
  });

  it("throws on a time zone that does not exist (a caller's bug, not a teacher's)", () => {
    expect(() =>
      parseTeacherCommand("assignments", { now: NOW, timeZone: "Mars/Olympus" }),
    ).toThrow(expect.objectContaining({ code: "invalid_time_zone" }));
    expect(() => parseTeacherCommand("assignments", { now: Number.NaN })).toThrow(ValidationError);
  });
});

describe("parseTeacherCommand: mistakes", () => {
  const TO_ANA = 'I understood: assign "fractions" to @ana.';
  it.each<[string, TeacherCommandOptions, string, string | undefined]>([
    [
      "",
      AT_NOW,
      "Write a command: assign, assignments, unassign, report, my-data or forget-me.",
      undefined,
    ],
    [
      "asign fractions to @ana",
      AT_NOW,
      'I don\'t know the command "asign". Did you mean assign? Teacher commands: assign, assignments, unassign, report, my-data and forget-me.',
      "asign",
    ],
    [
      "hello",
      AT_NOW,
      'I don\'t know the command "hello". Teacher commands: assign, assignments, unassign, report, my-data and forget-me.',
      "hello",
    ],
    [
      "assign",
      AT_NOW,
      'Assign what, and to whom? Write the skill or course, then to and who should practise it, like assign "Adding fractions" to @ana.',
      undefined,
    ],
    [
      "assign to @ana",
      AT_NOW,
      'What should they practise? Write a skill or course before to, like assign "Adding fractions" to @ana.',
      undefined,
    ],
    [
      "assign fractions",
      AT_NOW,
      'I understood: assign "fractions". Who should practise? Add to and one or more @people, #channels or @groups, like assign "fractions" to @ana.',
      undefined,
    ],
    [
      "assign fractions count 5 due friday",
      AT_NOW,
      'I understood: assign "fractions". Who should practise? Add to and one or more @people, #channels or @groups, like assign "fractions" to @ana.',
      undefined,
    ],
    [
      "assign fractions @ana",
      AT_NOW,
      'I understood: assign "fractions". Put to before who should practise: assign "fractions" to @ana.',
      "@ana",
    ],
    [
      'assign "Adding fractions" count 5 to @ana',
      AT_NOW,
      'I understood: assign "Adding fractions". Who should practise? Add to and one or more @people, #channels or @groups, like assign "Adding fractions" to @ana.',
      undefined,
    ],
    [
      'assign "Adding fractions" for @ana',
      AT_NOW,
      'I understood: assign "Adding fractions". I didn\'t understand "for" after "Adding fractions": write to and who should practise next, like assign "Adding fractions" to @ana.',
      "for",
    ],
    [
      'assign "Adding fractions to @ana',
      AT_NOW,
      'The name "Adding fractions to @ana" has no closing quote.',
      '"Adding fractions to @ana',
    ],
    [
      "assign fractions to",
      AT_NOW,
      'I understood: assign "fractions". Who should practise? After to, write one or more @people, #channels or @groups, like assign "fractions" to @ana.',
      undefined,
    ],
    [
      "assign fractions to count 5",
      AT_NOW,
      'I understood: assign "fractions" count 5. Who should practise? After to, write one or more @people, #channels or @groups, like assign "fractions" to @ana.',
      undefined,
    ],
    [
      "assign Count to ten to @ana",
      AT_NOW,
      'I understood: assign "Count". I didn\'t understand "ten" after to: write who should practise, as @people, #channels or @groups. If to is part of the name, put the name in quotes: assign "Count to ten" to …',
      "ten",
    ],
    [
      "assign fractions to @ana please",
      AT_NOW,
      `${TO_ANA} I didn't understand "please": after who should practise come count N, due DATE, note "…" and until count.`,
      "please",
    ],
    [
      "assign fractions to @ana cont 5",
      AT_NOW,
      `${TO_ANA} I didn't understand "cont": did you mean count? After who should practise come count N, due DATE, note "…" and until count.`,
      "cont",
    ],
    // Targets
    [
      "assign fractions to @everyone",
      AT_NOW,
      'I understood: assign "fractions". I can\'t assign to @everyone: name a #channel instead, and everyone in it gets the practice.',
      "@everyone",
    ],
    [
      "assign fractions to <!here>",
      AT_NOW,
      'I understood: assign "fractions". I can\'t assign to <!here>: name a #channel instead, and everyone in it gets the practice.',
      "<!here>",
    ],
    [
      "assign fractions to @ana <@>",
      AT_NOW,
      `${TO_ANA} I can't read the mention <@>: pick the name from the list as you type.`,
      "<@>",
    ],
    [
      "assign fractions to @",
      AT_NOW,
      'I understood: assign "fractions". I can\'t tell who @ is: write @name, #channel or @group:name.',
      "@",
    ],
    [
      "assign fractions to @ana",
      { ...AT_NOW, platform: "slack" },
      `I understood: assign "fractions". I don't know which person @ana is: pick them from Slack's list as you type @, so it becomes a mention.`,
      "@ana",
    ],
    [
      "assign fractions to <#123> #general",
      { ...AT_NOW, platform: "discord" },
      `I understood: assign "fractions" to <#123>. I don't know which channel #general is: pick it from Discord's list as you type #, so it becomes a mention.`,
      "#general",
    ],
    [
      "assign fractions to @group:7a",
      { ...AT_NOW, platform: "discord" },
      `I understood: assign "fractions". I don't know which group @group:7a is: pick it from Discord's list as you type @, so it becomes a mention.`,
      "@group:7a",
    ],
    // count
    [
      "assign fractions to @ana count",
      AT_NOW,
      `${TO_ANA} count needs a number of items from 1 to 100, like count 10.`,
      "count",
    ],
    [
      "assign fractions to @ana count 0",
      AT_NOW,
      `${TO_ANA} count must be a whole number from 1 to 100, not 0.`,
      "0",
    ],
    [
      "assign fractions to @ana count 101",
      AT_NOW,
      `${TO_ANA} count must be a whole number from 1 to 100, not 101.`,
      "101",
    ],
    [
      "assign fractions to @ana count 2.5",
      AT_NOW,
      `${TO_ANA} count must be a whole number from 1 to 100, not 2.5.`,
      "2.5",
    ],
    [
      "assign fractions to @ana count five",
      AT_NOW,
      `${TO_ANA} count must be a whole number from 1 to 100, not five.`,
      "five",
    ],
    [
      "assign fractions to @ana count 5 count 6",
      AT_NOW,
      'I understood: assign "fractions" to @ana count 5. count is given twice: keep one.',
      "count",
    ],
    // until
    [
      "assign fractions to @ana until count",
      AT_NOW,
      'I understood: assign "fractions" to @ana until count. until count needs a count: add how many items, like count 10.',
      undefined,
    ],
    [
      "assign fractions to @ana until done",
      AT_NOW,
      `${TO_ANA} After until, write mastered (the default) or count.`,
      "done",
    ],
    // note
    [
      'assign fractions to @ana note "Bring your workbook',
      AT_NOW,
      `${TO_ANA} The note has no closing quote: end it with ".`,
      '"Bring your workbook',
    ],
    [
      "assign fractions to @ana note bring books",
      AT_NOW,
      `${TO_ANA} Put the note in quotes, like note "Start with the red questions".`,
      "bring",
    ],
    [
      'assign fractions to @ana note ""',
      AT_NOW,
      `${TO_ANA} The note is empty: write it between the quotes.`,
      '""',
    ],
    [
      `assign fractions to @ana note "${"x".repeat(501)}"`,
      AT_NOW,
      `${TO_ANA} The note is 501 characters long: keep it to 500.`,
      undefined,
    ],
    // due
    [
      "assign fractions to @ana due tomorow",
      AT_NOW,
      `${TO_ANA} I didn't understand "tomorow" after due: did you mean tomorrow? Or try a date like 2026-11-30, friday or in 3 days.`,
      "tomorow",
    ],
    [
      "assign fractions to @ana due soon",
      AT_NOW,
      `${TO_ANA} I didn't understand "soon" after due: try a date like 2026-11-30, friday or in 3 days.`,
      "soon",
    ],
    [
      "assign fractions to @ana due",
      AT_NOW,
      `${TO_ANA} After due, write a date: try a date like 2026-11-30, friday or in 3 days.`,
      undefined,
    ],
    [
      "assign fractions to @ana due 12/01",
      AT_NOW,
      `${TO_ANA} I can't tell whether 12/01 is month/day or day/month: write due 2026-12-01 or due 2027-01-12.`,
      "12/01",
    ],
    [
      "assign fractions to @ana due 1.12.2026",
      AT_NOW,
      `${TO_ANA} I can't tell whether 1.12.2026 is month/day or day/month: write due 2026-01-12 or due 2026-12-01.`,
      "1.12.2026",
    ],
    [
      "assign fractions to @ana due 1/12/26",
      AT_NOW,
      `${TO_ANA} I can't tell whether 1/12/26 is month/day or day/month: write due 2026-01-12 or due 2026-12-01.`,
      "1/12/26",
    ],
    [
      "assign fractions to @ana due 13/01",
      AT_NOW,
      `${TO_ANA} Write dates year first so no one reads them the wrong way round: due 2027-01-13.`,
      "13/01",
    ],
    [
      "assign fractions to @ana due 12/12",
      AT_NOW,
      `${TO_ANA} Write dates year first so no one reads them the wrong way round: due 2026-12-12.`,
      "12/12",
    ],
    [
      "assign fractions to @ana due 45/67",
      AT_NOW,
      `${TO_ANA} 45/67 is not a date I can read: write dates year first, like 2026-11-30.`,
      "45/67",
    ],
    [
      "assign fractions to @ana due 2026-02-30",
      AT_NOW,
      `${TO_ANA} There is no day 2026-02-30: check the month and the day.`,
      "2026-02-30",
    ],
    [
      "assign fractions to @ana due 2026-11-22",
      AT_NOW,
      `${TO_ANA} The due date Sunday 2026-11-22 is in the past: today is Monday 2026-11-23 (UTC).`,
      "2026-11-22",
    ],
    [
      // Still Monday in New York, already Tuesday in Tokyo.
      "assign fractions to @ana due 2026-11-23",
      { now: NOW, timeZone: "Asia/Tokyo" },
      `${TO_ANA} The due date Monday 2026-11-23 is in the past: today is Tuesday 2026-11-24 (Asia/Tokyo).`,
      "2026-11-23",
    ],
    [
      "assign fractions to @ana due 2028-01-01",
      AT_NOW,
      `${TO_ANA} The due date Saturday 2028-01-01 is more than a year away: pick a day before 2027-11-25.`,
      "2028-01-01",
    ],
    [
      "assign fractions to @ana due in 400 days",
      AT_NOW,
      `${TO_ANA} The due date Tuesday 2027-12-28 is more than a year away: pick a day before 2027-11-25.`,
      "in 400 days",
    ],
    [
      "assign fractions to @ana due next week",
      AT_NOW,
      `${TO_ANA} After next, write a weekday, like next friday.`,
      "week",
    ],
    [
      "assign fractions to @ana due in three days",
      AT_NOW,
      `${TO_ANA} After due in, write a number of days or weeks, like in 3 days or in 2 weeks.`,
      "three days",
    ],
    [
      "assign fractions to @ana due friday due monday",
      { now: NOW, timeZone: "America/New_York" },
      'I understood: assign "fractions" to @ana due Friday 2026-11-27 (America/New_York). due is given twice: keep one.',
      "due",
    ],
    // The other commands
    [
      "assignments please",
      AT_NOW,
      `assignments takes nothing after it; I didn't understand "please".`,
      "please",
    ],
    [
      "forget me now",
      AT_NOW,
      `forget-me takes nothing after it; I didn't understand "now".`,
      "now",
    ],
    [
      "unassign",
      AT_NOW,
      "Which assignment? Write unassign and its id; assignments lists them.",
      undefined,
    ],
    [
      "unassign A1 A2",
      AT_NOW,
      `I understood: unassign A1. unassign takes one assignment id at a time; I didn't understand "A2".`,
      "A2",
    ],
    [
      "report #a #b",
      AT_NOW,
      `I understood: report #a. A report covers one #channel, @user, @group or assignment at a time; I didn't understand "#b".`,
      "#b",
    ],
    [
      "report fractions #class-7a",
      AT_NOW,
      "Put who the report is about first, like report #class-7a fractions.",
      "#class-7a",
    ],
    [
      "report assignment",
      AT_NOW,
      "Which assignment? Write its id after assignment; assignments lists them.",
      undefined,
    ],
  ])("%s", (text, options, message, notUnderstood) => {
    const result = failure(text, options);
    expect(result.message).toBe(message);
    expect(result.notUnderstood).toBe(notUnderstood);
  });

  it("returns what it understood as data, not only as text", () => {
    expect(failure("assign fractions to @ana, <#C1|general> count 5 due friday note hi")).toEqual({
      ok: false,
      message:
        'I understood: assign "fractions" to @ana, <#C1|general> count 5 due Friday 2026-11-27. Put the note in quotes, like note "Start with the red questions".',
      understood: {
        name: "assign",
        assignable: "fractions",
        targets: [ana, { kind: "channel", id: "C1", text: "<#C1|general>", label: "general" }],
        count: 5,
        due: { date: "2026-11-27", dueAt: endOfUtcDay(2026, 11, 27) },
      },
      notUnderstood: "hi",
    });
  });

  it("never throws on what a teacher types, and always says what went wrong", () => {
    const words = fc.constantFrom(
      "assign",
      "report",
      "unassign",
      "to",
      "and",
      ",",
      "count",
      "due",
      "note",
      "until",
      "next",
      "in",
      "friday",
      "3",
      "days",
      "@ana",
      "<@U1|ana>",
      "<#1>",
      '"',
      "“",
      "12/01",
      "2026-12-01",
    );
    const text = fc.oneof(
      fc.string(),
      fc.array(words, { maxLength: 12 }).map((w) => w.join(" ")),
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 4_102_444_800_000 }), (input, now) => {
        const result = parseTeacherCommand(input, { now, timeZone: "Asia/Tokyo" });
        if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
        else if (result.command.name === "assign") {
          expect(result.command.targets.length).toBeGreaterThan(0);
          if (result.command.due) expect(result.command.due.dueAt).toBeGreaterThan(now);
        }
      }),
    );
  });
});

describe("resolveAssignable", () => {
  const FRACTIONS: AssignableCourse = {
    id: "fractions",
    title: "Fractions",
    skills: [
      { id: "equivalent-fractions", name: "Equivalent fractions" },
      { id: "adding-like-denominators", name: "Adding and subtracting with like denominators" },
      { id: "adding-unlike-denominators", name: "Adding with unlike denominators" },
      { id: "dividing-fractions", name: "Dividing fractions" },
    ],
  };
  const PYTHON: AssignableCourse = {
    id: "python-basics",
    title: "Python basics",
    skills: [
      { id: "variables", name: "Variables" },
      { id: "loops", name: "Loops" },
    ],
  };
  const COURSES = [FRACTIONS, PYTHON];

  it.each<[string, readonly AssignableCourse[], unknown]>([
    [
      "equivalent-fractions",
      COURSES,
      { kind: "skill", courseId: "fractions", skillId: "equivalent-fractions" },
    ],
    [
      "Equivalent Fractions",
      COURSES,
      { kind: "skill", courseId: "fractions", skillId: "equivalent-fractions" },
    ],
    [
      "equivalent_fractions",
      COURSES,
      { kind: "skill", courseId: "fractions", skillId: "equivalent-fractions" },
    ],
    [
      '"Dividing fractions"',
      COURSES,
      { kind: "skill", courseId: "fractions", skillId: "dividing-fractions" },
    ],
    ["fractions", COURSES, { kind: "course", courseId: "fractions" }],
    ["Python Basics", COURSES, { kind: "course", courseId: "python-basics" }],
    [
      "fractions/dividing-fractions",
      COURSES,
      { kind: "skill", courseId: "fractions", skillId: "dividing-fractions" },
    ],
    [
      "Python basics/Loops",
      COURSES,
      { kind: "skill", courseId: "python-basics", skillId: "loops" },
    ],
    // A course and a skill with the same id: the course; the skill as course/skill.
    [
      "loops",
      [...COURSES, { id: "loops", title: "Loops", skills: [] }],
      { kind: "course", courseId: "loops" },
    ],
    [
      "python-basics/loops",
      [...COURSES, { id: "loops", title: "Loops", skills: [] }],
      { kind: "skill", courseId: "python-basics", skillId: "loops" },
    ],
  ])("%s", (text, courses, assignable) => {
    expect(resolveAssignable(text, courses)).toMatchObject({ ok: true, assignable });
  });

  it("names what it found", () => {
    expect(resolveAssignable("dividing-fractions", COURSES)).toEqual({
      ok: true,
      assignable: { kind: "skill", courseId: "fractions", skillId: "dividing-fractions" },
      name: "Dividing fractions",
    });
  });

  it.each<[string, readonly AssignableCourse[], string, readonly string[]]>([
    [
      "fractons",
      COURSES,
      'I don\'t know a skill or course called "fractons". Did you mean the course "Fractions", "Equivalent fractions" in Fractions or "Dividing fractions" in Fractions?',
      ["fractions", "equivalent-fractions", "dividing-fractions"],
    ],
    [
      "adding",
      COURSES,
      'I don\'t know a skill or course called "adding". Did you mean "Adding and subtracting with like denominators" in Fractions (adding-like-denominators) or "Adding with unlike denominators" in Fractions (adding-unlike-denominators)?',
      ["adding-like-denominators", "adding-unlike-denominators"],
    ],
    [
      "adding fractions",
      [FRACTIONS],
      'I don\'t know a skill or course called "adding fractions". Did you mean "Adding and subtracting with like denominators" (adding-like-denominators), "Adding with unlike denominators" (adding-unlike-denominators) or the course "Fractions"?',
      ["adding-like-denominators", "adding-unlike-denominators", "fractions"],
    ],
    [
      "loop",
      COURSES,
      'I don\'t know a skill or course called "loop". Did you mean "Loops" in Python basics?',
      ["loops"],
    ],
    [
      "varaibles",
      COURSES,
      'I don\'t know a skill or course called "varaibles". Did you mean "Variables" in Python basics?',
      ["variables"],
    ],
    [
      "geometry",
      COURSES,
      'I don\'t know a skill or course called "geometry": check the spelling, or write its id.',
      [],
    ],
    ["", COURSES, "Write the skill or course to practise.", []],
    [
      "equivalent-fractions",
      [
        FRACTIONS,
        {
          id: "maths",
          title: "Maths",
          skills: [{ id: "equivalent-fractions", name: "Equivalent fractions" }],
        },
      ],
      '"equivalent-fractions" could be "Equivalent fractions" in Fractions (fractions/equivalent-fractions) or "Equivalent fractions" in Maths (maths/equivalent-fractions): write the id in brackets for the one you mean.',
      ["fractions/equivalent-fractions", "maths/equivalent-fractions"],
    ],
  ])("%s: not found or ambiguous", (text, courses, message, texts) => {
    const result = resolveAssignable(text, courses);
    if (result.ok) expect.fail(`"${text}" resolved to ${JSON.stringify(result.assignable)}`);
    expect(result.message).toBe(message);
    expect(result.suggestions.map((s) => s.text)).toEqual(texts);
  });

  it("resolves every suggestion's text to that suggestion", () => {
    const courses = [
      FRACTIONS,
      {
        id: "maths",
        title: "Maths",
        skills: [{ id: "equivalent-fractions", name: "Equivalent fractions" }],
      },
    ];
    const result = resolveAssignable("equivalent-fractions", courses);
    if (result.ok) expect.fail("expected an ambiguity");
    for (const suggestion of result.suggestions)
      expect(resolveAssignable(suggestion.text, courses)).toMatchObject({
        ok: true,
        assignable: suggestion.assignable,
      });
  });
});
