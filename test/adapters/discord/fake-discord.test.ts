import { once } from "node:events";
import { inflateSync, constants as zlibConstants } from "node:zlib";
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  ChannelType,
  Client,
  DiscordAPIError,
  Events,
  GatewayDispatchEvents,
  GatewayIntentBits,
  type Interaction,
  InteractionResponseType,
  InteractionType,
  type Message,
  MessageFlags,
  ModalBuilder,
  Partials,
  PermissionFlagsBits,
  REST,
  RESTEvents,
  Routes,
  SlashCommandBuilder,
  TextInputBuilder,
  TextInputStyle,
} from "discord.js";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type FakeDiscord, type FakeDiscordOptions, startFakeDiscord } from "./fake-discord.ts";
import {
  buttonData,
  chatInputData,
  DISCORD_IDS,
  modalSubmitData,
  stringOption,
} from "./payloads.ts";

const TOKEN = "fake.token.value";
const CALLBACK = /^\/interactions\/\d+\/[^/]+\/callback$/;

/** The registration payload of a trimmed /tutor command. */
const TUTOR_COMMAND = new SlashCommandBuilder()
  .setName("tutor")
  .setDescription("Practise with Socra")
  .addSubcommand((sub) =>
    sub
      .setName("start")
      .setDescription("Start a course")
      .addStringOption((option) =>
        option.setName("course").setDescription("Course").setAutocomplete(true),
      ),
  )
  .toJSON();

let fake: FakeDiscord;
let client: Client;

/** A real Client pointed at the fake: REST there, and the gateway wherever `/gateway/bot` says. */
async function loginClient(): Promise<Client> {
  const created = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.DirectMessages],
    partials: [Partials.Channel],
    rest: { api: fake.restUrl },
  });
  const ready = once(created, Events.ClientReady);
  await created.login(TOKEN);
  await ready;
  return created;
}

/** Runs `handler` on the next interaction and settles with its result, so tests await it. */
function handleNextInteraction<T>(handler: (interaction: Interaction) => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    client.once(Events.InteractionCreate, (interaction) => {
      handler(interaction).then(resolve, reject);
    });
  });
}

function questionRow(isDisabled = false): ActionRowBuilder<ButtonBuilder> {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId("answer:a")
      .setLabel("2/6")
      .setStyle(ButtonStyle.Secondary)
      .setDisabled(isDisabled),
    new ButtonBuilder()
      .setCustomId("answer:b")
      .setLabel("3/4")
      .setStyle(ButtonStyle.Secondary)
      .setDisabled(isDisabled),
    new ButtonBuilder().setCustomId("hint").setLabel("Hint").setStyle(ButtonStyle.Primary),
  );
}

async function startWithClient(options: FakeDiscordOptions = {}): Promise<void> {
  fake = await startFakeDiscord(options);
  client = await loginClient();
}

async function stop(): Promise<void> {
  await client.destroy();
  await fake.close();
}

