/**
 * The bot in its own process (`npm start -w examples/bot`, PM2): configuration from the
 * environment, `Bot ready` once every guild is synced, graceful shutdown on SIGINT/SIGTERM.
 */
import { startBot } from './bot.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

function readConfig() {
  try {
    return loadConfig(process.env, { standalone: true });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

const config = readConfig();
const logger = createLogger(config.logLevel);

let bot: Awaited<ReturnType<typeof startBot>>;
try {
  bot = await startBot(config, { logger });
} catch (err) {
  logger.error({ err }, `Bot failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, `Received ${signal}, shutting down`);
  try {
    await bot.close();
    logger.info('Bot stopped');
    process.exit(0);
  } catch (err) {
    logger.error({ err }, 'Bot shutdown failed');
    process.exit(1);
  }
}
process.once('SIGINT', (signal) => void shutdown(signal));
process.once('SIGTERM', (signal) => void shutdown(signal));
