import { recordCommands } from '@wolaro/db';
import { SyncClient } from '@wolaro/sync';
import { redisUrl } from '@wolaro/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, startWorld, type TestWorld } from './helpers.js';

// `command:executed` only announces what is durable: the bot records a run and its event in one
// transaction (`recordCommands`) and the event goes out after COMMIT, so a panel that fetches
// /logs on the event always finds the row; a run committed but never published (the process died)
// is published by the outbox relay.
describe('panel API: command events announce durable audit rows', () => {
  let w: TestWorld;
  let token: string;
  let bot: SyncClient;
  const guild = DEMO.guildId;

  beforeAll(async () => {
    w = await startWorld({ label: 'panel_command_events' });
    token = (await w.tokenFor(DEMO.users.admin)).token;
    // The bot's own bus client, as a separate process would have.
    bot = new SyncClient({ redis: redisUrl(), keyPrefix: w.api.config.redisKeyPrefix });
    await bot.connect();
  });
  afterAll(async () => {
    await bot?.close();
    await w?.close();
  });

  const run = (command: string) => ({
    guildId: guild,
    command,
    executorId: DEMO.users.moderator,
    executor: 'marc_mod',
    result: 'success' as const,
  });

  it('command:executed never arrives before its /logs row: 200 runs, /logs fetched inside the handler', {
    timeout: 180_000,
  }, async () => {
    const socket = await w.connect(token);
    const checks: Promise<{ command: string; found: boolean }>[] = [];
    const seen = new Map<string, () => void>();
    socket.on('command:executed', (event: { command: string }) => {
      // Inside the handler, as a panel refetching its log would. The next run is recorded only
      // once this fetch has answered, so its row is still among the newest five whatever the
      // machine's load (a slow first fetch must not see it pushed out by later runs).
      const check = w.request('GET', `/api/panel/guilds/${guild}/logs?limit=5`, { token }).then((res) => ({
        command: event.command,
        found: (res.body.logs as { command: string }[]).some((l) => l.command === event.command),
      }));
      checks.push(check);
      void check.finally(() => seen.get(event.command)?.());
    });
    for (let i = 0; i < 200; i++) {
      const command = `!ordered${i}`;
      const arrived = new Promise<void>((resolve) => seen.set(command, resolve));
      await recordCommands(w.api.db.pool, { sync: bot }, [run(command)]);
      await arrived;
    }
    const results = await Promise.all(checks);
    expect(results).toHaveLength(200);
    expect(results.filter((r) => !r.found)).toEqual([]);
    socket.disconnect();
  });

  it('a batch is one transaction: every row is readable when the first of its events arrives', async () => {
    const socket = await w.connect(token);
    // The /logs fetch started inside the handler of the first event.
    let first = false;
    const firstEvent = new Promise<{ listed: Promise<string[]> }>((resolve) => {
      socket.on('command:executed', (event: { command: string }) => {
        if (!event.command.startsWith('!batch') || first) return;
        first = true;
        const listed = w
          .request('GET', `/api/panel/guilds/${guild}/logs?limit=20`, { token })
          .then((res) => (res.body.logs as { command: string }[]).map((l) => l.command));
        resolve({ listed });
      });
    });
    const batch = Array.from({ length: 10 }, (_, i) => run(`!batch${i}`));
    const recorded = await recordCommands(w.api.db.pool, { sync: bot }, batch);
    expect(recorded.entries.map((e) => e.command)).toEqual(batch.map((r) => r.command));
    expect(recorded.announced).toBe(10);
    const listed = await (await firstEvent).listed;
    for (const r of batch) expect(listed).toContain(r.command);
    socket.disconnect();
  });

  it('a run committed but never published (a crash after COMMIT) is announced by the relay', async () => {
    const socket = await w.connect(token);
    const announced = new Promise<{ command: string }>((resolve) => {
      socket.on('command:executed', (event: { command: string }) => {
        if (event.command === '!crashed') resolve(event);
      });
    });
    // What a process killed between COMMIT and publish leaves: the row and its claimed event.
    const recorded = await recordCommands(w.api.db.pool, { sync: bot }, [run('!crashed')], {
      publish: false,
      claimMs: 50,
    });
    expect(recorded.published).toBe(false);
    const event = await announced;
    expect(event).toMatchObject({ command: '!crashed', guildId: guild, result: 'success' });
    const logs = await w.request('GET', `/api/panel/guilds/${guild}/logs?limit=5`, { token });
    expect(logs.body.logs.filter((l: { command: string }) => l.command === '!crashed')).toHaveLength(1);
    socket.disconnect();
  });
});
