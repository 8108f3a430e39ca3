import { DEFAULT_CLIENT_SECRET, DEMO } from '../constants.js';
import type { EmulatorContext } from '../domain/context.js';
import { createGuild } from '../domain/guilds.js';
import type { GuildInput, UserInput } from '../domain/inputs.js';
import { buildUser } from '../domain/users.js';
import { PermissionFlags } from '../permission_flags.js';
import type { ApplicationRecord } from './records.js';

/**
 * The emulated application and its bot user.
 *
 * @example
 * ```ts
 * const app: SeedApplication = { id: '900000000000000001', name: 'My bot', botUsername: 'MyBot' };
 * ```
 */
export interface SeedApplication {
  /** Application id = bot user id. Defaults to `DEMO.applicationId`. */
  id?: string | undefined;
  name?: string | undefined;
  description?: string | undefined;
  /** Owner user id (must be one of `users`); defaults to the first user. */
  ownerId?: string | undefined;
  /** Bot username; defaults to `name`. */
  botUsername?: string | undefined;
  /** Defaults to a fixed dev token derived from the id (`DEFAULT_BOT_TOKEN` for the demo id). */
  botToken?: string | undefined;
  /** Defaults to `DEFAULT_CLIENT_SECRET`. */
  clientSecret?: string | undefined;
  /** Allowed OAuth2 redirect URIs; empty or absent = any http(s) URI. */
  redirectUris?: string[] | undefined;
}

/**
 * A custom world to start the emulator with.
 *
 * @example
 * ```ts
 * const seed: SeedData = {
 *   users: [{ id: '1', username: 'owner' }],
 *   guilds: [{ name: 'Test', ownerId: '1', channels: [{ name: 'general' }] }],
 * };
 * const emulator = await startEmulator({ seed });
 * ```
 */
export interface SeedData {
  application?: SeedApplication | undefined;
  users?: UserInput[] | undefined;
  guilds?: GuildInput[] | undefined;
}

/**
 * The dev bot token for an application id: Discord's three-part shape, first part = base64 of the id.
 *
 * @example
 * ```ts
 * import { DEFAULT_BOT_TOKEN, DEMO, defaultBotToken } from '@wolaro/discord-emulator';
 * defaultBotToken(DEMO.applicationId) === DEFAULT_BOT_TOKEN; // true
 * ```
 */
export function defaultBotToken(applicationId: string): string {
  return `${Buffer.from(applicationId).toString('base64url')}.RU1VTEFUT1I.d29sYXJvLWRldi1ib3QtdG9rZW4`;
}

/**
 * The `demo` seed: guild "Wolaro Demo" with `général`, `logs` (staff only) and `welcome` under a category, roles
 * Admin / Moderator, an owner, two admins, a moderator, a plain member and the bot. Ids are in {@link DEMO}.
 *
 * @example
 * ```ts
 * import { demoSeed, startEmulator } from '@wolaro/discord-emulator';
 * const seed = demoSeed();
 * seed.users?.push({ id: '100000000000000042', username: 'extra' });
 * const emulator = await startEmulator({ seed });
 * ```
 */
export function demoSeed(): SeedData {
  const { users, roles, channels } = DEMO;
  return {
    application: {
      id: DEMO.applicationId,
      name: 'Wolaro',
      description: 'Wolaro Sync demo bot (Discord emulator)',
      ownerId: users.owner,
      botUsername: 'Wolaro',
    },
    users: [
      { id: users.owner, username: 'theo7791l', globalName: 'Théo', locale: 'fr' },
      { id: users.admin, username: 'alice_admin', globalName: 'Alice' },
      { id: users.moderator, username: 'marc_mod', globalName: 'Marc' },
      { id: users.member, username: 'nina_member', globalName: 'Nina' },
      { id: users.admin2, username: 'bob_admin', globalName: 'Bob' },
    ],
    guilds: [
      {
        id: DEMO.guildId,
        name: 'Wolaro Demo',
        ownerId: users.owner,
        description: 'Demo guild of the Wolaro Sync Discord emulator',
        preferredLocale: 'fr',
        roles: [
          {
            id: roles.moderator,
            name: 'Moderator',
            color: 0x3498db,
            hoist: true,
            mentionable: true,
            permissions:
              PermissionFlags.KickMembers | PermissionFlags.BanMembers | PermissionFlags.ManageMessages,
          },
          {
            id: roles.admin,
            name: 'Admin',
            color: 0xe74c3c,
            hoist: true,
            permissions: PermissionFlags.Administrator,
          },
        ],
        channels: [
          { id: channels.category, name: 'Salons textuels', type: 'category' },
          { id: channels.general, name: 'général', parent: channels.category, topic: 'Discussion générale' },
          {
            id: channels.logs,
            name: 'logs',
            parent: channels.category,
            topic: 'Bot logs (staff only)',
            permissionOverwrites: [
              { id: DEMO.guildId, type: 'role', deny: PermissionFlags.ViewChannel },
              { id: roles.moderator, type: 'role', allow: PermissionFlags.ViewChannel },
              {
                id: DEMO.applicationId,
                type: 'member',
                allow: PermissionFlags.ViewChannel | PermissionFlags.SendMessages,
              },
            ],
          },
          { id: channels.welcome, name: 'welcome', parent: channels.category, topic: 'Say hi!' },
        ],
        members: [
          { userId: users.admin, roles: [roles.admin] },
          { userId: users.admin2, roles: [roles.admin] },
          { userId: users.moderator, roles: [roles.moderator] },
          { userId: users.member },
        ],
        botRoleId: roles.bot,
        systemChannel: channels.welcome,
      },
    ],
  };
}

/** The `empty` seed: just the application and its bot user. */
export function emptySeed(): SeedData {
  return { application: { id: DEMO.applicationId, name: 'Wolaro', ownerId: DEMO.applicationId } };
}

/** Resolves the seed option. */
export function resolveSeed(seed: 'demo' | 'empty' | SeedData | undefined): SeedData {
  if (seed === undefined || seed === 'demo') return demoSeed();
  if (seed === 'empty') return emptySeed();
  return seed;
}

/** Overrides applied on top of a seed's application. */
export interface SeedOverrides {
  botToken?: string | undefined;
  clientSecret?: string | undefined;
  redirectUris?: string[] | undefined;
}

/** Builds the application record of a seed. */
export function seedApplication(seed: SeedData, overrides: SeedOverrides = {}): ApplicationRecord {
  const app = seed.application ?? {};
  const id = app.id ?? DEMO.applicationId;
  return {
    id,
    name: app.name ?? 'Wolaro',
    description: app.description ?? '',
    owner_id: app.ownerId ?? seed.users?.[0]?.id ?? id,
    bot_token: overrides.botToken ?? app.botToken ?? defaultBotToken(id),
    client_secret: overrides.clientSecret ?? app.clientSecret ?? DEFAULT_CLIENT_SECRET,
    redirect_uris: overrides.redirectUris ?? app.redirectUris ?? [],
    flags: 0,
  };
}

/** Loads a seed into an (empty) state: users, bot user, then guilds. */
export function applySeed(ctx: EmulatorContext, seed: SeedData): void {
  const app = ctx.state.application();
  ctx.state.putUser(
    buildUser(ctx, {
      id: app.id,
      username: seed.application?.botUsername ?? app.name,
      bot: true,
      email: null,
    }),
  );
  for (const user of seed.users ?? []) ctx.state.putUser(buildUser(ctx, user));
  for (const guild of seed.guilds ?? []) createGuild(ctx, guild);
}
