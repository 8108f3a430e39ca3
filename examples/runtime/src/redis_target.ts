/**
 * Which Redis the apps use: one server (`REDIS_URL`), a Cluster (`REDIS_CLUSTER_NODES`) or a
 * master watched by Sentinels (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`); at most one of them.
 */
import type { RedisInput } from '@wolaro/sync';
import { z } from 'zod';
import type { SharedConfig } from './env.js';
import { addressOf } from './startup_error.js';

const HOST_PORT = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/;

/** A comma-separated list of `host:port`; `undefined` when unset or empty. */
export const hostPortList = z
  .string()
  .optional()
  .transform((v, ctx): string[] | undefined => {
    const items = (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length === 0) return undefined;
    const bad = items.filter((s) => {
      const m = HOST_PORT.exec(s);
      return !m || Number(m[2]) < 1 || Number(m[2]) > 65_535;
    });
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a comma-separated list of host:port, got ${bad.map((b) => `"${b}"`).join(', ')}`,
      });
      return z.NEVER;
    }
    return items;
  });

/** What the three ways to name a Redis look like in the environment. */
const REDIS_VARS = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const;

/**
 * The problems with how the environment names its Redis: more than one of `REDIS_URL`,
 * `REDIS_CLUSTER_NODES` and `REDIS_SENTINELS`, or Sentinels without `REDIS_SENTINEL_NAME` (and the
 * reverse). One line per problem, each naming the variable.
 *
 * @example
 * ```ts
 * redisEnvProblems({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:6379' });
 * // ['REDIS_CLUSTER_NODES: give only one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS (set: REDIS_URL, REDIS_CLUSTER_NODES)']
 * ```
 */
export function redisEnvProblems(env: Readonly<Record<string, string | undefined>>): string[] {
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  const given = REDIS_VARS.filter(set);
  const problems: string[] = [];
  if (given.length > 1) {
    problems.push(`${given[1]}: give only one of ${REDIS_VARS.join(', ')} (set: ${given.join(', ')})`);
  }
  if (set('REDIS_SENTINELS') && !set('REDIS_SENTINEL_NAME')) {
    problems.push(
      'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the master name the Sentinels monitor)',
    );
  }
  if (set('REDIS_SENTINEL_NAME') && !set('REDIS_SENTINELS')) {
    problems.push(
      'REDIS_SENTINELS: required with REDIS_SENTINEL_NAME (comma-separated host:port of the Sentinels)',
    );
  }
  return problems;
}

function hostPort(item: string): { host: string; port: number } {
  const m = HOST_PORT.exec(item) as RegExpExecArray;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** Whether the config names a Redis (any of the three ways). */
export function hasRedis(config: SharedConfig): boolean {
  return redisInputOf(config) !== undefined;
}

/**
 * The `redis` option of `@wolaro/sync` for the config: the URL, `{ cluster }` or
 * `{ sentinels, name }`; `undefined` without Redis (the in-process bus).
 *
 * @example
 * ```ts
 * const redis = redisInputOf(config);
 * if (redis) new RedisFallbackManager({ redis });
 * ```
 */
export function redisInputOf(config: SharedConfig): RedisInput | undefined {
  if (config.redisUrl !== undefined) return config.redisUrl;
  if (config.redisClusterNodes) return { cluster: config.redisClusterNodes.map(hostPort) };
  if (config.redisSentinels && config.redisSentinelName) {
    return { sentinels: config.redisSentinels.map(hostPort), name: config.redisSentinelName };
  }
  return undefined;
}

/** Where the config's Redis is (no password) and which variable said so, for start-up errors. */
export function redisSourceOf(config: SharedConfig): { at: string; variable: string } | undefined {
  if (config.redisUrl !== undefined) return { at: addressOf(config.redisUrl, 6379), variable: 'REDIS_URL' };
  if (config.redisClusterNodes) {
    return { at: `cluster ${config.redisClusterNodes.join(',')}`, variable: 'REDIS_CLUSTER_NODES' };
  }
  if (config.redisSentinels) {
    return {
      at: `master "${config.redisSentinelName}" via Sentinels ${config.redisSentinels.join(',')}`,
      variable: 'REDIS_SENTINELS',
    };
  }
  return undefined;
}
