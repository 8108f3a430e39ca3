import { compareSnowflakes } from '../snowflake.js';
import { RecordTable } from './record_table.js';
import type {
  ApplicationRecord,
  AuditLogRecord,
  BanRecord,
  ChannelRecord,
  CommandPermissionsRecord,
  CommandRecord,
  DmChannelRecord,
  EmojiRecord,
  GuildRecord,
  InteractionRecord,
  InviteRecord,
  MemberRecord,
  MessageRecord,
  OAuthCodeRecord,
  OAuthTokenRecord,
  PinRecord,
  ReactionRecord,
  RoleRecord,
  StoredFile,
  ThreadMemberRecord,
  UserRecord,
  WebhookRecord,
} from './records.js';

/**
 * A deep, JSON-serializable copy of the emulator's state, from `emulator.snapshot()`.
 *
 * @example
 * ```ts
 * const snap: EmulatorSnapshot = emulator.snapshot();
 * // ... test mutates things ...
 * emulator.restore(snap);
 * ```
 */
export interface EmulatorSnapshot {
  readonly version: 1;
  readonly application: ApplicationRecord;
  readonly users: readonly UserRecord[];
  readonly guilds: readonly GuildRecord[];
  readonly channels: readonly ChannelRecord[];
  readonly roles: readonly RoleRecord[];
  readonly members: readonly MemberRecord[];
  readonly messages: readonly MessageRecord[];
  readonly files: readonly StoredFile[];
  readonly commands: readonly CommandRecord[];
  readonly interactions: readonly InteractionRecord[];
  readonly oauthCodes: readonly OAuthCodeRecord[];
  readonly oauthTokens: readonly OAuthTokenRecord[];
  /** The collections below were added after version 1 shipped: missing ones restore as empty. */
  readonly bans?: readonly BanRecord[];
  readonly reactions?: readonly ReactionRecord[];
  readonly pins?: readonly PinRecord[];
  readonly dmChannels?: readonly DmChannelRecord[];
  readonly threadMembers?: readonly ThreadMemberRecord[];
  readonly webhooks?: readonly WebhookRecord[];
  readonly emojis?: readonly EmojiRecord[];
  readonly invites?: readonly InviteRecord[];
  readonly auditLog?: readonly AuditLogRecord[];
  readonly commandPermissions?: readonly CommandPermissionsRecord[];
}

const TABLE_NAMES = [
  'bans',
  'reactions',
  'pins',
  'dmChannels',
  'threadMembers',
  'webhooks',
  'emojis',
  'invites',
  'auditLog',
  'commandPermissions',
] as const;

const memberKey = (guildId: string, userId: string): string => `${guildId}:${userId}`;
const byId = <T extends { id: string }>(a: T, b: T): number => compareSnowflakes(a.id, b.id);
const byPosition = <T extends { id: string; position: number }>(a: T, b: T): number =>
  a.position - b.position || byId(a, b);

/**
 * The emulator's in-memory data: users, guilds, channels, roles, members, messages, commands, interactions and
 * OAuth2 grants. Getters return the stored records: treat them as read-only. Writing through this class changes
 * data silently; use `emulator.control` to change data *and* dispatch the matching gateway events.
 *
 * @example
 * ```ts
 * const general = emulator.state.channel(DEMO.channels.general);
 * const admins = emulator.state.members(DEMO.guildId).filter((m) => m.roles.includes(DEMO.roles.admin));
 * ```
 */
export class EmulatorState {
  #application: ApplicationRecord;
  #users = new Map<string, UserRecord>();
  #guilds = new Map<string, GuildRecord>();
  #channels = new Map<string, ChannelRecord>();
  #roles = new Map<string, RoleRecord>();
  #members = new Map<string, MemberRecord>();
  #messages = new Map<string, MessageRecord>();
  #files = new Map<string, StoredFile>();
  #commands = new Map<string, CommandRecord>();
  #interactions = new Map<string, InteractionRecord>();
  #interactionTokens = new Map<string, string>();
  #oauthCodes = new Map<string, OAuthCodeRecord>();
  #oauthTokens = new Map<string, OAuthTokenRecord>();