afterAll(async () => {
  // Every client destroyed and every fake closed: no server or socket may be left open. Sockets
  // finish closing a moment after `close()`, so look again for a while before judging.
  const openTcp = () => process.getActiveResourcesInfo().filter((name) => name.startsWith("TCP"));
  const deadline = Date.now() + 10_000;
  while (openTcp().length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(openTcp()).toEqual([]);
});

describe("a real discord.js Client against the fake Discord", () => {
  beforeEach(() => startWithClient());
  afterEach(stop);

  it("logs in: /gateway/bot over REST, then a plain-JSON gateway with the asked intents", () => {
    const [gatewayBot] = fake.requestsTo("GET", /^\/gateway\/bot$/);
    expect(gatewayBot?.headers.authorization).toBe(`Bot ${TOKEN}`);
    expect(gatewayBot?.headers["user-agent"]).toMatch(/^DiscordBot .*discord\.js\/14\./);

    const [connection] = fake.gatewayConnections;
    // No `compress`: discord.js asks for zlib-stream only when zlib-sync is installed.
    expect(connection?.query).toEqual({ v: "10", encoding: "json" });
    expect(connection?.identify).toMatchObject({
      token: TOKEN,
      intents: GatewayIntentBits.Guilds | GatewayIntentBits.DirectMessages,
      shard: [0, 1],
      isCompressed: false,
    });

    expect(client.user?.id).toBe(DISCORD_IDS.botUserId);
    expect(client.user?.bot).toBe(true);
    expect(client.application?.id).toBe(DISCORD_IDS.applicationId);
    const guild = client.guilds.cache.get(DISCORD_IDS.guildId);
    expect(guild?.channels.cache.get(DISCORD_IDS.textChannelId)?.type).toBe(ChannelType.GuildText);
    expect(guild?.members.cache.has(DISCORD_IDS.learnerId)).toBe(true);
  });

  it("delivers /tutor start and records the reply with its button row (type 4)", async () => {
    const handled = handleNextInteraction(async (interaction) => {
      if (!interaction.isChatInputCommand()) throw new Error("expected a slash command");
      await interaction.reply({
        content: "What is 1/2 + 1/4?",
        components: [questionRow()],
      });
      return {
        command: interaction.commandName,
        subcommand: interaction.options.getSubcommand(),
        course: interaction.options.getString("course"),
        guildId: interaction.guildId,
        channelType: interaction.channel?.type,
        userId: interaction.user.id,
        memberRoles: interaction.inCachedGuild() ? interaction.member.roles.cache.size : -1,
      };
    });
    const { id } = fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", "start", [stringOption("course", "fractions")]),
    });

    expect(await handled).toEqual({
      command: "tutor",
      subcommand: "start",
      course: "fractions",
      guildId: DISCORD_IDS.guildId,
      channelType: ChannelType.GuildText,
      userId: DISCORD_IDS.learnerId,
      memberRoles: 2, // @everyone and Class 7A
    });
    const [callback] = fake.requestsTo("POST", CALLBACK);
    expect(callback?.path).toMatch(new RegExp(`^/interactions/${id}/`));
    expect(callback?.query).toEqual({ with_response: "false" });
    expect(callback?.headers.authorization).toBeUndefined();
    expect(callback?.status).toBe(204);
    expect(callback?.body).toMatchObject({
      type: InteractionResponseType.ChannelMessageWithSource,
      data: {
        content: "What is 1/2 + 1/4?",
        components: [
          {
            type: 1,
            components: [
              { type: 2, custom_id: "answer:a", label: "2/6" },
              { type: 2, custom_id: "answer:b", label: "3/4" },
              { type: 2, custom_id: "hint", style: ButtonStyle.Primary },
            ],
          },
        ],
      },
    });
    expect(fake.callbacks.map((c) => c.type)).toEqual([
      InteractionResponseType.ChannelMessageWithSource,
    ]);
    const [stored] = fake.messagesIn(DISCORD_IDS.textChannelId);
    expect(stored).toMatchObject({ content: "What is 1/2 + 1/4?", author: { bot: true } });
  });

  it("answers withResponse with the callback object and the created message", async () => {
    const handled = handleNextInteraction(async (interaction) => {
      if (!interaction.isChatInputCommand()) throw new Error("expected a slash command");
      const response = await interaction.reply({ content: "Welcome!", withResponse: true });
      return response.resource?.message?.id;
    });
    fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", "help"),
    });

    const messageId = await handled;
    expect(messageId).toBeDefined();
    expect(fake.message(messageId ?? "")?.content).toBe("Welcome!");
    expect(fake.requestsTo("POST", CALLBACK)[0]).toMatchObject({
      query: { with_response: "true" },
      status: 200,
    });
  });

  it("takes a deferral (type 5) and then the edit of @original", async () => {
    const handled = handleNextInteraction(async (interaction) => {
      if (!interaction.isChatInputCommand()) throw new Error("expected a slash command");
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      const edited = await interaction.editReply({ content: "Hint: find a common denominator." });
      return edited.id;
    });
    const { token } = fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", "hint"),
    });

    const messageId = await handled;
    expect(fake.callbacks).toMatchObject([
      {
        type: InteractionResponseType.DeferredChannelMessageWithSource,
        data: { flags: MessageFlags.Ephemeral },
      },
    ]);
    const [edit] = fake.requestsTo(
      "PATCH",
      new RegExp(`^/webhooks/${DISCORD_IDS.applicationId}/${token}/messages/@original$`),
    );
    expect(edit?.body).toMatchObject({ content: "Hint: find a common denominator." });
    // The edit ends the "thinking…" state; the reply stays ephemeral.
    expect(fake.message(messageId)?.flags).toBe(MessageFlags.Ephemeral);
  });

  it("routes a button press to the question message and records the update (type 7)", async () => {
    const replied = handleNextInteraction(async (interaction) => {
      if (!interaction.isChatInputCommand()) throw new Error("expected a slash command");
      await interaction.reply({ content: "What is 1/2 + 1/4?", components: [questionRow()] });
    });
    fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", "practice", [stringOption("skill", "add-fractions")]),
    });
    await replied;
    const [question] = fake.messagesIn(DISCORD_IDS.textChannelId);

    const updated = handleNextInteraction(async (interaction) => {
      if (!interaction.isButton()) throw new Error("expected a button");
      await interaction.update({ content: "✅ 3/4 is right.", components: [questionRow(true)] });
      return { customId: interaction.customId, messageId: interaction.message.id };
    });
    fake.interaction({ type: InteractionType.MessageComponent, data: buttonData("answer:b") });

    expect(await updated).toEqual({ customId: "answer:b", messageId: question?.id });
    expect(fake.callbacks.map((c) => c.type)).toEqual([
      InteractionResponseType.ChannelMessageWithSource,
      InteractionResponseType.UpdateMessage,
    ]);
    const after = fake.message(question?.id ?? "");
    expect(after?.content).toBe("✅ 3/4 is right.");
    expect(after?.edited_timestamp).not.toBeNull();
    expect(after?.components).toMatchObject([
      { components: [{ disabled: true }, { disabled: true }, { custom_id: "hint" }] },
    ]);
  });

  it("shows a modal from a button (type 9) and reads the submitted answer", async () => {
    const shown = handleNextInteraction(async (interaction) => {
      if (!interaction.isButton()) throw new Error("expected a button");
      const answer = new TextInputBuilder()
        .setCustomId("answer")
        .setLabel("Your answer")
        .setStyle(TextInputStyle.Short);
      await interaction.showModal(
        new ModalBuilder()
          .setCustomId("typed-answer")
          .setTitle("Answer")
          .addComponents(new ActionRowBuilder<TextInputBuilder>().addComponents(answer)),
      );
    });
    const button = fake.interaction({
      type: InteractionType.MessageComponent,
      data: buttonData("type-answer"),
    });
    await shown;

    const submitted = handleNextInteraction(async (interaction) => {
      if (!interaction.isModalSubmit()) throw new Error("expected a modal submit");
      await interaction.reply({ content: "Checking…", flags: MessageFlags.Ephemeral });
      return interaction.fields.getTextInputValue("answer");
    });
    fake.interaction({
      type: InteractionType.ModalSubmit,
      data: modalSubmitData("typed-answer", { answer: "3/4" }),
      messageId: String((button.payload.message as { id: string }).id),
    });

    expect(await submitted).toBe("3/4");
    expect(fake.callbacks.map((c) => c.type)).toEqual([
      InteractionResponseType.Modal,
      InteractionResponseType.ChannelMessageWithSource,
    ]);
    expect(fake.callbacks[0]?.data).toMatchObject({ custom_id: "typed-answer", title: "Answer" });
  });

  it("answers autocomplete with choices (type 8)", async () => {
    const handled = handleNextInteraction(async (interaction) => {
      if (!interaction.isAutocomplete()) throw new Error("expected autocomplete");
      const focused = interaction.options.getFocused(true);
      await interaction.respond([{ name: "Fractions", value: "fractions" }]);
      return focused;
    });
    fake.interaction({
      type: InteractionType.ApplicationCommandAutocomplete,
      data: chatInputData("tutor", "start", [stringOption("course", "fra", true)]),
    });

    expect(await handled).toMatchObject({ name: "course", value: "fra" });
    expect(fake.callbacks).toMatchObject([
      {
        type: InteractionResponseType.ApplicationCommandAutocompleteResult,
        data: { choices: [{ name: "Fractions", value: "fractions" }] },
      },
    ]);
  });

  it("delivers a DM slash command with a DM channel and takes a follow-up", async () => {
    const handled = handleNextInteraction(async (interaction) => {
      if (!interaction.isChatInputCommand()) throw new Error("expected a slash command");
      await interaction.reply("Let's start.");
      await interaction.followUp("First question: what is 1/2 + 1/4?");
      return { channelType: interaction.channel?.type, guildId: interaction.guildId };
    });
    const { token } = fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", "start"),
      where: "dm",
    });

    expect(await handled).toEqual({ channelType: ChannelType.DM, guildId: null });
    const [followUp] = fake.requestsTo(
      "POST",
      new RegExp(`^/webhooks/${DISCORD_IDS.applicationId}/${token}$`),
    );
    expect(followUp).toMatchObject({ query: { wait: "true" }, status: 200 });
    expect(fake.messagesIn(DISCORD_IDS.dmChannelId).map((m) => m.content)).toEqual([
      "Let's start.",
      "First question: what is 1/2 + 1/4?",
    ]);
  });

  it("refuses a second response to the same interaction (a duplicate delivery)", async () => {
    const first = handleNextInteraction(async (interaction) => {
      if (!interaction.isChatInputCommand()) throw new Error("expected a slash command");
      await interaction.reply("Once.");
    });
    const { payload } = fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", "skip"),
    });
    await first;

    const second = handleNextInteraction(async (interaction) => {
      if (!interaction.isChatInputCommand()) throw new Error("expected a slash command");
      await interaction.reply("Twice.");
    });
    fake.dispatch(GatewayDispatchEvents.InteractionCreate, payload);

    const error = await second.then(
      () => expect.fail("the second reply should be refused"),
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect(error).toMatchObject({ code: 40060, status: 400 });
  });

  it("emits messageCreate for a DM (channel_type set, as Discord now sends it)", async () => {
    const received = once(client, Events.MessageCreate) as Promise<[Message]>;
    const sent = fake.directMessage({ content: "3/4" });

    const [message] = await received;
    expect(message.id).toBe(sent.id);
    expect(message.content).toBe("3/4");
    expect(message.author.id).toBe(DISCORD_IDS.learnerId);
    expect(message.channel.type).toBe(ChannelType.DM);
    expect(message.channelId).toBe(DISCORD_IDS.dmChannelId);
  });

  it("lets a test wait for what a fire-and-forget handler posts", async () => {
    client.on(Events.MessageCreate, (message) => {
      if (!message.author.bot) void message.reply("Correct: 3/4.");
    });
    const answer = fake.directMessage({ content: "3/4" });

    const [reply] = await fake.waitForRequest(
      "POST",
      new RegExp(`^/channels/${DISCORD_IDS.dmChannelId}/messages$`),
    );
    expect(reply?.body).toMatchObject({
      content: "Correct: 3/4.",
      message_reference: { message_id: answer.id },
    });
  });

  it("gives interactions the id of the command the client registered", async () => {
    if (!client.application) throw new Error("expected the application from READY");
    const registered = await client.application.commands.set([TUTOR_COMMAND], DISCORD_IDS.guildId);
    const handled = handleNextInteraction(async (interaction) => {
      if (!interaction.isChatInputCommand()) throw new Error("expected a slash command");
      await interaction.reply("Starting.");
      return { commandId: interaction.commandId, guildId: interaction.commandGuildId };
    });
    fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", "start"),
    });

    expect(await handled).toEqual({
      commandId: registered.first()?.id,
      guildId: DISCORD_IDS.guildId,
    });
    expect(fake.requestsTo("PUT", /^\/applications\/\d+\/guilds\/\d+\/commands$/)[0]?.body).toEqual(
      [TUTOR_COMMAND],
    );
  });

  it("echoes the bot's own DM as a bot message, leaving the learner a human", async () => {
    const authors: { id: string; isBot: boolean }[] = [];
    client.on(Events.MessageCreate, (message) => {
      authors.push({ id: message.author.id, isBot: message.author.bot });
    });
    const second = new Promise<void>((resolve) => {
      client.on(Events.MessageCreate, () => {
        if (authors.length === 2) resolve();
      });
    });
    const own = fake.directMessage({ content: "What is 1/2 + 1/4?", isBot: true });
    fake.directMessage({ content: "3/4" });
    await second;

    expect(own.channel_id).toBe(DISCORD_IDS.dmChannelId);
    expect(authors).toEqual([
      { id: DISCORD_IDS.botUserId, isBot: true },
      { id: DISCORD_IDS.learnerId, isBot: false },
    ]);
  });

  it("drops a DM without channel_type from a DM channel discord.js has not cached", async () => {
    const contents: string[] = [];
    client.on(Events.MessageCreate, (message) => contents.push(message.content));
    const second = once(client, Events.MessageCreate);
    // Dispatches are handled in order, so once the second arrives the first was dropped.
    fake.directMessage({
      content: "lost",
      authorId: DISCORD_IDS.otherLearnerId,
      hasChannelType: false,
    });
    fake.directMessage({ content: "delivered" });
    await second;
    expect(contents).toEqual(["delivered"]);

    // Once the channel is cached, channel_type is no longer needed.
    const third = once(client, Events.MessageCreate);
    fake.directMessage({ content: "known channel", hasChannelType: false });
    await third;
    expect(contents).toEqual(["delivered", "known channel"]);
  });

  it("opens a DM and a private thread and posts to them", async () => {
    const dm = await client.users.createDM(DISCORD_IDS.learnerId);
    await dm.send("Ready for your review?");
    const channel = client.channels.cache.get(DISCORD_IDS.textChannelId);
    if (channel?.type !== ChannelType.GuildText) throw new Error("expected the text channel");
    const thread = await channel.threads.create({
      name: "Ada · fractions",
      type: ChannelType.PrivateThread,
      invitable: false,
    });
    await thread.members.add(DISCORD_IDS.learnerId);
    const posted = await thread.send({ content: "Question 1", components: [questionRow()] });
    await posted.edit({ components: [questionRow(true)] });

    expect(dm.id).toBe(DISCORD_IDS.dmChannelId);
    expect(thread.type).toBe(ChannelType.PrivateThread);
    expect(thread.parentId).toBe(DISCORD_IDS.textChannelId);
    expect(fake.requestsTo("POST", /^\/users\/@me\/channels$/)[0]?.body).toEqual({
      recipient_id: DISCORD_IDS.learnerId,
    });
    expect(fake.requestsTo("POST", /^\/channels\/\d+\/threads$/)[0]?.body).toMatchObject({
      name: "Ada · fractions",
      type: ChannelType.PrivateThread,
      invitable: false,
    });
    expect(fake.requestsTo("PUT", /^\/channels\/\d+\/thread-members\/\d+$/)).toHaveLength(1);
    expect(fake.messagesIn(DISCORD_IDS.dmChannelId).map((m) => m.content)).toEqual([
      "Ready for your review?",
    ]);
    expect(fake.message(posted.id)?.components).toMatchObject([
      { components: [{ disabled: true }, { disabled: true }, {}] },
    ]);
  });

  it("sends each member's permissions as Discord computes them: roles, owner, overwrites", async () => {
    const seen: Record<string, { manageGuild: boolean; view: boolean }> = {};
    for (const userId of [DISCORD_IDS.learnerId, DISCORD_IDS.principalId, DISCORD_IDS.ownerId]) {
      const handled = handleNextInteraction(async (interaction) => {
        if (!interaction.isChatInputCommand()) throw new Error("expected a slash command");
        await interaction.reply("ok");
        return {
          manageGuild: interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false,
          view: interaction.memberPermissions?.has(PermissionFlagsBits.ViewChannel) ?? false,
        };
      });
      fake.interaction({
        type: InteractionType.ApplicationCommand,
        data: chatInputData("tutor", "help"),
        channelId: DISCORD_IDS.classChannelId,
        userId,
      });
      seen[userId] = await handled;
    }
    expect(seen).toEqual({
      // In Class 7A, whose channel hides from @everyone but shows to the class.
      [DISCORD_IDS.learnerId]: { manageGuild: false, view: true },
      // Manage Server by the Staff role, but not in the class: the channel stays hidden.
      [DISCORD_IDS.principalId]: { manageGuild: true, view: false },
      [DISCORD_IDS.ownerId]: { manageGuild: true, view: true },
    });
  });

  it("lists members a page at a time, as Discord does, and records uploaded files", async () => {
    const guild = client.guilds.cache.get(DISCORD_IDS.guildId);
    if (!guild) throw new Error("no guild");
    // Discord's default page is one member.
    expect((await guild.members.list()).size).toBe(1);
    const all = await guild.members.list({ limit: 1000 });
    expect(all.size).toBe(7);
    const rest = await guild.members.list({ limit: 1000, after: DISCORD_IDS.ownerId });
    expect([...rest.keys()]).toEqual([DISCORD_IDS.otherBotId]);
    expect((await guild.roles.fetch()).map((role) => role.name)).toContain("Class 7A");

    const dm = await client.users.createDM(DISCORD_IDS.learnerId);
    await dm.send({
      content: "Your data",
      files: [{ attachment: Buffer.from("{}"), name: "data.json" }],
    });
    const [upload] = fake.requestsTo("POST", /^\/channels\/\d+\/messages$/).at(-1)?.uploads ?? [];
    expect(upload).toMatchObject({ field: "files[0]", filename: "data.json" });
    expect(upload?.data.toString()).toBe("{}");
  });

  it("lets @discordjs/rest wait out a 429 on the callback and retry it", async () => {
    // An unexpected 429 shows up in the debug stream ("rateLimited" is for known buckets).
    const rateLimitLines: string[] = [];
    client.rest.on(RESTEvents.Debug, (line) => {
      if (line.includes("429")) rateLimitLines.push(line);
    });
    fake.failNext("POST", CALLBACK, { status: 429, retryAfterSeconds: 1 });
    const handled = handleNextInteraction(async (interaction) => {
      if (!interaction.isChatInputCommand()) throw new Error("expected a slash command");
      await interaction.reply("Your progress");
    });
    fake.interaction({
      type: InteractionType.ApplicationCommand,
      data: chatInputData("tutor", "progress"),
    });

    await handled;
    const [limited, retried] = fake.requestsTo("POST", CALLBACK);
    expect(limited?.status).toBe(429);
    expect(limited?.response).toEqual({
      message: "You are being rate limited.",
      retry_after: 1,
      global: false,
      code: 0,
    });
    expect(retried?.status).toBe(204);
    // A lower bound only: the retry can come late on a slow machine, never early.
    expect((retried?.receivedAtMs ?? 0) - (limited?.receivedAtMs ?? 0)).toBeGreaterThanOrEqual(
      1000,
    );
    expect(rateLimitLines).toHaveLength(1);
    expect(rateLimitLines[0]).toMatch(/Retry After\s+: 1050ms/);
    expect(fake.callbacks).toHaveLength(1);
  });

  it("holds every request back during a global 429, then retries", async () => {
    fake.failNext("POST", /^\/channels\/\d+\/messages$/, {
      status: 429,
      retryAfterSeconds: 1,
      global: true,
    });
    const channel = client.channels.cache.get(DISCORD_IDS.textChannelId);
    if (channel?.type !== ChannelType.GuildText) throw new Error("expected the text channel");

    const sent = await channel.send("Today's review is ready.");
    const [limited, retried] = fake.requestsTo("POST", /^\/channels\/\d+\/messages$/);
    expect(limited?.status).toBe(429);
    expect(limited?.response).toMatchObject({ global: true, retry_after: 1 });
    expect(retried?.status).toBe(200);
    expect((retried?.receivedAtMs ?? 0) - (limited?.receivedAtMs ?? 0)).toBeGreaterThanOrEqual(
      1000,
    );
    expect(fake.message(sent.id)?.content).toBe("Today's review is ready.");
  });
});

