import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createRedisStore } from "../../src/store/index.ts";
import { describeStoreContract } from "./contract.ts";

const url = inject("redisUrl");
const clients: Redis[] = [];
const connect = (): Redis => {
  const client = new Redis(url, { maxRetriesPerRequest: 2 });
  clients.push(client);
  return client;
};

afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit()));
});

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
});
