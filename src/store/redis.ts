import { createHash, randomUUID } from "node:crypto";
import type { ChainableCommander, Redis } from "ioredis";
import type {
  BeginTurnOptions,
  LearnerKey,
  SharedKey,
  Turn,
  TurnChanges,
  TutorStore,
} from "../tutor/index.ts";
import { DEFAULT_STORE_OPTIONS, StoreError, type StoreOptions } from "./options.ts";
import { checkSharedInput, type SharedInput } from "./shared-input.ts";

export interface RedisStoreOptions extends StoreOptions {
  /** Key prefix, so several deployments (or test runs) can share one Redis. */
  readonly prefix?: string;
}

/** A Redis store that also counts its round trips, for the turn benchmark. */
export interface RedisTutorStore extends TutorStore {
  roundTrips(): number;
}

// begin: KEYS lock, model, session, event · ARGV token, lockTtlMs, hasEvent
// Returns {"duplicate"}, {"busy"} or {"ok", model|nil, session|nil}.
const BEGIN = `
if ARGV[3] == "1" and redis.call("EXISTS", KEYS[4]) == 1 then return {"duplicate"} end
if not redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then return {"busy"} end
return {"ok", redis.call("GET", KEYS[2]), redis.call("GET", KEYS[3])}
`;

// commit: KEYS lock, model, session, attempts, event
// ARGV token, model|"", session|"", sessionTtlMs, endSession, eventTtlMs|"", attemptsKept, attempts…
// Writes only while the caller still holds the lock, so a turn that outlived it changes nothing.
const COMMIT = `
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] ~= "" then redis.call("SET", KEYS[2], ARGV[2]) end
if ARGV[3] ~= "" then redis.call("SET", KEYS[3], ARGV[3], "PX", ARGV[4])
elseif ARGV[5] == "1" then redis.call("DEL", KEYS[3])
else redis.call("PEXPIRE", KEYS[3], ARGV[4]) end
for i = 8, #ARGV do redis.call("LPUSH", KEYS[4], ARGV[i]) end
if #ARGV >= 8 then redis.call("LTRIM", KEYS[4], 0, tonumber(ARGV[7]) - 1) end
if ARGV[6] ~= "" then redis.call("SET", KEYS[5], "1", "PX", ARGV[6]) end
redis.call("DEL", KEYS[1])
return 1
`;

