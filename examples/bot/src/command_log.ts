import { type CommandRun, type EventPublisher, recordCommands } from '@wolaro/db';
import type pg from 'pg';
import type { BotLogger } from './logger.js';

const toError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/** A run as the dispatcher reports it. */
export type ExecutedCommand = Omit<CommandRun, 'announce'>;

/** Options of {@link CommandLog}. */
export interface CommandLogOptions {
  /**
   * Most `command:executed` events per guild and second. Runs past it are still recorded; the
   * latest of them is announced once the second is over (one event for the flood), so a panel
   * showing it is current and a `/logs` reload shows every row.
   * @defaultValue 20
   */
  eventsPerSecond: number;
  /**
   * Most runs recorded in one transaction.
   * @defaultValue 100
   */
  maxBatch: number;
  /**
   * Most runs waiting to be recorded while Postgres is unreachable. Past it the oldest are given
   * up (logged with their count): memory stays bounded through a long outage.
   * @defaultValue 50000
   */
  maxPending: number;
  /**
   * How long {@link CommandLog.recordBeforeReply} waits for the commit before it lets the answer go.
   * @defaultValue 2000
   */
  replyWaitMs: number;
}

/** Defaults of {@link CommandLogOptions}. */
export const DEFAULT_COMMAND_LOG: CommandLogOptions = {
  eventsPerSecond: 20,
  maxBatch: 100,
  maxPending: 50_000,
  replyWaitMs: 2000,
};

/** Longest wait between two tries of a batch that could not be recorded. */
const MAX_RETRY_DELAY_MS = 2000;

interface Waiter {
  run: ExecutedCommand;
  /** Whether the run gets its own event: decided once, when its batch is first taken. */
  announce?: boolean;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Records every command run in `audit_log` and announces it as `command:executed`, both through
 * `recordCommands` (one transaction: the audit rows and the outbox events; published after
 * COMMIT, or by a relay if this process dies first). So a panel never hears of a run before its
 * `/logs` entry exists.
 *
 * - Batching: runs that arrive while a batch is being written go together in the next one (a group
 *   commit): one transaction per batch, not per run.
 * - Floods: per guild, at most `eventsPerSecond` runs get their own event each second; the rest
 *   are recorded without one, and the latest of them is announced when the second ends.
 * - Failures (a connection terminated, Postgres restarting or unreachable): the batch is tried
 *   again, backing off up to 2 s, until it commits. Each row carries its run's id (the
 *   interaction's or message's), so a batch whose COMMIT landed but whose answer was lost is not
 *   written twice.
 */
export class CommandLog {
  readonly #pool: pg.Pool;
  readonly #publisher: EventPublisher;
  readonly #options: CommandLogOptions;
  readonly #logger: BotLogger;
  #queue: Waiter[] = [];
  #flushing: Promise<void> | undefined;
  #window = -1;
  readonly #counts = new Map<string, number>();
  readonly #held = new Map<string, ExecutedCommand>();
  #heldTimer: NodeJS.Timeout | undefined;
  #heldFlush: Promise<void> | undefined;
  #coalesced = 0;
  #closing = false;
  #retryTimer: { timer: NodeJS.Timeout; wake(): void } | undefined;

  constructor(
    pool: pg.Pool,
    publisher: EventPublisher,
    options: Partial<CommandLogOptions>,
    logger: BotLogger,
  ) {
    this.#pool = pool;
    this.#publisher = publisher;
    this.#options = { ...DEFAULT_COMMAND_LOG, ...options };
    this.#logger = logger;
  }

  /** Runs recorded without an event of their own so far (floods). */
  get coalesced(): number {
    return this.#coalesced;
  }

