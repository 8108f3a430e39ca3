/**
 * bench:revocation — how long a revocation takes to reach every panel API node, the product's
 * promise being "within 1 s". Two panel API processes and the bot (child processes, ./system.ts) on
 * one Postgres schema and Redis prefix, the Discord emulator in this process. Each sample:
 *
 *   - role removed: the guild's Admin loses the Admin role in Discord (`GUILD_MEMBER_UPDATE`);
 *   - ownership transfer: the guild's owner hands it to a member (`GUILD_UPDATE`);
 *   - role delete: the Admin role is deleted (`GUILD_ROLE_DELETE`);
 *   - logout: `POST /api/auth/logout` on node A;
 *
 * timed from the change (the emulator's control call, or sending the logout) to
 *   (a) the first refusal on EVERY node: `GET /api/panel/guilds/:id` answers 403 on both nodes,
 *       polled back to back (for logout: `GET /api/auth/me` answers 401 on node B);
 *   (b) the user's panel socket on EVERY node got `permission:revoked` for the guild (for logout:
 *       the session's socket on node B got `session:revoked`).
 * Each Discord sample uses a fresh guild (created in the emulator, synced by the bot), so no sample
 * depends on another. The floor, measured in the same run between the samples: a raw ioredis
 * `PUBLISH` → subscriber `message` (the one bus hop every revocation takes) and a plain
 * `GET /api/panel/guilds/:id` that answers 200 on node B (the resolution of the polling in (a)).
 *
 *   npm run bench:revocation     (from the root; or -w bench)
 *   N=30 (samples per kind) FLOOR_PER_SAMPLE=5 TIMEOUT_MS=5000 BENCH_APPS=dist|src
 *
 * Writes bench/results/revocation.json and the `bench:revocation` section of docs/benchmarks.md.
 */
import { performance } from 'node:perf_hooks';
import { guildIdOnShard, sleep } from '@wolaro/test-harness/node';
import * as stats from '@wolaro/test-harness/report';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { Client } from 'undici';
import { connectPanel } from './panel_socket.js';
import * as run from './run_report.js';
import { type BenchSystem, DEMO, REDIS_URL, startSystem } from './system.js';

const N = Number(process.env['N'] ?? 30);
const FLOOR_PER_SAMPLE = Number(process.env['FLOOR_PER_SAMPLE'] ?? 5);
const TIMEOUT_MS = Number(process.env['TIMEOUT_MS'] ?? 5000);
/** Pause between two polls of the same node (ms). */
const POLL_GAP_MS = 2;
/** The promise: a revocation reaches every node within 1 s. */
const TARGET_MS = 1000;
const CONFIG_KEY = `n=${N} floor=${FLOOR_PER_SAMPLE}`;

const KINDS = ['role removed', 'ownership transfer', 'role delete', 'logout'] as const;
type Kind = (typeof KINDS)[number];

/** One sample, ms from the change. */
interface Sample {
  /** The refusal seen on every node (the later of the two for the Discord kinds). */
  http: number;
  /** The revocation event on every socket (the later of the two for the Discord kinds). */
  socket: number;
}

/** The expected `reason` of each kind's event. */
const REASON: Record<Kind, string> = {
  'role removed': 'Administrator role removed',
  'ownership transfer': 'Guild ownership transferred',
  'role delete': 'Role Admin deleted',
  logout: 'logout',
};

class Http {
  readonly #clients: Client[];
  constructor(urls: readonly string[]) {
    this.#clients = urls.map((url) => new Client(url, { pipelining: 1, keepAliveTimeout: 60_000 }));
  }

  /** The status of `method path` on `node` as `token` (the body is read and dropped). */
  async status(node: number, path: string, token: string, method: 'GET' | 'POST' = 'GET'): Promise<number> {
    const res = await this.#clients[node]!.request({
      path,
      method,
      headers: { authorization: `Bearer ${token}` },
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
    await res.body.dump();
    return res.statusCode;
  }

  /**
   * Polls `path` on `node` until it answers `status`; resolves with the arrival time of that
   * answer (performance.now()), or undefined after `deadline`.
   */
  async until(node: number, path: string, token: string, status: number, deadline: number) {
    while (performance.now() < deadline) {
      if ((await this.status(node, path, token)) === status) return performance.now();
      await sleep(POLL_GAP_MS);
    }
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.close().catch(() => {})));
  }
}

