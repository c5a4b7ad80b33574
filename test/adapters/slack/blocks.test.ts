import { describe, expect, it } from "vitest";
import {
  type Block,
  type ButtonElement,
  choiceValue,
  closedBlocks,
  closedQuestionBlocks,
  filesNote,
  homeView,
  noticeMessage,
  parseActionValue,
  renderReply,
  SLACK_LIMITS,
  type SlackMessage,
  splitCommandText,
  splitMrkdwn,
  toMrkdwn,
  toPlainText,
  truncate,
  unescapeCommandText,
  withNote,
} from "../../../src/adapters/slack/blocks.ts";
import type {
  ConfirmReply,
  ProgressReply,
  QuestionReply,
  Reply,
  SkillView,
} from "../../../src/tutor/index.ts";

const BLOCK_TYPES = new Set(["section", "actions", "context", "header", "divider"]);

const question = (overrides: Partial<QuestionReply> = {}): QuestionReply => ({
  kind: "question",
  text: "**Adding fractions**\n\nWhat is `1/4 + 1/2`?",
  courseId: "fractions",
  skillId: "add-unlike",
  skillName: "Adding unlike fractions",
  itemId: "add-unlike-3",
  itemType: "choice",
  choices: [
    { label: "a", text: "3/4" },
    { label: "b", text: "2/6" },
    { label: "c", text: "**1/8**" },
  ],
  reason: "review",
  ...overrides,
});

const skill = (name: string, mastery: number, flags: Partial<SkillView> = {}): SkillView => ({
  id: name.toLowerCase().replace(/\W+/g, "-"),
  name,
  mastery,
  isMastered: mastery >= 0.95,
  isStarted: mastery > 0,
  isStuck: false,
  ...flags,
});

const progress = (skills: readonly SkillView[]): ProgressReply => ({
  kind: "progress",
  text: "**Fractions**: progress",
  courseId: "fractions",
  mastery: Object.fromEntries(skills.map((s) => [s.id, s.mastery])),
  skills,
  accuracy: 0.75,
  itemsDone: 12,
  streak: 3,
  bestStreak: 5,
});

const SKILLS = [
  skill("Equivalent fractions", 0.97),
  skill("Adding like fractions", 0.6),
  skill("Adding unlike fractions", 0.3, { isStuck: true }),
  skill("Mixed numbers", 0),
];

/** Everything inside a block that Slack counts: section and context text, headers, buttons. */
function texts(block: Block): { kind: string; text: string }[] {
  switch (block.type) {
    case "section":
      return [{ kind: "section", text: block.text.text }];
    case "header":
      return [{ kind: "header", text: block.text.text }];
    case "context":
      return block.elements.map((e) => ({ kind: "context", text: e.text }));
    case "actions":
      return block.elements.map((e) => ({ kind: "button", text: e.text.text }));
    default:
      return [];
  }
}

const LIMIT_OF: Record<string, number> = {
  section: SLACK_LIMITS.sectionText,
  header: SLACK_LIMITS.headerText,
  context: SLACK_LIMITS.sectionText,
  button: SLACK_LIMITS.buttonText,
};

