/**
 * The panel API in its own process: configuration from the environment, graceful shutdown on
 * SIGINT/SIGTERM. A bad environment or a failed start prints one line per problem and exits 1.
 */
import { hasRedis, resolveDataDir, runApp } from '@wolaro/app-runtime';
import { loadConfig } from './config.js';
import { withDevJwtSecret } from './dev_secret.js';
import { type AppLogger, createLogger } from './logger.js';
import { startPanelApi } from './server.js';

let logger: AppLogger | undefined;
const api = await runApp({
  name: 'Panel API',
  start: () => {
    const { config, file } = withDevJwtSecret(
      loadConfig({ ...process.env, PGLITE_DATA_DIR: resolveDataDir(process.env) }),
    );
    const log = createLogger(config.logLevel);
    logger = log;
    if (file) {
      log.warn(
        { file },
        `JWT_SECRET is not set: using a development secret from ${file}. Set JWT_SECRET in production.`,
      );
    }
    if (!hasRedis(config)) {
      log.warn(
        'REDIS_URL is not set: using the in-process bus (only valid when the bot runs in this process)',
      );
    }
    if (config.databaseUrl === undefined) {
      log.info(`DATABASE_URL is not set: using embedded Postgres (PGlite) in ${config.dataDir}`);
    }
    return startPanelApi(config, { logger: log });
  },
  logger: () => logger ?? createLogger('info'),
});
console.log(`Panel API listening on ${api.url}`);
