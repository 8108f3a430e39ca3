/**
 * Test helpers shared by every suite in the repo. Import with a relative `.js` specifier, e.g.
 * `import { createTestSchema, redisUrl } from '../../../test/support/index.js';`
 *
 * Needs the root vitest config (its globalSetup provides the Redis and Postgres URLs).
 */
export type { PostgresKind } from '../setup/global-setup.js';
export { databaseUrl, postgresKind, redisUrl, uniquePrefix } from './context.js';
export {
  type CaptureLogger,
  captureLogger,
  LOG_LEVELS,
  type LogEntry,
  type LogFn,
  type LogLevel,
  type MessageMatcher,
} from './logger.js';
export { freePort, pingRedis } from './net.js';
export { createTestSchema, type TestSchema, type TestSchemaOptions, withSearchPath } from './postgres.js';
export {
  type RedisServerHandle,
  RedisServerNotFoundError,
  type RedisServerOptions,
  startRedisServer,
} from './redis-server.js';
export { type ProxyMode, startTcpProxy, type TcpProxy, type TcpProxyOptions } from './tcp-proxy.js';
export { sleep, type WaitForOptions, waitFor } from './wait.js';
