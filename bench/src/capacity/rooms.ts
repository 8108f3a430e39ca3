/**
 * Panel sockets in guild rooms, for open-loop rates: each socket records when each event of its
 * guild arrived, by key, so a sent operation can later be matched with its arrival on every
 * socket of its guild. Keys: `v<version>` for `config:updated`; `c<executorId>#<n>` for the n-th
 * `command:executed` of that executor (an executor runs in one guild only, and its commands are
 * matched in order). Events of another guild are counted (`foreign`), never matched.
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io-client';
import { connectPanel } from '../panel_socket.js';

/** One socket of a guild room. */
export interface RoomSocket {
  readonly socket: Socket;
  readonly guild: number;
  /** key → first arrival (performance.now()). */
  readonly arrivals: Map<string, number>;
  /** `command:executed` seen so far, per executor (never reset: the keys' `n`). */
  readonly commandCounts: Map<string, number>;
  /** Events of another guild than the socket's. */
  foreign: number;
  /** Events received (both kinds). */
  received: number;
}

/** The key of the n-th command of `executorId` (n from 0, over the whole run). */
export const commandKey = (executorId: string, n: number): string => `c${executorId}#${n}`;
/** The key of a config version. */
export const versionKey = (version: number): string => `v${version}`;

/** Sockets of one server (the panel API or the floor), by guild index. */
export class RoomSockets {
  readonly all: RoomSocket[] = [];
  readonly byGuild: RoomSocket[][];

  private constructor(guilds: number) {
    this.byGuild = Array.from({ length: guilds }, () => []);
  }

  /**
   * Connects `plan.length` sockets to `url`, socket `s` with `plan[s].token` joined to
   * `guildIds[plan[s].guild]`, 20 at a time.
   */
  static async connect(
    url: string,
    guildIds: readonly string[],
    plan: readonly { token: string; guild: number }[],
  ): Promise<RoomSockets> {
    const rooms = new RoomSockets(guildIds.length);
    for (let k = 0; k < plan.length; k += 20) {
      await Promise.all(
        plan.slice(k, k + 20).map(async ({ token, guild }) => {
          const guildId = guildIds[guild]!;
          const socket = await connectPanel(url, token, guildId);
          const s: RoomSocket = {
            socket,
            guild,
            arrivals: new Map(),
            commandCounts: new Map(),
            foreign: 0,
            received: 0,
          };
          socket.on('config:updated', (e: { guildId?: string; version?: number }) => {
            const at = performance.now();
            s.received++;
            if (e.guildId !== guildId) {
              s.foreign++;
              return;
            }
            if (typeof e.version !== 'number') return;
            const key = versionKey(e.version);
            if (!s.arrivals.has(key)) s.arrivals.set(key, at);
          });
          socket.on('command:executed', (e: { guildId?: string; executorId?: string }) => {
            const at = performance.now();
            s.received++;
            if (e.guildId !== guildId) {
              s.foreign++;
              return;
            }
            if (typeof e.executorId !== 'string') return;
            const n = s.commandCounts.get(e.executorId) ?? 0;
            s.commandCounts.set(e.executorId, n + 1);
            s.arrivals.set(commandKey(e.executorId, n), at);
          });
          rooms.all.push(s);
          rooms.byGuild[guild]!.push(s);
        }),
      );
    }
    return rooms;
  }

  /** Guilds that have at least one socket. */
  get guildsWithSockets(): number {
    return this.byGuild.filter((s) => s.length > 0).length;
  }

  /** Forgets the arrivals (the command counters stay: they number the whole run). */
  clearArrivals(): void {
    for (const s of this.all) {
      s.arrivals.clear();
      s.foreign = 0;
      s.received = 0;
    }
  }

  /** The last arrival of `key` over the sockets of `guild`: `undefined` if one has not got it. */
  lastArrival(guild: number, key: string): number | undefined {
    let last = Number.NEGATIVE_INFINITY;
    for (const s of this.byGuild[guild] ?? []) {
      const at = s.arrivals.get(key);
      if (at === undefined) return undefined;
      if (at > last) last = at;
    }
    return last;
  }

  close(): void {
    for (const s of this.all) s.socket.close();
  }
}
