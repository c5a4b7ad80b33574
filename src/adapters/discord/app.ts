import {
  type APIMessageTopLevelComponent,
  type AutocompleteInteraction,
  type ButtonInteraction,
  ChannelType,
  type ChatInputCommandInteraction,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  type Message,
  type ModalSubmitInteraction,
  Partials,
  Routes,
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
  type Sender,
  SORRY_MESSAGE,
  type StreamEvent,
  type Tutor,
} from "../../tutor/index.ts";
import {
  createDiscordClassroom,
  isTeacherMember,
  type RoleName,
  rolesOfGuild,
} from "./classroom.ts";
import {
  autocomplete,
  INTEGER_OPTIONS,
  isPrivateSubcommand,
  STRING_OPTIONS,
  toInbound,
} from "./commands.ts";
import {
  answeredComponents,
  answerModal,
  type DiscordPayload,
  messageOptions,
  parseCustomId,
  parseModalSubmit,
  pressedComponents,
  renderReply,
  replyOptions,
  toInboundAction,
} from "./render.ts";
import { makeDiscordRequest } from "./rest.ts";

export interface DiscordAdapterOptions {
  readonly tutor: Tutor;
  readonly config: DiscordConfig;
  readonly logger: Logger;
  /**
   * Remembers each learner's server (so their DMs count toward it) and practice threads, under
   * `discord:user:${userId}:` (all of it deleted when the learner asks Socra to forget them).
   */
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
/** Member events within this long of the first make one assignment check per server. */
const MEMBER_EVENTS_SETTLE_MS = 2000;
/** Learners whose server this process remembers (a cache: forgetting only costs a write). */
const HOMES_KEPT = 100_000;
/** Throttled edits while LLM text streams (Discord rate-limits message edits). */
const EDIT_INTERVAL_MS = 1200;

type Replyable = ChatInputCommandInteraction | ButtonInteraction | ModalSubmitInteraction;

/** Every key the adapter keeps about a user starts with this. */
export function userKeyPrefix(userId: string): string {
  return `discord:user:${userId}:`;
}
/** The server a user last used Socra in (their DMs count toward it). */
export function homeKey(userId: string): string {
  return `${userKeyPrefix(userId)}home`;
}
/** A user's private practice thread under a channel. */
export function threadKey(userId: string, channelId: string): string {
  return `${userKeyPrefix(userId)}thread:${channelId}`;
}

/** Whether the tutor forgot the learner (a confirmed forget-me): the adapter forgets them too. */
function isForgotten(replies: readonly Reply[]): boolean {
  return replies.some((reply) => reply.kind === "info" && reply.code === "forgotten");
}

interface TurnOptions {
  /** The message's components once this turn is over (a pressed button's message). */
  readonly closeComponents?: (
    replies: readonly Reply[],
  ) => APIMessageTopLevelComponent[] | undefined;
  /** Replies are for the user alone: a deferred answer in a server is deferred ephemerally. */
  readonly isPrivate?: boolean;
}

/**
 * The Discord adapter: slash commands, buttons and modals (and DMs, and mentions) become
 * `Inbound`s; the tutor's replies become messages with components. Interactions are answered
 * within Discord's 3 seconds (deferred when the turn runs long); hints in shared channels are
 * ephemeral; a learner's practice in a server happens in a private thread the bot opens.
 * Teachers: the adapter tells the tutor who is one (Manage Server, or the configured role), and
 * attaches itself as the tutor's "discord" classroom platform (mentions → learners, notices by
 * DM with a Start button). Teacher replies and data exports are ephemeral in servers; when the
 * tutor forgets a learner, the adapter deletes the keys it keeps about them.
 */
export function createDiscordAdapter(options: DiscordAdapterOptions): DiscordAdapter {
  const { tutor, config } = options;
  const log = options.logger.child({ platform: "discord" });
  const deferAfterMs = options.deferAfterMs ?? DEFER_AFTER_MS;
  const intents = [GatewayIntentBits.Guilds, GatewayIntentBits.DirectMessages];
  // Message content is privileged: only when the operator enabled it for the bot.
  if (config.hasMessageContent)
    intents.push(GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent);
  if (config.hasServerMembers) intents.push(GatewayIntentBits.GuildMembers);
  const client = new Client({
    intents,
    // DM channels arrive uncached: without this partial, DMs never reach messageCreate.
    partials: [Partials.Channel],
    allowedMentions: { parse: [] },
    rest: { ...(config.apiUrl ? { api: config.apiUrl } : {}), makeRequest: makeDiscordRequest },
  });

  /** The server each learner was last seen in, as this process last wrote it. */
  const homes = new Map<string, string>();
  /** The tenant: the server; in DMs the server the learner last used Socra in, or their own. */
  async function tenantOf(guildId: string | null, userId: string): Promise<string> {
    try {
      if (guildId) {
        // Written when it changes, not on every interaction in the server.
        if (homes.get(userId) !== guildId) {
          await options.keyValue.set(homeKey(userId), guildId);
          if (homes.size >= HOMES_KEPT) homes.clear();
          homes.set(userId, guildId);
        }
        return guildId;
      }
      return (await options.keyValue.get(homeKey(userId))) ?? `user:${userId}`;
    } catch (error) {
      log.warn({ err: error }, "could not read or keep the learner's server");
      return guildId ?? `user:${userId}`;
    }
  }

  /** Deletes every key kept about a user, once the tutor has forgotten them. */
  async function forgetUser(userId: string): Promise<void> {
    homes.delete(userId);
    try {
      // Their practice threads hold their answers: they go too (the bot needs Manage Threads).
      const threads = await options.keyValue.entriesByPrefix(threadKey(userId, ""));
      await Promise.all(threads.map(([, threadId]) => deleteThread(threadId)));
      await options.keyValue.deleteByPrefix(userKeyPrefix(userId));
    } catch (error) {
      log.error(
        { err: error },
        "could not delete the Discord keys of a learner who asked to be forgotten",
      );
      options.metrics?.platformError("discord", "forget");
    }
  }

  async function deleteThread(threadId: string): Promise<void> {
    try {
      await client.rest.delete(Routes.channel(threadId), {
        reason: "The learner asked Socra to forget them",
      });
    } catch (error) {
      if (error instanceof DiscordAPIError && error.status === 404) return; // gone already
      log.warn(
        { err: error },
        "could not delete the practice thread of a learner who asked to be forgotten",
      );
      options.metrics?.platformError("discord", "threads.delete");
    }
  }

  /** The server's roles (for a teacher role given by name). */
  async function rolesOf(guildId: string): Promise<RoleName[]> {
    return rolesOfGuild(client.guilds.cache.get(guildId) ?? (await client.guilds.fetch(guildId)));
  }

  /**
   * Who sent an interaction, as Discord says: a teacher when the member has Manage Server
   * (Discord computes the permissions it sends) or the configured teacher role. In DMs there is
   * no server, so no one is a teacher. Discord does not tell time zones.
   */
  function interactionSender(interaction: Replyable): () => Promise<Sender> {
    return async () => {
      if (!interaction.inGuild()) return { isTeacher: false };
      const { member } = interaction;
      const roleIds = Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
      const isTeacher = await isTeacherMember(
        { permissions: interaction.memberPermissions, roleIds },
        config.teacherRole,
        () => rolesOf(interaction.guildId),
      );
      return { isTeacher };
    };
  }

  /** The same for a message: discord.js computes a member's server permissions from its cache. */
  function messageSender(message: Message): () => Promise<Sender> {
    return async () => {
      const { member, guildId } = message;
      if (!member || !guildId) return { isTeacher: false };
      const isTeacher = await isTeacherMember(
        { permissions: member.permissions, roleIds: [...member.roles.cache.keys()] },
        config.teacherRole,
        () => rolesOf(guildId),
      );
      return { isTeacher };
    };
  }

  const classroom = createDiscordClassroom({
    client,
    logger: options.logger,
    teacherRole: config.teacherRole,
    // A learner new to Socra who gets an assignment practises in its server when they DM back.
    onNotified: async (tenant, userId) => {
      if ((await options.keyValue.get(homeKey(userId))) === undefined)
        await options.keyValue.set(homeKey(userId), tenant);
    },
  });
  tutor.attachPlatform("discord", classroom);

  const streamOptions = (onEvent: (event: StreamEvent) => void): HandleOptions =>
    options.hasLlm ? { onStream: onEvent } : {};

  /** A server channel others read (not the learner's private practice thread). */
  const isSharedPlace = (interaction: {
    guildId: string | null;
    channel: { type: ChannelType } | null;
  }) => interaction.guildId !== null && interaction.channel?.type !== ChannelType.PrivateThread;

  /**
   * Runs a turn for an interaction: answers at once when the tutor is quick, defers first when
   * it is not (the timer starts before anything else, so Discord's 3 s always hold), and sends
   * the replies as the interaction's response and follow-ups. In shared channels every reply is
   * ephemeral: only the learner who asked sees it; anywhere in a server, so is a private reply
   * (a teacher's report, a data export). In DMs nothing needs to be.
   */
  async function interactionTurn(
    interaction: Replyable,
    makeInbound: () => Promise<Inbound>,
    turn: TurnOptions = {},
  ): Promise<void> {
    const isShared = isSharedPlace(interaction);
    const isInGuild = interaction.guildId !== null;
    const isDeferredEphemeral = isShared || (turn.isPrivate === true && isInGuild);
    // The message the pressed button is on (a modal opened from it counts too).
    const updater =
      interaction.isButton() || (interaction.isModalSubmit() && interaction.isFromMessage())
        ? interaction
        : undefined;
    // Only the interaction may change an ephemeral message: a slow turn that closes its
    // buttons defers as an update of it, and the replies follow.
    const isDeferredUpdate =
      updater !== undefined &&
      turn.closeComponents !== undefined &&
      updater.message.flags.has("Ephemeral");
    let deferred: Promise<unknown> | undefined;
    let lastEditAt = 0;
    const timer = setTimeout(() => {
      deferred = (
        isDeferredUpdate
          ? updater.deferUpdate()
          : interaction.deferReply(isDeferredEphemeral ? { flags: ["Ephemeral"] } : {})
      ).catch((error: unknown) => log.warn({ err: error }, "could not defer the interaction"));
    }, deferAfterMs);
    // A deferred update keeps the pressed message (the question) as it is: streamed text goes
    // to an ephemeral follow-up of its own, which the reply then replaces.
    let streamed: Promise<Message | undefined> | undefined;
    const onStream = (event: StreamEvent) => {
      if (!deferred || Date.now() - lastEditAt < EDIT_INTERVAL_MS) return;
      lastEditAt = Date.now();
      const content = event.text.slice(0, 2000);
      if (!isDeferredUpdate) {
        void deferred.then(() => interaction.editReply({ content })).catch(() => {});
        return;
      }
      const after = streamed ?? deferred.then(() => undefined);
      streamed = after.then((message) =>
        message
          ? interaction.editReply({ content, message }).then(
              () => message,
              () => message,
            )
          : interaction.followUp({ content, flags: ["Ephemeral"] }).catch(() => undefined),
      );
    };
    let replies: Reply[];
    let inbound: Inbound;
    try {
      inbound = await makeInbound();
      replies = await tutor.handle(inbound, streamOptions(onStream));
    } finally {
      clearTimeout(timer);
    }
    // The tutor forgot the learner: so does the adapter, while the answer goes out (a prefix
    // delete scans the store, which may take longer than Discord waits for an answer).
    const forgetting =
      inbound.action?.id === "forget-confirm" && isForgotten(replies)
        ? forgetUser(interaction.user.id)
        : undefined;
    try {
      let hasResponded = false;
      const components = updater ? turn.closeComponents?.(replies) : undefined;
      if (deferred && isDeferredUpdate) {
        await deferred;
        if (components) await interaction.editReply({ components: components as never });
        hasResponded = true;
      } else if (components && updater) {
        if (!deferred) {
          await updater.update({ components: components as never });
          hasResponded = true;
        } else if (!updater.message.flags.has("Ephemeral"))
          await updater.message
            .edit({ components: components as never })
            .catch((error: unknown) => {
              log.warn({ err: error }, "could not disable the pressed message's buttons");
            });
      }
      if (deferred) await deferred;
      let isFirst = !hasResponded;
      let partial = await streamed;
      for (const reply of replies) {
        const ephemeral = isShared || (reply.isPrivate === true && isInGuild);
        for (const payload of renderReply(reply, { ephemeral })) {
          if (reply.streamId !== undefined && partial) {
            await interaction.editReply({ ...messageOptions(payload), message: partial });
            partial = undefined;
          } else if (isFirst && deferred && ephemeral && !isDeferredEphemeral) {
            // A public "thinking…" cannot become private: take it away, answer privately.
            await interaction.deleteReply();
            await interaction.followUp(replyOptions(payload));
          } else if (isFirst && deferred) await interaction.editReply(messageOptions(payload));
          else if (isFirst) await interaction.reply(replyOptions(payload));
          else await interaction.followUp(replyOptions(payload));
          isFirst = false;
        }
      }
      if (isFirst && deferred) await interaction.deleteReply(); // nothing to say: no "thinking…" left
      // Text streamed for a reply that never came (the LLM failed): take it away.
      if (partial) await interaction.deleteReply(partial);
    } catch (error) {
      log.error({ err: error }, "could not answer the interaction");
      options.metrics?.platformError("discord", "interaction");
      const sorry = { content: SORRY_MESSAGE, flags: ["Ephemeral"] as const };
      await (interaction.replied || interaction.deferred
        ? interaction.followUp(sorry)
        : interaction.reply(sorry)
      ).catch(() => {});
    } finally {
      await forgetting;
    }
  }

  /** Sends replies in order to a channel (a practice thread). */
  async function sendAll(
    replies: readonly Reply[],
    send: (payload: DiscordPayload) => Promise<unknown>,
  ): Promise<void> {
    for (const reply of replies) for (const payload of renderReply(reply)) await send(payload);
  }

  /** Whether a user is (still) a member of a server, as Discord says. */
  async function isMemberOf(guildId: string, userId: string): Promise<boolean> {
    const target = { kind: "user", id: userId, text: `<@${userId}>` } as const;
    const members = await classroom.membersOf(guildId, target).catch((error: unknown) => {
      log.warn({ err: error }, "could not check a server's member");
      return undefined;
    });
    return members?.includes(userId) === true;
  }

  /**
   * The turn an interaction asks for; its id is the event id, so a duplicate runs once. The
   * tenant is the interaction's server, or the one `serverOf` finds (a Start button pressed in a
   * DM for an assignment of a server the learner is a member of).
   */
  function inboundOf(
    interaction: Replyable,
    content: Pick<Inbound, "command"> | Pick<Inbound, "action">,
    serverOf: () => Promise<string | null> = async () => interaction.guildId,
  ): () => Promise<Inbound> {
    return async () => ({
      tenant: await tenantOf(await serverOf(), interaction.user.id),
      platform: "discord",
      learner: interaction.user.id,
      eventId: interaction.id,
      sender: interactionSender(interaction),
      ...content,
    });
  }

  async function onCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const subcommandName = interaction.options.getSubcommand(false);
    const values: Record<string, string | number | undefined> = {};
    for (const name of STRING_OPTIONS)
      values[name] = interaction.options.getString(name) ?? undefined;
    for (const name of INTEGER_OPTIONS)
      values[name] = interaction.options.getInteger(name) ?? undefined;
    const command = toInbound(interaction.commandName, subcommandName, values);
    const inbound = inboundOf(interaction, { command });
    const channel = interaction.channel;
    // "/tutor start COURSE" reaches the tutor as a course switch: both begin practice.
    const isStart = interaction.commandName === "tutor" && subcommandName === "start";
    if (!isStart || channel?.type !== ChannelType.GuildText) {
      await interactionTurn(interaction, inbound, {
        isPrivate: interaction.commandName === "tutor" && isPrivateSubcommand(subcommandName),
      });
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
        thread.send(messageOptions(payload)),
      );
    } catch (error) {
      log.warn({ err: error }, "could not open a private thread");
      options.metrics?.platformError("discord", "threads.create");
      await interaction.editReply({ content: SORRY_MESSAGE }).catch(() => {});
    }
  }

  /** The learner's practice thread in this channel: the one opened before, or a new one. */
  async function practiceThread(channel: TextChannel, user: User): Promise<ThreadChannel> {
    const key = threadKey(user.id, channel.id);
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
    const current = () => interaction.message.components.map((row) => row.toJSON());
    if (action.id === "forget-confirm" || action.id === "forget-cancel") {
      // A confirmation is answered once: both buttons go grey, the pressed one keeps its colour.
      await interactionTurn(interaction, inboundOf(interaction, { action: inboundAction }), {
        isPrivate: true,
        closeComponents: () => pressedComponents(current(), interaction.customId),
      });
      return;
    }
    if (action.id === "start") {
      // Pressed in a DM: the assignment belongs to the server the notice came from.
      const { tenant } = action;
      await interactionTurn(
        interaction,
        inboundOf(interaction, { action: inboundAction }, async () =>
          tenant !== undefined && (await isMemberOf(tenant, interaction.user.id))
            ? tenant
            : interaction.guildId,
        ),
      );
      return;
    }
    await interactionTurn(interaction, inboundOf(interaction, { action: inboundAction }), {
      closeComponents: (replies) => {
        const outcome = questionOutcome(replies, action.itemId, action.id);
        return outcome
          ? answeredComponents(current(), outcome, { chosenCustomId: interaction.customId })
          : undefined;
      },
    });
  }

  async function onModal(interaction: ModalSubmitInteraction): Promise<void> {
    const submitted = parseModalSubmit(interaction.customId, (id) =>
      interaction.fields.getTextInputValue(id),
    );
    const inboundAction = submitted ? toInboundAction(submitted) : undefined;
    if (!inboundAction) return;
    await interactionTurn(interaction, inboundOf(interaction, { action: inboundAction }), {
      closeComponents: (replies) => {
        const outcome = questionOutcome(replies, inboundAction.itemId, "answer");
        return outcome && interaction.isFromMessage()
          ? answeredComponents(
              interaction.message.components.map((row) => row.toJSON()),
              outcome,
            )
          : undefined;
      },
    });
  }

  async function onAutocomplete(interaction: AutocompleteInteraction): Promise<void> {
    const focused = interaction.options.getFocused(true);
    await interaction.respond(
      autocomplete(tutor.courses, {
        name: focused.name,
        value: String(focused.value),
        subcommand: interaction.options.getSubcommand(false),
      }),
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
      {
        tenant,
        platform: "discord",
        learner: message.author.id,
        eventId: message.id,
        text,
        sender: messageSender(message),
      },
      streamOptions(onStream),
    );
    if (!message.channel.isSendable()) return;
    const channel = message.channel;
    try {
      let partial = await streamed;
      for (const reply of replies) {
        // A message cannot be ephemeral: outside a DM, a private reply goes to the author's DM.
        const to = reply.isPrivate && !isDm ? await message.author.createDM() : channel;
        for (const payload of renderReply(reply)) {
          if (reply.streamId !== undefined && partial) {
            await partial.edit(messageOptions(payload));
            partial = undefined;
          } else await to.send(messageOptions(payload));
        }
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

  // With the Server Members intent: someone joined the server or got a role, so a role's or a
  // channel's open assignments may reach them now (the tutor checks every 15 minutes anyway).
  // A burst of joins makes one check per server.
  const memberChecks = new Map<string, NodeJS.Timeout>();
  const membersChangedSoon = (guildId: string): void => {
    if (memberChecks.has(guildId)) return;
    const timer = setTimeout(() => {
      memberChecks.delete(guildId);
      classroom.forgetMemberList(guildId);
      void tutor.membersChanged(guildId, "discord");
    }, MEMBER_EVENTS_SETTLE_MS);
    timer.unref();
    memberChecks.set(guildId, timer);
  };
  client.on(Events.GuildMemberAdd, (member) => {
    if (!member.user.bot) membersChangedSoon(member.guild.id);
  });
  client.on(Events.GuildMemberUpdate, (before, after) => {
    const gained = after.roles.cache.some((role) => !before.roles.cache.has(role.id));
    if (gained && !after.user.bot) membersChangedSoon(after.guild.id);
  });
  // An update of a member not cached (large servers): what changed is unknown, so check.
  client.on(Events.GuildMemberAvailable, (member) => {
    if (!member.user.bot) membersChangedSoon(member.guild.id);
  });

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
      for (const timer of memberChecks.values()) clearTimeout(timer);
      memberChecks.clear();
      await client.destroy();
    },
    isConnected: () => client.isReady() && client.ws.status === Status.Ready,
  };
}
