import {
  ChannelType,
  type Client,
  DiscordAPIError,
  type Guild,
  type GuildBasedChannel,
  type GuildMember,
  PermissionFlagsBits,
  type PermissionsBitField,
  RESTJSONErrorCodes,
} from "discord.js";
import type { ClassroomPlatform, Logger, Notice, TeacherTarget } from "../../tutor/index.ts";
import { messageOptions, renderNotice } from "./render.ts";

/*
 * What Discord does for teachers: who is one, who a mention names, and DMs to learners.
 *
 * Listing a server's members (for a role or a channel) needs the privileged Server Members
 * intent, enabled for the bot in the Developer Portal (Bot → Privileged Gateway Intents). Members
 * are listed over REST (`GET /guilds/{id}/members`), which needs the intent enabled but not
 * requested at login; without it Discord answers 403 Missing Access, and a role or a channel
 * names no one Socra can see (`undefined`). A single person needs no intent.
 */

/** What decides whether a server member is a teacher. */
export interface MemberFacts {
  /** The member's permissions as Discord computed them (an interaction's `memberPermissions`). */
  readonly permissions: Readonly<PermissionsBitField> | null;
  /** The ids of the member's roles. */
  readonly roleIds: readonly string[];
}

/** A server's role, as far as the teacher check needs it. */
export interface RoleName {
  readonly id: string;
  readonly name: string;
}

/**
 * Whether a member is a teacher: Manage Server (Administrator implies it), or the configured
 * teacher role, given by id or by name (case ignored). `roles` lists the server's roles, for a
 * role given by name; it is asked for only then.
 */
export async function isTeacherMember(
  member: MemberFacts,
  teacherRole: string | undefined,
  roles: () => Promise<readonly RoleName[]>,
): Promise<boolean> {
  if (member.permissions?.has(PermissionFlagsBits.ManageGuild) === true) return true;
  if (teacherRole === undefined || teacherRole.trim() === "") return false;
  const wanted = teacherRole.trim();
  if (member.roleIds.includes(wanted)) return true;
  const named = (await roles()).filter(
    (role) => role.name.toLocaleLowerCase() === wanted.toLocaleLowerCase(),
  );
  return named.some((role) => member.roleIds.includes(role.id));
}

/** A server's roles, from the cache when the gateway filled it. */
export async function rolesOfGuild(guild: Guild): Promise<RoleName[]> {
  const roles = guild.roles.cache.size > 0 ? guild.roles.cache : await guild.roles.fetch();
  return roles.map((role) => ({ id: role.id, name: role.name }));
}

export interface DiscordClassroomOptions {
  readonly client: Client;
  readonly logger: Logger;
  /** The teacher role (id or name): its members are left out of a role's or channel's learners. */
  readonly teacherRole?: string | undefined;
  /** Called once a learner got a notice from a server: their DMs may now count toward it. */
  readonly onNotified?: (tenant: string, user: string) => Promise<void>;
}

/** Discord lists members in pages of at most 1000. */
const MEMBERS_PER_PAGE = 1000;
/**
 * How long a server's member list is reused: one assignment to a role and a channel lists the
 * server once, not once per mention (a large server takes a request per thousand members).
 */
const MEMBER_LIST_TTL_MS = 15_000;
const SNOWFLAKE = /^\d{15,21}$/;

/** Discord's "not found" answers, for a server, member, user, role or channel that is not there. */
const NOT_FOUND: ReadonlySet<number | string> = new Set([
  RESTJSONErrorCodes.UnknownGuild,
  RESTJSONErrorCodes.UnknownMember,
  RESTJSONErrorCodes.UnknownUser,
  RESTJSONErrorCodes.UnknownRole,
  RESTJSONErrorCodes.UnknownChannel,
  RESTJSONErrorCodes.MissingAccess,
]);

function isNotFound(error: unknown): boolean {
  return error instanceof DiscordAPIError && (NOT_FOUND.has(error.code) || error.status === 404);
}

