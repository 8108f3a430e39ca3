/**
 * The raw floor as processes of their own, for bench:e2e and the open-loop rates of bench:capacity:
 * the hops of the system done by hand, each part in a process as the panel API and the bot run in
 * theirs, so that CPU per update is read from /proc the same way for both.
 *
 * - `PATCH /api/panel/guilds/:id` `{settings}`: a durable single-statement `UPDATE` of
 *   `floor_guilds` (shaped like `guilds`) → `PUBLISH` of the `config:update` payload → 200
 *   `{version}`; the subscriber → `io.to('guild:<id>').emit('config:updated')`.
 * - `POST /commands` `{guildId, command, executorId, runId}`: the commands that arrived in one
 *   event-loop turn written by ONE durable `INSERT … SELECT unnest(…)` into `floor_audit` (shaped
 *   like `audit_log`) → one `PUBLISH` each → 200; the subscriber → `emit('command:executed')`.
 * - socket.io: `join:guild` joins the room and acks `{ok: true}` (no token, no permission check).
 *
 * The reloader (`--reload`), the bot's side of the floor: a subscriber of the `config:update`
 * channel that runs the bot's reload query (the `loadGuildConfig` SELECT) for each event and then
 * prints `floor reloaded <guildId> <version>` on stdout.
 *
 * No JWT, sessions, validation, revisions, outbox rows or rate limits: what any implementation of
 * "write it durably, then tell the guild's sockets" pays on this machine.
 *
 * Run by {@link startFloorServer}; as a child: `node --import tsx bench/src/floor_server.ts --serve`
 * (or `--reload`) with FLOOR_DATABASE_URL, REDIS_URL, FLOOR_CHANNEL_PREFIX in the environment.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type AppProcess, spawnNode, stopChild } from '@wolaro/test-harness/node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Server } from 'socket.io';

/** `application_name` of the floor server's Postgres connections, and of the reloader's. */
export const FLOOR_APP_NAMES = { serve: 'bench-floor', reload: 'bench-floor-reload' } as const;

/** A running floor server (a child process). */
export interface FloorServer {
  /** The server's base URL; empty for the reloader, which has no HTTP side. */
  readonly url: string;
  readonly process: AppProcess;
  stop(): Promise<void>;
}

/**
 * Starts the floor server as a child process on the schema of `connectionString` (it creates
 * `floor_guilds`, a copy of the `guilds` rows, and `floor_audit`), publishing under `keyPrefix`;
 * with `mode: 'reload'`, the floor's reloader instead (start it after a server, which creates
 * `floor_guilds`).
 */
export async function startFloorServer(options: {
  connectionString: string;
  redisUrl: string;
  keyPrefix: string;
  mode?: 'serve' | 'reload';
}): Promise<FloorServer> {
  const file = fileURLToPath(import.meta.url);
  const mode = options.mode ?? 'serve';
  const proc = spawnNode(['--import', 'tsx', file, `--${mode}`], {
    env: {
      FLOOR_DATABASE_URL: options.connectionString,
      REDIS_URL: options.redisUrl,
      FLOOR_CHANNEL_PREFIX: options.keyPrefix,
    },
  });
  const line = await proc.logs.waitForLine(
    mode === 'serve' ? 'floor listening on' : 'floor reloader ready',
    30_000,
    proc.child,
  );
  const port = /listening on (\d+)/.exec(line.text)?.[1];
  return {
    url: port ? `http://127.0.0.1:${port}` : '',
    process: proc,
    async stop() {
      await stopChild(proc.child, 'SIGTERM', 5000);
    },
  };
}

/** The floor's two processes: its server, and its reloader (the bot's side). */
export interface FloorProcesses {
  readonly server: FloorServer;
  readonly reloader: FloorServer;
  /** Stops both. */
  stop(): Promise<void>;
}

/** Starts the floor server, then its reloader (which reads the table the server creates). */
export async function startFloorProcesses(options: {
  connectionString: string;
  redisUrl: string;
  keyPrefix: string;
}): Promise<FloorProcesses> {
  const server = await startFloorServer({ ...options, mode: 'serve' });
  const reloader = await startFloorServer({ ...options, mode: 'reload' }).catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  return {
    server,
    reloader,
    async stop() {
      await Promise.all([server.stop(), reloader.stop()]);
    },
  };
}

