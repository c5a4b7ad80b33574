import type { webApi } from "@slack/bolt";
import type { SlackConfig } from "../../config.ts";
import { SocraError } from "../../engine/index.ts";
import type {
  ClassroomPlatform,
  Logger,
  Notice,
  Sender,
  TeacherTarget,
} from "../../tutor/index.ts";
import { noticeMessage } from "./blocks.ts";

type WebClient = webApi.WebClient;

/*
 * What Socra asks Slack about people, for teachers: who is a teacher, who is in a channel or a
 * user group, a name and a time zone for a report; and the DMs it sends them outside any
 * conversation (assignments, reminders). Everything is asked on the server, with the workspace's
 * own bot token.
 */

/** How to call Slack for one workspace. */
export interface WorkspaceApi {
  readonly client: WebClient;
  /** The installation's bot token (OAuth), sent with each call; absent: the client's own token. */
  readonly token?: string;
  /** The app's own bot user in the workspace, when the installation says. */
  readonly botUserId?: string;
}

export interface SlackClassroomOptions {
  readonly config: Pick<SlackConfig, "teacherIds" | "teacherGroup">;
  /** The Web API for a tenant (a team id, or an enterprise id for org-wide installs). */
  readonly apiFor: (tenant: string) => Promise<WorkspaceApi>;
  readonly logger: Logger;
  /**
   * How long an answer about a user or a user group is reused: a teacher check made a moment ago
   * is not asked again within one command, yet a change (an admin removed, a member left the
   * group) counts within seconds.
   */
  readonly cacheTtlMs?: number;
  /** users.info lookups in flight at once while reading a channel's members. */
  readonly lookupConcurrency?: number;
  /** Conversation members asked for per page (Slack allows up to 1000). */
  readonly membersPageSize?: number;
  /** Milliseconds since the epoch, for the cache. */
  readonly now?: () => number;
}

export const DEFAULT_SLACK_CLASSROOM = {
  cacheTtlMs: 5000,
  lookupConcurrency: 8,
  membersPageSize: 200,
  now: () => Date.now(),
} as const satisfies Required<Omit<SlackClassroomOptions, "config" | "apiFor" | "logger">>;

/** Slack's side of the classroom: the tutor's port, plus the teacher check and the DM. */
export interface SlackClassroom extends ClassroomPlatform {
  /**
   * Whether `user` may use teacher commands in `tenant`: a configured teacher id, a workspace
   * admin or owner, or a member of the configured user group; with their time zone. A Slack
   * error counts as "not a teacher" (logged), never as a throw.
   */
  senderOf(tenant: string, user: string): Promise<Sender>;
  /** The DM channel between the bot and `user` (conversations.open). */
  dmOf(tenant: string, user: string): Promise<string>;
}

/** The fields of Slack's user object read here. */
interface SlackUser {
  readonly id?: string;
  readonly team_id?: string;
  readonly name?: string;
  readonly real_name?: string;
  readonly deleted?: boolean;
  readonly is_bot?: boolean;
  readonly is_admin?: boolean;
  readonly is_owner?: boolean;
  readonly is_primary_owner?: boolean;
  readonly tz?: string;
  readonly profile?: { readonly display_name?: string; readonly real_name?: string };
  readonly enterprise_user?: { readonly enterprise_id?: string; readonly teams?: string[] };
}

/** Web API errors meaning "no such user, channel or group here" (not a failure to retry). */
const NOT_FOUND = new Set([
  "user_not_found",
  "users_not_found",
  "channel_not_found",
  "no_such_subteam",
  "subteam_not_found",
]);

