// The critical modules under mutation testing: name → files to mutate (globs, relative to the root).
// The panel API's database code is moving from examples/panel-api/src/db to an examples/db
// workspace: both places are listed, whichever exists is used.

/** @type {Record<string, { title: string; mutate: string[]; break?: number }>} */
export const MUTATION_MODULES = {
  channels: {
    title: '@wolaro/sync channels (schemas, codec)',
    mutate: ['packages/wolaro-sync/src/channels/**/*.ts'],
  },
  transports: {
    title: '@wolaro/sync transports (Redis, failover, memory)',
    mutate: ['packages/wolaro-sync/src/transports/**/*.ts'],
  },
  cache: {
    title: '@wolaro/sync cache (fallback manager, GuildConfigCache)',
    mutate: ['packages/wolaro-sync/src/cache/**/*.ts'],
  },
  outbox: {
    title: '@wolaro/sync/pg outbox (enqueue, relay, versioned update)',
    mutate: ['packages/wolaro-sync/src/pg/outbox/**/*.ts'],
  },
  'socketio-auth': {
    title: '@wolaro/sync-socketio auth (JWT, origin, handshake)',
    mutate: ['packages/wolaro-sync-socketio/src/auth/**/*.ts'],
  },
  'socketio-gateway': {
    title: '@wolaro/sync-socketio gateway (rooms, revocations, rate limit)',
    mutate: ['packages/wolaro-sync-socketio/src/gateway/**/*.ts'],
  },
  'panel-auth': {
    title: 'panel API auth (tokens, sessions middleware, OAuth state)',
    mutate: ['examples/panel-api/src/auth/**/*.ts'],
  },
  'panel-access': {
    title: 'panel API access checks (guild routes, guild access)',
    mutate: [
      'examples/panel-api/src/routes/guilds.ts',
      'examples/panel-api/src/db/members.ts',
      'examples/db/src/members.ts',
    ],
  },
  'panel-writes': {
    title: 'panel API write path (config writes)',
    mutate: ['examples/panel-api/src/db/config_writes.ts', 'examples/db/src/config_writes.ts'],
  },
};
