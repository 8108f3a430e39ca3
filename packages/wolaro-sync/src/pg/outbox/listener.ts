import pg from 'pg';
import { toError } from '../../internal/to_error.js';
import type { Logger } from '../../logger.js';
import { connected } from '../connected.js';
import { OUTBOX_NOTIFY_CHANNEL } from './sql.js';

/** Options of {@link OutboxListener}. */
export interface OutboxListenerOptions {
  pool: pg.Pool;
  /** Schema of the relay's table: notifications naming another schema are ignored. */
  schema: string;
  /** Called on every relevant notification, and after each reconnect (to catch up). */
  onNotify: () => void;
  logger: Logger;
  /** Longest wait for the connection to open when the pool sets none (`0`: none). */
  connectTimeoutMs?: number;
}

const MAX_RECONNECT_DELAY_MS = 5000;

/**
 * A dedicated connection that LISTENs on `sync_outbox` and reconnects with back-off. Not taken
 * from the pool, so it never holds one of the application's connections.
 */
export class OutboxListener {
  readonly #options: OutboxListenerOptions;
  #client: pg.Client | undefined;
  #ready = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;

  constructor(options: OutboxListenerOptions) {
    this.#options = options;
  }

  /** Whether the LISTEN is live. */
  get listening(): boolean {
    return this.#ready;
  }

  /** Opens the connection; on failure keeps retrying in the background and rejects. */
  async start(): Promise<void> {
    try {
      await this.#open();
    } catch (err) {
      this.#schedule();
      throw err;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    this.#ready = false;
    if (client) await client.end().catch(() => {});
  }

  async #open(): Promise<void> {
    // The pool's own settings (connection string, search_path options, ssl, …) without pool knobs.
    const { max: _max, min: _min, idleTimeoutMillis: _idle, ...config } = this.#options.pool.options;
    const connectionTimeoutMillis = config.connectionTimeoutMillis || this.#options.connectTimeoutMs || 0;
    const client = new pg.Client({ ...config, connectionTimeoutMillis, keepAlive: true });
    client.on('notification', (n) => {
      if (n.channel !== OUTBOX_NOTIFY_CHANNEL) return;
      if (!n.payload || n.payload === this.#options.schema) this.#options.onNotify();
    });
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, new Error('connection ended')));
    this.#client = client;
    try {
      await connected(client);
      await client.query(`LISTEN ${client.escapeIdentifier(OUTBOX_NOTIFY_CHANNEL)}`);
    } catch (err) {
      if (this.#client === client) this.#client = undefined;
      await client.end().catch(() => {});
      if (this.#closed) return; // close() ended it on purpose: nothing to report
      throw err;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#ready = true;
    if (this.#attempt > 0) {
      this.#options.logger.info({}, 'Outbox relay LISTEN connection restored');
      // Inserts committed while the connection was gone sent no notification we could see.
      this.#options.onNotify();
    }
    this.#attempt = 0;
  }

  #lost(client: pg.Client, err: Error): void {
    if (this.#closed || this.#client !== client) return;
    this.#client = undefined;
    this.#ready = false;
    client.end().catch(() => {});
    this.#options.logger.warn(
      { err },
      `Outbox relay LISTEN connection lost, polling until it is back: ${err.message}`,
    );
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed || this.#timer) return;
    const delay = Math.min(100 * 2 ** this.#attempt++, MAX_RECONNECT_DELAY_MS);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#open().catch((err: unknown) => {
        this.#options.logger.debug({ err: toError(err) }, 'Outbox relay LISTEN reconnect failed');
        this.#schedule();
      });
    }, delay);
    this.#timer.unref();
  }
}
