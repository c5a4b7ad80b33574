import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

describe("configuration", () => {
  it("runs without an LLM by default", () => {
    const config = loadConfig({});
    expect(config.llm).toBeUndefined();
    expect(config.store).toBe("memory");
  });

  it("turns the LLM on with an OpenAI key, moderation included", () => {
    const config = loadConfig({ OPENAI_API_KEY: "sk-test" });
    expect(config.llm).toEqual({
      apiKey: "sk-test",
      model: "gpt-4.1-mini",
      timeoutMs: 12_000,
      maxOutputTokens: 600,
      dailyTokensPerLearner: 40_000,
      dailyTokensPerTenant: 2_000_000,
      moderation: true,
      structuredOutput: "json_schema",
    });
  });

  it("turns the LLM on for a local server without a key, moderation off", () => {
    const config = loadConfig({
      OPENAI_BASE_URL: "http://127.0.0.1:11434/v1",
      LLM_MODEL: "llama3.1:8b",
      LLM_TIMEOUT_SECONDS: "20",
      LLM_STRUCTURED_OUTPUT: "json_mode",
    });
    expect(config.llm).toMatchObject({
      baseUrl: "http://127.0.0.1:11434/v1",
      model: "llama3.1:8b",
      timeoutMs: 20_000,
      moderation: false,
      structuredOutput: "json_mode",
    });
    expect(config.llm).not.toHaveProperty("apiKey");
    expect(
      loadConfig({ OPENAI_BASE_URL: "http://127.0.0.1:8000/v1", LLM_MODERATION: "on" }).llm,
    ).toMatchObject({ moderation: true });
  });

  it("names each bad LLM variable", () => {
    expect(() =>
      loadConfig({
        OPENAI_BASE_URL: "ftp://example",
        LLM_TIMEOUT_SECONDS: "soon",
        LLM_MODERATION: "maybe",
      }),
    ).toThrow(/OPENAI_BASE_URL: .*\n.*LLM_TIMEOUT_SECONDS: .*\n.*LLM_MODERATION/);
  });

  it("keeps the LLM's time under the turn's hold on the learner", () => {
    expect(() => loadConfig({ OPENAI_API_KEY: "k", LLM_TIMEOUT_SECONDS: "28" })).toThrow(
      /LLM_TIMEOUT_SECONDS: must be at least 5 seconds shorter than TURN_LOCK_SECONDS \(30\)/,
    );
  });

  it("reads a single-workspace Slack app over HTTP or Socket Mode", () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s" }).slack).toEqual({
      botToken: "xoxb-1",
      signingSecret: "s",
      teacherIds: [],
    });
    expect(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" }).slack).toEqual({
      botToken: "xoxb-1",
      appToken: "xapp-1",
      teacherIds: [],
    });
    expect(
      loadConfig({
        SLACK_BOT_TOKEN: "xoxb-1",
        SLACK_SIGNING_SECRET: "s",
        SLACK_API_URL: "http://127.0.0.1:9/api",
      }).slack?.apiUrl,
    ).toBe("http://127.0.0.1:9/api/");
    expect(loadConfig({}).slack).toBeUndefined();
  });

  it("reads a multi-workspace Slack app (OAuth)", () => {
    const config = loadConfig({
      SLACK_CLIENT_ID: "1.2",
      SLACK_CLIENT_SECRET: "c",
      SLACK_STATE_SECRET: "st",
      SLACK_SIGNING_SECRET: "s",
    });
    expect(config.slack).toEqual({
      signingSecret: "s",
      oauth: { clientId: "1.2", clientSecret: "c", stateSecret: "st" },
      teacherIds: [],
    });
  });

  it("says precisely which Slack settings are missing or wrong", () => {
    expect(() => loadConfig({ SLACK_BOT_TOKEN: "xoxb-1" })).toThrow(
      /SLACK_SIGNING_SECRET: required in HTTP mode .*or set SLACK_APP_TOKEN for Socket Mode/,
    );
    expect(() => loadConfig({ SLACK_SIGNING_SECRET: "s" })).toThrow(/SLACK_BOT_TOKEN: required/);
    expect(() => loadConfig({ SLACK_CLIENT_ID: "1.2", SLACK_SIGNING_SECRET: "s" })).toThrow(
      /OAuth installs need all three/,
    );
    expect(() => loadConfig({ SLACK_BOT_TOKEN: "xoxp-user", SLACK_SIGNING_SECRET: "s" })).toThrow(
      /SLACK_BOT_TOKEN: must start with xoxb-/,
    );
  });

  it("reads a Discord bot, privileged intents off unless the operator enables them", () => {
    const config = loadConfig({
      DISCORD_TOKEN: "x".repeat(30),
      DISCORD_APPLICATION_ID: "123456789012345678",
      DISCORD_API_URL: "http://127.0.0.1:9/api/",
    });
    expect(config.discord).toEqual({
      token: "x".repeat(30),
      applicationId: "123456789012345678",
      apiUrl: "http://127.0.0.1:9/api",
      hasMessageContent: false,
      hasServerMembers: false,
    });
    expect(
      loadConfig({
        DISCORD_TOKEN: "x".repeat(30),
        DISCORD_APPLICATION_ID: "123456789012345678",
        DISCORD_MESSAGE_CONTENT: "true",
        DISCORD_SERVER_MEMBERS: "true",
      }).discord,
    ).toMatchObject({ hasMessageContent: true, hasServerMembers: true });
    expect(() =>
      loadConfig({
        DISCORD_TOKEN: "x".repeat(30),
        DISCORD_APPLICATION_ID: "123456789012345678",
        DISCORD_SERVER_MEMBERS: "yes",
      }),
    ).toThrow(/DISCORD_SERVER_MEMBERS: must be true or false/);
    expect(() => loadConfig({ DISCORD_TOKEN: "x".repeat(30) })).toThrow(/Discord needs both/);
    expect(() =>
      loadConfig({ DISCORD_TOKEN: "x".repeat(30), DISCORD_APPLICATION_ID: "my-app" }),
    ).toThrow(/DISCORD_APPLICATION_ID: must be the numeric application id/);
  });
});