/** Undefined for Discord's "not found" (or "no access"); other errors propagate. */
async function orUndefined<T>(fetching: Promise<T>): Promise<T | undefined> {
  try {
    return await fetching;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export interface DiscordClassroom extends ClassroomPlatform {
  /** Drops the server's member list kept for reuse: members joined or got roles since. */
  forgetMemberList(guildId: string): void;
}

/**
 * The ClassroomPlatform of Discord (tenants are servers): a mention's learners, DMs with a
 * Start button, and display names. Bots are never learners, nor are teachers in a role or channel.
 */
export function createDiscordClassroom(options: DiscordClassroomOptions): DiscordClassroom {
  const { client } = options;
  const log = options.logger.child({ platform: "discord", module: "classroom" });
  let hasWarnedIntent = false;
  const memberLists = new Map<
    string,
    { at: number; members: Promise<GuildMember[] | undefined> }
  >();

  async function guildOf(tenant: string): Promise<Guild | undefined> {
    if (!SNOWFLAKE.test(tenant)) return undefined;
    return client.guilds.cache.get(tenant) ?? (await orUndefined(client.guilds.fetch(tenant)));
  }

  /** Every member of the server (listed at most every few seconds). */
  function membersOfGuild(guild: Guild): Promise<GuildMember[] | undefined> {
    const now = Date.now();
    for (const [id, list] of memberLists)
      if (now - list.at > MEMBER_LIST_TTL_MS) memberLists.delete(id);
    const known = memberLists.get(guild.id);
    if (known) return known.members;
    const members = listMembers(guild);
    memberLists.set(guild.id, { at: now, members });
    // A failure is not kept: the next mention asks again.
    members.catch(() => memberLists.delete(guild.id));
    return members;
  }

  /** Every member of the server, over REST; undefined without the Server Members intent. */
  async function listMembers(guild: Guild): Promise<GuildMember[] | undefined> {
    const members: GuildMember[] = [];
    let after = "0";
    for (;;) {
      let page: Awaited<ReturnType<typeof guild.members.list>>;
      try {
        page = await guild.members.list({ limit: MEMBERS_PER_PAGE, after, cache: false });
      } catch (error) {
        if (error instanceof DiscordAPIError && error.status === 403) {
          if (!hasWarnedIntent)
            log.warn(
              { guildId: guild.id, code: error.code },
              "Discord refused to list the server's members: enable the Server Members Intent for the bot (Developer Portal → Bot → Privileged Gateway Intents) so teachers can assign to roles and channels",
            );
          hasWarnedIntent = true;
          return undefined;
        }
        throw error;
      }
      for (const member of page.values()) {
        members.push(member);
        if (BigInt(member.id) > BigInt(after)) after = member.id;
      }
      if (page.size < MEMBERS_PER_PAGE) return members;
    }
  }

  async function channelOf(guild: Guild, id: string): Promise<GuildBasedChannel | undefined> {
    const channel =
      guild.channels.cache.get(id) ?? (await orUndefined(guild.channels.fetch(id))) ?? undefined;
    return channel?.guildId === guild.id ? channel : undefined;
  }

  /** The learners among members: neither bots nor teachers. */
  async function learnersAmong(guild: Guild, members: readonly GuildMember[]): Promise<string[]> {
    let roles: Promise<RoleName[]> | undefined;
    const kept = await Promise.all(
      members.map(async (member) => {
        if (member.user.bot) return undefined;
        const isTeacher = await isTeacherMember(
          { permissions: member.permissions, roleIds: [...member.roles.cache.keys()] },
          options.teacherRole,
          () => {
            roles ??= rolesOfGuild(guild);
            return roles;
          },
        );
        return isTeacher ? undefined : member.id;
      }),
    );
    return kept.filter((id): id is string => id !== undefined);
  }

  return {
    forgetMemberList: (guildId) => memberLists.delete(guildId),
    async membersOf(tenant, target: TeacherTarget) {
      if (!SNOWFLAKE.test(target.id)) return undefined;
      const guild = await guildOf(tenant);
      if (!guild) return undefined;
      switch (target.kind) {
        case "user": {
          const member = await orUndefined(guild.members.fetch({ user: target.id, force: true }));
          if (!member) return undefined;
          return member.user.bot ? [] : [member.id];
        }
        case "group": {
          const role =
            guild.roles.cache.get(target.id) ?? (await orUndefined(guild.roles.fetch(target.id)));
          if (!role) return undefined;
          const members = await membersOfGuild(guild);
          return (
            members &&
            learnersAmong(
              guild,
              members.filter((member) => member.roles.cache.has(role.id)),
            )
          );
        }
        case "channel": {
          const channel = await channelOf(guild, target.id);
          // Who sees a private thread is its member list, not the parent's permissions.
          if (!channel || channel.type === ChannelType.PrivateThread) return undefined;
          const members = await membersOfGuild(guild);
          return (
            members &&
            learnersAmong(
              guild,
              members.filter(
                (member) =>
                  channel.permissionsFor(member)?.has(PermissionFlagsBits.ViewChannel) === true,
              ),
            )
          );
        }
      }
    },

    async notify(tenant, user, notice: Notice) {
      try {
        const dm = await client.users.createDM(user);
        for (const payload of renderNotice(notice, tenant)) await dm.send(messageOptions(payload));
      } catch (error) {
        log.warn(
          { err: error, code: error instanceof DiscordAPIError ? error.code : undefined },
          "could not send a notice by DM",
        );
        return false;
      }
      await options.onNotified?.(tenant, user).catch((error: unknown) => {
        log.warn({ err: error }, "could not remember the learner's server");
      });
      return true;
    },

    async describe(tenant, user) {
      if (!SNOWFLAKE.test(user)) return {};
      try {
        const guild = await guildOf(tenant);
        const member = guild && (await orUndefined(guild.members.fetch(user)));
        if (member) return { name: member.displayName };
        const found = await orUndefined(client.users.fetch(user));
        return found ? { name: found.displayName } : {};
      } catch (error) {
        log.warn({ err: error }, "could not look up a member's name");
        return {};
      }
    },
  };
}
