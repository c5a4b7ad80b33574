import {
  App,
  type CustomRoute,
  HTTPReceiver,
  type InstallationStore,
  LogLevel,
  type Logger as SlackLogger,
  SocketModeReceiver,
  type webApi,
} from "@slack/bolt";
import type { SlackConfig } from "../../config.ts";
import { SocraError } from "../../engine/index.ts";
import type { Metrics } from "../../metrics.ts";
import {
  type Attachment,
  type HandleOptions,
  type Inbound,
  type Logger,
  questionOutcome,
  type Reply,
  SORRY_MESSAGE,
  type StreamEvent,
  TEACHER_COMMANDS,
  type Tutor,
} from "../../tutor/index.ts";
import {
  closedBlocks,
  closedQuestionLine,
  escapeMrkdwn,
  filesNote,
  homeView,
  parseActionValue,
  renderReply,
  type SlackMessage,
  splitCommandText,
  toMrkdwn,
  unescapeCommandText,
  withNote,
} from "./blocks.ts";
import { createSlackClassroom, type SlackClassroom, type WorkspaceApi } from "./classroom.ts";

type WebClient = webApi.WebClient;

/** The OAuth scopes Socra asks for (slack/manifest.yaml lists the same, with reasons). */
export const SLACK_SCOPES = [
  "app_mentions:read",
  "channels:read",
  "chat:write",
  "commands",
  "files:write",
  "groups:read",
  "im:history",
  "im:write",
  "usergroups:read",
  "users:read",
] as const;

export interface SlackAdapterOptions {
  readonly tutor: Tutor;
  readonly config: SlackConfig;
  /** HTTP mode: Slack's requests at /slack/events; Socket Mode: /healthz and /metrics only. */
  readonly port: number;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Multi-workspace installs (OAuth); a single bot token needs none. */
  readonly installationStore?: InstallationStore;
  /** Extra routes on the same port: /healthz and /metrics. */
  readonly routes?: readonly CustomRoute[];
  /** Whether the tutor has an LLM (streaming and the thinking status are used only then). */
  readonly hasLlm?: boolean;
}

/** Slack, running: Bolt with the tutor behind it. */
export interface SlackAdapter {
  readonly app: App;
  /** Teachers' side of Slack (attached to the tutor as the "slack" platform). */
  readonly classroom: SlackClassroom;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Whether Slack can reach us (Socket Mode: the socket is open; HTTP: the server listens). */
  isConnected(): boolean;
}

/** Where a turn's replies go. */
interface Destination {
  readonly client: WebClient;
  readonly channel: string;
  readonly user: string;
  readonly team: string;
  /** Replies go into this thread (mentions in channels). */
  readonly threadTs?: string;
  /** A shared channel: hints are shown only to the learner. */
  readonly isShared: boolean;
  /** Slash commands outside a DM answer through the command's response_url, ephemerally. */
  readonly respond?: (message: { text: string; blocks: unknown[] }) => Promise<unknown>;
  /**
   * Private replies (`isPrivate`) to a command or a button press in a DM: its response_url,
   * ephemerally. Without one they go by chat.postEphemeral.
   */
  readonly respondPrivately?: (message: { text: string; blocks: unknown[] }) => Promise<unknown>;
  /**
   * A slash command in a DM: it may be someone else's DM, where the bot cannot post; then the
   * command's response_url answers instead.
   */
  readonly respondIfUnreachable?: (message: {
    text: string;
    blocks: unknown[];
  }) => Promise<unknown>;
}

const MENTION = /<@[A-Z0-9]+(?:\|[^>]*)?>/g;
const TEACHER_COMMAND_NAMES = new Set<string>(TEACHER_COMMANDS);
/** The line that replaces a pressed Start button. */
const STARTED = "▶ Started";
const MOVED_TO_DM =
  "Let's practise in our direct messages: I've sent you the first question there.";
/** Post-then-update streaming: at most one edit per this many milliseconds. */
const EDIT_INTERVAL_MS = 1000;

/**
 * The Slack adapter: verifies and parses Slack's events, commands and button presses into
 * `Inbound`s (acknowledging each at once; the turn runs after the ack), and renders the tutor's
 * replies as Block Kit messages. DMs are tutoring sessions, mentions answer in a thread, hints in
 * shared channels are ephemeral, and the App Home tab shows progress.
 */
