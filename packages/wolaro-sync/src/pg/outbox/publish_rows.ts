import type pg from 'pg';
import type { ChannelMap } from '../../channels/define.js';
import type { SyncClient } from '../../client/sync_client.js';
import { InvalidPayloadError, UnknownChannelError } from '../../errors.js';
import { toError } from '../../internal/to_error.js';
import type { Logger } from '../../logger.js';
import {
  MARK_ATTEMPT_FAILED_SQL,
  MARK_DEAD_SQL,
  MARK_PUBLISHED_SQL,
  SELECT_PENDING_SQL,
  SELECT_PENDING_UP_TO_SQL,
} from './sql.js';

interface PendingRow {
  id: string;
  channel: string;
  payload: Record<string, unknown>;
  guild_id: string | null;
  attempts: number;
}

/** What one pass over pending rows did. */
export interface PublishPassResult {
  /** Ids published, in order. */
  published: string[];
  /** Rows given up because they can never be published. */
  dead: number;
  /** The publish error that stopped the pass (the row stays pending), if any. */
  error: Error | undefined;
  /** Whether the pass read a full batch, so more rows may be pending. */
  full: boolean;
}

/** Which rows a pass publishes. */
export interface PublishPassOptions {
  /** Most rows read. */
  limit: number;
  /** Only the pending rows of this row's guild, up to and including it. */
  upToId?: string | undefined;
  logger: Logger;
}

/**
 * A publish error that retrying cannot fix: the row breaks the relay's channel contract. The row
 * is set aside (`failed_at`) instead of blocking its guild forever.
 */
function isPermanent(err: unknown): boolean {
  return err instanceof InvalidPayloadError || err instanceof UnknownChannelError;
}

/**
 * Publishes pending rows in id order through `sync`, then marks them published. Stops at the
 * first transient failure (recorded on the row: `attempts + 1`, `last_error`), so a later row of
 * the same guild never overtakes an earlier one. The caller must hold the drain lock.
 */
export async function publishPending<M extends ChannelMap>(
  client: pg.ClientBase,
  sync: SyncClient<M>,
  options: PublishPassOptions,
): Promise<PublishPassResult> {
  const { rows } =
    options.upToId === undefined
      ? await client.query<PendingRow>(SELECT_PENDING_SQL, [options.limit])
      : await client.query<PendingRow>(SELECT_PENDING_UP_TO_SQL, [options.upToId, options.limit]);
  const publish = sync.publishUntyped.bind(sync);
  const published: string[] = [];
  let dead = 0;
  let error: Error | undefined;
  // Pipelined: every publish is handed to the transport at once, in id order (the transports keep
  // one publisher's order), then the outcomes are read in that order. Awaiting each publish held
  // the drain lock for one bus round trip per row.
  const outcomes = rows.map((row) =>
    publish(row.channel, row.payload).then(
      () => undefined,
      (err: unknown) => ({ err }),
    ),
  );
  for (const [i, row] of rows.entries()) {
    const outcome = await outcomes[i];
    if (outcome === undefined) {
      published.push(row.id);
      continue;
    }
    const e = toError(outcome.err);
    if (isPermanent(outcome.err)) {
      dead++;
      await client.query(MARK_DEAD_SQL, [row.id, e.message]);
      options.logger.error(
        { err: e, outboxId: row.id, channel: row.channel },
        `Outbox row ${row.id} on ${row.channel} can never be published, set aside: ${e.message}`,
      );
      continue;
    }
    // Later rows may have gone out too; they stay pending and are sent again (at-least-once:
    // consumers ignore versions they already hold), so no row overtakes this one for good.
    error = e;
    await client.query(MARK_ATTEMPT_FAILED_SQL, [row.id, e.message.slice(0, 1000)]);
    await Promise.allSettled(outcomes.slice(i + 1));
    break;
  }
  if (published.length > 0) await client.query(MARK_PUBLISHED_SQL, [published]);
  return { published, dead, error, full: rows.length >= options.limit };
}
