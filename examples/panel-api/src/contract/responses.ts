import { z } from 'zod';
import { COMMAND_RESULTS, isoDateTime, MODULE_NAMES, snowflake, version } from './common.js';

/**
 * A server's settings. The known keys are typed; stored settings may carry more (kept as is).
 *
 * @example
 * ```ts
 * guildSettings.parse({ prefix: '!', language: 'en', logChannelId: null });
 * ```
 */
export const guildSettings = z.looseObject({
  prefix: z.string(),
  language: z.string(),
  logChannelId: snowflake.nullable(),
});

/**
 * A server's settings (see {@link guildSettings}).
 *
 * @example
 * ```ts
 * const settings: GuildSettings = { prefix: '!', language: 'en', logChannelId: null };
 * ```
 */
export type GuildSettings = z.infer<typeof guildSettings>;

/**
 * One module of a server: on or off, and its config.
 *
 * @example
 * ```ts
 * const welcome: ModuleState = { enabled: true, config: { message: 'Hi!' } };
 * ```
 */
export const moduleState = z.object({ enabled: z.boolean(), config: z.record(z.string(), z.unknown()) });

/**
 * One module of a server (see {@link moduleState}).
 *
 * @example
 * ```ts
 * const off: ModuleState = { enabled: false, config: {} };
 * ```
 */
export type ModuleState = z.infer<typeof moduleState>;

/**
 * Every module of a server by name (each known module is present).
 *
 * @example
 * ```ts
 * const modules = moduleStates.parse(body.modules);
 * ```
 */
export const moduleStates = z.record(z.string(), moduleState);

/**
 * A server the user may manage, in `GET /api/panel/guilds`.
 *
 * @example
 * ```ts
 * const g: GuildSummary = { guildId: '1', name: 'Demo', icon: null, isOwner: true, version: 3 };
 * ```
 */
export const guildSummary = z.object({
  guildId: snowflake,
  name: z.string(),
  icon: z.string().nullable(),
  isOwner: z.boolean(),
  version,
});

/**
 * A server of the list (see {@link guildSummary}).
 *
 * @example
 * ```ts
 * const names = (list: GuildSummary[]) => list.map((g) => g.name);
 * ```
 */
export type GuildSummary = z.infer<typeof guildSummary>;

/**
 * `GET /api/panel/guilds`.
 *
 * @example
 * ```ts
 * const { guilds } = guildList.parse(await res.json());
 * ```
 */
export const guildList = z.object({ guilds: z.array(guildSummary) });

/**
 * The answer of `GET /api/panel/guilds` (see {@link guildList}).
 *
 * @example
 * ```ts
 * const count = (l: GuildList) => l.guilds.length;
 * ```
 */
export type GuildList = z.infer<typeof guildList>;

/**
 * `GET /api/panel/guilds/:id`: a server with its configuration.
 *
 * @example
 * ```ts
 * const guild: GuildDetail = guildDetail.parse(await res.json());
 * ```
 */
export const guildDetail = z.object({
  guildId: snowflake,
  name: z.string(),
  icon: z.string().nullable(),
  settings: guildSettings,
  modules: moduleStates,
  version,
});

/**
 * A server with its configuration (see {@link guildDetail}).
 *
 * @example
 * ```ts
 * const prefixOf = (g: GuildDetail) => g.settings.prefix;
 * ```
 */
export type GuildDetail = z.infer<typeof guildDetail>;

/**
 * `PATCH /api/panel/guilds/:id`: the settings after the write and their version.
 *
 * @example
 * ```ts
 * const { version } = settingsUpdateResult.parse(await res.json());
 * ```
 */
export const settingsUpdateResult = z.object({ guildId: snowflake, settings: guildSettings, version });

/**
 * The answer of a settings write (see {@link settingsUpdateResult}).
 *
 * @example
 * ```ts
 * const saved = (r: SettingsUpdateResult) => r.version;
 * ```
 */
export type SettingsUpdateResult = z.infer<typeof settingsUpdateResult>;

/**
 * `PATCH /api/panel/guilds/:id/modules/:name`: the module after the write.
 *
 * @example
 * ```ts
 * const { enabled, version } = moduleUpdateResult.parse(await res.json());
 * ```
 */
export const moduleUpdateResult = z.object({
  guildId: snowflake,
  module: z.enum(MODULE_NAMES),
  enabled: z.boolean(),
  config: z.record(z.string(), z.unknown()),
  version,
});

