/**
 * Settings of `npm run bench:scale`: command-line flags, each with an environment fallback
 * (`--guilds 200` or GUILDS=200).
 */
import { parseArgs } from 'node:util';

/** The defaults: the run whose results go to docs/benchmarks.md. */
export const DEFAULTS = {
  guilds: 1000,
  sockets: 1000,
  rate: 500,
  seconds: 30,
  warmup: 3,
  apiNodes: 3,
  shards: 2,
  /** When the Redis master is killed, as a fraction of `seconds` (0: no kill). */
  killAt: 0.5,
  /** Sequential round trips of the idle raw floor. */
  floor: 1000,
  /** Extra subscribers and messages of the Redis fan-out cost measurement. */
  fanoutSubscribers: 50,
  fanoutMessages: 20_000,
  /** How long to wait for every consumer to be current after the load. */
  drainMs: 30_000,
  /** A PATCH's patience. */
  timeoutMs: 10_000,
};

/** Postgres pool size of each API node and each bot shard (plus each one's few own connections). */
export const SCALE_POOLS = { api: 10, bot: 6 } as const;

export type ScaleSettings = typeof DEFAULTS & {
  publish: boolean;
  /** Name of the results file and the docs section: `bench/results/<section>.json`, `bench:<section>`. */
  section: string;
};

const FLAGS: Record<keyof typeof DEFAULTS, string> = {
  guilds: 'guilds',
  sockets: 'sockets',
  rate: 'rate',
  seconds: 'seconds',
  warmup: 'warmup',
  apiNodes: 'api-nodes',
  shards: 'shards',
  killAt: 'kill-at',
  floor: 'floor',
  fanoutSubscribers: 'fanout-subscribers',
  fanoutMessages: 'fanout-messages',
  drainMs: 'drain-ms',
  timeoutMs: 'timeout-ms',
};

const ENV: Record<keyof typeof DEFAULTS, string> = {
  guilds: 'GUILDS',
  sockets: 'SOCKETS',
  rate: 'RATE',
  seconds: 'SECONDS',
  warmup: 'WARMUP_S',
  apiNodes: 'API_NODES',
  shards: 'SHARDS',
  killAt: 'KILL_AT',
  floor: 'FLOOR',
  fanoutSubscribers: 'FANOUT_SUBSCRIBERS',
  fanoutMessages: 'FANOUT_MESSAGES',
  drainMs: 'DRAIN_MS',
  timeoutMs: 'TIMEOUT_MS',
};

/**
 * The settings from `argv` and the environment. `--publish` / `--no-publish` decides whether the
 * results replace bench/results/<section>.json and the `bench:<section>` docs section (`--section`,
 * default `scale`); by default only a run with every default does.
 */
export function scaleSettings(argv: readonly string[], env: NodeJS.ProcessEnv): ScaleSettings {
  const options = Object.fromEntries(
    Object.values(FLAGS).map((flag) => [flag, { type: 'string' as const }]),
  ) as Record<string, { type: 'string' }>;
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...options,
      publish: { type: 'boolean' },
      'no-publish': { type: 'boolean' },
      section: { type: 'string' },
    },
    strict: true,
  });
  const out = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    const raw = (values as Record<string, unknown>)[FLAGS[key]] ?? env[ENV[key]];
    if (typeof raw !== 'string' || raw === '') continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${FLAGS[key]}: a number ≥ 0, got "${raw}"`);
    out[key] = n;
  }
  if (!(out.killAt >= 0 && out.killAt < 1))
    throw new Error(`--kill-at: a fraction in [0, 1), got ${out.killAt}`);
  if (out.guilds < 1 || out.sockets < 1 || out.rate <= 0 || out.seconds <= 0) {
    throw new Error('--guilds, --sockets, --rate and --seconds must be positive');
  }
  if (out.apiNodes < 1 || out.shards < 1) throw new Error('--api-nodes and --shards must be at least 1');
  const isDefault = (Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]).every((k) => out[k] === DEFAULTS[k]);
  const publish = values['no-publish'] ? false : (values.publish ?? isDefault);
  const section = values.section ?? 'scale';
  if (!/^scale[a-z0-9-]*$/.test(section)) throw new Error(`--section: scale, scale-…; got "${section}"`);
  return { ...out, publish, section };
}
