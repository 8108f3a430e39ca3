/** Client-side time limits of the relay's and the NOTIFY transport's own Postgres calls. */
import type pg from 'pg';

/** Thrown when no pooled connection came within the limit (the pool is exhausted or Postgres is unreachable). */
export class ConnectTimeoutError extends Error {
  override readonly name = 'ConnectTimeoutError';
}

/**
 * Guards a client checked out of a pool until it is released. pg's pool listens for `error`
 * only on idle clients; a checked-out client whose connection dies (Postgres restarted, the
 * backend terminated, a proxy dropping it) emits `error` with nobody listening, which crashes
 * the process. The guard keeps the error, and `release()` hands it to the pool so the broken
 * connection is destroyed instead of reused. The query that was running rejects as usual.
 */
export function guardCheckout(client: pg.PoolClient): pg.PoolClient {
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost = err;
  };
  client.on('error', onError);
  const release = client.release;
  client.release = (err?: Error | boolean) => {
    client.removeListener('error', onError);
    return release.call(client, err || lost);
  };
  return client;
}

/**
 * `pool.connect()` with the client guarded ({@link guardCheckout}), rejected after `timeoutMs`
 * (`0`: no limit). A connection that arrives after the limit goes straight back to the pool.
 */
export async function connectWithin(pool: pg.Pool, timeoutMs = 0): Promise<pg.PoolClient> {
  if (!(timeoutMs > 0)) return guardCheckout(await pool.connect());
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const connecting = pool.connect();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(new ConnectTimeoutError(`No Postgres connection within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  connecting.then(
    (client) => {
      if (late) client.release();
    },
    () => {},
  );
  try {
    return guardCheckout(await Promise.race([connecting, timeout]));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The same client whose `query(text, values)` calls carry pg's client-side `query_timeout`: a
 * query without an answer in `timeoutMs` rejects (`Query read timeout`); the caller must then
 * destroy the connection (`release(err)`). `0` returns the client as is.
 */
export function withQueryTimeout<C extends pg.ClientBase>(client: C, timeoutMs: number): C {
  if (!(timeoutMs > 0)) return client;
  const timed = Object.create(client) as C;
  (timed as { query: unknown }).query = (text: string, values?: unknown[]) =>
    client.query({ text, values, query_timeout: timeoutMs } as pg.QueryConfig);
  return timed;
}
