import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A private redis-server for the Redis suites (they are never skipped).
    globalSetup: ["test/setup/redis.ts"],
    // A slow, busy 2-core CI machine: generous timeouts, no timing assertions in tests.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
