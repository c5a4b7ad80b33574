import { randomBytes } from "node:crypto";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  STATUS_CODES,
} from "node:http";
import type { AddressInfo } from "node:net";
import {
  type APIMessage,
  type APIUser,
  ApplicationCommandType,
  ApplicationFlags,
  ChannelType,
  ComponentType,
  GatewayDispatchEvents,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageType,
} from "discord.js";
import { arrayError, commandKey, validateCommands } from "./command-validation.ts";
import { createFakeGateway, type FakeGatewayConnection } from "./fake-gateway.ts";
import {
  APPLICATION_FLAGS,
  BOT_PERMISSIONS,
  botUser,
  classChannel,
  createSnowflakes,
  DISCORD_IDS,
  dmChannel,
  guildMember,
  guildMembers,
  guildRoles,
  humanUser,
  memberPermissions,
  textChannel,
} from "./payloads.ts";

export type { FakeGatewayConnection } from "./fake-gateway.ts";

/** One REST request the fake received, scripted failures included. */
export interface FakeDiscordRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** The decoded route after `/api/v10`, without the query: `/webhooks/1/abc/messages/@original`. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON (`payload_json` for multipart uploads); `undefined` when there was no body. */
  body: unknown;
  /** Names of the file parts of a multipart upload (`files[0]`, …). */
  files: string[];
  /** The file parts themselves, in order. */
  uploads: FakeUpload[];
  headers: IncomingHttpHeaders;
  /** The status the fake answered with. */
  status: number;
  /** The JSON the fake answered with; `undefined` for 204. */
  response: unknown;
  receivedAtMs: number;
}

