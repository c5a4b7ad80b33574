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
} from "discord.js";
import type { DiscordConfig } from "../../config.ts";
import type { Metrics } from "../../metrics.ts";
import type { KeyValueStore } from "../../store/index.ts";
import {
  type HandleOptions,
  type Inbound,
  type Logger,
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
  async function tenantOf(guildId: string | null, userId: string): Promise<string> {
    const homeKey = `discord:home:${userId}`;
    try {
      if (guildId) {
        await options.keyValue.set(homeKey, guildId);
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
   * it is not, and sends the replies as the interaction's response and follow-ups.
   */
  async function interactionTurn(
    interaction: Replyable,
    inbound: Inbound,
    /** Closes the question a button belonged to; true when that was the interaction's response. */
    closeQuestion?: (replies: readonly Reply[], canRespond: boolean) => Promise<boolean>,
  ): Promise<void> {
    const ephemeralHints = isShared(interaction);
    let deferred: Promise<unknown> | undefined;
    let shownStream = "";
    let lastEditAt = 0;
    const timer = setTimeout(() => {
      deferred = interaction
        .deferReply(ephemeralHints ? { flags: ["Ephemeral"] } : {})
        .catch((error: unknown) => {
          log.warn({ err: error }, "could not defer the interaction");
        });
    }, deferAfterMs);
    const onStream = (event: StreamEvent) => {
      if (!deferred || Date.now() - lastEditAt < EDIT_INTERVAL_MS) return;
      lastEditAt = Date.now();
      shownStream = event.text;
      void deferred
        .then(() =>
          interaction.editReply({
            content: event.text.slice(0, 2000),
            allowedMentions: { parse: [] },
          }),
        )
        .catch(() => {});
    };
    let replies: Reply[];
    try {
      replies = await tutor.handle(inbound, streamOptions(onStream));
    } finally {
      clearTimeout(timer);
    }
    void shownStream;
    try {
      if (closeQuestion && (await closeQuestion(replies, deferred === undefined))) {
        if (deferred) await deferred;
        await sendAll(
          replies,
          (payload, first) =>
            first && deferred
              ? interaction.editReply(forMessage(payload))
              : interaction.followUp(forReply(payload)),
          ephemeralHints,
        );
        return;
      }
      if (deferred) await deferred;
      await sendAll(
        replies,
        async (payload, first) => {
          if (first && deferred) await interaction.editReply(forMessage(payload));
          else if (first) await interaction.reply(forReply(payload));
          else await interaction.followUp(forReply(payload));
        },
        ephemeralHints,
      );
    } catch (error) {
      log.error({ err: error }, "could not answer the interaction");
      options.metrics?.platformError("discord", "interaction");
      await interaction
        .followUp({ content: SORRY_MESSAGE, flags: ["Ephemeral"], allowedMentions: { parse: [] } })
        .catch(() => {});
    }
  }

  /** Sends replies in order; hints in shared channels only to the learner. */
  async function sendAll(
    replies: readonly Reply[],
    send: (payload: DiscordPayload, isFirst: boolean) => Promise<unknown>,
    ephemeralHints: boolean,
  ): Promise<void> {
    let isFirst = true;
    for (const reply of replies) {
      for (const payload of renderReply(reply, {
        ephemeral: ephemeralHints && reply.kind === "hint",
      })) {
        await send(payload, isFirst);
        isFirst = false;
      }
    }
  }

  async function onCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const tenant = await tenantOf(interaction.guildId, interaction.user.id);
    const command = toInbound(interaction.commandName, interaction.options.getSubcommand(false), {
      course: interaction.options.getString("course") ?? undefined,
      skill: interaction.options.getString("skill") ?? undefined,
    });
    const channel = interaction.channel;
    // "/tutor start COURSE" reaches the tutor as a course switch: both begin practice.
    const isStart = interaction.options.getSubcommand(false) === "start";
    if (isStart && channel?.type === ChannelType.GuildText) {
      // Practice in a server happens in a private thread per learner: others see nothing.
      await interaction.deferReply({ flags: ["Ephemeral"] });
      try {
        const thread = await channel.threads.create({
          name: `Practice: ${interaction.user.username}`.slice(0, 100),
          type: ChannelType.PrivateThread,
          invitable: false,
        });
        await thread.members.add(interaction.user.id);
        await interaction.editReply({
          content: `Let's practise in your private thread: <#${thread.id}>`,
        });
        const replies = await tutor.handle({
          tenant,
          platform: "discord",
          learner: interaction.user.id,
          eventId: interaction.id,
          command,
        });
        await sendAll(replies, (payload) => thread.send(forMessage(payload)), false);
      } catch (error) {
        log.warn({ err: error }, "could not open a private thread; answering here");
        options.metrics?.platformError("discord", "threads.create");
        await interaction.editReply({ content: SORRY_MESSAGE }).catch(() => {});
      }
      return;
    }
    await interactionTurn(interaction, {
      tenant,
      platform: "discord",
      learner: interaction.user.id,
      eventId: interaction.id,
      command,
    });
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
    const tenant = await tenantOf(interaction.guildId, interaction.user.id);
    await interactionTurn(
      interaction,
      {
        tenant,
        platform: "discord",
        learner: interaction.user.id,
        eventId: interaction.id,
        action: inboundAction,
      },
      async (replies, canRespond) => {
        // A finished question (answered, skipped, moved past) keeps its text, not its buttons.
        const isClosed = replies.some((r) => r.kind === "question" && r.itemId !== action.itemId);
        if (!isClosed) return false;
        const components = answeredComponents(
          interaction.message.components.map((row) => row.toJSON()),
          action.id === "skip" ? "skipped" : "answered",
          { chosenCustomId: interaction.customId },
        ) as never;
        if (canRespond) {
          await interaction.update({ components });
          return true;
        }
        await interaction.message.edit({ components }).catch((error: unknown) => {
          log.warn({ err: error }, "could not disable the answered question's buttons");
        });
        return false;
      },
    );
  }

  async function onModal(interaction: ModalSubmitInteraction): Promise<void> {
    const submitted = parseModalSubmit(interaction.customId, (id) =>
      interaction.fields.getTextInputValue(id),
    );
    const inboundAction = submitted ? toInboundAction(submitted) : undefined;
    if (!inboundAction) return;
    const tenant = await tenantOf(interaction.guildId, interaction.user.id);
    await interactionTurn(interaction, {
      tenant,
      platform: "discord",
      learner: interaction.user.id,
      eventId: interaction.id,
      action: inboundAction,
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
    let streamed: Message | undefined;
    let lastEditAt = 0;
    const onStream = (event: StreamEvent) => {
      const now = Date.now();
      if (now - lastEditAt < EDIT_INTERVAL_MS) return;
      lastEditAt = now;
      const content = event.text.slice(0, 2000);
      void (
        streamed
          ? streamed.edit({ content })
          : message.channel.isSendable()
            ? message.channel.send({ content, allowedMentions: { parse: [] } }).then((m) => {
                streamed = m;
              })
            : Promise.resolve()
      ).catch(() => {});
    };
    const replies = await tutor.handle(
      { tenant, platform: "discord", learner: message.author.id, eventId: message.id, text },
      streamOptions(onStream),
    );
    try {
      if (!message.channel.isSendable()) return;
      const channel = message.channel;
      for (const reply of replies)
        for (const payload of renderReply(reply, {})) {
          if (reply.streamId !== undefined && streamed) {
            await streamed.edit(forMessage(payload));
            streamed = undefined;
          } else await channel.send(forMessage(payload));
        }
    } catch (error) {
      log.error({ err: error }, "could not send the replies");
      options.metrics?.platformError("discord", "message");
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
