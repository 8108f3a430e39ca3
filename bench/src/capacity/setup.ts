/**
 * What bench:capacity and bench:commands start alike: the system (bench/src/system.ts) with plain
 * members in each guild and the bot at `LOG_LEVEL=info` with no cap on `command:executed` events
 * per guild (each command gets its own event, so each can be timed), the raw floor server on the
 * same schema and Redis, and the plans of the panel sockets.
 */
import { CommandDriver } from '../chaos/commands.js';
import type { LoadGuild } from '../chaos/writes.js';
import { type FloorServer, startFloorProcesses } from '../floor_server.js';
import { type BenchGuild, type BenchSystem, REDIS_URL, startSystem } from '../system.js';

/** `BENCH_CPU_PROF=api,bot`: the children run with `--cpu-prof`. */
export function cpuProfFromEnv(): ('api' | 'bot')[] {
  return (process.env['BENCH_CPU_PROF'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s): s is 'api' | 'bot' => s === 'api' || s === 'bot');
}

/** The system for command loads: `guilds` guilds with `members` plain members each. */
export function startCommandSystem(
  label: string,
  guilds: number,
  members: number,
  databaseUrl?: string,
): Promise<BenchSystem> {
  const cpuProf = cpuProfFromEnv();
  return startSystem({
    label,
    ...(databaseUrl ? { databaseUrl } : {}),
    guilds,
    membersPerGuild: members,
    botEnv: { LOG_LEVEL: 'info', COMMAND_EVENTS_PER_SECOND: '100000' },
    ...(cpuProf.length > 0 ? { cpuProf } : {}),
  });
}

/** The floor of a capacity run: its server's URL, and a stop for both of its processes. */
export type CapacityFloor = Pick<FloorServer, 'url' | 'stop'>;

/**
 * The floor on the system's schema and Redis prefix: its server, and its reloader (the bot's side,
 * as in bench:e2e: each `config:update` → the bot's reload query), since the system's bot reloads
 * every written guild on the same two cores.
 */
export async function startFloor(sys: BenchSystem): Promise<CapacityFloor> {
  const floor = await startFloorProcesses({
    connectionString: sys.connectionString,
    redisUrl: REDIS_URL,
    keyPrefix: sys.keyPrefix,
  });
  return { url: floor.server.url, stop: () => floor.stop() };
}

/**
 * `sockets` panel sockets over the first `panelGuilds` guilds: socket `s` in guild `s % panelGuilds`,
 * the owner's session for the first pass over the guilds, then an ADMINISTRATOR's, alternating (one
 * session each).
 */
export async function socketPlan(
  sys: BenchSystem,
  guilds: readonly BenchGuild[],
  sockets: number,
  panelGuilds: number,
): Promise<{ token: string; guild: number }[]> {
  const plan: { token: string; guild: number }[] = [];
  for (let s = 0; s < sockets; s++) {
    const guild = s % panelGuilds;
    const g = guilds[guild]!;
    plan.push({
      guild,
      token: await sys.tokenFor(Math.floor(s / panelGuilds) % 2 === 0 ? g.ownerId : g.adminId),
    });
  }
  return plan;
}

/** The command driver of chaos/commands.ts over these guilds (its own open loop unused: rate 0). */
export function commandDriver(sys: BenchSystem, guilds: readonly BenchGuild[]): CommandDriver {
  const loadGuilds: LoadGuild[] = guilds.map((g) => ({
    guildId: g.guildId,
    channelId: g.channelId,
    tokens: ['', ''],
    ownerId: g.ownerId,
    memberIds: g.memberIds,
  }));
  return new CommandDriver(sys.emulator, loadGuilds, 0);
}
