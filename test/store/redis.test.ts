import { randomUUID } from "node:crypto";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createRedisStore } from "../../src/store/index.ts";
import type { Turn } from "../../src/tutor/index.ts";
import { describeStoreContract } from "./contract.ts";

const url = inject("redisUrl");
const clients: Redis[] = [];
const connect = (to: string = url): Redis => {
  const client = new Redis(to, { maxRetriesPerRequest: 2 });
  clients.push(client);
  return client;
};

afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit()));
});

/** Every key under `prefix:`, found by a SCAN of the whole database (no MATCH to get wrong). */
async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const found = new Set<string>();
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "COUNT", 1000);
    cursor = next;
    for (const key of keys) if (key.startsWith(`${prefix}:`)) found.add(key);
  } while (cursor !== "0");
  return [...found].sort();
}

describeStoreContract("redis", async (options) => {
  // A unique prefix per test: runs never see each other's keys.
  const prefix = `test-${randomUUID()}`;
  const store = createRedisStore(connect(), { ...options, prefix });
  const other = createRedisStore(connect(), { ...options, prefix });
  return {
    store,
    other,
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    close: async () => {
      await store.close();
      await other.close();
    },
  };
});

describe("redis store layout", () => {
  it("keeps one learner's keys in one cluster slot and costs two round trips a turn", async () => {
    const client = connect();
    const prefix = `layout-${randomUUID()}`;
    const store = createRedisStore(client, { prefix });
    const key = { tenant: "guild:{42}", learner: "ana" };
    const before = store.roundTrips();
    const turn = await store.beginTurn(key, { eventId: "e1" });
    if (turn === "duplicate") throw new Error("unexpected duplicate");
    await turn.commit({ model: "m", session: "s", attempts: ["a"] });
    expect(store.roundTrips() - before).toBeLessThanOrEqual(3); // 2, plus one if the scripts were not cached yet
    const second = await store.beginTurn(key);
    if (second === "duplicate") throw new Error("unexpected duplicate");
    const cached = store.roundTrips();
    await second.commit({});
    expect(store.roundTrips() - cached).toBe(1);

    const keys = await client.keys(`${prefix}:*`);
    expect(keys.sort()).toEqual(
      ["attempts", "event:e1", "model", "session"]
        .map((suffix) => `${prefix}:{guild%3A%7B42%7D:ana}:${suffix}`)
        .sort(),
    );
    const slots = await Promise.all(
      keys.map((k) => client.call("CLUSTER", "KEYSLOT", k).catch(() => null)),
    );
    if (slots[0] !== null) expect(new Set(slots).size).toBe(1);
    expect(await client.pttl(`${prefix}:{guild%3A%7B42%7D:ana}:model`)).toBe(-1);
    expect(await client.pttl(`${prefix}:{guild%3A%7B42%7D:ana}:session`)).toBeGreaterThan(0);
  });

  it("erases every key of the learner and no one else's, glob characters and all", async () => {
    const client = connect();
    // Glob characters in the deployment prefix too: its pattern must not reach other prefixes.
    const prefix = `erase-*?[x]-${randomUUID()}`;
    const neighbourPrefix = prefix.replace("*?[x]", "a?x-");
    const store = createRedisStore(client, { prefix });
    const neighbourStore = createRedisStore(client, { prefix: neighbourPrefix });
    const learners = ["a*", "a", "ab", "a*b", "a?", "a[b]", "a\\", "*"];
    for (const tenant of ["guild*", "guild", "guildX"]) {
      for (const learner of learners) {
        for (const [handle, eventId] of [
          [store, "e1"],
          [store, "e2"],
          [neighbourStore, "e1"],
        ] as const) {
          const turn = await handle.beginTurn({ tenant, learner }, { eventId });
          if (turn === "duplicate") throw new Error("unexpected duplicate");
          await turn.commit({ model: "m", session: "s", attempts: ["a"] });
        }
      }
    }
    const before = await keysUnder(client, prefix);
    const neighbourKeys = await keysUnder(client, neighbourPrefix);
    expect(before).toHaveLength(3 * learners.length * 5); // model, session, attempts, 2 events

    const erased = { tenant: "guild*", learner: "a*" };
    const turn = await store.beginTurn(erased, { eventId: "e3" });
    if (turn === "duplicate") throw new Error("unexpected duplicate");
    await turn.erase();

    const tag = "{guild*:a*}"; // encodeURIComponent leaves "*" alone
    const after = await keysUnder(client, prefix);
    expect(after.filter((key) => key.includes(tag))).toEqual([]);
    expect(after).toEqual(before.filter((key) => !key.includes(tag)));
    expect(after).toHaveLength(before.length - 5);
    expect(await keysUnder(client, neighbourPrefix)).toEqual(neighbourKeys);
  });

  it("erases a learner with many processed events, past a SCAN page and a Lua unpack", async () => {
    const client = connect();
    const prefix = `erase-many-${randomUUID()}`;
    const store = createRedisStore(client, { prefix });
    const key = { tenant: "t", learner: "busy" };
    const base = `${prefix}:{t:busy}`;
    // Ten thousand processed events, written directly: as many turns would take too long.
    const pipeline = client.pipeline();
    for (let k = 0; k < 10_000; k++) pipeline.set(`${base}:event:e${k}`, "1", "PX", 600_000);
    await pipeline.exec();
    await ((await store.beginTurn(key)) as Turn).commit({ model: "m", attempts: ["a"] });
    expect(await keysUnder(client, prefix)).toHaveLength(10_002);
    await ((await store.beginTurn(key)) as Turn).erase();
    expect(await keysUnder(client, prefix)).toEqual([]);
  });

  it("counts a readLearner as one round trip, and an erase as its SCANs plus one", async () => {
    const relay = await startRelay(url);
    try {
      const client = connect(relay.url);
      await client.ping();
      const store = createRedisStore(client, { prefix: `trips-${randomUUID()}` });
      const key = { tenant: "guild:{42}", learner: "ana" };
      const first = (await store.beginTurn(key, { eventId: "e1" })) as Turn;
      await first.commit({ model: "m", session: "s", attempts: ["a"] });

      let counted = store.roundTrips();
      let sent = relay.exchanges();
      expect(await store.readLearner(key)).toEqual({ model: "m", session: "s" });
      expect([store.roundTrips() - counted, relay.exchanges() - sent]).toEqual([1, 1]);

      const turn = (await store.beginTurn(key)) as Turn;
      counted = store.roundTrips();
      sent = relay.exchanges();
      await turn.erase();
      const trips = store.roundTrips() - counted;
      expect(relay.exchanges() - sent).toBe(trips);
      expect(trips).toBeGreaterThanOrEqual(2); // a SCAN (one page here, small database) and the script
      expect(await store.readLearner(key)).toEqual({});
    } finally {
      await relay.close();
    }
  });
});

