import {
  type ChatInputCommandInteraction,
  Events,
  type Interaction,
  MessageFlags,
  SlashCommandBuilder,
} from 'discord.js';
import { describe, expect, it } from 'vitest';
import { DEMO, type InteractionView } from '../src/index.js';
import { botAuth, emulator, http, nextEvent, ready, until } from './helpers.js';

const warn = new SlashCommandBuilder()
  .setName('warn')
  .setDescription('Warn a member')
  .addUserOption((o) => o.setName('user').setDescription('Who').setRequired(true))
  .addStringOption((o) => o.setName('reason').setDescription('Why'))
  .addIntegerOption((o) => o.setName('points').setDescription('How many'));

const config = new SlashCommandBuilder()
  .setName('config')
  .setDescription('Configure')
  .addSubcommand((s) =>
    s
      .setName('set')
      .setDescription('Set a key')
      .addStringOption((o) => o.setName('key').setDescription('Key').setRequired(true))
      .addBooleanOption((o) => o.setName('enabled').setDescription('On?')),
  );

const ping = new SlashCommandBuilder().setName('ping').setDescription('Replies with pong');

async function answered(
  url: string,
  id: string,
  check: (v: InteractionView) => boolean,
): Promise<InteractionView> {
  return until(async () => {
    const res = await http(`${url}/_emulator/interactions/${id}`);
    const view = res.body as InteractionView;
    return check(view) ? view : null;
  });
}