  /** Bans, by guild and user. */
  readonly bans = new RecordTable<BanRecord>((b) => `${b.guild_id}:${b.user_id}`);
  /** Reactions, by message and emoji. */
  readonly reactions = new RecordTable<ReactionRecord>(
    (r) => `${r.message_id}:${r.emoji_id ?? r.emoji_name}`,
  );
  /** Pinned messages, by message id. */
  readonly pins = new RecordTable<PinRecord>((p) => p.message_id);
  /** DM channels between the bot and a user, by channel id. */
  readonly dmChannels = new RecordTable<DmChannelRecord>((c) => c.id);
  /** Thread members, by thread and user. */
  readonly threadMembers = new RecordTable<ThreadMemberRecord>((m) => `${m.channel_id}:${m.user_id}`);
  /** Channel webhooks, by id. */
  readonly webhooks = new RecordTable<WebhookRecord>((w) => w.id);
  /** Custom guild emojis, by id. */
  readonly emojis = new RecordTable<EmojiRecord>((e) => e.id);
  /** Invites, by code. */
  readonly invites = new RecordTable<InviteRecord>((i) => i.code);
  /** Audit log entries, by id (oldest first). */
  readonly auditLog = new RecordTable<AuditLogRecord>((e) => e.id);
  /** Application command permissions, by guild and command. */
  readonly commandPermissions = new RecordTable<CommandPermissionsRecord>(
    (p) => `${p.guild_id}:${p.command_id}`,
  );

  constructor(application: ApplicationRecord) {
    this.#application = application;
  }

  // ---- application & users ----

  /** The emulated application. */
  application(): ApplicationRecord {
    return this.#application;
  }

  /** Replaces the application record. */
  setApplication(application: ApplicationRecord): void {
    this.#application = application;
  }

