import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestSchema, redisUrl, type TestSchema, uniquePrefix, waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { SyncClient, type SyncClientOptions } from '../../src/index.js';
import { migrate } from '../../src/pg/index.js';
import { defer } from '../closing.js';

export { defer, useCleanup } from '../closing.js';

/** One config:update as a subscriber saw it. */
export interface Seen {
  guildId: string;
  version: number | undefined;
  eventId: string;
  at: number;
}

/** A migrated schema with a `guilds` table, a publisher and a subscriber on a private key prefix. */
export interface OutboxWorld {
  db: TestSchema;
  pool: pg.Pool;
  keyPrefix: string;
  /** Publish-only client (what relays and the fast path use). */
  sync: SyncClient;
  /** Every config:update received, in arrival order. */
  seen: Seen[];
  /** Another publish-only client on the same prefix. */
  newSync(options?: Partial<SyncClientOptions>): Promise<SyncClient>;
  /** Inserts guilds at version 0. */
  addGuilds(...ids: string[]): Promise<void>;
  /** Rows of sync_outbox in id order. */
  outbox(): Promise<OutboxRowView[]>;
}

/** The columns of sync_outbox tests look at. */
export interface OutboxRowView {
  id: string;
  channel: string;
  guild_id: string | null;
  version: string | null;
  event_id: string;
  payload: Record<string, unknown>;
  published: boolean;
  attempts: number;
  last_error: string | null;
}

/** Creates an isolated outbox world; everything is closed after the test. */
export async function outboxWorld(label: string, options: { max?: number } = {}): Promise<OutboxWorld> {
  const db = await createTestSchema(label, { max: options.max ?? 10 });
  defer(() => db.drop());
  await migrate(db.pool);
  await db.pool.query(`CREATE TABLE guilds (
    guild_id text PRIMARY KEY,
    settings jsonb NOT NULL DEFAULT '{}',
    version integer NOT NULL DEFAULT 0
  )`);
  await db.pool.query(
    'CREATE TABLE config_revisions (guild_id text NOT NULL, version integer NOT NULL, settings jsonb)',
  );
  const keyPrefix = uniquePrefix('outbox');
  const newSync = async (extra: Partial<SyncClientOptions> = {}) => {
    const client = new SyncClient({ redis: redisUrl(), keyPrefix, listen: false, ...extra });
    defer(() => client.close());
    await client.connect();
    return client;
  };
  const sync = await newSync();
  const subscriber = await newSync({ listen: ['config:update'] });
  const seen: Seen[] = [];
  subscriber.subscribe('config:update', (e) => {
    seen.push({ guildId: e.guildId, version: e.version, eventId: e.eventId ?? '', at: performance.now() });
  });
  return {
    db,
    pool: db.pool,
    keyPrefix,
    sync,
    seen,
    newSync,
    async addGuilds(...ids) {
      await db.pool.query('INSERT INTO guilds (guild_id) SELECT unnest($1::text[])', [ids]);
    },
    async outbox() {
      const { rows } = await db.pool.query<OutboxRowView>(
        `SELECT id::text AS id, channel, guild_id, version::text AS version, event_id, payload,
                published_at IS NOT NULL AS published, attempts, last_error
         FROM sync_outbox ORDER BY id`,
      );
      return rows;
    },
  };
}

/**
 * Records the text of every statement sent through `pool.query` (a named statement by its text),
 * from now on; `stop()` puts the pool's own `query` back.
 */
export function recordPoolStatements(pool: pg.Pool): { statements: string[]; stop(): void } {
  const statements: string[] = [];
  const query = pool.query;
  const bound = query.bind(pool);
  pool.query = ((...args: Parameters<typeof bound>) => {
    const first = args[0] as unknown;
    statements.push(typeof first === 'string' ? first : String((first as { text?: string }).text));
    return bound(...args);
  }) as typeof pool.query;
  return {
    statements,
    stop() {
      pool.query = query;
    },
  };
}

/** The `guilds` row of the outbox tests' world. */
export interface GuildRow {
  guild_id: string;
  settings: Record<string, unknown>;
  version: number;
}

/** A relay stand-in counting its wake-ups. */
export function wakeCounter(): { wakes: number; wake(): void } {
  const relay = {
    wakes: 0,
    wake() {
      relay.wakes++;
    },
  };
  return relay;
}

/** Versions seen for one guild, in arrival order. */
export function versionsOf(seen: readonly Seen[], guildId: string): (number | undefined)[] {
  return seen.filter((s) => s.guildId === guildId).map((s) => s.version);
}

/** A child process running a fixture under test/outbox/fixtures with tsx. */
export interface Fixture {
  child: ChildProcess;
  /** Lines printed on stdout so far. */
  lines: string[];
  /** Resolves with the first stdout line matching `pattern`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited, with its exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `node --import tsx fixtures/<name>.ts` with `env` added; killed after the test. */
export function spawnFixture(name: string, env: Record<string, string>): Fixture {
  const file = fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    env: { ...process.env, ...env },
    // stdin is a pipe the fixture watches: when this process dies, the fixture exits too.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  defer(async () => {
    if (!gone) child.kill('SIGKILL');
    await exited;
  });
  return {
    child,
    lines,
    exited,
    line: (pattern, timeoutMs = 15_000) =>
      waitFor(
        () => {
          if (gone && !lines.some((l) => pattern.test(l))) {
            throw new Error(`fixture ${name} exited early; stderr: ${stderr}`);
          }
          return lines.find((l) => pattern.test(l));
        },
        { timeoutMs, message: `fixture ${name} to print ${pattern}; stderr so far: ${stderr}` },
      ),
  };
}

/**
 * Replaces `pg.Client.prototype[method]` for the current test: `wrap` gets the client, the call's
 * arguments and the original method bound to that client. Undone by the test's cleanup (wrappers
 * of one test nest, and come off last first).
 */
export function wrapClientMethod(
  method: 'query' | 'connect',
  wrap: (client: pg.Client, args: unknown[], original: (...args: unknown[]) => unknown) => unknown,
): void {
  const proto = pg.Client.prototype as unknown as Record<typeof method, (...args: unknown[]) => unknown>;
  const original = proto[method];
  defer(() => {
    proto[method] = original;
  });
  proto[method] = function (this: pg.Client, ...args: unknown[]) {
    return wrap(this, args, (...a) => original.apply(this, a));
  };
}

/**
 * Makes the next `times` statements whose text matches `pattern` fail with `message`, on every
 * pg client of the process (pools send through their clients too); undone by the test's cleanup.
 * For the failures Postgres gives no reliable way to cause on demand (an unlock or a ROLLBACK that
 * fails on a live connection).
 */
export function failStatements(pattern: RegExp, message: string, times = 1): void {
  let left = times;
  wrapClientMethod('query', (_client, args, query) => {
    const first = args[0] as string | { text?: string } | undefined;
    const text = typeof first === 'string' ? first : first?.text;
    if (left === 0 || typeof text !== 'string' || !pattern.test(text)) return query(...args);
    left--;
    const err = new Error(message);
    const callback = args.at(-1);
    if (typeof callback !== 'function') return Promise.reject(err);
    process.nextTick(() => (callback as (e: Error) => void)(err));
    return undefined;
  });
}

/** The errors a pool's checked-out connections were released with (`undefined`: kept for reuse). */
export function releases(pool: pg.Pool): (Error | undefined)[] {
  const seen: (Error | undefined)[] = [];
  const onRelease = (err: Error | undefined) => seen.push(err || undefined);
  pool.on('release', onRelease);
  defer(() => pool.off('release', onRelease));
  return seen;
}