/** The first `event` on `socket` matching `match`: its arrival time and payload, or undefined. */
function arrival(
  socket: Socket,
  event: string,
  match: (payload: Record<string, unknown>) => boolean,
  timeoutMs: number,
): Promise<{ at: number; payload: Record<string, unknown> } | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      resolve(undefined);
    }, timeoutMs);
    const listener = (payload: Record<string, unknown>) => {
      if (!match(payload)) return;
      const at = performance.now();
      clearTimeout(timer);
      socket.off(event, listener);
      resolve({ at, payload });
    };
    socket.on(event, listener);
  });
}

/** The raw floor: ioredis PUBLISH → a raw subscriber's `message`, in this process. */
class BusFloor {
  readonly #pub = new Redis(REDIS_URL, { lazyConnect: true });
  readonly #sub = new Redis(REDIS_URL, { lazyConnect: true });
  readonly #channel: string;
  #pending: { seq: number; resolve: (t: number) => void } | undefined;
  #seq = 0;

  constructor(keyPrefix: string) {
    this.#channel = `${keyPrefix}floor:revocation`;
  }

  async start(): Promise<void> {
    await Promise.all([this.#pub.connect(), this.#sub.connect()]);
    await this.#sub.subscribe(this.#channel);
    this.#sub.on('message', (channel: string, raw: string) => {
      const p = this.#pending;
      if (channel !== this.#channel || !p) return;
      if ((JSON.parse(raw) as { seq: number }).seq !== p.seq) return;
      this.#pending = undefined;
      p.resolve(performance.now());
    });
  }

  /** One round trip, ms (the payload is shaped like a `permission:revoked`). */
  async once(): Promise<number> {
    const seq = ++this.#seq;
    const t0 = performance.now();
    const got = new Promise<number>((resolve) => {
      this.#pending = { seq, resolve };
    });
    await this.#pub.publish(
      this.#channel,
      JSON.stringify({ seq, guildId: DEMO.guildId, userId: DEMO.users.admin, reason: 'floor' }),
    );
    return (await got) - t0;
  }

  stop(): void {
    this.#pub.disconnect();
    this.#sub.disconnect();
  }
}

class RevocationBench {
  #seq = 0;
  readonly tokens = new Map<string, string>();
  readonly sockets: Socket[] = [];
  timeouts = 0;
  errors = 0;

  constructor(
    readonly sys: BenchSystem,
    readonly http: Http,
  ) {}

  get urls(): string[] {
    return this.sys.apis.map((a) => a.url);
  }

  async token(userId: string): Promise<string> {
    let token = this.tokens.get(userId);
    if (!token) {
      token = await this.sys.tokenFor(userId);
      this.tokens.set(userId, token);
    }
    return token;
  }

