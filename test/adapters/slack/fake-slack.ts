import { createServer, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { SLACK_IDS } from "./signing.ts";

/** One request the fake received: a Web API method call or a `response_url` post. */
export interface SlackApiCall {
  /**
   * The Web API method from the path (`chat.postMessage`), `response_url`, or `upload` (bytes
   * posted to an upload URL; its body is `{ file_id, bytes }`, the byte count).
   */
  method: string;
  /** The request's path (`/api/chat.postMessage`, `/response_url/cmd-1`, `/upload/F00000001`). */
  path: string;
  /** Parsed arguments; form values stay strings, JSON-encoded fields are decoded. */
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  /** The token from `Authorization: Bearer …` or the `token` argument. */
  token: string | undefined;
  /** The HTTP status the fake answered with. */
  status: number;
  /** The JSON the fake answered with (`ok: false` for scripted and validation errors). */
  response: Record<string, unknown>;
}

/**
 * A workspace member as users.info describes them. Unlisted `U…`/`W…` ids are ordinary members
 * (not admins, time zone Europe/Berlin); list one as `null` to make users.info answer
 * `user_not_found`.
 */
export interface FakeSlackUser {
  displayName?: string;
  realName?: string;
  /** IANA time zone; absent: users.info sends no `tz`. Default Europe/Berlin. */
  tz?: string | null;
  isAdmin?: boolean;
  isOwner?: boolean;
  isPrimaryOwner?: boolean;
  isBot?: boolean;
  /** A deactivated account. */
  isDeleted?: boolean;
  /** The user's home workspace (another one for a Slack Connect guest); default the fake's. */
  teamId?: string;
}

/** A file uploaded through files.getUploadURLExternal and the upload URL. */
export interface FakeSlackFile {
  id: string;
  filename: string;
  /** The `length` announced to files.getUploadURLExternal. */
  length: number;
  altText: string | undefined;
  /** The bytes posted to the upload URL (undefined until they arrive). */
  bytes: Uint8Array | undefined;
  /** Set by files.completeUploadExternal. */
  title: string | undefined;
  channelId: string | undefined;
  isCompleted: boolean;
}

/** A scripted failure: an HTTP status (429 gets `Retry-After`), or an `ok: false` answer. */
export type FakeSlackFailure = { status: number; retryAfterSeconds?: number } | { error: string };

export interface FakeSlackOptions {
  teamId?: string;
  /**
   * When true, `chat.update` and the stream methods answer `message_not_found` for a `ts` the
   * fake never issued. Off by default so recorded payloads can be replayed as they are.
   */
  strictMessages?: boolean;
  /** DM channel id per user id for `conversations.open`; unknown users get `D` + their id. */
  dmChannels?: Readonly<Record<string, string>>;
  /** users.info answers for these ids (null: `user_not_found`); see {@link FakeSlackUser}. */
  users?: Readonly<Record<string, FakeSlackUser | null>>;
  /** usergroups.users.list: members per user group id; others answer `no_such_subteam`. */
  usergroups?: Readonly<Record<string, readonly string[]>>;
  /** conversations.members: members per channel id; others answer `channel_not_found`. */
  channels?: Readonly<Record<string, readonly string[]>>;
  /** The most conversations.members returns per page, whatever `limit` asks (Slack: 1000). */
  maxMembersPerPage?: number;
}

export interface FakeSlack {
  /** Base URL for WebClient's `slackApiUrl`; ends with `/api/`. */
  url: string;
  /** Every call in arrival order, failures included. */
  calls: SlackApiCall[];
  /** The calls of one method, in order. */
  callsTo(method: string): SlackApiCall[];
  /** Makes the next `times` calls of `method` fail as scripted (queued after earlier scripts). */
  failNext(method: string, failure: FakeSlackFailure, times?: number): void;
  /** A `response_url` served by the fake; posts to it are recorded as method `response_url`. */
  responseUrl(id?: string): string;
  /** The posts to `responseUrl(id)`, in order. */
  responsesTo(id: string): SlackApiCall[];
  /** Files uploaded so far, in the order their upload URLs were issued. */
  files: FakeSlackFile[];
  close(): Promise<void>;
}

/** Fields WebClient sends JSON-encoded inside form bodies. */
const JSON_FIELDS = ["blocks", "attachments", "view", "chunks", "metadata", "files"] as const;

type Answer = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };
type Handler = (args: Record<string, unknown>) => Record<string, unknown>;