export function createSlackAdapter(options: SlackAdapterOptions): SlackAdapter {
  const { tutor, config, logger } = options;
  const log = logger.child({ platform: "slack" });
  const routes = [...(options.routes ?? [])];
  const oauth = config.oauth
    ? {
        clientId: config.oauth.clientId,
        clientSecret: config.oauth.clientSecret,
        stateSecret: config.oauth.stateSecret,
        scopes: [...SLACK_SCOPES],
        ...(options.installationStore ? { installationStore: options.installationStore } : {}),
      }
    : {};
  const receiver = config.appToken
    ? new SocketModeReceiver({
        appToken: config.appToken,
        logger: boltLogger(log),
        customRoutes: routes,
        installerOptions: { port: options.port },
        ...oauth,
      })
    : new HTTPReceiver({
        signingSecret: config.signingSecret ?? "",
        endpoints: "/slack/events",
        port: options.port,
        customRoutes: routes,
        logger: boltLogger(log),
        ...oauth,
        ...(config.oauth
          ? { installerOptions: { directInstall: true, stateVerification: true } }
          : {}),
      });
  const app = new App({
    receiver,
    logger: boltLogger(log),
    ...(config.oauth ? {} : { token: config.botToken }),
    ...(config.oauth && options.installationStore
      ? { installationStore: options.installationStore }
      : {}),
    ...(config.apiUrl ? { clientOptions: { slackApiUrl: config.apiUrl } } : {}),
  });
  let isStarted = false;
  let isSocketOpen = false;
  if (receiver instanceof SocketModeReceiver) {
    receiver.client.on("connected", () => {
      isSocketOpen = true;
    });
    // The client reports a drop as "reconnecting"; "disconnected" only when it gives up.
    for (const event of ["disconnected", "reconnecting", "close"])
      receiver.client.on(event, () => {
        isSocketOpen = false;
      });
  }

  /**
   * The Web API for a tenant outside any request (notices, channel members): the single bot
   * token, or the tenant's installation through Bolt's own authorize (the installation store).
   */
  async function apiFor(tenant: string): Promise<WorkspaceApi> {
    if (!config.oauth) return { client: app.client };
    const installer = receiver.installer;
    if (!installer)
      throw new SocraError("no_installation", "Slack OAuth is configured without an installer");
    // Team ids start with T, Enterprise Grid org ids with E (org-wide installs).
    const auth = await installer.authorize(
      tenant.startsWith("E")
        ? { isEnterpriseInstall: true, enterpriseId: tenant, teamId: undefined }
        : { isEnterpriseInstall: false, teamId: tenant, enterpriseId: undefined },
    );
    if (!auth.botToken)
      throw new SocraError("no_installation", "Socra's installation has no bot token here");
    return {
      client: app.client,
      token: auth.botToken,
      ...(auth.botUserId ? { botUserId: auth.botUserId } : {}),
    };
  }

  const classroom = createSlackClassroom({ config, apiFor, logger: log });
  tutor.attachPlatform("slack", classroom);
  /** Who sent an inbound, asked lazily: only teacher commands ask. */
  const senderOf = (tenant: string, user: string) => () => classroom.senderOf(tenant, user);

  /** The workspace (or Grid org); requests without one are dropped, never pooled together. */
  const tenantOf = (context: {
    isEnterpriseInstall?: boolean;
    enterpriseId?: string;
    teamId?: string;
  }) => (context.isEnterpriseInstall ? context.enterpriseId : context.teamId);

  /** Runs one turn and delivers its replies; never throws. */
  async function turn(inbound: Inbound, to: Destination): Promise<Reply[]> {
    const streams = new Map<string, Stream>();
    const handleOptions: HandleOptions = options.hasLlm
      ? { onStream: (event) => void streamTo(to, streams, event).catch(() => {}) }
      : {};
    try {
      if (options.hasLlm && to.threadTs) void setThinking(to);
      const replies = await tutor.handle(inbound, handleOptions);
      await deliver(replies, to, streams);
      return replies;
    } catch (error) {
      log.error({ err: error, tenant: inbound.tenant }, "could not deliver a turn's replies");
      options.metrics?.platformError("slack", "deliver");
      await post(to, { kind: "error", text: SORRY_MESSAGE }).catch(() => {});
      return [];
    }
  }

  async function deliver(
    replies: readonly Reply[],
    to: Destination,
    streams: Map<string, Stream>,
  ): Promise<void> {
    for (const reply of replies) {
      const stream = reply.streamId === undefined ? undefined : streams.get(reply.streamId);
      // Private replies and files never stream: what was shown in public goes, the reply follows.
      if (stream && !reply.isPrivate && !reply.attachments?.length) {
        streams.delete(reply.streamId as string);
        await finishStream(to, stream, reply);
      } else await post(to, reply);
    }
    // Streams no reply claimed (the LLM failed after some text): take the partial text away.
    for (const stream of streams.values()) await discardStream(to, stream);
  }

  async function post(to: Destination, reply: Reply): Promise<string | undefined> {
    const note = reply.attachments?.length ? await sendFiles(to, reply.attachments) : undefined;
    const message = withNote(renderReply(reply), note);
    if (to.respond) {
      await to.respond({ ...message });
      return undefined;
    }
    if (reply.isPrivate) {
      await postPrivately(to, message);
      return undefined;
    }
    if (to.isShared && reply.kind === "hint") {
      await postEphemeral(to, message);
      return undefined;
    }
    try {
      const result = await to.client.chat.postMessage({
        channel: to.channel,
        text: message.text,
        blocks: message.blocks as never,
        ...(to.threadTs ? { thread_ts: to.threadTs } : {}),
      });
      return result.ts;
    } catch (error) {
      if (!to.respondIfUnreachable || !isUnreachable(error)) throw error;
      await to.respondIfUnreachable({ ...message });
      return undefined;
    }
  }

  /** chat.postEphemeral to the requester where they are (in the thread, if any). */
  async function postEphemeral(to: Destination, message: SlackMessage): Promise<void> {
    await to.client.chat.postEphemeral({
      channel: to.channel,
      user: to.user,
      text: message.text,
      blocks: message.blocks as never,
      ...(to.threadTs ? { thread_ts: to.threadTs } : {}),
    });
  }

  /**
   * A reply only its requester sees: the response_url of their command or button press, else
   * chat.postEphemeral where they are (in the DM too); if Slack refuses that, the DM with the bot,
   * which is private anyway. Never a public message.
   */
  async function postPrivately(to: Destination, message: SlackMessage): Promise<void> {
    if (to.respondPrivately) {
      await to.respondPrivately({ ...message });
      return;
    }
    try {
      await postEphemeral(to, message);
    } catch (error) {
      log.warn({ err: error }, "could not post an ephemeral reply; sending it to the DM");
      options.metrics?.platformError("slack", "chat.postEphemeral");
      const channel = await classroom.dmOf(to.team, to.user);
      await to.client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks as never,
      });
    }
  }

  /**
   * Uploads a reply's files (files.uploadV2: getUploadURLExternal → upload →
   * completeUploadExternal) to the requester's DM with the bot: a file cannot be ephemeral, so it
   * never goes to a channel. Returns a note for the reply: where the files went (when that is not
   * where the requester is), or that they could not be sent.
   */
  async function sendFiles(
    to: Destination,
    attachments: readonly Attachment[],
  ): Promise<string | undefined> {
    const titles = attachments.map((a) => a.title);
    try {
      const channel = await classroom.dmOf(to.team, to.user);
      await to.client.filesUploadV2({
        channel_id: channel,
        file_uploads: attachments.map((attachment) => ({
          file: Buffer.from(attachment.data),
          filename: attachment.name,
          title: attachment.title,
          ...(attachment.mimeType.startsWith("image/") ? { alt_text: attachment.title } : {}),
        })),
      });
      return channel === to.channel ? undefined : filesNote(titles, true);
    } catch (error) {
      log.warn({ err: error }, "could not upload a reply's files");
      options.metrics?.platformError("slack", "files.uploadV2");
      return filesNote(titles, false);
    }
  }

  /** Shows "is thinking…" in the thread while the LLM works (assistant threads; best effort). */
  async function setThinking(to: Destination): Promise<void> {
    try {
      await to.client.assistant.threads.setStatus({
        channel_id: to.channel,
        thread_ts: to.threadTs as string,
        status: "is thinking…",
      });
    } catch (error) {
      log.debug({ err: error }, "no thinking status in this thread");
    }
  }

  /** LLM text as it grows: Slack's chat streaming in threads; post-then-update elsewhere. */
  async function streamTo(
    to: Destination,
    streams: Map<string, Stream>,
    event: StreamEvent,
  ): Promise<void> {
    if (to.respond || (to.isShared && event.kind === "hint")) return; // ephemeral: sent whole at the end
    let stream = streams.get(event.streamId);
    if (!stream) {
      stream = { shown: "", work: Promise.resolve(), lastEditAt: 0, hasFailed: false };
      streams.set(event.streamId, stream);
    }
    const current = stream;
    current.work = current.work.then(async () => {
      if (current.hasFailed) return;
      try {
        if (to.threadTs) {
          current.streamer ??= to.client.chatStream({
            channel: to.channel,
            thread_ts: to.threadTs,
            recipient_team_id: to.team,
            recipient_user_id: to.user,
          });
          if (!event.text.startsWith(current.shown)) return; // regenerated: the final reply replaces it
          await current.streamer.append({ markdown_text: event.text.slice(current.shown.length) });
          current.shown = event.text;
          return;
        }
        const now = Date.now();
        const text = toMrkdwn(event.text);
        if (current.ts === undefined) {
          const result = await to.client.chat.postMessage({ channel: to.channel, text });
          current.ts = result.ts;
        } else if (now - current.lastEditAt >= EDIT_INTERVAL_MS) {
          await to.client.chat.update({ channel: to.channel, ts: current.ts, text });
        } else return;
        current.lastEditAt = now;
        current.shown = event.text;
      } catch (error) {
        // Streaming unavailable (or refused): the final reply is posted whole instead.
        current.hasFailed = true;
        log.debug({ err: error }, "streaming unavailable; posting the reply whole");
      }
    });
    await current.work;
  }

  async function finishStream(to: Destination, stream: Stream, reply: Reply): Promise<void> {
    await stream.work;
    const message = renderReply(reply);
    try {
      if (stream.streamer && !stream.hasFailed) {
        if (reply.text.startsWith(stream.shown)) {
          const rest = reply.text.slice(stream.shown.length);
          if (rest) await stream.streamer.append({ markdown_text: rest });
          await stream.streamer.stop();
          return;
        }
        await stream.streamer.stop();
      }
      const ts = stream.streamer?.ts ?? stream.ts;
      if (ts) {
        await to.client.chat.update({
          channel: to.channel,
          ts,
          text: message.text,
          blocks: message.blocks as never,
        });
        return;
      }
    } catch (error) {
      log.debug({ err: error }, "could not finish the stream; posting the reply whole");
    }
    await post(to, reply);
  }

  async function discardStream(to: Destination, stream: Stream): Promise<void> {
    await stream.work;
    try {
      if (stream.streamer && !stream.hasFailed) await stream.streamer.stop();
      const ts = stream.streamer?.ts ?? stream.ts;
      if (ts) await to.client.chat.delete({ channel: to.channel, ts });
    } catch (error) {
      log.warn({ err: error }, "could not remove a partly streamed message");
    }
  }

  async function publishHome(client: WebClient, tenant: string, user: string): Promise<void> {
    const progress = await tutor.progress({ tenant, learner: user });
    if (!progress) return; // unreadable now: keep what the tab shows
    try {
      await client.views.publish({ user_id: user, view: homeView(progress) as never });
    } catch (error) {
      log.warn({ err: error }, "could not publish the App Home");
      options.metrics?.platformError("slack", "views.publish");
    }
  }

  const changesProgress = (replies: readonly Reply[]) => replies.some((r) => r.kind === "feedback");

  // DMs: the tutoring session. Other bots' messages and edits are ignored (Bolt ignores our own).
  app.event("message", async ({ event, body, client, context }) => {
    if (event.channel_type !== "im" || event.subtype !== undefined || "bot_id" in event) return;
    const tenant = tenantOf(context);
    if (!tenant) return;
    const replies = await turn(
      {
        tenant,
        platform: "slack",
        learner: event.user,
        eventId: body.event_id,
        text: event.text ?? "",
        sender: senderOf(tenant, event.user),
      },
      { client, channel: event.channel, user: event.user, team: tenant, isShared: false },
    );
    if (changesProgress(replies)) void publishHome(client, tenant, event.user);
  });

  // A mention in a channel: answered in a thread.
  app.event("app_mention", async ({ event, body, client, context }) => {
    if (event.bot_id !== undefined || event.user === undefined) return;
    const tenant = tenantOf(context);
    if (!tenant) return;
    await turn(
      {
        tenant,
        platform: "slack",
        learner: event.user,
        eventId: body.event_id,
        text: event.text.replace(MENTION, " ").trim(),
        sender: senderOf(tenant, event.user),
      },
      {
        client,
        channel: event.channel,
        user: event.user,
        team: tenant,
        threadTs: event.thread_ts ?? event.ts,
        isShared: true,
      },
    );
  });

  // Someone joined a channel or user group a teacher assigned practice to: they get it now
  // (the tutor checks every assignment's members every 15 minutes anyway). Slack sends
  // member_joined_channel only for channels the app is in.
  app.event("member_joined_channel", async ({ event, context }) => {
    const tenant = tenantOf(context);
    if (tenant) await tutor.membersChanged(tenant, "slack", { kind: "channel", id: event.channel });
  });
  app.event("subteam_members_changed", async ({ event, context }) => {
    const tenant = tenantOf(context);
    if (tenant && (event.added_users_count ?? event.added_users?.length ?? 0) > 0)
      await tutor.membersChanged(tenant, "slack", { kind: "group", id: event.subteam_id });
  });

  app.event("app_home_opened", async ({ event, client, context }) => {
    if (event.tab !== "home") return;
    const tenant = tenantOf(context);
    if (tenant) await publishHome(client, tenant, event.user);
  });

  // /tutor SUBCOMMAND … and the /hint shortcut. Acknowledged first; the turn runs after.
  app.command(/^\/(tutor|hint)$/, async ({ command, ack, client, context, respond }) => {
    await ack();
    const isHint = command.command === "/hint";
    const { head, rest } = splitCommandText(command.text);
    const name = isHint ? "hint" : head === "" ? "start" : head.toLowerCase();
    // Teacher commands read Slack's escaped mentions (<@U…|name>) themselves; the others get
    // the text as it was typed.
    const args = isHint
      ? unescapeCommandText(command.text.trim())
      : TEACHER_COMMAND_NAMES.has(name)
        ? rest
        : unescapeCommandText(rest);
    const tenant = tenantOf(context);
    if (!tenant) return;
    const isDm = command.channel_id.startsWith("D");
    const inbound: Inbound = {
      tenant,
      platform: "slack",
      learner: command.user_id,
      command: { name, args },
      sender: senderOf(tenant, command.user_id),
    };
    // Practice started from a channel moves to the learner's DM with the bot: the session lives there.
    if (!isDm && name === "start") {
      try {
        const opened = await client.conversations.open({ users: command.user_id });
        const channel = opened.channel?.id;
        if (channel) {
          await respond({ response_type: "ephemeral", text: MOVED_TO_DM });
          await turn(inbound, {
            client,
            channel,
            user: command.user_id,
            team: tenant,
            isShared: false,
          });
          return;
        }
      } catch (error) {
        log.warn({ err: error }, "could not open a DM; answering in the channel");
        options.metrics?.platformError("slack", "conversations.open");
      }
    }
    const ephemeral = (message: { text: string; blocks: unknown[] }) =>
      respond({ response_type: "ephemeral", text: message.text, blocks: message.blocks as never });
    await turn(inbound, {
      client,
      channel: command.channel_id,
      user: command.user_id,
      team: tenant,
      isShared: !isDm,
      ...(isDm
        ? { respondIfUnreachable: ephemeral, respondPrivately: ephemeral }
        : { respond: ephemeral }),
    });
  });

  // Buttons: on a question (a choice, Hint, Explain, Skip), Start on an assignment's notice, and
  // the two buttons confirming /tutor forget-me.
  app.action(
    /^(answer|hint|explain|skip|start|forget-confirm|forget-cancel)(:.*)?$/,
    async ({ action, body, ack, client, context, respond }) => {
      await ack();
      if (body.type !== "block_actions" || !("action_id" in action) || action.type !== "button")
        return;
      const parsed = parseActionValue(action.action_id, action.value ?? "");
      if (!parsed) return;
      const tenant = tenantOf(context);
      if (!tenant) return;
      const channel = body.container?.channel_id ?? body.channel?.id ?? "";
      const isEphemeral = body.container?.is_ephemeral === true;
      const isDm = channel.startsWith("D");
      const threadTs = body.message?.thread_ts;
      const ephemeral = (message: { text: string; blocks: unknown[] }) =>
        respond({
          response_type: "ephemeral",
          replace_original: false,
          text: message.text,
          blocks: message.blocks as never,
        });
      const replies = await turn(
        {
          tenant,
          platform: "slack",
          learner: body.user.id,
          action: parsed,
          sender: senderOf(tenant, body.user.id),
        },
        {
          client,
          channel,
          user: body.user.id,
          team: tenant,
          isShared: !isDm,
          ...(threadTs ? { threadTs } : {}),
          // Outside the DM a button press is answered only to the one who pressed it.
          ...(isEphemeral || !isDm ? { respond: ephemeral } : { respondPrivately: ephemeral }),
        },
      );
      const line = closingLine(parsed, replies, action.text.text);
      const original = body.message;
      // Slack leaves an ephemeral message out of the payload: a confirmation there is replaced by
      // the line alone (a question needs its text, so it stays as it is).
      const isClosable =
        original?.ts !== undefined || (isEphemeral && parsed.id.startsWith("forget-"));
      if (line !== undefined && isClosable) {
        const blocks = closedBlocks((original?.blocks ?? []) as never[], line);
        const label = original?.text ?? line;
        try {
          if (isEphemeral)
            await respond({ replace_original: true, text: label, blocks: blocks as never });
          else
            await client.chat.update({
              channel,
              ts: original?.ts as string,
              text: label,
              blocks: blocks as never,
            });
        } catch (error) {
          log.warn({ err: error }, "could not take a pressed message's buttons away");
          options.metrics?.platformError("slack", "chat.update");
        }
      }
      if (changesProgress(replies)) void publishHome(client, tenant, body.user.id);
    },
  );

  app.error(async (error) => {
    log.error({ err: error }, "Slack handler failed");
    options.metrics?.platformError("slack", "handler");
  });

  return {
    app,
    classroom,
    async start() {
      await app.start(options.port);
      isStarted = true;
      log.info(
        { mode: config.appToken ? "socket" : "http", port: options.port },
        "Slack adapter started",
      );
    },
    async stop() {
      isStarted = false;
      await app.stop();
    },
    isConnected() {
      if (!isStarted) return false;
      return receiver instanceof SocketModeReceiver ? isSocketOpen : true;
    },
  };
}

