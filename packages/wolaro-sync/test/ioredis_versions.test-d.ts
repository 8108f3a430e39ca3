import { Redis as Redis5 } from 'ioredis';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis6';
import { describe, expectTypeOf, it } from 'vitest';
import { type RedisClientLike, RedisFallbackManager, RedisTransport, SyncClient } from '../src/index.js';

// The SDK is typed structurally: an ioredis 5 or 6 instance type-checks even when the SDK was
// compiled against the other (two copies of ioredis have two nominal `AbstractConnector` classes).
describe('ioredis 5 and 6 clients type-check', () => {
  it('accepts either major as `redis`', () => {
    const v5 = new Redis5({ lazyConnect: true });
    const v6 = new Redis6({ lazyConnect: true });
    expectTypeOf(v5).toExtend<RedisClientLike>();
    expectTypeOf(v6).toExtend<RedisClientLike>();
    expectTypeOf(new Cluster6([], { lazyConnect: true })).toExtend<RedisClientLike>();
    new SyncClient({ redis: v6, keyPrefix: 'v6:' });
    new RedisFallbackManager({ redis: v6 });
    new RedisTransport({ redis: new Cluster6([], { lazyConnect: true }) });
    new SyncClient({ redis: v5 });
  });
});
