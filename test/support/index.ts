/**
 * `@wolaro/test-harness`: the helpers shared by every suite in the repo, e.g.
 * `import { createTestSchema, redisUrl } from '@wolaro/test-harness';`
 *
 * Needs the root vitest config (its globalSetup provides the Redis and Postgres URLs). Outside vitest
 * (benchmarks, fixtures run with tsx) import `@wolaro/test-harness/node`.
 */
export type { PostgresKind } from '../setup/global-setup.js';
export { createTestSchema, databaseUrl, postgresKind, redisUrl, uniquePrefix } from './context.js';
export { captureUncaught, fixtureForSuite, startedForFile } from './hooks.js';
export * from './node.js';
export {
  JWT_SECRET,
  type System,
  type SystemOptions,
  startSystem,
  useSystem,
} from './system/test_system.js';
