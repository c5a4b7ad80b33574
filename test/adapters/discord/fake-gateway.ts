import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { createDeflate, type Deflate, constants as zlibConstants } from "node:zlib";
import { type APIUser, GatewayDispatchEvents, GatewayIntentBits, GatewayOpcodes } from "discord.js";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { APPLICATION_FLAGS, DISCORD_IDS, guildCreateData } from "./payloads.ts";

const MEMBER_EVENTS: ReadonlySet<string> = new Set([
  GatewayDispatchEvents.GuildMemberAdd,
  GatewayDispatchEvents.GuildMemberUpdate,
  GatewayDispatchEvents.GuildMemberRemove,
]);

/** What one gateway client sent in IDENTIFY. */
export interface FakeGatewayIdentify {
  token: string;
  intents: number;
  properties: Record<string, unknown>;
  shard: unknown;
  /** The `compress` flag (payload compression, which the fake ignores: it answers in text). */
  isCompressed: boolean;
}

/** One WebSocket connection to the fake gateway. */
export interface FakeGatewayConnection {
  /** The query the client connected with: `v`, `encoding`, and `compress` if it asked. */
  query: Record<string, string>;
  identify: FakeGatewayIdentify | undefined;
  heartbeats: number;
  resumes: number;
  /** Opcodes received, in order, heartbeats included. */
  opcodes: number[];
  isOpen: boolean;
}

export interface FakeGatewayOptions {
  bot: APIUser;
  /** The only accepted token; any non-empty token when "". */
  token: string;
  heartbeatIntervalMs: number;
  isInGuild: boolean;
  /** The gateway's own URL (for `resume_gateway_url`), known once the server listens. */
  gatewayUrl: () => string;
}

export interface FakeGateway {
  connections: FakeGatewayConnection[];
  /** The HTTP server's `upgrade` listener: accepts WebSockets on `/gateway`. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Sends a DISPATCH to every identified, open connection; returns how many got it. */
  dispatch(eventName: string, data: unknown): number;
  close(): Promise<void>;
}

/** Discord's close codes the fake uses. */
const CLOSE = {
  decodeError: 4002,
  notAuthenticated: 4003,
  authenticationFailed: 4004,
  alreadyAuthenticated: 4005,
  invalidApiVersion: 4012,
} as const;

type Json = Record<string, unknown>;

interface Session {
  id: string;
  token: string;
  seq: number;
}

interface Connection {
  info: FakeGatewayConnection;
  socket: WebSocket;
  deflate: Deflate | undefined;
  session: Session | undefined;
}

/**
 * A JSON gateway on `/gateway`: HELLO on connect, IDENTIFY → READY (+ GUILD_CREATE for the test
 * guild), heartbeat ACKs, RESUME of a known session, and dispatches with a per-session `seq`.
 */