/**
 * The answer of a module write (see {@link moduleUpdateResult}).
 *
 * @example
 * ```ts
 * const label = (r: ModuleUpdateResult) => `${r.module} ${r.enabled ? 'on' : 'off'}`;
 * ```
 */
export type ModuleUpdateResult = z.infer<typeof moduleUpdateResult>;

/**
 * `POST /api/panel/guilds/:id/sync` (202): whether the reload event went out at once (else the
 * outbox relay sends it).
 *
 * @example
 * ```ts
 * const { published } = syncResult.parse(await res.json());
 * ```
 */
export const syncResult = z.object({ ok: z.literal(true), published: z.boolean() });

/**
 * The answer of a forced sync (see {@link syncResult}).
 *
 * @example
 * ```ts
 * const result: SyncResult = { ok: true, published: true };
 * ```
 */
export type SyncResult = z.infer<typeof syncResult>;

/**
 * A saved configuration of a server: one per version.
 *
 * @example
 * ```ts
 * const rev = revision.parse(body.revisions[0]);
 * ```
 */
export const revision = z.object({
  id: z.string(),
  version,
  settings: guildSettings,
  modules: moduleStates,
  /** Discord user id of the author; `null` for the bot or the system. */
  changedBy: snowflake.nullable(),
  /** The author's username when the member is known. */
  changedByName: z.string().nullable(),
  /** `created`, `settings`, `module:<name>`, `restore:<version>`. */
  change: z.string(),
  createdAt: isoDateTime,
});

/**
 * A saved configuration (see {@link revision}).
 *
 * @example
 * ```ts
 * const by = (r: Revision) => r.changedByName ?? r.changedBy ?? 'system';
 * ```
 */
export type Revision = z.infer<typeof revision>;

/**
 * `GET /api/panel/guilds/:id/revisions`: newest first.
 *
 * @example
 * ```ts
 * const { revisions } = revisionList.parse(await res.json());
 * ```
 */
export const revisionList = z.object({ revisions: z.array(revision) });

/**
 * The answer of `GET /api/panel/guilds/:id/revisions` (see {@link revisionList}).
 *
 * @example
 * ```ts
 * const newest = (l: RevisionList) => l.revisions[0]?.version;
 * ```
 */
export type RevisionList = z.infer<typeof revisionList>;

/**
 * `POST /api/panel/guilds/:id/revisions/:rev/restore`: the configuration now in force.
 *
 * @example
 * ```ts
 * const { restored, version } = restoreResult.parse(await res.json());
 * ```
 */
export const restoreResult = z.object({
  guildId: snowflake,
  /** The version that was restored (the new one is `version`). */
  restored: version,
  settings: guildSettings,
  modules: moduleStates,
  version,
});

/**
 * The answer of a restore (see {@link restoreResult}).
 *
 * @example
 * ```ts
 * const text = (r: RestoreResult) => `Version ${r.restored} restored as ${r.version}`;
 * ```
 */
export type RestoreResult = z.infer<typeof restoreResult>;

/**
 * A command run, as the bot recorded it. `command` is what was typed: `?ping` for a message
 * command (with the prefix used), the bare name (`ping`) for a slash command.
 *
 * @example
 * ```ts
 * const entry = auditEntry.parse(body.logs[0]);
 * ```
 */
export const auditEntry = z.object({
  id: z.string(),
  guildId: snowflake,
  command: z.string(),
  executorId: snowflake,
  executor: z.string().nullable(),
  result: z.enum(COMMAND_RESULTS),
  createdAt: isoDateTime,
});

/**
 * A command run (see {@link auditEntry}).
 *
 * @example
 * ```ts
 * const failed = (e: AuditEntry) => e.result !== 'success';
 * ```
 */
export type AuditEntry = z.infer<typeof auditEntry>;

/**
 * `GET /api/panel/guilds/:id/logs`: newest first.
 *
 * @example
 * ```ts
 * const { logs } = auditLog.parse(await res.json());
 * ```
 */
export const auditLog = z.object({ logs: z.array(auditEntry) });

/**
 * The answer of `GET /api/panel/guilds/:id/logs` (see {@link auditLog}).
 *
 * @example
 * ```ts
 * const latest = (l: AuditLog) => l.logs[0]?.command;
 * ```
 */