/** The shape Slack accepts: known block types, limits, unique ids, a fallback without markup. */
function expectValidBlocks(blocks: readonly Block[], maxBlocks: number): void {
  expect(blocks.length).toBeGreaterThan(0);
  expect(blocks.length).toBeLessThanOrEqual(maxBlocks);
  // Plain JSON: nothing undefined, nothing lost in a round trip.
  expect(JSON.parse(JSON.stringify(blocks))).toEqual(blocks);
  const blockIds = blocks.flatMap((b) => (b.block_id === undefined ? [] : [b.block_id]));
  expect(new Set(blockIds).size).toBe(blockIds.length);
  for (const block of blocks) {
    expect(BLOCK_TYPES.has(block.type), block.type).toBe(true);
    if (block.block_id !== undefined)
      expect(block.block_id.length).toBeLessThanOrEqual(SLACK_LIMITS.id);
    for (const { kind, text } of texts(block)) {
      expect(text.trim().length, `${kind} text is empty`).toBeGreaterThan(0);
      expect(text.length, `${kind} text too long`).toBeLessThanOrEqual(LIMIT_OF[kind] ?? 0);
    }
    if (block.type === "actions") {
      expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.actionsElements);
      const actionIds = block.elements.map((e) => e.action_id);
      expect(new Set(actionIds).size, "action_ids unique in a block").toBe(actionIds.length);
      for (const element of block.elements) {
        expect(element.text.type).toBe("plain_text");
        expect(element.action_id.length).toBeLessThanOrEqual(SLACK_LIMITS.id);
        expect((element.value ?? "").length).toBeLessThanOrEqual(SLACK_LIMITS.buttonValue);
      }
    }
    if (block.type === "context")
      expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
    if (block.type === "section")
      // A code block split over sections is closed in each.
      expect((block.text.text.match(/```/g) ?? []).length % 2).toBe(0);
  }
}

function expectValidMessage(message: SlackMessage): void {
  expectValidBlocks(message.blocks, SLACK_LIMITS.messageBlocks);
  expect(message.text.trim().length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
  expectNoMarkup(message.text);
}

function expectNoMarkup(text: string): void {
  expect(text).not.toMatch(/\*\*|__|```|`|~~/);
  expect(text).not.toMatch(/(^|\s)[*_][^\s*_][^*_]*[*_](\s|$)/m);
  expect(text).not.toMatch(/<[^>]*>|\[[^\]]*\]\(/);
}

const actionBlocks = (blocks: readonly Block[]) => blocks.filter((b) => b.type === "actions");

describe("toMrkdwn", () => {
  it.each([
    ["bold", "**Fractions** first", "*Fractions* first"],
    ["bold with underscores", "__Fractions__ first", "*Fractions* first"],
    ["italic with stars", "an *idea*", "an _idea_"],
    ["italic with underscores", "an _idea_", "an _idea_"],
    ["bold and italic", "***both***", "*_both_*"],
    ["bold next to italic", "**a** and *b*.", "*a* and _b_."],
    ["strikethrough", "~~wrong~~ right", "~wrong~ right"],
    ["inline code kept, entities inside", "`a < b && c`", "`a &lt; b &amp;&amp; c`"],
    ["no emphasis inside code", "**x** `**y**`", "*x* `**y**`"],
    ["fenced code, language dropped", "```ts\nif (a<b) {}\n```", "```\nif (a&lt;b) {}\n```"],
    ["unclosed fence is closed", "```\nx > 1", "```\nx &gt; 1\n```"],
    ["link", "[Slack](https://slack.com/?a=1&b=2)", "<https://slack.com/?a=1&amp;b=2|Slack>"],
    ["link text loses markup", "[**see** `this`](https://e.com)", "<https://e.com|see this>"],
    ["link to itself", "[https://e.com](https://e.com)", "<https://e.com>"],
    ["autolink", "<https://e.com/x>", "<https://e.com/x>"],
    ["non-web link stays text", "[x](ftp://e.com)", "x (ftp://e.com)"],
    ["pipe in a URL", "[t](https://e.com/a|b)", "<https://e.com/a%7Cb|t>"],
    ["heading", "# Fractions", "*Fractions*"],
    ["heading with bold", "## The **key** idea ##", "*The key idea*"],
    ["bullets", "- one\n* two\n+ three", "• one\n• two\n• three"],
    ["nested bullet", "  - inner", "  • inner"],
    ["numbered list kept", "1. one\n2. two", "1. one\n2. two"],
    ["quote keeps Slack's marker", "> a & b", "> a &amp; b"],
    ["control characters", "a < b > c & d", "a &lt; b &gt; c &amp; d"],
    ["no mention injection", "<!channel> <@U123>", "&lt;!channel&gt; &lt;@U123&gt;"],
    ["multiplication stays", "2*3*4 and 3 * 4 * 5", "2*3*4 and 3 * 4 * 5"],
    ["power stays", "2**3 + 3**2", "2**3 + 3**2"],
    ["snake_case stays", "use snake_case_names", "use snake_case_names"],
    ["escaped star never formats", "\\*not italic\\*", "∗not italic∗"],
    ["unclosed bold stays", "x **y", "x **y"],
    ["rule", "---", "──────────"],
    ["paragraphs kept", "one\n\ntwo", "one\n\ntwo"],
    ["emoji kept", "Well done 🎉", "Well done 🎉"],
  ])("%s", (_, markdown, expected) => {
    expect(toMrkdwn(markdown)).toBe(expected);
  });
});

