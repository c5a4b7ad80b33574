import type { Installation, InstallationQuery, InstallationStore } from "@slack/bolt";
import { SocraError } from "../../engine/index.ts";
import type { KeyValueStore } from "../../store/index.ts";

/**
 * Slack OAuth installations in the store, one per workspace (or per Enterprise Grid org for
 * org-wide installs), so every worker process can authorize every workspace.
 */
export function createInstallationStore(store: KeyValueStore): InstallationStore {
  const keyOf = (isEnterprise: boolean, enterpriseId?: string, teamId?: string): string => {
    const id = isEnterprise ? enterpriseId : teamId;
    if (!id)
      throw new SocraError(
        "bad_installation",
        "A Slack installation without a team or enterprise id",
      );
    return `slack:installation:${isEnterprise ? "enterprise" : "team"}:${id}`;
  };
  const queryKey = (query: InstallationQuery<boolean>) =>
    keyOf(query.isEnterpriseInstall, query.enterpriseId, query.teamId);
  return {
    async storeInstallation(installation) {
      const key = keyOf(
        installation.isEnterpriseInstall === true,
        installation.enterprise?.id,
        installation.team?.id,
      );
      await store.set(key, JSON.stringify(installation));
    },
    async fetchInstallation(query) {
      const json = await store.get(queryKey(query));
      if (json === undefined)
        throw new SocraError("no_installation", "Socra is not installed in this Slack workspace");
      return JSON.parse(json) as Installation<"v1" | "v2", boolean>;
    },
    async deleteInstallation(query) {
      await store.delete(queryKey(query));
    },
  };
}
