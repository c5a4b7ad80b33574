import {
  type APIGuildMember,
  type APIRole,
  type APIUser,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationFlags,
  ChannelType,
  ComponentType,
  type GuildMemberFlags,
  OverwriteType,
  PermissionFlagsBits,
  PermissionsBitField,
  type UserFlags,
} from "discord.js";

/**
 * Placeholder snowflakes used by the fake Discord and its tests. The bot user shares the
 * application's id, as it does for every application created since 2016.
 */
export const DISCORD_IDS = {
  applicationId: "1300000000000000001",
  botUserId: "1300000000000000001",
  guildId: "1300000000000000100",
  textChannelId: "1300000000000000200",
  /** A channel only Class 7A (and teachers) can see. */
  classChannelId: "1300000000000000201",
  teacherRoleId: "1300000000000000300",
  /** Members with Manage Server, which makes them teachers whatever the teacher role. */
  staffRoleId: "1300000000000000301",
  classRoleId: "1300000000000000302",
  learnerId: "1300000000000000400",
  otherLearnerId: "1300000000000000401",
  /** A teacher by the Teacher role (and in Class 7A). */
  teacherId: "1300000000000000402",
  /** A teacher by the Manage Server permission (the Staff role). */
  principalId: "1300000000000000403",
  /** The server's owner: every permission, no role. */
  ownerId: "1300000000000000404",
  /** Another bot, in Class 7A: never a learner. */
  otherBotId: "1300000000000000405",
  dmChannelId: "1300000000000000500",
  tutorCommandId: "1300000000000000600",
} as const;

/** Discord's epoch (2015-01-01T00:00:00Z), the zero of every snowflake's timestamp. */
const DISCORD_EPOCH_MS = 1_420_070_400_000n;

/** Returns a generator of fresh snowflakes: the current time in the high bits, always increasing. */
export function createSnowflakes(): () => string {
  let last = 0n;
  return () => {
    const candidate = (BigInt(Date.now()) - DISCORD_EPOCH_MS) << 22n;
    last = candidate > last ? candidate : last + 1n;
    return last.toString();
  };
}

/** A permission bitfield as Discord serialises it: a decimal string. */
export function permissionString(...flags: bigint[]): string {
  return flags.reduce((all, flag) => all | flag, 0n).toString();
}

/** What members (and the bot) may do in the test guild's text channel. */
export const MEMBER_PERMISSIONS = permissionString(
  PermissionFlagsBits.ViewChannel,
  PermissionFlagsBits.SendMessages,
  PermissionFlagsBits.SendMessagesInThreads,
  PermissionFlagsBits.EmbedLinks,
  PermissionFlagsBits.ReadMessageHistory,
  PermissionFlagsBits.UseApplicationCommands,
  PermissionFlagsBits.AddReactions,
);

/** The bot's permissions: the member set plus what the tutor needs for private threads. */
export const BOT_PERMISSIONS = permissionString(
  BigInt(MEMBER_PERMISSIONS),
  PermissionFlagsBits.CreatePrivateThreads,
  PermissionFlagsBits.ManageThreads,
);

/** Application flags of a bot in fewer than 100 servers with no privileged intent approved. */
export const APPLICATION_FLAGS =
  ApplicationFlags.GatewayGuildMembersLimited |
  ApplicationFlags.GatewayMessageContentLimited |
  ApplicationFlags.ApplicationCommandBadge;

const USERNAMES: Readonly<Record<string, { username: string; globalName: string }>> = {
  [DISCORD_IDS.learnerId]: { username: "ada.lovelace", globalName: "Ada" },
  [DISCORD_IDS.otherLearnerId]: { username: "grace.hopper", globalName: "Grace" },
  [DISCORD_IDS.teacherId]: { username: "emmy.noether", globalName: "Emmy" },
  [DISCORD_IDS.principalId]: { username: "hedy.lamarr", globalName: "Hedy" },
  [DISCORD_IDS.ownerId]: { username: "ken.thompson", globalName: "Ken" },
};

/** The bot's user object (or another bot's); bots keep a four-digit discriminator. */
export function botUser(username = "Socra", id: string = DISCORD_IDS.botUserId): APIUser {
  return {
    id,
    username,
    discriminator: "4821",
    global_name: null,
    avatar: null,
    bot: true,
    public_flags: 0 as UserFlags,
    flags: 0 as UserFlags,
  };
}

