import {
  type AutocompleteInteraction,
  type ButtonInteraction,
  ChannelType,
  type ChatInputCommandInteraction,
  Client,
  Events,
  GatewayIntentBits,
  type InteractionEditReplyOptions,
  type InteractionReplyOptions,
  type Message,
  type MessageCreateOptions,
  type ModalSubmitInteraction,
  Partials,
  Status,
  type TextChannel,
  type ThreadChannel,
  type User,
} from "discord.js";
import type { DiscordConfig } from "../../config.ts";
import type { Metrics } from "../../metrics.ts";
import type { KeyValueStore } from "../../store/index.ts";
import {
  type HandleOptions,
  type Inbound,
  type Logger,
  questionOutcome,
  type Reply,
  SORRY_MESSAGE,
  type StreamEvent,
  type Tutor,
} from "../../tutor/index.ts";
import { autocomplete, toInbound } from "./commands.ts";
import {
  answeredComponents,
  answerModal,
  type DiscordPayload,
  parseCustomId,
  parseModalSubmit,
  renderReply,
  toInboundAction,
} from "./render.ts";

export interface DiscordAdapterOptions {
  readonly tutor: Tutor;
  readonly config: DiscordConfig;
  readonly logger: Logger;
  /** Remembers each learner's server, so their DMs count toward it. */
  readonly keyValue: KeyValueStore;
  readonly metrics?: Metrics;
  /** Whether the tutor has an LLM (answers may then take seconds: interactions are deferred). */
  readonly hasLlm?: boolean;
  /** How long a turn may run before its interaction is deferred (Discord allows 3 s). */
  readonly deferAfterMs?: number;
}

/** Discord, running: a discord.js client with the tutor behind it. */
export interface DiscordAdapter {
  readonly client: Client;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Whether the gateway connection is ready. */
  isConnected(): boolean;
}

/** Default: defer after 1.5 s, well inside Discord's 3 s. */
const DEFER_AFTER_MS = 1500;
/** Learners whose server this process remembers (a cache: forgetting only costs a write). */
const HOMES_KEPT = 100_000;
/** Throttled edits while LLM text streams (Discord rate-limits message edits). */
const EDIT_INTERVAL_MS = 1200;

type Replyable = ChatInputCommandInteraction | ButtonInteraction | ModalSubmitInteraction;

/** A payload as discord.js takes it for a reply or follow-up (ephemeral flag included). */
function forReply(payload: DiscordPayload): InteractionReplyOptions {
  const { allowed_mentions: _wire, ...options } = payload;
  return options as InteractionReplyOptions;
}

/** The same for an edit or a channel message: ephemerality is fixed when a message is created. */
function forMessage(payload: DiscordPayload): InteractionEditReplyOptions & MessageCreateOptions {
  const { allowed_mentions: _wire, flags: _flags, ...options } = payload;
  return options as InteractionEditReplyOptions & MessageCreateOptions;
}

/**
 * The Discord adapter: slash commands, buttons and modals (and DMs, and mentions) become
 * `Inbound`s; the tutor's replies become messages with components. Interactions are answered
 * within Discord's 3 seconds (deferred when the turn runs long); hints in shared channels are
 * ephemeral; a learner's practice in a server happens in a private thread the bot opens.
 */