describe("toPlainText", () => {
  it.each([
    ["markers dropped", "**Fractions**: *half* of `1/2`", "Fractions: half of 1/2"],
    ["link as text and URL", "see [the guide](https://e.com)", "see the guide (https://e.com)"],
    ["fences dropped, code kept", "Try:\n```\nx = 1\n```", "Try:\nx = 1"],
    ["heading and bullets", "# Title\n- item", "Title\n• item"],
    ["quote", "> quoted", "quoted"],
    ["multiplication stays", "2*3*4", "2*3*4"],
    ["escaped star", "\\*literal\\*", "*literal*"],
  ])("%s", (_, markdown, expected) => {
    expect(toPlainText(markdown)).toBe(expected);
  });
});

describe("truncate and splitMrkdwn", () => {
  it("truncates with an ellipsis and never splits a surrogate pair", () => {
    expect(truncate("short", 10)).toBe("short");
    expect(truncate("abcdefghij", 5)).toBe("abcd…");
    const cut = truncate("ab🎉🎉🎉", 4);
    expect(cut.length).toBeLessThanOrEqual(4);
    expect(cut).toBe("ab…");
  });

  it("splits long text between lines, every piece within the limit, nothing lost", () => {
    const paragraphs = Array.from(
      { length: 40 },
      (_, i) => `Paragraph ${i}: ${"word ".repeat(30)}`,
    );
    const pieces = splitMrkdwn(paragraphs.join("\n\n"), 500);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(500);
    const joined = pieces.join("\n");
    for (let i = 0; i < 40; i++) expect(joined).toContain(`Paragraph ${i}:`);
  });

  it("closes and reopens a code block cut in two", () => {
    const code = ["```", ...Array.from({ length: 200 }, (_, i) => `line ${i}`), "```"].join("\n");
    const pieces = splitMrkdwn(code, 300);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(300);
      expect(piece.startsWith("```")).toBe(true);
      expect(piece.endsWith("```")).toBe(true);
    }
  });

  it("cuts a line with no breaks without splitting an entity or a link", () => {
    const line = `${"&amp;".repeat(300)}<https://e.com|x>${"y".repeat(3000)}`;
    const pieces = splitMrkdwn(line, 1000);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(1000);
      expect(piece).not.toMatch(/&[a-z]*$|^[a-z]*;/);
      expect((piece.match(/</g) ?? []).length).toBe((piece.match(/>/g) ?? []).length);
    }
    expect(pieces.join("")).toBe(line);
  });
});

