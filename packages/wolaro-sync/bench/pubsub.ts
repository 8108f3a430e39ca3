/**
 * bench:pubsub — SyncClient publish → handler over Redis on loopback, beside raw ioredis
 * PUBLISH → 'message' with the same payloads, in the same run. Rounds alternate raw/sync and the
 * report gives medians over rounds.
 *
 *   npm run bench:pubsub -w packages/wolaro-sync          (REDIS_URL or redis://127.0.0.1:6379)
 */
import { randomUUID } from 'node:crypto';
import { machine, machineLine, median, percentile, writeReport } from '@wolaro/test-harness/report';
import { Redis } from 'ioredis';
import { SyncClient } from '../src/index.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env['ROUNDS'] ?? 5);
const THROUGHPUT_N = Number(process.env['THROUGHPUT_N'] ?? 20_000);
const LATENCY_N = Number(process.env['LATENCY_N'] ?? 3_000);
const WINDOW = 1000;

const settings = { prefix: '!', language: 'fr', modules: { moderation: true, welcome: false } };

interface Side {
  publish(i: number): Promise<unknown>;
  onReceive(fn: (i: number) => void): void;
  close(): Promise<void>;
}

async function rawSide(channel: string): Promise<Side> {
  const pub = new Redis(REDIS_URL);
  const sub = new Redis(REDIS_URL);
  await sub.subscribe(channel);
  let handler: (i: number) => void = () => {};
  sub.on('message', (_c: string, message: string) => {
    // The raw floor: what any consumer does at the least: parse the JSON, no validation.
    handler((JSON.parse(message) as { version: number }).version);
  });
  return {
    publish: (i) =>
      pub.publish(
        channel,
        JSON.stringify({
          eventId: randomUUID(),
          guildId: '123456789012345678',
          settings,
          version: i,
          timestamp: Date.now(),
        }),
      ),
    onReceive: (fn) => {
      handler = fn;
    },
    close: async () => {
      pub.disconnect();
      sub.disconnect();
    },
  };
}

async function syncSide(keyPrefix: string): Promise<Side> {
  const pub = new SyncClient({ redis: REDIS_URL, keyPrefix, listen: false });
  const sub = new SyncClient({ redis: REDIS_URL, keyPrefix, listen: ['config:update'] });
  await Promise.all([pub.connect(), sub.connect()]);
  let handler: (i: number) => void = () => {};
  sub.subscribe('config:update', (e) => handler(e.version ?? -1));
  return {
    publish: (i) => pub.publishConfigUpdate('123456789012345678', settings, i),
    onReceive: (fn) => {
      handler = fn;
    },
    close: async () => {
      await Promise.all([pub.close(), sub.close()]);
    },
  };
}

async function throughput(side: Side, n: number): Promise<number> {
  let received = 0;
  const done = new Promise<void>((resolve) =>
    side.onReceive(() => {
      if (++received === n) resolve();
    }),
  );
  const t0 = process.hrtime.bigint();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    inflight.push(side.publish(i));
    if (inflight.length >= WINDOW) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  await done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return n / seconds;
}

async function latency(side: Side, n: number): Promise<number[]> {
  const samples: number[] = [];
  let resolveOne: () => void = () => {};
  side.onReceive(() => resolveOne());
  for (let i = 0; i < n; i++) {
    const got = new Promise<void>((r) => {
      resolveOne = r;
    });
    const t0 = process.hrtime.bigint();
    await side.publish(i);
    await got;
    samples.push(Number(process.hrtime.bigint() - t0) / 1000); // µs
  }
  return samples.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const raw = { tput: [] as number[], p50: [] as number[], p99: [] as number[] };
  const sync = { tput: [] as number[], p50: [] as number[], p99: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const tag = `bench${process.pid}r${round}:`;
    for (const [label, make, acc] of [
      ['raw', () => rawSide(`${tag}raw`), raw],
      ['sync', () => syncSide(tag), sync],
    ] as const) {
      const side = await make();
      await latency(side, 200); // warm-up
      acc.tput.push(await throughput(side, THROUGHPUT_N));
      const lat = await latency(side, LATENCY_N);
      acc.p50.push(percentile(lat, 50));
      acc.p99.push(percentile(lat, 99));
      await side.close();
      process.stderr.write(
        `round ${round + 1}/${ROUNDS} ${label}: ${Math.round(acc.tput.at(-1) ?? 0)} msg/s\n`,
      );
    }
  }
  const r = { tput: median(raw.tput), p50: median(raw.p50), p99: median(raw.p99) };
  const s = { tput: median(sync.tput), p50: median(sync.p50), p99: median(sync.p99) };
  const ratio = s.tput / r.tput;
  const results = {
    machine: machine(),
    rounds: ROUNDS,
    throughputMessages: THROUGHPUT_N,
    latencyMessages: LATENCY_N,
    raw: r,
    sync: s,
    throughputRatio: ratio,
    p50DeltaUs: s.p50 - r.p50,
    targets: { throughputRatio: '>= 0.7', p50DeltaUs: '<= 50' },
    met: { throughput: ratio >= 0.7, p50: s.p50 - r.p50 <= 50 },
  };
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const markdown = `## Pub/sub: SyncClient vs raw ioredis (\`npm run bench:pubsub\`)

${machineLine(machine())} — Redis on loopback, ${ROUNDS} alternating rounds, medians. Throughput: ${THROUGHPUT_N.toLocaleString('en-US')} messages with ${WINDOW} in flight; latency: ${LATENCY_N.toLocaleString('en-US')} sequential publish → handler round trips.

| path | messages/s | p50 latency | p99 latency |
|---|---:|---:|---:|
| raw ioredis PUBLISH → \`message\` + JSON.parse | ${fmt(r.tput)} | ${r.p50.toFixed(0)} µs | ${r.p99.toFixed(0)} µs |
| SyncClient publish → handler (validated both ends) | ${fmt(s.tput)} | ${s.p50.toFixed(0)} µs | ${s.p99.toFixed(0)} µs |
| **ratio / delta** | **${ratio.toFixed(2)}×** (target ≥ 0.7) ${ratio >= 0.7 ? '✅' : '❌'} | **+${(s.p50 - r.p50).toFixed(0)} µs** (target ≤ +50 µs) ${s.p50 - r.p50 <= 50 ? '✅' : '❌'} | +${(s.p99 - r.p99).toFixed(0)} µs |
`;
  writeReport('pubsub', results, markdown);
  process.stdout.write(`${markdown}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
