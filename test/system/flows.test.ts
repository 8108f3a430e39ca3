/**
 * System tests of the flows that cross processes (DESIGN §2, §5; the note's Examples 1–3, its
 * troubleshooting steps, health and stats, a crash between COMMIT and publish): a real Postgres,
 * the suite's Redis under a unique prefix, the Discord emulator in this process, and the panel API
 * and the bot as separate child processes.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DEMO } from '@wolaro/discord-emulator';
import {
  JWT_SECRET,
  l2ConfigVersion,
  postMessage,
  postUntilReplied,
  ROOT,
  replyTo,
  slash,
  spawnNode,
  stopChild,
  useSystem,
  waitFor,
} from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { api, connectPanel, guildVersion, type PanelSocket } from './clients.js';

const GUILD = DEMO.guildId;
const run = promisify(execFile);

const sockets: PanelSocket[] = [];
const sys = useSystem({ redis: 'shared', label: 'flows', adminUserIds: [DEMO.users.owner] }, () => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** A panel socket closed after the test. */
async function panel(token: string, join = true): Promise<PanelSocket> {
  const socket = await connectPanel(sys().api.url, token, { join });
  sockets.push(socket);
  return socket;
}

/**
 * Runs the crash-after-commit fixture (writes `prefix` in one transaction with its outbox row, then
 * waits to be SIGKILLed before publishing) and resolves once it has committed.
 */
