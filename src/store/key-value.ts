import type { Redis } from "ioredis";
import { StoreError } from "./options.ts";
import { keysStartingWith, scanKeys } from "./redis.ts";

/**
 * Durable records by key (platform installations, per-user settings): no expiry, one round trip
 * per call except the prefix scans.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Deletes every key that starts with `prefix` (`discord:user:${id}:` forgets a user); returns
   * how many it deleted. Not atomic: a key set meanwhile may survive.
   */
  deleteByPrefix(prefix: string): Promise<number>;
  /** Every key that starts with `prefix`, with its value, in no particular order. */
  entriesByPrefix(prefix: string): Promise<[key: string, value: string][]>;
}

/** A prefix that Redis could not keep as the memory store does is refused in both. */
function checkPrefix(prefix: string): void {
  if (!prefix.isWellFormed())
    throw new StoreError("bad_input", "A key prefix must be well-formed text");
}

export function createMemoryKeyValueStore(): KeyValueStore {
  const values = new Map<string, string>();
  return {
    get: async (key) => values.get(key),
    set: async (key, value) => {
      values.set(key, value);
    },
    delete: async (key) => {
      values.delete(key);
    },
    deleteByPrefix: async (prefix) => {
      checkPrefix(prefix);
      let deleted = 0;
      for (const key of values.keys()) {
        if (key.startsWith(prefix) && values.delete(key)) deleted++;
      }
      return deleted;
    },
    entriesByPrefix: async (prefix) => {
      checkPrefix(prefix);
      return [...values].filter(([key]) => key.startsWith(prefix));
    },
  };
}

/** Keys live under `${prefix}:kv:` so they never collide with learners or tenants' shared data. */
export function createRedisKeyValueStore(client: Redis, prefix = "socra"): KeyValueStore {
  const keyOf = (key: string) => `${prefix}:kv:${encodeURIComponent(key)}`;
  return {
    get: async (key) => (await client.get(keyOf(key))) ?? undefined,
    set: async (key, value) => {
      await client.set(keyOf(key), value);
    },
    delete: async (key) => {
      await client.del(keyOf(key));
    },
    deleteByPrefix: async (keyPrefix) => {
      checkPrefix(keyPrefix);
      // encodeURIComponent encodes character by character, so encoded keys start with the
      // encoded prefix exactly when the keys start with the prefix.
      let deleted = 0;
      for await (const page of scanKeys(client, keysStartingWith(keyOf(keyPrefix)))) {
        // UNLINK counts only keys that still existed: a key SCAN returned twice counts once.
        if (page.length > 0) deleted += await client.unlink(...page);
      }
      return deleted;
    },
    entriesByPrefix: async (keyPrefix) => {
      checkPrefix(keyPrefix);
      // SCAN may return a key twice; one entry per key.
      const entries = new Map<string, string>();
      const skip = keyOf("").length;
      for await (const page of scanKeys(client, keysStartingWith(keyOf(keyPrefix)))) {
        if (page.length === 0) continue;
        const values = await client.mget(...page);
        page.forEach((key, k) => {
          const value = values[k];
          if (value !== null && value !== undefined)
            entries.set(decodeURIComponent(key.slice(skip)), value);
        });
      }
      return [...entries];
    },
  };
}