describe("renderReply", () => {
  it("a choice question: prompt with choices, one button per choice, controls, why", () => {
    const message = renderReply(question());
    expectValidMessage(message);
    const [prompt] = message.blocks;
    expect(prompt).toMatchObject({ type: "section" });
    expect(texts(prompt as Block)[0]?.text).toBe(
      "*Adding fractions*\n\nWhat is `1/4 + 1/2`?\n\n*a)* 3/4\n*b)* 2/6\n*c)* *1/8*",
    );
    const [choices, controls] = actionBlocks(message.blocks);
    expect(choices?.elements.map((e) => [e.action_id, e.text.text, e.value])).toEqual([
      ["answer:0", "a) 3/4", "add-unlike-3|a"],
      ["answer:1", "b) 2/6", "add-unlike-3|b"],
      ["answer:2", "c) 1/8", "add-unlike-3|c"],
    ]);
    expect(controls?.elements.map((e) => [e.action_id, e.value])).toEqual([
      ["hint", "add-unlike-3"],
      ["explain", "add-unlike-3"],
      ["skip", "add-unlike-3"],
    ]);
    expect(message.blocks.at(-1)).toEqual({
      type: "context",
      elements: [
        { type: "mrkdwn", text: "*Adding unlike fractions* · 🔁 review, to keep it fresh" },
      ],
    });
    expect(message.text).toBe("Adding fractions\n\nWhat is 1/4 + 1/2?\na) 3/4\nb) 2/6\nc) 1/8");
  });

  it("every button reads back as the action the tutor expects", () => {
    const message = renderReply(question());
    const read = actionBlocks(message.blocks)
      .flatMap((b) => b.elements)
      .map((e) => parseActionValue(e.action_id, e.value));
    expect(read).toEqual([
      { id: "answer", itemId: "add-unlike-3", value: "a" },
      { id: "answer", itemId: "add-unlike-3", value: "b" },
      { id: "answer", itemId: "add-unlike-3", value: "c" },
      { id: "hint", itemId: "add-unlike-3" },
      { id: "explain", itemId: "add-unlike-3" },
      { id: "skip", itemId: "add-unlike-3" },
    ]);
  });

  it("a typed question has the controls but no choice buttons; controls can be left off", () => {
    const typed = question({ itemType: "numeric", reason: "assignment" });
    delete (typed as { choices?: unknown }).choices;
    const message = renderReply(typed);
    expectValidMessage(message);
    expect(actionBlocks(message.blocks).map((b) => b.block_id)).toEqual(["controls:add-unlike-3"]);
    expect(JSON.stringify(message.blocks)).toContain("assigned by your teacher");
    expect(actionBlocks(renderReply(typed, { hasControls: false }).blocks)).toEqual([]);
  });

  it("8 long choices: buttons truncated within 75 characters, full text in the prompt", () => {
    const long = (k: number) =>
      `Choice ${k}: ${"a rather long answer with **markup** ".repeat(6)}`.trim();
    const reply = question({
      choices: Array.from({ length: 8 }, (_, k) => ({
        label: "abcdefgh"[k] as string,
        text: long(k),
      })),
    });
    const message = renderReply(reply);
    expectValidMessage(message);
    const buttons = actionBlocks(message.blocks)[0]?.elements ?? [];
    expect(buttons).toHaveLength(8);
    for (const b of buttons) {
      expect(b.text.text.length).toBeLessThanOrEqual(75);
      expect(b.text.text.endsWith("…")).toBe(true);
      expect(b.text.text).not.toContain("**");
    }
    const prompt = message.blocks
      .filter((b) => b.type === "section")
      .map((b) => texts(b)[0]?.text)
      .join("\n");
    expect(prompt).toContain(toMrkdwn(long(7)));
  });

  it("an item id too long for a button value still gives a working answer", () => {
    const itemId = "x".repeat(2500);
    const message = renderReply(question({ itemId }));
    expectValidMessage(message);
    const [first] = actionBlocks(message.blocks)[0]?.elements ?? [];
    expect(parseActionValue(first?.action_id ?? "", first?.value)).toEqual({
      id: "answer",
      value: "a",
    });
  });

  it("a 5000-character explanation is split over sections within Slack's limits", () => {
    const sentence = "A fraction names a part of a whole, & the denominator says how many parts. ";
    const text = `**Fractions**\n\n${sentence.repeat(Math.ceil(5000 / sentence.length))}`;
    expect(text.length).toBeGreaterThan(5000);
    const message = renderReply({ kind: "explanation", skillId: "fractions", text });
    expectValidMessage(message);
    expect(message.blocks.length).toBeGreaterThan(1);
    expect(message.blocks.every((b) => b.type === "section")).toBe(true);
    const words = (s: string) => s.replace(/\s+/g, " ").trim();
    expect(words(message.blocks.map((b) => texts(b)[0]?.text).join(" "))).toBe(
      words(toMrkdwn(text)),
    );
  });

  it("an enormous reply stays within 50 blocks and 40000 characters of fallback", () => {
    const text = "word ".repeat(60_000);
    const message = renderReply({ kind: "info", text });
    expectValidMessage(message);
    expect(message.blocks).toHaveLength(SLACK_LIMITS.messageBlocks);
    expect(texts(message.blocks.at(-1) as Block)[0]?.text.endsWith("…")).toBe(true);
    expect(message.text.endsWith("…")).toBe(true);
  });

  it.each<[string, Reply, string]>([
    [
      "right feedback",
      {
        kind: "feedback",
        itemId: "i",
        correct: true,
        isItemDone: true,
        text: "**Correct!** 3/4",
        mastered: ["s"],
      },
      "✅ *Correct!* 3/4",
    ],
    [
      "wrong feedback",
      { kind: "feedback", itemId: "i", correct: false, isItemDone: false, text: "Not quite." },
      "❌ Not quite.",
    ],
    [
      "hint",
      { kind: "hint", itemId: "i", rung: 1, of: 3, text: "Hint 1 of 3: *common* denominators" },
      "💡 Hint 1 of 3: _common_ denominators",
    ],
    ["info", { kind: "info", text: "Say **start**." }, "Say *start*."],
    [
      "error",
      { kind: "error", text: "Sorry, something went wrong." },
      "⚠️ Sorry, something went wrong.",
    ],
  ])("%s: a section, and a plain fallback", (_, reply, expected) => {
    const message = renderReply(reply);
    expectValidMessage(message);
    expect(message.blocks).toEqual([{ type: "section", text: { type: "mrkdwn", text: expected } }]);
    expect(message.text).toBe(toPlainText(reply.text));
  });

  it("the fallback escapes Slack's control characters", () => {
    const message = renderReply({ kind: "info", text: "Is **1/2 < 3/4** & why?" });
    expect(message.text).toBe("Is 1/2 &lt; 3/4 &amp; why?");
  });

  it("progress: a header, a bar per skill, the numbers in a context block", () => {
    const message = renderReply(progress(SKILLS));
    expectValidMessage(message);
    expect(message.blocks.map((b) => b.type)).toEqual(["header", "section", "section", "context"]);
    expect(texts(message.blocks[1] as Block)[0]?.text).toBe("*1 of 4 skills mastered*");
    expect(texts(message.blocks[2] as Block)[0]?.text.split("\n")).toEqual([
      "`██████████`  *Equivalent fractions* · ✅ mastered",
      "`██████░░░░`  *Adding like fractions* · 60%",
      "`███░░░░░░░`  *Adding unlike fractions* · ⚠️ stuck, ask for help",
      "`░░░░░░░░░░`  *Mixed numbers* · not started",
    ]);
    expect(texts(message.blocks[3] as Block)[0]?.text).toBe(
      "75% right first time · 12 items done · streak 3 (best 5)",
    );
    expect(message.text).toContain("Adding like fractions: 60%");
  });

  it("progress with hundreds of skills stays within 50 blocks", () => {
    const many = Array.from({ length: 400 }, (_, i) =>
      skill(`Skill number ${i} ${"x".repeat(40)}`, i / 400),
    );
    const message = renderReply(progress(many));
    expectValidMessage(message);
    expect(message.blocks.at(-1)?.type).toBe("context");
  });
});

