/**
 * What a chaos run does: rates, sizes, round timing, and which scenarios run. `fullSettings()` is
 * `npm run chaos` (every default overridable by an environment variable of the same name), and
 * `shortSettings()` the small variant the test suite runs.
 */
import { numbersFromEnv } from '@wolaro/test-harness/report';

/** Every fault the harness can inject, one per round. */
export const SCENARIOS = [
  'redis-kill',
  'redis-pause',
  'pg-terminate',
  'api-kill',
  'bot-kill',
  'proxy-drop',
  'proxy-delay',
] as const;

/** One of {@link SCENARIOS}. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** The settings of one chaos run. */
export interface ChaosSettings {
  /** Guilds under load (each: an owner and an admin with a panel socket each, plus plain members). */
  guilds: number;
  /** `PATCH /api/panel/guilds/:id` per second, over every guild and both API nodes (open loop). */
  writeRate: number;
  /** Slash commands per second, over every guild (open loop). */
  commandRate: number;
  /** Plain members per guild who run the commands (audit entries are counted per guild and member). */
  commandUsersPerGuild: number;
  /** Panel API processes. */
  apiNodes: number;
  /** Load before the fault, in seconds. */
  beforeS: number;
  /** Load after the fault is cleared, in seconds. */
  afterS: number;
  /** How long Redis stays dead (kill) or a killed process stays down, in seconds. */
  downS: number;
  /** How long Redis stays frozen (SIGSTOP), in seconds. */
  pauseS: number;
  /** How long the proxy drops or delays traffic, in seconds. */
  proxyS: number;
  /** Delay the proxy adds to every chunk, each way, in `proxy-delay` (ms). */
  proxyDelayMs: number;
  /** A request without an answer after this long counts as a hang (ms). */
  requestTimeoutMs: number;
  /** After the load stops: how long sockets and the bot may take to reach the database (ms). */
  settleMs: number;
  /**
   * Most writes per second the driver sends to one guild (0 = no cap): set it under a per-guild
   * write limit of the API to measure faults without 429s.
   */
  guildWriteCap: number;
  /** After a 429, hold that guild's writes until its `Retry-After` passed (skipped writes are counted). */
  respectRetryAfter: boolean;
  /** The rounds, in order. */
  scenarios: readonly ScenarioName[];
  /** Random seed of the payloads. */
  seed: number;
}

function scenariosFromEnv(fallback: readonly ScenarioName[]): ScenarioName[] {
  const raw = process.env['SCENARIOS'];
  if (!raw) return [...fallback];
  const names = raw.split(',').map((s) => s.trim());
  const bad = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (bad.length > 0)
    throw new Error(`SCENARIOS: unknown ${bad.join(', ')} (known: ${SCENARIOS.join(', ')})`);
  return names as ScenarioName[];
}

/** `npm run chaos`: every scenario at 200 writes/s and 200 commands/s over 50 guilds. */
export function fullSettings(): ChaosSettings {
  const n = numbersFromEnv({
    GUILDS: 50,
    WRITE_RATE: 200,
    COMMAND_RATE: 200,
    COMMAND_USERS: 10,
    API_NODES: 2,
    BEFORE_S: 5,
    AFTER_S: 12,
    DOWN_S: 5,
    PAUSE_S: 10,
    PROXY_S: 5,
    PROXY_DELAY_MS: 200,
    REQUEST_TIMEOUT_MS: 10_000,
    SETTLE_MS: 15_000,
    GUILD_WRITE_CAP: 0,
    RESPECT_RETRY_AFTER: 1,
    SEED: 13,
  });
  return {
    guilds: n.GUILDS,
    writeRate: n.WRITE_RATE,
    commandRate: n.COMMAND_RATE,
    commandUsersPerGuild: n.COMMAND_USERS,
    apiNodes: n.API_NODES,
    beforeS: n.BEFORE_S,
    afterS: n.AFTER_S,
    downS: n.DOWN_S,
    pauseS: n.PAUSE_S,
    proxyS: n.PROXY_S,
    proxyDelayMs: n.PROXY_DELAY_MS,
    requestTimeoutMs: n.REQUEST_TIMEOUT_MS,
    settleMs: n.SETTLE_MS,
    guildWriteCap: n.GUILD_WRITE_CAP,
    respectRetryAfter: n.RESPECT_RETRY_AFTER !== 0,
    scenarios: scenariosFromEnv(SCENARIOS),
    seed: n.SEED,
  };
}

/** The test suite's variant: 10 guilds, 20 writes/s and 20 commands/s, three short rounds. */
export function shortSettings(): ChaosSettings {
  return {
    guilds: 10,
    writeRate: 20,
    commandRate: 20,
    commandUsersPerGuild: 4,
    apiNodes: 2,
    beforeS: 2,
    afterS: 4,
    downS: 2,
    pauseS: 3,
    proxyS: 2,
    proxyDelayMs: 100,
    requestTimeoutMs: 10_000,
    settleMs: 30_000,
    guildWriteCap: 0,
    respectRetryAfter: true,
    scenarios: ['redis-kill', 'api-kill', 'pg-terminate'],
    seed: 7,
  };
}