/** An upload URL's path: the bytes of file `id` are posted there. */
const UPLOAD_PATH = "/upload/";

interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  isStreaming: boolean;
  threadTs: string | undefined;
}

/**
 * Starts a local stand-in for Slack's Web API on 127.0.0.1 (a random port). It records every
 * call and answers like Slack for the methods the tutor uses; others get `unknown_method`.
 */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const teamId = options.teamId ?? SLACK_IDS.teamId;
  const calls: SlackApiCall[] = [];
  const files: FakeSlackFile[] = [];
  let origin = "";
  const failures = new Map<string, FakeSlackFailure[]>();
  const messages = new Map<string, StoredMessage>();
  // Message timestamps: one clock for every method, increasing and unique like Slack's.
  const baseSeconds = Math.floor(Date.now() / 1000);
  let sequence = 0;
  const nextTs = (): string => {
    sequence += 1;
    return `${baseSeconds + Math.floor(sequence / 1_000_000)}.${String(sequence % 1_000_000).padStart(6, "0")}`;
  };
  const dmFor = (userId: string): string =>
    options.dmChannels?.[userId] ??
    (userId === SLACK_IDS.learnerId ? SLACK_IDS.dmChannelId : `D${userId.slice(1)}`);
  const botMessage = (fields: Record<string, unknown>): Record<string, unknown> => ({
    user: SLACK_IDS.botUserId,
    type: "message",
    bot_id: SLACK_IDS.botId,
    app_id: SLACK_IDS.appId,
    team: teamId,
    ...fields,
  });
  const fail = (error: string): Record<string, unknown> => ({ ok: false, error });
  const str = (value: unknown): string | undefined =>
    typeof value === "string" && value !== "" ? value : undefined;
  const key = (channel: string, ts: string): string => `${channel}/${ts}`;
  const findMessage = (channel: string, ts: string): StoredMessage | undefined =>
    messages.get(key(channel, ts));
  const remember = (message: StoredMessage): StoredMessage => {
    messages.set(key(message.channel, message.ts), message);
    return message;
  };
  // A channel argument may be a user id: Slack then posts to the DM with that user.
  const resolveChannel = (channel: string): string =>
    /^[UW]/.test(channel) ? dmFor(channel) : channel;
  const markdownOf = (args: Record<string, unknown>): string => {
    let text = str(args.markdown_text) ?? "";
    if (Array.isArray(args.chunks)) {
      for (const chunk of args.chunks as unknown[]) {
        const { type, text: chunkText } = (chunk ?? {}) as { type?: unknown; text?: unknown };
        if (type === "markdown_text" && typeof chunkText === "string") text += chunkText;
      }
    }
    return text;
  };
  const streamTarget = (
    args: Record<string, unknown>,
  ): StoredMessage | { error: Record<string, unknown> } => {
    const channel = str(args.channel);
    const ts = str(args.ts);
    if (!channel) return { error: fail("channel_not_found") };
    if (!ts) return { error: fail("invalid_arguments") };
    const stored = findMessage(channel, ts);
    if (!stored) {
      if (options.strictMessages) return { error: fail("message_not_found") };
      return remember({ channel, ts, text: "", isStreaming: true, threadTs: undefined });
    }
    if (!stored.isStreaming) return { error: fail("message_not_in_streaming_state") };
    return stored;
  };

  const handlers: Record<string, Handler> = {
    "api.test": (args) => ({ ok: true, args }),
    "auth.test": () => ({
      ok: true,
      url: "https://socra-school.slack.com/",
      team: "Socra School",
      user: "socra",
      team_id: teamId,
      user_id: SLACK_IDS.botUserId,
      bot_id: SLACK_IDS.botId,
      is_enterprise_install: false,
    }),
    "chat.postMessage": (args) => {
      const channel = str(args.channel);
      if (!channel) return fail("channel_not_found");
      if (!str(args.text) && !args.blocks && !args.attachments && !str(args.markdown_text)) {
        return fail("no_text");
      }
      const resolved = resolveChannel(channel);
      const ts = nextTs();
      const threadTs = str(args.thread_ts);
      const text = str(args.text) ?? str(args.markdown_text) ?? "";
      remember({ channel: resolved, ts, text, isStreaming: false, threadTs });
      return {
        ok: true,
        channel: resolved,
        ts,
        message: botMessage({
          text,
          ts,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          ...(args.blocks ? { blocks: args.blocks } : {}),
          ...(args.attachments ? { attachments: args.attachments } : {}),
        }),
      };
    },
    "chat.update": (args) => {
      const channel = str(args.channel);
      const ts = str(args.ts);
      if (!channel) return fail("channel_not_found");
      if (!ts) return fail("message_not_found");
      const stored = findMessage(channel, ts);
      if (!stored && options.strictMessages) return fail("message_not_found");
      if (!str(args.text) && !args.blocks && !args.attachments && !str(args.markdown_text)) {
        return fail("no_text");
      }
      const text = str(args.text) ?? str(args.markdown_text) ?? "";
      remember({ channel, ts, text, isStreaming: false, threadTs: stored?.threadTs });
      return {
        ok: true,
        channel,
        ts,
        text,
        message: botMessage({
          text,
          ...(args.blocks ? { blocks: args.blocks } : {}),
          ...(args.attachments ? { attachments: args.attachments } : {}),
        }),
      };
    },
    "chat.postEphemeral": (args) => {
      if (!str(args.channel)) return fail("channel_not_found");
      if (!str(args.user)) return fail("user_not_found");
      if (!str(args.text) && !args.blocks && !args.attachments && !str(args.markdown_text)) {
        return fail("no_text");
      }
      return { ok: true, message_ts: nextTs() };
    },
    "chat.startStream": (args) => {
      const channel = str(args.channel);
      if (!channel) return fail("channel_not_found");
      // Slack: recipient ids are "required when streaming to channels" (not needed in a DM).
      if (!channel.startsWith("D")) {
        if (!str(args.recipient_team_id)) return fail("missing_recipient_team_id");
        if (!str(args.recipient_user_id)) return fail("missing_recipient_user_id");
      }
      const ts = nextTs();
      remember({
        channel,
        ts,
        text: markdownOf(args),
        isStreaming: true,
        threadTs: str(args.thread_ts),
      });
      return { ok: true, channel, ts };
    },
    "chat.appendStream": (args) => {
      const target = streamTarget(args);
      if ("error" in target) return target.error;
      if (!str(args.markdown_text) && !Array.isArray(args.chunks)) return fail("no_text");
      target.text += markdownOf(args);
      return { ok: true, channel: target.channel, ts: target.ts };
    },
    "chat.stopStream": (args) => {
      const target = streamTarget(args);
      if ("error" in target) return target.error;
      target.text += markdownOf(args);
      target.isStreaming = false;
      return {
        ok: true,
        channel: target.channel,
        ts: target.ts,
        message: botMessage({
          text: target.text,
          ts: target.ts,
          streaming_state: "completed",
          ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
          ...(args.blocks ? { blocks: args.blocks } : {}),
        }),
      };
    },
    "assistant.threads.setStatus": (args) => {
      if (!str(args.channel_id)) return fail("channel_not_found");
      if (!str(args.thread_ts)) return fail("invalid_arguments");
      if (typeof args.status !== "string") return fail("invalid_arguments");
      return { ok: true };
    },
    "views.publish": (args) => {
      const userId = str(args.user_id);
      if (!userId) return fail("user_not_found");
      const view = args.view as Record<string, unknown> | undefined;
      if (!view || typeof view !== "object") return fail("invalid_arguments");
      if (view.type !== "home") return fail("invalid_arguments");
      const viewId = `V0${userId.slice(1)}`;
      return {
        ok: true,
        view: {
          id: viewId,
          team_id: teamId,
          type: "home",
          blocks: view.blocks ?? [],
          private_metadata: view.private_metadata ?? "",
          callback_id: view.callback_id ?? "",
          hash: `${baseSeconds}.${String(sequence).padStart(8, "0")}`,
          clear_on_close: false,
          notify_on_close: false,
          root_view_id: viewId,
          app_id: SLACK_IDS.appId,
          external_id: view.external_id ?? "",
          app_installed_team_id: teamId,
          bot_id: SLACK_IDS.botId,
        },
      };
    },
    "conversations.open": (args) => {
      const channel = str(args.channel);
      if (channel) return { ok: true, channel: { id: channel } };
      const users = str(args.users)?.split(",") ?? [];
      const [first] = users;
      if (!first) return fail("users_list_not_supplied");
      if (users.length > 1) return { ok: true, channel: { id: `G${first.slice(1)}` } };
      return { ok: true, channel: { id: dmFor(first) } };
    },
    "users.info": (args) => {
      const userId = str(args.user);
      if (!userId || !/^[UW]/.test(userId)) return fail("user_not_found");
      const listed = options.users?.[userId];
      if (listed === null) return fail("user_not_found");
      const isOwnBot = userId === SLACK_IDS.botUserId;
      const fallbackName = isOwnBot ? "socra" : userId.slice(1).toLowerCase();
      const user = listed ?? {};
      const displayName = user.displayName ?? fallbackName;
      const realName = user.realName ?? fallbackName;
      const tz = user.tz === undefined ? "Europe/Berlin" : user.tz;
      return {
        ok: true,
        user: {
          id: userId,
          team_id: user.teamId ?? teamId,
          name: fallbackName,
          deleted: user.isDeleted ?? false,
          real_name: realName,
          ...(tz === null ? {} : { tz, tz_label: tz, tz_offset: 3600 }),
          is_admin: user.isAdmin ?? false,
          is_owner: user.isOwner ?? false,
          is_primary_owner: user.isPrimaryOwner ?? false,
          is_restricted: false,
          is_ultra_restricted: false,
          is_bot: user.isBot ?? isOwnBot,
          is_app_user: false,
          profile: { real_name: realName, display_name: displayName, team: user.teamId ?? teamId },
        },
      };
    },
    "usergroups.users.list": (args) => {
      const group = str(args.usergroup);
      if (!group) return fail("invalid_arguments");
      const members = options.usergroups?.[group];
      if (!members) return fail("no_such_subteam");
      return { ok: true, users: [...members] };
    },
    "conversations.members": (args) => {
      const channel = str(args.channel);
      const members = channel ? options.channels?.[channel] : undefined;
      if (!members) return fail("channel_not_found");
      const limit = Math.min(
        Number(args.limit ?? 100) || 100,
        options.maxMembersPerPage ?? 1000,
        1000,
      );
      // Slack's cursors are opaque: here, the offset of the next page in base64.
      const cursor = str(args.cursor);
      const start = cursor ? Number(Buffer.from(cursor, "base64").toString("utf8")) : 0;
      if (!Number.isInteger(start) || start < 0 || start > members.length)
        return fail("invalid_cursor");
      const end = start + limit;
      return {
        ok: true,
        members: members.slice(start, end),
        response_metadata: {
          next_cursor:
            end < members.length ? Buffer.from(String(end), "utf8").toString("base64") : "",
        },
      };
    },
    "files.getUploadURLExternal": (args) => {
      const filename = str(args.filename);
      const length = Number(args.length);
      if (!filename || !Number.isInteger(length) || length <= 0) return fail("invalid_arguments");
      const id = `F${String(files.length + 1).padStart(8, "0")}`;
      files.push({
        id,
        filename,
        length,
        altText: str(args.alt_text),
        bytes: undefined,
        title: undefined,
        channelId: undefined,
        isCompleted: false,
      });
      return { ok: true, upload_url: `${origin}${UPLOAD_PATH}${id}`, file_id: id };
    },
    "files.completeUploadExternal": (args) => {
      const listed = Array.isArray(args.files)
        ? (args.files as { id?: unknown; title?: unknown }[])
        : [];
      if (listed.length === 0) return fail("invalid_arguments");
      const found: FakeSlackFile[] = [];
      for (const entry of listed) {
        const file = files.find((f) => f.id === entry.id);
        // Slack completes only files whose bytes arrived, with the announced length.
        if (!file?.bytes || file.bytes.length !== file.length) return fail("file_not_found");
        found.push(file);
      }
      const channel = str(args.channel_id);
      for (const [k, file] of found.entries()) {
        file.title = str(listed[k]?.title) ?? file.filename;
        file.channelId = channel ? resolveChannel(channel) : undefined;
        file.isCompleted = true;
      }
      return {
        ok: true,
        files: found.map((file) => ({ id: file.id, title: file.title, name: file.filename })),
      };
    },
  };

  const answer = (method: string, args: Record<string, unknown>, token?: string): Answer => {
    const scripted = failures.get(method)?.shift();
    if (scripted) {
      if ("error" in scripted) return { status: 200, body: fail(scripted.error) };
      const headers: Record<string, string> =
        scripted.retryAfterSeconds === undefined
          ? {}
          : { "retry-after": String(scripted.retryAfterSeconds) };
      const error = scripted.status === 429 ? "ratelimited" : "service_unavailable";
      return { status: scripted.status, body: fail(error), headers };
    }
    if (method === "response_url") return { status: 200, body: { ok: true } };
    const handler = handlers[method];
    if (!handler) return { status: 200, body: fail("unknown_method") };
    if (method !== "api.test") {
      if (!token) return { status: 200, body: fail("not_authed") };
      if (!/^xox[a-z]-/.test(token)) return { status: 200, body: fail("invalid_auth") };
    }
    return { status: 200, body: handler(args) };
  };

  /** The bytes posted to an upload URL: a multipart form (WebClient's) or the raw body. */
  const receiveUpload = async (id: string, raw: Buffer, contentType: string | undefined) => {
    const file = files.find((f) => f.id === id);
    if (!file) return { status: 404, text: "no such upload" };
    let bytes: Uint8Array = new Uint8Array(raw);
    if (contentType?.startsWith("multipart/form-data")) {
      const form = await new Response(new Uint8Array(raw), {
        headers: { "content-type": contentType },
      }).formData();
      const part = [...form.values()].find((value) => typeof value !== "string");
      if (!part || typeof part === "string") return { status: 400, text: "no file in the form" };
      bytes = new Uint8Array(await part.arrayBuffer());
    }
    file.bytes = bytes;
    return { status: 200, text: `OK - ${bytes.length}` };
  };

  const server = createServer((request, response) => {
    readBody(request)
      .then(async (raw) => {
        const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
        if (path.startsWith(UPLOAD_PATH)) {
          const id = decodeURIComponent(path.slice(UPLOAD_PATH.length));
          const result = await receiveUpload(id, raw, request.headers["content-type"]);
          calls.push({
            method: "upload",
            path,
            body: { file_id: id, bytes: raw.length },
            headers: request.headers,
            token: /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1],
            status: result.status,
            response: { text: result.text },
          });
          response.writeHead(result.status, { "content-type": "text/plain" });
          response.end(result.text);
          return;
        }
        const method = path.startsWith("/api/")
          ? path.slice("/api/".length)
          : path.startsWith("/response_url/")
            ? "response_url"
            : path;
        const body = parseArguments(
          raw.toString("utf8"),
          request.headers["content-type"],
          request.url,
        );
        const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
        const token = bearer ?? (typeof body.token === "string" ? body.token : undefined);
        const result = answer(method, body, token);
        calls.push({
          method,
          path,
          body,
          headers: request.headers,
          token,
          status: result.status,
          response: result.body,
        });
        response.writeHead(result.status, {
          "content-type": "application/json; charset=utf-8",
          ...result.headers,
        });
        response.end(JSON.stringify(result.body));
      })
      .catch((error: unknown) => {
        response.writeHead(500, { "content-type": "text/plain" });
        response.end(String(error));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/api/`,
    calls,
    files,
    callsTo: (method) => calls.filter((call) => call.method === method),
    failNext: (method, failure, times = 1) => {
      const queue = failures.get(method) ?? [];
      for (let i = 0; i < times; i += 1) queue.push(failure);
      failures.set(method, queue);
    },
    responseUrl: (id = "1") => `${origin}/response_url/${encodeURIComponent(id)}`,
    responsesTo: (id) =>
      calls.filter((call) => call.path === `/response_url/${encodeURIComponent(id)}`),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/**
 * Arguments as Slack reads them: a form body (WebClient's default), a JSON body, or the query
 * string; form fields holding JSON (`blocks`, `view`, `chunks`, …) are decoded.
 */
function parseArguments(
  raw: string,
  contentType: string | undefined,
  requestUrl: string | undefined,
): Record<string, unknown> {
  const args: Record<string, unknown> = Object.fromEntries(
    new URL(requestUrl ?? "/", "http://127.0.0.1").searchParams,
  );
  if (contentType?.startsWith("application/json")) {
    const parsed: unknown = raw === "" ? {} : JSON.parse(raw);
    if (parsed && typeof parsed === "object") Object.assign(args, parsed);
  } else if (raw !== "") {
    Object.assign(args, Object.fromEntries(new URLSearchParams(raw)));
  }
  for (const field of JSON_FIELDS) {
    const value = args[field];
    if (typeof value !== "string") continue;
    try {
      args[field] = JSON.parse(value);
    } catch {
      // Slack would reject it; keep the raw string so a test can see what was sent.
    }
  }
  return args;
}