describe("closedQuestionBlocks", () => {
  it("closes a question from the blocks Slack sends back", () => {
    const posted = JSON.parse(JSON.stringify(renderReply(question()).blocks)) as unknown[];
    const closed = closedQuestionBlocks(posted, "skipped") as Block[];
    expect(actionBlocks(closed)).toEqual([]);
    expect(closed[0]).toEqual(posted[0]);
    expect(closed.at(-1)).toEqual({
      type: "context",
      elements: [{ type: "mrkdwn", text: "Skipped" }],
    });
  });
});

describe("closedBlocks", () => {
  it("takes every button away and says what happened", () => {
    const posted = renderReply(confirm()).blocks as unknown[];
    const closed = closedBlocks(posted, "You chose: *Delete*") as Block[];
    expect(actionBlocks(closed)).toEqual([]);
    expect(closed.at(-1)).toEqual({
      type: "context",
      elements: [{ type: "mrkdwn", text: "You chose: *Delete*" }],
    });
  });

  it("keeps a message without its blocks (an ephemeral one) to the line alone", () => {
    expect(closedBlocks([], "▶ Started")).toHaveLength(1);
  });
});

const confirm = (overrides: Partial<ConfirmReply> = {}): ConfirmReply => ({
  kind: "confirm",
  text: "This deletes **everything** I keep about you here: progress, answers, assignments. It can't be undone.",
  action: "forget-confirm",
  confirmLabel: "Delete my data",
  cancelLabel: "Keep my data",
  isPrivate: true,
  ...overrides,
});