  /**
   * A fresh guild in the emulator (owner, Admin role held by the admin, a plain member), once the
   * bot has synced it and both nodes let the owner and the admin in.
   */
  async freshGuild(): Promise<{ guildId: string; roleId: string }> {
    const guildId = guildIdOnShard(0, 1, 100_000 + ++this.#seq);
    const { owner, admin, member } = DEMO.users;
    this.sys.emulator.control.createGuild({
      id: guildId,
      name: `Revocation ${this.#seq}`,
      ownerId: owner,
      roles: [{ name: 'Admin', permissions: '8' }],
      members: [
        { userId: owner, roles: [] },
        { userId: admin, roles: ['Admin'] },
        { userId: member, roles: [] },
      ],
      includeBot: true,
    });
    const role = this.sys.emulator.state.roles(guildId).find((r) => r.name === 'Admin');
    if (!role) throw new Error(`guild ${guildId} has no Admin role`);
    const deadline = performance.now() + 30_000;
    const path = `/api/panel/guilds/${guildId}`;
    for (const userId of [owner, admin]) {
      for (const node of [0, 1]) {
        if ((await this.http.until(node, path, await this.token(userId), 200, deadline)) === undefined) {
          throw new Error(`guild ${guildId}: ${userId} not let in on node ${node} within 30 s`);
        }
      }
    }
    return { guildId, roleId: role.id };
  }

  async connect(node: number, token: string, guildId: string): Promise<Socket> {
    const socket = await connectPanel(this.urls[node]!, token, guildId);
    this.sockets.push(socket);
    return socket;
  }

  closeSockets(): void {
    for (const s of this.sockets.splice(0)) s.close();
  }

  /** One sample of a Discord-side revocation; undefined on timeout. */
  async discord(kind: Exclude<Kind, 'logout'>): Promise<Sample | undefined> {
    const { guildId, roleId } = await this.freshGuild();
    const subject = kind === 'ownership transfer' ? DEMO.users.owner : DEMO.users.admin;
    const token = await this.token(subject);
    const sockets = [await this.connect(0, token, guildId), await this.connect(1, token, guildId)];
    const path = `/api/panel/guilds/${guildId}`;
    const revoked = (p: Record<string, unknown>) => p['guildId'] === guildId && p['userId'] === subject;
    const events = sockets.map((s) => arrival(s, 'permission:revoked', revoked, TIMEOUT_MS));
    const control = this.sys.emulator.control;
    const t0 = performance.now();
    if (kind === 'role removed') control.updateMember(guildId, subject, { roles: [] });
    else if (kind === 'ownership transfer') control.updateGuild(guildId, { ownerId: DEMO.users.member });
    else control.deleteRole(guildId, roleId);
    const deadline = t0 + TIMEOUT_MS;
    const refused = await Promise.all([0, 1].map((n) => this.http.until(n, path, token, 403, deadline)));
    const got = await Promise.all(events);
    this.closeSockets();
    return this.settle(kind, t0, refused, got);
  }

  /** One logout on node A, seen on node B; undefined on timeout. */
  async logout(): Promise<Sample | undefined> {
    const token = await this.sys.tokenFor(DEMO.users.owner); // a session of its own: it ends here
    const onB = await this.connect(1, token, DEMO.guildId);
    if ((await this.http.status(1, '/api/auth/me', token)) !== 200) throw new Error('fresh session refused');
    const event = arrival(onB, 'session:revoked', () => true, TIMEOUT_MS);
    const t0 = performance.now();
    const [status, refused] = await Promise.all([
      this.http.status(0, '/api/auth/logout', token, 'POST'),
      this.http.until(1, '/api/auth/me', token, 401, t0 + TIMEOUT_MS),
    ]);
    const got = await event;
    this.closeSockets();
    if (status !== 200) {
      this.errors++;
      console.error(`logout answered ${status}`);
      return undefined;
    }
    return this.settle('logout', t0, [refused], [got]);
  }

  settle(
    kind: Kind,
    t0: number,
    refused: readonly (number | undefined)[],
    got: readonly ({ at: number; payload: Record<string, unknown> } | undefined)[],
  ): Sample | undefined {
    if (refused.some((t) => t === undefined) || got.some((t) => t === undefined)) {
      this.timeouts++;
      console.error(
        `${kind}: no ${refused.some((t) => t === undefined) ? 'refusal' : 'event'} within ${TIMEOUT_MS} ms`,
      );
      return undefined;
    }
    const events = got as { at: number; payload: Record<string, unknown> }[];
    const reasons = events.map((e) => e.payload['reason']);
    if (reasons.some((r) => r !== REASON[kind])) {
      this.errors++;
      console.error(`${kind}: unexpected reason ${JSON.stringify(reasons)}`);
    }
    return {
      http: Math.max(...(refused as number[])) - t0,
      socket: Math.max(...events.map((e) => e.at)) - t0,
    };
  }

  once(kind: Kind): Promise<Sample | undefined> {
    return kind === 'logout' ? this.logout() : this.discord(kind);
  }
}

interface KindResult {
  kind: Kind;
  http: stats.Summary;
  socket: stats.Summary;
}

interface Results {
  kinds: KindResult[];
  all: { http: stats.Summary; socket: stats.Summary };
  floor: { bus: stats.Summary; get: stats.Summary };
  round: run.LoadedRound;
  timeouts: number;
  errors: number;
  samples: Record<Kind, Sample[]>;
}

/** N samples of each kind, the kinds taken in turn; floor samples between them. */
async function measure(bench: RevocationBench, floor: BusFloor): Promise<Results> {
  const samples = Object.fromEntries(KINDS.map((k) => [k, [] as Sample[]])) as Record<Kind, Sample[]>;
  const bus: number[] = [];
  const get: number[] = [];
  const ownerToken = await bench.token(DEMO.users.owner);
  const loadBefore = stats.loadAverage();
  for (let i = 0; i < N; i++) {
    for (const kind of KINDS) {
      const s = await bench.once(kind);
      if (s) samples[kind].push(s);
      for (let f = 0; f < FLOOR_PER_SAMPLE; f++) {
        bus.push(await floor.once());
        const t0 = performance.now();
        const status = await bench.http.status(1, `/api/panel/guilds/${DEMO.guildId}`, ownerToken);
        if (status === 200) get.push(performance.now() - t0);
        else bench.errors++;
      }
    }
    console.log(
      `${i + 1}/${N}: ${KINDS.map((k) => {
        const last = samples[k].at(-1);
        return `${k} ${last ? `${stats.ms(last.http)} / ${stats.ms(last.socket)}` : '—'}`;
      }).join(' | ')} | load ${stats.loadAverage()[0].toFixed(1)}`,
    );
  }
  const pooled = KINDS.flatMap((k) => samples[k]);
  return {
    kinds: KINDS.map((kind) => ({
      kind,
      http: stats.summarize(samples[kind].map((s) => s.http)),
      socket: stats.summarize(samples[kind].map((s) => s.socket)),
    })),
    all: {
      http: stats.summarize(pooled.map((s) => s.http)),
      socket: stats.summarize(pooled.map((s) => s.socket)),
    },
    floor: { bus: stats.summarize(bus), get: stats.summarize(get) },
    round: { loadBefore, loadAfter: stats.loadAverage() },
    timeouts: bench.timeouts,
    errors: bench.errors,
    samples,
  };
}

/** One run in the `history` of bench/results/revocation.json. */
interface RevocationHistoryEntry extends run.RunStamp {
  httpP99: number;
  socketP99: number;
  worst: number;
  floorBusP50: number;
  floorGetP50: number;
}

function verdict(value: number): string {
  return value <= TARGET_MS
    ? `✅ met (${(((TARGET_MS - value) / TARGET_MS) * 100).toFixed(0)} % under)`
    : `❌ missed by ${(value - TARGET_MS).toFixed(0)} ms`;
}

const row = (label: string, s: stats.Summary, floorP50?: number) =>
  `| ${label} | ${s.n} | ${stats.ms(s.p50)} | ${stats.ms(s.p99)} | ${stats.ms(s.max)} | ${floorP50 === undefined ? '' : `${(s.p50 / floorP50).toFixed(1)}×`} |`;

function markdownSection(
  m: stats.MachineInfo,
  sys: BenchSystem,
  r: Results,
  runs: readonly RevocationHistoryEntry[],
  loadAtStart: [number, number, number],
): string {
  const worst = Math.max(r.all.http.max, r.all.socket.max);
  const getP50 = r.floor.get.p50;
  const busP50 = r.floor.bus.p50;
  return [
    '## Revocation reaches every node (`npm run bench:revocation`)',
    '',
    run
      .setupLine(m, sys, [r.round], loadAtStart)
      .replace('numbers are medians of 1 rounds', 'the numbers are from one run'),
    'Two panel API processes (A and B) and the bot share the database and the bus.',
    '',
    `${N} samples of each kind, the kinds taken in turn, each on a fresh guild (synced by the bot) with the user's panel socket open on both nodes: **role removed** (the Admin loses the role in Discord), **ownership transfer** (the owner hands the guild to a member), **role delete** (the Admin role is deleted), **logout** (\`POST /api/auth/logout\` on node A). Timed from the change (the emulator's control call; sending the logout) to the first refusal on every node (\`GET /api/panel/guilds/:id\` → 403 on A and B, polled back to back with ${POLL_GAP_MS} ms between polls; logout: \`GET /api/auth/me\` → 401 on B) and to the revocation event on every socket (\`permission:revoked\` on A and B; logout: \`session:revoked\` on B). Between the samples, ${FLOOR_PER_SAMPLE} floor samples each: a raw ioredis \`PUBLISH\` → subscriber \`message\` (the one bus hop of every revocation) and a plain \`GET /api/panel/guilds/:id\` → 200 on B (the resolution of the polling).`,
    '',
    '| change → | samples | p50 | p99 | max | p50 vs bus floor |',
    '|---|---:|---:|---:|---:|---:|',
    ...r.kinds.flatMap((k) => [
      row(`${k.kind}: refused on every node`, k.http, busP50),
      row(`${k.kind}: event on every socket`, k.socket, busP50),
    ]),
    row('**all kinds: refused on every node**', r.all.http, busP50),
    row('**all kinds: event on every socket**', r.all.socket, busP50),
    row('raw floor: `PUBLISH` → subscriber `message`', r.floor.bus, busP50),
    row('raw floor: `GET /api/panel/guilds/:id` → 200 on B', r.floor.get),
    '',
    `| target | this run | |`,
    '|---|---:|---|',
    `| revocation reaches every node within ${TARGET_MS / 1000} s: p99 of refusals | ${stats.ms(r.all.http.p99)} | ${verdict(r.all.http.p99)} |`,
    `| … p99 of socket events | ${stats.ms(r.all.socket.p99)} | ${verdict(r.all.socket.p99)} |`,
    `| … slowest sample of any kind | ${stats.ms(worst)} | ${verdict(worst)} |`,
    '',
    `Timeouts (> ${TIMEOUT_MS} ms): ${r.timeouts}, errors (unexpected status or reason): ${r.errors}. The polling GET answers in ${stats.ms(getP50)} at p50, so a refusal is seen up to about that plus ${POLL_GAP_MS} ms after it holds.`,
    '',
    `Recent runs of this code with these settings (this one last):`,
    '',
    '| run | load (1 min) | refused p99 | event p99 | slowest | bus floor p50 | GET floor p50 |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...runs.map(
      (h) =>
        `| ${h.date.slice(0, 16).replace('T', ' ')} (${h.apps}) | ${h.load1.toFixed(1)} | ${stats.ms(h.httpP99)} | ${stats.ms(h.socketP99)} | ${stats.ms(h.worst)} | ${stats.ms(h.floorBusP50)} | ${stats.ms(h.floorGetP50)} |`,
    ),
    '',
    'The tests (`test/security/revocation.test.ts`) assert the effects (403 on the other node, the event on the socket, nothing of the guild after it) without a time bound; this benchmark measures the time.',
  ].join('\n');
}

