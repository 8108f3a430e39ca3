import type pg from 'pg';
import { TRY_DRAIN_LOCK_SQL, UNLOCK_DRAIN_SQL } from './sql.js';

/** Keys of drain locks held in this process. */
const heldHere = new Set<string>();
/** Called whenever this process releases a drain lock, so a relay waiting on it goes at once. */
const releaseListeners = new Set<() => void>();

/**
 * Runs `listener` each time a drain lock held in this process is released (the after-commit fast
 * path usually holds it). Returns a function that stops it.
 */
export function onDrainLockReleased(listener: () => void): () => void {
  releaseListeners.add(listener);
  return () => {
    releaseListeners.delete(listener);
  };
}

/** A held drain lock; see {@link tryDrainLock}. */
export interface DrainLock {
  /** Releases the lock. If this rejects, destroy the connection: the server then drops the lock. */
  release(): Promise<void>;
}

/**
 * Takes the outbox drain lock without waiting: a session-level advisory lock keyed by the
 * outbox table's oid, plus an in-process guard. Everything that publishes outbox rows holds it
 * (relays and the after-commit fast path), so rows are published by one holder at a time, in
 * id order. The in-process guard matters on embedded PGlite, where every connection is the same
 * session and advisory locks are re-entrant.
 *
 * Session-level rather than transaction-level: no transaction stays open while publishing, which
 * on PGlite would block every other connection (PGlite is a single session underneath).
 *
 * @returns the lock, or `undefined` when another holder has it
 */
export async function tryDrainLock(client: pg.ClientBase): Promise<DrainLock | undefined> {
  const { rows } = await client.query<{ key: string; locked: boolean }>(TRY_DRAIN_LOCK_SQL);
  const row = rows[0];
  if (!row?.locked) return undefined;
  const { key } = row;
  if (heldHere.has(key)) {
    // Same session (PGlite): the advisory lock was re-entered; undo that one level.
    await client.query(UNLOCK_DRAIN_SQL, [key]);
    return undefined;
  }
  heldHere.add(key);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      heldHere.delete(key);
      try {
        await client.query(UNLOCK_DRAIN_SQL, [key]);
      } finally {
        for (const listener of releaseListeners) listener();
      }
    },
  };
}
