// The critical modules under mutation testing: name → files to mutate (globs, relative to the root).
// The panel API's database code is moving from examples/panel-api/src/db to an examples/db
// workspace: both places are listed, whichever exists is used.

// `tests`: the test files that may kill the module's mutants (vitest `include` of the mutation run);
// among them, vitest.related runs only those that import a mutated file.
const SYNC_TOP = ['packages/wolaro-sync/test/*.test.ts'];
// The channel schemas and codec are used by every test that publishes: their own fast tests only.
const CHANNELS = [
  'packages/wolaro-sync/test/invalid_input.test.ts',
  'packages/wolaro-sync/test/sync_client.test.ts',
  'packages/wolaro-sync/test/discord.test.ts',
  'packages/wolaro-sync/test/channels.test.ts',
  'packages/wolaro-sync/test/channel_contracts.test.ts',
];
const SOCKETIO = ['packages/wolaro-sync-socketio/test/**/*.test.ts'];
const SOCKETIO_AUTH = [
  'packages/wolaro-sync-socketio/test/auth_units.test.ts',
  'packages/wolaro-sync-socketio/test/units.test.ts',
  'packages/wolaro-sync-socketio/test/security.test.ts',
  'packages/wolaro-sync-socketio/test/expiry.test.ts',
];
const PANEL = (...names) => names.map((n) => `examples/panel-api/test/${n}.test.ts`);

/**
 * `ignoreStatic`: skip the static mutants (see stryker.config.mjs); no module sets it today.
 * @type {Record<string, { title: string; mutate: string[]; tests: string[]; break?: number; ignoreStatic?: boolean }>}
 */
export const MUTATION_MODULES = {
  channels: {
    title: '@wolaro/sync channels (schemas, codec)',
    mutate: [
      'packages/wolaro-sync/src/channels/**/*.ts',
      'packages/wolaro-sync/src/internal/payload_check.ts',
    ],
    tests: CHANNELS,
  },
  transports: {
    title: '@wolaro/sync transports (Redis, failover, memory)',
    mutate: ['packages/wolaro-sync/src/transports/**/*.ts'],
    tests: SYNC_TOP,
  },
  cache: {
    title: '@wolaro/sync cache (fallback manager, GuildConfigCache)',
    mutate: ['packages/wolaro-sync/src/cache/**/*.ts'],
    tests: ['packages/wolaro-sync/test/cache/**/*.test.ts', 'packages/wolaro-sync/test/cache_keys.test.ts'],
  },
  outbox: {
    title: '@wolaro/sync/pg outbox (enqueue, relay, versioned update)',
    mutate: ['packages/wolaro-sync/src/pg/outbox/**/*.ts'],
    // With the fast outbox-level tests elsewhere in the package (options, payload validation, the
    // public surface); the first run without them left 113 mutants with no covering test.
    tests: [
      'packages/wolaro-sync/test/outbox/**/*.test.ts',
      'packages/wolaro-sync/test/options.test.ts',
      'packages/wolaro-sync/test/publish_validation.test.ts',
      'packages/wolaro-sync/test/public_surface.test.ts',
    ],
  },
  'socketio-auth': {
    title: '@wolaro/sync-socketio auth (JWT, origin, handshake)',
    mutate: [
      'packages/wolaro-sync-socketio/src/auth/**/*.ts',
      'packages/wolaro-sync-socketio/src/internal/handshake.ts',
      'packages/wolaro-sync-socketio/src/internal/origin.ts',
    ],
    tests: SOCKETIO_AUTH,
  },
  'socketio-gateway': {
    title: '@wolaro/sync-socketio gateway (rooms, revocations, rate limit)',
    mutate: ['packages/wolaro-sync-socketio/src/gateway/**/*.ts'],
    tests: SOCKETIO,
  },
  'panel-auth': {
    title: 'panel API auth (tokens, sessions middleware, OAuth state)',
    mutate: ['examples/panel-api/src/auth/**/*.ts'],
    // With the settings write, which checks the token only and leaves the rest to its statement
    // (requireTokenForGuildWrite, verifyAccessOnError).
    tests: PANEL('auth_units', 'auth_http', 'oauth', 'security', 'settings_write_checks', 'patch_cost'),
  },
  'panel-access': {
    title: 'panel API access checks (guild routes, guild access)',
    mutate: ['examples/panel-api/src/routes/guilds.ts', 'examples/db/src/members.ts'],
    tests: [
      ...PANEL(
        'guilds',
        'guild_routes',
        'security',
        'discord',
        'settings_write_checks',
        'auth_http',
        'patch_cost',
      ),
      'examples/db/test/guild_access.test.ts',
    ],
  },
  'panel-writes': {
    title: 'panel API write path (config writes)',
    mutate: ['examples/db/src/config_writes.ts'],
    // embedded.test.ts and failover.test.ts run the same writes through the whole API on PGlite and
    // with Redis down: deployment checks that take minutes per mutant, so they are left out here.
    tests: [...PANEL('concurrent_writes', 'guilds'), 'examples/db/test/**/*.test.ts'],
  },
};