describe("a confirmation", () => {
  it("is the question with a red confirm button that asks again, and a cancel button", () => {
    const message = renderReply(confirm());
    expectValidMessage(message);
    expect(message.blocks[0]).toMatchObject({ type: "section" });
    expect(JSON.stringify(message.blocks[0])).toContain("*everything*");
    const [actions] = actionBlocks(message.blocks);
    const [yes, no] = (actions?.type === "actions" ? actions.elements : []) as ButtonElement[];
    expect(yes).toMatchObject({
      action_id: "forget-confirm",
      style: "danger",
      text: { text: "Delete my data" },
      confirm: {
        title: { type: "plain_text" },
        confirm: { type: "plain_text", text: "Delete my data" },
        deny: { type: "plain_text", text: "Keep my data" },
        style: "danger",
      },
    });
    expect(yes?.confirm?.text.text).not.toMatch(/\*\*/);
    expect(no).toMatchObject({ action_id: "forget-cancel", text: { text: "Keep my data" } });
    expect(no?.style).toBeUndefined();
    // The presses come back as the tutor's actions.
    expect(parseActionValue(yes?.action_id ?? "", yes?.value)).toEqual({ id: "forget-confirm" });
    expect(parseActionValue(no?.action_id ?? "", no?.value)).toEqual({ id: "forget-cancel" });
  });

  it("keeps the dialog within Slack's limits", () => {
    const long = renderReply(
      confirm({
        text: "word ".repeat(400),
        confirmLabel: "x".repeat(80),
        cancelLabel: "y".repeat(80),
      }),
    );
    expectValidMessage(long);
    const [actions] = actionBlocks(long.blocks);
    const yes = (actions?.type === "actions" ? actions.elements[0] : undefined) as ButtonElement;
    expect(yes.confirm?.title.text.length).toBeLessThanOrEqual(SLACK_LIMITS.confirmTitle);
    expect(yes.confirm?.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.confirmText);
    expect(yes.confirm?.confirm.text.length).toBeLessThanOrEqual(SLACK_LIMITS.confirmButton);
    expect(yes.confirm?.deny.text.length).toBeLessThanOrEqual(SLACK_LIMITS.confirmButton);
  });
});

describe("noticeMessage", () => {
  it("an assignment: its text and a primary Start button carrying the assignment id", () => {
    const message = noticeMessage({
      kind: "assignment",
      text: "📚 Your teacher assigned you **Halves**. Due 2026-12-01.\n> Read page 4 first",
      start: { assignmentId: "A3" },
    });
    expectValidMessage(message);
    expect(JSON.stringify(message.blocks)).toContain("*Halves*");
    const [actions] = actionBlocks(message.blocks);
    expect(actions).toMatchObject({
      elements: [{ action_id: "start", value: "A3", style: "primary" }],
    });
    expect(parseActionValue("start", "A3")).toEqual({ id: "start", value: "A3" });
  });

  it("a review nudge: Start without an assignment; a digest: no button", () => {
    const nudge = noticeMessage({ kind: "review", text: "Reviews are due.", start: {} });
    const [actions] = actionBlocks(nudge.blocks);
    const start = (actions?.type === "actions" ? actions.elements[0] : undefined) as ButtonElement;
    expect(start).toMatchObject({ action_id: "start" });
    expect(start.value).toBeUndefined();
    expect(actionBlocks(noticeMessage({ kind: "digest", text: "All done." }).blocks)).toEqual([]);
  });
});

