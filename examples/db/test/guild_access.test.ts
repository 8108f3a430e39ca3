import {
  guildAccess,
  guildAccessMany,
  hasAdministrator,
  listManagedGuilds,
  pruneMembers,
  removeMember,
  replaceUserMemberships,
  runMigrations,
  setMemberPermissions,
  upsertGuild,
  upsertMembers,
} from '@wolaro/db';
import { createTestSchema, type TestSchema } from '@wolaro/test-harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accessOf } from '../src/members.js';

// Who may manage a guild in the panel: the owner, a member flagged as owner, or a member with the
// ADMINISTRATOR bit; and only while the bot is in the guild. These are the rows every panel request
// is checked against, so each rule is pinned down here against a real Postgres schema.

const GUILD = '700000000000000001';
const OTHER = '700000000000000002';
const GONE = '700000000000000003';
const OWNER = '710000000000000001';
const ADMIN = '710000000000000002';
const MOD = '710000000000000003';
const STRANGER = '710000000000000004';
/** KICK_MEMBERS | BAN_MEMBERS | MANAGE_MESSAGES: many rights, but not ADMINISTRATOR. */
const MODERATOR_PERMS = String(2 | 4 | 8192);

let schema: TestSchema;

beforeEach(async () => {
  schema = await createTestSchema('guild_access');
  await runMigrations(schema.pool);
  await upsertGuild(schema.pool, { guildId: GUILD, name: 'Alpha', ownerId: OWNER });
  await upsertGuild(schema.pool, { guildId: OTHER, name: 'Beta', ownerId: STRANGER });
  await upsertGuild(schema.pool, { guildId: GONE, name: 'Gone', ownerId: OWNER });
  await schema.pool.query('UPDATE guilds SET bot_present = false WHERE guild_id = $1', [GONE]);
});

afterEach(async () => {
  await schema.drop();
});

async function memberRows(guildId: string) {
  const { rows } = await schema.pool.query<{
    user_id: string;
    username: string | null;
    permissions: string;
    is_owner: boolean;
  }>(
    'SELECT user_id, username, permissions, is_owner FROM guild_members WHERE guild_id = $1 ORDER BY user_id',
    [guildId],
  );
  return rows;
}

/** The access to a guild in the database, with the bot there or not. */
const present = (botPresent: boolean, canManage: boolean) => ({ exists: true, botPresent, canManage });

describe('hasAdministrator', () => {
  it('is true exactly when the ADMINISTRATOR bit (0x8) is set', () => {
    expect(hasAdministrator('8')).toBe(true);
    expect(hasAdministrator(String(8 | 1 | 2048))).toBe(true);
    // a bit beyond 2^53, with ADMINISTRATOR: BigInt arithmetic, not Number
    expect(hasAdministrator((2n ** 60n + 8n).toString())).toBe(true);
    expect(hasAdministrator(MODERATOR_PERMS)).toBe(false);
    expect(hasAdministrator(String(16))).toBe(false);
    expect(hasAdministrator('0')).toBe(false);
  });

  it('refuses anything that is not a decimal bitfield of at most 20 digits', () => {
    expect(hasAdministrator(null)).toBe(false);
    expect(hasAdministrator(undefined)).toBe(false);
    expect(hasAdministrator('')).toBe(false);
    expect(hasAdministrator('0x8')).toBe(false);
    expect(hasAdministrator('8 ')).toBe(false);
    expect(hasAdministrator(' 8')).toBe(false);
    expect(hasAdministrator('-8')).toBe(false);
    expect(hasAdministrator(`${'0'.repeat(20)}8`)).toBe(false);
    expect(hasAdministrator(`${'0'.repeat(19)}8`)).toBe(true);
  });
});

describe('accessOf', () => {
  const row = (over: Partial<Parameters<typeof accessOf>[0] & object> = {}) => ({
    owner_id: OWNER,
    bot_present: true,
    permissions: null,
    is_owner: null,
    exists: true,
    ...over,
  });

  it('an unknown guild gives no access at all', () => {
    const none = { exists: false, botPresent: false, canManage: false };
    expect(accessOf(undefined, OWNER)).toEqual(none);
    expect(accessOf(row({ exists: false }), OWNER)).toEqual(none);
  });

  it('the owner, a member flagged owner and an administrator may manage; others may not', () => {
    expect(accessOf(row(), OWNER)).toEqual(present(true, true));
    expect(accessOf(row({ is_owner: true }), MOD).canManage).toBe(true);
    expect(accessOf(row({ permissions: '8' }), ADMIN).canManage).toBe(true);
    expect(accessOf(row({ permissions: MODERATOR_PERMS }), MOD)).toEqual(present(true, false));
    expect(accessOf(row({ is_owner: false }), STRANGER).canManage).toBe(false);
  });

  it('reports the bot as present only when the column says true', () => {
    expect(accessOf(row({ bot_present: false }), OWNER)).toEqual(present(false, true));
    expect(accessOf(row({ bot_present: null }), OWNER).botPresent).toBe(false);
  });
});

