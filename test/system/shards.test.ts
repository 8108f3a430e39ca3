/**
 * The bot as two shard processes (`SHARD_ID` 0 and 1 of `SHARD_COUNT` 2) next to the panel API, on
 * the emulator with guilds on both shards: each process serves the guilds Discord routes to it
 * (`(guild_id >> 22) % 2`), hears every bus event, and acts on those of its own guilds only.
 */
import { upsertGuild } from '@wolaro/db';
import { type ApiMessage, DEMO, type DiscordEmulator } from '@wolaro/discord-emulator';
import { guildIdOnShard, type LogLine, postMessage, replyTo, useSystem } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { api } from './clients.js';

const SHARDS = 2;
/** Guild id → its #general, by shard. DEMO is on shard 0 ((123456789012345678 >> 22) % 2 = 0). */
const GUILDS: { guildId: string; channelId: string; shard: number }[] = [
  { guildId: DEMO.guildId, channelId: DEMO.channels.general, shard: 0 },
];

function createGuilds(emulator: DiscordEmulator): void {
  for (const [shard, n] of [
    [0, 0],
    [1, 0],
    [1, 1],
  ] as const) {
    const view = emulator.control.createGuild({
      id: guildIdOnShard(shard, SHARDS, n),
      name: `Shard ${shard} guild ${n}`,
      ownerId: DEMO.users.owner,
      channels: [{ name: 'general' }],
      members: [{ userId: DEMO.users.member }],
    });
    const general = view.channels.find((c) => c.name === 'general');
    GUILDS.push({ guildId: view.id, channelId: general!.id, shard });
  }
}

// Three app processes start at once (the API and two shards): on a loaded machine that takes longer.
const sys = useSystem({
  redis: 'shared',
  label: 'shards',
  botShards: SHARDS,
  prepare: createGuilds,
  startTimeoutMs: 120_000,
});
const ofShard = (shard: number) => GUILDS.filter((g) => g.shard === shard);
const mentions = (lines: LogLine[], guildId: string) => lines.filter((l) => l.msg.includes(guildId));

/** `!ping` in a guild's #general and the bot's answer. */
async function ping(guild: (typeof GUILDS)[number]): Promise<{ asked: ApiMessage; reply: ApiMessage }> {
  const control = sys().emulator.control;
  const asked = await postMessage(control, '!ping', DEMO.users.member, guild.channelId);
  return { asked, reply: await replyTo(control, asked) };
}

async function ownerApi(method: string, path: string, body?: unknown) {
  const token = await sys().tokenFor(DEMO.users.owner);
  return api<{ version: number }>(sys().api.url, method, path, { token, body });
}

