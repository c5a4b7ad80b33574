import {
  ActionRowBuilder,
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIInteractionResponseCallbackData,
  type APIMessageTopLevelComponent,
  ButtonBuilder,
  ButtonStyle,
  ComponentType,
  embedLength,
  MessageFlags,
  ModalBuilder,
  type RESTPostAPIChannelMessageJSONBody,
} from "discord.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ANSWER_INPUT_ID,
  answeredComponents,
  answerModal,
  DISCORD_LIMITS,
  type DiscordPayload,
  encodeCustomId,
  itemKey,
  parseCustomId,
  parseModalSubmit,
  pressedComponents,
  renderNotice,
  renderReply,
  STATUS_ID,
  splitMarkdown,
  toInboundAction,
  toPlainLine,
  truncateMarkdown,
} from "../../../src/adapters/discord/render.ts";
import type {
  Attachment,
  ConfirmReply,
  ProgressReply,
  QuestionReply,
  Reply,
  SkillView,
} from "../../../src/tutor/index.ts";

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

const typedQuestion = (overrides: Partial<QuestionReply> = {}): QuestionReply => {
  const { choices: _, ...rest } = question({ itemType: "numeric", ...overrides });
  return rest;
};

const skill = (name: string, mastery: number, flags: Partial<SkillView> = {}): SkillView => ({
  id: name.toLowerCase().replace(/\W+/g, "-"),
  name,
  mastery,
  isMastered: mastery >= 0.95,
  isStarted: mastery > 0,
  isStuck: false,
  ...flags,
});

const progress = (skills: readonly SkillView[], overrides: Partial<ProgressReply> = {}) =>
  ({
    kind: "progress",
    text: "**Fractions**: progress",
    courseId: "fractions",
    mastery: Object.fromEntries(skills.map((s) => [s.id, s.mastery])),
    skills,
    accuracy: 0.75,
    itemsDone: 12,
    streak: 3,
    bestStreak: 5,
    ...overrides,
  }) satisfies ProgressReply;

const SKILLS = [
  skill("Equivalent fractions", 0.97),
  skill("Adding like fractions", 0.6),
  skill("Adding unlike fractions", 0.3, { isStuck: true }),
  skill("Mixed numbers", 0),
];

const text = (kind: "info" | "error" | "explanation", body: string): Reply =>
  kind === "explanation" ? { kind, text: body, skillId: "add-unlike" } : { kind, text: body };

const ALL_KINDS: readonly Reply[] = [
  question(),
  typedQuestion(),
  {
    kind: "feedback",
    text: "Right: **3/4**.",
    itemId: "add-unlike-3",
    correct: true,
    isItemDone: true,
  },
  {
    kind: "feedback",
    text: "Not quite.",
    itemId: "add-unlike-3",
    correct: false,
    isItemDone: false,
  },
  { kind: "hint", text: "Find a common denominator.", itemId: "add-unlike-3", rung: 1, of: 3 },
  text("explanation", "To add fractions, first make the denominators equal."),
  text("info", "Welcome to **Fractions**."),
  text("error", "Something went wrong."),
  progress(SKILLS),
  {
    kind: "confirm",
    text: "Delete everything Socra keeps about you?",
    action: "forget-confirm",
    confirmLabel: "Delete my data",
    cancelLabel: "Keep it",
    isPrivate: true,
  },
];

/** The one message a reply renders as (most do). */
function only(reply: Reply, options: Parameters<typeof renderReply>[1] = {}): DiscordPayload {
  const payloads = renderReply(reply, options);
  expect(payloads).toHaveLength(1);
  const [payload] = payloads;
  if (!payload) return expect.fail("no payload");
  return payload;
}

function buttons(rows: readonly APIMessageTopLevelComponent[] | undefined): APIButtonComponent[] {
  return (rows ?? []).flatMap((row) =>
    row.type === ComponentType.ActionRow
      ? row.components.filter((c): c is APIButtonComponent => c.type === ComponentType.Button)
      : [],
  );
}

/** A button's label (premium buttons have none). */
function labelOf(b: APIButtonComponent): string | undefined {
  return "label" in b ? b.label : undefined;
}

function customIds(rows: readonly APIMessageTopLevelComponent[] | undefined): string[] {
  return buttons(rows).flatMap((b) => ("custom_id" in b ? [b.custom_id] : []));
}