interface QueuedCommand {
  guildId: string;
  command: string;
  executorId: string;
  runId: string;
  res: ServerResponse;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The floor's config write: one durable UPDATE, one PUBLISH, then the answer. */
async function patchGuild(
  pool: pg.Pool,
  pub: Redis,
  configChannel: string,
  guildId: string,
  body: Record<string, unknown>,
  res: ServerResponse,
): Promise<void> {
  const { rows } = await pool.query<{ settings: Record<string, unknown>; version: string }>(
    `UPDATE floor_guilds SET settings = settings || $2::jsonb, version = version + 1, updated_at = now()
      WHERE guild_id = $1 RETURNING settings, version`,
    [guildId, JSON.stringify(body['settings'] ?? {})],
  );
  const row = rows[0];
  if (!row) return send(res, 404, { error: 'unknown guild' });
  const version = Number(row.version);
  const payload = { eventId: randomUUID(), guildId, settings: row.settings, version, timestamp: Date.now() };
  await pub.publish(configChannel, JSON.stringify(payload));
  return send(res, 200, { version });
}

/**
 * The floor's command log: everything that arrived in one turn goes in one INSERT (a group commit,
 * as the bot's command log does), then one event per command and the answers; several batches may
 * be in flight at once (the pool).
 */
function commandBatcher(pool: pg.Pool, pub: Redis, commandChannel: string): (c: QueuedCommand) => void {
  let queue: QueuedCommand[] = [];
  const flush = async (batch: QueuedCommand[]) => {
    try {
      await pool.query(
        `INSERT INTO floor_audit (guild_id, command, executor_id, executor, result, run_id)
         SELECT g, c, e, NULL, 'success', k FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(g, c, e, k)`,
        [
          batch.map((c) => c.guildId),
          batch.map((c) => c.command),
          batch.map((c) => c.executorId),
          batch.map((c) => c.runId),
        ],
      );
      const timestamp = Date.now();
      for (const c of batch) {
        const payload = {
          eventId: randomUUID(),
          guildId: c.guildId,
          command: c.command,
          executorId: c.executorId,
          result: 'success',
          timestamp,
        };
        void pub.publish(commandChannel, JSON.stringify(payload));
        send(c.res, 200, { ok: true });
      }
    } catch (err) {
      for (const c of batch) send(c.res, 500, { error: String(err) });
    }
  };

  return (c) => {
    if (queue.length === 0) {
      setImmediate(() => {
        const batch = queue;
        queue = [];
        void flush(batch);
      });
    }
    queue.push(c);
  };
}

async function serve(): Promise<void> {
  const pool = new pg.Pool({
    connectionString: process.env['FLOOR_DATABASE_URL'],
    max: 20,
    application_name: FLOOR_APP_NAMES.serve,
  });
  const prefix = process.env['FLOOR_CHANNEL_PREFIX'] ?? 'floor:';
  const configChannel = `${prefix}floor:config:update`;
  const commandChannel = `${prefix}floor:command:executed`;
  const pub = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  const sub = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  await pool.query('CREATE TABLE IF NOT EXISTS floor_guilds (LIKE guilds INCLUDING ALL)');
  await pool.query(`INSERT INTO floor_guilds SELECT * FROM guilds ON CONFLICT (guild_id) DO NOTHING`);
  await pool.query('CREATE TABLE IF NOT EXISTS floor_audit (LIKE audit_log INCLUDING ALL)');
  await sub.subscribe(configChannel, commandChannel);

  const http = createServer();
  const io = new Server(http, { serveClient: false, transports: ['websocket'] });
  io.on('connection', (socket) => {
    socket.on('join:guild', (guildId: unknown, ack: unknown) => {
      if (typeof guildId !== 'string' || typeof ack !== 'function') return;
      void socket.join(`guild:${guildId}`);
      (ack as (r: unknown) => void)({ ok: true });
    });
  });
  sub.on('message', (channel: string, raw: string) => {
    const payload = JSON.parse(raw) as { guildId: string };
    const event = channel === configChannel ? 'config:updated' : 'command:executed';
    io.to(`guild:${payload.guildId}`).emit(event, payload);
  });

  const enqueueCommand = commandBatcher(pool, pub, commandChannel);

  http.on('request', (req, res) => {
    readJson(req)
      .then(async (body) => {
        const url = req.url ?? '';
        if (req.method === 'PATCH' && url.startsWith('/api/panel/guilds/')) {
          return patchGuild(pool, pub, configChannel, url.slice('/api/panel/guilds/'.length), body, res);
        }
        if (req.method === 'POST' && url === '/commands') {
          enqueueCommand({
            guildId: String(body['guildId']),
            command: String(body['command']),
            executorId: String(body['executorId']),
            runId: String(body['runId']),
            res,
          });
          return;
        }
        return send(res, 404, { error: 'not found' });
      })
      .catch((err: unknown) => send(res, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  console.log(`floor listening on ${(http.address() as AddressInfo).port}`);
  const stop = () => {
    void io.close();
    pub.disconnect();
    sub.disconnect();
    void pool.end().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.stdin.on('end', stop);
}

/** The bot's reload query (the `loadGuildConfig` SELECT), on `floor_guilds`. */
const RELOAD_SQL = `SELECT g.settings, g.version,
        COALESCE((SELECT jsonb_agg(jsonb_build_object('name', m.name, 'enabled', m.enabled, 'config', m.config))
                  FROM guild_modules m WHERE m.guild_id = g.guild_id), '[]'::jsonb) AS modules
   FROM floor_guilds g WHERE g.guild_id = $1`;

/** The reloader: each `config:update` → the reload query → one line on stdout. */
async function reload(): Promise<void> {
  const pool = new pg.Pool({
    connectionString: process.env['FLOOR_DATABASE_URL'],
    max: 4,
    application_name: FLOOR_APP_NAMES.reload,
  });
  const configChannel = `${process.env['FLOOR_CHANNEL_PREFIX'] ?? 'floor:'}floor:config:update`;
  // Connected (ready check done) before SUBSCRIBE: ioredis' ready check is an INFO, refused once the
  // connection is in subscriber mode.
  const sub = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  await Promise.all([pool.query('SELECT 1'), sub.connect()]);
  await sub.subscribe(configChannel);
  sub.on('message', (_channel: string, raw: string) => {
    const { guildId, version } = JSON.parse(raw) as { guildId: string; version: number };
    pool.query(RELOAD_SQL, [guildId]).then(
      () => process.stdout.write(`floor reloaded ${guildId} ${version}\n`),
      (err: unknown) => console.error(err),
    );
  });
  console.log('floor reloader ready');
  const stop = () => {
    sub.disconnect();
    void pool.end().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.stdin.on('end', stop);
}

const main = process.argv.includes('--serve')
  ? serve
  : process.argv.includes('--reload')
    ? reload
    : undefined;
main?.().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
