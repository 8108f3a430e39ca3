/**
 * The bot in its own process (`npm start -w examples/bot`, PM2): configuration from the
 * environment, `Bot ready` once every guild is synced, graceful shutdown on SIGINT/SIGTERM. A bad
 * environment or a failed start prints one line per problem and exits 1.
 */
import { resolveDataDir, runApp } from '@wolaro/app-runtime';
import { startBot } from './bot.js';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';

let logger: ReturnType<typeof createLogger> | undefined;
await runApp({
  name: 'Bot',
  start: () => {
    const config = loadConfig(
      { ...process.env, PGLITE_DATA_DIR: resolveDataDir(process.env) },
      { standalone: true },
    );
    logger = createLogger(config.logLevel);
    return startBot(config, { logger });
  },
  logger: () => logger ?? createLogger('info'),
});