/** Discord's component rules: ≤ 5 rows, ≤ 5 buttons a row, labels ≤ 80, unique ids ≤ 100. */
function expectValidRows(rows: readonly APIActionRowComponent<APIButtonComponent>[]): void {
  expect(rows.length).toBeLessThanOrEqual(DISCORD_LIMITS.actionRows);
  for (const row of rows) {
    expect(row.components.length).toBeGreaterThan(0);
    expect(row.components.length).toBeLessThanOrEqual(DISCORD_LIMITS.buttonsPerRow);
    // The builders validate again on the way back in.
    expect(new ActionRowBuilder<ButtonBuilder>(row).toJSON()).toEqual(row);
  }
  for (const b of buttons(rows)) expect((labelOf(b) ?? "").length).toBeLessThanOrEqual(80);
  const ids = customIds(rows);
  for (const id of ids) expect(id.length).toBeLessThanOrEqual(DISCORD_LIMITS.customId);
  expect(new Set(ids).size).toBe(ids.length);
}

/** Fenced code blocks are balanced: every chunk renders its code as code. */
function fenceCount(chunk: string): number {
  return chunk.split("```").length - 1;
}

describe("renderReply", () => {
  it("shows a question as content: skill header, prompt, choices; the payload is API JSON", () => {
    const payload = only(question());
    expect(payload.content).toBe(
      [
        "-# **Adding unlike fractions** · 🔁 review, to keep it fresh",
        "**Adding fractions**",
        "",
        "What is `1/4 + 1/2`?",
        "",
        "**a)** 3/4",
        "**b)** 2/6",
        "**c)** **1/8**",
      ].join("\n"),
    );
    expect(payload.flags).toBeUndefined();
    expect(payload.embeds).toBeUndefined();
    // Assignable to what REST and interaction callbacks take.
    const asMessage: RESTPostAPIChannelMessageJSONBody = payload;
    const asCallback: APIInteractionResponseCallbackData = payload;
    expect(asMessage.allowed_mentions).toEqual({ parse: [] });
    expect(asCallback.allowed_mentions).toEqual({ parse: [] });
  });

  it("puts a question's choices on buttons and Hint / Explain / Skip in a row under them", () => {
    const rows = only(question()).components ?? [];
    expectValidRows(rows);
    expect(rows.map((row) => row.components.map(labelOf))).toEqual([
      ["a) 3/4", "b) 2/6", "c) 1/8"],
      ["Hint", "Explain", "Skip"],
    ]);
    expect(customIds(rows)).toEqual([
      "answer:add-unlike-3:a",
      "answer:add-unlike-3:b",
      "answer:add-unlike-3:c",
      "hint:add-unlike-3",
      "explain:add-unlike-3",
      "skip:add-unlike-3",
    ]);
    expect(buttons(rows).map((b) => b.style)).toEqual([
      ButtonStyle.Primary,
      ButtonStyle.Primary,
      ButtonStyle.Primary,
      ButtonStyle.Secondary,
      ButtonStyle.Secondary,
      ButtonStyle.Secondary,
    ]);
  });

  it("offers an Answer button (a modal) for an item that is typed, not chosen", () => {
    const payload = only(typedQuestion());
    expect(payload.content).not.toContain("**a)**");
    const rows = payload.components ?? [];
    expectValidRows(rows);
    expect(rows).toHaveLength(1);
    expect(customIds(rows)).toEqual([
      "type:add-unlike-3",
      "hint:add-unlike-3",
      "explain:add-unlike-3",
      "skip:add-unlike-3",
    ]);
    expect(buttons(rows)[0]).toMatchObject({ label: "Answer", style: ButtonStyle.Primary });
  });

  it("leaves the controls out when asked, but never the way to answer", () => {
    expect(customIds(only(question(), { hasControls: false }).components)).toEqual([
      "answer:add-unlike-3:a",
      "answer:add-unlike-3:b",
      "answer:add-unlike-3:c",
    ]);
    expect(customIds(only(typedQuestion(), { hasControls: false }).components)).toEqual([
      "type:add-unlike-3",
    ]);
  });

  it("fits many choices in rows of five, keeping a row for the controls and the Answer button", () => {
    const choices = Array.from({ length: 23 }, (_, k) => ({ label: `c${k}`, text: `choice ${k}` }));
    const payload = only(question({ choices }));
    const rows = payload.components ?? [];
    expectValidRows(rows);
    expect(rows).toHaveLength(5);
    expect(customIds(rows).filter((id) => id.startsWith("answer:"))).toHaveLength(20);
    expect(customIds(rows.slice(-1))).toEqual([
      "type:add-unlike-3",
      "hint:add-unlike-3",
      "explain:add-unlike-3",
      "skip:add-unlike-3",
    ]);
    // Every choice is still listed in the text.
    expect(payload.content).toContain("**c22)** choice 22");
  });

  it("cuts a long choice to a button label of 80 characters, without its Markdown", () => {
    const long = `**${"a very long choice ".repeat(10)}** with \`code_here\``;
    const [first] = buttons(only(question({ choices: [{ label: "a", text: long }] })).components);
    const label = first ? labelOf(first) : undefined;
    expect(label).toHaveLength(80);
    expect(label?.endsWith("…")).toBe(true);
    expect(label).not.toContain("**");
    expect(toPlainLine("**bold** *it* _x_ `snake_case` [link](https://e.x) ~~no~~")).toBe(
      "bold it x snake_case link no",
    );
    expect(toPlainLine("2 * 3 * 4 and a*b*c")).toBe("2 * 3 * 4 and a*b*c");
  });

  it("escapes a skill's name (plain text), never the Markdown of texts", () => {
    const payload = only(question({ skillName: "Using *args and __init__", reason: "weird_one" }));
    expect(payload.content).toContain("**Using \\*args and \\_\\_init\\_\\_** · weird\\_one");
    expect(payload.content).toContain("What is `1/4 + 1/2`?");
  });

  it("marks feedback, hints and errors, and shows explanations and info as they are", () => {
    expect(only(ALL_KINDS[2] as Reply).content).toBe("✅ Right: **3/4**.");
    expect(only(ALL_KINDS[3] as Reply).content).toBe("❌ Not quite.");
    expect(only(ALL_KINDS[4] as Reply).content).toBe(
      "💡 Find a common denominator.\n-# Hint 1 of 3",
    );
    expect(only({ kind: "hint", text: "Last one.", itemId: "i", rung: 1, of: 1 }).content).toBe(
      "💡 Last one.",
    );
    expect(only(ALL_KINDS[5] as Reply).content).toBe(
      "To add fractions, first make the denominators equal.",
    );
    expect(only(ALL_KINDS[6] as Reply).content).toBe("Welcome to **Fractions**.");
    expect(only(ALL_KINDS[7] as Reply).content).toBe("⚠️ Something went wrong.");
    // An icon before a block goes on its own line, so the block still renders.
    expect(only(text("error", "```\ntrace\n```")).content).toBe("⚠️\n```\ntrace\n```");
    for (const reply of ALL_KINDS.slice(2, 8)) expect(only(reply).components).toBeUndefined();
  });

  it("renders a reply with no text as no message", () => {
    expect(renderReply(text("info", "  \n "))).toEqual([]);
  });

  it("sets the Ephemeral flag on every message when asked, and only then", () => {
    for (const reply of ALL_KINDS) {
      for (const payload of renderReply(reply, { ephemeral: true }))
        expect(payload.flags).toBe(MessageFlags.Ephemeral);
      for (const payload of renderReply(reply)) expect(payload).not.toHaveProperty("flags");
    }
  });

  it("never lets a text ping: every payload of every kind parses no mentions", () => {
    const pings = "@everyone @here <@123456789012345678> <@&123456789012345678>";
    const replies: Reply[] = [
      ...ALL_KINDS,
      text("info", pings),
      question({ text: pings, skillName: "@everyone" }),
      text("explanation", `${pings}\n${"line\n".repeat(900)}`),
    ];
    for (const reply of replies)
      for (const payload of renderReply(reply)) {
        expect(payload.allowed_mentions).toEqual({ parse: [] });
        expect(payload.allowedMentions).toEqual({ parse: [] });
      }
    // The text itself is shown as written.
    expect(only(text("info", pings)).content).toBe(pings);
  });
});

