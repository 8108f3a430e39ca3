import { startTcpProxy, uniquePrefix } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { defer, manager, ofType, privateRedis, prng, rawRedis, spawnFixture, useCleanup } from './helpers.js';

useCleanup();

type WriterMessage =
  | { type: 'ready'; available: boolean }
  | { type: 'down' }
  | { type: 'written'; stored: boolean[]; available: boolean }
  | { type: 'reconnected' }
  | { type: 'up'; downtimeMs: number; written: number; skipped: number; dropped: number };

describe('write-back from two processes', () => {
  it('after an outage Redis holds the highest version of every key, also against a newer third writer', async () => {
    const server = await privateRedis();
    const keyPrefix = uniquePrefix('wb2');
    const third = await manager({ redis: rawRedis(server.url), keyPrefix });
    const proxies = await Promise.all([0, 1].map(() => startTcpProxy({ targetPort: server.port })));
    for (const proxy of proxies) defer(() => proxy.close());

    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const expected = new Map<string, { version: number; writer: string }>();
    const offer = (key: string, version: number, writer: string): void => {
      if ((expected.get(key)?.version ?? -1) < version) expected.set(key, { version, writer });
    };
    // Before the outage: a quarter of the keys hold a version newer than any outage write, a quarter an older one.
    for (const [i, key] of keys.entries()) {
      const version = i % 4 === 0 ? 50 : i % 4 === 1 ? 1 : undefined;
      if (version === undefined) continue;
      await third.set(key, `pre:v${version}`, { version });
      offer(key, version, 'pre');
    }

    const writers = ['p1', 'p2'].map((name, i) =>
      spawnFixture<WriterMessage>('outage_writer', {
        REDIS_URL: proxies[i]!.url('redis'),
        KEY_PREFIX: keyPrefix,
        WRITER: name,
        COMMAND_TIMEOUT_MS: '500',
      }),
    );
    expect((await Promise.all(writers.map((w) => w.next(ofType('ready'))))).map((m) => m.available)).toEqual([
      true,
      true,
    ]);
    // Several writes per key and process, versions in random order.
    const rng = prng(7);
    const plans = ['p1', 'p2'].map((name) =>
      keys.flatMap((key) =>
        Array.from({ length: 3 }, () => {
          const version = 2 + Math.floor(rng() * 40);
          offer(key, version, name);
          return [key, version] as [string, number];
        }),
      ),
    );

    for (const proxy of proxies) proxy.setMode('reset');
    await Promise.all(writers.map((w) => w.next(ofType('down'))));
    writers.forEach((w, i) => {
      w.send({ type: 'write', entries: plans[i] });
    });
    const written = await Promise.all(writers.map((w) => w.next(ofType('written'))));
    expect(written.map((m) => m.available)).toEqual([false, false]);

    // Redis itself is fine: a third writer stores a newer version during the outage...
    await third.set('k2', 'third:v99', { version: 99 });
    offer('k2', 99, 'third');
    // ...and another one once recovery has started (links are slow, so it lands before the write-back).
    for (const proxy of proxies) {
      proxy.setDelay(100);
      proxy.setMode('pass');
    }
    const reconnected = writers.map((w) => w.next(ofType('reconnected')));
    for (const r of reconnected) r.catch(() => {});
    await Promise.race(reconnected);
    await third.set('k3', 'third:v100', { version: 100 });
    offer('k3', 100, 'third');
    const ups = await Promise.all(writers.map((w) => w.next(ofType('up'))));

    for (const key of keys) {
      const want = expected.get(key)!;
      const entry = await third.getEntry(key);
      expect({ key, version: entry?.version }).toEqual({ key, version: want.version });
      expect(entry?.value).toMatch(new RegExp(`:v${want.version}$`));
    }
    expect(await third.get('k3')).toBe('third:v100');
    // Both processes' write-backs landed (each wins some keys), and both met newer values they kept.
    const winners = new Set<string>();
    for (const key of keys) winners.add((await third.get(key))?.split(':')[0] ?? '');
    expect([...winners].sort()).toEqual(['p1', 'p2', 'pre', 'third']);
    expect(ups.map((up) => up.skipped > 0)).toEqual([true, true]);
    for (const w of writers) w.send({ type: 'exit' });
  }, 30_000);
});
