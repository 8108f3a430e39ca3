import { databaseUrl, redisUrl } from '@wolaro/test-harness';
import pg from 'pg';
import { FailoverTransport, MemoryBus, MemoryTransport, RedisTransport } from '../src/index.js';
import { PgNotifyTransport } from '../src/pg/index.js';
import { transportContract } from './contract.js';

let bus = new MemoryBus();
transportContract({
  name: 'memory',
  create: () => new MemoryTransport({ bus }),
  cleanup: async () => {
    bus = new MemoryBus();
  },
});

transportContract({
  name: 'redis',
  create: () => new RedisTransport({ redis: redisUrl() }),
});

const pools: pg.Pool[] = [];
function pool(): pg.Pool {
  const p = new pg.Pool({ connectionString: databaseUrl(), max: 4 });
  pools.push(p);
  return p;
}
transportContract({
  name: 'pg',
  create: () => new PgNotifyTransport({ pool: pool() }),
  cleanup: async () => {
    await Promise.all(pools.splice(0).map((p) => p.end()));
  },
});

transportContract({
  name: 'failover',
  create: () =>
    new FailoverTransport([
      new RedisTransport({ redis: redisUrl() }),
      new PgNotifyTransport({ connectionString: databaseUrl() }),
    ]),
});