describe("files and notes", () => {
  it("says where the files went, or that they could not be sent", () => {
    expect(filesNote(["Class heat map"], true)).toBe("📎 I've sent *Class heat map* to our DM.");
    expect(filesNote(["a <b>"], false)).toMatch(/couldn't send \*a &lt;b&gt;\*/);
  });

  it("adds the note under a reply, as a context line and in the fallback text", () => {
    const message = withNote(renderReply({ kind: "info", text: "Report" }), "📎 sent");
    expectValidMessage(message);
    expect(message.blocks.at(-1)).toEqual({
      type: "context",
      elements: [{ type: "mrkdwn", text: "📎 sent" }],
    });
    expect(message.text).toContain("📎 sent");
    const plain = renderReply({ kind: "info", text: "Report" });
    expect(withNote(plain, undefined)).toBe(plain);
  });
});

describe("slash command text", () => {
  it.each([
    ["", "", ""],
    ["  progress  ", "progress", ""],
    [
      'assign Halves to <@U0ANA|ana smith>  <#C0CLASS|class-7a> note "read  p. 4"',
      "assign",
      'Halves to <@U0ANA|ana smith>  <#C0CLASS|class-7a> note "read  p. 4"',
    ],
    ["report\n<!subteam^S0TEACH|@teachers>", "report", "<!subteam^S0TEACH|@teachers>"],
  ])("%j → %j + %j", (text, head, rest) => {
    expect(splitCommandText(text)).toEqual({ head, rest });
  });

  it.each([
    ["trains &amp; planes", "trains & planes"],
    ["1 &lt; 2 &gt; 0", "1 < 2 > 0"],
    ["&amp;lt;", "&lt;"],
    ["ask <@U0ANA|ana>", "ask @ana"],
    ["ask <@U0ANA>", "ask @U0ANA"],
    ["in <#C0CLASS|class-7a>", "in #class-7a"],
    ["<!subteam^S0T|@teachers> and <!here>", "@teachers and @here"],
    [
      "see <https://example.com|the site> or <https://example.org>",
      "see the site or https://example.org",
    ],
  ])("%j reads as %j", (escaped, typed) => {
    expect(unescapeCommandText(escaped)).toBe(typed);
  });
});

describe("parseActionValue", () => {
  it.each([
    ["answer:3", "item-1|d", { id: "answer", itemId: "item-1", value: "d" }],
    ["answer", "item|with|pipes|b", { id: "answer", itemId: "item|with|pipes", value: "b" }],
    ["answer", "|a", { id: "answer", value: "a" }],
    ["hint", "item-1", { id: "hint", itemId: "item-1" }],
    ["skip", "", { id: "skip" }],
    ["start", "A12", { id: "start", value: "A12" }],
    ["start", "", { id: "start" }],
    ["forget-confirm", "forget-confirm", { id: "forget-confirm" }],
    ["forget-cancel", undefined, { id: "forget-cancel" }],
    ["next", undefined, undefined],
    ["unknown", "x", undefined],
    ["hints", "x", undefined],
  ])("%s %s", (actionId, value, expected) => {
    expect(parseActionValue(actionId, value)).toEqual(expected);
  });

  it("choiceValue round-trips", () => {
    expect(parseActionValue("answer:0", choiceValue("q|7", "a"))).toEqual({
      id: "answer",
      itemId: "q|7",
      value: "a",
    });
  });
});

describe("homeView", () => {
  it("progress per skill, how to start, and no assignments due", () => {
    const view = homeView(progress(SKILLS), { courseTitle: "Fractions" });
    expect(view.type).toBe("home");
    expectValidBlocks(view.blocks, SLACK_LIMITS.homeBlocks);
    const all = JSON.stringify(view.blocks);
    expect(all).toContain("Messages");
    expect(all).toContain("Progress in Fractions");
    expect(all).toContain("`██████░░░░`  *Adding like fractions* · 60%");
    expect(view.blocks.at(-2)).toEqual({
      type: "header",
      text: { type: "plain_text", text: "Assignments due", emoji: true },
    });
    expect(view.blocks.at(-1)).toEqual({
      type: "section",
      text: { type: "mrkdwn", text: "No assignments due" },
    });
  });

  it("assignments due, soonest first, as dates in the viewer's time zone", () => {
    const view = homeView(progress(SKILLS), {
      assignments: [
        { skillName: "Mixed numbers", dueAt: Date.UTC(2025, 4, 20, 12) },
        { skillName: "Adding <like> fractions", dueAt: Date.UTC(2025, 4, 10, 12) },
      ],
    });
    expectValidBlocks(view.blocks, SLACK_LIMITS.homeBlocks);
    expect(texts(view.blocks.at(-1) as Block)[0]?.text).toBe(
      [
        `• *Adding &lt;like&gt; fractions*, due <!date^${Date.UTC(2025, 4, 10, 12) / 1000}^{date_short_pretty}|2025-05-10>`,
        `• *Mixed numbers*, due <!date^${Date.UTC(2025, 4, 20, 12) / 1000}^{date_short_pretty}|2025-05-20>`,
      ].join("\n"),
    );
  });

  it("before the first session", () => {
    const view = homeView(undefined);
    expectValidBlocks(view.blocks, SLACK_LIMITS.homeBlocks);
    expect(JSON.stringify(view.blocks)).toContain("No practice yet");
    expect(JSON.stringify(view.blocks)).toContain("No assignments due");
  });

  it("many skills and assignments stay within 100 blocks, assignments still shown", () => {
    const many = Array.from({ length: 2000 }, (_, i) => skill(`Skill ${i} ${"y".repeat(60)}`, 0.5));
    const assignments = Array.from({ length: 500 }, (_, i) => ({
      skillName: `Skill ${i} ${"z".repeat(60)}`,
      dueAt: Date.UTC(2025, 0, 1) + i * 86_400_000,
    }));
    const view = homeView(progress(many), { assignments });
    expectValidBlocks(view.blocks, SLACK_LIMITS.homeBlocks);
    expect(JSON.stringify(view.blocks)).toContain("Assignments due");
    expect(view.blocks.at(-1)?.type).toBe("section");
  });
});