describe("progress", () => {
  it("is an embed with a mastery bar per skill, and accuracy, items and streak as fields", () => {
    const payload = only(progress(SKILLS));
    expect(payload.content).toBeUndefined();
    const [embed] = payload.embeds ?? [];
    expect(embed?.title).toBe("Your progress");
    expect(embed?.description).toBe(
      [
        "**1 of 4 skills mastered**",
        "",
        "`██████████` **Equivalent fractions** · ✅ mastered",
        "`██████░░░░` **Adding like fractions** · 60%",
        "`███░░░░░░░` **Adding unlike fractions** · ⚠️ stuck, ask for help",
        "`░░░░░░░░░░` **Mixed numbers** · not started",
      ].join("\n"),
    );
    expect(embed?.fields).toEqual([
      { name: "Accuracy", value: "75% right first time", inline: true },
      { name: "Items done", value: "12", inline: true },
      { name: "Streak", value: "3 (best 5)", inline: true },
    ]);
  });

  it("says so before any answer, names the course when given, and copes with no skills", () => {
    const [embed] =
      only(progress([], { accuracy: null, itemsDone: 0 }), { courseTitle: "Fractions" }).embeds ??
      [];
    expect(embed?.title).toBe("Your progress in Fractions");
    expect(embed?.description).toBe(
      "**0 of 0 skills mastered**\n\n*No skills in this course yet.*",
    );
    expect(embed?.fields?.[0]?.value).toBe("no answers yet");
  });

  it("stays within Discord's embed limits for a very large course", () => {
    const many = Array.from({ length: 300 }, (_, k) =>
      skill(`Skill number ${k} with a rather long and descriptive name`, (k % 10) / 10),
    );
    const [embed] = only(progress(many)).embeds ?? [];
    if (!embed) return expect.fail("no embed");
    expect(embed.description?.length).toBeLessThanOrEqual(DISCORD_LIMITS.embedDescription);
    expect(embedLength(embed)).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
    expect(embed.description).toMatch(/\n\*…and \d+ more\*$/);
    expect(embed.fields?.length).toBeLessThanOrEqual(DISCORD_LIMITS.embedFields);
  });
});

