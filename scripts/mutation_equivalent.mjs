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
];
