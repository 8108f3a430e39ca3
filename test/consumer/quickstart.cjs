// The README quick start, run from a project that installed the packed tarballs (CommonJS).
const { SyncClient, RedisUnavailableError } = require('@wolaro/sync');
const { OutboxRelay } = require('@wolaro/sync/pg');
const { withCommandEvents } = require('@wolaro/sync/discord');
const { attachSync } = require('@wolaro/sync-socketio');

async function main() {
  const sync = new SyncClient({ redis: process.env.REDIS_URL, keyPrefix: process.env.KEY_PREFIX });
  await sync.connect();
  const seen = new Promise((resolve) => sync.subscribe('command:executed', (e) => resolve(e)));
  await sync.publishCommandExecuted({
    guildId: '123',
    command: 'ban',
    executorId: '456',
    result: 'success',
    executor: 'theo7791l',
  });
  const e = await seen;
  await sync.close();
  const down = new SyncClient({ redis: 'redis://127.0.0.1:1', connectTimeoutMs: 200 });
  const unavailable = await down.connect().catch((err) => err instanceof RedisUnavailableError && err.code);
  await down.close();
  const entries = [typeof OutboxRelay, typeof withCommandEvents, typeof attachSync].join(',');
  console.log(JSON.stringify({ format: 'cjs', command: e.command, result: e.result, unavailable, entries }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
