import type pg from 'pg';

/**
 * `client.connect()`, also settled when the connection ends first: pg never settles `connect()`
 * when `end()` is called while it is connecting (as a `close()` during `start()` or `connect()`
 * does), which would leave the caller waiting forever.
 */
export function connected(client: pg.Client): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onEnd = () => reject(new Error('connection ended while connecting'));
    client.once('end', onEnd);
    client
      .connect()
      .finally(() => client.off('end', onEnd))
      .then(() => resolve(), reject);
  });
}
