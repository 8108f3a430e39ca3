import {
  createSession,
  getActiveSessionWithAccess,
  revokeSession,
  runMigrations,
  sessionManagesGuild,
  upsertGuild,
  upsertMembers,
} from '@wolaro/db';
import { sql, sqlQuery } from '@wolaro/sync/pg';
import { createTestSchema, type TestSchema } from '@wolaro/test-harness';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The settings write checks the session and the caller's rights inside its own statement
// (sessionManagesGuild as its precondition). That SQL must say exactly what the two-step check
// (getActiveSessionWithAccess, then accessOf in JS) says, for every session and permission value.

const GUILD = '720000000000000001';
const GONE = '720000000000000002';
const OWNER = '730000000000000001';
const USER = '730000000000000002';

let schema: TestSchema;

beforeEach(async () => {
  schema = await createTestSchema('session_precondition');
  await runMigrations(schema.pool);
  await upsertGuild(schema.pool, { guildId: GUILD, name: 'Alpha', ownerId: OWNER });
  await upsertGuild(schema.pool, { guildId: GONE, name: 'Gone', ownerId: OWNER });
  await schema.pool.query('UPDATE guilds SET bot_present = false WHERE guild_id = $1', [GONE]);
});

afterEach(async () => {
  await schema.drop();
});

/** The precondition's value now. */
async function holds(auth: { sessionId: string; userId: string }, guildId: string): Promise<boolean> {
  const { text, values } = sqlQuery(sql`SELECT (${sessionManagesGuild(auth, guildId)}) AS ok`);
  const { rows } = await schema.pool.query<{ ok: boolean }>(text, values);
  return rows[0]!.ok;
}

/** What the two-step check decides: an active session whose user may manage a guild with the bot. */
async function twoStep(auth: { sessionId: string; userId: string }, guildId: string): Promise<boolean> {
  const found = await getActiveSessionWithAccess(schema.pool, auth.sessionId, guildId);
  return (
    found !== null &&
    found.session.userId === auth.userId &&
    found.access.exists &&
    found.access.botPresent &&
    found.access.canManage
  );
}

const setPermissions = (permissions: string) =>
  schema.pool.query('UPDATE guild_members SET permissions = $3 WHERE guild_id = $1 AND user_id = $2', [
    GUILD,
    USER,
    permissions,
  ]);

describe('sessionManagesGuild (the settings write precondition)', () => {
  it('agrees with the two-step check for any stored permission value', async () => {
    const session = await createSession(schema.pool, { userId: USER, ttlSeconds: 3600 });
    await upsertMembers(schema.pool, GUILD, [
      { userId: USER, username: 'u', permissions: '0', isOwner: false },
    ]);
    const auth = { sessionId: session.sessionId, userId: USER };
    // What the column holds (its CHECK: 1 to 20 digits), up to 20 nines: past bigint.
    const permissions = fc.oneof(
      fc.bigInt({ min: 0n, max: 10n ** 20n - 1n }).map(String),
      fc.bigInt({ min: 0n, max: 255n }).map((n) => `000${n}`.slice(-4)), // leading zeros
      fc.constantFrom('8', '9', '7', '15', '16', '24', '18446744073709551615', '99999999999999999999'),
    );
    await fc.assert(
      fc.asyncProperty(permissions, async (p) => {
        await setPermissions(p);
        expect(await holds(auth, GUILD), `permissions ${JSON.stringify(p)}`).toBe(await twoStep(auth, GUILD));
      }),
      { numRuns: 150 },
    );
    // Both sides actually vary over that input.
    await setPermissions('8');
    expect(await holds(auth, GUILD)).toBe(true);
    await setPermissions('7');
    expect(await holds(auth, GUILD)).toBe(false);
  });

  it('is false for a revoked or expired session, another user, a guild without the bot, and malformed ids', async () => {
    const owner = await createSession(schema.pool, { userId: OWNER, ttlSeconds: 3600 });
    const auth = { sessionId: owner.sessionId, userId: OWNER };
    expect(await holds(auth, GUILD)).toBe(true);
    expect(await holds(auth, GONE)).toBe(false);
    expect(await holds(auth, '720000000000000099')).toBe(false); // unknown guild
    expect(await holds({ ...auth, userId: USER }, GUILD)).toBe(false); // the session is the owner's
    expect(await holds({ ...auth, sessionId: 'not-a-uuid' }, GUILD)).toBe(false);
    expect(await holds({ ...auth, userId: '1 OR 1=1' }, GUILD)).toBe(false);
    expect(await holds(auth, "1' OR '1'='1")).toBe(false);

    const expired = await createSession(schema.pool, { userId: OWNER, ttlSeconds: -1 });
    expect(await holds({ sessionId: expired.sessionId, userId: OWNER }, GUILD)).toBe(false);
    expect(await revokeSession(schema.pool, owner.sessionId)).toBe(true);
    expect(await holds(auth, GUILD)).toBe(false);
  });

  it('a member flagged as owner manages the guild without ADMINISTRATOR', async () => {
    const session = await createSession(schema.pool, { userId: USER, ttlSeconds: 3600 });
    await upsertMembers(schema.pool, GUILD, [
      { userId: USER, username: 'u', permissions: '0', isOwner: true },
    ]);
    const auth = { sessionId: session.sessionId, userId: USER };
    expect(await holds(auth, GUILD)).toBe(true);
    expect(await twoStep(auth, GUILD)).toBe(true);
  });
});
