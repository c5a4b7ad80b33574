import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createDiscordAdapter, type DiscordAdapter } from "./adapters/discord/index.ts";
import {
  createInstallationStore,
  createSlackAdapter,
  type SlackAdapter,
} from "./adapters/slack/index.ts";
import type { Config } from "./config.ts";
import { SocraError } from "./engine/index.ts";
import { type App, type AppOverrides, createApp } from "./main.ts";
import type { Metrics } from "./metrics.ts";

/** `socra serve`, running: every platform whose credentials are configured. */
export interface Server {
  readonly app: App;
  readonly slack?: SlackAdapter;
  readonly discord?: DiscordAdapter;
  close(): Promise<void>;
}

/** How long /healthz waits for the store before calling it down. */
const HEALTH_TIMEOUT_MS = 2000;

export interface ServeOverrides extends AppOverrides {
  /** How long a Discord turn may run before its interaction is deferred (tests; 1.5 s). */
  readonly discordDeferAfterMs?: number;
}

/**
 * Starts the adapters whose credentials are configured (Slack, Discord), with /healthz (the store and
 * each platform's connection) and /metrics (Prometheus text) on `PORT`.
 */
export async function serve(config: Config, overrides: ServeOverrides = {}): Promise<Server> {
  if (!config.slack && !config.discord)
    throw new SocraError(
      "no_platform",
      "socra serve needs a platform's credentials: for Slack, SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET (OAuth), with SLACK_APP_TOKEN for Socket Mode or SLACK_SIGNING_SECRET for HTTP; for Discord, DISCORD_TOKEN and DISCORD_APPLICATION_ID. The local console tutor needs none: socra chat.",
    );
  const app = await createApp(config, { ...overrides, withMetrics: true });
  let slack: SlackAdapter | undefined;
  let discord: DiscordAdapter | undefined;
  let healthServer: HttpServer | undefined;
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
        const registry = (app.metrics as Metrics).registry;
        registry.metrics().then(
          (text) => {
            response.writeHead(200, { "content-type": registry.contentType });
            response.end(text);
          },
          (error: unknown) => {
            app.logger.warn({ err: error }, "could not collect metrics");
            response.writeHead(500).end();
          },
        );
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
      ...(discord ? { discord: discord.isConnected() ? "connected" : "disconnected" } : {}),
    };
    const isHealthy = store === "ok" && Object.values(platforms).every((s) => s === "connected");
    return { isHealthy, body: { status: isHealthy ? "ok" : "degraded", store, ...platforms } };
  }

  try {
    if (config.slack) {
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
    } else {
      // Without Slack's receiver on PORT, /healthz and /metrics get a server of their own.
      healthServer = createServer((request, response) => {
        const route = routes.find((r) => r.path === request.url?.split("?")[0]);
        if (route && request.method === "GET") route.handler(request, response);
        else response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => healthServer?.listen(config.port, resolve));
    }
    if (config.discord) {
      discord = createDiscordAdapter({
        tutor: app.tutor,
        config: config.discord,
        logger: app.logger,
        keyValue: app.keyValue,
        hasLlm: app.hasLlm,
        ...(app.metrics ? { metrics: app.metrics } : {}),
        ...(overrides.discordDeferAfterMs === undefined
          ? {}
          : { deferAfterMs: overrides.discordDeferAfterMs }),
      });
      await discord.start();
    }
  } catch (error) {
    await slack?.stop().catch(() => {});
    await discord?.stop().catch(() => {});
    healthServer?.close();
    await app.close();
    throw error;
  }
  return {
    app,
    ...(slack ? { slack } : {}),
    ...(discord ? { discord } : {}),
    async close() {
      await slack?.stop();
      await discord?.stop();
      await new Promise((resolve) =>
        healthServer ? healthServer.close(resolve) : resolve(undefined),
      );
      await app.close();
    },
  };
}