/** One file of a multipart upload. */
export interface FakeUpload {
  /** The form field: `files[0]`, … */
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

/** A scripted failure. 429 gets Discord's `retry-after` header and rate-limit body. */
export interface FakeDiscordFailure {
  status: number;
  retryAfterSeconds?: number;
  /** A global rate limit (`x-ratelimit-global`), which stops every route, not one bucket. */
  global?: boolean;
  /** Discord's JSON error code; 0 by default. */
  code?: number;
  message?: string;
}

/** An accepted interaction response (`POST /interactions/:id/:token/callback`). */
export interface FakeInteractionCallback {
  interactionId: string;
  token: string;
  type: InteractionResponseType;
  data: Record<string, unknown> | undefined;
  /** Whether the client asked for the callback object (`?with_response=true`). */
  isWithResponse: boolean;
}

export interface FakeDiscordOptions {
  /** When set, other bot tokens get 401 on REST and close code 4004 on the gateway. */
  token?: string;
  /** HELLO's `heartbeat_interval`; Discord's usual 41250 ms by default. */
  heartbeatIntervalMs?: number;
  /** When true (default), READY lists the test guild and its GUILD_CREATE follows. */
  isInGuild?: boolean;
  botUsername?: string;
  /**
   * Whether the bot has the privileged Server Members intent enabled (Developer Portal): without
   * it, listing a guild's members answers 403 Missing Access, as Discord does. True by default.
   */
  hasGuildMembersIntent?: boolean;
  /**
   * Whether the bot may delete threads (Manage Threads): without it, deleting one answers 403
   * Missing Permissions. True by default.
   */
  canManageThreads?: boolean;
  /**
   * More human members in Class 7A, beyond the usual few, for paging through a large server
   * (REST only: GUILD_CREATE leaves them out, as Discord does for large guilds).
   */
  extraMembers?: number;
}

/** Where a built interaction happens: the test guild's channel (or `channelId`), or a DM. */
export type FakeInteractionPlace = "guild" | "dm";

export interface FakeInteractionInit {
  type:
    | InteractionType.ApplicationCommand
    | InteractionType.MessageComponent
    | InteractionType.ApplicationCommandAutocomplete
    | InteractionType.ModalSubmit;
  /**
   * The interaction's `data` (see `chatInputData`, `buttonData`, `modalSubmitData`). For
   * commands the fake adds the registered command's `id` (and `guild_id`); for components a
   * missing `component_type` means a button.
   */
  data: Record<string, unknown>;
  where?: FakeInteractionPlace;
  /** A guild channel or thread the fake knows; the test guild's text channel by default. */
  channelId?: string;
  /** The user acting; the learner by default. */
  userId?: string;
  /**
   * For component (and modal-from-component) interactions: the message the component is on.
   * By default the latest stored message in the channel that has a component with this
   * `custom_id`, else a bot message made up for it.
   */
  messageId?: string;
  locale?: string;
}

export interface FakeInteractionHandle {
  id: string;
  token: string;
  /** The INTERACTION_CREATE data as dispatched; dispatch it again to simulate a duplicate. */
  payload: Record<string, unknown>;
}

export interface FakeDirectMessageInit {
  content: string;
  /** Who wrote it; the learner by default. */
  authorId?: string;
  /**
   * A message by a bot. Without `authorId` it is the bot's own message, which Discord echoes
   * back over the gateway, in the learner's DM; with one, that id must not be a human's, since
   * discord.js keeps a user's `bot` flag once it has seen it.
   */
  isBot?: boolean;
  /**
   * Discord sends `channel_type` with MESSAGE_CREATE (discord-api-docs#8311). Since 14.26.2
   * discord.js builds an uncached DM channel only from it, and otherwise drops the message; set
   * false to send the older payload.
   */
  hasChannelType?: boolean;
}

export interface FakeDiscord {
  /** For `new Client({ rest: { api } })` and `new REST({ api })`: `http://127.0.0.1:PORT/api`. */
  restUrl: string;
  /** What `GET /gateway/bot` answers as `url`: `ws://127.0.0.1:PORT/gateway`. */
  gatewayUrl: string;
  requests: FakeDiscordRequest[];
  requestsTo(method: string, pathPattern: RegExp): FakeDiscordRequest[];
  /** Resolves with the matching requests once there are `count` of them (default 1). */
  waitForRequest(
    method: string,
    pathPattern: RegExp,
    options?: { count?: number; timeoutMs?: number },
  ): Promise<FakeDiscordRequest[]>;
  callbacks: FakeInteractionCallback[];
  gatewayConnections: FakeGatewayConnection[];
  /** A message as the fake now holds it (after edits and component updates). */
  message(id: string): APIMessage | undefined;
  messagesIn(channelId: string): APIMessage[];
  /** The id of the DM channel between the bot and a user, once there is one. */
  dmChannelOf(userId: string): string | undefined;
  /** Registered commands, global or for one guild, as the last PUT left them. */
  commands(guildId?: string): Record<string, unknown>[];
  /** Sends a DISPATCH to every identified connection; returns how many got it. */
  dispatch(eventName: string, data: unknown): number;
  interaction(init: FakeInteractionInit): FakeInteractionHandle;
  /** Dispatches MESSAGE_CREATE for a message a user sends the bot in their DM. */
  directMessage(init: FakeDirectMessageInit): APIMessage;
  /** A user joins the test guild with these roles: listed from now on, and GUILD_MEMBER_ADD. */
  joinGuild(user: APIUser, roleIds?: readonly string[]): void;
  /** A member's roles change: listed so from now on, and GUILD_MEMBER_UPDATE. */
  setMemberRoles(userId: string, roleIds: readonly string[]): void;
  /** Makes the next `times` matching requests fail as scripted. */
  failNext(method: string, pathPattern: RegExp, failure: FakeDiscordFailure, times?: number): void;
  close(): Promise<void>;
}

export const DEFAULT_FAKE_DISCORD_OPTIONS = {
  token: "",
  heartbeatIntervalMs: 41_250,
  isInGuild: true,
  botUsername: "Socra",
  hasGuildMembersIntent: true,
  canManageThreads: true,
  extraMembers: 0,
} as const satisfies Required<FakeDiscordOptions>;

const NO_FLAGS = 0 as MessageFlags;

/** Message flags a client may set on a message it sends; Discord ignores the others. */
const SENDABLE_FLAGS =
  MessageFlags.Ephemeral |
  MessageFlags.SuppressEmbeds |
  MessageFlags.SuppressNotifications |
  MessageFlags.IsComponentsV2;

/** Fields a message body may set; PATCH changes only those present. */
const MESSAGE_FIELDS = [
  "content",
  "embeds",
  "components",
  "attachments",
  "message_reference",
  "poll",
  "sticker_ids",
  "tts",
] as const;

/** Which responses Discord accepts for each interaction type. */
const ALLOWED_RESPONSES: Readonly<Record<number, readonly InteractionResponseType[]>> = {
  [InteractionType.ApplicationCommand]: [
    InteractionResponseType.ChannelMessageWithSource,
    InteractionResponseType.DeferredChannelMessageWithSource,
    InteractionResponseType.Modal,
  ],
  [InteractionType.MessageComponent]: [
    InteractionResponseType.ChannelMessageWithSource,
    InteractionResponseType.DeferredChannelMessageWithSource,
    InteractionResponseType.DeferredMessageUpdate,
    InteractionResponseType.UpdateMessage,
    InteractionResponseType.Modal,
  ],
  [InteractionType.ApplicationCommandAutocomplete]: [
    InteractionResponseType.ApplicationCommandAutocompleteResult,
  ],
  [InteractionType.ModalSubmit]: [
    InteractionResponseType.ChannelMessageWithSource,
    InteractionResponseType.DeferredChannelMessageWithSource,
    InteractionResponseType.DeferredMessageUpdate,
    InteractionResponseType.UpdateMessage,
  ],
};

type Json = Record<string, unknown>;
type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
type RouteContext = {
  params: string[];
  body: unknown;
  query: URLSearchParams;
  files: string[];
};
interface Route {
  method: string;
  pattern: RegExp;
  /** Interaction callbacks and webhook routes are sent without the bot token. */
  isAuthed: boolean;
  handle(context: RouteContext): Answer;
}

interface InteractionState {
  id: string;
  token: string;
  type: InteractionType;
  channelId: string;
  guildId: string | undefined;
  user: APIUser;
  /** The message a component (or a modal opened from one) was on. */
  componentMessageId: string | undefined;
  responseType: InteractionResponseType | undefined;
  originalMessageId: string | undefined;
}

interface ChannelState {
  payload: Json;
  type: ChannelType;
  guildId: string | undefined;
}

interface Waiter {
  check(): boolean;
  fail(error: Error): void;
}

interface ScriptedFailure {
  method: string;
  pattern: RegExp;
  failure: FakeDiscordFailure;
}

/**
 * Starts a local stand-in for Discord on 127.0.0.1 (a random port): the REST API under
 * `/api/v10` and a JSON gateway WebSocket, enough for a real discord.js Client to log in,
 * receive interactions and messages, and answer them. It records every request and keeps the
 * messages it was asked to create or edit.
 *
 * A Client needs only `rest: { api: fake.restUrl }`: it asks `GET /gateway/bot` for the gateway
 * and connects to `${url}?v=10&encoding=json`. JSON is the only encoding @discordjs/ws 1.2 has,
 * and it adds `compress=zlib-stream` only when the optional zlib-sync is installed (the fake
 * speaks that too).
 */
export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const settings = { ...DEFAULT_FAKE_DISCORD_OPTIONS, ...options };
  const nextId = createSnowflakes();
  const bot = botUser(settings.botUsername);
  const requests: FakeDiscordRequest[] = [];
  const callbacks: FakeInteractionCallback[] = [];
  const failures: ScriptedFailure[] = [];
  const waiters = new Set<Waiter>();
  const messages = new Map<string, APIMessage>();
  const channels = new Map<string, ChannelState>();
  const dmByUser = new Map<string, string>();
  const interactions = new Map<string, InteractionState>();
  const commandsByScope = new Map<string, Json[]>();
  const members = new Map(guildMembers(bot).map((member) => [member.user.id, member]));
  for (let k = 0; k < settings.extraMembers; k++) {
    const user = humanUser((1_400_000_000_000_000_000n + BigInt(k)).toString());
    members.set(user.id, guildMember(user, [DISCORD_IDS.classRoleId]));
  }