  /** All users, by id. */
  users(): UserRecord[] {
    return [...this.#users.values()].sort(byId);
  }

  /** One user. */
  user(id: string): UserRecord | undefined {
    return this.#users.get(id);
  }

  /** Creates or replaces a user. */
  putUser(user: UserRecord): void {
    this.#users.set(user.id, user);
  }

  // ---- guilds ----

  /** All guilds, by id. */
  guilds(): GuildRecord[] {
    return [...this.#guilds.values()].sort(byId);
  }

  /** One guild. */
  guild(id: string): GuildRecord | undefined {
    return this.#guilds.get(id);
  }

  /** Creates or replaces a guild (not its channels, roles or members). */
  putGuild(guild: GuildRecord): void {
    this.#guilds.set(guild.id, guild);
  }

  /** Deletes a guild with its channels, roles, members, messages and guild commands. */
  deleteGuild(id: string): boolean {
    if (!this.#guilds.delete(id)) return false;
    for (const channel of this.channels(id)) this.deleteChannel(channel.id);
    for (const role of this.roles(id)) this.#roles.delete(role.id);
    for (const member of this.members(id)) this.#members.delete(memberKey(id, member.user_id));
    for (const command of this.commands(id)) this.#commands.delete(command.id);
    const inGuild = (row: { guild_id: string }) => row.guild_id === id;
    this.bans.deleteWhere(inGuild);
    this.emojis.deleteWhere(inGuild);
    this.invites.deleteWhere(inGuild);
    this.auditLog.deleteWhere(inGuild);
    this.commandPermissions.deleteWhere(inGuild);
    this.webhooks.deleteWhere(inGuild);
    return true;
  }

  /** Ids of the guilds a user is a member of. */
  guildIdsOf(userId: string): string[] {
    return this.guilds()
      .filter((guild) => this.#members.has(memberKey(guild.id, userId)))
      .map((guild) => guild.id);
  }

  // ---- channels ----

  /** Channels, of one guild or of all, sorted by position. */
  channels(guildId?: string): ChannelRecord[] {
    const all = [...this.#channels.values()];
    return (guildId === undefined ? all : all.filter((c) => c.guild_id === guildId)).sort(byPosition);
  }

  /** One channel. */
  channel(id: string): ChannelRecord | undefined {
    return this.#channels.get(id);
  }

  /** Creates or replaces a channel. */
  putChannel(channel: ChannelRecord): void {
    this.#channels.set(channel.id, channel);
  }

  /** Deletes a channel and its messages. */
  deleteChannel(id: string): boolean {
    if (!this.#channels.delete(id)) return false;
    for (const [messageId, message] of this.#messages) {
      if (message.channel_id === id) this.deleteMessage(messageId);
    }
    this.threadMembers.deleteWhere((m) => m.channel_id === id);
    this.webhooks.deleteWhere((w) => w.channel_id === id);
    this.invites.deleteWhere((i) => i.channel_id === id);
    for (const [fileId, file] of this.#files) {
      if (file.channel_id === id) this.#files.delete(fileId);
    }
    return true;
  }

  // ---- roles ----

  /** Roles of one guild (or all), sorted by position. */
  roles(guildId?: string): RoleRecord[] {
    const all = [...this.#roles.values()];
    return (guildId === undefined ? all : all.filter((r) => r.guild_id === guildId)).sort(byPosition);
  }

  /** One role. */
  role(id: string): RoleRecord | undefined {
    return this.#roles.get(id);
  }

  /** Creates or replaces a role. */
  putRole(role: RoleRecord): void {
    this.#roles.set(role.id, role);
  }

  /** Deletes a role and removes it from every member; returns the members that changed. */
  deleteRole(id: string): MemberRecord[] {
    const role = this.#roles.get(id);
    if (!role) return [];
    this.#roles.delete(id);
    const changed: MemberRecord[] = [];
    for (const member of this.members(role.guild_id)) {
      if (member.roles.includes(id)) {
        const next = { ...member, roles: member.roles.filter((r) => r !== id) };
        this.putMember(next);
        changed.push(next);
      }
    }
    return changed;
  }

  // ---- members ----

  /** Members of one guild (or all), sorted by user id. */
  members(guildId?: string): MemberRecord[] {
    const all = [...this.#members.values()];
    return (guildId === undefined ? all : all.filter((m) => m.guild_id === guildId)).sort((a, b) =>
      compareSnowflakes(a.user_id, b.user_id),
    );
  }

  /** One member. */
  member(guildId: string, userId: string): MemberRecord | undefined {
    return this.#members.get(memberKey(guildId, userId));
  }

  /** Creates or replaces a member. */
  putMember(member: MemberRecord): void {
    this.#members.set(memberKey(member.guild_id, member.user_id), member);
  }

  /** Removes a member. */
  deleteMember(guildId: string, userId: string): boolean {
    return this.#members.delete(memberKey(guildId, userId));
  }

  // ---- messages & files ----

  /** Messages of a channel, oldest first; ephemeral ones only when asked. */
  messages(channelId: string, options: { includeEphemeral?: boolean } = {}): MessageRecord[] {
    return [...this.#messages.values()]
      .filter((m) => m.channel_id === channelId && (options.includeEphemeral || (m.flags & 64) === 0))
      .sort(byId);
  }

  /** One message. */
  message(id: string): MessageRecord | undefined {
    return this.#messages.get(id);
  }

  /** Creates or replaces a message. */
  putMessage(message: MessageRecord): void {
    this.#messages.set(message.id, message);
  }

  /** Deletes a message. */
  deleteMessage(id: string): boolean {
    this.reactions.deleteWhere((r) => r.message_id === id);
    this.pins.delete(id);
    return this.#messages.delete(id);
  }

  /** One uploaded file. */
  file(id: string): StoredFile | undefined {
    return this.#files.get(id);
  }

  /** Stores an uploaded file. */
  putFile(file: StoredFile): void {
    this.#files.set(file.id, file);
  }

  // ---- commands ----

  /** Global commands (`guildId` null) or the commands of one guild, by id. */
  commands(guildId: string | null): CommandRecord[] {
    return [...this.#commands.values()].filter((c) => c.guild_id === guildId).sort(byId);
  }

  /** Every registered command, global and guild. */
  allCommands(): CommandRecord[] {
    return [...this.#commands.values()].sort(byId);
  }

  /** One command. */
  command(id: string): CommandRecord | undefined {
    return this.#commands.get(id);
  }

  /** Creates or replaces a command. */
  putCommand(command: CommandRecord): void {
    this.#commands.set(command.id, command);
  }

  /** Deletes a command. */
  deleteCommand(id: string): boolean {
    return this.#commands.delete(id);
  }

  // ---- interactions ----

  /** Every interaction, oldest first. */
  interactions(): InteractionRecord[] {
    return [...this.#interactions.values()].sort(byId);
  }

  /** One interaction. */
  interaction(id: string): InteractionRecord | undefined {
    return this.#interactions.get(id);
  }

  /** The interaction owning a token (interaction tokens authenticate webhook follow-ups). */
  interactionByToken(token: string): InteractionRecord | undefined {
    const id = this.#interactionTokens.get(token);
    return id === undefined ? undefined : this.#interactions.get(id);
  }

  /** Creates or replaces an interaction. */
  putInteraction(interaction: InteractionRecord): void {
    this.#interactions.set(interaction.id, interaction);
    this.#interactionTokens.set(interaction.token, interaction.id);
  }

  // ---- OAuth2 ----

  /** A pending authorization code. */
  oauthCode(code: string): OAuthCodeRecord | undefined {
    return this.#oauthCodes.get(code);
  }

  /** Stores an authorization code. */
  putOAuthCode(record: OAuthCodeRecord): void {
    this.#oauthCodes.set(record.code, record);
  }

  /** Consumes (deletes) an authorization code. */
  deleteOAuthCode(code: string): boolean {
    return this.#oauthCodes.delete(code);
  }

  /** An access token's grant. */
  oauthToken(accessToken: string): OAuthTokenRecord | undefined {
    return this.#oauthTokens.get(accessToken);
  }

  /** The grant owning a refresh token. */
  oauthTokenByRefresh(refreshToken: string): OAuthTokenRecord | undefined {
    for (const record of this.#oauthTokens.values()) {
      if (record.refresh_token === refreshToken) return record;
    }
    return undefined;
  }

  /** Stores an access token grant. */
  putOAuthToken(record: OAuthTokenRecord): void {
    this.#oauthTokens.set(record.access_token, record);
  }

  /** Revokes an access token grant. */
  deleteOAuthToken(accessToken: string): boolean {
    return this.#oauthTokens.delete(accessToken);
  }

  // ---- snapshots ----

  /** Removes everything and sets a new application. */
  clear(application: ApplicationRecord): void {
    this.restore({
      version: 1,
      application,
      users: [],
      guilds: [],
      channels: [],
      roles: [],
      members: [],
      messages: [],
      files: [],
      commands: [],
      interactions: [],
      oauthCodes: [],
      oauthTokens: [],
    });
  }

  /** A deep copy of everything. */
  snapshot(): EmulatorSnapshot {
    return structuredClone({
      version: 1 as const,
      application: this.#application,
      users: [...this.#users.values()],
      guilds: [...this.#guilds.values()],
      channels: [...this.#channels.values()],
      roles: [...this.#roles.values()],
      members: [...this.#members.values()],
      messages: [...this.#messages.values()],
      files: [...this.#files.values()],
      commands: [...this.#commands.values()],
      interactions: [...this.#interactions.values()],
      oauthCodes: [...this.#oauthCodes.values()],
      oauthTokens: [...this.#oauthTokens.values()],
      ...Object.fromEntries(TABLE_NAMES.map((name) => [name, this[name].all()])),
    });
  }

  /** Replaces everything with a deep copy of a snapshot. */
  restore(snapshot: EmulatorSnapshot): void {
    if (snapshot.version !== 1)
      throw new TypeError(`Unsupported snapshot version ${String(snapshot.version)}`);
    const copy = structuredClone(snapshot);
    // Build everything first so an invalid snapshot leaves the current state untouched.
    const next = {
      users: new Map(copy.users.map((u) => [u.id, u])),
      guilds: new Map(copy.guilds.map((g) => [g.id, g])),
      channels: new Map(copy.channels.map((c) => [c.id, c])),
      roles: new Map(copy.roles.map((r) => [r.id, r])),
      members: new Map(copy.members.map((m) => [memberKey(m.guild_id, m.user_id), m])),
      messages: new Map(copy.messages.map((m) => [m.id, m])),
      files: new Map(copy.files.map((f) => [f.id, f])),
      commands: new Map(copy.commands.map((c) => [c.id, c])),
      interactions: new Map(copy.interactions.map((i) => [i.id, i])),
      interactionTokens: new Map(copy.interactions.map((i) => [i.token, i.id])),
      oauthCodes: new Map(copy.oauthCodes.map((c) => [c.code, c])),
      oauthTokens: new Map(copy.oauthTokens.map((t) => [t.access_token, t])),
    };
    if (!copy.application || typeof copy.application.id !== 'string') {
      throw new TypeError('Invalid snapshot: missing application');
    }
    this.#application = copy.application;
    this.#users = next.users;
    this.#guilds = next.guilds;
    this.#channels = next.channels;
    this.#roles = next.roles;
    this.#members = next.members;
    this.#messages = next.messages;
    this.#files = next.files;
    this.#commands = next.commands;
    this.#interactions = next.interactions;
    this.#interactionTokens = next.interactionTokens;
    this.#oauthCodes = next.oauthCodes;
    this.#oauthTokens = next.oauthTokens;
    for (const name of TABLE_NAMES) (this[name] as RecordTable<unknown>).load(copy[name] ?? []);
  }
}