/** PATCHes a guild's language (its prefix stays `!`) and returns the new version. */
async function patchLanguage(guildId: string, language: string): Promise<number> {
  const current = await ownerApi('GET', `/api/panel/guilds/${guildId}`);
  const res = await ownerApi('PATCH', `/api/panel/guilds/${guildId}`, {
    settings: { language },
    version: current.body.version,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.version;
}

describe('system: two bot shards', () => {
  it('connects one gateway session per shard; every guild is in the database, present', async () => {
    expect(new Set(GUILDS.map((g) => g.shard))).toEqual(new Set([0, 1]));
    const sessions = sys().emulator.control.sessions();
    expect(sessions.map((s) => s.shard).sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    for (const [shard, bot] of sys().bots.entries()) {
      const ready = bot.logs.find('Bot ready')[0];
      expect(ready?.fields['shards'], `shard ${shard}`).toEqual([shard]);
      expect(ready?.fields['guilds'], `shard ${shard}`).toBe(ofShard(shard).length);
    }
    const { rows } = await sys().pool.query<{ guild_id: string; bot_present: boolean }>(
      'SELECT guild_id, bot_present FROM guilds WHERE guild_id = ANY($1::text[]) ORDER BY guild_id',
      [GUILDS.map((g) => g.guildId)],
    );
    expect(rows).toEqual(
      GUILDS.map((g) => ({ guild_id: g.guildId, bot_present: true })).sort((a, b) =>
        a.guild_id.localeCompare(b.guild_id),
      ),
    );
  });

  it('answers a command in each guild from exactly one shard: the one the guild is on', async () => {
    const first = await Promise.all(GUILDS.map(ping));
    for (const [i, { reply }] of first.entries()) {
      expect(reply.content).toMatch(new RegExp(`^Pong! \\(.*shard ${GUILDS[i]!.shard} of 2\\)$`));
    }
    // Fence: a second ping per guild answered, so any second answer to the first would be in by now.
    await Promise.all(GUILDS.map(ping));
    for (const [i, { asked }] of first.entries()) {
      const replies = sys()
        .emulator.control.messages(GUILDS[i]!.channelId)
        .filter((m) => m.message_reference?.message_id === asked.id);
      expect(replies, GUILDS[i]!.guildId).toHaveLength(1);
    }
  });

  it("a PATCH of a guild on shard 0 reloads shard 0's cache only, and the other way round", async () => {
    const [demo, onShard1] = [ofShard(0)[0]!, ofShard(1)[0]!];
    await Promise.all([ping(demo), ping(onShard1)]); // both guilds in their shard's cache
    const [bot0, bot1] = [sys().bots[0]!, sys().bots[1]!];
    const from0 = bot0.logs.mark;
    const from1 = bot1.logs.mark;

    // Ordered on the bus: demo, shard-1 guild, demo, shard-1 guild. Each shard waits for the last of
    // its own (the sentinel): every earlier event has been handled by then.
    const v1 = await patchLanguage(demo.guildId, 'fr');
    const w1 = await patchLanguage(onShard1.guildId, 'de');
    const v2 = await patchLanguage(demo.guildId, 'en');
    const w2 = await patchLanguage(onShard1.guildId, 'en');
    await bot0.logs.waitFor(`Config of guild ${demo.guildId} reloaded (version ${v2})`, { from: from0 });
    await bot1.logs.waitFor(`Config of guild ${onShard1.guildId} reloaded (version ${w2})`, { from: from1 });
    const lines0 = bot0.logs.lines.slice(from0);
    const lines1 = bot1.logs.lines.slice(from1);

    expect(lines0.some((l) => l.msg === `Config of guild ${demo.guildId} reloaded (version ${v1})`)).toBe(
      true,
    );
    expect(lines0.some((l) => l.msg === `Config update received for guild ${demo.guildId}`)).toBe(true);
    expect(lines1.some((l) => l.msg === `Config of guild ${onShard1.guildId} reloaded (version ${w1})`)).toBe(
      true,
    );
    // Shard 1 heard both PATCHes of the demo guild and did nothing with them, and vice versa.
    expect(mentions(lines1, demo.guildId)).toEqual([]);
    expect(mentions(lines0, onShard1.guildId)).toEqual([]);
  });

  it('guild:reload of every guild reaches both shards, each reloading its own guilds', async () => {
    await Promise.all(GUILDS.map(ping)); // every guild in its shard's cache
    const marks = sys().bots.map((bot) => bot.logs.mark);
    for (const guild of GUILDS) {
      const res = await ownerApi('POST', `/api/panel/guilds/${guild.guildId}/sync`, { reason: 'all' });
      expect(res.status).toBe(202);
    }
    // Sentinels: one more reload of the last guild of each shard, after all the others.
    const last = [ofShard(0).at(-1)!, ofShard(1).at(-1)!];
    for (const guild of last) {
      await ownerApi('POST', `/api/panel/guilds/${guild.guildId}/sync`, { reason: 'sentinel' });
    }
    for (const [shard, bot] of sys().bots.entries()) {
      const sentinel = `Reload requested for guild ${last[shard]!.guildId}`;
      await bot.logs.waitFor((l) => l.msg === sentinel && l.fields['reason'] === 'sentinel', {
        from: marks[shard]!,
      });
      const lines = bot.logs.lines.slice(marks[shard]!);
      for (const guild of GUILDS) {
        const requested = lines.filter(
          (l) => l.msg === `Reload requested for guild ${guild.guildId}` && l.fields['reason'] === 'all',
        );
        const reloaded = lines.filter((l) => l.msg.startsWith(`Config of guild ${guild.guildId} reloaded`));
        const own = guild.shard === shard;
        expect([requested.length, reloaded.length > 0], `shard ${shard}, guild ${guild.guildId}`).toEqual([
          own ? 1 : 0,
          own,
        ]);
      }
    }
  });

  // Two shard restarts, one after the other.
  it('READY marks left only the guilds of its own shard that the bot is no longer in', {
    timeout: 300_000,
  }, async () => {
    // Two guilds the bot was removed from while offline, one per shard: rows say "present".
    const gone = [guildIdOnShard(0, SHARDS, 7), guildIdOnShard(1, SHARDS, 7)];
    for (const guildId of gone) {
      await upsertGuild(sys().pool, { guildId, name: 'Gone', ownerId: DEMO.users.owner });
    }
    const present = async () => {
      const { rows } = await sys().pool.query<{ guild_id: string; bot_present: boolean }>(
        'SELECT guild_id, bot_present FROM guilds WHERE guild_id = ANY($1::text[])',
        [[...gone, ...GUILDS.map((g) => g.guildId)]],
      );
      return Object.fromEntries(rows.map((r) => [r.guild_id, r.bot_present]));
    };
    const everyGuild = Object.fromEntries(GUILDS.map((g) => [g.guildId, true]));

    const from0 = sys().bots[0]!.logs.mark;
    await sys().restartBot(0);
    // Shard 0's READY lists its guilds only: the other shard's (present or gone) are left alone.
    expect(await present()).toEqual({ ...everyGuild, [gone[0]!]: false, [gone[1]!]: true });
    const marked = sys().bots[0]!.logs.find('Marked 1 guild(s) left while the bot was away', { from: from0 });
    expect(marked.map((l) => l.fields['guildIds'])).toEqual([[gone[0]]]);

    await sys().restartBot(1);
    expect(await present()).toEqual({ ...everyGuild, [gone[0]!]: false, [gone[1]!]: false });
    // And the restarted shards still answer in their guilds.
    for (const { reply } of await Promise.all(GUILDS.map(ping))) expect(reply.content).toMatch(/^Pong!/);
  });
});
