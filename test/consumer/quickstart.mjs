// The README quick start, run from a project that installed the packed tarballs (ESM).
import { SyncClient } from '@wolaro/sync';
import { withCommandEvents } from '@wolaro/sync/discord';
import { OutboxRelay } from '@wolaro/sync/pg';
import { attachSync } from '@wolaro/sync-socketio';
import { Redis as Redis5 } from 'ioredis5';

const keyPrefix = process.env.KEY_PREFIX;
const sync = new SyncClient({ redis: process.env.REDIS_URL, keyPrefix, connectTimeoutMs: 5000 });
await sync.connect();
const seen = new Promise((resolve) => sync.subscribe('config:update', (e) => resolve(e)));
await sync.publishConfigUpdate({ guildId: '123', settings: { prefix: '!' }, version: 7 });
const e = await seen;

// An ioredis 5 client passed in (the SDK itself runs on the project's ioredis 6).
const v5 = new Redis5(process.env.REDIS_URL);
const viaV5 = new SyncClient({ redis: v5, keyPrefix, listen: false });
await viaV5.connect();
await viaV5.publishGuildReload({ guildId: '123' });
await viaV5.close();
v5.disconnect();

let memoryDefault = 'none';
try {
  new SyncClient({ redis: undefined });
} catch (err) {
  memoryDefault = err.code;
}
await sync.close();
const entries = [typeof OutboxRelay, typeof withCommandEvents, typeof attachSync].join(',');
console.log(
  JSON.stringify({ format: 'esm', guildId: e.guildId, version: e.version, memoryDefault, entries }),
);
