import { once } from 'node:events';
import { ShardingManager } from 'discord.js';
import { z } from 'zod';
import type { LauncherConfig } from './config.js';
import type { BotLogger } from './logger.js';

/** A running {@link startShardedBot}. */
export interface ShardedBot {
  readonly manager: ShardingManager;
  /** How many shard processes run. */
  readonly shardCount: number;
  /** Stops every shard process (SIGTERM: each shuts down gracefully) and waits for them. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startShardedBot}. */
export interface ShardedBotOptions {
  /** The bot's entry point each shard process runs (`main.js`, or `main.ts` under tsx). */
  file: string;
  /** Node flags of the shard processes (e.g. tsx's loader). */
  execArgv: string[];
  logger: BotLogger;
}

const gatewayBot = z.object({ shards: z.number().int().positive() });

/** `GET /gateway/bot`: how many shards Discord recommends for this bot (about one per 1,000 guilds). */
export async function recommendedShards(token: string, apiUrl = 'https://discord.com/api'): Promise<number> {
  const res = await fetch(`${apiUrl.replace(/\/+$/, '')}/v10/gateway/bot`, {
    headers: { authorization: `Bot ${token}` },
    signal: AbortSignal.timeout(15_000),
  });
  if (!res.ok) throw new Error(`GET ${apiUrl}/v10/gateway/bot answered ${res.status} (check DISCORD_TOKEN)`);
  return gatewayBot.parse(await res.json()).shards;
}

/**
 * Runs the bot as one process per shard with discord.js's `ShardingManager`: each process is the
 * ordinary bot (`SHARDS` and `SHARD_COUNT` set by the manager), serving its own guilds, and is
 * restarted if it dies. Resolves once every shard is ready.
 *
 * @example
 * ```ts
 * const sharded = await startShardedBot(loadLauncherConfig(process.env), { file, execArgv: [], logger });
 * process.once('SIGTERM', () => void sharded.close());
 * ```
 */
export async function startShardedBot(
  config: LauncherConfig,
  options: ShardedBotOptions,
): Promise<ShardedBot> {
  const { logger } = options;
  const shardCount =
    config.shards === 'auto'
      ? await recommendedShards(config.discordToken, config.discordApiUrl)
      : config.shards;
  const manager = new ShardingManager(options.file, {
    totalShards: shardCount,
    token: config.discordToken,
    mode: 'process',
    respawn: true,
    execArgv: options.execArgv,
  });
  manager.on('shardCreate', (shard) => {
    logger.info({ shard: shard.id }, `Shard ${shard.id} of ${shardCount} starting`);
    shard.on('death', () => {
      if (manager.respawn) logger.warn({ shard: shard.id }, `Shard ${shard.id} died, restarting it`);
    });
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      manager.respawn = false;
      await Promise.all(
        [...manager.shards.values()].map(async (shard) => {
          const child = shard.process;
          if (!child || child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          await exited;
        }),
      );
    })();
    return closed;
  };
  try {
    await manager.spawn({ amount: shardCount, delay: config.spawnDelayMs, timeout: 120_000 });
  } catch (err) {
    await close();
    throw err;
  }
  logger.info({ shards: shardCount }, `All ${shardCount} shards ready`);
  return { manager, shardCount, close };
}
