/**
 * `@wolaro/app-runtime`: what the reference bot and panel API share at start-up, so neither
 * imports the other and both behave the same: the environment variables they both read (one
 * schema, one `ConfigError`), the bus and cache selector, one cleanup stack, one-line start-up
 * failures and the process wrapper.
 *
 * @packageDocumentation
 */
export {
  type BusSetup,
  canShareConnection,
  createBus,
  createSharedCache,
  openDatabase,
  startOutboxRelay,
} from './bus.js';
export { CleanupStack } from './cleanup.js';
export { resolveDataDir, workspaceRoot } from './data_dir.js';
export {
  bool,
  ConfigError,
  checkSharedEnv,
  commaList,
  DEFAULT_DATA_DIR,
  intIn,
  isLoopbackHost,
  isUnset,
  LOG_LEVELS,
  type LogLevel,
  optional,
  parseEnv,
  parseEnvProblems,
  plainHttpProblem,
  type SharedConfig,
  SYNC_SIGNING_KEY_REQUIRED,
  sharedConfig,
  sharedEnv,
  urlOf,
} from './env.js';
export { hasRedis, hostPortList, redisEnvProblems, redisInputOf, redisSourceOf } from './redis_target.js';
export { type RunAppOptions, runApp } from './run_app.js';
export {
  addressOf,
  databaseStartupError,
  redisStartupError,
  StartupError,
  startupFailureLine,
} from './startup_error.js';