describe("custom_id", () => {
  const LONG_ID = `fraction-add-template?${Array.from({ length: 30 }, (_, k) => `p${k}=${k * 7}`).join("&")}`;

  it("round-trips every action", () => {
    const actions = [
      { id: "answer", itemId: "add-unlike-3", value: "b" },
      { id: "hint", itemId: "add-unlike-3" },
      { id: "explain", itemId: "add-unlike-3" },
      { id: "skip", itemId: "add-unlike-3" },
      { id: "type", itemId: "add-unlike-3" },
      { id: "answer", itemId: "tmpl?a=1&b=2", value: "c" },
      // No item id can hold ":", but a label is read after the last one anyway.
      { id: "answer", itemId: "odd:id", value: "a" },
      { id: "hint" },
    ] as const;
    for (const action of actions) expect(parseCustomId(encodeCustomId(action))).toEqual(action);
  });

  it("carries a long item id's key instead, within 100 characters", () => {
    expect(LONG_ID.length).toBeGreaterThan(100);
    const key = itemKey(LONG_ID);
    expect(key).toMatch(/^~[\w-]{16}$/);
    expect(itemKey(LONG_ID)).toBe(key);
    for (const id of ["answer", "hint", "explain", "skip", "type"] as const) {
      const customId = encodeCustomId({ id, itemId: LONG_ID, value: "a" });
      expect(customId.length).toBeLessThanOrEqual(100);
      const parsed = parseCustomId(customId);
      expect(parsed).toMatchObject({ id, itemKey: key });
      expect(parsed).not.toHaveProperty("itemId");
    }
    // Exactly 100 still carries the id.
    const fits = "x".repeat(100 - "answer:".length - ":a".length);
    expect(encodeCustomId({ id: "answer", itemId: fits, value: "a" })).toHaveLength(100);
    expect(parseCustomId(encodeCustomId({ id: "answer", itemId: fits, value: "a" }))?.itemId).toBe(
      fits,
    );
    expect(parseCustomId(encodeCustomId({ id: "answer", itemId: `${fits}y`, value: "a" }))).toEqual(
      { id: "answer", itemKey: itemKey(`${fits}y`), value: "a" },
    );
  });

  it("renders a question with a long item id whose buttons are all valid", () => {
    const rows = only(question({ itemId: LONG_ID })).components ?? [];
    expectValidRows(rows);
    expect(customIds(rows)[0]).toBe(`answer:${itemKey(LONG_ID)}:a`);
  });

  it("ignores custom_ids Socra did not make", () => {
    for (const id of ["", "status", STATUS_ID, "vote:1", "answer", "answer:no-label", "next:x"])
      expect(parseCustomId(id)).toBeUndefined();
    expect(parseCustomId("modal:add-unlike-3")).toBeUndefined();
  });

  it("becomes the tutor's action: without the key, and none for the modal opener", () => {
    expect(toInboundAction({ id: "answer", itemId: "i", value: "a" })).toEqual({
      id: "answer",
      itemId: "i",
      value: "a",
    });
    expect(toInboundAction({ id: "hint", itemKey: "~abc" })).toEqual({ id: "hint" });
    expect(toInboundAction({ id: "type", itemId: "i" })).toBeUndefined();
    expect(toInboundAction({ itemId: "i", answer: "3/4" })).toEqual({
      id: "answer",
      itemId: "i",
      value: "3/4",
    });
  });
});

