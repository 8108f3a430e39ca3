/**
 * The client side of the panel API in a chaos run: one keep-alive undici pool per API node, requests
 * spread round-robin over the nodes like a load balancer would. A connection that cannot even be
 * opened (the node is down) is tried on the next node, as a balancer's health check would route
 * it; a request that was sent and then cut is not retried (its outcome is unknown to the caller).
 */
import { performance } from 'node:perf_hooks';
import { Pool, errors as undiciErrors } from 'undici';

/** How a request ended, from the caller's side. */
export type Outcome =
  | { kind: 'status'; status: number; body: unknown; retryAfterS: number | undefined }
  | { kind: 'timeout' }
  | { kind: 'network'; code: string };

/** One answered (or not) request. */
export interface Exchange {
  outcome: Outcome;
  node: number;
  sentAt: number;
  doneAt: number;
  /** Nodes tried before this one because they refused the connection. */
  rerouted: number;
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  if (typeof e.code === 'string') return e.code;
  if (typeof e.cause?.code === 'string') return e.cause.code;
  return (err as Error).name ?? 'error';
}

/** Round-robin HTTP over the API nodes. */
export class ApiClient {
  readonly #pools: Pool[];
  #next = 0;

  constructor(
    readonly urls: readonly string[],
    readonly timeoutMs: number,
    connections = 32,
  ) {
    this.#pools = urls.map((url) => new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 30_000 }));
  }

  /** The node the next round-robin request goes to. */
  pick(): number {
    const node = this.#next % this.urls.length;
    this.#next++;
    return node;
  }

  /** A JSON request to `node` (rerouted to the next nodes while the connection is refused). */
  async request(
    node: number,
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<Exchange> {
    const sentAt = performance.now();
    let rerouted = 0;
    let at = node;
    for (;;) {
      const outcome = await this.#once(at, method, path, token, body);
      const refused = outcome.kind === 'network' && outcome.code === 'ECONNREFUSED';
      if (!refused || rerouted >= this.urls.length - 1) {
        return { outcome, node: at, sentAt, doneAt: performance.now(), rerouted };
      }
      rerouted++;
      at = (at + 1) % this.urls.length;
    }
  }

  async #once(node: number, method: string, path: string, token: string, body: unknown): Promise<Outcome> {
    try {
      const res = await this.#pools[node]!.request({
        path,
        method: method as 'GET',
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // From the send, queueing in the pool included: the caller's patience.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.body.text();
      let json: unknown = text;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON
      }
      const retry = res.headers['retry-after'];
      const retryAfterS =
        typeof retry === 'string' && Number.isFinite(Number(retry)) ? Number(retry) : undefined;
      return { kind: 'status', status: res.statusCode, body: json, retryAfterS };
    } catch (err) {
      if ((err as Error).name === 'TimeoutError' || err instanceof undiciErrors.RequestAbortedError) {
        return { kind: 'timeout' };
      }
      return { kind: 'network', code: errorCode(err) };
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#pools.map((p) => p.destroy().catch(() => {})));
  }
}
