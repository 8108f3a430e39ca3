import { afterEach } from 'vitest';

/** Something a test opened and must close. */
export interface Closable {
  close(): Promise<unknown> | unknown;
}

/**
 * Closes, after each test of the file (last opened first), everything passed to the returned
 * `track`, which returns its argument.
 */
export function closeAfterEach(): <T extends Closable>(c: T) => T {
  const open: Closable[] = [];
  afterEach(async () => {
    for (const c of open.splice(0).reverse()) await c.close();
  });
  return (c) => {
    open.push(c);
    return c;
  };
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];

/** Runs the cleanups registered with {@link defer} after each test of the calling file, last registered first. */
export function useCleanup(): void {
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
}

/** Registers a cleanup for the current test (run by {@link useCleanup}). */
export function defer(fn: () => Promise<unknown> | unknown): void {
  cleanups.push(fn);
}