describe("answeredComponents", () => {
  const rendered = () => only(question()).components ?? [];

  it("disables every button and adds a row saying how the question ended", () => {
    const rows = answeredComponents(rendered(), "skipped");
    expect(buttons(rows).every((b) => b.disabled === true)).toBe(true);
    expect(rows).toHaveLength(3);
    expect(rows.at(-1)).toEqual({
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.Button,
          custom_id: STATUS_ID,
          label: "Skipped",
          style: ButtonStyle.Secondary,
          disabled: true,
        },
      ],
    });
    // The same buttons, same ids: only their state changed.
    expect(customIds(rows.slice(0, -1))).toEqual(customIds(rendered()));
    for (const b of buttons(rows)) expect(ButtonBuilder.from(b).toJSON()).toEqual(b);
  });

  it("keeps the pressed choice coloured by the outcome, the others grey", () => {
    const rows = answeredComponents(rendered(), "correct", {
      chosenCustomId: "answer:add-unlike-3:a",
    });
    expect(buttons(rows).map((b) => [labelOf(b), b.style])).toEqual([
      ["a) 3/4", ButtonStyle.Success],
      ["b) 2/6", ButtonStyle.Secondary],
      ["c) 1/8", ButtonStyle.Secondary],
      ["Hint", ButtonStyle.Secondary],
      ["Explain", ButtonStyle.Secondary],
      ["Skip", ButtonStyle.Secondary],
      ["Answered ✓", ButtonStyle.Success],
    ]);
    const wrong = answeredComponents(rendered(), "incorrect", {
      chosenCustomId: "answer:add-unlike-3:b",
    });
    expect(buttons(wrong).map((b) => b.style)[1]).toBe(ButtonStyle.Danger);
  });

  it("takes discord.js components (anything with toJSON) and can run twice", () => {
    const fromBuilders = rendered().map((row) => new ActionRowBuilder<ButtonBuilder>(row));
    const once = answeredComponents(fromBuilders, "answered");
    const twice = answeredComponents(once, "superseded");
    expect(customIds(twice).filter((id) => id === STATUS_ID)).toHaveLength(1);
    const last = buttons(twice).at(-1);
    expect(last && labelOf(last)).toBe("Closed: a newer question took its place");
    expect(twice).toHaveLength(3);
  });

  it("puts the status in the last row with room when five rows are used, or leaves it out", () => {
    const choices = Array.from({ length: 20 }, (_, k) => ({ label: `c${k}`, text: String(k) }));
    const five = only(question({ choices })).components ?? [];
    expect(five).toHaveLength(5);
    const rows = answeredComponents(five, "correct");
    expect(rows).toHaveLength(5);
    expect(customIds(rows.slice(-1))).toEqual([
      "hint:add-unlike-3",
      "explain:add-unlike-3",
      "skip:add-unlike-3",
      STATUS_ID,
    ]);
    const full = Array.from({ length: 5 }, (_, r) =>
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        Array.from({ length: 5 }, (_, k) =>
          new ButtonBuilder()
            .setCustomId(`answer:i:${r}${k}`)
            .setLabel("x")
            .setStyle(ButtonStyle.Primary),
        ),
      ),
    );
    const closed = answeredComponents(full, "answered");
    expect(customIds(closed)).not.toContain(STATUS_ID);
    expect(buttons(closed).every((b) => b.disabled)).toBe(true);
  });

  it("keeps components that are not action rows as they are", () => {
    const display = { type: ComponentType.TextDisplay, content: "hello" } as const;
    expect(answeredComponents([display], "answered")[0]).toEqual(display);
  });
});

