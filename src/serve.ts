import type { IncomingMessage, ServerResponse } from "node:http";
import {
  createInstallationStore,
  createSlackAdapter,
  type SlackAdapter,
} from "./adapters/slack/index.ts";
import type { Config } from "./config.ts";
import { SocraError } from "./engine/index.ts";
import { type App, type AppOverrides, createApp } from "./main.ts";

/** `socra serve`, running: every platform whose credentials are configured. */
export interface Server {
  readonly app: App;
  readonly slack?: SlackAdapter;
  close(): Promise<void>;
}

/** How long /healthz waits for the store before calling it down. */
const HEALTH_TIMEOUT_MS = 2000;

/**
 * Starts the adapters whose credentials are configured (Slack now), with /healthz (the store and
 * each platform's connection) and /metrics (Prometheus text) on `PORT`.
 */
export async function serve(config: Config, overrides: AppOverrides = {}): Promise<Server> {
  if (!config.slack)
    throw new SocraError(
      "no_platform",
      "socra serve needs a platform's credentials: for Slack, SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET (OAuth), with SLACK_APP_TOKEN for Socket Mode or SLACK_SIGNING_SECRET for HTTP. The local console tutor needs none: socra chat.",
    );
  const app = await createApp(config, { ...overrides, withMetrics: true });
  let slack: SlackAdapter | undefined;
  const routes = [
    {
      path: "/healthz",
      method: ["GET"],
      handler: (_request: IncomingMessage, response: ServerResponse) => {
        void health().then(({ isHealthy, body }) => {
          response.writeHead(isHealthy ? 200 : 503, { "content-type": "application/json" });
          response.end(JSON.stringify(body));
        });
      },
    },
    {
      path: "/metrics",
      method: ["GET"],
      handler: (_request: IncomingMessage, response: ServerResponse) => {
        const registry = app.metrics?.registry;
        if (!registry) {
          response.writeHead(404).end();
          return;
        }
        void registry.metrics().then((text) => {
          response.writeHead(200, { "content-type": registry.contentType });
          response.end(text);
        });
      },
    },
  ];

  async function health() {
    const store = await Promise.race([
      app.store.readCounter({ tenant: "_health", name: "ping" }).then(
        () => "ok",
        () => "down",
      ),
      new Promise<string>((resolve) => setTimeout(resolve, HEALTH_TIMEOUT_MS, "timeout").unref()),
    ]);
    const platforms = {
      ...(slack ? { slack: slack.isConnected() ? "connected" : "disconnected" } : {}),
    };
    const isHealthy = store === "ok" && Object.values(platforms).every((s) => s === "connected");
    return { isHealthy, body: { status: isHealthy ? "ok" : "degraded", store, ...platforms } };
  }

  try {
    slack = createSlackAdapter({
      tutor: app.tutor,
      config: config.slack,
      port: config.port,
      logger: app.logger,
      routes,
      hasLlm: app.hasLlm,
      ...(app.metrics ? { metrics: app.metrics } : {}),
      ...(config.slack.oauth ? { installationStore: createInstallationStore(app.keyValue) } : {}),
    });
    await slack.start();
  } catch (error) {
    await app.close();
    throw error;
  }
  return {
    app,
    slack,
    async close() {
      await slack?.stop();
      await app.close();
    },
  };
}
