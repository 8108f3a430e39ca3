/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds (default 5000). */
  timeoutMs?: number;
  /** Pause between two attempts in milliseconds (default 25). */
  intervalMs?: number;
  /** Describes what is awaited; used in the timeout error (default: the predicate's source). */
  message?: string;
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @param ms - delay in milliseconds
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `predicate` until it returns a truthy value (or a promise of one) and resolves with that value.
 *
 * A predicate that throws counts as "not yet"; the last error is attached to the timeout error as its
 * `cause` and quoted in its message. Attempts never overlap: the next one starts `intervalMs` after the
 * previous one settled.
 *
 * @example
 * ```ts
 * await waitFor(() => logger.has('Redis down, using memory cache'), { timeoutMs: 2000 });
 * const row = await waitFor(async () => (await pool.query('select * from outbox')).rows[0]);
 * ```
 * @param predicate - returns a truthy value once the awaited condition holds
 * @param options - timeout, poll interval and a description for the error message
 * @returns the first truthy value returned by `predicate`
 * @throws Error `waitFor: timed out after <n> ms waiting for <message>` when the condition never held
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 25;
  const what = options.message ?? describe(predicate);
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    attempts++;
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
      lastValue = value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
  const detail =
    lastError !== undefined
      ? `; last attempt threw: ${lastError instanceof Error ? lastError.message : String(lastError)}`
      : `; last value: ${String(lastValue)}`;
  throw new Error(
    `waitFor: timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${what}${detail}`,
    {
      cause: lastError,
    },
  );
}

function describe(fn: () => unknown): string {
  const source = fn.toString().replace(/\s+/g, ' ').trim();
  return source.length > 120 ? `${source.slice(0, 117)}...` : source;
}