describe("the answer modal", () => {
  it("shows the prompt above one short, required text input", () => {
    const modal = answerModal("add-unlike-3", "What is `1/4 + 1/2`?");
    expect(modal).toEqual({
      custom_id: "modal:add-unlike-3",
      title: "Answer the question",
      components: [
        { type: ComponentType.TextDisplay, content: "What is `1/4 + 1/2`?" },
        {
          type: ComponentType.Label,
          label: "Your answer",
          component: {
            type: ComponentType.TextInput,
            custom_id: ANSWER_INPUT_ID,
            style: 1,
            required: true,
            max_length: 2000,
          },
        },
      ],
    });
    expect(modal.title.length).toBeLessThanOrEqual(DISCORD_LIMITS.modalTitle);
    // Valid for the builders as it stands.
    expect(ModalBuilder.from(modal).toJSON()).toEqual(modal);
  });

  it("cuts a long prompt and carries a long item id's key", () => {
    const longId = `t?${"p=1&".repeat(40)}`;
    const modal = answerModal(longId, `${"word ".repeat(1000)}`);
    expect(modal.custom_id).toBe(`modal:${itemKey(longId)}`);
    const [display] = modal.components;
    expect(
      display?.type === ComponentType.TextDisplay && display.content.length,
    ).toBeLessThanOrEqual(DISCORD_LIMITS.textDisplay);
    // Given the key parseCustomId returned, the modal carries it on.
    expect(answerModal(itemKey(longId), "Q").custom_id).toBe(`modal:${itemKey(longId)}`);
    expect(answerModal("i", "  ").components).toHaveLength(1);
  });

  it("reads a submission from discord.js fields or from the API's components", () => {
    expect(
      parseModalSubmit("modal:add-unlike-3", (id) => (id === "answer" ? " 3/4 " : null)),
    ).toEqual({ itemId: "add-unlike-3", answer: "3/4" });
    expect(
      parseModalSubmit("modal:add-unlike-3", [
        { type: ComponentType.TextDisplay, id: 1 },
        {
          type: ComponentType.Label,
          id: 2,
          component: { type: ComponentType.TextInput, id: 3, custom_id: "answer", value: "3/4" },
        },
      ]),
    ).toEqual({ itemId: "add-unlike-3", answer: "3/4" });
    expect(
      parseModalSubmit("modal:~abcdefghijklmnop", [
        {
          type: ComponentType.ActionRow,
          components: [{ type: ComponentType.TextInput, custom_id: "answer", value: "x = 2" }],
        },
      ]),
    ).toEqual({ itemKey: "~abcdefghijklmnop", answer: "x = 2" });
  });

  it("ignores modals Socra did not make, and submissions without the answer", () => {
    expect(parseModalSubmit("feedback:1", () => "hi")).toBeUndefined();
    expect(parseModalSubmit("modal:i", () => undefined)).toBeUndefined();
    expect(parseModalSubmit("modal:i", [])).toBeUndefined();
  });
});