/** A human user object (new-style username, discriminator "0"); unknown ids get a made-up name. */
export function humanUser(id: string): APIUser {
  const names = USERNAMES[id] ?? { username: `learner${id.slice(-4)}`, globalName: "Learner" };
  return {
    id,
    username: names.username,
    discriminator: "0",
    global_name: names.globalName,
    avatar: null,
    public_flags: 0 as UserFlags,
    avatar_decoration_data: null,
  };
}

/** A guild member as it appears in GUILD_CREATE and guild member endpoints. */
export function guildMember(user: APIUser, roles: string[] = []): APIGuildMember {
  return {
    user,
    nick: null,
    avatar: null,
    banner: null,
    roles,
    joined_at: "2025-09-01T08:00:00.000000+00:00",
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0 as GuildMemberFlags,
    pending: false,
    communication_disabled_until: null,
  };
}

/** The test guild's text channel, where slash commands are used and private threads opened. */
export function textChannel(): Record<string, unknown> {
  return {
    id: DISCORD_IDS.textChannelId,
    type: ChannelType.GuildText,
    guild_id: DISCORD_IDS.guildId,
    name: "fractions-practice",
    position: 0,
    permission_overwrites: [],
    parent_id: null,
    topic: "Practise with Socra",
    nsfw: false,
    last_message_id: null,
    rate_limit_per_user: 0,
    flags: 0,
  };
}

/** Class 7A's channel: hidden from @everyone, shown to the class role and to teachers. */
export function classChannel(): Record<string, unknown> {
  return {
    ...textChannel(),
    id: DISCORD_IDS.classChannelId,
    name: "class-7a",
    position: 1,
    topic: "Class 7A",
    permission_overwrites: [
      {
        id: DISCORD_IDS.guildId,
        type: OverwriteType.Role,
        allow: "0",
        deny: permissionString(PermissionFlagsBits.ViewChannel),
      },
      {
        id: DISCORD_IDS.classRoleId,
        type: OverwriteType.Role,
        allow: permissionString(PermissionFlagsBits.ViewChannel),
        deny: "0",
      },
      {
        id: DISCORD_IDS.teacherRoleId,
        type: OverwriteType.Role,
        allow: permissionString(PermissionFlagsBits.ViewChannel),
        deny: "0",
      },
    ],
  };
}

/** A DM channel between the bot and one user, as `POST /users/@me/channels` returns it. */
export function dmChannel(id: string, recipient: APIUser): Record<string, unknown> {
  return { id, type: ChannelType.DM, last_message_id: null, flags: 0, recipients: [recipient] };
}

/** The test guild's roles: @everyone, Teacher, Staff (Manage Server) and Class 7A. */
export function guildRoles(): APIRole[] {
  const base = {
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    managed: false,
    mentionable: false,
    flags: 0,
  };
  return [
    {
      ...base,
      id: DISCORD_IDS.guildId,
      name: "@everyone",
      position: 0,
      permissions: MEMBER_PERMISSIONS,
    },
    {
      ...base,
      id: DISCORD_IDS.teacherRoleId,
      name: "Teacher",
      position: 1,
      hoist: true,
      permissions: permissionString(BigInt(MEMBER_PERMISSIONS), PermissionFlagsBits.ManageMessages),
    },
    {
      ...base,
      id: DISCORD_IDS.staffRoleId,
      name: "Staff",
      position: 2,
      permissions: permissionString(BigInt(MEMBER_PERMISSIONS), PermissionFlagsBits.ManageGuild),
    },
    {
      ...base,
      id: DISCORD_IDS.classRoleId,
      name: "Class 7A",
      position: 3,
      mentionable: true,
      permissions: "0",
    },
  ];
}

const ALL_PERMISSIONS = PermissionsBitField.All;

/**
 * A member's permissions as Discord computes them for an interaction: every permission for the
 * owner or an administrator, else @everyone's and their roles' together, then the channel's
 * overwrites (@everyone, their roles, them) when a channel is given.
 */
export function memberPermissions(
  member: APIGuildMember,
  channel?: Record<string, unknown>,
  ownerId: string = DISCORD_IDS.ownerId,
): string {
  if (member.user.id === ownerId) return ALL_PERMISSIONS.toString();
  const roles = guildRoles();
  const everyone = roles.find((role) => role.id === DISCORD_IDS.guildId);
  let permissions = BigInt(everyone?.permissions ?? "0");
  for (const role of roles)
    if (member.roles.includes(role.id)) permissions |= BigInt(role.permissions);
  if (permissions & PermissionFlagsBits.Administrator) return ALL_PERMISSIONS.toString();
  const overwrites = (channel?.permission_overwrites ?? []) as {
    id: string;
    allow: string;
    deny: string;
  }[];
  const apply = (matching: typeof overwrites) => {
    let allow = 0n;
    let deny = 0n;
    for (const overwrite of matching) {
      allow |= BigInt(overwrite.allow);
      deny |= BigInt(overwrite.deny);
    }
    permissions = (permissions & ~deny) | allow;
  };
  apply(overwrites.filter((o) => o.id === DISCORD_IDS.guildId));
  apply(overwrites.filter((o) => member.roles.includes(o.id)));
  apply(overwrites.filter((o) => o.id === member.user.id));
  return permissions.toString();
}

