/**
 * The consumers of the scale benchmark: panel sockets spread over the API nodes, each counting every
 * `config:updated` of its guild by version (to check exactly-once delivery), and the bot shards'
 * reloads per guild (from their debug log).
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io-client';
import { BotWatch } from '../chaos/bot_watch.js';
import type { Timeline } from '../chaos/timeline.js';
import { connectPanel } from '../panel_socket.js';
import type { BenchGuild, BenchSystem } from '../system.js';

/** One panel socket and what it received. */
export interface Panel {
  socket: Socket;
  guild: number;
  node: number;
  /** version → how many times it arrived and when first. */
  seen: Map<number, { count: number; at: number }>;
  /** Highest version held (received, or loaded on `guild:reload`). */
  top: number;
  /** Versions loaded over HTTP on `guild:reload` (after a bus outage), with when. */
  loaded: { version: number; at: number }[];
}

/** The shard that serves a guild: `(id >> 22) % shards`, as Discord routes it. */
export function shardOf(guildId: string, shards: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shards));
}

/** When `panel` first held a version ≥ `version`, `undefined` if never. */
export function heldAt(panel: Panel, version: number): number | undefined {
  let first: number | undefined;
  for (const [v, s] of panel.seen) if (v >= version && (first === undefined || s.at < first)) first = s.at;
  for (const l of panel.loaded)
    if (l.version >= version && (first === undefined || l.at < first)) first = l.at;
  return first;
}

/** Every consumer of the run. */
export class Consumers {
  readonly panels: Panel[] = [];
  readonly panelsByGuild: Panel[][];
  readonly #watches: BotWatch[];
  /** `guild:reload`s received, and the loads they caused that failed. */
  reloads = 0;
  failedLoads = 0;

  constructor(
    readonly sys: BenchSystem,
    readonly guilds: readonly BenchGuild[],
  ) {
    this.panelsByGuild = guilds.map(() => []);
    const shards = sys.bots.length;
    this.#watches = sys.bots.map(
      (bot, shard) =>
        new BotWatch(
          bot,
          guilds.map((g) => g.guildId).filter((id) => shards === 1 || shardOf(id, shards) === shard),
        ),
    );
  }

  /** The bot's timeline of guild `g` (on the shard that serves it). */
  bot(g: number): Timeline {
    const id = this.guilds[g]!.guildId;
    const shard = this.#watches.length === 1 ? 0 : shardOf(id, this.#watches.length);
    return this.#watches[shard]!.guild(id);
  }

  /**
   * Connects `count` sockets: socket `s` to guild `s % guilds` with the owner's token, then the
   * admin's for the next round of guilds, and to API node `s % nodes`. 20 at a time.
   */
  async connect(count: number, tokens: readonly (readonly [string, string])[]): Promise<void> {
    const urls = this.sys.apis.map((a) => a.url);
    for (let k = 0; k < count; k += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, count - k) }, async (_, j) => {
          const s = k + j;
          const guild = s % this.guilds.length;
          const node = s % urls.length;
          const guildId = this.guilds[guild]!.guildId;
          const token = tokens[guild]![Math.floor(s / this.guilds.length) % 2]!;
          const socket = await connectPanel(urls[node]!, token, guildId);
          const panel: Panel = { socket, guild, node, seen: new Map(), top: -1, loaded: [] };
          socket.on('config:updated', (e: { guildId?: string; version?: number }) => {
            if (e.guildId !== guildId || typeof e.version !== 'number') return;
            const seen = panel.seen.get(e.version);
            if (seen) seen.count++;
            else panel.seen.set(e.version, { count: 1, at: performance.now() });
            if (e.version > panel.top) panel.top = e.version;
          });
          // As the panel does: after a bus outage the node says `guild:reload`, and the panel loads the guild.
          socket.on('guild:reload', (e: { guildId?: string }) => {
            if (e.guildId !== guildId) return;
            this.reloads++;
            void this.#load(panel, urls[node]!, token, guildId);
          });
          this.panels.push(panel);
          this.panelsByGuild[guild]!.push(panel);
        }),
      );
    }
  }

  async #load(panel: Panel, url: string, token: string, guildId: string): Promise<void> {
    try {
      const res = await fetch(`${url}/api/panel/guilds/${guildId}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { version?: unknown };
      if (!res.ok || typeof body.version !== 'number') throw new Error(`HTTP ${res.status}`);
      panel.loaded.push({ version: body.version, at: performance.now() });
      if (body.version > panel.top) panel.top = body.version;
    } catch {
      this.failedLoads++;
    }
  }

  /** Forgets what was received so far (after the warm-up). */
  reset(): void {
    for (const p of this.panels) {
      p.seen.clear();
      p.loaded = [];
    }
    this.reloads = 0;
    this.failedLoads = 0;
  }

  /** Whether every socket and the bot hold at least `versions[g]` of each guild. */
  current(versions: readonly number[]): boolean {
    return this.staleGuilds(versions) === 0;
  }

  /** How many guilds have a consumer below `versions[g]`. */
  staleGuilds(versions: readonly number[]): number {
    return this.guilds.filter(
      (_, g) =>
        this.bot(g).version < versions[g]! || (this.panelsByGuild[g] ?? []).some((p) => p.top < versions[g]!),
    ).length;
  }

  close(): void {
    for (const p of this.panels) p.socket.close();
  }
}