/** Builds Slack's classroom over the Web API of each workspace. */
export function createSlackClassroom(options: SlackClassroomOptions): SlackClassroom {
  const { config, apiFor } = options;
  const { cacheTtlMs, lookupConcurrency, membersPageSize, now } = {
    ...DEFAULT_SLACK_CLASSROOM,
    ...options,
  };
  const log = options.logger.child({ module: "slack-classroom" });
  const users = createTtlCache<SlackUser | undefined>(cacheTtlMs, now);
  const groups = createTtlCache<readonly string[] | undefined>(cacheTtlMs, now);
  const botUsers = new Map<string, Promise<string | undefined>>();

  /** users.info; undefined when Slack does not know the user. */
  function userOf(tenant: string, user: string): Promise<SlackUser | undefined> {
    return users.get(`${tenant}/${user}`, async () => {
      const { client, token } = await apiFor(tenant);
      try {
        const result = await client.users.info({ user, ...(token ? { token } : {}) });
        return result.user as SlackUser | undefined;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw slackError("users.info", error);
      }
    });
  }

  /** usergroups.users.list; undefined when there is no such group. */
  function groupMembers(tenant: string, group: string): Promise<readonly string[] | undefined> {
    return groups.get(`${tenant}/${group}`, async () => {
      const { client, token } = await apiFor(tenant);
      try {
        const result = await client.usergroups.users.list({
          usergroup: group,
          ...(token ? { token } : {}),
        });
        return result.users ?? [];
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw slackError("usergroups.users.list", error);
      }
    });
  }

  /** conversations.members, every page; undefined when the bot cannot see the channel. */
  async function channelMembers(tenant: string, channel: string): Promise<string[] | undefined> {
    const { client, token } = await apiFor(tenant);
    const members: string[] = [];
    let cursor: string | undefined;
    do {
      try {
        const page = await client.conversations.members({
          channel,
          limit: membersPageSize,
          ...(cursor ? { cursor } : {}),
          ...(token ? { token } : {}),
        });
        members.push(...(page.members ?? []));
        cursor = page.response_metadata?.next_cursor || undefined;
      } catch (error) {
        if (isNotFound(error) || codeOf(error) === "not_in_channel") return undefined;
        throw slackError("conversations.members", error);
      }
    } while (cursor);
    return members;
  }

  /** The app's own bot user: from the installation, else auth.test (asked once per tenant). */
  async function botUserOf(tenant: string): Promise<string | undefined> {
    const api = await apiFor(tenant);
    if (api.botUserId) return api.botUserId;
    let pending = botUsers.get(tenant);
    if (!pending) {
      pending = api.client.auth
        .test(api.token ? { token: api.token } : {})
        .then((result) => result.user_id);
      botUsers.set(tenant, pending);
      pending.catch(() => botUsers.delete(tenant));
    }
    return pending;
  }

  /** Members of the teachers' user group (none when there is none, or it cannot be read). */
  async function teachersGroup(tenant: string): Promise<readonly string[]> {
    if (!config.teacherGroup) return [];
    try {
      return (await groupMembers(tenant, config.teacherGroup)) ?? [];
    } catch (error) {
      log.warn({ err: error, tenant }, "could not read the teachers' user group");
      return [];
    }
  }

  /**
   * The learners among `ids`: people known to Slack, not bots (the app's own included), not
   * deleted, and not teachers.
   */
  async function learnersAmong(tenant: string, ids: readonly string[]): Promise<string[]> {
    const bot = await botUserOf(tenant).catch(() => undefined);
    const unique = [...new Set(ids)].filter((id) => id !== bot && !config.teacherIds.includes(id));
    const teachers = new Set(await teachersGroup(tenant));
    const kept = await mapLimited(unique, lookupConcurrency, async (id) => {
      const user = await userOf(tenant, id);
      return user && isPerson(user) && !isAdminHere(user, tenant) && !teachers.has(id)
        ? id
        : undefined;
    });
    return kept.filter((id): id is string => id !== undefined);
  }

  async function dmOf(tenant: string, user: string): Promise<string> {
    const { client, token } = await apiFor(tenant);
    const opened = await client.conversations.open({ users: user, ...(token ? { token } : {}) });
    const channel = opened.channel?.id;
    if (!channel) throw new SocraError("slack_no_dm", "Slack opened no DM with the user");
    return channel;
  }

  return {
    async senderOf(tenant, user) {
      const isConfigured = config.teacherIds.includes(user);
      let info: SlackUser | undefined;
      try {
        info = await userOf(tenant, user);
      } catch (error) {
        log.warn({ err: error, tenant }, "could not read a user for the teacher check");
      }
      const isAdmin = info !== undefined && isAdminHere(info, tenant);
      const isInGroup =
        !isConfigured &&
        !isAdmin &&
        (!info || isPerson(info)) &&
        (await teachersGroup(tenant)).includes(user);
      return {
        isTeacher: isConfigured || isAdmin || isInGroup,
        ...(info?.tz ? { timeZone: info.tz } : {}),
      };
    },

    async membersOf(tenant, target: TeacherTarget) {
      switch (target.kind) {
        case "user": {
          if (!/^[UW][A-Z0-9]+$/.test(target.id)) return undefined;
          const user = await userOf(tenant, target.id);
          if (!user) return undefined;
          return isPerson(user) && target.id !== (await botUserOf(tenant).catch(() => undefined))
            ? [target.id]
            : [];
        }
        case "channel": {
          if (!/^[CG][A-Z0-9]+$/.test(target.id)) return undefined;
          const members = await channelMembers(tenant, target.id);
          return members && learnersAmong(tenant, members);
        }
        case "group": {
          if (!/^S[A-Z0-9]+$/.test(target.id)) return undefined;
          const members = await groupMembers(tenant, target.id);
          return members && learnersAmong(tenant, members);
        }
        default:
          return undefined;
      }
    },

    async notify(tenant, user, notice: Notice) {
      try {
        const { client, token } = await apiFor(tenant);
        const channel = await dmOf(tenant, user);
        const message = noticeMessage(notice);
        await client.chat.postMessage({
          channel,
          text: message.text,
          blocks: message.blocks as never,
          ...(token ? { token } : {}),
        });
        return true;
      } catch (error) {
        log.warn({ err: error, tenant, notice: notice.kind }, "could not send a notice");
        return false;
      }
    },

    async describe(tenant, user) {
      try {
        const info = await userOf(tenant, user);
        if (!info) return {};
        const name =
          info.profile?.display_name || info.profile?.real_name || info.real_name || info.name;
        return { ...(name ? { name } : {}), ...(info.tz ? { timeZone: info.tz } : {}) };
      } catch (error) {
        log.warn({ err: error, tenant }, "could not describe a user");
        return {};
      }
    },

    dmOf,
  };
}

