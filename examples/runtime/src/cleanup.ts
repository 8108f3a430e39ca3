/**
 * One cleanup stack for an app's start-up: each resource registers how to close it as soon as it
 * exists, and `close()` undoes them last-first, whether start-up failed halfway or the app stops.
 */
import type { Logger } from '@wolaro/sync';

/**
 * Closers run last-registered first; a failing one is logged and the rest still run. `close()` is
 * idempotent: every call returns the same promise.
 *
 * @example
 * ```ts
 * const stack = new CleanupStack(logger);
 * const db = stack.use(await createDatabase(options), (d) => d.close());
 * await stack.close();
 * ```
 */
export class CleanupStack {
  readonly #closers: (() => unknown)[] = [];
  readonly #logger: Logger | undefined;
  #closing: Promise<void> | undefined;

  constructor(logger?: Logger) {
    this.#logger = logger;
  }

  /** Registers a closer. */
  defer(closer: () => unknown): void {
    this.#closers.push(closer);
  }

  /** Registers `close(resource)` and returns the resource. */
  use<T>(resource: T, close: (resource: T) => unknown): T {
    this.#closers.push(() => close(resource));
    return resource;
  }

  /** Runs every closer, last first. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const closer of this.#closers.splice(0).reverse()) {
        try {
          await closer();
        } catch (err) {
          this.#logger?.warn({ err }, 'Shutdown step failed');
        }
      }
    })();
    return this.#closing;
  }

  /** Runs `start`; if it throws, closes what was registered so far and rethrows. */
  async build<T>(start: (stack: this) => Promise<T>): Promise<T> {
    try {
      return await start(this);
    } catch (err) {
      await this.close();
      throw err;
    }
  }
}
