/**
 * What the bot holds, per guild, from its own log: the debug line `Config of guild {id} reloaded
 * (version n)` that its GuildConfigCache prints for every new config it loads (stamped when the line
 * reaches this process). When the bot is killed, what it held is forgotten.
 */
import type { ControlledApp } from '@wolaro/test-harness/node';
import { Timeline } from './timeline.js';

/** The bot's per-guild timelines. */
export class BotWatch {
  readonly #guilds = new Map<string, Timeline>();

  constructor(bot: ControlledApp, guildIds: readonly string[]) {
    for (const id of guildIds) this.#guilds.set(id, new Timeline());
    bot.logs.onLine((line) => {
      if (!line.text.includes('reloaded (version')) return;
      try {
        const f = JSON.parse(line.text) as { guildId?: unknown; version?: unknown };
        if (typeof f.guildId !== 'string' || typeof f.version !== 'number') return;
        this.#guilds.get(f.guildId)?.reach(f.version, line.at);
      } catch {
        // not JSON
      }
    });
  }

  /** The timeline of one guild. */
  guild(guildId: string): Timeline {
    const t = this.#guilds.get(guildId);
    if (!t) throw new Error(`guild ${guildId} is not watched`);
    return t;
  }

  /** The bot process died: it holds nothing any more. */
  reset(): void {
    for (const t of this.#guilds.values()) t.reset();
  }
}
