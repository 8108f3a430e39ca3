/**
 * Attacks on revocation through a bus outage: the private Redis is stopped while an admin loses
 * the guild, then started again. Postgres NOTIFY is off, so the outage is a real bus outage: only
 * the outbox (the revocation committed with the change, published by a relay once the bus is
 * back) and the gateways' re-check of their rooms after the resync stand between the revoked
 * socket and the guild's events.
 */
import { SyncClient } from '@wolaro/sync';
import { pendingOutboxCount } from '@wolaro/sync/pg';
import { waitFor } from '@wolaro/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedSocket } from './fixtures.js';
import { DEMO, leaked, revokedIn, useRevocationWorld } from './revocation_world.js';

const w = useRevocationWorld({ label: 'sec_outage', pgNotify: false });
afterEach(async () => {
  // A failed test must not leave the next one without a bus.
  if (!w.redis.running) await w.redis.restart();
});

/** Whether the database still lets `userId` manage `guildId` (what the API checks). */
async function canManage(guildId: string, userId: string): Promise<boolean> {
  const { rows } = await w.schema.pool.query<{ permissions: string; is_owner: boolean }>(
    'SELECT permissions, is_owner FROM guild_members WHERE guild_id = $1 AND user_id = $2',
    [guildId, userId],
  );
  const row = rows[0];
  return row !== undefined && (row.is_owner || (BigInt(row.permissions) & 8n) === 8n);
}

/** Both panel nodes saw the bus come back (each one's `resync` ran). */
async function busBack() {
  await waitFor(() => w.nodes.every((n) => n.sync.stats().connected), {
    timeoutMs: 15_000,
    message: 'both API nodes reconnected to Redis',
  });
}

/**
 * 100 events of the guild, then a sentinel revocation of another guild for `userId`; once every
 * revoked socket has the sentinel and every allowed one the 100 events, counts the events of the
 * guild (other than revocations) the revoked sockets got.
 */
async function leakedAfter(
  guildId: string,
  userId: string,
  revoked: RecordedSocket[],
  allowed: RecordedSocket[],
) {
  await w.publishThenSentinel(guildId, 100, userId, revoked, allowed);
  // The one event of the guild from before the outage aside.
  return revoked.map((s) => leaked(s, guildId).length - 1);
}

describe('revocation through a bus outage', () => {
  it('Redis stopped, admin removed, Redis back: the revoked sockets receive nothing of that guild', async () => {
    const guildId = await w.createGuild({ ownerId: DEMO.users.owner, admins: [DEMO.users.admin] });
    const { revoked, allowed, token } = await w.socketsIn(guildId, DEMO.users.admin);

    await w.redis.stop();
    w.emulator.control.updateMember(guildId, DEMO.users.admin, { roles: [] });
    await waitFor(async () => !(await canManage(guildId, DEMO.users.admin)), {
      message: 'the bot to write the lost role',
    });
    // Only the event sent before the outage reached them while the bus was down.
    expect(revoked.map((s) => s.ofGuild(guildId).length)).toEqual([1, 1]);
    await w.redis.restart();
    await busBack();

    for (const s of revoked) await s.waitFor(revokedIn(guildId), 'permission:revoked after the outage');
    expect((await w.request(0, 'GET', `/api/panel/guilds/${guildId}`, token)).status).toBe(403);
    expect(await leakedAfter(guildId, DEMO.users.admin, revoked, allowed)).toEqual([0, 0]);
  });

  it('a change no event carried (direct database edit during the outage) is caught by the re-check after it', async () => {
    const guildId = await w.createGuild({ ownerId: DEMO.users.owner, admins: [DEMO.users.admin2] });
    const { revoked, allowed } = await w.socketsIn(guildId, DEMO.users.admin2);

    await w.redis.stop();
    // An operator's edit: no bot, no outbox row, nothing on any bus. Only the re-check can see it.
    await w.schema.pool.query(
      "UPDATE guild_members SET permissions = '0' WHERE guild_id = $1 AND user_id = $2",
      [guildId, DEMO.users.admin2],
    );
    await w.redis.restart();
    await busBack();

    for (const s of revoked) {
      const event = await s.waitFor(revokedIn(guildId), 'permission:revoked from the re-check');
      expect(event.payload).toMatchObject({
        userId: DEMO.users.admin2,
        reason: 'Access re-checked after a bus outage',
      });
    }
    expect(await leakedAfter(guildId, DEMO.users.admin2, revoked, allowed)).toEqual([0, 0]);
    // The owner kept the room on both nodes, and was told to reload after the outage.
    for (const s of allowed) {
      expect(s.of('permission:revoked', guildId)).toEqual([]);
      expect(s.of('guild:reload', guildId).map((r) => r.payload['reason'])).toContain('resync');
    }
  });

  it('a revocation whose publish failed (Redis down) is delivered from the outbox once the bus is back', async () => {
    const guildId = await w.createGuild({ ownerId: DEMO.users.owner, admins: [DEMO.users.moderator] });
    await w.redis.stop();
    w.emulator.control.updateMember(guildId, DEMO.users.moderator, { roles: [] });
    await waitFor(async () => !(await canManage(guildId, DEMO.users.moderator)), {
      message: 'the bot to write the lost role',
    });
    // Committed with the change, and still waiting: the bus refused it.
    await waitFor(async () => (await pendingOutboxCount(w.schema.pool)) > 0, {
      message: 'the revocation pending in the outbox',
    });
    await w.redis.restart();
    // A fresh subscriber, connected at once: the apps' clients and relays come back on their
    // reconnect and retry delays, after it.
    const watcher = new SyncClient({ redis: w.redis.url, keyPrefix: w.keyPrefix });
    const onBus: Record<string, unknown>[] = [];
    watcher.subscribe('permission:revoked', (e) => {
      if (e.guildId === guildId) onBus.push(e);
    });
    try {
      await watcher.connect();
      const delivered = await waitFor(() => onBus[0], {
        timeoutMs: 20_000,
        message: 'the relay to publish the revocation',
      });
      expect(delivered).toMatchObject({ userId: DEMO.users.moderator, reason: 'Administrator role removed' });
      await waitFor(async () => (await pendingOutboxCount(w.schema.pool)) === 0, {
        timeoutMs: 20_000,
        message: 'the outbox to drain',
      });
      await busBack();
    } finally {
      await watcher.close();
    }
  });
});