describe("long text", () => {
  it("splits text longer than a message into several, each within 2000 characters", () => {
    const paragraph = "A sentence about fractions that goes on for a while. ".repeat(20);
    const long = Array.from({ length: 5 }, () => paragraph).join("\n\n");
    expect(long.length).toBeGreaterThan(5000);
    const payloads = renderReply(text("explanation", long));
    // Two paragraphs do not fit in one message: each goes whole into its own.
    expect(payloads.map((p) => p.content)).toEqual(Array(5).fill(paragraph.trim()));
    for (const payload of payloads) expect(payload.allowed_mentions).toEqual({ parse: [] });
    const words = "word ".repeat(1000);
    const split = renderReply(text("info", words));
    expect(split).toHaveLength(3);
    for (const payload of split)
      expect(payload.content?.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    expect(split.map((p) => p.content).join(" ")).toBe(words.trim());
  });

  it("closes a code block cut in two and reopens it, with its language", () => {
    const code = `Look:\n\`\`\`python\n${"total = total + 1\n".repeat(200)}\`\`\`\nDone.`;
    const chunks = splitMarkdown(code, 500);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(500);
      expect(fenceCount(chunk) % 2).toBe(0);
    }
    for (const chunk of chunks.slice(1)) expect(chunk.startsWith("```python\n")).toBe(true);
    expect(chunks.at(-1)?.endsWith("```\nDone.")).toBe(true);
  });

  it("puts a long question's buttons under its last message", () => {
    const payloads = renderReply(question({ text: "Read this first.\n".repeat(200) }));
    expect(payloads.length).toBe(2);
    expect(payloads[0]?.components).toBeUndefined();
    expect(payloads[0]?.content?.startsWith("-# **Adding unlike fractions**")).toBe(true);
    expect(customIds(payloads[1]?.components)).toHaveLength(6);
    expect(payloads[1]?.content).toMatch(/\*\*c\)\*\* \*\*1\/8\*\*$/);
  });

  it("stops after maxMessages, the last one cut with …", () => {
    const payloads = renderReply(text("info", "line of text\n".repeat(2000)), { maxMessages: 2 });
    expect(payloads).toHaveLength(2);
    expect(payloads[1]?.content?.endsWith("…")).toBe(true);
    expect(payloads[1]?.content?.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
  });

  it("cuts one line with no break and keeps surrogate pairs whole", () => {
    const emoji = "😀".repeat(1500);
    const chunks = splitMarkdown(emoji, 2000);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(2000);
      expect(chunk).not.toMatch(/[\uD800-\uDBFF]$/);
    }
    expect(chunks.join("")).toBe(emoji);
    const cut = truncateMarkdown(emoji, 100);
    expect(cut.length).toBeLessThanOrEqual(100);
    expect(cut.endsWith("😀…")).toBe(true);
  });

  it("truncates Markdown to a limit with …, closing a code block it cuts", () => {
    expect(truncateMarkdown("short", 10)).toBe("short");
    const cut = truncateMarkdown(`\`\`\`\n${"x\n".repeat(100)}\`\`\``, 50);
    expect(cut.length).toBeLessThanOrEqual(50);
    expect(fenceCount(cut)).toBe(2);
    expect(cut.endsWith("```\n…")).toBe(true);
  });

  it("always yields chunks within the limit with balanced code fences (property)", () => {
    const line = fc.oneof(
      fc.constant("```"),
      fc.constant("```js"),
      fc.string({ maxLength: 300 }).filter((s) => !s.includes("`")),
      fc.constant(""),
    );
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 60 }),
        fc.integer({ min: 80, max: 2000 }),
        (lines, max) => {
          const chunks = splitMarkdown(lines.join("\n"), max);
          for (const chunk of chunks) {
            expect(chunk.length).toBeLessThanOrEqual(max);
            expect(chunk.trim()).not.toBe("");
          }
          // A block left open at the end is closed too.
          for (const chunk of chunks) expect(fenceCount(chunk) % 2).toBe(0);
        },
      ),
    );
  });
});