/** Slackbot: a bot that users.info does not call one. */
const SLACKBOT = "USLACKBOT";

/** A person who can practise: not a bot (Slackbot included), not deactivated. */
function isPerson(user: SlackUser): boolean {
  return user.deleted !== true && user.is_bot !== true && user.id !== SLACKBOT;
}

/** An admin or owner of this tenant (a teacher by office). */
function isAdminHere(user: SlackUser, tenant: string): boolean {
  return (
    isPerson(user) &&
    belongsTo(user, tenant) &&
    (user.is_admin === true || user.is_owner === true || user.is_primary_owner === true)
  );
}

/**
 * Whether a user's admin or owner flag speaks for this tenant: their home workspace (or their
 * Enterprise Grid org) is the tenant. An admin of another organization in a shared channel is not
 * a teacher here.
 */
function belongsTo(user: SlackUser, tenant: string): boolean {
  return (
    user.team_id === tenant ||
    user.enterprise_user?.enterprise_id === tenant ||
    (user.enterprise_user?.teams?.includes(tenant) ?? false)
  );
}

/** The Web API's error code (`data.error`), when the error is one of Slack's answers. */
function codeOf(error: unknown): string | undefined {
  const code = (error as { data?: { error?: unknown } } | undefined)?.data?.error;
  return typeof code === "string" ? code : undefined;
}

function isNotFound(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && NOT_FOUND.has(code);
}

/** A Web API failure as a SocraError: the method and Slack's code, never a token. */
function slackError(method: string, error: unknown): SocraError {
  const code = codeOf(error) ?? "request_failed";
  return new SocraError(`slack_${code}`, `Slack's ${method} failed: ${code}`, { cause: error });
}

/** `fn` over `items`, at most `limit` at once, results in order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Answers reused for `ttlMs`; a failed lookup is forgotten at once, so the next call asks again. */
function createTtlCache<T>(ttlMs: number, now: () => number) {
  const entries = new Map<string, { at: number; value: Promise<T> }>();
  return {
    get(key: string, load: () => Promise<T>): Promise<T> {
      const time = now();
      const entry = entries.get(key);
      if (entry && time - entry.at < ttlMs) return entry.value;
      if (entries.size > 1000)
        for (const [k, e] of entries) if (time - e.at >= ttlMs) entries.delete(k);
      const value = load();
      entries.set(key, { at: time, value });
      value.catch(() => {
        if (entries.get(key)?.value === value) entries.delete(key);
      });
      return value;
    },
  };
}
