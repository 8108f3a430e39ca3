/**
 * Connection rate limits of the Socket.io gateway, on the reference panel API running as its own
 * process (production settings, default limits): a flood of handshakes from one address is refused
 * with `rate_limited` while the API keeps answering `/api/health` (its latency during the flood is
 * printed for a look, not asserted: timing belongs in the benchmarks).
 */
import { fileURLToPath } from 'node:url';
import { DEMO } from '@wolaro/discord-emulator';
import { useSystem } from '@wolaro/test-harness';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPanelApi } from '../../examples/panel-api/src/server.js';
import { startWorld, type TestWorld } from '../../examples/panel-api/test/helpers.js';
import { run } from '../../examples/panel-api/test/process.js';

const FLOOD = fileURLToPath(new URL('./fixtures/handshake_flood.mjs', import.meta.url));

interface FloodResult {
  attempts: number;
  accepted: number;
  refused: Record<string, number>;
  failed: number;
  elapsedMs: number;
}

/** Runs the flood in a child process; resolves with its report. */
async function flood(
  url: string,
  tokens: readonly string[],
  perSecond: number,
  durationMs: number,
): Promise<FloodResult> {
  const result = await run(process.execPath, [FLOOD, url, String(perSecond), String(durationMs), ...tokens], {
    timeoutMs: 60_000,
  });
  if (result.code !== 0) throw new Error(`flood exited with ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout.trim()) as FloodResult;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

function refusal(url: string, token: string): Promise<{ message: string; code: unknown } | 'connected'> {
  const socket: Socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.disconnect();
      resolve('connected');
    });
    socket.once('connect_error', (err: Error & { data?: { code?: unknown } }) => {
      socket.close();
      resolve({ message: err.message, code: err.data?.code });
    });
  });
}

describe('socket connection rate limits', () => {
  const sys = useSystem({ redis: 'shared', label: 'sec_rate' });

  it('200 handshakes/s from one address: most refused with rate_limited, /api/health answers 200 throughout', async () => {
    const { url } = sys().api;
    // Five users, so the per-user limit (20 per 10 s each) is not what stops the flood: the address is.
    const users = [
      DEMO.users.owner,
      DEMO.users.admin,
      DEMO.users.moderator,
      DEMO.users.member,
      '700000000000000009',
    ];
    const tokens = await Promise.all(users.map((u) => sys().tokenFor(u)));
    const token = tokens[1] ?? '';
    // The API is warm; the same probe without a flood, for the log line below.
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const res = await fetch(`${url}/api/health`);
      await res.arrayBuffer();
      idle.push(performance.now() - started);
      expect(res.status).toBe(200);
    }

    const latencies: number[] = [];
    const statuses: number[] = [];
    /** Probes answered while the flood's process was still running. */
    let answeredDuringFlood = 0;
    let flooding = true;
    const probe = (async () => {
      while (flooding) {
        const started = performance.now();
        const res = await fetch(`${url}/api/health`);
        await res.arrayBuffer();
        latencies.push(performance.now() - started);
        statuses.push(res.status);
        if (flooding) answeredDuringFlood++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const result = await flood(url, tokens, 200, 3000).finally(() => {
      flooding = false;
    });
    await probe;

    console.log(
      `flood: ${result.attempts} handshakes in ${result.elapsedMs} ms, ${result.accepted} accepted, ` +
        `refused ${JSON.stringify(result.refused)}, ${result.failed} other failures; ` +
        `/api/health during the flood: ${latencies.length} probes (${answeredDuringFlood} answered before it ended), ` +
        `median ${median(latencies).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms ` +
        `(without the flood: median ${median(idle).toFixed(1)} ms)`,
    );
    // The flood made every attempt it was asked for (200/s for 3 s), and each got an answer.
    expect(result.attempts).toBe(600);
    expect(result.failed).toBe(0);
    // Default limit: 60 handshakes per 10 s from one address, as a sliding-window estimate (the
    // previous window's count weighted by its overlap): a 3 s flood that straddles a window
    // boundary may get up to 30 % more through, never more.
    expect(result.accepted).toBeGreaterThanOrEqual(20);
    expect(result.accepted).toBeLessThanOrEqual(60 * 1.3);
    expect(result.refused['rate_limited']).toBe(result.attempts - result.accepted);
    expect(result.refused['rate_limited']).toBeGreaterThan(result.attempts / 2);
    // The API kept serving during the flood: every probe answered 200 (not 429, not an error), and
    // some were answered while the flood was still running.
    expect(answeredDuringFlood).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([200]));

    // The refusal is explicit: message and data.code say rate_limited.
    expect(await refusal(url, token)).toEqual({ message: 'rate_limited', code: 'rate_limited' });
  }, 60_000);
});

describe('socket limits behind a proxy (TRUST_PROXY)', () => {
  let w: TestWorld;
  let direct: TestWorld['api'] | undefined;
  beforeAll(async () => {
    w = await startWorld({
      label: 'sec_proxy',
      config: { trustProxy: 1, socketConnectLimit: { perIp: 2, perUser: false, windowMs: 60_000 } },
    });
  });
  afterAll(async () => {
    await direct?.close();
    await w?.close();
  });

  const attempt = async (url: string, token: string, forwardedFor: string) => {
    const socket: Socket = io(url, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { 'x-forwarded-for': forwardedFor },
    });
    return new Promise<string>((resolve) => {
      socket.once('connect', () => {
        socket.disconnect();
        resolve('connected');
      });
      socket.once('connect_error', (err: Error) => {
        socket.close();
        resolve(err.message);
      });
    });
  };

  it('with TRUST_PROXY=1 each forwarded client address has its own limit', async () => {
    const { token } = await w.tokenFor(DEMO.users.admin);
    const a = [];
    for (let i = 0; i < 3; i++) a.push(await attempt(w.api.url, token, '198.51.100.1'));
    expect(a).toEqual(['connected', 'connected', 'rate_limited']);
    expect(await attempt(w.api.url, token, '198.51.100.2')).toBe('connected');
  });

  it('without TRUST_PROXY a forged X-Forwarded-For is ignored: the peer address is counted', async () => {
    direct = await startPanelApi({ ...w.api.config, port: 0, trustProxy: false }, { logger: w.logger });
    const { token } = await w.tokenFor(DEMO.users.admin);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await attempt(direct.url, token, `198.51.100.${10 + i}`));
    expect(results).toEqual(['connected', 'connected', 'rate_limited']);
  });
});