describe('guildAccess', () => {
  it('reads the owner, administrators and plain members from the database', async () => {
    await upsertMembers(schema.pool, GUILD, [
      { userId: ADMIN, permissions: '8' },
      { userId: MOD, permissions: MODERATOR_PERMS },
    ]);
    expect(await guildAccess(schema.pool, OWNER, GUILD)).toEqual(present(true, true));
    expect(await guildAccess(schema.pool, ADMIN, GUILD)).toEqual(present(true, true));
    expect(await guildAccess(schema.pool, MOD, GUILD)).toEqual(present(true, false));
    expect(await guildAccess(schema.pool, STRANGER, GUILD)).toEqual(present(true, false));
  });

  it('sees a guild the bot left, and an unknown guild as not existing', async () => {
    expect(await guildAccess(schema.pool, OWNER, GONE)).toEqual(present(false, true));
    expect(await guildAccess(schema.pool, OWNER, '799999999999999999')).toEqual({
      exists: false,
      botPresent: false,
      canManage: false,
    });
  });

  it('does not query with ids that are not snowflakes', async () => {
    const none = { exists: false, botPresent: false, canManage: false };
    expect(await guildAccess(schema.pool, OWNER, `${GUILD} OR 1=1`)).toEqual(none);
    expect(await guildAccess(schema.pool, `${OWNER}x`, GUILD)).toEqual(none);
  });
});

describe('listManagedGuilds', () => {
  it('lists the guilds with the bot where the user is owner or administrator, by name', async () => {
    await upsertGuild(schema.pool, { guildId: '700000000000000004', name: 'Aardvark', ownerId: STRANGER });
    await upsertMembers(schema.pool, '700000000000000004', [{ userId: OWNER, permissions: '8' }]);
    await upsertMembers(schema.pool, OTHER, [{ userId: OWNER, permissions: MODERATOR_PERMS }]);
    const guilds = await listManagedGuilds(schema.pool, OWNER);
    expect(guilds).toEqual([
      { guildId: '700000000000000004', name: 'Aardvark', icon: null, isOwner: false, version: 1 },
      { guildId: GUILD, name: 'Alpha', icon: null, isOwner: true, version: 1 },
    ]);
  });

  it('counts a member flagged as owner as owner, and gives the version as a number', async () => {
    await upsertMembers(schema.pool, OTHER, [{ userId: MOD, permissions: '0', isOwner: true }]);
    await schema.pool.query('UPDATE guilds SET version = 42 WHERE guild_id = $1', [OTHER]);
    expect(await listManagedGuilds(schema.pool, MOD)).toEqual([
      { guildId: OTHER, name: 'Beta', icon: null, isOwner: true, version: 42 },
    ]);
  });

  it('is empty for a user who manages nothing, and for an id that is not a snowflake', async () => {
    await upsertMembers(schema.pool, GUILD, [{ userId: MOD, permissions: MODERATOR_PERMS }]);
    expect(await listManagedGuilds(schema.pool, MOD)).toEqual([]);
    expect(await listManagedGuilds(schema.pool, `${OWNER}' OR '1'='1`)).toEqual([]);
  });
});

