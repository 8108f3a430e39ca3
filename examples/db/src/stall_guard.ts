import type pg from 'pg';

/** Options of {@link watchForStall}. */
export interface StallGuardOptions {
  /**
   * How long the pool may hold work (connections checked out or callers waiting for one) with no
   * query finishing before the database is suspected of hanging; `0` turns the guard off.
   * @defaultValue 1000
   */
  stallMs?: number | undefined;
  /** How long the confirming probe (`SELECT 1` on a connection of its own) may take. @defaultValue 500 */
  probeTimeoutMs?: number | undefined;
  /** How often the pool is looked at. @defaultValue 100 */
  checkEveryMs?: number | undefined;
  /** Called once each time the database is declared stalled (then once more when it recovers). */
  onChange?: ((stalled: boolean) => void) | undefined;
}

/** What {@link watchForStall} returns. */
export interface StallGuard {
  /** Whether the database is stalled now: work waits, nothing finishes, and a fresh probe failed. */
  readonly stalled: boolean;
  /** Stops watching. Idempotent. */
  close(): void;
}

const DEFAULTS = { stallMs: 1000, probeTimeoutMs: 500, checkEveryMs: 100 } as const;

/**
 * Watches a pool for a database that has stopped answering (a hung server, a link that drops
 * packets without resetting): work is pending, no query has finished for `stallMs`, and a probe
 * on a connection of its own gets no answer either. A pool that is merely busy (rows locked, long
 * statements) keeps answering the probe and is never declared stalled. The state clears as soon as
 * any query finishes or a probe answers.
 *
 * What it is for: a server that answers callers at once while the database hangs, instead of
 * letting every request wait out its timeouts while new ones pile up behind it.
 *
 * @example
 * ```ts
 * const db = await createDatabase({ databaseUrl });
 * const guard = watchForStall(db.pool, (ms) => db.ping?.(ms) ?? Promise.resolve(true));
 * if (guard.stalled) console.log('the database is not answering');
 * guard.close();
 * ```
 */
export function watchForStall(
  pool: pg.Pool,
  probe: (timeoutMs: number) => Promise<boolean>,
  options: StallGuardOptions = {},
): StallGuard {
  const stallMs = options.stallMs ?? DEFAULTS.stallMs;
  if (!(stallMs > 0)) return { stalled: false, close: () => {} };
  const probeTimeoutMs = options.probeTimeoutMs ?? DEFAULTS.probeTimeoutMs;
  let lastProgress = Date.now();
  let probedOkAt = 0;
  let probing = false;
  let stalled = false;
  let closed = false;
  const progress = () => {
    lastProgress = Date.now();
    set(false);
  };
  // A query that ended in an error (a reset link, a timeout) is no sign the database answers.
  const released = (err: Error | undefined) => {
    if (!err) progress();
  };
  const set = (next: boolean) => {
    if (next === stalled || closed) return;
    stalled = next;
    options.onChange?.(next);
  };
  const busy = () => pool.totalCount - pool.idleCount > 0 || pool.waitingCount > 0;
  const suspect = () => busy() && Date.now() - Math.max(lastProgress, probedOkAt) >= stallMs;
  const check = () => {
    if (!suspect()) {
      if (stalled && !busy()) set(false);
      return;
    }
    if (probing) return;
    probing = true;
    probe(probeTimeoutMs)
      .catch(() => false)
      .then((ok) => {
        probing = false;
        if (ok) {
          probedOkAt = Date.now();
          set(false);
        } else if (suspect()) {
          set(true);
        }
      });
  };
  pool.on('release', released);
  pool.on('connect', progress);
  const timer = setInterval(check, options.checkEveryMs ?? DEFAULTS.checkEveryMs);
  timer.unref();
  return {
    get stalled() {
      return stalled;
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      pool.off('release', released);
      pool.off('connect', progress);
    },
  };
}
