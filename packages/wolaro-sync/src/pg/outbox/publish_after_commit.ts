import type pg from 'pg';
import type { ChannelMap } from '../../channels/define.js';
import type { SyncClient } from '../../client/sync_client.js';
import { type Logger, silentLogger } from '../../logger.js';
import { toError } from '../../transports/transport.js';
import { tryDrainLock } from './drain_lock.js';
import { publishPending } from './publish_rows.js';
import { ROW_DONE_SQL } from './sql.js';

/**
 * The part of an `OutboxRelay` the fast path uses: a nudge when it leaves rows to the relay.
 *
 * @example
 * ```ts
 * const wakeable: Wakeable = relay;
 * ```
 */
export interface Wakeable {
  wake(): void;
}

/**
 * Options of {@link publishAfterCommit}.
 *
 * @example
 * ```ts
 * await publishAfterCommit(pool, sync, outboxId, { relay, logger });
 * ```
 */
export interface PublishAfterCommitOptions {
  /**
   * A relay in this process to wake when the row is left to it (another publisher holds the drain
   * lock, or the publish failed). Needed in embedded mode, where NOTIFY does not reach the relay.
   */
  relay?: Wakeable | undefined;
  /**
   * Most rows of the guild published in one go (earlier rows of the guild still pending go first).
   * @defaultValue 100
   */
  batchSize?: number;
  /**
   * A pino-compatible logger (failures at warn).
   * @defaultValue silent
   */
  logger?: Logger;
}

/**
 * Defaults of {@link PublishAfterCommitOptions}.
 *
 * @example
 * ```ts
 * DefaultPublishAfterCommitOptions.batchSize; // 100
 * ```
 */
export const DefaultPublishAfterCommitOptions = {
  batchSize: 100,
} as const satisfies Omit<Required<PublishAfterCommitOptions>, 'relay' | 'logger'>;

/**
 * The fast path: publishes a committed outbox row right away and marks it published, so the
 * event goes out within a round trip of the COMMIT. Earlier pending rows of the same guild go out
 * first, in order. It never throws (the write is committed whatever happens here) and never holds
 * a transaction: when the drain lock is busy or the publish fails, the row stays for the relay
 * (`options.relay` is woken) and this resolves `false`.
 *
 * Call it after COMMIT, with the pool (a connection is borrowed) or with a client that is not in
 * a transaction. `versionedUpdate()` calls it for you.
 *
 * @returns whether the row is published now (by this call or earlier)
 *
 * @example
 * ```ts
 * const outboxId = await withTransaction(pool, (client) => enqueue(client, 'guild:reload', { guildId }));
 * const published = await publishAfterCommit(pool, sync, outboxId, { relay });
 * ```
 */
export async function publishAfterCommit<M extends ChannelMap>(
  db: pg.Pool | pg.ClientBase,
  sync: SyncClient<M>,
  outboxId: string,
  options: PublishAfterCommitOptions = {},
): Promise<boolean> {
  const logger = options.logger ?? silentLogger;
  const limit = options.batchSize ?? DefaultPublishAfterCommitOptions.batchSize;
  let client: pg.ClientBase | undefined;
  let borrowed: pg.PoolClient | undefined;
  let broken: Error | undefined;
  let published = false;
  try {
    if (typeof (db as pg.Pool).totalCount === 'number') {
      borrowed = await (db as pg.Pool).connect();
      client = borrowed;
    } else {
      client = db as pg.ClientBase;
    }
    const lock = await tryDrainLock(client);
    if (!lock) {
      logger.debug(
        { outboxId },
        `Outbox row ${outboxId} left to the relay: another publisher holds the lock`,
      );
    } else {
      try {
        const pass = await publishPending(client, sync, { limit, upToId: outboxId, logger });
        if (pass.error) {
          logger.warn(
            { err: pass.error, outboxId },
            `Publish after commit failed, outbox row ${outboxId} left to the relay: ${pass.error.message}`,
          );
        } else if (pass.published.includes(outboxId)) {
          published = true;
        } else {
          const { rows } = await client.query<{ published: boolean }>(ROW_DONE_SQL, [outboxId]);
          published = rows[0]?.published ?? true;
        }
      } finally {
        await lock.release().catch((err: unknown) => {
          broken = toError(err);
        });
      }
    }
  } catch (err) {
    broken = toError(err);
    logger.warn(
      { err: broken, outboxId },
      `Publish after commit failed, outbox row ${outboxId} left to the relay`,
    );
  } finally {
    borrowed?.release(broken);
  }
  if (!published) options.relay?.wake();
  return published;
}
