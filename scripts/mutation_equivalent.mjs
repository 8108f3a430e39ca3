// Mutants reviewed and found equivalent (no test can tell them apart from the original code).
// They are left out of the mutation score and listed in docs/testing.md with the reason.
// Match: the file, Stryker's mutator name, the original code and the replacement (whitespace-trimmed).

/** @type {{ file: string; mutator: string; original: string; replacement: string; reason: string }[]} */
export const EQUIVALENT_MUTANTS = [
  {
    file: 'packages/wolaro-sync/src/channels/codec.ts',
    mutator: 'ConditionalExpression',
    original: 'raw.length > maxBytes',
    replacement: 'false',
    reason: 'a shortcut only: the UTF-8 measure on the next line refuses the same strings (bytes ≥ units)',
  },
  {
    file: 'packages/wolaro-sync/src/channels/codec.ts',
    mutator: 'ConditionalExpression',
    original: 'raw.length * 3 > maxBytes',
    replacement: 'true',
    reason: 'a shortcut only: without it every string is measured, with the same verdict',
  },
  {
    file: 'packages/wolaro-sync/src/channels/codec.ts',
    mutator: 'EqualityOperator',
    original: 'raw.length * 3 > maxBytes',
    replacement: 'raw.length * 3 >= maxBytes',
    reason: 'at units × 3 = maxBytes the byte length cannot exceed maxBytes, so measuring changes nothing',
  },
  {
    file: 'packages/wolaro-sync/src/channels/codec.ts',
    mutator: 'StringLiteral',
    original: "'utf8'",
    replacement: '""',
    reason: "Buffer.byteLength treats an empty encoding as 'utf8'",
  },
  {
    file: 'packages/wolaro-sync/src/channels/codec.ts',
    mutator: 'ConditionalExpression',
    original: '!FORBIDDEN_HINT.test(raw)',
    replacement: 'false',
    reason: 'a shortcut only: without it the reviver runs on every message, with the same verdict',
  },
  {
    file: 'packages/wolaro-sync-socketio/src/auth/jwt_verifier.ts',
    mutator: 'ConditionalExpression',
    original: 'options.issuer !== undefined',
    replacement: 'true',
    reason: 'jose skips the issuer check when `issuer` is undefined, as when it is left out',
  },
  {
    file: 'packages/wolaro-sync-socketio/src/auth/jwt_verifier.ts',
    mutator: 'ConditionalExpression',
    original: 'options.audience !== undefined',
    replacement: 'true',
    reason: 'jose skips the audience check when `audience` is undefined, as when it is left out',
  },
  {
    file: 'packages/wolaro-sync-socketio/src/auth/handshake.ts',
    mutator: 'ConditionalExpression',
    original: "typeof expiresAt !== 'number'",
    replacement: 'false',
    reason: 'Number.isFinite is false for anything that is not a number, so the next test refuses it anyway',
  },
  {
    file: 'packages/wolaro-sync-socketio/src/auth/handshake.ts',
    mutator: 'ConditionalExpression',
    original: 'expiresAt !== undefined',
    replacement: 'true',
    reason: '`undefined <= Date.now()` is false: no expiry is never expired, with or without the guard',
  },
  {
    file: 'packages/wolaro-sync-socketio/src/auth/origin.ts',
    mutator: 'BlockStatement',
    original: '{ return false; // `null` (sandboxed iframes, file://) and garbage }',
    replacement: '{}',
    reason: 'an unparsable origin then leaves `normalized` undefined, which the allow-list never holds',
  },
  {
    file: 'packages/wolaro-sync-socketio/src/auth/origin.ts',
    mutator: 'ConditionalExpression',
    original: "normalized !== 'null'",
    replacement: 'true',
    reason: "the allow-list only holds http(s) origins (normalizeOrigin), never 'null'",
  },
  {
    file: 'packages/wolaro-sync-socketio/src/auth/origin.ts',
    mutator: 'StringLiteral',
    original: "'null'",
    replacement: '""',
    reason: "the allow-list only holds http(s) origins (normalizeOrigin), never 'null' or ''",
  },
  {
    file: 'examples/panel-api/src/auth/oauth_state.ts',
    mutator: 'ConditionalExpression',
    original: 'dot <= 0',
    replacement: 'false',
    reason: 'a cookie starting with "." has an empty value, which never equals a (non-empty) state',
  },
  {
    file: 'examples/panel-api/src/auth/oauth_state.ts',
    mutator: 'EqualityOperator',
    original: 'dot <= 0',
    replacement: 'dot < 0',
    reason: 'a cookie starting with "." has an empty value, which never equals a (non-empty) state',
  },
  {
    file: 'examples/panel-api/src/auth/tokens.ts',
    mutator: 'ConditionalExpression',
    original: 'cached && cached.secret === secret && cached.claims.expiresAt > Date.now()',
    replacement: 'false',
    reason: 'the verified-token cache only saves work: a miss re-verifies the token with the same verdict',
  },
  {
    file: 'examples/panel-api/src/auth/tokens.ts',
    mutator: 'EqualityOperator',
    original: 'cached.claims.expiresAt > Date.now()',
    replacement: 'cached.claims.expiresAt >= Date.now()',
    reason: 'the verified-token cache only saves work: a miss re-verifies the token with the same verdict',
  },
  {
    file: 'examples/panel-api/src/auth/tokens.ts',
    mutator: 'ObjectLiteral',
    original: '{ secret, claims }',
    replacement: '{}',
    reason: 'the verified-token cache only saves work: a miss re-verifies the token with the same verdict',
  },
  {
    file: 'examples/panel-api/src/auth/tokens.ts',
    mutator: 'ObjectLiteral',
    original: '{ ttl: Math.max(1, claims.expiresAt - Date.now()) }',
    replacement: '{}',
    reason: 'the verified-token cache only saves work: a miss re-verifies the token with the same verdict',
  },
  {
    file: 'examples/panel-api/src/auth/tokens.ts',
    mutator: 'MethodExpression',
    original: 'Math.max(1, claims.expiresAt - Date.now())',
    replacement: 'Math.min(1, claims.expiresAt - Date.now())',
    reason: 'the verified-token cache only saves work: a miss re-verifies the token with the same verdict',
  },
  {
    file: 'examples/panel-api/src/auth/tokens.ts',
    mutator: 'ArithmeticOperator',
    original: 'claims.expiresAt - Date.now()',
    replacement: 'claims.expiresAt + Date.now()',
    reason: 'the verified-token cache only saves work: a miss re-verifies the token with the same verdict',
  },
  {
    file: 'examples/panel-api/src/auth/tokens.ts',
    mutator: 'ArrayDeclaration',
    original: "['exp', 'sub', 'sid']",
    replacement: '[]',
    reason: 'the shape check right after refuses a token without exp, sub or sid with the same error',
  },
  {
    file: 'examples/panel-api/src/auth/tokens.ts',
    mutator: 'ConditionalExpression',
    original: "typeof sub !== 'string'",
    replacement: 'false',
    reason: 'the snowflake test right after refuses a missing sub with the same error',
  },
  {
    file: 'examples/panel-api/src/auth/tokens.ts',
    mutator: 'ConditionalExpression',
    original: "typeof exp !== 'number'",
    replacement: 'false',
    reason: 'jose already refuses a non-numeric exp, and requiredClaims a missing one',
  },
  {
    file: 'examples/panel-api/src/auth/tokens.ts',
    mutator: 'ConditionalExpression',
    original: 'err instanceof ApiError',
    replacement: 'false',
    reason: 'an ApiError re-wrapped there becomes the same 401 unauthorized "Invalid token"',
  },
  {
    file: 'examples/panel-api/src/auth/middleware.ts',
    mutator: 'StringLiteral',
    original: "'id'",
    replacement: '""',
    reason:
      'the guild-access prefetch only saves a query: without it (or ignored) requireGuildManager reads the access again, same response',
  },
  {
    file: 'examples/panel-api/src/auth/middleware.ts',
    mutator: 'ConditionalExpression',
    original: "typeof guildId === 'string'",
    replacement: 'true',
    reason:
      'the guild-access prefetch only saves a query: without it (or ignored) requireGuildManager reads the access again, same response',
  },
  {
    file: 'examples/panel-api/src/auth/middleware.ts',
    mutator: 'ConditionalExpression',
    original: "typeof guildId === 'string'",
    replacement: 'false',
    reason:
      'the guild-access prefetch only saves a query: without it (or ignored) requireGuildManager reads the access again, same response',
  },
  {
    file: 'examples/panel-api/src/auth/middleware.ts',
    mutator: 'EqualityOperator',
    original: "typeof guildId === 'string'",
    replacement: "typeof guildId !== 'string'",
    reason:
      'the guild-access prefetch only saves a query: without it (or ignored) requireGuildManager reads the access again, same response',
  },
  {
    file: 'examples/panel-api/src/auth/middleware.ts',
    mutator: 'StringLiteral',
    original: "'string'",
    replacement: '""',
    reason:
      'the guild-access prefetch only saves a query: without it (or ignored) requireGuildManager reads the access again, same response',
  },
  {
    file: 'examples/panel-api/src/auth/middleware.ts',
    mutator: 'ConditionalExpression',
    original: 'found',
    replacement: 'false',
    reason:
      'the guild-access prefetch only saves a query: without it (or ignored) requireGuildManager reads the access again, same response',
  },
  {
    file: 'examples/panel-api/src/auth/middleware.ts',
    mutator: 'StringLiteral',
    original: "'access'",
    replacement: '""',
    reason:
      'the guild-access prefetch only saves a query: without it (or ignored) requireGuildManager reads the access again, same response',
  },
  {
    file: 'examples/panel-api/src/auth/middleware.ts',
    mutator: 'ObjectLiteral',
    original: '{ guildId, ...found.access }',
    replacement: '{}',
    reason:
      'the guild-access prefetch only saves a query: without it (or ignored) requireGuildManager reads the access again, same response',
  },
  {
    file: 'examples/panel-api/src/auth/middleware.ts',
    mutator: 'ConditionalExpression',
    original: 'prefetched?.guildId === guildId',
    replacement: 'true',
    reason:
      'the guild-access prefetch only saves a query: without it (or ignored) requireGuildManager reads the access again, same response',
  },
  {
    file: 'examples/panel-api/src/auth/middleware.ts',
    mutator: 'ConditionalExpression',
    original: 'prefetched?.guildId === guildId',
    replacement: 'false',
    reason:
      'the guild-access prefetch only saves a query: without it (or ignored) requireGuildManager reads the access again, same response',
  },
  {
    file: 'examples/panel-api/src/auth/middleware.ts',
    mutator: 'EqualityOperator',
    original: 'prefetched?.guildId === guildId',
    replacement: 'prefetched?.guildId !== guildId',
    reason:
      'the guild-access prefetch only saves a query: without it (or ignored) requireGuildManager reads the access again, same response',
  },
  {
    file: 'examples/panel-api/src/auth/middleware.ts',
    mutator: 'OptionalChaining',
    original: 'prefetched?.guildId',
    replacement: 'prefetched.guildId',
    reason:
      'the guild-access prefetch only saves a query: without it (or ignored) requireGuildManager reads the access again, same response',
  },
];
