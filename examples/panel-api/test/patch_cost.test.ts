import { OUTBOX_TABLE } from '@wolaro/sync/pg';
import { waitFor } from '@wolaro/test-harness';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO, nextEvent, useWorld } from './helpers.js';

const guild = DEMO.guildId;

/** A statement sent to Postgres by one of the API's pooled connections. */
interface Sent {
  text: string;
  name: string | undefined;
}

/**
 * Records every statement the API's pool sends (`pg.Client#query` of its clients) and every
 * command its ioredis clients send, until `stop()`.
 */
function recordTraffic(pool: pg.Pool) {
  const apiClients = new WeakSet<object>();
  const onAcquire = (client: object) => apiClients.add(client);
  pool.on('acquire', onAcquire);
  const statements: Sent[] = [];
  const redis: string[] = [];
  /** The client each command of `redis` was sent on. */
  const redisClients: object[] = [];
  const query = pg.Client.prototype.query;
  const send = Redis.prototype.sendCommand;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (apiClients.has(this)) {
      const first = args[0] as string | { text: string; name?: string };
      statements.push(
        typeof first === 'string' ? { text: first, name: undefined } : { text: first.text, name: first.name },
      );
    }
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  Redis.prototype.sendCommand = function (this: Redis, command, stream) {
    redis.push(command.name.toUpperCase());
    redisClients.push(this);
    return send.call(this, command, stream);
  };
  return {
    statements,
    redis,
    redisClients,
    stop() {
      pool.off('acquire', onAcquire);
      pg.Client.prototype.query = query;
      Redis.prototype.sendCommand = send;
    },
  };
}