export function createFakeGateway(options: FakeGatewayOptions): FakeGateway {
  const wss = new WebSocketServer({ noServer: true });
  const connections: Connection[] = [];
  const infos: FakeGatewayConnection[] = [];
  const sessions = new Map<string, Session>();

  const send = (connection: Connection, payload: Json): void => {
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    const text = JSON.stringify(payload);
    if (connection.deflate) connection.deflate.write(text);
    else connection.socket.send(text);
  };
  const sendDispatch = (connection: Connection, eventName: string, data: unknown): void => {
    if (!connection.session) return;
    connection.session.seq += 1;
    const s = connection.session.seq;
    send(connection, { op: GatewayOpcodes.Dispatch, t: eventName, s, d: data });
  };
  const identify = (connection: Connection, data: Json): void => {
    const token = typeof data.token === "string" ? data.token : "";
    connection.info.identify = {
      token,
      intents: Number(data.intents ?? 0),
      properties: asJson(data.properties),
      shard: data.shard,
      isCompressed: data.compress === true,
    };
    if (token === "" || (options.token !== "" && token !== options.token)) {
      connection.socket.close(CLOSE.authenticationFailed, "Authentication failed.");
      return;
    }
    const session: Session = { id: randomBytes(16).toString("hex"), token, seq: 0 };
    sessions.set(session.id, session);
    connection.session = session;
    sendDispatch(connection, GatewayDispatchEvents.Ready, {
      v: 10,
      user_settings: {},
      user: { ...options.bot, verified: true, mfa_enabled: false, email: null },
      guilds: options.isInGuild ? [{ id: DISCORD_IDS.guildId, unavailable: true }] : [],
      session_id: session.id,
      session_type: "normal",
      resume_gateway_url: options.gatewayUrl(),
      shard: Array.isArray(data.shard) ? data.shard : [0, 1],
      application: { id: DISCORD_IDS.applicationId, flags: APPLICATION_FLAGS },
      private_channels: [],
      presences: [],
      relationships: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
      auth: {},
      _trace: ['["fake-discord",{"micros":0}]'],
    });
    // The guild arrives after READY, which listed it as unavailable: discord.js waits for it.
    if (options.isInGuild) {
      sendDispatch(connection, GatewayDispatchEvents.GuildCreate, guildCreateData(options.bot));
    }
  };
  const resume = (connection: Connection, data: Json): void => {
    const session = sessions.get(String(data.session_id));
    if (!session || data.token !== session.token) {
      // Not resumable: the client must identify afresh.
      send(connection, { op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
      return;
    }
    connection.session = session;
    connection.info.resumes += 1;
    sendDispatch(connection, GatewayDispatchEvents.Resumed, { _trace: ['["fake-discord"]'] });
  };
  const onMessage = (connection: Connection, raw: RawData): void => {
    let payload: Json;
    try {
      payload = asJson(JSON.parse(rawDataText(raw)));
    } catch {
      connection.socket.close(CLOSE.decodeError, "Error while decoding payload.");
      return;
    }
    const op = Number(payload.op);
    connection.info.opcodes.push(op);
    switch (op) {
      case GatewayOpcodes.Heartbeat:
        connection.info.heartbeats += 1;
        send(connection, { op: GatewayOpcodes.HeartbeatAck });
        return;
      case GatewayOpcodes.Identify:
        if (connection.session) {
          connection.socket.close(CLOSE.alreadyAuthenticated, "Already authenticated.");
          return;
        }
        identify(connection, asJson(payload.d));
        return;
      case GatewayOpcodes.Resume:
        resume(connection, asJson(payload.d));
        return;
      default:
        // Presence updates, member requests and the like are recorded and otherwise ignored.
        if (!connection.session) {
          connection.socket.close(CLOSE.notAuthenticated, "Not authenticated.");
        }
    }
  };
  const accept = (socket: WebSocket, query: URLSearchParams): void => {
    const info: FakeGatewayConnection = {
      query: Object.fromEntries(query),
      identify: undefined,
      heartbeats: 0,
      resumes: 0,
      opcodes: [],
      isOpen: true,
    };
    const compress = query.get("compress");
    const deflate = compress === "zlib-stream" ? createZlibStream(socket) : undefined;
    const connection: Connection = { info, socket, deflate, session: undefined };
    connections.push(connection);
    infos.push(info);
    socket.on("message", (raw) => onMessage(connection, raw));
    socket.on("close", () => {
      info.isOpen = false;
      connection.deflate?.destroy();
    });
    socket.on("error", () => {
      info.isOpen = false;
    });
    if (query.get("v") !== "10") {
      socket.close(CLOSE.invalidApiVersion, "Invalid API version.");
      return;
    }
    if (query.get("encoding") !== "json" || (compress !== null && compress !== "zlib-stream")) {
      // discord.js 14 speaks JSON only; ETF and zstd-stream are outside what this fake imitates.
      socket.close(CLOSE.decodeError, "fake Discord speaks encoding=json, compress=zlib-stream");
      return;
    }
    send(connection, {
      op: GatewayOpcodes.Hello,
      d: { heartbeat_interval: options.heartbeatIntervalMs, _trace: ['["fake-discord"]'] },
      s: null,
      t: null,
    });
  };

  return {
    connections: infos,
    upgrade: (request, socket, head) => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      if (url.pathname !== "/gateway") {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => accept(ws, url.searchParams));
    },
    dispatch: (eventName, data) => {
      const ready = connections.filter((c) => c.session && c.info.isOpen);
      if (ready.length === 0) {
        throw new Error(`fake Discord: no identified gateway connection for ${eventName}`);
      }
      // Member events reach only connections that asked for the Server Members intent.
      const intent = MEMBER_EVENTS.has(eventName) ? GatewayIntentBits.GuildMembers : 0;
      const receiving = ready.filter((c) => ((c.info.identify?.intents ?? 0) & intent) === intent);
      for (const connection of receiving) sendDispatch(connection, eventName, data);
      return receiving.length;
    },
    close: async () => {
      for (const connection of connections) connection.socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function asJson(value: unknown): Json {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {};
}

/** Compresses every payload into one shared zlib stream, flushed per payload, as Discord does. */
function createZlibStream(socket: WebSocket): Deflate {
  const deflate = createDeflate({ flush: zlibConstants.Z_SYNC_FLUSH });
  deflate.on("data", (chunk: Buffer) => {
    if (socket.readyState === socket.OPEN) socket.send(chunk);
  });
  return deflate;
}

function rawDataText(raw: RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString("utf8");
  return Buffer.from(raw as ArrayBuffer).toString("utf8");
}
