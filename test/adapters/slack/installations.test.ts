import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createInstallationStore } from "../../../src/adapters/slack/index.ts";
import {
  createMemoryKeyValueStore,
  createRedisKeyValueStore,
  type KeyValueStore,
} from "../../../src/store/index.ts";

const client = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 2 });
afterAll(async () => {
  await client.quit();
});

const teamInstall = {
  team: { id: "T0TEAM", name: "School" },
  enterprise: undefined,
  user: { id: "U0ADMIN", token: undefined, scopes: undefined },
  bot: { id: "B0BOT", userId: "U0BOT", token: "xoxb-team", scopes: ["chat:write"] },
  isEnterpriseInstall: false,
  authVersion: "v2" as const,
};
const orgInstall = {
  ...teamInstall,
  team: undefined,
  enterprise: { id: "E0ORG", name: "District" },
  bot: { ...teamInstall.bot, token: "xoxb-org" },
  isEnterpriseInstall: true,
};

describe.each([
  ["memory", () => createMemoryKeyValueStore()],
  ["redis", () => createRedisKeyValueStore(client, `test-${randomUUID()}`)],
] as const)("Slack installations in the %s store", (_name, makeStore: () => KeyValueStore) => {
  it("keeps one installation per workspace and one per Enterprise Grid org", async () => {
    const installations = createInstallationStore(makeStore());
    await installations.storeInstallation(teamInstall);
    await installations.storeInstallation(orgInstall);
    const team = await installations.fetchInstallation({
      teamId: "T0TEAM",
      enterpriseId: undefined,
      isEnterpriseInstall: false,
    });
    expect(team.bot?.token).toBe("xoxb-team");
    const org = await installations.fetchInstallation({
      teamId: "T0ANY",
      enterpriseId: "E0ORG",
      isEnterpriseInstall: true,
    });
    expect(org.bot?.token).toBe("xoxb-org");
  });

  it("says clearly that a workspace has not installed Socra, and forgets an uninstalled one", async () => {
    const installations = createInstallationStore(makeStore());
    const query = { teamId: "T0TEAM", enterpriseId: undefined, isEnterpriseInstall: false };
    await expect(installations.fetchInstallation(query)).rejects.toMatchObject({
      code: "no_installation",
    });
    await installations.storeInstallation(teamInstall);
    await installations.deleteInstallation?.(query);
    await expect(installations.fetchInstallation(query)).rejects.toMatchObject({
      code: "no_installation",
    });
  });
});
