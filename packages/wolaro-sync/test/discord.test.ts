import { once } from 'node:events';
import { DEMO, type DiscordEmulator, startEmulator } from '@wolaro/discord-emulator';
import { waitFor } from '@wolaro/test-harness';
import { type ChatInputCommandInteraction, Client, Events, GatewayIntentBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CommandDeniedError,
  type Revocation,
  watchPermissionRevocations,
  withCommandEvents,
} from '../src/discord/index.js';
import { MemoryBus, MemoryTransport, type PayloadOf, SyncClient } from '../src/index.js';

describe('@wolaro/sync/discord against the emulator', () => {
  let emulator: DiscordEmulator;
  let client: Client<true>;
  let bot: SyncClient;
  let panel: SyncClient;
  const revoked: PayloadOf<'permission:revoked'>[] = [];
  const executed: PayloadOf<'command:executed'>[] = [];
  const dbUpdates: Revocation[] = [];
  let stopWatching: () => void;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 'demo' });
    const bus = new MemoryBus();
    bot = new SyncClient({ transport: new MemoryTransport({ bus }), listen: false });
    panel = new SyncClient({ transport: new MemoryTransport({ bus }) });
    await Promise.all([bot.connect(), panel.connect()]);
    panel.subscribe('permission:revoked', (e) => {
      revoked.push(e);
    });
    panel.subscribe('command:executed', (e) => {
      executed.push(e);
    });
    const c = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMembers],
      rest: { api: emulator.apiUrl },
    });
    const isReady = once(c, Events.ClientReady);
    await c.login(emulator.botToken);
    await isReady;
    client = c as Client<true>;
    stopWatching = watchPermissionRevocations(client, bot, {
      onRevoked: async (r) => {
        // The database is updated before the event is published.
        expect(revoked.some((e) => e.userId === r.userId && e.guildId === r.guildId)).toBe(false);
        dbUpdates.push(r);
      },
    });
  });

  afterAll(async () => {
    stopWatching();
    await client.destroy();
    await Promise.all([bot.close(), panel.close()]);
    await emulator.stop();
  });

  it('publishes permission:revoked when the Admin role is removed from a member', async () => {
    emulator.control.updateMember(DEMO.guildId, DEMO.users.admin, { roles: [] });
    await waitFor(() => revoked.find((e) => e.userId === DEMO.users.admin));
    const event = revoked.find((e) => e.userId === DEMO.users.admin);
    expect(event).toMatchObject({ guildId: DEMO.guildId, reason: 'Administrator role removed' });
    expect(dbUpdates.map((r) => r.userId)).toContain(DEMO.users.admin);
  });

  it('ignores role changes that keep admin rights, and members who never had them', async () => {
    const before = revoked.length;
    emulator.control.updateMember(DEMO.guildId, DEMO.users.admin2, {
      roles: [DEMO.roles.admin, DEMO.roles.moderator],
    });
    emulator.control.updateMember(DEMO.guildId, DEMO.users.member, { roles: [DEMO.roles.moderator] });
    // A later, unrelated revocation proves the two updates above were processed first.
    emulator.control.updateMember(DEMO.guildId, DEMO.users.admin2, { roles: [] });
    await waitFor(() => revoked.find((e) => e.userId === DEMO.users.admin2));
    expect(revoked.slice(before).map((e) => e.userId)).toEqual([DEMO.users.admin2]);
  });

  it('revokes every member of a role that loses ADMINISTRATOR', async () => {
    emulator.control.updateMember(DEMO.guildId, DEMO.users.moderator, { roles: [DEMO.roles.admin] });
    await waitFor(() =>
      client.guilds.cache
        .get(DEMO.guildId)
        ?.members.cache.get(DEMO.users.moderator)
        ?.roles.cache.has(DEMO.roles.admin),
    );
    emulator.control.updateRole(DEMO.guildId, DEMO.roles.admin, { permissions: '0' });
    await waitFor(() => revoked.find((e) => e.userId === DEMO.users.moderator));
    expect(revoked.find((e) => e.userId === DEMO.users.moderator)?.reason).toMatch(
      /Administrator permission removed/,
    );
  });

  /** A fresh guild with an "Admin" role held by `admin`, seen by the client with its members. */
  async function guildWithAdmin(id: string, ownerId: string, admin: string) {
    emulator.control.createGuild({
      id,
      name: `Watch ${id}`,
      ownerId,
      roles: [{ name: 'Admin', permissions: '8' }],
      members: [{ userId: ownerId }, { userId: admin, roles: ['Admin'] }],
      includeBot: true,
    });
    await waitFor(() =>
      client.guilds.cache.get(id)?.members.cache.get(admin)?.permissions.has('Administrator'),
    );
    const role = emulator.state.roles(id).find((r) => r.name === 'Admin');
    if (!role) throw new Error('no Admin role');
    return role.id;
  }

  it('revokes the members of a deleted administrator role', async () => {
    const guildId = '880000000000000001';
    const role = await guildWithAdmin(guildId, DEMO.users.owner, DEMO.users.admin2);
    emulator.control.deleteRole(guildId, role);
    const event = await waitFor(() => revoked.find((e) => e.guildId === guildId));
    expect(event).toMatchObject({ userId: DEMO.users.admin2, reason: 'Role Admin deleted' });
  });

  it('revokes the former owner on an ownership transfer, unless an administrator', async () => {
    const guildId = '880000000000000002';
    await guildWithAdmin(guildId, DEMO.users.member, DEMO.users.moderator);
    // To an administrator: the former owner (no role) loses the guild.
    emulator.control.updateGuild(guildId, { ownerId: DEMO.users.moderator });
    const event = await waitFor(() => revoked.find((e) => e.guildId === guildId));
    expect(event).toMatchObject({ userId: DEMO.users.member, reason: 'Guild ownership transferred' });
    // Back again: the former owner is an administrator (Admin role) and keeps the guild.
    emulator.control.updateGuild(guildId, { ownerId: DEMO.users.member });
    // Sentinel: a later revocation in the same guild, on the same gateway connection.
    emulator.control.updateMember(guildId, DEMO.users.moderator, { roles: [] });
    await waitFor(() => revoked.filter((e) => e.guildId === guildId).length === 2);
    expect(revoked.filter((e) => e.guildId === guildId).map((e) => e.userId)).toEqual([
      DEMO.users.member,
      DEMO.users.moderator,
    ]);
  });

  it('with publish: false, onRevoked is called and the watcher publishes nothing itself', async () => {
    const guildId = '880000000000000003';
    const seen: Revocation[] = [];
    const stop = watchPermissionRevocations(client, panel, {
      publish: false,
      onRevoked: (r) => {
        if (r.guildId === guildId) seen.push(r);
      },
    });
    try {
      const role = await guildWithAdmin(guildId, DEMO.users.owner, DEMO.users.admin2);
      const before = revoked.length;
      emulator.control.deleteRole(guildId, role);
      // The main watcher publishes its own event: once it arrived, the second watcher has run too.
      await waitFor(() => revoked.find((e) => e.guildId === guildId));
      expect(seen.map((r) => r.userId)).toEqual([DEMO.users.admin2]);
      expect(revoked.slice(before).filter((e) => e.guildId === guildId)).toHaveLength(1);
    } finally {
      stop();
    }
  });

  it('withCommandEvents publishes success, denied and error for a real interaction', async () => {
    const run = withCommandEvents(bot, async (interaction: ChatInputCommandInteraction) => {
      const mode = interaction.options.getString('mode') ?? 'ok';
      if (mode === 'deny') throw new CommandDeniedError('nope');
      if (mode === 'fail') throw new Error('boom');
      await interaction.reply('done');
      return mode;
    });
    const results: unknown[] = [];
    client.on(Events.InteractionCreate, (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      run(interaction).then(
        (v) => results.push(v),
        (err: Error) => results.push(err.name),
      );
    });
    const ok = emulator.control.createInteraction({
      guildId: DEMO.guildId,
      channelId: DEMO.channels.general,
      userId: DEMO.users.owner,
      command: 'test',
      options: { mode: 'ok' },
    });
    await waitFor(() => executed.length === 1);
    for (const mode of ['deny', 'fail']) {
      emulator.control.createInteraction({
        guildId: DEMO.guildId,
        channelId: DEMO.channels.general,
        userId: DEMO.users.owner,
        command: 'test',
        options: { mode },
      });
    }
    await waitFor(() => executed.length === 3);
    expect(executed.map((e) => e.result)).toEqual(['success', 'denied', 'error']);
    expect(executed[0]).toMatchObject({
      guildId: DEMO.guildId,
      command: 'test',
      executorId: DEMO.users.owner,
      executor: 'theo7791l',
    });
    expect(results).toEqual(['ok', 'CommandDeniedError', 'Error']);
    expect(emulator.control.interaction(ok.id).response?.type).toBe(4);
  });
});
