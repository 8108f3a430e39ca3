import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { getGuild } from '@wolaro/db';
import { DEMO, type DiscordEmulator, startEmulator } from '@wolaro/discord-emulator';
import {
  createTestSchema,
  databaseUrl,
  freePort,
  redisUrl,
  type TestSchema,
  uniquePrefix,
  waitFor,
} from '@wolaro/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botProcessEnv, deleteKeys, postMessage, replyTo } from './harness.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('the bot in its own process (src/main.ts)', () => {
  let emulator: DiscordEmulator;
  let schema: TestSchema;
  let child: ChildProcess | undefined;
  let output = '';
  const keyPrefix = uniquePrefix('proc');

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 'demo' });
    schema = await createTestSchema('bot_process');
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await schema?.drop();
    await emulator?.stop();
    await deleteKeys(redisUrl(), keyPrefix);
  });

  it('prints Bot ready once the guilds are synced, answers, and exits 0 on SIGTERM', async () => {
    // Run from the repo root so tsx maps the workspace packages to their sources (root tsconfig paths).
    child = spawn(process.execPath, ['--import', 'tsx', 'examples/bot/src/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env['PATH'],
        ...botProcessEnv(emulator, schema, keyPrefix),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = child;
    proc.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

    await waitFor(() => output.includes('"msg":"Bot ready"') || proc.exitCode !== null, {
      timeoutMs: 20_000,
      message: 'Bot ready on stdout',
    });
    expect(output, output).toContain('"msg":"Bot ready"');
    expect(output).toContain('Redis Pub/Sub initialized');
    // Synced before Bot ready: the guild row is there, migrations ran in the empty schema.
    expect(await getGuild(schema.pool, DEMO.guildId)).toMatchObject({
      name: 'Wolaro Demo',
      botPresent: true,
    });
    expect((await replyTo(emulator, await postMessage(emulator, '!ping'))).content).toMatch(/^Pong!/);

    proc.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }, output).toEqual({ code: 0, signal: null });
    expect(output).toContain('Bot stopped');
  });

  it('refuses to start with a bad environment, naming every bad variable', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'examples/bot/src/main.ts'], {
      cwd: root,
      env: { PATH: process.env['PATH'], REDIS_URL: 'http://nope' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = (await once(proc, 'exit')) as [number | null];
    expect(code).toBe(1);
    // One line per bad variable, naming it and what it must be; no stack trace.
    expect(stderr.trim().split('\n')).toEqual([
      'Bot not started: REDIS_URL: must be a redis:// or rediss:// URL',
      'Bot not started: DISCORD_TOKEN: required (the bot token)',
    ]);
  });

  it('a missing database or an unreachable Redis is one line saying where and what to do', async () => {
    const run = async (env: Record<string, string>) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', 'examples/bot/src/main.ts'], {
        cwd: root,
        env: {
          PATH: process.env['PATH'],
          DISCORD_TOKEN: 'token',
          DISCORD_API_URL: 'http://127.0.0.1:9/api',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      proc.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const [code] = (await once(proc, 'exit')) as [number | null];
      return { code, lines: stderr.trim().split('\n') };
    };
    const database = new URL(databaseUrl());
    database.pathname = '/wolaro_missing_db';
    const missing = await run({ DATABASE_URL: database.toString(), REDIS_URL: redisUrl() });
    expect(missing.code).toBe(1);
    expect(missing.lines).toHaveLength(1);
    expect(missing.lines[0]).toMatch(
      /^Bot not started: database "wolaro_missing_db" does not exist on .+:\d+ \(DATABASE_URL\): create it \(createdb /,
    );

    const port = await freePort(); // nothing listens there
    const noRedis = await run({
      DATABASE_URL: databaseUrl(),
      REDIS_URL: `redis://:secret@127.0.0.1:${port}`,
      REDIS_CONNECT_TIMEOUT_MS: '500',
      // Redis alone: with the Postgres failover the bot starts without Redis, by design.
      PG_NOTIFY: 'false',
    });
    expect(noRedis.code).toBe(1);
    expect(noRedis.lines).toHaveLength(1);
    expect(noRedis.lines[0]).toMatch(
      new RegExp(
        `^Bot not started: cannot reach Redis at 127\\.0\\.0\\.1:${port} \\(REDIS_URL\\).*start Redis there or fix REDIS_URL$`,
      ),
    );
    expect(noRedis.lines[0]).not.toContain('secret');

    const noDiscord = await run({
      DATABASE_URL: databaseUrl(),
      REDIS_URL: redisUrl(),
      REDIS_KEY_PREFIX: keyPrefix,
    });
    expect(noDiscord.code).toBe(1);
    expect(noDiscord.lines).toEqual([
      'Bot not started: cannot reach Discord at http://127.0.0.1:9/api (DISCORD_API_URL): ECONNREFUSED: check DISCORD_API_URL',
    ]);
  });
});