export function createDiscordAdapter(options: DiscordAdapterOptions): DiscordAdapter {
  const { tutor, config } = options;
  const log = options.logger.child({ platform: "discord" });
  const deferAfterMs = options.deferAfterMs ?? DEFER_AFTER_MS;
  const intents = [GatewayIntentBits.Guilds, GatewayIntentBits.DirectMessages];
  // Message content is privileged: only when the operator enabled it for the bot.
  if (config.hasMessageContent)
    intents.push(GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent);
  const client = new Client({
    intents,
    // DM channels arrive uncached: without this partial, DMs never reach messageCreate.
    partials: [Partials.Channel],
    allowedMentions: { parse: [] },
    ...(config.apiUrl ? { rest: { api: config.apiUrl } } : {}),
  });

  /** The tenant: the server; in DMs the server the learner last used Socra in, or their own. */
  /** The server each learner was last seen in, as this process last wrote it. */
  const homes = new Map<string, string>();
  async function tenantOf(guildId: string | null, userId: string): Promise<string> {
    const homeKey = `discord:home:${userId}`;
    try {
      if (guildId) {
        // Written when it changes, not on every interaction in the server.
        if (homes.get(userId) !== guildId) {
          await options.keyValue.set(homeKey, guildId);
          if (homes.size >= HOMES_KEPT) homes.clear();
          homes.set(userId, guildId);
        }
        return guildId;
      }
      return (await options.keyValue.get(homeKey)) ?? `user:${userId}`;
    } catch (error) {
      log.warn({ err: error }, "could not read or keep the learner's server");
      return guildId ?? `user:${userId}`;
    }
  }

  const streamOptions = (onEvent: (event: StreamEvent) => void): HandleOptions =>
    options.hasLlm ? { onStream: onEvent } : {};

  const isShared = (interaction: {
    guildId: string | null;
    channel: { type: ChannelType } | null;
  }) => interaction.guildId !== null && interaction.channel?.type !== ChannelType.PrivateThread;

  /**
   * Runs a turn for an interaction: answers at once when the tutor is quick, defers first when
   * it is not (the timer starts before anything else, so Discord's 3 s always hold), and sends
   * the replies as the interaction's response and follow-ups. In shared channels every reply is
   * ephemeral: only the learner who asked sees it.
   */
  async function interactionTurn(
    interaction: Replyable,
    makeInbound: () => Promise<Inbound>,
    /** For a button: the pressed question's item, closed when this turn finished it. */
    pressed?: { readonly itemId: string | undefined; readonly id: string },
  ): Promise<void> {
    const isEphemeral = isShared(interaction);
    let deferred: Promise<unknown> | undefined;
    let lastEditAt = 0;
    const timer = setTimeout(() => {
      deferred = interaction
        .deferReply(isEphemeral ? { flags: ["Ephemeral"] } : {})
        .catch((error: unknown) => log.warn({ err: error }, "could not defer the interaction"));
    }, deferAfterMs);
    const onStream = (event: StreamEvent) => {
      if (!deferred || Date.now() - lastEditAt < EDIT_INTERVAL_MS) return;
      lastEditAt = Date.now();
      void deferred
        .then(() => interaction.editReply({ content: event.text.slice(0, 2000) }))
        .catch(() => {});
    };
    let replies: Reply[];
    try {
      replies = await tutor.handle(await makeInbound(), streamOptions(onStream));
    } finally {
      clearTimeout(timer);
    }
    try {
      const outcome = pressed ? questionOutcome(replies, pressed.itemId, pressed.id) : undefined;
      let hasResponded = false;
      // The message the question's buttons are on (a modal opened from it counts too).
      const updater =
        interaction.isButton() || (interaction.isModalSubmit() && interaction.isFromMessage())
          ? interaction
          : undefined;
      if (outcome && updater) {
        const components = answeredComponents(
          updater.message.components.map((row) => row.toJSON()),
          outcome,
          updater.isButton() ? { chosenCustomId: updater.customId } : {},
        ) as never;
        if (!deferred) {
          await updater.update({ components });
          hasResponded = true;
        } else if (!updater.message.flags.has("Ephemeral"))
          await updater.message.edit({ components }).catch((error: unknown) => {
            log.warn({ err: error }, "could not disable the answered question's buttons");
          });
      }
      if (deferred) await deferred;
      let isFirst = !hasResponded;
      for (const reply of replies)
        for (const payload of renderReply(reply, { ephemeral: isEphemeral })) {
          if (isFirst && deferred) await interaction.editReply(forMessage(payload));
          else if (isFirst) await interaction.reply(forReply(payload));
          else await interaction.followUp(forReply(payload));
          isFirst = false;
        }
      if (isFirst && deferred) await interaction.deleteReply(); // nothing to say: no "thinking…" left
    } catch (error) {
      log.error({ err: error }, "could not answer the interaction");
      options.metrics?.platformError("discord", "interaction");
      const sorry = { content: SORRY_MESSAGE, flags: ["Ephemeral"] as const };
      await (interaction.replied || interaction.deferred
        ? interaction.followUp(sorry)
        : interaction.reply(sorry)
      ).catch(() => {});
    }
  }

  /** Sends replies in order to a channel (a practice thread). */
  async function sendAll(
    replies: readonly Reply[],
    send: (payload: DiscordPayload) => Promise<unknown>,
  ): Promise<void> {
    for (const reply of replies) for (const payload of renderReply(reply)) await send(payload);
  }

  /** The turn an interaction asks for; its id is the event id, so a duplicate runs once. */
  function inboundOf(
    interaction: Replyable,
    content: Pick<Inbound, "command"> | Pick<Inbound, "action">,
  ): () => Promise<Inbound> {
    return async () => ({
      tenant: await tenantOf(interaction.guildId, interaction.user.id),
      platform: "discord",
      learner: interaction.user.id,
      eventId: interaction.id,
      ...content,
    });
  }

  async function onCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const command = toInbound(interaction.commandName, interaction.options.getSubcommand(false), {
      course: interaction.options.getString("course") ?? undefined,
      skill: interaction.options.getString("skill") ?? undefined,
    });
    const inbound = inboundOf(interaction, { command });
    const channel = interaction.channel;
    // "/tutor start COURSE" reaches the tutor as a course switch: both begin practice.
    const isStart = interaction.options.getSubcommand(false) === "start";
    if (!isStart || channel?.type !== ChannelType.GuildText) {
      await interactionTurn(interaction, inbound);
      return;
    }
    // Practice in a server happens in the learner's private thread: others see nothing.
    await interaction.deferReply({ flags: ["Ephemeral"] });
    try {
      const thread = await practiceThread(channel, interaction.user);
      await interaction.editReply({
        content: `Let's practise in your private thread: <#${thread.id}>`,
      });
      await sendAll(await tutor.handle(await inbound()), (payload) =>
        thread.send(forMessage(payload)),
      );
    } catch (error) {
      log.warn({ err: error }, "could not open a private thread");
      options.metrics?.platformError("discord", "threads.create");
      await interaction.editReply({ content: SORRY_MESSAGE }).catch(() => {});
    }
  }

  /** The learner's practice thread in this channel: the one opened before, or a new one. */
  async function practiceThread(channel: TextChannel, user: User): Promise<ThreadChannel> {
    const key = `discord:thread:${channel.id}:${user.id}`;
    const known = await options.keyValue.get(key);
    if (known) {
      const thread = await channel.threads.fetch(known).catch(() => null);
      if (thread && !thread.archived) return thread;
    }
    const thread = await channel.threads.create({
      name: `Practice: ${user.username}`.slice(0, 100),
      type: ChannelType.PrivateThread,
      invitable: false,
    });
    await thread.members.add(user.id);
    await options.keyValue.set(key, thread.id);
    return thread;
  }

  async function onButton(interaction: ButtonInteraction): Promise<void> {
    const action = parseCustomId(interaction.customId);
    if (!action) return;
    if (action.id === "type") {
      // A typed answer where the message itself cannot be read: a modal (the first response).
      await interaction.showModal(
        answerModal(action.itemId ?? action.itemKey ?? "", interaction.message.content),
      );
      return;
    }
    const inboundAction = toInboundAction(action);
    if (!inboundAction) return;
    await interactionTurn(interaction, inboundOf(interaction, { action: inboundAction }), {
      itemId: action.itemId,
      id: action.id,
    });
  }

  async function onModal(interaction: ModalSubmitInteraction): Promise<void> {
    const submitted = parseModalSubmit(interaction.customId, (id) =>
      interaction.fields.getTextInputValue(id),
    );
    const inboundAction = submitted ? toInboundAction(submitted) : undefined;
    if (!inboundAction) return;
    await interactionTurn(interaction, inboundOf(interaction, { action: inboundAction }), {
      itemId: inboundAction.itemId,
      id: "answer",
    });
  }

  async function onAutocomplete(interaction: AutocompleteInteraction): Promise<void> {
    const focused = interaction.options.getFocused(true);
    await interaction.respond(
      autocomplete(tutor.courses, { name: focused.name, value: String(focused.value) }),
    );
  }

  /** A DM (or, with the Message Content intent, a message in the learner's thread or a mention). */
  async function onMessage(message: Message): Promise<void> {
    if (message.author.bot || !client.user) return;
    const isDm = message.channel.type === ChannelType.DM;
    const isMention = message.mentions.users.has(client.user.id);
    const isPracticeThread =
      message.channel.type === ChannelType.PrivateThread &&
      message.channel.ownerId === client.user.id;
    if (!isDm && !isMention && !isPracticeThread) return;
    const text = message.content.replace(/<@!?\d+>/g, " ").trim();
    const tenant = await tenantOf(message.guildId, message.author.id);
    // LLM text as it grows: one message, posted then edited (throttled).
    let streamed: Promise<Message | undefined> | undefined;
    let lastEditAt = 0;
    const onStream = (event: StreamEvent) => {
      const now = Date.now();
      if (now - lastEditAt < EDIT_INTERVAL_MS || !message.channel.isSendable()) return;
      lastEditAt = now;
      const content = event.text.slice(0, 2000);
      const channel = message.channel;
      streamed = (streamed ?? Promise.resolve(undefined))
        .then(async (shown) => (shown ? shown.edit({ content }) : channel.send({ content })))
        .catch(() => undefined);
    };
    const replies = await tutor.handle(
      { tenant, platform: "discord", learner: message.author.id, eventId: message.id, text },
      streamOptions(onStream),
    );
    if (!message.channel.isSendable()) return;
    const channel = message.channel;
    try {
      let partial = await streamed;
      for (const reply of replies)
        for (const payload of renderReply(reply)) {
          if (reply.streamId !== undefined && partial) {
            await partial.edit(forMessage(payload));
            partial = undefined;
          } else await channel.send(forMessage(payload));
        }
      // Text streamed for a reply that never came (the LLM failed): take it away.
      await partial?.delete();
    } catch (error) {
      log.error({ err: error }, "could not send the replies");
      options.metrics?.platformError("discord", "message");
      await channel.send({ content: SORRY_MESSAGE }).catch(() => {});
    }
  }

  client.on(Events.InteractionCreate, (interaction) => {
    const work = interaction.isChatInputCommand()
      ? onCommand(interaction)
      : interaction.isButton()
        ? onButton(interaction)
        : interaction.isModalSubmit()
          ? onModal(interaction)
          : interaction.isAutocomplete()
            ? onAutocomplete(interaction)
            : Promise.resolve();
    work.catch((error: unknown) => {
      log.error({ err: error }, "Discord interaction failed");
      options.metrics?.platformError("discord", "interaction");
    });
  });
  client.on(Events.MessageCreate, (message) => {
    onMessage(message).catch((error: unknown) => {
      log.error({ err: error }, "Discord message failed");
      options.metrics?.platformError("discord", "message");
    });
  });
  client.on(Events.Error, (error) => log.error({ err: error }, "Discord client error"));

  return {
    client,
    async start() {
      await client.login(config.token);
      log.info(
        { intents: config.hasMessageContent ? "with message content" : "without message content" },
        "Discord adapter started",
      );
    },
    async stop() {
      await client.destroy();
    },
    isConnected: () => client.isReady() && client.ws.status === Status.Ready,
  };
}