/** What a statement of the PATCH is, from its text. */
function kind(text: string): string {
  if (/^WITH current_row AS/.test(text) && text.includes(`INSERT INTO ${OUTBOX_TABLE}`)) {
    // The session and the caller's rights are the write's precondition, in the same statement.
    return /FROM panel_sessions s/.test(text) ? 'checked write' : 'write';
  }
  if (/^SELECT \(EXISTS \(SELECT 1 FROM panel_sessions s/.test(text)) return 'precondition';
  if (/^SELECT "version" AS v FROM "guilds" WHERE "guild_id" = \$1 FOR UPDATE$/.test(text)) return 'row lock';
  if (/FROM panel_sessions s/.test(text)) return 'session+access';
  if (new RegExp(`^UPDATE ${OUTBOX_TABLE}\\s+SET published_at`).test(text)) return 'mark';
  return text.replace(/\s+/g, ' ').slice(0, 80);
}

/** Statements of the outbox relay's own timer (it polls on an interval), not caused by a PATCH. */
const RELAY_BACKGROUND = new RegExp(
  `pg_try_advisory_lock|pg_advisory_unlock|LIMIT \\$1$|DELETE FROM ${OUTBOX_TABLE}`,
);

describe('what one PATCH /api/panel/guilds/:id costs', () => {
  const w = useWorld('panel_patch_cost');
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());
  /** Waits until the outbox row of `version` is marked published. */
  const markedPublished = (version: number) =>
    waitFor(async () => {
      const { rows } = await w.schema.pool.query(
        `SELECT published_at FROM ${OUTBOX_TABLE} WHERE guild_id = $1 AND version = $2`,
        [guild, version],
      );
      return rows[0]?.published_at != null;
    });

  it('sends 2 statements (the write checking the session and rights, the published mark), both prepared, and 2 Redis commands (the new config stored for the bots, then the PUBLISH)', async () => {
    const socket = await w.connect(w.adminToken);
    // A first PATCH: connections open, statements prepared; its event and its mark are done.
    /** A PATCH of the prefix, answered 200, its event on the socket and its outbox row marked. */
    const patchDone = async (prefix: string) => {
      const pushed = nextEvent(socket, 'config:updated');
      const res = await w.request('PATCH', `/api/panel/guilds/${guild}`, {
        token: w.adminToken,
        body: { settings: { prefix } },
      });
      expect(res.status).toBe(200);
      expect((await pushed).version).toBe(res.body.version);
      await markedPublished(res.body.version);
    };
    await patchDone('w!');

    const traffic = recordTraffic(w.api.db.pool);
    stop = traffic.stop;
    await patchDone('c!');
    traffic.stop();

    const statements = traffic.statements.filter((s) => !RELAY_BACKGROUND.test(s.text));
    // The write (row, revision, outbox row) under the session's and rights' check, then the mark.
    expect(statements.map((s) => kind(s.text))).toEqual(['checked write', 'mark']);
    // Every statement of a PATCH is prepared: parsed and planned once per connection.
    expect(statements[0]?.name).toMatch(/^wolaro_vus_/);
    expect(statements[1]?.name).toBe('wolaro_mark_claimed_published');
    // The config's compare-and-set into the bots' L2 before the PUBLISH, so a bot hearing of the
    // version finds it there; the subscriber's delivery is a push, not a command.
    expect(traffic.redis).toEqual(['EVALSHA', 'PUBLISH']);
    // Both on the bus's publishing connection, so Redis runs the store first: the PUBLISH is sent
    // without waiting for the store's answer.
    expect(traffic.redisClients[0]).toBe(traffic.redisClients[1]);
  });

  it('a malformed guild id: answered 400 by the checks alone, no write is attempted', async () => {
    const patch = () =>
      w.request('PATCH', '/api/panel/guilds/12a', {
        token: w.adminToken,
        body: { settings: { prefix: 'x!' } },
      });
    expect((await patch()).status).toBe(400);
    const traffic = recordTraffic(w.api.db.pool);
    stop = traffic.stop;
    const res = await patch();
    traffic.stop();
    expect([res.status, res.body.error.code]).toEqual([400, 'bad_request']);
    const statements = traffic.statements.filter((s) => !RELAY_BACKGROUND.test(s.text));
    // Only the session lookup of the checks: the id is refused before any access or write query.
    expect(statements).toHaveLength(1);
    expect(statements[0]?.text).toMatch(/^SELECT session_id, .* FROM panel_sessions/s);
  });

  it('a stale version: the write finds the conflict under the row lock, the checks run once, 409, and it is not tried again', async () => {
    const patch = () =>
      w.request('PATCH', `/api/panel/guilds/${guild}`, {
        token: w.adminToken,
        body: { settings: { prefix: 's!' }, version: 999_999 },
      });
    expect((await patch()).status).toBe(409);
    const traffic = recordTraffic(w.api.db.pool);
    stop = traffic.stop;
    const res = await patch();
    traffic.stop();
    expect([res.status, res.body.error.code]).toEqual([409, 'version_conflict']);
    const statements = traffic.statements.filter((s) => !RELAY_BACKGROUND.test(s.text));
    // The locked row's version tells the conflict (no precondition to evaluate); the checks run for
    // the answer (a caller without rights would get 403, not the current version).
    expect(statements.map((s) => kind(s.text))).toEqual([
      'checked write',
      'BEGIN',
      'row lock',
      'ROLLBACK',
      'session+access',
    ]);
  });

  it('refused (a plain member): the write refuses, then the full checks run once and answer 403', async () => {
    const member = (await w.tokenFor(DEMO.users.member)).token;
    const patch = () =>
      w.request('PATCH', `/api/panel/guilds/${guild}`, {
        token: member,
        body: { settings: { prefix: 'm!' } },
      });
    expect((await patch()).status).toBe(403); // connections open, statements prepared

    const traffic = recordTraffic(w.api.db.pool);
    stop = traffic.stop;
    const res = await patch();
    traffic.stop();
    expect([res.status, res.body.error.code]).toEqual([403, 'forbidden']);
    const statements = traffic.statements.filter((s) => !RELAY_BACKGROUND.test(s.text));
    // The write's precondition failed (nothing written); the retry under the row lock tells a failed
    // precondition from a conflict; then the handler runs the session and access checks for the
    // answer, once: the route's error handler does not run them again.
    expect(statements.map((s) => kind(s.text))).toEqual([
      'checked write',
      'BEGIN',
      'row lock',
      'precondition',
      'ROLLBACK',
      'session+access',
    ]);
  });
});
