import { createMemoryStore } from "../../src/store/index.ts";
import { describeStoreContract } from "./contract.ts";

describeStoreContract("memory", async (options) => {
  let now = Date.UTC(2026, 0, 1);
  const store = createMemoryStore({ ...options, clock: { now: () => now } });
  return {
    store,
    other: store,
    advance: async (ms) => {
      now += ms;
    },
    close: () => store.close(),
  };
});
