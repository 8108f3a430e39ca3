/**
 * Redis SIGKILLed under a running system (DESIGN §3.3 FailoverTransport, §3.4, §3.5 resync; the
 * note's "Redis down" section made real-time): the database stays the source of truth, the bot keeps
 * answering, pushes continue through Postgres LISTEN/NOTIFY, and everything converges once Redis is
 * back, without restarting anything.
 */
import { DEMO } from '@wolaro/discord-emulator';
import { postMessage, postUntilReplied, replyTo, slash, useSystem, waitFor } from '@wolaro/test-harness';
import { expect, it } from 'vitest';
import { api, connectPanel, guildVersion, type PanelSocket } from './clients.js';

const GUILD = DEMO.guildId;
const sockets: PanelSocket[] = [];
// The bot's cache probes a dead Redis every 500 ms instead of 10 s (REDIS_HEALTH_CHECK_MS).
const sys = useSystem({ redis: 'private', label: 'outage', botEnv: { REDIS_HEALTH_CHECK_MS: '500' } }, () => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function health() {
  return api<{ status: string; redis: string; database: string }>(sys().api.url, 'GET', '/api/health');
}

async function patchPrefix(token: string, prefix: string) {
  const version = await guildVersion(sys().api.url, token);
  const sentAt = performance.now();
  const res = await api<{ version: number; settings: Record<string, unknown> }>(
    sys().api.url,
    'PATCH',
    `/api/panel/guilds/${GUILD}`,
    { token, body: { settings: { prefix }, version } },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.version).toBe(version + 1);
  return { ...res, sentAt, ms: res.at - sentAt };
}

it('Redis SIGKILLed: writes, commands and pushes go on; after Redis returns it all converges, no duplicates', async () => {
  const redis = sys().redis!;
  const token = await sys().tokenFor(DEMO.users.admin2);
  const socket = await connectPanel(sys().api.url, token);
  sockets.push(socket);
  // Warm the bot's caches (L1 and the Redis L2).
  expect(
    (await replyTo(sys().emulator.control, await postMessage(sys().emulator.control, '!ping'))).content,
  ).toMatch(/^Pong!/);

  // --- Redis dies ---
  const botMark = sys().bot.logs.mark;
  await redis.kill();
  await sys().bot.logs.waitFor('Redis down, using memory cache', { from: botMark, level: 'warn' });
  // Both buses lost their Redis leg; the Postgres leg keeps them connected.
  await sys().bot.logs.waitFor('redis transport down', { from: botMark, level: 'warn' });
  await waitFor(async () => (await health()).body.redis === 'disconnected', {
    message: 'the API to report redis disconnected',
  });
  expect((await health()).body).toMatchObject({
    status: 'degraded',
    redis: 'disconnected',
    database: 'connected',
  });

  // The database is the source of truth: PATCH succeeds, and the push arrives through Postgres.
  const down = await patchPrefix(token, '$');
  const downEvent = await socket.waitForEvent('config:updated', (p) => p['version'] === down.body.version);
  expect(downEvent.payload).toMatchObject({ guildId: GUILD, settings: { prefix: '$' } });
  const downReply = await postUntilReplied(sys().emulator.control, '$ping');
  expect(downReply.reply.content).toMatch(/^Pong!/);
  console.log(
    `[latency, Redis down] PATCH response → socket ${Math.round(downEvent.at - down.at)} ms, → bot reply seen ` +
      `${Math.round(downReply.seenAt - down.at)} ms (${downReply.posts} posted)`,
  );
  // Commands keep answering, slash ones too.
  const view = await slash(sys().emulator.control, 'ping', DEMO.users.member);
  expect(JSON.stringify(view.response?.data)).toContain('Pong!');
  expect(sys().bot.logs.find('Redis down, using memory cache', { from: botMark })).toHaveLength(1);

  // --- Redis returns on the same port (empty: no persistence) ---
  const upMark = sys().bot.logs.mark;
  const upAt = performance.now();
  await redis.restart();
  await sys().bot.logs.waitFor('Redis reconnected', { from: upMark, timeoutMs: 10_000 });
  // The bus noticed too: the bot resyncs its cached guilds against the database versions.
  await sys().bot.logs.waitFor('Sync transport reconnected, resync', { from: upMark, timeoutMs: 10_000 });
  await waitFor(async () => (await health()).body.status === 'healthy', {
    timeoutMs: 15_000,
    intervalMs: 100,
    message: 'the API health to be healthy again',
  });
  expect((await health()).body).toMatchObject({
    status: 'healthy',
    redis: 'connected',
    database: 'connected',
  });

  // Panels may have missed events too: the API tells its rooms to reload.
  const reloads = () =>
    socket.received('guild:reload', (p) => p['guildId'] === GUILD).filter((e) => e.at > upAt);
  await waitFor(() => reloads().length > 0, { message: 'guild:reload on the socket after the outage' });

  // A change after recovery reaches bot and socket, without restarting anything.
  const up = await patchPrefix(token, '%');
  const upEvent = await socket.waitForEvent('config:updated', (p) => p['version'] === up.body.version);
  expect(upEvent.payload).toMatchObject({ settings: { prefix: '%' } });
  expect((await postUntilReplied(sys().emulator.control, '%ping')).reply.content).toMatch(/^Pong!/);

  // One more, as a fence for late duplicates of the earlier ones, then count events per version.
  const last = await patchPrefix(token, '!');
  await socket.waitForEvent('config:updated', (p) => p['version'] === last.body.version);
  expect((await postUntilReplied(sys().emulator.control, '!ping')).reply.content).toMatch(/^Pong!/);
  const perVersion = new Map<unknown, number>();
  for (const e of socket.received('config:updated')) {
    perVersion.set(e.payload['version'], (perVersion.get(e.payload['version']) ?? 0) + 1);
  }
  expect(reloads()).toHaveLength(1);
  expect(Object.fromEntries(perVersion)).toEqual({
    [down.body.version]: 1,
    [up.body.version]: 1,
    [last.body.version]: 1,
  });
  // Nothing left for the relay: every row ends published (the bot's command events too, which are
  // marked published in batches right after their publish, or by its relay after a failed one).
  const pending = async () =>
    Number(
      (
        await sys().pool.query<{ n: string }>(
          'SELECT count(*) AS n FROM sync_outbox WHERE published_at IS NULL',
        )
      ).rows[0]?.n,
    );
  await waitFor(async () => (await pending()) === 0, {
    timeoutMs: 20_000,
    message: 'every outbox row published after the outage',
  });
});

it('Redis frozen (SIGSTOP, data kept): writes fail over to Postgres, no duplicate after SIGCONT, a restarted bot reads no stale L2', async () => {
  const redis = sys().redis!;
  const token = await sys().tokenFor(DEMO.users.admin2);
  const socket = await connectPanel(sys().api.url, token);
  sockets.push(socket);
  // The bot's L2 holds the current config (its Redis entry survives the freeze).
  const before = await guildVersion(sys().api.url, token);
  expect(
    (await replyTo(sys().emulator.control, await postMessage(sys().emulator.control, '!ping'))).content,
  ).toMatch(/^Pong!/);

  await redis.pause();
  let resumed = false;
  try {
    // A hung Redis answers nothing: the publish times out (RedisTransport commandTimeoutMs, 1 s) and
    // the FailoverTransport publishes through Postgres instead.
    const frozen = await patchPrefix(token, '&');
    const event = await socket.waitForEvent('config:updated', (p) => p['version'] === frozen.body.version);
    const reply = await postUntilReplied(sys().emulator.control, '&ping');
    console.log(
      `[latency, Redis frozen] PATCH round trip ${Math.round(frozen.ms)} ms; PATCH sent → socket ` +
        `${Math.round(event.at - frozen.sentAt)} ms, → bot reply seen ${Math.round(reply.seenAt - frozen.sentAt)} ms`,
    );
    await redis.resume();
    resumed = true;
    expect(frozen.body.version).toBe(before + 1);

    // The PUBLISH that timed out is still in Redis's socket buffer and runs on SIGCONT: consumers must
    // drop that copy (same eventId). Fence with one more change, then count per version.
    const fence = await patchPrefix(token, '!');
    await socket.waitForEvent('config:updated', (p) => p['version'] === fence.body.version);
    expect((await postUntilReplied(sys().emulator.control, '!ping')).reply.content).toMatch(/^Pong!/);
    expect(socket.received('config:updated', (p) => p['version'] === frozen.body.version)).toHaveLength(1);
    expect(socket.received('config:updated', (p) => p['version'] === fence.body.version)).toHaveLength(1);

    // A restarted bot starts with an empty L1 and reads L2 (Redis) first: it must not see a stale config.
    await sys().restartBot();
    expect((await postUntilReplied(sys().emulator.control, '!ping')).reply.content).toMatch(/^Pong!/);
    const stale = await postMessage(sys().emulator.control, '&ping');
    await replyTo(sys().emulator.control, await postMessage(sys().emulator.control, '!ping'));
    const messages = sys().emulator.control.messages(DEMO.channels.general);
    expect(messages.some((m) => m.message_reference?.message_id === stale.id)).toBe(false);
  } finally {
    if (!resumed) await redis.resume();
  }
});