describe('member writes', () => {
  it('upsertMembers inserts, then updates permissions and owner flag but keeps a known username', async () => {
    expect(await upsertMembers(schema.pool, GUILD, [])).toBe(0);
    expect(
      await upsertMembers(schema.pool, GUILD, [
        { userId: ADMIN, username: 'ada', permissions: 8n },
        { userId: MOD, permissions: MODERATOR_PERMS, isOwner: true },
      ]),
    ).toBe(2);
    expect(await memberRows(GUILD)).toEqual([
      { user_id: ADMIN, username: 'ada', permissions: '8', is_owner: false },
      { user_id: MOD, username: null, permissions: MODERATOR_PERMS, is_owner: true },
    ]);
    expect(
      await upsertMembers(schema.pool, GUILD, [{ userId: ADMIN, permissions: '0', isOwner: true }]),
    ).toBe(1);
    expect((await memberRows(GUILD))[0]).toEqual({
      user_id: ADMIN,
      username: 'ada',
      permissions: '0',
      is_owner: true,
    });
  });

  it('upsertMembers refuses a bad user id or bitfield before writing anything', async () => {
    await expect(upsertMembers(schema.pool, GUILD, [{ userId: 'nobody', permissions: '8' }])).rejects.toThrow(
      'Not a user id: nobody',
    );
    await expect(
      upsertMembers(schema.pool, GUILD, [
        { userId: ADMIN, permissions: '8' },
        { userId: MOD, permissions: '0x8' },
      ]),
    ).rejects.toThrow('Not a permission bitfield: 0x8');
    expect(await memberRows(GUILD)).toEqual([]);
  });

  it('setMemberPermissions changes one member and says whether a row changed', async () => {
    await upsertMembers(schema.pool, GUILD, [
      { userId: ADMIN, permissions: '8' },
      { userId: MOD, permissions: '8' },
    ]);
    expect(await setMemberPermissions(schema.pool, GUILD, ADMIN, '0')).toBe(true);
    expect((await guildAccess(schema.pool, ADMIN, GUILD)).canManage).toBe(false);
    expect((await guildAccess(schema.pool, MOD, GUILD)).canManage).toBe(true);
    expect(await setMemberPermissions(schema.pool, GUILD, STRANGER, '8')).toBe(false);
    expect(await setMemberPermissions(schema.pool, OTHER, ADMIN, 8n)).toBe(false);
    await expect(setMemberPermissions(schema.pool, GUILD, MOD, 'all')).rejects.toThrow(
      'Not a permission bitfield: all',
    );
  });

  it('removeMember removes one membership and says whether there was one', async () => {
    await upsertMembers(schema.pool, GUILD, [
      { userId: ADMIN, permissions: '8' },
      { userId: MOD, permissions: '8' },
    ]);
    await upsertMembers(schema.pool, OTHER, [{ userId: ADMIN, permissions: '8' }]);
    expect(await removeMember(schema.pool, GUILD, ADMIN)).toBe(true);
    expect(await removeMember(schema.pool, GUILD, ADMIN)).toBe(false);
    expect((await memberRows(GUILD)).map((r) => r.user_id)).toEqual([MOD]);
    expect((await memberRows(OTHER)).map((r) => r.user_id)).toEqual([ADMIN]);
  });

  it('pruneMembers deletes the members of one guild not in the kept list, and counts them', async () => {
    await upsertMembers(schema.pool, GUILD, [
      { userId: ADMIN, permissions: '8' },
      { userId: MOD, permissions: '8' },
      { userId: STRANGER, permissions: '8' },
    ]);
    await upsertMembers(schema.pool, OTHER, [{ userId: MOD, permissions: '8' }]);
    expect(await pruneMembers(schema.pool, GUILD, [ADMIN])).toBe(2);
    expect((await memberRows(GUILD)).map((r) => r.user_id)).toEqual([ADMIN]);
    expect((await memberRows(OTHER)).map((r) => r.user_id)).toEqual([MOD]);
    expect(await pruneMembers(schema.pool, GUILD, [ADMIN])).toBe(0);
  });

  it('replaceUserMemberships drops the guilds a login no longer lists and upserts the listed ones', async () => {
    await upsertMembers(schema.pool, GUILD, [
      { userId: ADMIN, username: 'old', permissions: '8' },
      { userId: MOD, permissions: '8' },
    ]);
    await upsertMembers(schema.pool, GONE, [{ userId: ADMIN, permissions: '8' }]);
    await replaceUserMemberships(schema.pool, ADMIN, 'ada', [
      { guildId: OTHER, permissions: '8', isOwner: false },
    ]);
    expect((await memberRows(GUILD)).map((r) => r.user_id)).toEqual([MOD]);
    expect(await memberRows(GONE)).toEqual([]);
    expect(await memberRows(OTHER)).toEqual([
      { user_id: ADMIN, username: 'ada', permissions: '8', is_owner: false },
    ]);

    // listed again: kept and updated (username, rights, owner flag), nothing else removed
    await replaceUserMemberships(schema.pool, ADMIN, 'ada2', [
      { guildId: OTHER, permissions: '0', isOwner: true },
      { guildId: GUILD, permissions: '8', isOwner: false },
    ]);
    expect(await memberRows(OTHER)).toEqual([
      { user_id: ADMIN, username: 'ada2', permissions: '0', is_owner: true },
    ]);
    expect((await memberRows(GUILD)).map((r) => r.user_id)).toEqual([ADMIN, MOD]);
  });
});

describe('guildAccessMany', () => {
  const none = { exists: false, botPresent: false, canManage: false };

  it('answers every requested id: its access, or none for an unknown guild or an id that is no snowflake', async () => {
    const access = await guildAccessMany(schema.pool, OWNER, [
      GUILD,
      GONE,
      OTHER,
      '700000000000000099',
      'x1',
      '',
    ]);
    expect(Object.fromEntries(access)).toEqual({
      [GUILD]: { exists: true, botPresent: true, canManage: true },
      [GONE]: { exists: true, botPresent: false, canManage: true },
      [OTHER]: { exists: true, botPresent: true, canManage: false },
      '700000000000000099': none,
      x1: none,
      '': none,
    });
  });

  it('gives none everywhere, without a query, for a user id that is no snowflake or no valid guild id', async () => {
    let queries = 0;
    const query = (...args: Parameters<typeof schema.pool.query>) => {
      queries++;
      return schema.pool.query(...args);
    };
    const db = { query } as unknown as typeof schema.pool;
    const bad = await guildAccessMany(db, 'not-a-user', [GUILD]);
    expect(Object.fromEntries(bad)).toEqual({ [GUILD]: none });
    const noIds = await guildAccessMany(db, OWNER, ['x', 'y']);
    expect(Object.fromEntries(noIds)).toEqual({ x: none, y: none });
    expect(queries).toBe(0);
    expect(Object.fromEntries(await guildAccessMany(db, OWNER, [GUILD]))).toEqual({
      [GUILD]: { exists: true, botPresent: true, canManage: true },
    });
    expect(queries).toBe(1);
  });
});
