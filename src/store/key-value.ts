import type { Redis } from "ioredis";

/** Durable records by key (platform installations): no expiry, one round trip per call. */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
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
  };
}
