/** Outcome of {@link guardedCall}. */
export type Guarded<T> = { ok: true; value: T } | { ok: false; error: Error };

/**
 * Runs an app callback (`verifyToken`, `authorize`, `listGuilds`) so that nothing it does can
 * hurt the gateway: a synchronous throw, a rejection and a result later than `timeoutMs` all come
 * back as `{ ok: false, error }`. Never rejects.
 */
export function guardedCall<T>(
  call: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<Guarded<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, error: new Error(`${what} timed out after ${timeoutMs} ms`) }),
      timeoutMs,
    );
    timer.unref?.();
    const done = (result: Guarded<T>) => {
      clearTimeout(timer);
      resolve(result);
    };
    try {
      Promise.resolve(call()).then(
        (value) => done({ ok: true, value }),
        (err: unknown) => done({ ok: false, error: err instanceof Error ? err : new Error(String(err)) }),
      );
    } catch (err) {
      done({ ok: false, error: err instanceof Error ? err : new Error(String(err)) });
    }
  });
}
