/**
 * `@wolaro/test-harness/node`: the harness without vitest, for benchmarks and child-process fixtures
 * (tsx). Vitest suites import `@wolaro/test-harness`, which adds the suite's Redis and Postgres.
 */

export { processAlive } from '@wolaro/db';
export {
  type ControlClient,
  controlCall,
  findReply,
  guildIdOnShard,
  httpControl,
  postMessage,
  postUntilReplied,
  replyTo,
  slash,
} from './emulator.js';
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
export {
  createSchema,
  type SchemaOptions,
  type TestSchema,
  type TestSchemaOptions,
  withAppName,
  withSearchPath,
} from './postgres.js';
export { prng } from './prng.js';
export {
  type HostPort,
  type RedisClusterHandle,
  type RedisClusterOptions,
  type RedisSentinelHandle,
  type RedisSentinelOptions,
  redisServerMajorVersion,
  startRedisCluster,
  startRedisSentinel,
} from './redis_cluster.js';
export {
  type RedisServerHandle,
  RedisServerNotFoundError,
  type RedisServerOptions,
  startRedisServer,
} from './redis_server.js';
export {
  ChildLogs,
  type ChildLogsOptions,
  type LineMatcher,
  type LogLine,
  type RawLine,
} from './system/child_logs.js';
export {
  type ApiNode,
  type AppRuntime,
  appArgs,
  appRuntime,
  type ControlledApp,
  type LaunchedSystem,
  type LaunchOptions,
  launchSystem,
  PROFILE_DIR,
  type RunningApp,
  TOKEN_ISSUER,
} from './system/launch.js';
export {
  type AppProcess,
  exited,
  ROOT,
  type SpawnOptions,
  spawnNode,
  stopChild,
  waitForHealth,
} from './system/processes.js';
export { deleteKeys, l2ConfigVersion, redisPid } from './system/redis_keys.js';
export { type ProxyMode, startTcpProxy, type TcpProxy, type TcpProxyOptions } from './tcp_proxy.js';
export { sleep, type WaitForOptions, waitFor } from './wait.js';