  const addChannel = (payload: Json): ChannelState => {
    const state: ChannelState = {
      payload,
      type: payload.type as ChannelType,
      guildId: typeof payload.guild_id === "string" ? payload.guild_id : undefined,
    };
    channels.set(String(payload.id), state);
    return state;
  };
  if (settings.isInGuild) {
    addChannel(textChannel());
    addChannel(classChannel());
  }
  const ensureDm = (user: APIUser, channelId?: string): ChannelState => {
    const id =
      channelId ??
      dmByUser.get(user.id) ??
      (user.id === DISCORD_IDS.learnerId ? DISCORD_IDS.dmChannelId : nextId());
    dmByUser.set(user.id, id);
    return channels.get(id) ?? addChannel(dmChannel(id, user));
  };

  // ---- messages ----
  const messageFields = (body: Json): Partial<APIMessage> => {
    const fields: Json = {};
    for (const field of MESSAGE_FIELDS) if (field in body) fields[field] = body[field];
    if (Array.isArray(fields.embeds)) {
      fields.embeds = (fields.embeds as Json[]).map((embed) => ({ type: "rich", ...embed }));
    }
    if (typeof body.flags === "number") fields.flags = body.flags & SENDABLE_FLAGS;
    return fields as Partial<APIMessage>;
  };
  const isEmptyMessage = (body: Json, files: string[]): boolean =>
    !(typeof body.content === "string" && body.content !== "") &&
    !(Array.isArray(body.embeds) && body.embeds.length > 0) &&
    !(Array.isArray(body.components) && body.components.length > 0) &&
    !(Array.isArray(body.sticker_ids) && body.sticker_ids.length > 0) &&
    body.poll === undefined &&
    files.length === 0;
  const createMessage = (channelId: string, fields: Partial<APIMessage>): APIMessage => {
    const message: APIMessage = {
      id: nextId(),
      channel_id: channelId,
      author: bot,
      content: "",
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      components: [],
      pinned: false,
      type: MessageType.Default,
      flags: NO_FLAGS,
      ...fields,
    };
    messages.set(message.id, message);
    const channel = channels.get(channelId);
    if (channel) channel.payload.last_message_id = message.id;
    return message;
  };
  const editMessage = (message: APIMessage, fields: Partial<APIMessage>): APIMessage => {
    const edited: APIMessage = {
      ...message,
      ...fields,
      // An edit completes a deferred ("thinking…") reply.
      flags: ((fields.flags ?? message.flags ?? 0) & ~MessageFlags.Loading) as MessageFlags,
      edited_timestamp: new Date().toISOString(),
    };
    messages.set(edited.id, edited);
    return edited;
  };
  const madeUpComponentMessage = (channelId: string, customId: unknown): APIMessage =>
    createMessage(channelId, {
      content: "A question from Socra",
      components: [
        {
          type: ComponentType.ActionRow,
          components: [
            {
              type: ComponentType.Button,
              style: 1,
              label: "Choose",
              custom_id: typeof customId === "string" ? customId : "choice",
            },
          ],
        },
      ],
    });
  const hasCustomId = (node: unknown, customId: unknown): boolean => {
    if (Array.isArray(node)) return node.some((child) => hasCustomId(child, customId));
    if (!node || typeof node !== "object") return false;
    const record = node as Json;
    if (record.custom_id === customId) return true;
    return hasCustomId(record.components, customId) || hasCustomId(record.component, customId);
  };

  // ---- errors ----
  const apiError = (status: number, code: number, message: string, errors?: Json): Answer => ({
    status,
    body: { message, code, ...(errors ? { errors } : {}) },
  });
  const unknownChannel = (): Answer => apiError(404, 10003, "Unknown Channel");
  const unknownMessage = (): Answer => apiError(404, 10008, "Unknown Message");
  const unknownWebhook = (): Answer => apiError(404, 10015, "Unknown Webhook");
  const emptyMessage = (): Answer => apiError(400, 50006, "Cannot send an empty message");
  const invalidForm = (errors: Json): Answer => apiError(400, 50035, "Invalid Form Body", errors);
  const missingAccess = (): Answer => apiError(403, 50001, "Missing Access");
  const asJson = (body: unknown): Json =>
    body && typeof body === "object" && !Array.isArray(body) ? (body as Json) : {};