async function crashAfterCommit(prefix: string) {
  const fixture = spawnNode(['--import', 'tsx', 'test/system/fixtures/crash_after_commit.ts'], {
    env: {
      DATABASE_URL: sys().env['DATABASE_URL']!,
      REDIS_URL: sys().redisUrl,
      REDIS_KEY_PREFIX: sys().keyPrefix,
      SYNC_SIGNING_KEY: sys().env['SYNC_SIGNING_KEY']!,
      GUILD_ID: GUILD,
      PREFIX: prefix,
      CHANGED_BY: DEMO.users.admin2,
    },
  });
  const committed = await fixture.logs.waitFor(/^committed /, { timeoutMs: 15_000 }).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\nfixture output:\n${fixture.logs.tail()}`);
  });
  return { fixture, committed };
}

describe('system: panel API + bot + emulator as separate processes', () => {
  it('health and websocket stats are the note’s shapes and count sockets across processes', async () => {
    // The note's "Testing WebSocket" step: a token from the CLI (a real panel_sessions row).
    const cli = await run(
      'npm',
      ['run', '--silent', 'token', '-w', 'examples/panel-api', '--', DEMO.users.owner],
      {
        cwd: ROOT,
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: process.env['HOME'] ?? ROOT,
          DATABASE_URL: sys().env['DATABASE_URL']!,
          JWT_SECRET,
        },
        timeout: 20_000,
      },
    );
    const ownerToken = cli.stdout.trim();
    expect(ownerToken, cli.stderr).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(cli.stderr).toMatch(/^Session [0-9a-f-]{36} for user 100000000000000001/m);

    const health = await api(sys().api.url, 'GET', '/api/health');
    expect([health.status, health.body]).toEqual([
      200,
      {
        status: 'healthy',
        redis: 'connected',
        database: 'connected',
        websocket: 'active',
        connectedUsers: 0,
      },
    ]);

    const statsOf = async () => {
      const res = await api(sys().api.url, 'GET', '/api/admin/websocket/stats', { token: ownerToken });
      expect(res.status).toBe(200);
      return res.body;
    };
    expect(await statsOf()).toEqual({ connectedUsers: 0, totalConnections: 0, rooms: 0 });

    const admin2Token = await sys().tokenFor(DEMO.users.admin2);
    await panel(ownerToken);
    await panel(ownerToken);
    await panel(admin2Token);
    // A plain member may connect (valid session) but joins no guild room.
    const member = await panel(await sys().tokenFor(DEMO.users.member), false);
    expect(await member.join()).toEqual({ ok: false, error: 'forbidden' });

    expect(await statsOf()).toEqual({ connectedUsers: 3, totalConnections: 4, rooms: 1 });
    expect((await api(sys().api.url, 'GET', '/api/health')).body).toMatchObject({
      status: 'healthy',
      connectedUsers: 3,
    });

    // Admin routes are for ADMIN_USER_IDS only (admin2 manages the guild, but is not a platform admin).
    const forbidden = await api(sys().api.url, 'GET', '/api/admin/websocket/stats', { token: admin2Token });
    expect(forbidden.status).toBe(403);
    expect((await api(sys().api.url, 'GET', '/api/admin/websocket/stats')).status).toBe(401);
    const cache = await api(sys().api.url, 'GET', '/api/admin/cache/stats', { token: ownerToken });
    expect(cache.status).toBe(200);
    expect(cache.body).toMatchObject({ redisAvailable: true, memoryCacheSize: expect.any(Number) });

    for (const socket of sockets.splice(0)) socket.close();
    await waitFor(async () => (await statsOf())['totalConnections'] === 0, {
      message: 'the stats to drop to 0 connections',
    });
    expect(await statsOf()).toEqual({ connectedUsers: 0, totalConnections: 0, rooms: 0 });
  });

  it('Example 1: PATCH prefix → DB, config:updated on the socket, the bot answers ?ping and ignores !ping', async () => {
    const token = await sys().tokenFor(DEMO.users.admin2);
    const socket = await panel(token);
    const version = await guildVersion(sys().api.url, token);
    // Warm the bot's L1 with the current prefix, so the change below is a real invalidation.
    expect(
      (await replyTo(sys().emulator.control, await postMessage(sys().emulator.control, '!ping'))).content,
    ).toMatch(/^Pong!/);

    const botMark = sys().bot.logs.mark;
    const apiMark = sys().api.logs.mark;
    const sentAt = performance.now();
    const sentWall = Date.now();
    const res = await api<{ settings: Record<string, unknown>; version: number }>(
      sys().api.url,
      'PATCH',
      `/api/panel/guilds/${GUILD}`,
      { token, body: { settings: { prefix: '?' }, version } },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.version).toBe(version + 1);
    expect(res.body.settings).toMatchObject({ prefix: '?' });

    // The bot acts on the new prefix: post "?ping" until it answers (no fixed sleep).
    const { reply, seenAt, posts, answeredIndex } = await postUntilReplied(sys().emulator.control, '?ping');
    expect(reply.content).toMatch(/^Pong!/);
    const event = await socket.waitForEvent('config:updated', (p) => p['version'] === version + 1);
    expect(event.payload).toMatchObject({ guildId: GUILD, settings: { prefix: '?' }, version: version + 1 });

    const { rows } = await sys().pool.query<{ settings: { prefix: string }; version: string }>(
      'SELECT settings, version FROM guilds WHERE guild_id = $1',
      [GUILD],
    );
    expect(rows[0]?.settings.prefix).toBe('?');
    expect(Number(rows[0]?.version)).toBe(version + 1);

    // "!ping" is ignored now. Fence: a later "?ping" is answered, so "!ping" (dispatched before it,
    // and rejected right at the prefix check) has been handled by then.
    const old = await postMessage(sys().emulator.control, '!ping');
    await replyTo(sys().emulator.control, await postMessage(sys().emulator.control, '?ping'));
    const messages = sys().emulator.control.messages(DEMO.channels.general);
    expect(messages.some((m) => m.message_reference?.message_id === old.id)).toBe(false);

    // Latencies, all from this process's clock.
    const reloaded = await sys().bot.logs.waitFor(
      `Config of guild ${GUILD} reloaded (version ${version + 1})`,
      {
        from: botMark,
      },
    );
    await sys().api.logs.waitFor(`Published config:update for guild ${GUILD}`, {
      from: apiMark,
      level: 'debug',
    });
    const toReply = Math.round(seenAt - res.at);
    const toSocket = Math.round(event.at - res.at);
    const toSocketFromSend = Math.round(event.at - sentAt);
    const botReload = reloaded.time - sentWall;
    console.log(
      `[latency] PATCH round trip ${Math.round(res.at - sentAt)} ms; PATCH response → bot reply seen ${toReply} ms ` +
        `(${posts} "?ping" posted, #${answeredIndex + 1} answered first); PATCH response → socket config:updated ${toSocket} ms ` +
        `(${toSocketFromSend} ms from PATCH sent); PATCH sent → bot reloaded ≈${botReload} ms (bot log time)`,
    );
    // Exactly one config:updated for that version.
    expect(socket.received('config:updated', (p) => p['version'] === version + 1)).toHaveLength(1);
  });

  it('Example 3: a slash command in Discord → command:executed on the panel socket and in /logs', async () => {
    const token = await sys().tokenFor(DEMO.users.admin2);
    const socket = await panel(token);
    const view = await slash(sys().emulator.control, 'ping', DEMO.users.moderator);
    expect(JSON.stringify(view.response?.data)).toContain('Pong!');

    const event = await socket.waitForEvent(
      'command:executed',
      (p) => p['command'] === 'ping' && p['executorId'] === DEMO.users.moderator,
    );
    expect(event.payload).toMatchObject({
      guildId: GUILD,
      command: 'ping',
      executorId: DEMO.users.moderator,
      result: 'success',
      timestamp: expect.any(Number),
    });
    expect(event.payload).not.toHaveProperty('origin');

    const logs = await waitFor(
      async () => {
        const res = await api<{ logs: { command: string; executorId: string; result: string }[] }>(
          sys().api.url,
          'GET',
          `/api/panel/guilds/${GUILD}/logs`,
          { token },
        );
        return res.body.logs?.find((l) => l.command === 'ping' && l.executorId === DEMO.users.moderator);
      },
      { intervalMs: 50, message: 'the slash command in GET /logs' },
    );
    expect(logs).toMatchObject({ command: 'ping', executorId: DEMO.users.moderator, result: 'success' });
  });

  it('troubleshooting: force sync, redis-cli PUBLISH, and the log lines the note tells you to look for', async () => {
    // Bot: "Redis Pub/Sub initialized" (both apps log it once their subscriptions are live).
    expect(sys().bot.logs.has('Redis Pub/Sub initialized', { level: 'info' })).toBe(true);
    expect(sys().api.logs.has('Redis Pub/Sub initialized', { level: 'info' })).toBe(true);

    const token = await sys().tokenFor(DEMO.users.admin2);
    const socket = await panel(token);

    // 4. Force reload: POST /api/panel/guilds/:id/sync.
    let botMark = sys().bot.logs.mark;
    const apiMark = sys().api.logs.mark;
    const sync = await api(sys().api.url, 'POST', `/api/panel/guilds/${GUILD}/sync`, {
      token,
      body: { reason: 'system test' },
    });
    expect(sync.status).toBe(202);
    // `published` says whether the fast path or the relay (woken by the outbox NOTIFY) got there first.
    expect(sync.body).toEqual({ ok: true, published: expect.any(Boolean) });
    const reload = await socket.waitForEvent('guild:reload');
    expect(reload.payload).toMatchObject({ guildId: GUILD, reason: 'system test' });
    await sys().bot.logs.waitFor(`Reload requested for guild ${GUILD}`, { from: botMark });
    await sys().bot.logs.waitFor(new RegExp(`^Config of guild ${GUILD} reloaded \\(version \\d+\\)$`), {
      from: botMark,
      level: 'debug',
    });
    await sys().api.logs.waitFor(`Published guild:reload for guild ${GUILD}`, {
      from: apiMark,
      level: 'debug',
    });

    // A panel write logs "Published config:update for guild {id}" at debug (the note's `grep "Published"`).
    const version = await guildVersion(sys().api.url, token);
    const patch = await api(sys().api.url, 'PATCH', `/api/panel/guilds/${GUILD}`, {
      token,
      body: { settings: { language: 'fr' }, version },
    });
    expect(patch.status).toBe(200);
    await sys().api.logs.waitFor(`Published config:update for guild ${GUILD}`, {
      from: apiMark,
      level: 'debug',
    });

    // The bot has handled that write before the hand-typed message below (its log line comes first).
    await sys().bot.logs.waitFor(`Config of guild ${GUILD} reloaded (version ${version + 1})`, {
      from: botMark,
      level: 'debug',
    });

    // 2. The note's redis-cli check, with the key prefix both apps use.
    botMark = sys().bot.logs.mark;
    const published = await run(
      'redis-cli',
      [
        '-u',
        sys().redisUrl,
        'PUBLISH',
        `${sys().keyPrefix}config:update`,
        JSON.stringify({ guildId: GUILD, settings: { prefix: '!' } }),
      ],
      { timeout: 5000 },
    );
    // Subscribers: at least the bot and the API.
    expect(Number(published.stdout.trim())).toBeGreaterThanOrEqual(2);
    // Both apps sign the bus (SYNC_SIGNING_KEY, required in production): a message typed by hand is
    // unsigned, so the bot hears it and drops it, saying why; the database stays the truth.
    await sys().bot.logs.waitFor(
      'Dropped invalid message on config:update: unsigned message (a signing key is set)',
      { from: botMark, level: 'warn' },
    );
    expect(sys().bot.logs.has(`Config update received for guild ${GUILD}`, { from: botMark })).toBe(false);
    const { rows } = await sys().pool.query<{ settings: { prefix: string } }>(
      'SELECT settings FROM guilds WHERE guild_id = $1',
      [GUILD],
    );
    const prefix = rows[0]!.settings.prefix;
    expect(prefix).toBe('?');
    expect(
      (await replyTo(sys().emulator.control, await postMessage(sys().emulator.control, `${prefix}ping`)))
        .content,
    ).toMatch(/^Pong!/);
  });

  it('a process SIGKILLed between COMMIT and publish loses nothing: the API’s outbox relay delivers it', async () => {
    const token = await sys().tokenFor(DEMO.users.admin2);
    const socket = await panel(token);
    const version = await guildVersion(sys().api.url, token);
    const botMark = sys().bot.logs.mark;

    const { fixture, committed } = await crashAfterCommit('+');
    expect(JSON.parse(committed.msg.slice('committed '.length))).toMatchObject({ version: version + 1 });
    expect(await stopChild(fixture.child, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(fixture.logs.has(/^published/)).toBe(false);

    // The committer never published; the API's relay did, on its first poll after the claim lapsed.
    const event = await socket.waitForEvent('config:updated', (p) => p['version'] === version + 1);
    expect(event.payload).toMatchObject({ guildId: GUILD, settings: { prefix: '+' } });
    await sys().bot.logs.waitFor(`Config of guild ${GUILD} reloaded (version ${version + 1})`, {
      from: botMark,
    });
    expect((await postUntilReplied(sys().emulator.control, '+ping')).reply.content).toMatch(/^Pong!/);
    const outbox = await sys().pool.query<{ published: boolean; attempts: number }>(
      `SELECT published_at IS NOT NULL AS published, attempts FROM sync_outbox
        WHERE guild_id = $1 AND version = $2`,
      [GUILD, version + 1],
    );
    expect(outbox.rows).toEqual([{ published: true, attempts: expect.any(Number) }]);
    expect(socket.received('config:updated', (p) => p['version'] === version + 1)).toHaveLength(1);
  });

  it('…and with the API down at the crash, the restarted API’s relay sweeps it to the bot', async () => {
    const token = await sys().tokenFor(DEMO.users.admin2);
    const version = await guildVersion(sys().api.url, token);
    await stopChild(sys().api.child);
    const botMark = sys().bot.logs.mark;

    const { fixture } = await crashAfterCommit('=');
    await stopChild(fixture.child, 'SIGKILL');

    // Durable and pending; nobody has published it.
    const pending = await sys().pool.query<{ published: boolean }>(
      `SELECT published_at IS NOT NULL AS published FROM sync_outbox WHERE guild_id = $1 AND version = $2`,
      [GUILD, version + 1],
    );
    expect(pending.rows).toEqual([{ published: false }]);
    expect(
      sys().bot.logs.has(`Config of guild ${GUILD} reloaded (version ${version + 1})`, { from: botMark }),
    ).toBe(false);

    await sys().restartApi();
    await sys().bot.logs.waitFor(`Config of guild ${GUILD} reloaded (version ${version + 1})`, {
      from: botMark,
    });
    expect((await postUntilReplied(sys().emulator.control, '=ping')).reply.content).toMatch(/^Pong!/);
    const done = await sys().pool.query<{ published: boolean }>(
      `SELECT published_at IS NOT NULL AS published FROM sync_outbox WHERE guild_id = $1 AND version = $2`,
      [GUILD, version + 1],
    );
    expect(done.rows).toEqual([{ published: true }]);
    // A panel that reconnects reads the current state.
    expect(await guildVersion(sys().api.url, token)).toBe(version + 1);
  });

  it('Example 2: the admin role removed in Discord → guild_members, permission:revoked, room left, 403', async () => {
    const adminToken = await sys().tokenFor(DEMO.users.admin);
    const otherToken = await sys().tokenFor(DEMO.users.admin2);
    const admin = await panel(adminToken);
    const other = await panel(otherToken);

    sys().emulator.control.updateMember(GUILD, DEMO.users.admin, { roles: [] });

    const revoked = await admin.waitForEvent('permission:revoked');
    expect(revoked.payload).toMatchObject({
      guildId: GUILD,
      userId: DEMO.users.admin,
      reason: 'Administrator role removed',
      timestamp: expect.any(Number),
    });
    // The other admin's socket is not told anything about it.
    expect(other.received('permission:revoked')).toHaveLength(0);

    // guild_members was updated before the event went out.
    const { rows } = await sys().pool.query<{ permissions: string }>(
      'SELECT permissions FROM guild_members WHERE guild_id = $1 AND user_id = $2',
      [GUILD, DEMO.users.admin],
    );
    expect(rows).toHaveLength(1);
    expect(BigInt(rows[0]!.permissions) & 8n).toBe(0n);

    // A later change reaches the other admin, not the revoked socket.
    const version = await guildVersion(sys().api.url, otherToken);
    const patch = await api(sys().api.url, 'PATCH', `/api/panel/guilds/${GUILD}`, {
      token: otherToken,
      body: { settings: { language: 'de' }, version },
    });
    expect(patch.status).toBe(200);
    await other.waitForEvent('config:updated', (p) => p['version'] === version + 1);
    // Fence on the revoked socket's own connection: the ack comes after anything emitted to it before.
    expect(await admin.join()).toEqual({ ok: false, error: 'forbidden' });
    expect(admin.received('config:updated', (p) => p['version'] === version + 1)).toHaveLength(0);
    expect(admin.socket.connected).toBe(true);

    // The next PATCH of that user is refused.
    const refused = await api(sys().api.url, 'PATCH', `/api/panel/guilds/${GUILD}`, {
      token: adminToken,
      body: { settings: { prefix: '#' } },
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: expect.any(String) } });
  });
});