describe("a client with the wrong token", () => {
  afterEach(() => fake.close());

  it("is refused at GET /gateway/bot, so login rejects", async () => {
    fake = await startFakeDiscord({ token: "the.right.token" });
    const refused = new Client({ intents: [], rest: { api: fake.restUrl } });
    const error = await refused.login(TOKEN).then(
      () => expect.fail("login with a wrong token should fail"),
      (reason: unknown) => reason,
    );
    expect(error).toMatchObject({ code: "TokenInvalid" });
    expect(fake.requestsTo("GET", /^\/gateway\/bot$/)[0]?.status).toBe(401);
    expect(fake.gatewayConnections).toEqual([]);
  });
});

describe("command registration through REST", () => {
  let rest: REST;
  beforeEach(async () => {
    fake = await startFakeDiscord();
    rest = new REST({ api: fake.restUrl }).setToken(TOKEN);
  });
  afterEach(async () => {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
    await fake.close();
  });

  it("records a global bulk overwrite and echoes the commands with ids", async () => {
    const registered = (await rest.put(Routes.applicationCommands(DISCORD_IDS.applicationId), {
      body: [TUTOR_COMMAND],
    })) as { id: string; name: string; application_id: string }[];

    expect(registered).toHaveLength(1);
    expect(registered[0]).toMatchObject({
      name: "tutor",
      application_id: DISCORD_IDS.applicationId,
      type: 1,
    });
    const [put] = fake.requestsTo("PUT", /^\/applications\/\d+\/commands$/);
    expect(put?.headers.authorization).toBe(`Bot ${TOKEN}`);
    expect(put?.body).toEqual([TUTOR_COMMAND]);
    expect(fake.commands()).toEqual(registered);

    // A second overwrite keeps the command's id, as Discord does for the same name.
    const again = (await rest.put(Routes.applicationCommands(DISCORD_IDS.applicationId), {
      body: [TUTOR_COMMAND],
    })) as { id: string }[];
    expect(again[0]?.id).toBe(registered[0]?.id);
  });

  it("keeps guild commands apart from global ones", async () => {
    await rest.put(
      Routes.applicationGuildCommands(DISCORD_IDS.applicationId, DISCORD_IDS.guildId),
      { body: [TUTOR_COMMAND] },
    );
    const [command] = fake.commands(DISCORD_IDS.guildId);
    expect(command).toMatchObject({ name: "tutor", guild_id: DISCORD_IDS.guildId });
    expect(fake.commands()).toEqual([]);
  });

  it("rejects an invalid payload as Discord would (50035)", async () => {
    const invalid = { ...TUTOR_COMMAND, name: "Tutor" };
    const error = await rest
      .put(Routes.applicationCommands(DISCORD_IDS.applicationId), { body: [invalid] })
      .then(
        () => expect.fail("an upper-case command name should be refused"),
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect(error).toMatchObject({
      code: 50035,
      rawError: {
        errors: { 0: { name: { _errors: [{ code: "APPLICATION_COMMAND_INVALID_NAME" }] } } },
      },
    });
  });
});

describe("the gateway heartbeat", () => {
  beforeEach(() => startWithClient({ heartbeatIntervalMs: 1000 }));
  afterEach(stop);

  it("acknowledges heartbeats (op 1 → op 11)", async () => {
    await new Promise<void>((resolve) => {
      client.on(Events.Debug, (line) => {
        if (line.includes("Heartbeat acknowledged")) resolve();
      });
    });
    expect(fake.gatewayConnections[0]?.heartbeats).toBeGreaterThanOrEqual(1);
    expect(fake.gatewayConnections[0]?.opcodes).toContain(1);
    expect(client.ws.ping).toBeGreaterThanOrEqual(0);
  });
});

describe("the gateway with zlib-stream compression", () => {
  let compressing: FakeDiscord;
  beforeEach(async () => {
    compressing = await startFakeDiscord();
  });
  afterEach(() => compressing.close());

  // discord.js asks for zlib-stream only when the optional zlib-sync package is installed.
  it("compresses every payload into one stream for a client that asks for it", async () => {
    const socket = new WebSocket(
      `${compressing.gatewayUrl}?v=10&encoding=json&compress=zlib-stream`,
    );
    const chunks: Buffer[] = [];
    const payloads: { op: number; t: string | null }[] = [];
    const listeners: (() => void)[] = [];
    let decodedLength = 0;
    socket.on("message", (data: Buffer) => {
      chunks.push(data);
      // Each payload ends with a sync-flush marker, so the stream so far always inflates.
      const text = inflateSync(Buffer.concat(chunks), {
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
      }).toString("utf8");
      for (const part of splitJson(text.slice(decodedLength))) payloads.push(JSON.parse(part));
      decodedLength = text.length;
      for (const listener of listeners.splice(0)) listener();
    });
    const received = (count: number): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (payloads.length >= count) resolve();
          else listeners.push(check);
        };
        check();
      });

    await received(1);
    socket.send(JSON.stringify({ op: 2, d: { token: TOKEN, intents: 1, properties: {} } }));
    await received(3);
    socket.close();
    await once(socket, "close");

    expect(payloads.map((p) => p.t ?? p.op)).toEqual([10, "READY", "GUILD_CREATE"]);
    expect(compressing.gatewayConnections[0]?.query.compress).toBe("zlib-stream");
  });
});

/** Splits concatenated JSON objects (`{…}{…}`) by tracking brace depth outside strings. */
function splitJson(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  let isInString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (isInString) {
      if (char === "\\") i += 1;
      else if (char === '"') isInString = false;
    } else if (char === '"') isInString = true;
    else if (char === "{") depth += 1;
    else if (char === "}") {
      depth -= 1;
      if (depth === 0) {
        parts.push(text.slice(start, i + 1));
        start = i + 1;
      }
    }
  }
  return parts;
}