interface Relay {
  readonly url: string;
  /** Requests that went out after the previous answer came back: round trips on the wire. */
  exchanges(): number;
  close(): Promise<void>;
}

/** A TCP relay in front of the real Redis that counts round trips as the network sees them. */
async function startRelay(target: string): Promise<Relay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let exchanges = 0;
  const server = createServer((inbound) => {
    const outbound = tcpConnect(Number(port), hostname);
    let isAwaitingAnswer = false;
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on("error", () => {}); // a reset while closing is expected
      socket.on("close", () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.on("data", (data) => {
      if (!isAwaitingAnswer) exchanges++;
      isAwaitingAnswer = true;
      outbound.write(data);
    });
    outbound.on("data", (data) => {
      isAwaitingAnswer = false;
      inbound.write(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the relay has no port");
  return {
    url: `redis://127.0.0.1:${address.port}`,
    exchanges: () => exchanges,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("redis store shared data", () => {
  it("costs one round trip a call, as counted and on the wire", async () => {
    const relay = await startRelay(url);
    try {
      const client = connect(relay.url);
      await client.ping(); // the connection's own handshake is done before counting
      const store = createRedisStore(client, { prefix: `trips-${randomUUID()}` });
      const key = { tenant: "guild:{42}", name: "odd name" };
      const calls: [string, () => Promise<unknown>][] = [
        ["getCached (absent)", () => store.getCached(key)],
        ["setCached", () => store.setCached(key, "v", 60_000)],
        ["getCached", () => store.getCached(key)],
        ["readCounter (absent)", () => store.readCounter(key)],
        ["addToCounter (new)", () => store.addToCounter(key, 5, 60_000)],
        ["addToCounter", () => store.addToCounter(key, 5, 60_000)],
        ["readCounter", () => store.readCounter(key)],
        ["appendToList", () => store.appendToList(key, "a", 2)],
        ["appendToList (trims)", () => store.appendToList(key, "b", 1)],
        ["readList", () => store.readList(key)],
        ["readRecords (absent)", () => store.readRecords(key)],
        ["putRecord", () => store.putRecord(key, "f", "v")],
        ["putRecord (another field)", () => store.putRecord(key, "g", "w")],
        ["deleteRecord", () => store.deleteRecord(key, "g")],
        ["readRecords", () => store.readRecords(key)],
        ["deleteShared", () => store.deleteShared(key)],
        ["deleteShared (absent)", () => store.deleteShared(key)],
      ];
      for (const [name, call] of calls) {
        const counted = store.roundTrips();
        const sent = relay.exchanges();
        await call();
        expect({
          name,
          counted: store.roundTrips() - counted,
          sent: relay.exchanges() - sent,
        }).toEqual({ name, counted: 1, sent: 1 });
      }
      expect(await store.readList(key)).toEqual([]);
      expect(await store.readRecords(key)).toEqual({});
    } finally {
      await relay.close();
    }
  });

  it("keeps a tenant's shared keys under one pattern, with expiries set as promised", async () => {
    const client = connect();
    const prefix = `shared-layout-${randomUUID()}`;
    const store = createRedisStore(client, { prefix });
    const key = { tenant: "guild:{42}", name: "odd name:é" };
    await store.setCached(key, "v", 60_000);
    await store.addToCounter(key, 1, 60_000);
    await store.addToCounter(key, 1, 600_000); // does not extend the counter's expiry
    await store.appendToList(key, "a", 10);
    await store.putRecord(key, "field", "value");
    await store.setCached({ tenant: "guild:{43}", name: key.name }, "other tenant", 60_000);

    const base = `${prefix}:t:guild%3A%7B42%7D`;
    const name = "odd%20name%3A%C3%A9";
    expect((await client.keys(`${base}:*`)).sort()).toEqual(
      [
        `${base}:cache:${name}`,
        `${base}:counter:${name}`,
        `${base}:list:${name}`,
        `${base}:records:${name}`,
      ].sort(),
    );
    expect(await client.hgetall(`${base}:records:${name}`)).toEqual({ field: "value" });
    expect(await client.pttl(`${base}:cache:${name}`)).toBeGreaterThan(0);
    const counterTtlMs = await client.pttl(`${base}:counter:${name}`);
    expect(counterTtlMs).toBeGreaterThan(0);
    expect(counterTtlMs).toBeLessThanOrEqual(60_000);
    expect(await client.pttl(`${base}:list:${name}`)).toBe(-1); // lists are trimmed, not expired
    expect(await client.pttl(`${base}:records:${name}`)).toBe(-1); // record sets never expire

    await store.deleteShared(key);
    expect(await client.keys(`${base}:*`)).toEqual([]);
    expect(await client.keys(`${prefix}:t:guild%3A%7B43%7D:*`)).toHaveLength(1);
  });
});
