import { DEMO, type DiscordEmulator, startEmulator } from '@wolaro/discord-emulator';
import {
  createTestSchema,
  guildIdOnShard,
  postMessage,
  redisUrl,
  replyTo,
  spawnNode,
  stopChild,
  type TestSchema,
  uniquePrefix,
  waitFor,
} from '@wolaro/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botProcessEnv, deleteKeys } from './harness.js';

describe('the sharded launcher (src/sharded.ts, discord.js ShardingManager)', () => {
  let emulator: DiscordEmulator;
  let schema: TestSchema;
  const keyPrefix = uniquePrefix('sharded');
  const onShard1 = { guildId: guildIdOnShard(1, 2, 0), channelId: '' };

  beforeAll(async () => {
    // Discord would recommend 2 shards for this bot: BOT_SHARDS=auto runs 2 processes.
    emulator = await startEmulator({ port: 0, seed: 'demo', recommendedShards: 2 });
    const view = emulator.control.createGuild({
      id: onShard1.guildId,
      name: 'On shard 1',
      ownerId: DEMO.users.owner,
      channels: [{ name: 'general' }],
      members: [{ userId: DEMO.users.member }],
    });
    onShard1.channelId = view.channels.find((c) => c.name === 'general')!.id;
    schema = await createTestSchema('bot_sharded');
  });
  afterAll(async () => {
    await schema?.drop();
    await emulator?.stop();
    await deleteKeys(redisUrl(), keyPrefix);
  });

  it('BOT_SHARDS=auto starts one process per recommended shard; each answers in its guilds; SIGTERM stops all', {
    timeout: 120_000,
  }, async () => {
    const launcher = spawnNode(['--import', 'tsx', 'examples/bot/src/sharded.ts'], {
      env: {
        BOT_SHARDS: 'auto',
        BOT_SHARD_SPAWN_DELAY_MS: '0',
        ...botProcessEnv(emulator, schema, keyPrefix),
      },
    });
    try {
      await launcher.logs.waitFor('All 2 shards ready', { timeoutMs: 90_000 });
      // Both shard processes sync their guilds and print Bot ready, each naming its shard.
      await waitFor(() => launcher.logs.find('Bot ready').length === 2, { timeoutMs: 30_000 });
      expect(launcher.logs.find('Bot ready').map((l) => l.fields['shards'])).toEqual(
        expect.arrayContaining([[0], [1]]),
      );
      const shards = emulator.control.sessions().map((s) => s.shard);
      expect(shards.sort()).toEqual([
        [0, 2],
        [1, 2],
      ]);
      const control = emulator.control;
      const demo = await replyTo(control, await postMessage(control, '!ping'));
      expect(demo.content).toMatch(/shard 0 of 2\)$/);
      const other = await replyTo(
        control,
        await postMessage(control, '!ping', DEMO.users.member, onShard1.channelId),
      );
      expect(other.content).toMatch(/shard 1 of 2\)$/);
    } finally {
      const exit = await stopChild(launcher.child, 'SIGTERM', 20_000);
      expect(exit, launcher.logs.tail()).toEqual({ code: 0, signal: null });
    }
    // Every shard process ended its gateway session on the way out.
    await waitFor(() => emulator.control.sessions().length === 0);
    expect(launcher.logs.find('Bot stopped')).toHaveLength(2);
  });
});
