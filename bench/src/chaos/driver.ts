/**
 * The clients of a chaos run and what the checks ask them: the panels (two per guild, spread over
 * the API nodes), the bot's log, the write and command drivers; settling, the bot's `/config`
 * answers, and which errors break the rules.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BotWatch } from './bot_watch.js';
import { checkStates, type GuildTruth, parseConfigReply, readTruth, type StateCheck } from './checks.js';
import { CommandDriver } from './commands.js';
import { ApiClient } from './http.js';
import { PanelClient } from './panels.js';
import type { ChaosSettings } from './settings.js';
import type { ChaosStack } from './stack.js';
import type { Timeline } from './timeline.js';
import { type LoadGuild, WriteDriver } from './writes.js';

/** The clients of a run. */
export interface Load {
  stack: ChaosStack;
  guilds: LoadGuild[];
  panels: PanelClient[];
  bot: BotWatch;
  writes: WriteDriver;
  commands: CommandDriver;
  http: ApiClient;
}

/** Tokens, panels (connected and joined), the bot's log, the drivers. */
export async function prepareLoad(stack: ChaosStack, settings: ChaosSettings): Promise<Load> {
  const { sys } = stack;
  const benchGuilds = sys.guilds.slice(1, 1 + settings.guilds);
  const guilds: LoadGuild[] = [];
  for (const g of benchGuilds) {
    guilds.push({
      guildId: g.guildId,
      channelId: g.channelId,
      ownerId: g.ownerId,
      memberIds: g.memberIds,
      tokens: [await sys.tokenFor(g.ownerId), await sys.tokenFor(g.adminId)],
    });
  }
  const http = new ApiClient(
    sys.apis.map((a) => a.url),
    settings.requestTimeoutMs,
  );
  // Two panels per guild, the owner's on one node and the admin's on the next.
  const panels = guilds.flatMap((g, i) =>
    g.tokens.map((token, k) => new PanelClient(http, token, g.guildId, (i + k) % sys.apis.length)),
  );
  for (let k = 0; k < panels.length; k += 20) await Promise.all(panels.slice(k, k + 20).map((p) => p.open()));
  const bot = new BotWatch(
    sys.bot,
    guilds.map((g) => g.guildId),
  );
  const writes = new WriteDriver(http, guilds, {
    rate: settings.writeRate,
    guildWriteCap: settings.guildWriteCap,
    respectRetryAfter: settings.respectRetryAfter,
  });
  const commands = new CommandDriver(sys.emulator, guilds, settings.commandRate);
  return { stack, guilds, panels, bot, writes, commands, http };
}

/** Every consumer of every guild: the panel sockets and the bot. */
export function consumers(load: Load): { guildId: string; timeline: Timeline }[] {
  return [
    ...load.panels.map((p) => ({ guildId: p.guildId, timeline: p.timeline })),
    ...load.guilds.map((g) => ({ guildId: g.guildId, timeline: load.bot.guild(g.guildId) })),
  ];
}

/** Waits (at most `maxMs`) until every consumer holds the database's current version. */
export async function settle(load: Load, maxMs: number): Promise<Map<string, GuildTruth>> {
  const ids = load.guilds.map((g) => g.guildId);
  const deadline = performance.now() + maxMs;
  for (;;) {
    const truth = await readTruth(load.stack.sys.pool, ids);
    const behind = consumers(load).filter((c) => c.timeline.version < (truth.get(c.guildId)?.version ?? 0));
    if (behind.length === 0 || performance.now() > deadline) return truth;
    await sleep(100);
  }
}

/** The bot's answers to `/config` vs the database (`unanswered` count as stale). */
export interface BotCheck extends StateCheck {
  unanswered: number;
}

/** Asks the bot `/config` in every guild (as its owner) and compares with the database. */
export async function checkBot(load: Load, truth: Map<string, GuildTruth>): Promise<BotCheck> {
  const answers = await Promise.all(
    load.guilds.map(async (g, i) => ({
      guildId: g.guildId,
      reply: parseConfigReply(await load.commands.ask(i, g.ownerId, 'config', 10_000)),
    })),
  );
  const answered = answers.flatMap((a) => (a.reply ? [{ guildId: a.guildId, ...a.reply }] : []));
  const check = checkStates(answered, truth);
  const unanswered = answers.length - answered.length;
  return { ...check, consumers: answers.length, stale: check.stale + unanswered, unanswered };
}

/** The errors the issue forbids: 503 where the database was reachable, other 5xx, hangs. */
export function violations(byStatus: Record<string, number>, databaseFault: boolean): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(byStatus)) {
    const status = Number(key);
    const bad =
      key === 'timeout' ||
      (status >= 500 && (status !== 503 || !databaseFault)) ||
      (status >= 400 && status < 500 && status !== 429);
    if (bad) out[key] = n;
  }
  return out;
}

/** Closes the clients. */
export async function closeLoad(load: Load): Promise<void> {
  load.commands.close();
  for (const p of load.panels) p.close();
  await load.http.close();
}
