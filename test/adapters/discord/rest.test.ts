// Slack's socket mode brings a newer undici, which takes over undici's global dispatcher when
// loaded (as `socra serve` always loads it): the condition discord.js uploads failed under.
import "@slack/bolt";
import { REST, Routes } from "discord.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDiscordRequest } from "../../../src/adapters/discord/rest.ts";
import { type FakeDiscord, startFakeDiscord } from "./fake-discord.ts";
import { DISCORD_IDS } from "./payloads.ts";

const TOKEN = "fake.discord.rest-token";
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

describe("Discord uploads next to a newer undici", () => {
  let fake: FakeDiscord;
  beforeAll(async () => {
    fake = await startFakeDiscord({ token: TOKEN });
  });
  afterAll(async () => {
    await fake.close();
  });

  const upload = (rest: REST) =>
    rest.post(Routes.channelMessages(DISCORD_IDS.textChannelId), {
      body: { content: "Your report", attachments: [{ id: 0, description: "Heat map" }] },
      files: [{ name: "report.png", data: PNG, contentType: "image/png" }],
    });

  it("sends files as multipart/form-data, byte for byte", async () => {
    const rest = new REST({ api: fake.restUrl, makeRequest: makeDiscordRequest }).setToken(TOKEN);
    await upload(rest);
    const [request] = fake.requestsTo("POST", /^\/channels\/\d+\/messages$/);
    expect(request?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(request?.body).toMatchObject({ content: "Your report" });
    expect(request?.uploads).toEqual([
      { field: "files[0]", filename: "report.png", contentType: "image/png", data: PNG },
    ]);
    expect(request?.headers.authorization).toBe(`Bot ${TOKEN}`);
  });

  it("is needed: @discordjs/rest's own request fails there (nodejs/undici#5520)", async () => {
    // When this starts passing, discord.js and undici agree again and makeDiscordRequest can go.
    const rest = new REST({ api: fake.restUrl, retries: 0 }).setToken(TOKEN);
    await expect(upload(rest)).rejects.toThrow(/FormData/);
  });

  it("leaves requests without files as they were", async () => {
    const rest = new REST({ api: fake.restUrl, makeRequest: makeDiscordRequest }).setToken(TOKEN);
    const sent = (await rest.post(Routes.channelMessages(DISCORD_IDS.textChannelId), {
      body: { content: "Plain" },
    })) as { content: string };
    expect(sent.content).toBe("Plain");
    expect(fake.requestsTo("POST", /messages$/).at(-1)?.headers["content-type"]).toBe(
      "application/json",
    );
  });
});