const RELEASE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0
`;

// erase: KEYS lock, then every other key of the learner · ARGV token
// Unlinks in slices: Lua's unpack takes a few thousand values at most.
const ERASE = `
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
for i = 1, #KEYS, 1000 do redis.call("UNLINK", unpack(KEYS, i, math.min(i + 999, #KEYS))) end
return 1
`;

const sha1 = (text: string): string => createHash("sha1").update(text).digest("hex");
const SCRIPTS = { begin: BEGIN, commit: COMMIT, release: RELEASE, erase: ERASE } as const;

/** Keys per SCAN reply: a hint to Redis, which may return more or fewer. */
const SCAN_COUNT = 1000;

/**
 * A SCAN pattern for the keys that start with `literal`: glob characters in it (`*` survives
 * encodeURIComponent, and the deployment prefix is not encoded at all) are escaped, so an id
 * with a `*` matches only itself.
 */
export function keysStartingWith(literal: string): string {
  return `${literal.replace(/[*?[\]\\]/g, "\\$&")}*`;
}

type ScanReply = [cursor: string, keys: string[]];

/**
 * The keys matching `pattern`, a page per SCAN round trip (each sent through `send`, which may
 * count it or wrap its errors); a key may come more than once, a page may be empty.
 */
export async function* scanKeys(
  client: Redis,
  pattern: string,
  send: (request: () => Promise<ScanReply>) => Promise<ScanReply> = (request) => request(),
): AsyncGenerator<string[]> {
  let cursor = "0";
  do {
    const from = cursor;
    const [next, keys] = await send(() => client.scan(from, "MATCH", pattern, "COUNT", SCAN_COUNT));
    cursor = next;
    yield keys;
  } while (cursor !== "0");
}

/**
 * Learners in Redis. All keys of a learner share a hash tag, {tenant:learner}, so they live in
 * one Cluster slot and one script can touch them all. A turn costs two round trips: a script
 * that takes the learner's lock and reads model and session, and one that checks the lock is
 * still ours, writes everything, trims the attempt log, marks the event processed and unlocks.
 * Sessions expire after inactivity; the model does not. Reading a learner outside a turn is one
 * MGET. Erasing one (forget-me) SCANs the learner's keys (their events have ids we do not know)
 * and then, in one script, checks the lock is still ours and unlinks them all.
 *
 * A tenant's shared data lives under `prefix:t:tenant:kind:name` (tenant and name URI-encoded,
 * kind `cache`, `counter`, `list` or `records`), so one pattern finds all of a tenant's shared
 * keys and the kinds never collide. Each shared call is one round trip: a single command, or a
 * MULTI block or pipeline sent in one write (a counter's first add sets its expiry with
 * `PEXPIRE NX`, Redis 7; a list is trimmed to its newest entries as it grows; deleting a name
 * unlinks its four keys one by one, since in a Cluster they may live in different slots).
 * Cached values and counters expire; lists and record sets (hashes) do not.
 */
export function createRedisStore(client: Redis, options: RedisStoreOptions = {}): RedisTutorStore {
  const settings = { ...DEFAULT_STORE_OPTIONS, ...options };
  const prefix = options.prefix ?? "socra";
  let roundTrips = 0;
  let isClosed = false;

  const keysOf = (key: LearnerKey) => {
    // Braces or colons in ids must not break the hash tag or the key layout.
    const tag = `{${encodeURIComponent(key.tenant)}:${encodeURIComponent(key.learner)}}`;
    const base = `${prefix}:${tag}`;
    return {
      /** Every key of the learner, for SCAN. */
      pattern: keysStartingWith(`${base}:`),
      lock: `${base}:lock`,
      model: `${base}:model`,
      session: `${base}:session`,
      attempts: `${base}:attempts`,
      event: (id: string | undefined) =>
        `${base}:event:${id === undefined ? "-" : encodeURIComponent(id)}`,
    };
  };

  async function run(
    script: keyof typeof SCRIPTS,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    const source = SCRIPTS[script];
    roundTrips++;
    try {
      return await client.evalsha(sha1(source), keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).startsWith("NOSCRIPT")) {
        throw new StoreError("unavailable", `Redis ${script} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      roundTrips++;
      return client.eval(source, keys.length, ...keys, ...args);
    }
  }

  const sharedKeyOf = (
    key: SharedKey,
    kind: "cache" | "counter" | "list" | "records",
    input: SharedInput = {},
  ): string => {
    if (isClosed) throw new StoreError("unavailable", "The store is closed");
    checkSharedInput(key, input);
    return `${prefix}:t:${encodeURIComponent(key.tenant)}:${kind}:${encodeURIComponent(key.name)}`;
  };

  /**
   * Sends one request (a command, or a MULTI block or pipeline in one write) and counts its
   * round trip.
   */
  async function once<T>(what: string, request: () => Promise<T>): Promise<T> {
    roundTrips++;
    try {
      return await request();
    } catch (error) {
      throw new StoreError("unavailable", `Redis ${what} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Runs a MULTI block or pipeline; the replies of its commands, or the first command's error. */
  async function transaction(block: ChainableCommander): Promise<unknown[]> {
    const replies = await block.exec();
    if (replies === null) throw new Error("the transaction was aborted");
    return replies.map(([error, reply]) => {
      if (error) throw error;
      return reply;
    });
  }

  async function beginTurn(
    key: LearnerKey,
    turnOptions: BeginTurnOptions = {},
  ): Promise<Turn | "duplicate"> {
    if (isClosed) throw new StoreError("unavailable", "The store is closed");
    const keys = keysOf(key);
    const { eventId } = turnOptions;
    const token = randomUUID();
    const deadline = performance.now() + settings.waitMs;
    let backoffMs = 5;
    for (;;) {
      const reply = (await run(
        "begin",
        [keys.lock, keys.model, keys.session, keys.event(eventId)],
        [token, settings.lockTtlMs, eventId === undefined ? "0" : "1"],
      )) as [string, string | null, string | null];
      if (reply[0] === "duplicate") return "duplicate";
      if (reply[0] === "ok") {
        const [, model, session] = reply;
        return openTurn(keys, token, eventId, {
          ...(model === null ? {} : { model }),
          ...(session === null ? {} : { session }),
        });
      }
      if (performance.now() + backoffMs > deadline) {
        throw new StoreError("learner_busy", "The learner's previous turn is still running");
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs * (0.5 + Math.random())));
      backoffMs = Math.min(backoffMs * 2, 100);
    }
  }

  function openTurn(
    keys: ReturnType<typeof keysOf>,
    token: string,
    eventId: string | undefined,
    data: Turn["data"],
  ): Turn {
    let isOpen = true;
    return {
      data,
      async commit(changes: TurnChanges) {
        if (!isOpen) throw new StoreError("lock_lost", "This turn has already ended");
        isOpen = false;
        const done = await run(
          "commit",
          [keys.lock, keys.model, keys.session, keys.attempts, keys.event(eventId)],
          [
            token,
            changes.model ?? "",
            changes.session ?? "",
            settings.sessionTtlMs,
            changes.session === null ? "1" : "0",
            eventId === undefined ? "" : settings.eventTtlMs,
            settings.attemptsKept,
            ...(changes.attempts ?? []),
          ],
        );
        if (done !== 1)
          throw new StoreError(
            "lock_lost",
            "The turn outlived its hold on the learner; nothing was saved",
          );
      },
      async release() {
        if (!isOpen) return;
        isOpen = false;
        await run("release", [keys.lock], [token]);
      },
      async erase() {
        if (!isOpen) throw new StoreError("lock_lost", "This turn has already ended");
        isOpen = false;
        // While we hold the lock no other turn writes the learner's keys: the scan sees them all.
        const found = new Set([keys.model, keys.session, keys.attempts]);
        const pages = scanKeys(client, keys.pattern, (scan) => once("erase", scan));
        for await (const page of pages) {
          for (const key of page) found.add(key);
        }
        found.delete(keys.lock);
        const done = await run("erase", [keys.lock, ...found], [token]);
        if (done !== 1)
          throw new StoreError(
            "lock_lost",
            "The turn outlived its hold on the learner; nothing was erased",
          );
      },
    };
  }

  return {
    beginTurn,
    async readAttempts(key, limit) {
      const id = keysOf(key).attempts;
      return once("readAttempts", () => client.lrange(id, 0, limit - 1));
    },
    async readLearner(key) {
      if (isClosed) throw new StoreError("unavailable", "The store is closed");
      const keys = keysOf(key);
      const [model, session] = await once("readLearner", () =>
        client.mget(keys.model, keys.session),
      );
      return {
        ...(model == null ? {} : { model }),
        ...(session == null ? {} : { session }),
      };
    },
    async getCached(key) {
      const id = sharedKeyOf(key, "cache");
      return (await once("getCached", () => client.get(id))) ?? undefined;
    },
    async setCached(key, value, ttlMs) {
      const id = sharedKeyOf(key, "cache", { ttlMs });
      await once("setCached", () => client.set(id, value, "PX", ttlMs));
    },
    async addToCounter(key, amount, ttlMs) {
      const id = sharedKeyOf(key, "counter", { amount, ttlMs });
      // NX: only a new counter (one without an expiry yet) gets one; later adds keep it.
      const [total] = await once("addToCounter", () =>
        transaction(client.multi().incrby(id, amount).pexpire(id, ttlMs, "NX")),
      );
      return Number(total);
    },
    async readCounter(key) {
      const id = sharedKeyOf(key, "counter");
      return Number((await once("readCounter", () => client.get(id))) ?? 0);
    },
    async appendToList(key, value, max) {
      const id = sharedKeyOf(key, "list", { max });
      await once("appendToList", () =>
        transaction(client.multi().rpush(id, value).ltrim(id, -max, -1)),
      );
    },
    async readList(key) {
      const id = sharedKeyOf(key, "list");
      return once("readList", () => client.lrange(id, 0, -1));
    },
    async putRecord(key, field, value) {
      const id = sharedKeyOf(key, "records", { field });
      await once("putRecord", () => client.hset(id, field, value));
    },
    async readRecords(key) {
      const id = sharedKeyOf(key, "records");
      return once("readRecords", () => client.hgetall(id));
    },
    async deleteRecord(key, field) {
      const id = sharedKeyOf(key, "records", { field });
      await once("deleteRecord", () => client.hdel(id, field));
    },
    async deleteShared(key) {
      const ids = (["cache", "counter", "list", "records"] as const).map((kind) =>
        sharedKeyOf(key, kind),
      );
      const pipeline = client.pipeline();
      for (const id of ids) pipeline.unlink(id);
      await once("deleteShared", () => transaction(pipeline));
    },
    async close() {
      isClosed = true;
    },
    roundTrips: () => roundTrips,
  };
}
