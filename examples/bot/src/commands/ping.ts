import type { Command } from './types.js';

/** `{prefix}ping` and `/ping`: answers `Pong!` with the latency (and, when sharded, the guild's shard). */
export const ping: Command = {
  name: 'ping',
  description: 'Check that the bot answers, and how fast',
  options: [],
  message: true,
  slash: true,
  async run(invocation, ctx) {
    const roundTrip = Math.max(0, Date.now() - invocation.createdTimestamp);
    const gateway = ctx.client.ws.ping;
    const latency = `latency ${roundTrip} ms${gateway >= 0 ? `, gateway ${gateway} ms` : ''}`;
    const shardCount = ctx.client.options.shardCount ?? 1;
    const shard = shardCount > 1 ? `, shard ${invocation.guild.shardId} of ${shardCount}` : '';
    await invocation.reply(`Pong! (${latency}${shard})`);
    return undefined;
  },
};