  // ---- interactions ----
  const interactionFor = (token: string | undefined): InteractionState | undefined =>
    token === undefined ? undefined : interactions.get(token);
  const interactionMessageType = (state: InteractionState): MessageType =>
    state.type === InteractionType.ApplicationCommand
      ? MessageType.ChatInputCommand
      : MessageType.Default;
  /** The fields Discord sets on a message an interaction's webhook created. */
  const fromInteraction = (state: InteractionState): Partial<APIMessage> => {
    const metadata: Json = {
      id: state.id,
      type: state.type,
      user: state.user,
      authorizing_integration_owners: state.guildId ? { "0": state.guildId } : { "0": "0" },
      ...(state.componentMessageId ? { interacted_message_id: state.componentMessageId } : {}),
    };
    return {
      webhook_id: DISCORD_IDS.applicationId,
      application_id: DISCORD_IDS.applicationId,
      interaction_metadata: metadata as unknown as NonNullable<APIMessage["interaction_metadata"]>,
    };
  };
  const respondToInteraction = ({ params, body: rawBody, query, files }: RouteContext): Answer => {
    const [interactionId, token] = params;
    const state = interactionFor(token);
    if (!state || state.id !== interactionId) return apiError(404, 10062, "Unknown interaction");
    if (state.responseType !== undefined) {
      return apiError(400, 40060, "Interaction has already been acknowledged.");
    }
    const body = asJson(rawBody);
    const type = body.type as InteractionResponseType;
    const data = body.data === undefined ? undefined : asJson(body.data);
    const isFromComponent = state.componentMessageId !== undefined;
    const isUpdate =
      type === InteractionResponseType.DeferredMessageUpdate ||
      type === InteractionResponseType.UpdateMessage;
    if (!ALLOWED_RESPONSES[state.type]?.includes(type) || (isUpdate && !isFromComponent)) {
      return invalidForm({
        type: {
          _errors: [{ code: "INTERACTION_RESPONSE_TYPE_INVALID", message: "Invalid type." }],
        },
      });
    }
    let message: APIMessage | undefined;
    switch (type) {
      case InteractionResponseType.ChannelMessageWithSource: {
        if (!data || isEmptyMessage(data, files)) return emptyMessage();
        message = createMessage(state.channelId, {
          ...messageFields(data),
          type: interactionMessageType(state),
          ...fromInteraction(state),
        });
        state.originalMessageId = message.id;
        break;
      }
      case InteractionResponseType.DeferredChannelMessageWithSource: {
        const ephemeral = (Number(data?.flags ?? 0) & MessageFlags.Ephemeral) as MessageFlags;
        message = createMessage(state.channelId, {
          type: interactionMessageType(state),
          flags: MessageFlags.Loading | ephemeral,
          ...fromInteraction(state),
        });
        state.originalMessageId = message.id;
        break;
      }
      case InteractionResponseType.DeferredMessageUpdate:
      case InteractionResponseType.UpdateMessage: {
        const target = messages.get(state.componentMessageId ?? "");
        if (!target) return unknownMessage();
        message =
          type === InteractionResponseType.UpdateMessage
            ? editMessage(target, messageFields(data ?? {}))
            : target;
        state.originalMessageId = message.id;
        break;
      }
      default:
        break;
    }
    state.responseType = type;
    const isWithResponse = query.get("with_response") === "true";
    callbacks.push({ interactionId: state.id, token: state.token, type, data, isWithResponse });
    if (!isWithResponse) return { status: 204 };
    const hasResource =
      type === InteractionResponseType.ChannelMessageWithSource ||
      type === InteractionResponseType.UpdateMessage;
    return {
      status: 200,
      body: {
        interaction: {
          id: state.id,
          type: state.type,
          ...(message
            ? {
                response_message_id: message.id,
                response_message_loading: ((message.flags ?? 0) & MessageFlags.Loading) !== 0,
                response_message_ephemeral: ((message.flags ?? 0) & MessageFlags.Ephemeral) !== 0,
              }
            : {}),
        },
        resource: { type, ...(hasResource && message ? { message } : {}) },
      },
    };
  };
  /** The interaction behind a webhook route, if its app id and token are right and it was answered. */
  const webhookInteraction = (params: string[]): InteractionState | undefined => {
    const [applicationId, token] = params;
    const state = interactionFor(token);
    if (applicationId !== DISCORD_IDS.applicationId || state?.responseType === undefined) {
      return undefined;
    }
    return state;
  };
  const webhookMessage = (state: InteractionState, messageId: string | undefined) => {
    const id = messageId === "@original" ? state.originalMessageId : messageId;
    return id === undefined ? undefined : messages.get(id);
  };

  // ---- commands ----
  const registerCommands = (scope: string, rawBody: unknown, guildId?: string): Answer => {
    if (!Array.isArray(rawBody)) return invalidForm({ _errors: [arrayError()] });
    const errors = validateCommands(rawBody);
    if (Object.keys(errors).length > 0) return invalidForm(errors);
    const previous = new Map((commandsByScope.get(scope) ?? []).map((c) => [commandKey(c), c]));
    const registered = (rawBody as Json[]).map((command) => {
      const type = (command.type as number | undefined) ?? ApplicationCommandType.ChatInput;
      const existing = previous.get(commandKey({ ...command, type }));
      return {
        id: typeof existing?.id === "string" ? existing.id : nextId(),
        application_id: DISCORD_IDS.applicationId,
        version: nextId(),
        default_member_permissions: null,
        type,
        name: command.name,
        name_localizations: null,
        description: command.description ?? "",
        description_localizations: null,
        contexts: null,
        integration_types: [0],
        nsfw: false,
        ...command,
        ...(guildId ? { guild_id: guildId } : {}),
      };
    });
    commandsByScope.set(scope, registered);
    return { status: 200, body: registered };
  };
  const findCommand = (name: unknown, guildId: string | undefined): Json | undefined =>
    [...(guildId ? (commandsByScope.get(guildId) ?? []) : []), ...commandsOf("global")].find(
      (command) => command.name === name,
    );
  const commandsOf = (scope: string): Json[] => commandsByScope.get(scope) ?? [];