function report(sys: BenchSystem, r: Results, loadAtStart: [number, number, number], totalS: number): void {
  const m = stats.machine();
  const stamp = run.stamp(CONFIG_KEY, m, sys, [r.round]);
  const worst = Math.max(r.all.http.max, r.all.socket.max);
  const entry: RevocationHistoryEntry = {
    ...stamp,
    httpP99: stats.round(r.all.http.p99),
    socketP99: stats.round(r.all.socket.p99),
    worst: stats.round(worst),
    floorBusP50: stats.round(r.floor.bus.p50),
    floorGetP50: stats.round(r.floor.get.p50),
  };
  const runs = stats.history('revocation', entry);
  const markdown = markdownSection(m, sys, r, runs, loadAtStart);
  console.log(`\n${markdown}\n`);
  stats.writeReport(
    'revocation',
    {
      machine: m,
      apps: sys.runtime,
      config: { n: N, floorPerSample: FLOOR_PER_SAMPLE, timeoutMs: TIMEOUT_MS, pollGapMs: POLL_GAP_MS },
      loadAverage: run.loadAverages(loadAtStart, [r.round]),
      targetMs: TARGET_MS,
      met: r.all.http.p99 <= TARGET_MS && r.all.socket.p99 <= TARGET_MS && worst <= TARGET_MS,
      kinds: r.kinds,
      all: r.all,
      floor: r.floor,
      timeouts: r.timeouts,
      errors: r.errors,
      history: runs,
      samples: r.samples,
      totalSeconds: stats.round(totalS, 1),
    },
    markdown,
  );
  console.log('wrote bench/results/revocation.json, docs/benchmarks.md (bench:revocation)');
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadAtStart = stats.loadAverage();
  console.log(
    'bench:revocation — starting Postgres schema, Redis prefix, emulator, two panel API nodes and the bot …',
  );
  const sys = await startSystem({ label: 'revocation', apiNodes: 2 });
  const http = new Http(sys.apis.map((a) => a.url));
  const floor = new BusFloor(sys.keyPrefix);
  const bench = new RevocationBench(sys, http);
  try {
    await floor.start();
    console.log(`apps: ${sys.runtime}; ${N} samples of each of: ${KINDS.join(', ')}`);
    const results = await measure(bench, floor);
    report(sys, results, loadAtStart, (performance.now() - started) / 1000);
  } finally {
    bench.closeSockets();
    floor.stop();
    await http.close();
    await sys.stop();
  }
}

run.main(main);