/**
 * The line that replaces a pressed message's buttons, or undefined to leave them: a question
 * closes once this press finished it (a stale press, such as someone else's on a learner's
 * question, changes nothing); Start and the confirm buttons close once the tutor answered the
 * press with anything but an error (after an error they stay, to be pressed again).
 */
function closingLine(
  action: NonNullable<Inbound["action"]>,
  replies: readonly Reply[],
  pressedLabel: string,
): string | undefined {
  switch (action.id) {
    case "start":
    case "forget-confirm":
    case "forget-cancel": {
      if (!replies.some((reply) => reply.kind !== "error")) return undefined;
      return action.id === "start" ? STARTED : `You chose: *${escapeMrkdwn(pressedLabel)}*`;
    }
    default: {
      const outcome = questionOutcome(replies, action.itemId, action.id);
      return outcome === undefined ? undefined : closedQuestionLine(outcome);
    }
  }
}

/** A Web API error saying the bot cannot post in that conversation. */
function isUnreachable(error: unknown): boolean {
  const code = (error as { data?: { error?: unknown } }).data?.error;
  return code === "channel_not_found" || code === "not_in_channel";
}

interface Stream {
  shown: string;
  work: Promise<void>;
  lastEditAt: number;
  hasFailed: boolean;
  ts?: string | undefined;
  streamer?: ReturnType<WebClient["chatStream"]>;
}

/** Bolt's logger interface over ours: Bolt's own messages go to the log, never to learners. */
function boltLogger(log: Logger): SlackLogger {
  let level = LogLevel.INFO;
  const write =
    (method: "debug" | "info" | "warn" | "error") =>
    (...messages: unknown[]) =>
      log[method](
        { source: "bolt" },
        messages.map((m) => (m instanceof Error ? m.message : String(m))).join(" "),
      );
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