/**
 * The members GUILD_CREATE lists: the bot; two learners, a teacher (by role) and another bot in
 * Class 7A; a teacher by Manage Server (Staff); and the owner.
 */
export function guildMembers(bot: APIUser): APIGuildMember[] {
  return [
    guildMember(bot),
    guildMember(humanUser(DISCORD_IDS.learnerId), [DISCORD_IDS.classRoleId]),
    guildMember(humanUser(DISCORD_IDS.otherLearnerId), [DISCORD_IDS.classRoleId]),
    guildMember(humanUser(DISCORD_IDS.teacherId), [
      DISCORD_IDS.teacherRoleId,
      DISCORD_IDS.classRoleId,
    ]),
    guildMember(humanUser(DISCORD_IDS.principalId), [DISCORD_IDS.staffRoleId]),
    guildMember(humanUser(DISCORD_IDS.ownerId)),
    guildMember(botUser("Quizzy", DISCORD_IDS.otherBotId), [DISCORD_IDS.classRoleId]),
  ];
}

/** The GUILD_CREATE dispatch data for the test guild, with channels, roles and members. */
export function guildCreateData(bot: APIUser): Record<string, unknown> {
  const channels = [textChannel(), classChannel()].map(
    ({ guild_id: _guildId, ...channel }) => channel,
  );
  const members = guildMembers(bot);
  return {
    id: DISCORD_IDS.guildId,
    name: "Socra Study Hall",
    icon: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: DISCORD_IDS.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 1,
    default_message_notifications: 1,
    explicit_content_filter: 2,
    mfa_level: 0,
    nsfw_level: 0,
    premium_tier: 0,
    premium_subscription_count: 0,
    premium_progress_bar_enabled: false,
    system_channel_id: DISCORD_IDS.textChannelId,
    system_channel_flags: 0,
    rules_channel_id: null,
    public_updates_channel_id: null,
    safety_alerts_channel_id: null,
    vanity_url_code: null,
    preferred_locale: "en-US",
    features: [],
    max_members: 25_000_000,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    application_id: null,
    roles: guildRoles(),
    emojis: [],
    stickers: [],
    joined_at: "2025-09-01T08:00:00.000000+00:00",
    large: false,
    unavailable: false,
    member_count: members.length,
    voice_states: [],
    members,
    channels,
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
    lazy: true,
  };
}

/** One option of a slash command as Discord sends it in an interaction's `data.options`. */
export interface CommandOptionValue {
  name: string;
  type: ApplicationCommandOptionType;
  value: string | number | boolean;
  /** Set on the option the user is typing in, for autocomplete interactions. */
  focused?: boolean;
}

/**
 * `data` for a chat-input command interaction or its autocomplete: `/name subcommand …options`.
 * The fake fills in the command's id (and `guild_id` for a guild command).
 */
export function chatInputData(
  name: string,
  subcommand?: string,
  options: CommandOptionValue[] = [],
): Record<string, unknown> {
  return {
    name,
    type: ApplicationCommandType.ChatInput,
    options: subcommand
      ? [{ type: ApplicationCommandOptionType.Subcommand, name: subcommand, options }]
      : options,
  };
}

/** A string option value, the kind `course` and `skill` are. */
export function stringOption(name: string, value: string, focused = false): CommandOptionValue {
  return {
    name,
    type: ApplicationCommandOptionType.String,
    value,
    ...(focused ? { focused } : {}),
  };
}

/** `data` for a button press. */
export function buttonData(customId: string): Record<string, unknown> {
  return { custom_id: customId, component_type: ComponentType.Button };
}

/** `data` for a submitted modal with text inputs in action rows (`custom_id` → typed value). */
export function modalSubmitData(
  customId: string,
  fields: Readonly<Record<string, string>>,
): Record<string, unknown> {
  return {
    custom_id: customId,
    components: Object.entries(fields).map(([fieldId, value], index) => ({
      type: ComponentType.ActionRow,
      id: index * 2 + 1,
      components: [{ type: ComponentType.TextInput, id: index * 2 + 2, custom_id: fieldId, value }],
    })),
  };
}