describe('restarts', () => {
  // A restarted bot missed every event before its start: GuildConfigCache.start() distrusts L2 entries
  // written before it and confirms them against the database version, so it never serves the old
  // config from Redis until the entry's TTL (1 h) runs out.
  it('a bot restarted after missing a change answers the new prefix, not the stale L2 one', async () => {
    const token = await sys().tokenFor(DEMO.users.owner);
    const version = await guildVersion(sys().api.url, token);
    const { rows } = await sys().pool.query<{ settings: { prefix: string } }>(
      'SELECT settings FROM guilds WHERE guild_id = $1',
      [GUILD],
    );
    const before = rows[0]!.settings.prefix;
    const after = before === '~' ? '^' : '~';
    // The bot's L2 holds the current version.
    await replyTo(sys().emulator.control, await postMessage(sys().emulator.control, `${before}ping`));
    await waitFor(async () => (await l2ConfigVersion(sys().redisUrl, sys().keyPrefix, GUILD)) === version, {
      message: `the bot's L2 entry at version ${version}`,
    });

    await stopChild(sys().bot.child);
    const res = await api(sys().api.url, 'PATCH', `/api/panel/guilds/${GUILD}`, {
      token,
      body: { settings: { prefix: after }, version },
    });
    expect(res.status).toBe(200);
    await sys().restartBot();
    try {
      expect((await postUntilReplied(sys().emulator.control, `${after}ping`, 3000)).reply.content).toMatch(
        /^Pong!/,
      );
    } finally {
      // Leave the bot consistent with the database (the note's force sync) for whatever runs next.
      const mark = sys().bot.logs.mark;
      await api(sys().api.url, 'POST', `/api/panel/guilds/${GUILD}/sync`, { token, body: {} });
      await sys().bot.logs.waitFor(`Config of guild ${GUILD} reloaded (version ${version + 1})`, {
        from: mark,
      });
    }
  });
});
