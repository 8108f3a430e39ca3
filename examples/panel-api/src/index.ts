/**
 * `@wolaro/panel-api`: the reference panel API, startable in-process (tests, the one-process
 * launcher). Its database layer is the `@wolaro/db` workspace, shared with the bot.
 *
 * @packageDocumentation
 */

export { openSession, signSessionToken, TOKEN_ISSUER, verifySessionToken } from './auth/tokens.js';
export { type JsonCache, MemoryJsonCache } from './cache/json_cache.js';
export { ConfigError, createConfig, loadConfig, type PanelApiConfig } from './config.js';
export type { HealthReport } from './context.js';
export { withDevJwtSecret } from './dev_secret.js';
export { type AppLogger, createLogger } from './logger.js';
export { type PanelApi, type PanelApiDeps, PortInUseError, startPanelApi } from './server.js';
