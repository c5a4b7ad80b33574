import { type ChildProcess, spawn } from "node:child_process";
import { Socket } from "node:net";
import type { TestProject } from "vitest/node";
import { freePort } from "../free-port.ts";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

async function waitForRedis(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const isUp = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once("error", () => resolve(false));
      socket.connect(port, "127.0.0.1", () => {
        socket.write("PING\r\n");
        socket.once("data", (data) => {
          socket.destroy();
          resolve(data.toString().startsWith("+PONG"));
        });
      });
    });
    if (isUp) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not answer on port ${port} within ${timeoutMs} ms`);
}

/**
 * Starts a private redis-server on a free port for the Redis tests (or uses
 * SOCRA_TEST_REDIS_URL). Without Redis the run fails: the Redis suites are never skipped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.SOCRA_TEST_REDIS_URL;
  if (given) {
    project.provide("redisUrl", given);
    return async () => {};
  }
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once("error", (error) =>
      reject(
        new Error(
          `Cannot start redis-server (${error.message}). Install it (apt-get install redis-server) or set SOCRA_TEST_REDIS_URL.`,
        ),
      ),
    ),
  );
  await Promise.race([waitForRedis(port, child, 15_000), spawnError]);
  project.provide("redisUrl", `redis://127.0.0.1:${port}`);
  return async () => {
    child.kill("SIGTERM");
  };
}
