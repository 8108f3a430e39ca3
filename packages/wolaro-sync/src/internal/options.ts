import { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';
import { formatIssues } from './format_issues.js';
import { isRedisClient } from './redis_client.js';

/** An extra check on the whole options object: returns `path: message` lines. */
export type OptionsCheck = (options: Record<string, unknown>) => string[];

/**
 * Validates a constructor's options up front and throws one `InvalidOptionsError` listing every
 * problem (the schema's and the `checks`'), so a mistake never surfaces later as a strange error.
 */
export function checkOptions(
  owner: string,
  schema: z.ZodType,
  options: unknown,
  ...checks: OptionsCheck[]
): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionsError(owner, [`(root): options must be an object, got ${describe(options)}`]);
  }
  const result = schema.safeParse(options);
  const issues = result.success ? [] : formatIssues(result.error);
  for (const check of checks) issues.push(...check(options as Record<string, unknown>));
  if (issues.length > 0) throw new InvalidOptionsError(owner, issues);
}

/** `number 42`, `undefined`, `string "x"`: for messages. */
export function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'string') return `string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}

/** Milliseconds: a positive integer that fits a timer. */
export const durationMs = z
  .number({ error: (i) => `must be a number of milliseconds, got ${describe(i.input)}` })
  .int('must be an integer')
  .positive('must be > 0')
  .max(2_147_483_647, 'must fit a timer (at most 2147483647)');

/** A positive finite number (counts, seconds). */
export const positiveNumber = z
  .number({ error: (i) => `must be a number, got ${describe(i.input)}` })
  .positive('must be > 0')
  .refine(Number.isFinite, 'must be finite');

/** A key/channel prefix (same rule as `assertValidPrefix`). */
export const keyPrefixSchema = z
  .string({ error: (i) => `must be a string, got ${describe(i.input)}` })
  .regex(/^[A-Za-z0-9:._-]{0,64}$/, 'must match [A-Za-z0-9:._-]{0,64}');

/** An object that has every one of `methods` (duck typing); `message` when it does not. */
export const withMethods = (methods: readonly string[], message: string) =>
  z.custom<object>((v) => {
    if (typeof v !== 'object' || v === null) return false;
    const record = v as Record<string, unknown>;
    return methods.every((m) => typeof record[m] === 'function');
  }, message);

/** Something with pino's four methods. */
export const loggerSchema = withMethods(
  ['debug', 'info', 'warn', 'error'],
  'must have debug/info/warn/error methods (a pino logger fits)',
);

/** A function. */
export const functionSchema = (what: string) =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', `must be a function (${what})`);

const REDIS_URL = /^(rediss?:\/\/|\/)/;

/** What the `redis` option accepts, for messages. */
export const REDIS_INPUT =
  'must be a Redis URL (redis://, rediss:// or a socket path), ioredis options (Sentinel too), { cluster: [...] } or an ioredis client';

const HOST_PORT = /^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

/** `{ cluster: [...] }`: at least one `host:port` or `{ host, port }` startup node. */
const clusterInputSchema = z.object({
  cluster: z
    .array(
      z.union(
        [
          z.string().regex(HOST_PORT),
          z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65_535) }),
        ],
        'must be "host:port" or { host, port }',
      ),
    )
    .min(1, 'must list at least one startup node'),
  clusterOptions: z
    .custom<object>((v) => typeof v === 'object' && v !== null, 'must be ioredis ClusterOptions')
    .optional(),
});

const isClusterShaped = (v: unknown): boolean => typeof v === 'object' && v !== null && 'cluster' in v;

/** A Redis URL, ioredis options (Sentinel too), a cluster definition, or an ioredis client. */
export const redisInputSchema = z
  .custom<object | string>(
    (v) =>
      (typeof v === 'string' && REDIS_URL.test(v)) ||
      isRedisClient(v) ||
      (typeof v === 'object' && v !== null && !Array.isArray(v) && isPlainObject(v)),
    REDIS_INPUT,
  )
  .superRefine((v, ctx) => {
    if (!isClusterShaped(v) || isRedisClient(v)) return;
    const parsed = clusterInputSchema.safeParse(v);
    if (parsed.success) return;
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    }
  });

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The `redis` option when it is required: an explicit, actionable message for `undefined` (the
 * usual cause is an unset environment variable).
 */
export function requireRedis(alternatives: string): OptionsCheck {
  return (o) => {
    if (o['redis'] !== undefined) return [];
    const why = 'redis' in o ? 'is undefined (an unset environment variable?)' : 'is required';
    return [`redis: ${why}: give a Redis URL, ioredis options or an ioredis client${alternatives}`];
  };
}
