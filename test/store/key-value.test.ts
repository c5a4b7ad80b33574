import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import {
  createMemoryKeyValueStore,
  createRedisKeyValueStore,
  type KeyValueStore,
} from "../../src/store/index.ts";

const client = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 2 });

afterAll(async () => {
  await client.quit();
});

describe.each([
  ["memory", () => createMemoryKeyValueStore()],
  ["redis", () => createRedisKeyValueStore(client, `test-${randomUUID()}`)],
] as const)("the %s key-value store", (_name, makeStore: () => KeyValueStore) => {
  const setAll = async (store: KeyValueStore, keys: readonly string[]) => {
    for (const key of keys) await store.set(key, `value of ${key}`);
  };
  const present = async (store: KeyValueStore, keys: readonly string[]) => {
    const kept: string[] = [];
    for (const key of keys) if ((await store.get(key)) !== undefined) kept.push(key);
    return kept;
  };

  it("gets, sets and deletes a value", async () => {
    const store = makeStore();
    expect(await store.get("k")).toBeUndefined();
    await store.set("k", "v ☕");
    expect(await store.get("k")).toBe("v ☕");
    await store.delete("k");
    expect(await store.get("k")).toBeUndefined();
  });

  it("deletes every key that starts with a prefix, and counts them", async () => {
    const store = makeStore();
    const keys = [
      "discord:user:1:interests",
      "discord:user:1:language",
      "discord:user:1:", // the prefix itself is a key that starts with it
      "discord:user:12:language",
      "discord:user:1",
      "discord:user:2:language",
      "slack:user:1:language",
      "xdiscord:user:1:language",
    ];
    await setAll(store, keys);
    expect(await store.deleteByPrefix("discord:user:1:")).toBe(3);
    expect(await present(store, keys)).toEqual([
      "discord:user:12:language",
      "discord:user:1",
      "discord:user:2:language",
      "slack:user:1:language",
      "xdiscord:user:1:language",
    ]);
    expect(await store.deleteByPrefix("discord:user:1:")).toBe(0);
    expect(await store.deleteByPrefix("nothing here")).toBe(0);
  });

  it("lists every key that starts with a prefix, with its value", async () => {
    const store = makeStore();
    await setAll(store, [
      "discord:user:1:thread:10",
      "discord:user:1:thread:11",
      "discord:user:1:home",
      "discord:user:12:thread:10",
      "u:é 名前 🧠:thread:*",
    ]);
    const sorted = (entries: [string, string][]) => entries.sort(([a], [b]) => a.localeCompare(b));
    expect(sorted(await store.entriesByPrefix("discord:user:1:thread:"))).toEqual([
      ["discord:user:1:thread:10", "value of discord:user:1:thread:10"],
      ["discord:user:1:thread:11", "value of discord:user:1:thread:11"],
    ]);
    expect(await store.entriesByPrefix("u:é 名前 🧠:thread:*")).toEqual([
      ["u:é 名前 🧠:thread:*", "value of u:é 名前 🧠:thread:*"],
    ]);
    expect(await store.entriesByPrefix("nothing here")).toEqual([]);
    await expect(store.entriesByPrefix("\ud83e")).rejects.toMatchObject({ code: "bad_input" });
  });

  it("takes glob characters in a prefix literally", async () => {
    const store = makeStore();
    const keys = [
      "u:*:a",
      "u:1:a",
      "u:?:a",
      "u:[1]:a",
      "u:1]:a",
      "u:\\:a",
      "u:\\*:a",
      "u:a*b:a",
      "u:axb:a",
      "u:é 名前 🧠:a",
      "u:é:a",
    ];
    await setAll(store, keys);
    const deletions: [string, string[]][] = [
      ["u:*", ["u:*:a"]],
      ["u:?", ["u:?:a"]],
      ["u:[1]", ["u:[1]:a"]],
      ["u:\\*", ["u:\\*:a"]],
      ["u:\\", ["u:\\:a"]],
      ["u:a*", ["u:a*b:a"]],
      ["u:é 名", ["u:é 名前 🧠:a"]],
    ];
    let left = [...keys];
    for (const [prefix, gone] of deletions) {
      expect({ prefix, deleted: await store.deleteByPrefix(prefix) }).toEqual({
        prefix,
        deleted: gone.length,
      });
      left = left.filter((key) => !gone.includes(key));
      expect(await present(store, keys)).toEqual(left);
    }
    expect(left).toEqual(["u:1:a", "u:1]:a", "u:axb:a", "u:é:a"]);
  });

  it("deletes every key for an empty prefix, past a page of results", async () => {
    const store = makeStore();
    const keys = Array.from({ length: 2500 }, (_, k) => `key ${k}`);
    await Promise.all(keys.map((key) => store.set(key, "v")));
    expect(await store.deleteByPrefix("")).toBe(keys.length);
    expect(await present(store, ["key 0", "key 2499"])).toEqual([]);
  });

  it("rejects a prefix that is not well-formed text", async () => {
    const store = makeStore();
    await store.set("🧠 a", "v");
    await expect(store.deleteByPrefix("\ud83e")).rejects.toMatchObject({ code: "bad_input" });
    expect(await store.get("🧠 a")).toBe("v");
  });
});

describe("the redis key-value store's deleteByPrefix", () => {
  it("stays within its own deployment prefix, even one with glob characters", async () => {
    const id = randomUUID();
    const globbed = createRedisKeyValueStore(client, `kv-*-${id}`);
    const neighbour = createRedisKeyValueStore(client, `kv-x-${id}`);
    await globbed.set("user:1:a", "mine");
    await neighbour.set("user:1:a", "theirs");
    expect(await globbed.deleteByPrefix("user:")).toBe(1);
    expect(await globbed.get("user:1:a")).toBeUndefined();
    expect(await neighbour.get("user:1:a")).toBe("theirs");
  });
});
