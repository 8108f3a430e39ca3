import {
  createSession,
  type EventPublisher,
  getGuild,
  MARK_DELAY_MS,
  restoreRevision,
  revokeSession,
  runMigrations,
  updateGuildModule,
  updateGuildSettings,
  upsertGuild,
} from '@wolaro/db';
import { MemoryBus, MemoryTransport, SyncClient } from '@wolaro/sync';
import { OUTBOX_TABLE, PreconditionFailedError } from '@wolaro/sync/pg';
import { createTestSchema, type TestSchema, waitFor } from '@wolaro/test-harness';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// What the versioned writes do when the caller leaves an option out (revisions kept, prepared
// statements, the mark delay), and the session check a write can carry (`authorizedBy`).

const GUILD = '740000000000000001';
const OWNER = '750000000000000001';
const STRANGER = '750000000000000002';

let schema: TestSchema;
let publisher: EventPublisher;

beforeEach(async () => {
  schema = await createTestSchema('config_write_defaults');
  await runMigrations(schema.pool);
  await upsertGuild(schema.pool, { guildId: GUILD, name: 'Alpha', ownerId: OWNER });
  const sync = new SyncClient({ transport: new MemoryTransport({ bus: new MemoryBus() }) });
  await sync.connect();
  publisher = { sync };
});

afterEach(async () => {
  await publisher.sync.close();
  await schema.drop();
});

/** The statements sent through `pool.query` (the fast path's write and mark), until `stop()`. */
function recordQueries(pool: pg.Pool) {
  const sent: { text: string; name: string | undefined }[] = [];
  const query = pool.query;
  const bound = query.bind(pool);
  pool.query = ((...args: Parameters<typeof bound>) => {
    const first = args[0] as string | { text: string; name?: string };
    sent.push(
      typeof first === 'string' ? { text: first, name: undefined } : { text: first.text, name: first.name },
    );
    return bound(...args);
  }) as typeof pool.query;
  return {
    sent,
    marks: () => sent.filter((s) => s.text.includes(`UPDATE ${OUTBOX_TABLE}`)).length,
    stop: () => {
      pool.query = query;
    },
  };
}

/** An anonymous settings write of `prefix` to the test guild. */
function writePrefix(prefix: string) {
  return updateGuildSettings(schema.pool, publisher, { guildId: GUILD, patch: { prefix }, changedBy: null });
}

async function revisionVersions(): Promise<number[]> {
  const { rows } = await schema.pool.query<{ version: number }>(
    'SELECT version::int AS version FROM config_revisions WHERE guild_id = $1 ORDER BY version',
    [GUILD],
  );
  return rows.map((r) => r.version);
}

describe('revisions kept by default', () => {
  it('are the newest 100 of a guild, after settings writes, module writes and restores alike', async () => {
    for (let i = 0; i < 101; i++) {
      await writePrefix(`p${i}`);
    }
    // Versions 2…102 were written: the oldest one is gone.
    expect(await revisionVersions()).toEqual(Array.from({ length: 100 }, (_, i) => i + 3));

    await updateGuildModule(schema.pool, publisher, {
      guildId: GUILD,
      module: 'welcome',
      enabled: true,
      changedBy: null,
    });
    expect(await revisionVersions()).toEqual(Array.from({ length: 100 }, (_, i) => i + 4));

    await restoreRevision(schema.pool, publisher, { guildId: GUILD, revision: 100, changedBy: null });
    expect(await revisionVersions()).toEqual(Array.from({ length: 100 }, (_, i) => i + 5));
  });
});

describe('the settings write', () => {
  it('is a prepared statement', async () => {
    const rec = recordQueries(schema.pool);
    try {
      await writePrefix('?');
    } finally {
      rec.stop();
    }
    const write = rec.sent.find((s) => s.text.includes(`INSERT INTO ${OUTBOX_TABLE}`));
    expect(write?.name).toEqual(expect.any(String));
  });

  it(`answers before its outbox mark by default (the mark waits ${MARK_DELAY_MS} ms for others), and after it with markDelayMs 0`, async () => {
    const rec = recordQueries(schema.pool);
    try {
      await writePrefix('?');
      // The mark is a timer of MARK_DELAY_MS that cannot have fired before this synchronous check.
      expect(rec.marks()).toBe(0);
      await waitFor(() => rec.marks() === 1, { message: 'the delayed mark' });

      const immediate = { ...publisher, markDelayMs: 0 };
      await updateGuildSettings(schema.pool, immediate, {
        guildId: GUILD,
        patch: { prefix: '!' },
        changedBy: null,
      });
      expect(rec.marks()).toBe(2);
    } finally {
      rec.stop();
    }
  });

  it('with authorizedBy, writes for an active session of the owner and refuses a revoked one or a stranger', async () => {
    const owner = await createSession(schema.pool, { userId: OWNER, ttlSeconds: 600 });
    const stranger = await createSession(schema.pool, { userId: STRANGER, ttlSeconds: 600 });
    const write = (session: { sessionId: string; userId: string }, prefix: string) =>
      updateGuildSettings(schema.pool, publisher, {
        guildId: GUILD,
        patch: { prefix },
        changedBy: session.userId,
        authorizedBy: session,
      });

    const ok = await write(owner, '?');
    expect(ok.version).toBe(2);
    await expect(write(stranger, 'x')).rejects.toBeInstanceOf(PreconditionFailedError);
    await revokeSession(schema.pool, owner.sessionId);
    await expect(write(owner, 'y')).rejects.toBeInstanceOf(PreconditionFailedError);
    const guild = await getGuild(schema.pool, GUILD);
    expect([guild?.version, guild?.settings.prefix]).toEqual([2, '?']);
  });
});