  // ---- REST routes ----
  const checkApplication = (applicationId: string | undefined): Answer | undefined =>
    applicationId === DISCORD_IDS.applicationId ? undefined : missingAccess();
  const routes: Route[] = [
    {
      method: "GET",
      pattern: /^\/gateway\/bot$/,
      isAuthed: true,
      handle: () => ({
        status: 200,
        body: {
          url: gatewayUrl,
          shards: 1,
          session_start_limit: {
            total: 1000,
            remaining: 999,
            reset_after: 14_400_000,
            max_concurrency: 1,
          },
        },
      }),
    },
    {
      method: "GET",
      pattern: /^\/gateway$/,
      isAuthed: false,
      handle: () => ({ status: 200, body: { url: gatewayUrl } }),
    },
    {
      method: "GET",
      pattern: /^\/users\/@me$/,
      isAuthed: true,
      handle: () => ({
        status: 200,
        body: { ...bot, verified: true, mfa_enabled: false, locale: "en-US", email: null },
      }),
    },
    {
      method: "GET",
      pattern: /^\/users\/(\d+)$/,
      isAuthed: true,
      handle: ({ params: [userId] }) =>
        userId === bot.id
          ? { status: 200, body: bot }
          : members.has(userId ?? "") || dmByUser.has(userId ?? "")
            ? { status: 200, body: humanUser(userId ?? "") }
            : apiError(404, 10013, "Unknown User"),
    },
    {
      method: "GET",
      pattern: /^\/(?:oauth2\/)?applications\/@me$/,
      isAuthed: true,
      handle: () => ({
        status: 200,
        body: applicationPayload(bot, settings.hasGuildMembersIntent),
      }),
    },
    {
      method: "POST",
      pattern: /^\/users\/@me\/channels$/,
      isAuthed: true,
      handle: ({ body }) => {
        const recipientId = asJson(body).recipient_id;
        if (typeof recipientId !== "string" || recipientId === bot.id) {
          return invalidForm({ recipient_id: { _errors: [{ code: "BASE_TYPE_REQUIRED" }] } });
        }
        return { status: 200, body: ensureDm(humanUser(recipientId)).payload };
      },
    },
    {
      method: "GET",
      pattern: /^\/channels\/(\d+)$/,
      isAuthed: true,
      handle: ({ params: [channelId] }) => {
        const channel = channels.get(channelId ?? "");
        return channel ? { status: 200, body: channel.payload } : unknownChannel();
      },
    },
    {
      method: "DELETE",
      pattern: /^\/channels\/(\d+)$/,
      isAuthed: true,
      handle: ({ params: [channelId] }) => {
        const channel = channels.get(channelId ?? "");
        if (!channel) return unknownChannel();
        const isThread =
          channel.type === ChannelType.PrivateThread || channel.type === ChannelType.PublicThread;
        if (!isThread || !settings.canManageThreads)
          return apiError(403, 50013, "Missing Permissions");
        channels.delete(channelId ?? "");
        for (const message of [...messages.values()])
          if (message.channel_id === channelId) messages.delete(message.id);
        return { status: 200, body: channel.payload };
      },
    },
    {
      method: "POST",
      pattern: /^\/channels\/(\d+)\/messages$/,
      isAuthed: true,
      handle: ({ params: [channelId], body, files }) => {
        if (!channels.has(channelId ?? "")) return unknownChannel();
        const fields = asJson(body);
        if (isEmptyMessage(fields, files)) return emptyMessage();
        const isReply = fields.message_reference !== undefined;
        const message = createMessage(channelId ?? "", {
          ...messageFields(fields),
          ...(isReply ? { type: MessageType.Reply } : {}),
        });
        return { status: 200, body: message };
      },
    },
    {
      method: "GET",
      pattern: /^\/channels\/(\d+)\/messages\/(\d+)$/,
      isAuthed: true,
      handle: ({ params: [channelId, messageId] }) => {
        const message = messages.get(messageId ?? "");
        return message?.channel_id === channelId
          ? { status: 200, body: message }
          : unknownMessage();
      },
    },
    {
      method: "PATCH",
      pattern: /^\/channels\/(\d+)\/messages\/(\d+)$/,
      isAuthed: true,
      handle: ({ params: [channelId, messageId], body }) => {
        const message = messages.get(messageId ?? "");
        if (!message || message.channel_id !== channelId) return unknownMessage();
        if (message.author.id !== bot.id) {
          return apiError(403, 50005, "Cannot edit a message authored by another user");
        }
        return { status: 200, body: editMessage(message, messageFields(asJson(body))) };
      },
    },
    {
      method: "DELETE",
      pattern: /^\/channels\/(\d+)\/messages\/(\d+)$/,
      isAuthed: true,
      handle: ({ params: [channelId, messageId] }) => {
        const message = messages.get(messageId ?? "");
        if (!message || message.channel_id !== channelId) return unknownMessage();
        messages.delete(message.id);
        return { status: 204 };
      },
    },
    {
      method: "POST",
      pattern: /^\/channels\/(\d+)\/typing$/,
      isAuthed: true,
      handle: ({ params: [channelId] }) =>
        channels.has(channelId ?? "") ? { status: 204 } : unknownChannel(),
    },
    {
      method: "POST",
      pattern: /^\/channels\/(\d+)\/threads$/,
      isAuthed: true,
      handle: ({ params: [channelId], body }) => {
        const parent = channels.get(channelId ?? "");
        if (!parent) return unknownChannel();
        if (parent.type !== ChannelType.GuildText || !parent.guildId) {
          return apiError(400, 50024, "Cannot execute action on this channel type");
        }
        const fields = asJson(body);
        if (typeof fields.name !== "string" || fields.name.length < 1 || fields.name.length > 100) {
          return invalidForm({ name: { _errors: [{ code: "BASE_TYPE_BAD_LENGTH" }] } });
        }
        const type = (fields.type as ChannelType | undefined) ?? ChannelType.PrivateThread;
        const id = nextId();
        const now = new Date().toISOString();
        const thread = addChannel({
          id,
          type,
          guild_id: parent.guildId,
          parent_id: parent.payload.id,
          owner_id: bot.id,
          name: fields.name,
          last_message_id: null,
          rate_limit_per_user: fields.rate_limit_per_user ?? 0,
          flags: 0,
          message_count: 0,
          member_count: 1,
          total_message_sent: 0,
          thread_metadata: {
            archived: false,
            auto_archive_duration: fields.auto_archive_duration ?? 4320,
            archive_timestamp: now,
            locked: false,
            create_timestamp: now,
            ...(type === ChannelType.PrivateThread ? { invitable: fields.invitable ?? true } : {}),
          },
          member: { id, user_id: bot.id, join_timestamp: now, flags: 0 },
        });
        return { status: 201, body: thread.payload };
      },
    },
    {
      method: "PUT",
      pattern: /^\/channels\/(\d+)\/thread-members\/(\d+|@me)$/,
      isAuthed: true,
      handle: ({ params: [threadId] }) => {
        const thread = channels.get(threadId ?? "");
        if (!thread) return unknownChannel();
        if (thread.type !== ChannelType.PrivateThread && thread.type !== ChannelType.PublicThread) {
          return apiError(400, 50024, "Cannot execute action on this channel type");
        }
        thread.payload.member_count = Number(thread.payload.member_count ?? 1) + 1;
        return { status: 204 };
      },
    },
    {
      method: "GET",
      pattern: /^\/guilds\/(\d+)\/members$/,
      isAuthed: true,
      handle: ({ params: [guildId], query }) => {
        if (!settings.isInGuild || guildId !== DISCORD_IDS.guildId) {
          return apiError(404, 10004, "Unknown Guild");
        }
        // A privileged intent: Discord refuses the list without it.
        if (!settings.hasGuildMembersIntent) return missingAccess();
        // Discord's default page is one member; at most 1000.
        const limit = Number(query.get("limit") ?? 1);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
          return invalidForm({ limit: { _errors: [{ code: "NUMBER_TYPE_MAX" }] } });
        }
        const after = BigInt(query.get("after") ?? "0");
        const page = [...members.values()]
          .filter((member) => BigInt(member.user.id) > after)
          .sort((a, b) => (BigInt(a.user.id) < BigInt(b.user.id) ? -1 : 1))
          .slice(0, limit);
        return { status: 200, body: page };
      },
    },
    {
      method: "GET",
      pattern: /^\/guilds\/(\d+)\/roles$/,
      isAuthed: true,
      handle: ({ params: [guildId] }) =>
        settings.isInGuild && guildId === DISCORD_IDS.guildId
          ? { status: 200, body: guildRoles() }
          : apiError(404, 10004, "Unknown Guild"),
    },
    {
      method: "GET",
      pattern: /^\/guilds\/(\d+)\/roles\/(\d+)$/,
      isAuthed: true,
      handle: ({ params: [guildId, roleId] }) => {
        if (!settings.isInGuild || guildId !== DISCORD_IDS.guildId) {
          return apiError(404, 10004, "Unknown Guild");
        }
        const role = guildRoles().find((r) => r.id === roleId);
        return role ? { status: 200, body: role } : apiError(404, 10011, "Unknown Role");
      },
    },
    {
      method: "GET",
      pattern: /^\/guilds\/(\d+)\/members\/(\d+)$/,
      isAuthed: true,
      handle: ({ params: [guildId, userId] }) => {
        if (!settings.isInGuild || guildId !== DISCORD_IDS.guildId) {
          return apiError(404, 10004, "Unknown Guild");
        }
        const member = members.get(userId ?? "");
        return member ? { status: 200, body: member } : apiError(404, 10007, "Unknown Member");
      },
    },
    {
      method: "POST",
      pattern: /^\/interactions\/(\d+)\/([^/]+)\/callback$/,
      isAuthed: false,
      handle: respondToInteraction,
    },
    {
      method: "POST",
      pattern: /^\/webhooks\/(\d+)\/([^/]+)$/,
      isAuthed: false,
      handle: ({ params, body, query, files }) => {
        const state = webhookInteraction(params);
        if (!state) return unknownWebhook();
        const fields = asJson(body);
        if (isEmptyMessage(fields, files)) return emptyMessage();
        const message = createMessage(state.channelId, {
          ...messageFields(fields),
          ...fromInteraction(state),
        });
        return query.get("wait") === "true" ? { status: 200, body: message } : { status: 204 };
      },
    },
    {
      method: "GET",
      pattern: /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
      isAuthed: false,
      handle: ({ params }) => {
        const state = webhookInteraction(params);
        if (!state) return unknownWebhook();
        const message = webhookMessage(state, params[2]);
        return message ? { status: 200, body: message } : unknownMessage();
      },
    },
    {
      method: "PATCH",
      pattern: /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
      isAuthed: false,
      handle: ({ params, body }) => {
        const state = webhookInteraction(params);
        if (!state) return unknownWebhook();
        const message = webhookMessage(state, params[2]);
        if (!message) return unknownMessage();
        return { status: 200, body: editMessage(message, messageFields(asJson(body))) };
      },
    },
    {
      method: "DELETE",
      pattern: /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
      isAuthed: false,
      handle: ({ params }) => {
        const state = webhookInteraction(params);
        if (!state) return unknownWebhook();
        const message = webhookMessage(state, params[2]);
        if (!message) return unknownMessage();
        messages.delete(message.id);
        return { status: 204 };
      },
    },
    {
      method: "GET",
      pattern: /^\/applications\/(\d+)\/commands$/,
      isAuthed: true,
      handle: ({ params: [applicationId] }) =>
        checkApplication(applicationId) ?? { status: 200, body: commandsOf("global") },
    },
    {
      method: "PUT",
      pattern: /^\/applications\/(\d+)\/commands$/,
      isAuthed: true,
      handle: ({ params: [applicationId], body }) =>
        checkApplication(applicationId) ?? registerCommands("global", body),
    },
    {
      method: "GET",
      pattern: /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/,
      isAuthed: true,
      handle: ({ params: [applicationId, guildId] }) =>
        checkApplication(applicationId) ?? { status: 200, body: commandsOf(guildId ?? "") },
    },
    {
      method: "PUT",
      pattern: /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/,
      isAuthed: true,
      handle: ({ params: [applicationId, guildId], body }) =>
        checkApplication(applicationId) ?? registerCommands(guildId ?? "", body, guildId),
    },
  ];

  const scripted = (method: string, path: string): Answer | undefined => {
    const index = failures.findIndex((f) => f.method === method && f.pattern.test(path));
    if (index === -1) return undefined;
    const failure = failures.splice(index, 1)[0]?.failure ?? { status: 500 };
    if (failure.status !== 429) {
      const message = failure.message ?? STATUS_CODES[failure.status] ?? "Error";
      return apiError(failure.status, failure.code ?? 0, message);
    }
    const retryAfter = failure.retryAfterSeconds ?? 1;
    const isGlobal = failure.global ?? false;
    return {
      status: 429,
      headers: {
        "retry-after": String(retryAfter),
        "x-ratelimit-scope": isGlobal ? "global" : "user",
        ...(isGlobal ? { "x-ratelimit-global": "true" } : {}),
      },
      body: {
        message: "You are being rate limited.",
        retry_after: retryAfter,
        global: isGlobal,
        code: failure.code ?? 0,
      },
    };
  };

  const answer = (
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    files: string[],
    headers: IncomingHttpHeaders,
  ): Answer => {
    const failure = scripted(method, path);
    if (failure) return failure;
    const matching = routes.filter((route) => route.pattern.test(path));
    const route = matching.find((candidate) => candidate.method === method);
    if (!route) {
      return matching.length > 0
        ? apiError(405, 0, "405: Method Not Allowed")
        : apiError(404, 0, "404: Not Found");
    }
    if (route.isAuthed) {
      const token = /^Bot (.+)$/.exec(headers.authorization ?? "")?.[1];
      if (!token || (settings.token !== "" && token !== settings.token)) {
        return apiError(401, 0, "401: Unauthorized");
      }
    }
    const params = (route.pattern.exec(path) ?? []).slice(1);
    return route.handle({ params, body, query, files });
  };

  const record = (entry: FakeDiscordRequest): void => {
    requests.push(entry);
    for (const waiter of waiters) if (waiter.check()) waiters.delete(waiter);
  };

  const server = createServer((request, response) => {
    const receivedAtMs = Date.now();
    readRequestBody(request)
      .then(({ body, files, uploads }) => {
        const url = new URL(request.url ?? "/", "http://127.0.0.1");
        const method = (request.method ?? "GET").toUpperCase();
        // undici sends `@original` as `%40original`; match and record the decoded form.
        const pathname = url.pathname.split("/").map(decodeURIComponent).join("/");
        const isApi = pathname.startsWith("/api/v10/");
        const path = isApi ? pathname.slice("/api/v10".length) : pathname;
        const result = isApi
          ? answer(method, path, url.searchParams, body, files, request.headers)
          : apiError(404, 0, "404: Not Found");
        record({
          method,
          path,
          query: Object.fromEntries(url.searchParams),
          body,
          files,
          uploads,
          headers: request.headers,
          status: result.status,
          response: result.body,
          receivedAtMs,
        });
        if (result.status === 204 || result.body === undefined) {
          response.writeHead(result.status, result.headers);
          response.end();
          return;
        }
        response.writeHead(result.status, {
          "content-type": "application/json",
          ...result.headers,
        });
        response.end(JSON.stringify(result.body));
      })
      .catch((error: unknown) => {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ message: String(error), code: 0 }));
      });
  });

  const gateway = createFakeGateway({
    bot,
    token: settings.token,
    heartbeatIntervalMs: settings.heartbeatIntervalMs,
    isInGuild: settings.isInGuild,
    gatewayUrl: () => gatewayUrl,
  });
  server.on("upgrade", gateway.upgrade);

  // ---- test-facing helpers ----
  const registerDispatched = (eventName: string, data: unknown): void => {
    const payload = asJson(data);
    if (eventName === GatewayDispatchEvents.InteractionCreate) {
      const channel = asJson(payload.channel);
      const user = (payload.user ?? asJson(payload.member).user) as APIUser;
      const channelId = String(channel.id ?? payload.channel_id);
      if (!channels.has(channelId) && channel.type === ChannelType.DM) ensureDm(user, channelId);
      const message = payload.message as APIMessage | undefined;
      if (message && !messages.has(message.id)) messages.set(message.id, message);
      // A duplicate delivery is the same interaction: it keeps its response state.
      if (interactions.has(String(payload.token))) return;
      interactions.set(String(payload.token), {
        id: String(payload.id),
        token: String(payload.token),
        type: payload.type as InteractionType,
        channelId,
        guildId: typeof payload.guild_id === "string" ? payload.guild_id : undefined,
        user,
        componentMessageId: message?.id,
        responseType: undefined,
        originalMessageId: undefined,
      });
    } else if (eventName === GatewayDispatchEvents.MessageCreate) {
      const message = data as APIMessage & { guild_id?: string };
      if (!channels.has(message.channel_id) && message.guild_id === undefined) {
        ensureDm(message.author, message.channel_id);
      }
      messages.set(message.id, message);
    }
  };
  const dispatch = (eventName: string, data: unknown): number => {
    registerDispatched(eventName, data);
    return gateway.dispatch(eventName, data);
  };

  const buildInteraction = (init: FakeInteractionInit): FakeInteractionHandle => {
    const id = nextId();
    const token = Buffer.from(
      `interaction:${id}:${randomBytes(48).toString("base64url")}`,
    ).toString("base64url");
    const user = humanUser(init.userId ?? DISCORD_IDS.learnerId);
    const isDm = init.where === "dm";
    const channel = isDm
      ? ensureDm(user)
      : channels.get(init.channelId ?? DISCORD_IDS.textChannelId);
    if (!channel) throw new Error(`fake Discord: unknown channel ${String(init.channelId)}`);
    if (!isDm && !channel.guildId) {
      throw new Error("fake Discord: a guild interaction needs a guild channel");
    }
    const channelId = String(channel.payload.id);
    const guildId = channel.guildId;
    const data: Json = { ...init.data };
    const isCommand =
      init.type === InteractionType.ApplicationCommand ||
      init.type === InteractionType.ApplicationCommandAutocomplete;
    if (isCommand) {
      const command = findCommand(data.name, guildId);
      data.id ??= command?.id ?? DISCORD_IDS.tutorCommandId;
      data.type ??= ApplicationCommandType.ChatInput;
      if (typeof command?.guild_id === "string") data.guild_id ??= command.guild_id;
    }
    if (init.type === InteractionType.MessageComponent)
      data.component_type ??= ComponentType.Button;
    const hasMessage =
      init.type === InteractionType.MessageComponent ||
      (init.type === InteractionType.ModalSubmit && init.messageId !== undefined);
    let message: APIMessage | undefined;
    if (hasMessage) {
      message =
        (init.messageId ? messages.get(init.messageId) : undefined) ??
        [...messages.values()]
          .reverse()
          .find((m) => m.channel_id === channelId && hasCustomId(m.components, data.custom_id)) ??
        madeUpComponentMessage(channelId, data.custom_id);
    }
    const locale = init.locale ?? "en-US";
    const member = members.get(user.id) ?? guildMember(user);
    // A thread's permissions are its parent's.
    const permissionSource =
      typeof channel.payload.parent_id === "string"
        ? (channels.get(channel.payload.parent_id)?.payload ?? channel.payload)
        : channel.payload;
    const payload: Json = {
      id,
      application_id: DISCORD_IDS.applicationId,
      type: init.type,
      data,
      channel: isDm
        ? channel.payload
        : { ...channel.payload, permissions: memberPermissions(member, permissionSource) },
      channel_id: channelId,
      token,
      version: 1,
      app_permissions: BOT_PERMISSIONS,
      locale,
      entitlements: [],
      authorizing_integration_owners: guildId ? { "0": guildId } : { "0": "0" },
      context: isDm ? 1 : 0,
      attachment_size_limit: 10_485_760,
      ...(isDm
        ? { user }
        : {
            guild_id: guildId,
            guild: { id: guildId, locale: "en-US", features: [] },
            guild_locale: "en-US",
            // Discord computes what the member may do in this channel (owner and overwrites too).
            member: { ...member, permissions: memberPermissions(member, permissionSource) },
          }),
      ...(message ? { message } : {}),
    };
    dispatch(GatewayDispatchEvents.InteractionCreate, payload);
    return { id, token, payload };
  };

  const directMessage = (init: FakeDirectMessageInit): APIMessage => {
    const isOwnMessage = init.isBot === true && init.authorId === undefined;
    const author: APIUser = isOwnMessage
      ? bot
      : {
          ...humanUser(init.authorId ?? DISCORD_IDS.learnerId),
          ...(init.isBot ? { bot: true } : {}),
        };
    const channel = ensureDm(isOwnMessage ? humanUser(DISCORD_IDS.learnerId) : author);
    const message: APIMessage & { channel_type?: ChannelType } = {
      id: nextId(),
      channel_id: String(channel.payload.id),
      author,
      content: init.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      components: [],
      pinned: false,
      type: MessageType.Default,
      flags: NO_FLAGS,
      nonce: nextId(),
      ...(init.hasChannelType === false ? {} : { channel_type: ChannelType.DM }),
    };
    dispatch(GatewayDispatchEvents.MessageCreate, message);
    return message;
  };

  // Member events go to the gateway as Discord sends them: only with the Server Members intent.
  const joinGuild = (user: APIUser, roleIds: readonly string[] = []): void => {
    const member = guildMember(user, [...roleIds]);
    members.set(user.id, member);
    dispatch(GatewayDispatchEvents.GuildMemberAdd, { ...member, guild_id: DISCORD_IDS.guildId });
  };
  const setMemberRoles = (userId: string, roleIds: readonly string[]): void => {
    const member = members.get(userId);
    if (!member) throw new Error(`fake Discord: ${userId} is not a member`);
    const updated = { ...member, roles: [...roleIds] };
    members.set(userId, updated);
    dispatch(GatewayDispatchEvents.GuildMemberUpdate, {
      ...updated,
      guild_id: DISCORD_IDS.guildId,
    });
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const gatewayUrl = `ws://127.0.0.1:${port}/gateway`;

  const requestsTo = (method: string, pathPattern: RegExp): FakeDiscordRequest[] =>
    requests.filter((r) => r.method === method.toUpperCase() && pathPattern.test(r.path));

  return {
    restUrl: `http://127.0.0.1:${port}/api`,
    gatewayUrl,
    requests,
    requestsTo,
    waitForRequest: (method, pathPattern, { count = 1, timeoutMs = 30_000 } = {}) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = requests.map((r) => `${r.method} ${r.path} → ${r.status}`).join("\n  ");
          reject(
            new Error(
              `fake Discord: no ${count}× ${method} ${pathPattern} within ${timeoutMs} ms; saw:\n  ${seen}`,
            ),
          );
        }, timeoutMs);
        const waiter: Waiter = {
          check: () => {
            const matching = requestsTo(method, pathPattern);
            if (matching.length < count) return false;
            clearTimeout(timer);
            resolve(matching);
            return true;
          },
          fail: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        if (!waiter.check()) waiters.add(waiter);
      }),
    callbacks,
    gatewayConnections: gateway.connections,
    message: (id) => messages.get(id),
    messagesIn: (channelId) => [...messages.values()].filter((m) => m.channel_id === channelId),
    dmChannelOf: (userId) => dmByUser.get(userId),
    commands: (guildId) => commandsOf(guildId ?? "global"),
    dispatch,
    interaction: buildInteraction,
    directMessage,
    joinGuild,
    setMemberRoles,
    failNext: (method, pathPattern, failure, times = 1) => {
      for (let i = 0; i < times; i += 1) {
        failures.push({ method: method.toUpperCase(), pattern: pathPattern, failure });
      }
    },
    close: async () => {
      for (const waiter of waiters) waiter.fail(new Error("fake Discord closed"));
      waiters.clear();
      await gateway.close();
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
}