describe('slash commands and interactions', () => {
  it('registers guild commands with client.application.commands.set and shows them in state', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const registered = await bot.application.commands.set([ping, warn, config], DEMO.guildId);
    expect([...registered.values()].map((c) => c.name).sort()).toEqual(['config', 'ping', 'warn']);
    const state = (await http(`${instance.url}/_emulator/state`)).body as {
      commands: { name: string; guild_id?: string; id: string }[];
    };
    expect(state.commands.map((c) => c.name).sort()).toEqual(['config', 'ping', 'warn']);
    expect(state.commands.every((c) => c.guild_id === DEMO.guildId)).toBe(true);

    // Re-registering keeps ids (Discord matches by name and type) and drops missing commands.
    const again = await bot.application.commands.set([ping], DEMO.guildId);
    expect(again.first()?.id).toBe(registered.find((c) => c.name === 'ping')?.id);
    expect(instance.control.commands(DEMO.guildId).map((c) => c.name)).toEqual(['ping']);

    // Global commands through a raw REST PUT, read back with GET.
    const put = await http(`${instance.apiUrl}/v10/applications/${DEMO.applicationId}/commands`, {
      method: 'PUT',
      headers: botAuth(instance),
      body: [ping.toJSON()],
    });
    expect(put.status).toBe(200);
    const list = await http(`${instance.apiUrl}/v10/applications/${DEMO.applicationId}/commands`, {
      headers: botAuth(instance),
    });
    expect((list.body as { name: string }[]).map((c) => c.name)).toEqual(['ping']);
    expect(instance.control.commands().length).toBe(1);

    const invalid = await http(`${instance.apiUrl}/v10/applications/${DEMO.applicationId}/commands`, {
      method: 'POST',
      headers: botAuth(instance),
      body: { name: 'Bad Name', description: 'x' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ code: 50035, message: 'Invalid Form Body', errors: { name: {} } });
  });

  it('delivers a control-API slash command to interactionCreate and records interaction.reply()', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    await bot.application.commands.set([warn], DEMO.guildId);
    bot.on(Events.InteractionCreate, async (interaction) => {
      if (!interaction.isChatInputCommand() || interaction.commandName !== 'warn') return;
      const user = interaction.options.getUser('user', true);
      const reason = interaction.options.getString('reason') ?? 'no reason';
      await interaction.reply(
        `Warned ${user.username}: ${reason} (${interaction.options.getInteger('points')})`,
      );
    });
    const seen = nextEvent<[Interaction]>(bot, Events.InteractionCreate);
    const res = await http(`${instance.url}/_emulator/interactions`, {
      method: 'POST',
      body: {
        guildId: DEMO.guildId,
        channelId: DEMO.channels.general,
        userId: DEMO.users.moderator,
        command: 'warn',
        options: { user: DEMO.users.member, reason: 'spam', points: '2' },
      },
    });
    expect(res.status).toBe(201);
    const { id } = res.body as { id: string };
    const [interaction] = (await seen) as [ChatInputCommandInteraction];
    expect(interaction.id).toBe(id);
    expect(interaction.commandName).toBe('warn');
    expect(interaction.user.id).toBe(DEMO.users.moderator);
    expect(interaction.guildId).toBe(DEMO.guildId);
    expect(interaction.channelId).toBe(DEMO.channels.general);
    expect(interaction.memberPermissions?.has('KickMembers')).toBe(true);
    expect(interaction.options.getMember('user')).toMatchObject({ id: DEMO.users.member });

    const view = await answered(instance.url, id, (v) => v.response !== null);
    expect(view.response).toMatchObject({ type: 4, data: { content: 'Warned nina_member: spam (2)' } });
    expect(view.original).toMatchObject({
      content: 'Warned nina_member: spam (2)',
      type: 20,
      author: { id: DEMO.users.bot },
    });
    expect(view.original?.interaction_metadata).toMatchObject({ id, user: { id: DEMO.users.moderator } });
    expect(instance.control.messages(DEMO.channels.general).at(-1)?.content).toBe(
      'Warned nina_member: spam (2)',
    );
  });

  it('records deferReply + editReply + followUp, subcommands, and ephemeral replies', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    await bot.application.commands.set([config], DEMO.guildId);
    bot.on(Events.InteractionCreate, async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      await interaction.deferReply();
      const key = interaction.options.getString('key', true);
      const enabled = interaction.options.getBoolean('enabled');
      await interaction.editReply(`${interaction.options.getSubcommand()} ${key}=${String(enabled)}`);
      const fetched = await interaction.fetchReply();
      await interaction.followUp({
        content: `saved (${fetched.id === (await interaction.fetchReply()).id})`,
      });
      await interaction.followUp({ content: 'only you', flags: MessageFlags.Ephemeral });
    });
    const { id } = instance.control.createInteraction({
      guildId: DEMO.guildId,
      channelId: DEMO.channels.general,
      userId: DEMO.users.admin,
      command: 'config set',
      options: { key: 'prefix', enabled: true },
    });
    const view = await until(() => {
      const v = instance.control.interaction(id);
      return v.followUps.length === 2 ? v : null;
    });
    expect(view.response).toMatchObject({ type: 5 });
    expect(view.original?.content).toBe('set prefix=true');
    expect((view.original?.flags ?? 0) & 128).toBe(0); // no longer "thinking"
    expect(view.followUps.map((m) => m.content)).toEqual(['saved (true)', 'only you']);
    expect((view.followUps[1]?.flags ?? 0) & 64).toBe(64);
    // Ephemeral messages are not part of the channel history.
    expect(instance.control.messages(DEMO.channels.general).map((m) => m.content)).toEqual([
      'set prefix=true',
      'saved (true)',
    ]);
  });

  it('refuses a second acknowledgement and unknown interactions with Discord errors', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const results: unknown[] = [];
    bot.on(Events.InteractionCreate, async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      await interaction.reply('first');
      results.push(await interaction.reply('second').catch((error: unknown) => error));
    });
    const { id, token } = instance.control.createInteraction({
      guildId: DEMO.guildId,
      channelId: DEMO.channels.general,
      userId: DEMO.users.member,
      command: 'anything',
    });
    await until(() => results.length === 1);
    // discord.js itself refuses to reply twice; the raw API says 40060.
    const again = await http(`${instance.apiUrl}/v10/interactions/${id}/${token}/callback`, {
      method: 'POST',
      body: { type: 4, data: { content: 'again' } },
    });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ message: 'Interaction has already been acknowledged.', code: 40060 });
    const unknown = await http(`${instance.apiUrl}/v10/interactions/1/nope/callback`, {
      method: 'POST',
      body: { type: 4, data: { content: 'x' } },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ message: 'Unknown interaction', code: 10062 });
    expect(instance.control.interaction(id).original?.content).toBe('first');
  });

  it('rejects interaction callbacks after the response window', async () => {
    const instance = await emulator({ interactionResponseTimeoutMs: 50 });
    const { id, token } = instance.control.createInteraction({
      guildId: DEMO.guildId,
      channelId: DEMO.channels.general,
      userId: DEMO.users.member,
      command: 'late',
    });
    expect(instance.control.interaction(id).response).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 80));
    const res = await http(`${instance.apiUrl}/v10/interactions/${id}/${token}/callback`, {
      method: 'POST',
      body: { type: 4, data: { content: 'too late' } },
    });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 10062 });
  });

  it('validates interaction input in the control API', async () => {
    const instance = await emulator();
    instance.control.registerCommands([warn.toJSON()], DEMO.guildId);
    const missing = await http(`${instance.url}/_emulator/interactions`, {
      method: 'POST',
      body: {
        guildId: DEMO.guildId,
        channelId: DEMO.channels.general,
        userId: DEMO.users.admin,
        command: 'warn',
      },
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      error: { code: 'bad_request', message: 'Missing required option "user"' },
    });
    const notMember = await http(`${instance.url}/_emulator/interactions`, {
      method: 'POST',
      body: { guildId: DEMO.guildId, channelId: DEMO.channels.general, userId: '999', command: 'ping' },
    });
    expect(notMember.status).toBe(404);
    expect(notMember.body).toMatchObject({ error: { code: 'not_found' } });
    const badBody = await http(`${instance.url}/_emulator/interactions`, {
      method: 'POST',
      body: { guildId: 'x' },
    });
    expect(badBody.status).toBe(400);
    expect(badBody.body).toMatchObject({ error: { code: 'invalid_body' } });
  });
});
