// Mutants reviewed and found equivalent (no test can tell them apart from the original code).
// They are left out of the mutation score and listed in docs/testing.md with the reason.
// Match: the file, Stryker's mutator name, the original code and the replacement (whitespace-trimmed).
// No line numbers (they move with every edit): an entry stands for one place in its file, or for
// `places` of them when the same code appears more than once for the same reason. A live mutant
// elsewhere with the same text would be hidden by the entry, so `npm run mutation:summary` warns
// when an entry matches more live mutants than its places (and `--check` fails).

/** @typedef {{ file: string; mutator: string; original: string; replacement: string; reason: string; places: number }} EquivalentMutant */

/**
 * The mutants of one file found equivalent for one reason, each as [mutator, original, replacement]
 * or [mutator, original, replacement, places] (how many places of the file it stands for; 1 if left out).
 * @param {string} file
 * @param {string} reason
 * @param {...([mutator: string, original: string, replacement: string] | [mutator: string, original: string, replacement: string, places: number])} mutants
 * @returns {EquivalentMutant[]}
 */
function equivalent(file, reason, ...mutants) {
  return mutants.map(([mutator, original, replacement, places = 1]) => ({
    file,
    mutator,
    original,
    replacement,
    reason,
    places,
  }));
}

/** @type {EquivalentMutant[]} */
export const EQUIVALENT_MUTANTS = [
  ...equivalent(
    'packages/wolaro-sync/src/internal/payload_check.ts',
    'a shortcut only: the UTF-8 measure on the next line refuses the same strings (bytes ≥ units)',
    ['ConditionalExpression', 'raw.length > maxBytes', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/internal/payload_check.ts',
    'a shortcut only: without it every string is measured, with the same verdict',
    ['ConditionalExpression', 'raw.length * 3 > maxBytes', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/internal/payload_check.ts',
    'at units × 3 = maxBytes the byte length cannot exceed maxBytes, so measuring changes nothing',
    ['EqualityOperator', 'raw.length * 3 > maxBytes', 'raw.length * 3 >= maxBytes'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/internal/payload_check.ts',
    "Buffer.byteLength treats an empty encoding as 'utf8'",
    ['StringLiteral', "'utf8'", '""'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/internal/payload_check.ts',
    'a shortcut only: without it the reviver runs on every message, with the same verdict',
    ['ConditionalExpression', '!FORBIDDEN_HINT.test(raw)', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/auth/jwt_verifier.ts',
    'jose skips the issuer check when `issuer` is undefined, as when it is left out',
    ['ConditionalExpression', 'options.issuer !== undefined', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/auth/jwt_verifier.ts',
    'jose skips the audience check when `audience` is undefined, as when it is left out',
    ['ConditionalExpression', 'options.audience !== undefined', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/internal/handshake.ts',
    'Number.isFinite is false for anything that is not a number, so the next test refuses it anyway',
    ['ConditionalExpression', "typeof expiresAt !== 'number'", 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/internal/handshake.ts',
    '`undefined <= Date.now()` is false: no expiry is never expired, with or without the guard',
    ['ConditionalExpression', 'expiresAt !== undefined', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/internal/origin.ts',
    'an unparsable origin then leaves `normalized` undefined, which the allow-list never holds',
    ['BlockStatement', '{ return false; // `null` (sandboxed iframes, file://) and garbage }', '{}'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/internal/origin.ts',
    "the allow-list only holds http(s) origins (normalizeOrigin), never 'null'",
    ['ConditionalExpression', "normalized !== 'null'", 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/internal/origin.ts',
    "the allow-list only holds http(s) origins (normalizeOrigin), never 'null' or ''",
    ['StringLiteral', "'null'", '""'],
  ),
  ...equivalent(
    'examples/panel-api/src/auth/oauth_state.ts',
    'a cookie starting with "." has an empty value, which never equals a (non-empty) state',
    ['ConditionalExpression', 'dot <= 0', 'false'],
    ['EqualityOperator', 'dot <= 0', 'dot < 0'],
  ),
  ...equivalent(
    'examples/panel-api/src/auth/tokens.ts',
    'the verified-token cache only saves work: a miss re-verifies the token with the same verdict',
    [
      'ConditionalExpression',
      'cached && cached.secret === secret && cached.claims.expiresAt > Date.now()',
      'false',
    ],
    ['EqualityOperator', 'cached.claims.expiresAt > Date.now()', 'cached.claims.expiresAt >= Date.now()'],
    ['ObjectLiteral', '{ secret, claims }', '{}'],
    ['ObjectLiteral', '{ ttl: Math.max(1, claims.expiresAt - Date.now()) }', '{}'],
    [
      'MethodExpression',
      'Math.max(1, claims.expiresAt - Date.now())',
      'Math.min(1, claims.expiresAt - Date.now())',
    ],
    ['ArithmeticOperator', 'claims.expiresAt - Date.now()', 'claims.expiresAt + Date.now()'],
  ),
  ...equivalent(
    'examples/panel-api/src/auth/tokens.ts',
    'the shape check right after refuses a token without exp, sub or sid with the same error',
    ['ArrayDeclaration', "['exp', 'sub', 'sid']", '[]'],
  ),
  ...equivalent(
    'examples/panel-api/src/auth/tokens.ts',
    'the snowflake test right after refuses a missing sub with the same error',
    ['ConditionalExpression', "typeof sub !== 'string'", 'false'],
  ),
  ...equivalent(
    'examples/panel-api/src/auth/tokens.ts',
    'jose already refuses a non-numeric exp, and requiredClaims a missing one',
    ['ConditionalExpression', "typeof exp !== 'number'", 'false'],
  ),
  ...equivalent(
    'examples/panel-api/src/auth/tokens.ts',
    'an ApiError re-wrapped there becomes the same 401 unauthorized "Invalid token"',
    ['ConditionalExpression', 'err instanceof ApiError', 'false'],
  ),
  ...equivalent(
    'examples/db/src/members.ts',
    'a shortcut only: owner and member ids are snowflakes, so a user id that is none matches no row and the query answers [] too',
    ['ConditionalExpression', '!SNOWFLAKE.test(userId)', 'false'],
  ),
  ...equivalent(
    'examples/panel-api/src/auth/middleware.ts',
    "a shortcut of the settings write route: without it the token check refuses a missing token, and the route's error handler then runs requireSession, whose refusal (the same message) is the answer",
    ['ConditionalExpression', '!token', 'false'],
    ['StringLiteral', "'Authentication required: send Authorization: Bearer <token>'", '""'],
  ),
  ...equivalent(
    'examples/panel-api/src/auth/middleware.ts',
    'a guild id that is no string is undefined, which SNOWFLAKE.test reads as the text "undefined": refused all the same',
    // requireGuildManager and requireTokenForGuildWrite check the id the same way
    ['ConditionalExpression', "typeof guildId !== 'string'", 'false', 2],
  ),
  ...equivalent(
    'examples/panel-api/src/auth/middleware.ts',
    'the guild-access prefetch only saves a query: without it (or ignored) requireGuildManager reads the access again, same response',
    ['StringLiteral', "'id'", '""'],
    ['ConditionalExpression', "typeof guildId === 'string'", 'true'],
    ['ConditionalExpression', "typeof guildId === 'string'", 'false'],
    ['EqualityOperator', "typeof guildId === 'string'", "typeof guildId !== 'string'"],
    ['StringLiteral', "'string'", '""'],
    ['ConditionalExpression', 'found', 'false'],
    ['StringLiteral', "'access'", '""'],
    ['ObjectLiteral', '{ guildId, ...found.access }', '{}'],
    ['ConditionalExpression', 'prefetched?.guildId === guildId', 'true'],
    ['ConditionalExpression', 'prefetched?.guildId === guildId', 'false'],
    ['EqualityOperator', 'prefetched?.guildId === guildId', 'prefetched?.guildId !== guildId'],
    ['OptionalChaining', 'prefetched?.guildId', 'prefetched.guildId'],
  ),
  // panel-access
  ...equivalent(
    'examples/panel-api/src/routes/guilds.ts',
    'requireGuildManager already answers 404 guild_not_found for a guild not in the database; this branch only covers a guild deleted between the two reads',
    ['ConditionalExpression', '!guild', 'false'],
    ['StringLiteral', "'The bot is not in this guild'", '""'],
    ['StringLiteral', "'guild_not_found'", '""'],
  ),
  ...equivalent(
    'examples/panel-api/src/routes/guilds.ts',
    'Express always gives a matched `:name` path parameter as a string, so the fallback is never used',
    ['StringLiteral', "''", '"Stryker was here!"'],
  ),
  ...equivalent(
    'examples/db/src/members.ts',
    "a bigint kept as is gives the same result: RegExp.test reads it as its decimal string and pg sends it as one; a string's toString() is itself",
    ['ConditionalExpression', "typeof value === 'bigint'", 'true'],
    ['ConditionalExpression', "typeof value === 'bigint'", 'false'],
    ['EqualityOperator', "typeof value === 'bigint'", "typeof value !== 'bigint'"],
    ['StringLiteral', "'bigint'", '""'],
  ),
  ...equivalent(
    'examples/db/src/members.ts',
    'a shortcut only: the INSERT of an empty list inserts nothing and reports 0 rows',
    ['ConditionalExpression', 'members.length === 0', 'false'],
  ),
  ...equivalent(
    'examples/db/src/members.ts',
    'deleting a listed membership too, or running the DELETE with an empty list, ends in the same rows: every listed membership is upserted right after',
    ['ArrowFunction', '(m) => m.guildId', '() => undefined'],
    [
      'MethodExpression',
      'rows.map((r) => r.guild_id).filter((id) => !listed.has(id))',
      'rows.map(r => r.guild_id)',
    ],
    ['ConditionalExpression', 'gone.length > 0', 'true'],
    ['EqualityOperator', 'gone.length > 0', 'gone.length >= 0'],
  ),
  ...equivalent(
    'examples/panel-api/src/routes/guilds.ts',
    'Express always gives a matched `:name` path parameter as a string',
    ['ConditionalExpression', "typeof raw === 'string'", 'true'],
  ),
  // panel-writes
  ...equivalent(
    'examples/db/src/config_writes.ts',
    'the revision INSERT runs in the same statement as the UPDATE and always returns its row',
    ['OptionalChaining', 'revision?.modules', 'revision.modules'],
  ),
  ...equivalent(
    'examples/db/src/config_writes.ts',
    'JSON.stringify(undefined) is undefined, which pg sends as NULL: the same parameter',
    ['ConditionalExpression', 'input.config === undefined', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/transports/failover.ts',
    'the de-duplication set only asks has(key): LRUCache holds a stored false like true (only undefined deletes)',
    ['BooleanLiteral', 'true', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/transports/failover.ts',
    'members are checked non-empty at construction, so results always has a first entry here',
    ['OptionalChaining', 'results[0]?.reason', 'results[0].reason'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/transports/memory.ts',
    "the state is only compared to 'connected' and 'closed', so '' acts exactly like 'idle'",
    ['StringLiteral', "'idle'", '""'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/transports/redis.ts',
    "#started = false → true: the lazy subscriber connects only through connect(), which sets #started first; autoResubscribe: false → true: the transport resubscribes its whole set on every 'ready', ioredis would only repeat idempotent SUBSCRIBEs",
    ['BooleanLiteral', 'false', 'true', 2],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/transports/redis.ts',
    "'ready' only follows connect() (started) and never follows close(), whose disconnect() cancels reconnection",
    ['ConditionalExpression', 'this.#started && !this.#closed', 'true'],
    ['LogicalOperator', 'this.#started && !this.#closed', 'this.#started || !this.#closed'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/transports/redis.ts',
    'the tag is empty on plain Redis; on a Cluster the sharded subscriber hears only the channels it subscribed to, all tagged',
    ['ConditionalExpression', 'channel.startsWith(this.#tag)', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/transports/redis.ts',
    'the leftover timer only rejects a promise that Promise.race has already settled: nothing observable',
    ['BlockStatement', '{\n      clearTimeout(timer);\n    }', '{}'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/gateway/attach.ts',
    "every socket in #sockets has a state and leaves the set on 'disconnect', which socket.io emits in the same synchronous close that clears `connected`",
    ['ConditionalExpression', 'state && socket.connected', 'true'],
    ['LogicalOperator', 'state && socket.connected', 'state || socket.connected'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/gateway/attach.ts',
    'the `: []` branch of a connected tracked socket is unreachable (see above); `state.guilds = []` is never read again',
    ['ArrayDeclaration', '[]', '["Stryker was here"]', 2],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/gateway/attach.ts',
    "socket.io's adapter deletes a room when its last member leaves, so a listed room is never empty",
    ['ConditionalExpression', 'members.size === 0', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/gateway/attach.ts',
    "session keys become ':<sid>', which cannot meet a '<userId>:<guildId>' key: user ids are non-empty snowflakes",
    ['StringLiteral', "'session'", '""'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/gateway/attach.ts',
    'a TokenBucket built from `false` has NaN tokens and take() always allows: the same as no bucket',
    ['ConditionalExpression', 'rateLimit === false', 'false'],
    ['BooleanLiteral', 'false', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/gateway/attach.ts',
    "only `kind === 'leave'` is ever compared, so the join label's text is never read",
    ['StringLiteral', "'join'", '""'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/gateway/attach.ts',
    'a delay of exactly 0 re-arms a 1 ms timer that then expires the socket the same way',
    ['EqualityOperator', 'delay <= 0', 'delay < 0'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/gateway/attach.ts',
    "a second close() only repeats no-ops on sets the first one emptied; at the handshake's start, the same check after the token's verification refuses the handshake with the same 'unavailable'",
    ['ConditionalExpression', 'this.#closed', 'false', 2],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/gateway/attach.ts',
    "every tracked socket has a state; disconnect(true) fires 'disconnect' synchronously and that handler clears the timer",
    ['ConditionalExpression', 'state', 'true'],
    ['ConditionalExpression', 'state', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync-socketio/src/gateway/options.ts',
    'the issue code never reaches the thrown message (only path and message do), and the issue is still recorded',
    ['StringLiteral', "'custom'", '""', 3],
  ),
  ...equivalent('packages/wolaro-sync/src/cache/envelope.ts', '`indexOf(MARK, 1)` is never 0', [
    'EqualityOperator',
    'end < 0',
    'end <= 0',
  ]),
  ...equivalent('packages/wolaro-sync/src/cache/envelope.ts', "`indexOf(':', 1)` is never 0", [
    'EqualityOperator',
    'colon > 0',
    'colon >= 0',
  ]),
  ...equivalent('packages/wolaro-sync/src/cache/envelope.ts', "`raw[end]` is the mark byte, never ':'", [
    'EqualityOperator',
    'colon < end',
    'colon <= end',
  ]),
  ...equivalent(
    'packages/wolaro-sync/src/cache/envelope.ts',
    '`Number.isFinite(undefined)` is false anyway',
    ['ConditionalExpression', 'writtenAt !== undefined', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/memory_fallback.ts',
    'the warm-up entry is set and deleted in an empty cache (as a value or a tombstone alike)',
    ['StringLiteral', "'\\u0000warm'", '""'],
    ['StringLiteral', "'x'", '""'],
    ['BooleanLiteral', 'false', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/memory_fallback.ts',
    'an absent key has 0 ms left, so the answer is undefined anyway',
    ['ConditionalExpression', 'raw === undefined', 'false'],
  ),
  ...equivalent('packages/wolaro-sync/src/cache/write_back.ts', '`entry &&` stops the evaluation first', [
    'OptionalChaining',
    'decoded?.version',
    'decoded.version',
  ]),
  ...equivalent('packages/wolaro-sync/src/cache/write_back.ts', "the CAS script only tests for '0'", [
    'StringLiteral',
    "'1'",
    '""',
  ]),
  ...equivalent(
    'packages/wolaro-sync/src/cache/redis_link.ts',
    'only a single Redis that is already ready takes the shortcut, and waitForReady resolves for it at once and leaves the state up as well',
    ['ConditionalExpression', 'ready', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/redis_link.ts',
    "#tick's two checks: the first only adds a ping while starting, whose failure the second ignores; the second, because markDown ignores any state but up or starting, and the tick only pings when up",
    ['ConditionalExpression', "this.#state === 'up'", 'true', 2],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/loaded_config.ts',
    'Number.isSafeInteger is already false for any non-number',
    ['ConditionalExpression', "typeof n === 'number'", 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/loaded_config.ts',
    'nothing reads the issue code; the message uses only path and message',
    ['StringLiteral', "'custom'", '""'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/loaded_config.ts',
    'loadedVersion adds exactly one issue: nothing to join',
    ['StringLiteral', "'; '", '""'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/loaded_config.ts',
    "replace() changes only the first match, and the issue always starts with '(root): '",
    ['Regex', '/^\\(root\\): /', '/\\(root\\): /'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_sync.ts',
    '{ connectTimeoutMs: undefined } is treated as unset (the default timeout)',
    ['ConditionalExpression', 'options.connectTimeoutMs === undefined', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/fallback.ts',
    'the options schema refuses a bad value before positive() runs, so this name is never printed',
    ['StringLiteral', "'defaultTtlSeconds'", '""'],
    ['StringLiteral', "'maxKeyLength'", '""'],
    ['StringLiteral', "'commandTimeoutMs'", '""'],
    ['StringLiteral', "'healthCheckIntervalMs'", '""'],
    ['StringLiteral', "'memory.max'", '""'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/fallback.ts',
    'the options schema refuses every value that is not positive and finite, and the defaults are positive, so the check never fails',
    ['ConditionalExpression', '!(value > 0 && Number.isFinite(value))', 'false'],
    ['ConditionalExpression', 'value > 0 && Number.isFinite(value)', 'true'],
    ['LogicalOperator', 'value > 0 && Number.isFinite(value)', 'value > 0 || Number.isFinite(value)'],
    ['EqualityOperator', 'value > 0', 'value >= 0'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/fallback.ts',
    'with a jitter of 0 the amount taken off is Math.floor(0) = 0: the same TTL',
    ['ConditionalExpression', 'this.#jitter > 0', 'true'],
    ['EqualityOperator', 'this.#jitter > 0', 'this.#jitter >= 0'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/fallback.ts',
    "the CAS script only tests for '0' (the tombstone flag of #write and of invalidateOrGet)",
    ['StringLiteral', "'1'", '""', 2],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/fallback.ts',
    '#kept is only given a value that exists: a reply from the script, or memory after set() refused, which it does only for a live entry at that version or newer',
    ['OptionalChaining', 'found?.data', 'found.data', 2],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/fallback.ts',
    'only slower: with Redis already marked down, invalidateOrGet sends the command anyway, it fails or times out (commandTimeoutMs), and the answer comes from memory as it would have at once (timing, not logic)',
    ['ConditionalExpression', 'await this.#link.usable()', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/fallback.ts',
    'for one key the per-key branch sends the same single DEL',
    ['ConditionalExpression', 'fulls.length === 1', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/fallback.ts',
    'the options schema refuses a bad value before positive() runs, so this message is never printed',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the original code of the mutant, quoted as text
    ['StringLiteral', '`${name} must be a positive number, got ${value}`', '``'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_store.ts',
    'the catch returns undefined instead of false, and every caller treats both alike',
    ['BlockStatement', '{\n      return false;\n    }', '{}'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_store.ts',
    "nothing else ever replaces the running load's entry",
    ['ConditionalExpression', 'this.#flights.get(guildId) === flight', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_store.ts',
    'without a cache, reading L2 returns nothing and no tombstone exists',
    ['ConditionalExpression', 'this.#cache !== undefined', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_store.ts',
    'L2 is only read, and a kept entry only checked, when a cache exists (a tombstone is only recorded with one)',
    ['ConditionalExpression', '!cache', 'false', 2],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_store.ts',
    'value is undefined already when JSON.parse throws',
    ['BlockStatement', '{\n      value = undefined;\n    }', '{}'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_store.ts',
    'loadVersions() then answers an empty map, so the check fails the same way',
    ['ConditionalExpression', '!this.#loadVersions', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_store.ts',
    'the else branch sets the key to undefined, which lru-cache treats as a delete',
    ['ConditionalExpression', 'source === undefined', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_store.ts',
    'deleting a missing key does nothing',
    ['ConditionalExpression', 'current !== undefined', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_store.ts',
    'without a cache the tombstone is never read',
    ['ConditionalExpression', 'written', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_store.ts',
    'null already counts as frozen, so nothing changes',
    ['ConditionalExpression', 'value !== null', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_cache.ts',
    'the initial value is never read: resync() sets #resyncAgain = false at the top of its loop, before the only read',
    ['BooleanLiteral', 'false', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_store.ts',
    'the initial value is never read: fetch() calls #fill at once, which sets flight.stale = false before its first await and before any read',
    ['BooleanLiteral', 'false', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/cache/guild_config_store.ts',
    "#suspectLogged is only asked has(key); lru-cache's has() ignores the stored value (no TTL, count-bounded), so false marks the key the same",
    ['BooleanLiteral', 'true', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/relay.ts',
    'LOCATE_TABLE_SQL selects from a one-row subquery with LEFT JOINs: it always returns exactly one row',
    ['OptionalChaining', 'rows[0]?.table_schema', 'rows[0].table_schema'],
    ['OptionalChaining', 'rows[0]?.schema', 'rows[0].schema'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/relay.ts',
    'with pruneAfterMs 0 the timer only calls prune(), which returns 0 at once without a query',
    ['ConditionalExpression', 'this.#o.pruneAfterMs > 0', 'true'],
    ['EqualityOperator', 'this.#o.pruneAfterMs > 0', 'this.#o.pruneAfterMs >= 0'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/relay.ts',
    'stop() reaches it only while running, and start() always sets #offLockReleased before running',
    ['OptionalChaining', 'this.#offLockReleased?.()', 'this.#offLockReleased()'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/relay.ts',
    '#runLoop sets #dirty to false before anything reads it, and #kick only ever sets it to true',
    ['BooleanLiteral', 'false', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/listener.ts',
    '#client is this client or undefined here: only the reconnect timer opens another, and #lost sets it at least 100 ms out, after this failure has reached the catch',
    ['ConditionalExpression', 'this.#client === client', 'true'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/mark_batcher.ts',
    "an immediate flush is due now: a later mark's deadline (now + a delay >= 0) is never earlier, so it is never called off (unless the wall clock steps back within a turn)",
    ['ArrowFunction', '() => clearImmediate(immediate)', '() => undefined'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/versioned_row.ts',
    "a bigint id left as it is only reaches param() (sends value.toString()), pg's prepareValue (toString()) and String(): each makes the same decimal text",
    ['ConditionalExpression', "typeof options.id === 'bigint'", 'false'],
    ['StringLiteral', "'bigint'", '""'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/versioned_statement.ts',
    "pg's Query copies config.name and only tests it for truth: { name: undefined } is the same unnamed statement as no name",
    ['ConditionalExpression', 'statement.name === undefined', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/versioned_update.ts',
    'enqueueClaimed reads options.claimMs ?? DefaultEnqueueClaimedOptions.claimMs: claimMs: undefined claims for the default, as leaving it out does',
    ['ConditionalExpression', 'options.claimMs === undefined', 'false'],
  ),
  ...equivalent(
    'examples/panel-api/src/auth/middleware.ts',
    'unreachable: verifyAccess runs requireGuildManager, which throws its 400 (or requireSession its 401) for the same invalid req.params.id before this line, so this 500 is never thrown',
    ['StringLiteral', "'internal'", '""'],
    ['StringLiteral', "'A guild route without a valid guild id passed its checks'", '""'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/listener.ts',
    'the connection LISTENs on that one channel only: no notification of another channel reaches it',
    ['ConditionalExpression', 'n.channel !== OUTBOX_NOTIFY_CHANNEL', 'false'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/listener.ts',
    'pg emits `error` and then `end` when a connection is lost (it was not ended on purpose): either handler alone calls #lost, the second finds it done',
    ['ArrowFunction', '(err) => this.#lost(client, err)', '() => undefined'],
    ['ArrowFunction', "() => this.#lost(client, new Error('connection ended'))", '() => undefined'],
    ['StringLiteral', "'end'", '""'],
    ['StringLiteral', "'connection ended'", '""'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/backlog.ts',
    'SELECT count(*) always returns exactly one row',
    ['OptionalChaining', 'rows[0]?.n', 'rows[0].n'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/drain_lock.ts',
    'the lock statement selects from a one-row subquery: it always returns exactly one row',
    ['OptionalChaining', 'row?.locked', 'row.locked'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/migrate.ts',
    'a SELECT without FROM always returns exactly one row',
    ['OptionalChaining', 'rows[0]?.schema', 'rows[0].schema'],
    ['OptionalChaining', 'rows[0]?.exists', 'rows[0].exists'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/versioned_statement.ts',
    'a SELECT without FROM always returns exactly one row',
    ['OptionalChaining', 'rows[0]?.ok', 'rows[0].ok'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/sql_fragment.ts',
    'fragments come from the `sql` tag, whose template has one more string than values: the fallback never applies',
    ['StringLiteral', "''", '"Stryker was here!"', 2],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/publish_rows.ts',
    'the outcomes up to i were awaited in order and have settled: waiting for them again changes nothing',
    ['MethodExpression', 'outcomes.slice(i + 1)', 'outcomes'],
    ['ArithmeticOperator', 'i + 1', 'i - 1'],
  ),
  ...equivalent(
    'packages/wolaro-sync/src/pg/outbox/versioned_update.ts',
    "every channel's schema is an object: a string payload spread into { 0: 'g', …, version } is refused all the same (event_payload_shapes.test.ts)",
    ['ConditionalExpression', "typeof payload !== 'object'", 'false'],
  ),
];