function applicationPayload(bot: APIUser, hasGuildMembersIntent: boolean): Json {
  return {
    id: DISCORD_IDS.applicationId,
    name: bot.username,
    icon: null,
    description: "An adaptive tutor",
    summary: "",
    type: null,
    bot_public: false,
    bot_require_code_grant: false,
    verify_key: "0".repeat(64),
    flags: hasGuildMembersIntent
      ? APPLICATION_FLAGS
      : APPLICATION_FLAGS & ~ApplicationFlags.GatewayGuildMembersLimited,
    owner: humanUser(DISCORD_IDS.teacherId),
    team: null,
    bot,
    approximate_guild_count: 1,
    integration_types_config: { "0": {} },
    redirect_uris: [],
    interactions_endpoint_url: null,
    tags: [],
  };
}

/** The request body: JSON, or multipart with `payload_json` and file parts, as discord.js sends. */
async function readRequestBody(
  request: IncomingMessage,
): Promise<{ body: unknown; files: string[]; uploads: FakeUpload[] }> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  if (raw.length === 0) return { body: undefined, files: [], uploads: [] };
  const contentType = request.headers["content-type"] ?? "";
  if (contentType.startsWith("multipart/form-data")) {
    const form = await new Response(raw, { headers: { "content-type": contentType } }).formData();
    const payload = form.get("payload_json");
    const uploads: FakeUpload[] = [];
    for (const [field, value] of form.entries()) {
      if (field === "payload_json" || typeof value === "string") continue;
      uploads.push({
        field,
        filename: value.name,
        contentType: value.type,
        data: Buffer.from(await value.arrayBuffer()),
      });
    }
    const files = [...form.keys()].filter((key) => key !== "payload_json");
    return { body: typeof payload === "string" ? JSON.parse(payload) : undefined, files, uploads };
  }
  return { body: JSON.parse(raw.toString("utf8")), files: [], uploads: [] };
}
