import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DEMO, type DiscordEmulator, startEmulator } from '@wolaro/discord-emulator';
import { getGuild } from '@wolaro/panel-api/db';
import {
  createTestSchema,
  postgresKind,
  redisUrl,
  type TestSchema,
  uniquePrefix,
  waitFor,
} from '@wolaro/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, postMessage, replyTo } from './harness.js';

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
        DISCORD_TOKEN: emulator.botToken,
        DISCORD_API_URL: emulator.apiUrl,
        DATABASE_URL: schema.connectionString,
        REDIS_URL: redisUrl(),
        REDIS_KEY_PREFIX: keyPrefix,
        PG_NOTIFY: String(postgresKind() === 'server'),
        LOG_LEVEL: 'info',
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
    expect(stderr).toContain('Invalid bot configuration');
    expect(stderr).toContain('DISCORD_TOKEN: required');
    expect(stderr).toContain('REDIS_URL: must be a redis:// or rediss:// URL');
  });
});
