/**
 * The bot as N shard processes in one command (`npm run start:sharded -w examples/bot`):
 * `BOT_SHARDS=auto` (Discord's recommendation) or a number; every other variable is the bot's and
 * goes to each shard process as it is. Graceful shutdown of every shard on SIGINT/SIGTERM.
 */
import { fileURLToPath } from 'node:url';
import { runApp } from '@wolaro/app-runtime';
import { loadLauncherConfig } from './config.js';
import { createLogger } from './logger.js';
import { startShardedBot } from './sharding_manager.js';

// Each shard runs the bot's own entry point, next to this file: main.js in the build, main.ts under tsx.
const file = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './main.ts' : './main.js', import.meta.url),
);

let logger: ReturnType<typeof createLogger> | undefined;
await runApp({
  name: 'Bot launcher',
  start: () => {
    const config = loadLauncherConfig(process.env);
    logger = createLogger(config.logLevel).child({ component: 'launcher' });
    return startShardedBot(config, { file, execArgv: process.execArgv, logger });
  },
  logger: () => logger ?? createLogger('info'),
  // Each shard has its own 10 s to shut down; they stop in parallel.
  shutdownTimeoutMs: 15_000,
});
