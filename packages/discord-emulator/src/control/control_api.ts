import type { z } from 'zod';
import * as bans from '../domain/bans.js';
import * as channels from '../domain/channels.js';
import type { CommandData } from '../domain/commands.js';
import { overwriteCommands } from '../domain/commands.js';
import type { EmulatorContext } from '../domain/context.js';
import { openDm } from '../domain/dm_channels.js';
import * as guilds from '../domain/guilds.js';
import type {
  ChannelInput,
  ChannelPatch,
  GuildInput,
  InteractionInput,
  MemberInput,
  MemberPatch,
  MessageInput,
  RoleInput,
  RolePatch,
  UserInput,
} from '../domain/inputs.js';
import {
  createInteraction,
  type InteractionView,
  interactionView,
  requireInteraction,
} from '../domain/interactions.js';
import * as members from '../domain/members.js';
import { createMessage, requireMessageChannel } from '../domain/messages.js';
import * as reactions from '../domain/reactions.js';
import * as roles from '../domain/roles.js';
import * as threads from '../domain/threads.js';
import { createUser } from '../domain/users.js';
import { EmulatorError, Errors } from '../errors.js';
import type { DisconnectOptions } from '../gateway/hub.js';
import type { SessionInfo } from '../gateway/session.js';
import { commandListSchema } from '../rest/rest_schemas.js';
import type {
  ApiChannel,
  ApiCommand,
  ApiGuild,
  ApiMember,
  ApiMessage,
  ApiRole,
  ApiUser,
} from '../shapes/api_types.js';
import { apiChannel } from '../shapes/channel_shapes.js';
import { apiCommand } from '../shapes/command_shapes.js';
import { apiGuild, apiMember, apiRole } from '../shapes/guild_shapes.js';
import { apiMessage } from '../shapes/message_shapes.js';
import { apiUser } from '../shapes/user_shapes.js';
import type { SeedData } from '../state/seed_data.js';
import type { BanInput, GuildUpdateInput, ReactionInput, ThreadInput } from './control_inputs.js';
import * as schemas from './control_schemas.js';

/**
 * Everything in the emulator, as `GET /_emulator/state` returns it (Discord JSON shapes; roles and members carry
 * their `guild_id`).
 *
 * @example
 * ```ts
 * const state: ControlState = emulator.control.state();
 * state.connectedBots.filter((s) => s.connected).length;
 * ```
 */
export interface ControlState {
  application: { id: string; name: string; ownerId: string; botUserId: string; redirectUris: string[] };
  users: ApiUser[];
  guilds: ApiGuild[];
  channels: ApiChannel[];
  roles: (ApiRole & { guild_id: string })[];
  members: (ApiMember & { guild_id: string })[];
  commands: ApiCommand[];
  /** Gateway sessions: connected, or disconnected but still resumable. */
  connectedBots: SessionInfo[];
}

/**
 * A guild with its channels, roles and members (what `createGuild` returns).
 *
 * @example
 * ```ts
 * const guild: GuildView = emulator.control.createGuild({ name: 'Test', ownerId: DEMO.users.owner });
 * guild.channels.length;
 * ```
 */
export interface GuildView extends ApiGuild {
  channels: ApiChannel[];
  members: ApiMember[];
}

/** What the control API needs besides the domain context. */
export interface ControlDeps {
  ctx: EmulatorContext;
  sessions(): SessionInfo[];
  disconnect(options: DisconnectOptions): number;
  reset(seed?: 'demo' | 'empty' | SeedData): void;
}

