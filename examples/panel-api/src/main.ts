import { ConfigError, loadConfig } from './config.js';
import { withDevJwtSecret } from './dev_secret.js';
import { createLogger } from './logger.js';
import { PortInUseError, startPanelApi } from './server.js';

async function main(): Promise<void> {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Panel API not started. ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const { config, file } = withDevJwtSecret(loaded);
  const logger = createLogger(config.logLevel);
  if (file) {
    logger.warn(
      { file },
      `JWT_SECRET is not set: using a development secret from ${file}. Set JWT_SECRET in production.`,
    );
  }
  if (config.redisUrl === undefined) {
    logger.warn(
      'REDIS_URL is not set: using the in-process bus (only valid when the bot runs in this process)',
    );
  }
  if (config.databaseUrl === undefined) {
    logger.info(`DATABASE_URL is not set: using embedded Postgres (PGlite) in ${config.dataDir}`);
  }

  let api: Awaited<ReturnType<typeof startPanelApi>>;
  try {
    api = await startPanelApi(config, { logger });
  } catch (err) {
    if (err instanceof PortInUseError) {
      console.error(`Panel API not started: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  console.log(`Panel API listening on ${api.url}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `Received ${signal}, shutting down`);
    const force = setTimeout(() => {
      logger.error('Shutdown took more than 10 s, exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    api.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error('Panel API failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
