import { Redis } from 'ioredis';

async function withRedis<T>(url: string, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/**
 * Deletes every key under `prefix` (the apps' cache entries) from a shared Redis.
 *
 * @example
 * ```ts
 * await deleteKeys('redis://127.0.0.1:6379', 'bench3fa9c1d2e4:');
 * ```
 */
export function deleteKeys(url: string, prefix: string): Promise<void> {
  return withRedis(url, async (client) => {
    const stream = client.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>;
    for await (const keys of stream) if (keys.length > 0) await client.del(...keys);
  });
}

/**
 * The version of a guild's config entry in the bot's L2 (Redis: `\x01{version}:{writtenAt}\x01{json}`,
 * packages/wolaro-sync/src/cache/envelope.ts), `null` when there is none or it is a tombstone.
 *
 * @example
 * ```ts
 * expect(await l2ConfigVersion(sys.redisUrl, sys.keyPrefix, DEMO.guildId)).toBe(version);
 * ```
 */
export function l2ConfigVersion(url: string, keyPrefix: string, guildId: string): Promise<number | null> {
  return withRedis(url, async (client) => {
    const raw = await client.get(`${keyPrefix}guild:config:${guildId}`);
    const mark = String.fromCharCode(1);
    if (raw === null || !raw.startsWith(mark)) return null;
    const version = raw.slice(1, raw.indexOf(mark, 1)).split(':')[0] ?? '';
    return /^\d+$/.test(version) ? Number(version) : null; // a tombstone's header starts with T
  });
}

/**
 * The pid of the Redis server at `url` (`INFO server`), `undefined` when it cannot be read.
 *
 * @example
 * ```ts
 * const pid = await redisPid('redis://127.0.0.1:6379');
 * ```
 */
export function redisPid(url: string): Promise<number | undefined> {
  return withRedis(url, async (client) => {
    const match = /process_id:(\d+)/.exec(await client.info('server'));
    return match ? Number(match[1]) : undefined;
  }).catch(() => undefined);
}
