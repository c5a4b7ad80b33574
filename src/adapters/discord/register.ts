import { REST, Routes } from "discord.js";
import type { DiscordConfig } from "../../config.ts";
import type { Course } from "../../content/index.ts";
import { commandDefinitions } from "./commands.ts";

/**
 * Registers /tutor and /hint: for one server (instant, for development) or globally (for
 * production; Discord may take a while to show changes everywhere). Returns how many commands
 * Discord now has.
 */
export async function registerDiscordCommands(
  config: DiscordConfig,
  courses: readonly Course[],
  guildId?: string,
): Promise<number> {
  const rest = new REST({
    version: "10",
    ...(config.apiUrl ? { api: config.apiUrl } : {}),
  }).setToken(config.token);
  const route = guildId
    ? Routes.applicationGuildCommands(config.applicationId, guildId)
    : Routes.applicationCommands(config.applicationId);
  const registered = (await rest.put(route, { body: commandDefinitions(courses) })) as unknown[];
  return registered.length;
}