function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues
    .map((issue) => `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
    .join('; ');
  throw new EmulatorError(400, 50035, `Invalid body: ${message}`);
}

/**
 * The typed, in-process twin of the `/_emulator` HTTP routes: change the world and dispatch the matching gateway
 * events to connected bots. Inputs are validated like the HTTP bodies; errors are {@link EmulatorError}s
 * (400 invalid input, 404 unknown entity).
 *
 * @example
 * ```ts
 * const { control } = await startEmulator();
 * control.updateMember(DEMO.guildId, DEMO.users.admin, { roles: [] }); // → GUILD_MEMBER_UPDATE
 * control.sendMessage(DEMO.channels.general, { authorId: DEMO.users.member, content: '!ping' }); // → MESSAGE_CREATE
 * ```
 */
export class EmulatorControl {
  readonly #deps: ControlDeps;

  constructor(deps: ControlDeps) {
    this.#deps = deps;
  }

  get #ctx(): EmulatorContext {
    return this.#deps.ctx;
  }

  /** Everything: application, users, guilds, channels, roles, members, commands and gateway sessions. */
  state(): ControlState {
    const { state } = this.#ctx;
    const app = state.application();
    return {
      application: {
        id: app.id,
        name: app.name,
        ownerId: app.owner_id,
        botUserId: app.id,
        redirectUris: [...app.redirect_uris],
      },
      users: state.users().map((u) => apiUser(u)),
      guilds: state.guilds().map((g) => apiGuild(state, g)),
      channels: state.channels().map(apiChannel),
      roles: state.roles().map((r) => ({ ...apiRole(r), guild_id: r.guild_id })),
      members: state.members().map((m) => ({ ...apiMember(state, m), guild_id: m.guild_id })),
      commands: state.allCommands().map(apiCommand),
      connectedBots: this.#deps.sessions(),
    };
  }

  /** Creates a user (to log in through OAuth2 or add to guilds). */
  createUser(input: UserInput): ApiUser {
    return apiUser(createUser(this.#ctx, validate(schemas.userInputSchema, input)));
  }

  /** Creates a guild with channels, roles and members; bots that are members get GUILD_CREATE. */
  createGuild(input: GuildInput): GuildView {
    const guild = guilds.createGuild(this.#ctx, validate(schemas.guildInputSchema, input));
    return this.guild(guild.id);
  }

  /** A guild with its channels, roles and members. */
  guild(guildId: string): GuildView {
    const { state } = this.#ctx;
    const guild = guilds.requireGuild(this.#ctx, guildId);
    return {
      ...apiGuild(state, guild),
      channels: state.channels(guild.id).map(apiChannel),
      members: state.members(guild.id).map((m) => apiMember(state, m)),
    };
  }

  /** Deletes a guild (GUILD_DELETE). */
  deleteGuild(guildId: string): void {
    guilds.deleteGuild(this.#ctx, guildId);
  }

  /** Adds a member (GUILD_MEMBER_ADD). */
  addMember(guildId: string, input: MemberInput): ApiMember {
    const member = members.addMember(this.#ctx, guildId, validate(schemas.memberInputSchema, input));
    return apiMember(this.#ctx.state, member);
  }

  /** Updates a member's roles (ids or names), nick or timeout (GUILD_MEMBER_UPDATE). */
  updateMember(guildId: string, userId: string, patch: MemberPatch): ApiMember {
    const member = members.updateMember(
      this.#ctx,
      guildId,
      userId,
      validate(schemas.memberPatchSchema, patch),
    );
    return apiMember(this.#ctx.state, member);
  }

  /** Removes a member (GUILD_MEMBER_REMOVE). */
  removeMember(guildId: string, userId: string): void {
    members.removeMember(this.#ctx, guildId, userId);
  }

  /** Creates a role (GUILD_ROLE_CREATE). */
  createRole(guildId: string, input: RoleInput): ApiRole {
    return apiRole(roles.createRole(this.#ctx, guildId, validate(schemas.roleInputSchema, input)));
  }

  /** Updates a role (GUILD_ROLE_UPDATE). */
  updateRole(guildId: string, roleId: string, patch: RolePatch): ApiRole {
    return apiRole(roles.updateRole(this.#ctx, guildId, roleId, validate(schemas.rolePatchSchema, patch)));
  }

  /** Deletes a role (GUILD_ROLE_DELETE). */
  deleteRole(guildId: string, roleId: string): void {
    roles.deleteRole(this.#ctx, guildId, roleId);
  }

  /** Creates a channel (CHANNEL_CREATE). */
  createChannel(guildId: string, input: ChannelInput): ApiChannel {
    return apiChannel(
      channels.createChannel(this.#ctx, guildId, validate(schemas.channelInputSchema, input)),
    );
  }

  /** Updates a channel (CHANNEL_UPDATE). */
  updateChannel(channelId: string, patch: ChannelPatch): ApiChannel {
    return apiChannel(
      channels.updateChannel(this.#ctx, channelId, validate(schemas.channelPatchSchema, patch)),
    );
  }

  /** Deletes a channel (CHANNEL_DELETE) or a thread (THREAD_DELETE) with its messages; returns it. */
  deleteChannel(channelId: string): ApiChannel {
    if (this.#ctx.state.channel(channelId)?.thread)
      return apiChannel(threads.deleteThread(this.#ctx, channelId));
    return apiChannel(channels.deleteChannel(this.#ctx, channelId));
  }

  /**
   * Posts a message as a user (MESSAGE_CREATE): in a guild channel or thread the author must be a member; in a DM
   * channel (see {@link EmulatorControl.openDm}) the author must be its recipient.
   */
  sendMessage(channelId: string, input: MessageInput): ApiMessage {
    const value = validate(schemas.messageInputSchema, input);
    const dm = this.#ctx.state.dmChannels.get(channelId);
    if (dm && dm.recipient_id !== value.authorId)
      throw new EmulatorError(400, 0, 'Only the recipient can write in this DM');
    if (!dm)
      members.requireMember(
        this.#ctx,
        channels.requireChannel(this.#ctx, channelId).guild_id,
        value.authorId,
      );
    const message = createMessage(this.#ctx, {
      channelId,
      authorId: value.authorId,
      content: value.content ?? '',
      embeds: value.embeds ?? [],
      replyTo: value.replyTo ?? null,
    });
    return apiMessage(this.#ctx.state, message, { baseUrl: this.#ctx.config.baseUrl });
  }

  /** Messages of a channel, thread or DM, oldest first, the bot's replies included (ephemeral ones too when asked). */
  messages(channelId: string, options: { includeEphemeral?: boolean } = {}): ApiMessage[] {
    const channel = requireMessageChannel(this.#ctx, channelId);
    return this.#ctx.state
      .messages(channel.id, options)
      .map((m) => apiMessage(this.#ctx.state, m, { baseUrl: this.#ctx.config.baseUrl }));
  }

  /** Renames a guild and/or transfers its ownership to a member (GUILD_UPDATE → discord.js `guildUpdate`). */
  updateGuild(guildId: string, patch: GuildUpdateInput): ApiGuild {
    const value = validate(schemas.guildPatchSchema, patch);
    if (
      value.ownerId !== undefined &&
      guilds.requireGuild(this.#ctx, guildId) &&
      !this.#ctx.state.member(guildId, value.ownerId)
    ) {
      throw Errors.badRequest(
        `User ${value.ownerId} is not a member of guild ${guildId}: the owner must be a member`,
      );
    }
    return apiGuild(this.#ctx.state, guilds.updateGuild(this.#ctx, guildId, value));
  }

  /** The DM channel between the bot and a user (created once); post in it with `sendMessage(id, { authorId: userId })`. */
  openDm(userId: string): { id: string; recipientId: string } {
    const dm = openDm(this.#ctx, userId);
    return { id: dm.id, recipientId: dm.recipient_id };
  }

  /** A user reacts to a message (MESSAGE_REACTION_ADD); `emoji` is `👍` or `name:id` for a custom emoji. */
  addReaction(channelId: string, messageId: string, input: ReactionInput): void {
    const value = validate(schemas.reactionInputSchema, input);
    const { message, emoji } = this.#reactionTarget(channelId, messageId, value);
    reactions.addReaction(this.#ctx, message, emoji, value.userId);
  }

  /** A user removes their reaction (MESSAGE_REACTION_REMOVE). */
  removeReaction(channelId: string, messageId: string, input: ReactionInput): void {
    const value = validate(schemas.reactionInputSchema, input);
    const { message, emoji } = this.#reactionTarget(channelId, messageId, value);
    reactions.removeReaction(this.#ctx, message, emoji, value.userId);
  }

  #reactionTarget(channelId: string, messageId: string, value: ReactionInput) {
    const channel = requireMessageChannel(this.#ctx, channelId);
    if (channel.guild_id) members.requireMember(this.#ctx, channel.guild_id, value.userId);
    if (!this.#ctx.state.user(value.userId)) throw Errors.unknownUser();
    const message = reactions.messageIn(this.#ctx, channel.id, messageId);
    return { message, emoji: reactions.parseEmoji(this.#ctx, value.emoji) };
  }

  /** A user opens a thread in a channel, from a message or not (THREAD_CREATE); returns the thread. */
  createThread(channelId: string, input: ThreadInput): ApiChannel {
    const value = validate(schemas.threadInputSchema, input);
    const parent = channels.requireChannel(this.#ctx, channelId);
    members.requireMember(this.#ctx, parent.guild_id, value.userId);
    if (value.messageId !== undefined) reactions.messageIn(this.#ctx, parent.id, value.messageId);
    const thread = threads.createThread(this.#ctx, {
      parentId: parent.id,
      name: value.name,
      ownerId: value.userId,
      messageId: value.messageId,
      type: value.private ? 12 : 11,
    });
    return apiChannel(thread);
  }

  /** A moderator bans a user (GUILD_MEMBER_REMOVE, GUILD_BAN_ADD, audit log entry). */
  banMember(guildId: string, userId: string, input: BanInput): void {
    const value = validate(schemas.banInputSchema, input);
    bans.banUser(this.#ctx, guildId, userId, {
      actorId: value.byUserId,
      reason: value.reason,
      deleteMessageSeconds: value.deleteMessageSeconds,
    });
  }

  /** A moderator lifts a ban (GUILD_BAN_REMOVE). */
  unbanMember(guildId: string, userId: string, input: { byUserId: string }): void {
    const value = validate(schemas.banInputSchema, input);
    bans.unbanUser(this.#ctx, guildId, userId, { actorId: value.byUserId });
  }

  /** Invokes a slash command as a user (INTERACTION_CREATE); returns the interaction id and token. */
  createInteraction(input: InteractionInput): { id: string; token: string } {
    const record = createInteraction(this.#ctx, validate(schemas.interactionInputSchema, input));
    return { id: record.id, token: record.token };
  }

  /** What the bot answered to an interaction (`response` is null until it does). */
  interaction(id: string): InteractionView {
    return interactionView(this.#ctx, requireInteraction(this.#ctx, id));
  }

  /** Registered commands: global (no argument) or of a guild. */
  commands(guildId?: string): ApiCommand[] {
    return this.#ctx.state.commands(guildId ?? null).map(apiCommand);
  }

  /** Registers (bulk-overwrites) commands as the bot would, without a bot. */
  registerCommands(commands: readonly CommandData[], guildId?: string): ApiCommand[] {
    const list = validate(commandListSchema, commands);
    if (guildId !== undefined) guilds.requireGuild(this.#ctx, guildId);
    const data: CommandData[] = list.map((c) => ({
      name: c.name,
      type: c.type ?? 1,
      description: c.description ?? '',
      options: c.options ?? [],
      default_member_permissions: c.default_member_permissions,
    }));
    return overwriteCommands(this.#ctx, guildId ?? null, data).map(apiCommand);
  }

  /** Gateway sessions (connected or resumable). */
  sessions(): SessionInfo[] {
    return this.#deps.sessions();
  }

  /** Force-closes bot sockets, by default with 4000 (discord.js resumes); returns how many were closed. */
  disconnectGateway(options: DisconnectOptions = {}): { closed: number } {
    return { closed: this.#deps.disconnect(validate(schemas.disconnectSchema, options)) };
  }

  /** Reloads a seed (default: the one the emulator started with); connected bots must re-identify. */
  reset(seed?: 'demo' | 'empty' | SeedData): void {
    this.#deps.reset(seed);
  }
}