describe("private replies, files and confirmations", () => {
  const png: Attachment = {
    name: "heatmap.png",
    mimeType: "image/png",
    data: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    title: "Mastery by learner and skill",
  };
  const confirm: ConfirmReply = {
    kind: "confirm",
    text: "Delete everything Socra keeps about you? This cannot be undone.",
    action: "forget-confirm",
    confirmLabel: "Delete my data",
    cancelLabel: "Cancel",
    isPrivate: true,
  };

  it("uploads a reply's files with its (last) message, the title as alt text", () => {
    const long = "| learner | mastery |\n".repeat(150);
    const payloads = renderReply({ kind: "info", text: long, attachments: [png] });
    expect(payloads.length).toBeGreaterThan(1);
    expect(payloads.slice(0, -1).every((p) => p.files === undefined)).toBe(true);
    const [file] = payloads.at(-1)?.files ?? [];
    expect(file).toMatchObject({ name: "heatmap.png", description: png.title });
    expect(Buffer.from((file?.attachment ?? Buffer.alloc(0)) as Buffer)).toEqual(
      Buffer.from(png.data),
    );
  });

  it("sends files without text, ten to a message", () => {
    expect(renderReply({ kind: "info", text: " ", attachments: [png] })).toEqual([
      expect.objectContaining({ files: [expect.objectContaining({ name: "heatmap.png" })] }),
    ]);
    const many = Array.from({ length: 12 }, (_, k) => ({ ...png, name: `f${k}.png` }));
    const payloads = renderReply({ kind: "info", text: "Your files", attachments: many });
    expect(payloads.map((p) => p.files?.length)).toEqual([10, 2]);
    expect(payloads[1]?.content).toBeUndefined();
  });

  it("leaves ephemerality to the caller: a private reply is ephemeral when asked", () => {
    const reply: Reply = { kind: "info", text: "Your report", isPrivate: true };
    expect(only(reply).flags).toBeUndefined();
    expect(only(reply, { ephemeral: true }).flags).toBe(MessageFlags.Ephemeral);
  });

  it("shows a confirmation with a red confirm button and a grey cancel button", () => {
    const payload = only(confirm, { ephemeral: true });
    expect(payload.content).toBe(confirm.text);
    expect(payload.flags).toBe(MessageFlags.Ephemeral);
    const rows = payload.components ?? [];
    expectValidRows(rows);
    expect(buttons(rows)).toEqual([
      expect.objectContaining({
        label: "Delete my data",
        style: ButtonStyle.Danger,
        custom_id: "forget-confirm:",
      }),
      expect.objectContaining({
        label: "Cancel",
        style: ButtonStyle.Secondary,
        custom_id: "forget-cancel:",
      }),
    ]);
    for (const id of customIds(rows)) {
      const action = parseCustomId(id);
      if (!action) return expect.fail(`unparsed ${id}`);
      expect(toInboundAction(action)).toEqual({ id: id.slice(0, -1) });
    }
  });

  it("disables a confirmation's buttons once one is pressed, keeping its colour", () => {
    const rows = only(confirm).components ?? [];
    const pressed = pressedComponents(rows, "forget-confirm:");
    expect(buttons(pressed)).toEqual([
      expect.objectContaining({ style: ButtonStyle.Danger, disabled: true }),
      expect.objectContaining({ style: ButtonStyle.Secondary, disabled: true }),
    ]);
    const cancelled = pressedComponents(rows, "forget-cancel:");
    expect(buttons(cancelled).map((b) => b.style)).toEqual([
      ButtonStyle.Secondary,
      ButtonStyle.Secondary,
    ]);
  });
});

describe("notices", () => {
  const GUILD = "1300000000000000100";

  it("sends a notice's text with a Start button carrying the server and the assignment", () => {
    const [payload, ...rest] = renderNotice(
      {
        kind: "assignment",
        text: "📚 Your teacher assigned you **Halves**.",
        start: { assignmentId: "A7" },
      },
      GUILD,
    );
    expect(rest).toEqual([]);
    expect(payload?.content).toBe("📚 Your teacher assigned you **Halves**.");
    expect(payload?.flags).toBeUndefined();
    expect(payload?.allowed_mentions).toEqual({ parse: [] });
    const rows = payload?.components ?? [];
    expectValidRows(rows);
    const [start] = buttons(rows);
    expect(start).toMatchObject({ label: "Start", style: ButtonStyle.Primary });
    const id = customIds(rows)[0] ?? "";
    expect(id).toBe(`start:${GUILD}:A7`);
    const action = parseCustomId(id);
    expect(action).toEqual({ id: "start", tenant: GUILD, value: "A7" });
    if (!action) return;
    expect(toInboundAction(action)).toEqual({ id: "start", value: "A7" });
  });

  it("has no button without start, and a plain Start without an assignment", () => {
    expect(renderNotice({ kind: "digest", text: "A1 is closed." }, GUILD)[0]?.components).toBe(
      undefined,
    );
    const [plain] = renderNotice({ kind: "review", text: "Reviews are due.", start: {} }, GUILD);
    expect(customIds(plain?.components)).toEqual([`start:${GUILD}:`]);
    expect(parseCustomId(`start:${GUILD}:`)).toEqual({ id: "start", tenant: GUILD });
  });

  it("leaves out what does not fit in a custom_id: a tenant that is not a server, a huge id", () => {
    expect(encodeCustomId({ id: "start", tenant: "user:1", value: "A1" })).toBe("start::A1");
    expect(parseCustomId("start::A1")).toEqual({ id: "start", value: "A1" });
    const huge = "A".repeat(100);
    expect(encodeCustomId({ id: "start", tenant: GUILD, value: huge })).toBe(`start:${GUILD}:`);
    // An assignment id may hold a colon: only the first one ends the server.
    expect(parseCustomId(`start:${GUILD}:x:y`)).toEqual({
      id: "start",
      tenant: GUILD,
      value: "x:y",
    });
    expect(parseCustomId("start:nope")).toBeUndefined();
  });
});
