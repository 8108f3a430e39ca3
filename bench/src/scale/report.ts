/** The `bench:scale` section of docs/benchmarks.md, from a run's results. */
import * as stats from '@wolaro/test-harness/report';
import type { Answers, Delivery, UnitCosts } from './evaluate.js';
import type { FanoutCost } from './probe.js';
import { SCALE_POOLS, type ScaleSettings } from './settings.js';

type LoadTriple = [number, number, number];

/** What bench/results/scale.json holds. */
export interface ScaleResults {
  settings: ScaleSettings;
  machine: stats.MachineInfo;
  apps: string;
  postgres: string;
  load: { atStart: LoadTriple; before: LoadTriple; after: LoadTriple };
  guildsPerShard: number[];
  socketsPerNode: number[];
  answers: { steady: Answers; all: Answers };
  /** 2xx answers per second over the whole run. */
  achievedRate: number;
  steady: Delivery;
  afterKill: Delivery | undefined;
  failover: { killedPort: number; promotedMs: number; recoveryMs: number } | undefined;
  drained: boolean;
  /** `guild:reload`s the sockets got (after a bus outage) and the loads that failed. */
  panelReloads: { reloads: number; failedLoads: number };
  staleGuilds: number;
  floor: { idle: stats.Summary; loaded: stats.Summary };
  fanout: FanoutCost;
  costs: UnitCosts;
  /** `[second, sent, acknowledged, timed out]` by send time. */
  perSecond: number[][];
  memory: {
    /** (Σ API RSS with the sockets − Σ before) / sockets. */
    rssPerSocket: number;
    /** (Σ bot RSS after loading every guild − Σ before) / guilds. */
    rssPerCachedGuild: number;
    apiRssPerSocket: number[];
    botRssPerCachedGuild: number[];
    botRssTotalPerGuild: number[];
    apiRss: number[];
    botRss: number[];
    redisBytesPerCachedGuild: number;
  };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const f2 = (n: number) => n.toFixed(2);
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const triple = (d: Delivery) =>
  `${stats.ms(d.socket.p50)} / ${stats.ms(d.socket.p99)} / ${stats.ms(d.socket.max)}`;
const botTriple = (d: Delivery) => `${stats.ms(d.bot.p50)} / ${stats.ms(d.bot.p99)} / ${stats.ms(d.bot.max)}`;
const errs = (a: Answers) => `${a.non2xx} / ${a.timeouts} / ${a.network}`;

function deliveryTable(r: ScaleResults): string[] {
  const k = r.afterKill;
  const afterAnswers: Answers | undefined = k
    ? {
        sent: r.answers.all.sent - r.answers.steady.sent,
        ok: r.answers.all.ok - r.answers.steady.ok,
        non2xx: r.answers.all.non2xx - r.answers.steady.non2xx,
        timeouts: r.answers.all.timeouts - r.answers.steady.timeouts,
        network: r.answers.all.network - r.answers.steady.network,
      }
    : undefined;
  const col = (steady: string, after: string) => `${steady} | ${k ? after : '—'} |`;
  const ratio = r.steady.socket.p50 / r.floor.loaded.p50;
  return [
    '| | steady (before the kill) | from the kill to the end |',
    '|---|---:|---:|',
    `| PATCHes acknowledged / sent | ${col(`${r.answers.steady.ok.toLocaleString('en')} / ${r.answers.steady.sent.toLocaleString('en')}`, afterAnswers ? `${afterAnswers.ok.toLocaleString('en')} / ${afterAnswers.sent.toLocaleString('en')}` : '')}`,
    `| errors: non-2xx / timeouts / network | ${col(errs(r.answers.steady), afterAnswers ? errs(afterAnswers) : '')}`,
    `| **PATCH → panel socket** p50 / p99 / max | ${col(`**${triple(r.steady)}**`, k ? triple(k) : '')}`,
    `| **PATCH → bot shard reloaded it** p50 / p99 / max | ${col(`**${botTriple(r.steady)}**`, k ? botTriple(k) : '')}`,
    `| socket deliveries exactly once / duplicated / never (covered by a later event or a reload) | ${col(`${r.steady.once.toLocaleString('en')} / ${r.steady.duplicates} / ${r.steady.skipped}`, k ? `${k.once.toLocaleString('en')} / ${k.duplicates} / ${k.skipped}` : '')}`,
    `| **acknowledged writes lost** (a consumer did not reach that version by the end of the drain) | ${col(`**${r.steady.lost}**`, k ? `**${k.lost}**` : '')}`,
    `| raw floor \`SPUBLISH\` → \`SSUBSCRIBE\` p50 / p99: idle, then under the same load | ${col(`${stats.ms(r.floor.idle.p50)} / ${stats.ms(r.floor.idle.p99)}; ${stats.ms(r.floor.loaded.p50)} / ${stats.ms(r.floor.loaded.p99)}`, '')}`,
    `| PATCH → socket p50 / floor under load p50 | ${col(`${ratio.toFixed(1)}×`, '')}`,
  ];
}

function costTable(r: ScaleResults): string[] {
  const c = r.costs;
  const rate = (c.updates * 1000) / Math.max(1, c.windowMs);
  const label = (k: string) =>
    k.startsWith('api')
      ? `panel API node ${k.slice(3)}`
      : k.startsWith('bot')
        ? `bot shard ${k.slice(3)}`
        : ({
            redisMasters: 'Redis masters (3 processes)',
            redisReplicas: 'Redis replicas (3 processes)',
            pgApi: 'Postgres backends of the API nodes',
            pgBot: 'Postgres backends of the bots',
          }[k] ?? k);
  const parts = Object.keys(c.cpuMsPerUpdate).filter((k) => k !== 'bench');
  const sumOf = (rec: Record<string, number>) => sum(parts.map((k) => rec[k]!));
  const row = (name: string, k: Record<string, number> | string) => {
    const pick = (rec: Record<string, number>) => (typeof k === 'string' ? rec[k]! : sumOf(rec));
    return `| ${name} | ${f2(pick(c.cpuMsPerUpdate))} | ${f2(pick(c.idleCores))} | ${f2(pick(c.marginalCpuMsPerUpdate))} |`;
  };
  return [
    `| part | CPU ms per update at ${rate.toFixed(0)}/s | idle cores (no writes) | **CPU ms per update above idle** |`,
    '|---|---:|---:|---:|',
    ...parts.map((k) => row(label(k), k)),
    row('**whole system**', {}),
    row('(the bench client: sockets, HTTP, the Discord emulator)', 'bench'),
  ];
}

function memoryAndRedis(r: ScaleResults): string[] {
  const m = r.memory;
  const calls = r.costs.redisCallsPerUpdate;
  const top = calls.byCommand
    .slice(0, 8)
    .map(([cmd, n]) => `\`${cmd}\` ${f2(n)}`)
    .join(', ');
  return [
    '| unit | measured |',
    '|---|---:|',
    `| **RSS per panel socket** (Σ API nodes' RSS after − before the sockets joined, / sockets; per node) | **${kb(m.rssPerSocket)}** (${m.apiRssPerSocket.map(kb).join(' / ')}) |`,
    `| **RSS per cached guild** (Σ bot shards' RSS after − before they loaded every guild, / guilds; per shard) | **${kb(m.rssPerCachedGuild)}** (${m.botRssPerCachedGuild.map(kb).join(' / ')}) |`,
    `| bot shard RSS / its guilds (everything: discord.js caches, runtime) | ${m.botRssTotalPerGuild.map(kb).join(' / ')} (${m.botRss.map(mb).join(' / ')}) |`,
    `| API node RSS with its sockets | ${m.apiRss.map(mb).join(' / ')} |`,
    `| Redis \`used_memory\` per cached guild (the L2 entries, all masters) | ${kb(m.redisBytesPerCachedGuild)} |`,
    `| **Redis commands per update** on the masters | **${f2(calls.total)}** (${f2(calls.aboveIdle)} above idle): ${top} |`,
    `| Redis commands per update applied by the replicas | ${f2(calls.replicas)} |`,
    `| **Redis CPU per bus message** on the bus's master (raw \`SPUBLISH\`, pipelined, ${r.fanout.messages.toLocaleString('en')} messages, 1 then ${r.fanout.subscribers + 1} subscribers) | **${r.fanout.perPublishUs} µs** per publish + **${r.fanout.perDeliveryUs} µs** per further subscriber |`,
  ];
}

export function scaleMarkdown(r: ScaleResults): string {
  const s = r.settings;
  const f = r.failover;
  const k = r.afterKill;
  const lines = [
    s.section === 'scale'
      ? '## Scale-out: Redis Cluster, 3 API nodes, 2 bot shards (`npm run bench:scale`)'
      : `### The same at a rate this machine sustains (\`npm run bench:scale -- --guilds ${s.guilds} --sockets ${s.sockets} --rate ${s.rate} --seconds ${s.seconds}\`)`,
    '',
    `${stats.machineLine(r.machine)}. Apps: ${r.apps === 'dist' ? '`node dist/main.js`' : 'through tsx'}; ${r.postgres}; all on loopback. **The machine's 2 cores are shared with other jobs** (load average ${r.load.before[0].toFixed(1)} before the load, ${r.load.after[0].toFixed(1)} after; ${r.load.atStart.join(' / ')} at start), and every process of the run (6 redis-server, ${s.apiNodes} API nodes, ${s.shards} bots, Postgres, the client with its ${s.sockets.toLocaleString('en')} sockets) shares them: read the ratios and the per-update costs, not the absolute latencies.`,
    '',
    s.section === 'scale'
      ? 'Reproduce: `npm run build && npm run bench:scale` (shorter: `npm run bench:scale -- --guilds 200 --sockets 200 --rate 100 --seconds 10`).'
      : `Reproduce: \`npm run build && npm run bench:scale -- --guilds ${s.guilds} --sockets ${s.sockets} --rate ${s.rate} --seconds ${s.seconds} --section ${s.section} --publish\`.`,
    '',
    `Setup: a Redis Cluster of 3 masters and 3 replicas (\`redis-server\` processes, \`cluster-node-timeout\` 1 s), ${s.apiNodes} panel API nodes (sharded Socket.io adapter), the bot as ${s.shards} shard processes on the Discord emulator, ${s.guilds.toLocaleString('en')} guilds (${r.guildsPerShard.join(' / ')} per shard by \`(id >> 22) % ${s.shards}\`), ${s.sockets.toLocaleString('en')} panel sockets (${r.socketsPerNode.join(' / ')} per node, websocket, each joined to one guild). Postgres pools: ${SCALE_POOLS.api} connections per API node, ${SCALE_POOLS.bot} per bot shard (all processes share one server). Open loop: ${s.rate} \`PATCH\`/s for ${s.seconds} s (after ${s.warmup} s of warm-up), round-robin over the guilds and the API nodes; ${s.killAt > 0 ? `at ${(s.killAt * s.seconds).toFixed(0)} s the master that carries the bus (the slot of \`{wolaro}\`) is SIGKILLed and its replica promoted.` : 'no failover in this run.'}`,
    '',
    ...deliveryTable(r),
    '',
  ];
  if (f && k) {
    lines.push(
      `**Failover**: the master was killed, the cluster served every slot again after ${stats.ms(f.promotedMs, 0)} (replica promoted), and every socket and bot shard held its guild's database version of that moment (every write committed until then) **${Number.isFinite(f.recoveryMs) ? `${stats.ms(f.recoveryMs, 0)} after the kill` : 'never within the run and its drain'}** (kill → all consumers current). Acknowledged writes lost: **${k.lost}**; socket deliveries duplicated: ${k.duplicates}; events a socket never got but covered by a later event or by its load after \`guild:reload\`: ${k.skipped} (the nodes sent ${r.panelReloads.reloads.toLocaleString('en')} \`guild:reload\` after their bus came back; ${r.panelReloads.failedLoads} loads failed). After the load, every socket and bot shard held the database's version of every guild: ${r.drained ? 'yes' : `no (${r.staleGuilds} guilds behind)`}.`,
      '',
    );
  }
  lines.push(
    `Per-unit costs, measured over the steady part of the same run (${(r.costs.windowMs / 1000).toFixed(1)} s, ${r.costs.updates.toLocaleString('en')} updates committed, counted in the database: a PATCH whose answer came after the client's limit was still done; CPU from /proc, Postgres per backend by \`application_name\`; idle: 5 s with the sockets connected and no writes):`,
    '',
    ...costTable(r),
    '',
    ...memoryAndRedis(r),
    '',
    "How it is measured: a socket counts each `config:updated` of its guild by version (exactly once: a count of 1 for every acknowledged write); a bot shard holds a version when its `Config of guild … reloaded (version N)` debug line arrives; a socket also holds what it loads over HTTP when its node sends `guild:reload` (as the panel does after a bus outage); a write is lost when a consumer of its guild never holds that version or a later one. Redis commands come from `INFO commandstats` on every node (the bench's own `INFO` left out), so they include the apps' cluster housekeeping (`cluster|slots`, `ping`). Pub/sub forwarding to subscribers is not a command: it shows in the Redis CPU only.",
  );
  return lines.join('\n');
}
