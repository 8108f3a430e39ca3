/**
 * `npm start` as a user runs it: a fresh data dir comes up to a working panel, a second start on
 * the same dir keeps the data of the first, and a port clash is one clear line.
 */
import { createServer, type Server } from 'node:net';
import { DEMO } from '@wolaro/discord-emulator';
import { httpControl } from '@wolaro/test-harness';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDataDir, json, loginOverHttp, runStackToExit, type Stack, startStack } from './stack.js';

const GUILD = DEMO.guildId;
const GENERAL = DEMO.channels.general;

interface GuildBody {
  settings: { prefix?: string };
  version: number;
}

const running = new Set<Stack>();
const cleanups: (() => void)[] = [];

afterAll(async () => {
  for (const stack of running) await stack.stop(5000);
  for (const cleanup of cleanups) cleanup();
});

async function start(dataDir: string): Promise<Stack> {
  const stack = await startStack(dataDir);
  running.add(stack);
  return stack;
}

async function stop(stack: Stack) {
  const exit = await stack.stop();
  running.delete(stack);
  expect(exit, stack.output()).toEqual({ code: 0, signal: null });
  expect(stack.output()).toMatch(/Stopped\.\s*$/);
  expect(stack.stderr()).toBe('');
}

async function guild(stack: Stack, token: string): Promise<GuildBody> {
  const { status, body } = await json<GuildBody>(`${stack.origin}/api/panel/guilds/${GUILD}`, { token });
  expect(status).toBe(200);
  return body;
}

/** Posts `content` as the owner in #général and waits for the bot's answer. */
async function botAnswer(stack: Stack, content: string): Promise<string> {
  const emulator = httpControl(stack.emulatorUrl);
  const before = (await emulator.messages(GENERAL)).length;
  await emulator.sendMessage(GENERAL, { authorId: DEMO.users.owner, content });
  let answer: string | undefined;
  await expect
    .poll(
      async () => {
        answer = (await emulator.messages(GENERAL))
          .slice(before)
          .find((m) => m.author.id === DEMO.users.bot)?.content;
        return answer;
      },
      { timeout: 10_000, interval: 100 },
    )
    .toBeDefined();
  return answer ?? '';
}

describe('npm start', () => {
  it('a fresh data dir starts a working panel; a second start keeps the data of the first', async () => {
    const data = freshDataDir();
    cleanups.push(data.remove);

    const first = await start(data.dataDir);
    expect(first.output()).toContain(`data in ${data.dataDir}`);
    const panel = await fetch(first.panelUrl + '/');
    expect(panel.status).toBe(200);
    expect(await panel.text()).toContain('<div id="root">');
    const health = await json<{ status: string; database: string }>(`${first.origin}/api/health`);
    expect(health.status).toBe(200);

    const token = await loginOverHttp(first.origin, DEMO.users.owner);
    const fresh = await guild(first, token);
    expect(fresh.settings.prefix).toBe('!');
    const saved = await json<GuildBody>(`${first.origin}/api/panel/guilds/${GUILD}`, {
      method: 'PATCH',
      token,
      body: { settings: { prefix: '%' }, version: fresh.version },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.settings.prefix).toBe('%');
    expect(await botAnswer(first, '%ping')).toMatch(/^Pong!/);
    await stop(first);

    const second = await start(data.dataDir);
    const again = await guild(second, await loginOverHttp(second.origin, DEMO.users.owner));
    expect(again.settings.prefix).toBe('%');
    expect(again.version).toBe(saved.body.version);
    // The bot of the second run reads the kept prefix from the database too.
    expect(await botAnswer(second, '%ping')).toMatch(/^Pong!/);
    await stop(second);
  }, 300_000);

  it.each(['PORT', 'EMULATOR_PORT'])(
    '%s already in use: exits non-zero with one clear line',
    async (name) => {
      const data = freshDataDir();
      cleanups.push(data.remove);
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const address = blocker.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      try {
        const exit = await runStackToExit({
          PORT: '0',
          EMULATOR_PORT: '0',
          [name]: String(port),
          PGLITE_DATA_DIR: data.dataDir,
        });
        expect(exit.code).not.toBe(0);
        expect(exit.code).not.toBeNull();
        const lines = exit.stderr.split('\n').filter((line) => line.trim() !== '');
        expect(lines, exit.stderr).toHaveLength(1);
        expect(lines[0]).toContain('already in use');
        expect(lines[0]).toContain(String(port));
        expect(lines[0]).toContain(name);
        expect(exit.stderr + exit.stdout).not.toMatch(/^\s+at /m);
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    },
    120_000,
  );
});