  /**
   * Records a run; resolves once its audit row is committed (and its event published or queued).
   * Rejects only when the run is given up: too many runs waiting ({@link CommandLogOptions.maxPending})
   * or the log closed while Postgres was unreachable.
   */
  record(run: ExecutedCommand): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ run, resolve, reject });
      const over = this.#queue.length - this.#options.maxPending;
      if (over > 0) this.#giveUp(this.#queue.splice(0, over), new Error('too many command runs waiting'));
      this.#flushing ??= this.#flush().finally(() => {
        this.#flushing = undefined;
      });
    });
  }

  /**
   * {@link record}, waited for at most `replyWaitMs` and never past `answerBy` (ms since the
   * epoch: when the answer must go, e.g. an interaction's 3 s window); never rejects. What the dispatcher awaits
   * before answering: a command the user saw answered is in `/logs`, unless Postgres was
   * unreachable for longer than the wait (then the row still comes, once it can be written).
   */
  recordBeforeReply(run: ExecutedCommand, answerBy?: number): Promise<void> {
    const waitMs = Math.min(
      this.#options.replyWaitMs,
      answerBy === undefined ? Infinity : answerBy - Date.now(),
    );
    const recorded = this.record(run);
    if (!(waitMs > 0)) {
      recorded.catch(() => {});
      return Promise.resolve();
    }
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      recorded.then(
        () => {},
        () => {},
      ),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Runs waiting to be recorded (while Postgres is unreachable, the ones being retried). */
  get pending(): number {
    return this.#queue.length;
  }

  /** Waits for the batches in flight (one last try if Postgres is unreachable) and announces the held runs now. */
  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#retryTimer?.timer);
    this.#retryTimer?.wake();
    while (this.#flushing) await this.#flushing;
    clearTimeout(this.#heldTimer);
    this.#heldTimer = undefined;
    await this.#heldFlush;
    await this.#announceHeld();
  }

  async #flush(): Promise<void> {
    // Let the runs that finish in this turn join the first batch.
    await Promise.resolve();
    let failures = 0;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.maxBatch);
      for (const w of batch) w.announce ??= this.#admit(w.run.guildId);
      const runs = batch.map((w) => ({ ...w.run, announce: w.announce }));
      try {
        await recordCommands(this.#pool, this.#publisher, runs);
        if (failures > 0) this.#logger.info({ failures }, 'Command log recording again');
        failures = 0;
        for (const run of runs) if (!run.announce) this.#hold(run);
        for (const w of batch) w.resolve();
      } catch (err) {
        if (this.#closing) {
          this.#giveUp([...batch, ...this.#queue.splice(0)], toError(err));
          return;
        }
        // Back in front, in order; tried again after a pause.
        this.#queue.unshift(...batch);
        if (failures === 0) {
          this.#logger.warn(
            { err, pending: this.#queue.length },
            `Could not record command runs, retrying: ${toError(err).message}`,
          );
        }
        await this.#pause(Math.min(100 * 2 ** failures++, MAX_RETRY_DELAY_MS));
      }
    }
  }

  /** Waits `ms` (cut short by close()). */
  #pause(ms: number): Promise<void> {
    return new Promise<void>((wake) => {
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.#retryTimer = { timer, wake };
    }).finally(() => {
      this.#retryTimer = undefined;
    });
  }

  #giveUp(waiters: readonly Waiter[], err: Error): void {
    if (waiters.length === 0) return;
    this.#logger.error(
      { err, runs: waiters.length },
      `Gave up recording ${waiters.length} command runs: ${err.message}`,
    );
    for (const w of waiters) w.reject(err);
  }

  /** Whether a run of `guildId` gets its own event (per guild, per second). */
  #admit(guildId: string): boolean {
    const window = Math.floor(Date.now() / 1000);
    if (window !== this.#window) {
      this.#window = window;
      this.#counts.clear();
    }
    const count = this.#counts.get(guildId) ?? 0;
    this.#counts.set(guildId, count + 1);
    return count < this.#options.eventsPerSecond;
  }

  /** A committed run without an event: the latest of its guild is announced when the second ends. */
  #hold(run: CommandRun): void {
    this.#coalesced++;
    const { announce: _announce, ...executed } = run;
    this.#held.set(run.guildId, executed);
    if (this.#heldTimer) return;
    const delay = (Math.floor(Date.now() / 1000) + 1) * 1000 - Date.now();
    this.#heldTimer = setTimeout(() => {
      this.#heldTimer = undefined;
      this.#heldFlush = this.#announceHeld();
    }, delay);
    this.#heldTimer.unref();
  }

  /** One event per guild for the latest held run (its row is already committed). */
  async #announceHeld(): Promise<void> {
    if (this.#held.size === 0) return;
    const runs = [...this.#held.values()];
    this.#held.clear();
    try {
      await recordCommands(this.#pool, this.#publisher, runs, { announceOnly: true });
      this.#logger.debug({ guilds: runs.length }, 'Announced coalesced command runs');
    } catch (err) {
      this.#logger.warn({ err }, `Could not announce coalesced command runs: ${toError(err).message}`);
    }
  }
}
