import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { getGuild, hasAdministrator, listAuditLog, updateGuildModule, updateGuildSettings } from '@wolaro/db';
import type { PayloadOf } from '@wolaro/sync';
import { redisUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  channelMessages,
  controlRequest,
  DEMO,
  deleteKeys,
  type Harness,
  hasReply,
  postMessage,
  replyTo,
  setMemberRoles,
  slash,
  startHarness,
  testConfig,
} from './harness.js';

const run = promisify(execFile);
const guildId = DEMO.guildId;

describe('reference bot: emulator + Postgres + Redis', () => {
  const keyPrefix = uniquePrefix('bot');
  let h: Harness;
  const commands: PayloadOf<'command:executed'>[] = [];
  const revoked: {
    event: PayloadOf<'permission:revoked'>;
    permissionsAtReceipt: Promise<string | undefined>;
  }[] = [];

  const memberPermissions = async (userId: string) =>
    (
      await h.db.pool.query<{ permissions: string }>(
        'SELECT permissions FROM guild_members WHERE guild_id = $1 AND user_id = $2',
        [guildId, userId],
      )
    ).rows[0]?.permissions;

  /** Waits until the bot's config cache holds at least `version` of the demo guild. */
  const botHasVersion = (version: number) =>
    waitFor(async () => ((await h.bot.configs.get(guildId))?.version ?? 0) >= version, {
      timeoutMs: 3000,
      message: `the bot to hold version ${version}`,
    });
  /** The owner's run of `command`, as the bot published it (command:executed) and wrote it to audit_log. */
  const ownerRun = async (command: string) => {
    const byOwner = (c: { command: string; executorId: string }) =>
      c.command === command && c.executorId === DEMO.users.owner;
    const event = await waitFor(() => commands.find(byOwner));
    const audit = await waitFor(async () => (await listAuditLog(h.db.pool, guildId)).find(byOwner));
    return { event, audit };
  };
  /** The panel's module toggle (write + publish), once the bot holds the new version. */
  const setModule = async (module: string, enabled: boolean, config?: Record<string, unknown>) => {
    const written = await updateGuildModule(
      h.db.pool,
      { sync: h.sync },
      { guildId, module, enabled, config, changedBy: DEMO.users.owner },
    );
    await botHasVersion(written.version);
  };

  beforeAll(async () => {
    h = await startHarness('bot', testConfig(redisUrl(), keyPrefix));
    h.sync.subscribe('command:executed', (e) => {
      commands.push(e);
    });
    h.sync.subscribe('permission:revoked', (event) => {
      revoked.push({ event, permissionsAtReceipt: memberPermissions(event.userId) });
    });
  });
  afterAll(async () => {
    await h?.close();
    await deleteKeys(redisUrl(), keyPrefix);
  });

  it('logs in to the emulator, writes the demo guild and its members, and logs Bot ready', async () => {
    expect(h.logger.has('Redis Pub/Sub initialized', 'info')).toBe(true);
    expect(h.logger.count('Bot ready')).toBe(1);

    const guild = await getGuild(h.db.pool, guildId);
    expect(guild).toMatchObject({
      name: 'Wolaro Demo',
      ownerId: DEMO.users.owner,
      botPresent: true,
      version: 1,
    });

    const { rows } = await h.db.pool.query<{ user_id: string; permissions: string; is_owner: boolean }>(
      'SELECT user_id, permissions, is_owner FROM guild_members WHERE guild_id = $1 ORDER BY user_id',
      [guildId],
    );
    const byId = new Map(rows.map((r) => [r.user_id, r]));
    expect(rows).toHaveLength(6);
    expect(byId.get(DEMO.users.owner)).toMatchObject({ is_owner: true });
    expect(hasAdministrator(byId.get(DEMO.users.owner)?.permissions)).toBe(true);
    expect(hasAdministrator(byId.get(DEMO.users.admin)?.permissions)).toBe(true);
    expect(byId.get(DEMO.users.admin)?.is_owner).toBe(false);
    expect(hasAdministrator(byId.get(DEMO.users.member)?.permissions)).toBe(false);
    expect(hasAdministrator(byId.get(DEMO.users.moderator)?.permissions)).toBe(false);

    const slashNames = h.emulator.control
      .commands(guildId)
      .map((c) => c.name)
      .sort();
    expect(slashNames).toEqual(['ban', 'config', 'ping', 'warn']);
  });

  it('answers !ping and !config with the default prefix', async () => {
    const reply = await replyTo(h.emulator, await postMessage(h.emulator, '!ping'));
    expect(reply.author.id).toBe(DEMO.users.bot);
    expect(reply.content).toMatch(/^Pong! \(latency \d+ ms/);

    const config = await replyTo(h.emulator, await postMessage(h.emulator, '!config'));
    expect(config.content).toContain('Prefix: !');
    expect(config.content).toContain('Language: en');
    expect(config.content).toContain('Modules: moderation on, welcome off, logging off');
    // A message command is recorded as typed, with its prefix.
    await waitFor(() => commands.some((c) => c.command === '!config' && c.executor === 'nina_member'));
  });

  it('switches to the new prefix as soon as config:update is handled: ?ping answered, !ping ignored', async () => {
    await replyTo(h.emulator, await postMessage(h.emulator, '!ping')); // config cached in L1
    let invalidatedAt = 0;
    let reloadedAt = 0;
    h.bot.configs.on('invalidated', (id) => {
      if (id === guildId && invalidatedAt === 0) invalidatedAt = performance.now();
    });
    h.bot.configs.on('updated', (id) => {
      if (id === guildId && reloadedAt === 0) reloadedAt = performance.now();
    });

    // "The API": UPDATE guilds (version + 1) + outbox row, COMMIT, publish config:update.
    const started = performance.now();
    const written = await updateGuildSettings(
      h.db.pool,
      { sync: h.sync },
      {
        guildId,
        patch: { prefix: '?' },
        changedBy: DEMO.users.owner,
      },
    );
    const published = performance.now();
    expect(written).toMatchObject({ version: 2, published: true });

    const question = await postMessage(h.emulator, '?ping');
    const answer = await replyTo(h.emulator, question);
    const answered = performance.now();
    expect(answer.content).toMatch(/^Pong!/);
    const since = (t: number) => `${(t - published).toFixed(1)} ms`;
    console.log(
      `prefix change, relative to the write+publish resolving (which took ${(published - started).toFixed(1)} ms): ` +
        `config:update handled by the bot ${since(invalidatedAt)}, new config loaded ${since(reloadedAt)}, ` +
        `?ping answered ${since(answered)} (incl. the control-API HTTP round trips and 5 ms polling)`,
    );
    expect(invalidatedAt).toBeGreaterThan(0);
    expect(h.logger.has(`Config update received for guild ${guildId}`, 'info')).toBe(true);

    const old = await postMessage(h.emulator, '!ping');
    const fence = await postMessage(h.emulator, '?ping');
    await replyTo(h.emulator, fence);
    expect(await hasReply(h.emulator, old)).toBe(false);
  });

  it('answers /ping through the interaction, publishes command:executed and writes audit_log', async () => {
    const view = await slash(h.emulator, 'ping', DEMO.users.owner);
    expect(view.response?.type).toBe(4);
    expect(String(view.response?.data?.['content'])).toMatch(/^Pong! \(latency \d+ ms/);

    const { event, audit } = await ownerRun('ping');
    expect(event).toMatchObject({ guildId, executor: 'theo7791l', result: 'success' });
    expect(audit).toMatchObject({ executor: 'theo7791l', result: 'success' });
  });

  it('runs /warn and /ban for moderators, posts them to the log channel, and denies a disabled module', async () => {
    await updateGuildSettings(
      h.db.pool,
      { sync: h.sync },
      {
        guildId,
        patch: { logChannelId: DEMO.channels.logs },
        changedBy: DEMO.users.owner,
      },
    );
    await setModule('logging', true);

    const warned = await slash(h.emulator, 'warn', DEMO.users.moderator, {
      user: DEMO.users.member,
      reason: 'spam',
    });
    expect(warned.response?.data?.['content']).toBe(`<@${DEMO.users.member}> has been warned: spam`);
    const banned = await slash(h.emulator, 'ban', DEMO.users.moderator, { user: DEMO.users.member });
    expect(banned.response?.data?.['content']).toBe(`Banned <@${DEMO.users.member}>: no reason given`);
    const noRight = await slash(h.emulator, 'ban', DEMO.users.member, { user: DEMO.users.moderator });
    expect(String(noRight.response?.data?.['content'])).toMatch(
      /^Denied: you need the BanMembers permission/,
    );
    const lines = await waitFor(async () => {
      const logged = (await channelMessages(h.emulator, DEMO.channels.logs)).map((m) => m.content);
      return logged.length >= 3 ? logged : undefined;
    });
    expect(lines).toHaveLength(3);
    expect(lines).toEqual(
      expect.arrayContaining([
        `marc_mod warned <@${DEMO.users.member}>: spam`,
        `marc_mod banned <@${DEMO.users.member}>: no reason given`,
        'nina_member ran ban: denied',
      ]),
    );

    await setModule('moderation', false);
    const denied = await slash(h.emulator, 'ban', DEMO.users.owner, {
      user: DEMO.users.member,
      reason: 'spam',
    });
    expect(String(denied.response?.data?.['content'])).toBe(
      'Denied: the moderation module is disabled in this server.',
    );
    const { event, audit } = await ownerRun('ban');
    expect(event).toMatchObject({ guildId, result: 'denied', executor: 'theo7791l' });
    expect(audit.result).toBe('denied');
  });

  it('greets a new member in the welcome channel when the welcome module is enabled', async () => {
    await setModule('welcome', true, { channelId: DEMO.channels.welcome });
    const newcomer = '100000000000000042';
    await addMember(h.emulator, newcomer, 'newcomer');
    const greeting = await waitFor(async () =>
      (await channelMessages(h.emulator, DEMO.channels.welcome)).find((m) =>
        m.content.includes(`<@${newcomer}>`),
      ),
    );
    expect(greeting.content).toBe(`Welcome to Wolaro Demo, <@${newcomer}>!`);
    const permissions = await waitFor(() => memberPermissions(newcomer));
    expect(hasAdministrator(permissions)).toBe(false);
  });

  it('updates guild_members before publishing permission:revoked when the Admin role is removed', async () => {
    expect(hasAdministrator(await memberPermissions(DEMO.users.admin))).toBe(true);
    await setMemberRoles(h.emulator, DEMO.users.admin, []);
    const received = await waitFor(() => revoked.find((r) => r.event.userId === DEMO.users.admin));
    expect(received.event).toMatchObject({ guildId, reason: 'Administrator role removed' });
    // Read when the event arrived: the row was already updated.
    expect(hasAdministrator(await received.permissionsAtReceipt)).toBe(false);
    // What is left is @everyone's permissions, the same as a plain member's.
    expect(await memberPermissions(DEMO.users.admin)).toBe(await memberPermissions(DEMO.users.member));
  });

  it('follows role permission changes: ADMINISTRATOR given to and taken from a role', async () => {
    const roles = `/guilds/${guildId}/roles/${DEMO.roles.moderator}`;
    const moderatorPermissions = (8n | 2n | 4n | 0x2000n).toString(); // Administrator + Kick + Ban + ManageMessages
    await controlRequest(h, 'PATCH', roles, { permissions: moderatorPermissions });
    await waitFor(async () => hasAdministrator(await memberPermissions(DEMO.users.moderator)));
    await controlRequest(h, 'PATCH', roles, { permissions: (2n | 4n | 0x2000n).toString() });
    const received = await waitFor(() => revoked.find((r) => r.event.userId === DEMO.users.moderator));
    expect(received.event.reason).toBe('Administrator permission removed from role Moderator');
    expect(hasAdministrator(await received.permissionsAtReceipt)).toBe(false);
  });

  it('writes a guild the bot joins after READY, and marks it left on GUILD_DELETE', async () => {
    const created = await controlRequest<{ id: string }>(h, 'POST', '/guilds', {
      name: 'Second guild',
      ownerId: DEMO.users.admin2,
      members: [{ userId: DEMO.users.member }],
    });
    const guild = await waitFor(() => getGuild(h.db.pool, created.id));
    expect(guild).toMatchObject({ name: 'Second guild', ownerId: DEMO.users.admin2, botPresent: true });
    // The guild row is written first, its members right after (in their own transaction).
    const rows = await waitFor(async () => {
      const result = await h.db.pool.query<{ user_id: string; is_owner: boolean }>(
        'SELECT user_id, is_owner FROM guild_members WHERE guild_id = $1 ORDER BY user_id',
        [created.id],
      );
      return result.rows.length >= 2 ? result.rows : undefined;
    });
    expect(rows).toEqual(
      expect.arrayContaining([
        { user_id: DEMO.users.admin2, is_owner: true },
        { user_id: DEMO.users.member, is_owner: false },
      ]),
    );
    await waitFor(() => h.emulator.control.commands(created.id).length === 4);

    await controlRequest(h, 'DELETE', `/guilds/${created.id}`);
    await waitFor(async () => (await getGuild(h.db.pool, created.id))?.botPresent === false);
  });

  it("picks up the note's troubleshooting step: redis-cli PUBLISH config:update", async () => {
    const line = `Config update received for guild ${guildId}`;
    const before = h.logger.count(line);
    const payload = JSON.stringify({ guildId, settings: { prefix: '!' } });
    await run('redis-cli', ['-u', redisUrl(), 'PUBLISH', `${keyPrefix}config:update`, payload]);
    await waitFor(() => h.logger.count(line) > before, { message: line });
    // Unversioned: the bot reloads from the database, which still says `?`.
    const reply = await replyTo(h.emulator, await postMessage(h.emulator, '?ping'));
    expect(reply.content).toMatch(/^Pong!/);
  });
});