export type AuditLog = z.infer<typeof auditLog>;

/**
 * A channel: its id and name.
 *
 * @example
 * ```ts
 * const general: ChannelRef = { id: '1', name: 'general' };
 * ```
 */
export const channelRef = z.object({ id: snowflake, name: z.string() });

/**
 * A channel (see {@link channelRef}).
 *
 * @example
 * ```ts
 * const label = (c: ChannelRef) => `#${c.name}`;
 * ```
 */
export type ChannelRef = z.infer<typeof channelRef>;

/**
 * `GET /api/discord/guilds/:id/channels`: a server's channels by kind, in Discord's order.
 *
 * @example
 * ```ts
 * const { text } = guildChannels.parse(await res.json());
 * ```
 */
export const guildChannels = z.object({
  text: z.array(channelRef),
  voice: z.array(channelRef),
  categories: z.array(channelRef),
});

/**
 * A server's channels (see {@link guildChannels}).
 *
 * @example
 * ```ts
 * const names = (c: GuildChannels) => c.text.map((t) => t.name);
 * ```
 */
export type GuildChannels = z.infer<typeof guildChannels>;

/**
 * `GET /api/auth/me`: the user, the session and whether they may read the admin endpoints.
 *
 * @example
 * ```ts
 * const { user } = me.parse(await res.json());
 * ```
 */
export const me = z.object({
  user: z.object({ id: snowflake, username: z.string().nullable() }),
  session: z.object({ id: z.string(), expiresAt: isoDateTime }),
  admin: z.boolean(),
});

/**
 * The signed-in user (see {@link me}).
 *
 * @example
 * ```ts
 * const name = (m: Me) => m.user.username ?? m.user.id;
 * ```
 */
export type Me = z.infer<typeof me>;

/**
 * `POST /api/auth/logout`.
 *
 * @example
 * ```ts
 * logoutResult.parse(await res.json());
 * ```
 */
export const logoutResult = z.object({ ok: z.literal(true) });

/**
 * The answer of a logout (see {@link logoutResult}).
 *
 * @example
 * ```ts
 * const done: LogoutResult = { ok: true };
 * ```
 */
export type LogoutResult = z.infer<typeof logoutResult>;

/**
 * `GET /api/health` (200 healthy or degraded, 503 when the database is down).
 *
 * @example
 * ```ts
 * const { database } = health.parse(await res.json());
 * ```
 */
export const health = z.object({
  status: z.enum(['healthy', 'degraded']),
  redis: z.enum(['connected', 'disconnected', 'embedded']),
  database: z.enum(['connected', 'disconnected']),
  websocket: z.literal('active'),
  connectedUsers: z.number().int().nonnegative(),
});

/**
 * The health report (see {@link health}).
 *
 * @example
 * ```ts
 * const ok = (h: Health) => h.database === 'connected';
 * ```
 */
export type Health = z.infer<typeof health>;

/**
 * `GET /api/admin/websocket/stats`: sockets on this node.
 *
 * @example
 * ```ts
 * const { totalConnections } = websocketStats.parse(await res.json());
 * ```
 */
export const websocketStats = z.object({
  connectedUsers: z.number().int().nonnegative(),
  totalConnections: z.number().int().nonnegative(),
  rooms: z.number().int().nonnegative(),
});

/**
 * Socket counts (see {@link websocketStats}).
 *
 * @example
 * ```ts
 * const stats: WebsocketStats = { connectedUsers: 1, totalConnections: 2, rooms: 1 };
 * ```
 */
export type WebsocketStats = z.infer<typeof websocketStats>;

/**
 * `GET /api/admin/cache/stats`: the API's cache.
 *
 * @example
 * ```ts
 * const { cacheHitRate } = cacheStats.parse(await res.json());
 * ```
 */
export const cacheStats = z.object({
  redisAvailable: z.boolean(),
  memoryCacheSize: z.number().int().nonnegative(),
  cacheHitRate: z.number().min(0).max(1),
  hits: z.number().int().nonnegative(),
  misses: z.number().int().nonnegative(),
});

/**
 * Cache counters (see {@link cacheStats}).
 *
 * @example
 * ```ts
 * const stats: CacheStats = { redisAvailable: true, memoryCacheSize: 0, cacheHitRate: 1, hits: 3, misses: 0 };
 * ```
 */
export type CacheStats = z.infer<typeof cacheStats>;
