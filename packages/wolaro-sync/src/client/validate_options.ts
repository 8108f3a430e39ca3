import { z } from 'zod';
import {
  checkOptions,
  describe,
  durationMs,
  keyPrefixSchema,
  loggerSchema,
  type OptionsCheck,
  REDIS_INPUT,
  redisInputSchema,
} from '../internal/options.js';
import { MIN_SIGNING_KEY_LENGTH } from './options.js';

const METHODS = ['connect', 'subscribe', 'unsubscribe', 'publish', 'close', 'on'] as const;

const transportSchema = z.custom<object>(
  (v) =>
    v === 'memory' ||
    (typeof v === 'object' &&
      v !== null &&
      METHODS.every((m) => typeof (v as Record<string, unknown>)[m] === 'function')),
  `must be 'memory' or a Transport (${METHODS.join('/')} methods)`,
);

const channelsSchema = z.custom<object>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    Object.values(v).every(
      (d) => typeof d === 'object' && d !== null && typeof (d as { schema?: unknown }).schema === 'object',
    ),
  'must be a channel map from defineChannels({ name: { schema } })',
);

const signingKey = z
  .string()
  .min(
    MIN_SIGNING_KEY_LENGTH,
    `must be at least ${MIN_SIGNING_KEY_LENGTH} characters (e.g. openssl rand -base64 48)`,
  );

const schema = z.object({
  redis: z
    .custom<unknown>((v) => v === false || redisInputSchema.safeParse(v).success, REDIS_INPUT)
    .optional(),
  transport: transportSchema.optional(),
  channels: channelsSchema.optional(),
  keyPrefix: keyPrefixSchema.optional(),
  listen: z
    .union([z.boolean(), z.array(z.string())], 'must be true, false or a list of channel names')
    .optional(),
  maxPayloadBytes: z.number().int().positive().optional(),
  origin: z.string().min(1).max(200).optional(),
  logger: loggerSchema.optional(),
  connectTimeoutMs: durationMs.optional(),
  signingKey: z
    .union(
      [signingKey, z.object({ current: signingKey, accept: z.array(signingKey).optional() }).strict()],
      'must be a key of at least 32 characters or { current, accept?: [...] }',
    )
    .optional(),
});

/** One bus, chosen explicitly: never the memory bus because a URL was undefined. */
const oneBus: OptionsCheck = (o) => {
  const hasRedis = o['redis'] !== undefined;
  const hasTransport = o['transport'] !== undefined;
  if (hasRedis && hasTransport) return ['redis: give either `redis` or `transport`, not both'];
  if (hasRedis || hasTransport) {
    const custom = hasTransport && o['transport'] !== 'memory';
    if ((custom || o['redis'] === false) && o['connectTimeoutMs'] !== undefined) {
      return ['connectTimeoutMs: applies to `redis` only; set the timeout on your transport'];
    }
    return [];
  }
  const why = 'redis' in o ? `is ${describe(o['redis'])} (an unset environment variable?)` : 'is required';
  return [
    `redis: ${why}: give a Redis URL, ioredis options or an ioredis client, a \`transport\`, or ask for the in-process bus with \`transport: 'memory'\` (or \`redis: false\`)`,
  ];
};

/** Throws one `InvalidOptionsError` listing every problem of `SyncClient` options. */
export function validateSyncClientOptions(options: unknown): void {
  checkOptions('SyncClient', schema, options, oneBus);
}
