import type { Database } from '@wolaro/db';
import type { GuildConfigCache, SyncClient } from '@wolaro/sync';
import type { Client } from 'discord.js';
import type { CommandLog } from './command_log.js';
import type { InvocationSource } from './commands/invocation.js';
import type { Command } from './commands/types.js';
import type { BotLogger } from './logger.js';
import type { ShardScope } from './shards.js';

/**
 * What every command and event handler gets: the discord.js client, the guilds it serves, the bus,
 * the guild configs, the database and the logger. Nothing in it assumes one shard: all state lives
 * in the database, Redis or the per-guild config cache, and `shard` says which guilds are this
 * process's (the others' events are dropped before a handler runs).
 */
export interface BotContext {
  readonly client: Client;
  /** The guilds this process serves (every guild unless it runs some of several shards). */
  readonly shard: ShardScope;
  readonly sync: SyncClient;
  readonly configs: GuildConfigCache;
  readonly db: Database;
  readonly logger: BotLogger;
  /** Records and announces command runs (audit row + `command:executed`, one transaction). */
  readonly commands: CommandLog;
  /**
   * Registers background work (a command run, a database write) so `close()` waits for it before
   * closing the database. Returns the same promise.
   */
  track<T>(work: Promise<T>): Promise<T>;
  /** Runs a command (checks, `command:executed`, audit log, answers on failure); resolves with the result. */
  dispatch(command: Command, source: InvocationSource): Promise<'success' | 'error' | 'denied'>;
  /** Called by the `clientReady` handler once every guild is in the database. */
  markSynced(error?: Error): void;
}

/** Keeps the promises of in-flight work, so shutdown can wait for them. */
export class TaskTracker {
  readonly #pending = new Set<Promise<unknown>>();

  track<T>(work: Promise<T>): Promise<T> {
    this.#pending.add(work);
    const forget = () => this.#pending.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Resolves when everything tracked so far has settled, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    while (this.#pending.size > 0) {
      const settled = Promise.allSettled([...this.#pending]).then(() => 'settled' as const);
      if ((await Promise.race([settled, timeout.then(() => 'timeout' as const)])) === 'timeout') break;
    }
    clearTimeout(timer);
  }
}
