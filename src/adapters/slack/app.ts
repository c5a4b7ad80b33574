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
import type { Metrics } from "../../metrics.ts";
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
import {
  closedQuestionBlocks,
  homeView,
  parseActionValue,
  renderReply,
  toMrkdwn,
} from "./blocks.ts";

type WebClient = webApi.WebClient;

/** The OAuth scopes Socra asks for (slack/manifest.yaml lists the same, with reasons). */
export const SLACK_SCOPES = [
  "app_mentions:read",
  "chat:write",
  "commands",
  "im:history",
  "im:write",
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
   * A slash command in a DM: it may be someone else's DM, where the bot cannot post; then the
   * command's response_url answers instead.
   */
  readonly respondIfUnreachable?: (message: {
    text: string;
    blocks: unknown[];
  }) => Promise<unknown>;
}

const MENTION = /<@[A-Z0-9]+(?:\|[^>]*)?>/g;
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
      if (stream) {
        streams.delete(reply.streamId as string);
        await finishStream(to, stream, reply);
      } else await post(to, reply);
    }
    // Streams no reply claimed (the LLM failed after some text): take the partial text away.
    for (const stream of streams.values()) await discardStream(to, stream);
  }

  async function post(to: Destination, reply: Reply): Promise<string | undefined> {
    const message = renderReply(reply);
    if (to.respond) {
      await to.respond({ ...message });
      return undefined;
    }
    if (to.isShared && reply.kind === "hint") {
      await to.client.chat.postEphemeral({
        channel: to.channel,
        user: to.user,
        text: message.text,
        blocks: message.blocks as never,
        ...(to.threadTs ? { thread_ts: to.threadTs } : {}),
      });
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

  app.event("app_home_opened", async ({ event, client, context }) => {
    if (event.tab !== "home") return;
    const tenant = tenantOf(context);
    if (tenant) await publishHome(client, tenant, event.user);
  });

  // /tutor SUBCOMMAND … and the /hint shortcut. Acknowledged first; the turn runs after.
  app.command(/^\/(tutor|hint)$/, async ({ command, ack, client, context, respond }) => {
    await ack();
    const [head = "", ...rest] = command.text.trim().split(/\s+/);
    const isHint = command.command === "/hint";
    const name = isHint ? "hint" : head === "" ? "start" : head.toLowerCase();
    const args = isHint ? command.text.trim() : rest.join(" ");
    const tenant = tenantOf(context);
    if (!tenant) return;
    const isDm = command.channel_id.startsWith("D");
    const inbound: Inbound = {
      tenant,
      platform: "slack",
      learner: command.user_id,
      command: { name, args },
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
      ...(isDm ? { respondIfUnreachable: ephemeral } : { respond: ephemeral }),
    });
  });

  // Buttons on a question: a choice, Hint, Explain, Skip.
  app.action(
    /^(answer|hint|explain|skip)(:.*)?$/,
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
      const replies = await turn(
        { tenant, platform: "slack", learner: body.user.id, action: parsed },
        {
          client,
          channel,
          user: body.user.id,
          team: tenant,
          isShared: !isDm,
          ...(threadTs ? { threadTs } : {}),
          // Outside the DM a button press is answered only to the one who pressed it.
          ...(isEphemeral || !isDm
            ? {
                respond: (message) =>
                  respond({
                    response_type: "ephemeral",
                    replace_original: false,
                    text: message.text,
                    blocks: message.blocks as never,
                  }),
              }
            : {}),
        },
      );
      // A question this press finished (answered or skipped) loses its buttons; a stale press,
      // such as someone else's on a learner's question, changes nothing.
      const outcome = questionOutcome(replies, parsed.itemId, parsed.id);
      const original = body.message;
      if (outcome && original?.ts) {
        const blocks = closedQuestionBlocks((original.blocks ?? []) as never[], outcome);
        const label = original.text ?? "Question";
        try {
          if (isEphemeral)
            await respond({ replace_original: true, text: label, blocks: blocks as never });
          else
            await client.chat.update({
              channel,
              ts: original.ts,
              text: label,
              blocks: blocks as never,
            });
        } catch (error) {
          log.warn({ err: error }, "could not close the answered question");
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
