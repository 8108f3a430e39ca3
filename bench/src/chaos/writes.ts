/**
 * The write load: `PATCH /api/panel/guilds/:id` at a fixed rate, round-robin over the guilds, the
 * API nodes and each guild's two managers. Every write sets a unique `logChannelId` (and a
 * language), so the database can later be asked whether exactly that write is there.
 *
 * 429s are counted on their own (neither errors nor lost writes). With `respectRetryAfter`, a
 * guild's writes are held after a 429 until its `Retry-After` passed, and with `guildWriteCap` the
 * driver never sends one guild more than that many writes per second; writes held back either way
 * are counted as `deferred` (not sent).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient, Exchange } from './http.js';
import { type OpenLoop, openLoop } from './loop.js';

const LANGUAGES = ['en', 'fr', 'de', 'es', 'it', 'nl', 'pt'] as const;
/** First `logChannelId` marker (a snowflake-shaped number); each write adds its sequence number. */
const MARKER_BASE = 100_000_000_000_000_000n;

/** The guilds as the drivers see them. */
export interface LoadGuild {
  guildId: string;
  channelId: string;
  /** The owner's and the admin's panel tokens. */
  tokens: readonly [string, string];
  ownerId: string;
  /** Members who run commands. */
  memberIds: readonly string[];
}

/** One write and how it ended. */
export interface WriteRecord extends Exchange {
  guild: number;
  /** The `logChannelId` this write set. */
  marker: string;
  language: string;
  /** The version a 2xx answered. */
  version: number | undefined;
}

/** Status of an exchange as a table key: `200`, `503`, `timeout`, `net:ECONNRESET`, ... */
export function statusKey(e: Exchange): string {
  const o = e.outcome;
  if (o.kind === 'status') return String(o.status);
  if (o.kind === 'timeout') return 'timeout';
  return `net:${o.code}`;
}

/** Drives the writes; one per run, {@link WriteDriver.start} / {@link WriteDriver.stop} per round. */
export class WriteDriver {
  records: WriteRecord[] = [];
  deferred = 0;
  #seq = 0;
  #inflight = 0;
  #loop: OpenLoop | undefined;
  readonly #heldUntil: number[];
  readonly #lastSent: number[];

  constructor(
    readonly http: ApiClient,
    readonly guilds: readonly LoadGuild[],
    readonly options: { rate: number; guildWriteCap: number; respectRetryAfter: boolean },
  ) {
    this.#heldUntil = guilds.map(() => 0);
    this.#lastSent = guilds.map(() => Number.NEGATIVE_INFINITY);
  }

  /** Starts a round: new records, the load running. */
  start(): void {
    this.records = [];
    this.deferred = 0;
    this.#loop = openLoop(this.options.rate, (i) => this.#fire(i));
  }

  /** Stops the load and waits (at most `maxMs`) for the writes in flight. */
  async stop(maxMs: number): Promise<void> {
    this.#loop?.stop();
    const deadline = performance.now() + maxMs;
    while (this.#inflight > 0 && performance.now() < deadline) await sleep(20);
  }

  get inflight(): number {
    return this.#inflight;
  }

  #fire(i: number): void {
    const g = i % this.guilds.length;
    const now = performance.now();
    const cap = this.options.guildWriteCap;
    if (now < this.#heldUntil[g]! || (cap > 0 && now - this.#lastSent[g]! < 1000 / cap)) {
      this.deferred++;
      return;
    }
    this.#lastSent[g] = now;
    const seq = this.#seq++;
    const guild = this.guilds[g]!;
    const marker = String(MARKER_BASE + BigInt(seq));
    const language = LANGUAGES[seq % LANGUAGES.length]!;
    const token = guild.tokens[Math.floor(i / this.guilds.length) % 2]!;
    const body = { settings: { language, logChannelId: marker } };
    const records = this.records;
    this.#inflight++;
    this.http
      .request(this.http.pick(), 'PATCH', `/api/panel/guilds/${guild.guildId}`, token, body)
      .then((exchange) => {
        const o = exchange.outcome;
        const ok = o.kind === 'status' && o.status >= 200 && o.status < 300;
        const version = ok ? (o.body as { version?: unknown }).version : undefined;
        records.push({
          ...exchange,
          guild: g,
          marker,
          language,
          version: typeof version === 'number' ? version : undefined,
        });
        if (o.kind === 'status' && o.status === 429 && this.options.respectRetryAfter) {
          this.#heldUntil[g] = performance.now() + (o.retryAfterS ?? 1) * 1000;
        }
      })
      .finally(() => this.#inflight--);
  }
}
