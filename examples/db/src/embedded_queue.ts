import type { PGlite } from '@electric-sql/pglite';

/** What `PGLiteSocketServer` calls on its (private) query queue. */
export interface QueryQueueLike {
  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number>;
  getQueueLength(): number;
  clearQueueForHandler(handlerId: number): void;
  clearTransactionIfNeeded(handlerId: number): Promise<void>;
}

type Item =
  | {
      kind: 'message';
      handlerId: number;
      message: Uint8Array;
      onData: (data: Uint8Array) => void;
      resolve: (bytes: number) => void;
      reject: (err: unknown) => void;
    }
  | { kind: 'cleanup'; handlerId: number; resolve: (bytes: number) => void; reject: (err: unknown) => void };

const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'
const TERMINATE = 0x58; // 'X'
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);
const ROLLBACK = (() => {
  const body = Buffer.from('ROLLBACK\0', 'utf8');
  const msg = Buffer.alloc(5 + body.length);
  msg[0] = 0x51; // 'Q'
  msg.writeInt32BE(4 + body.length, 1);
  body.copy(msg, 5);
  return msg;
})();

/** Follows the backend's message framing across chunks to see whether a response ended idle. */
class BackendTracker {
  sawMessage = false;
  #lastType: number | undefined;
  #lastStatus: number | undefined;
  #header: number[] = [];
  #skip = 0;
  #wantStatus = false;

  feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#skip > 0) {
        if (this.#wantStatus) {
          this.#lastStatus = chunk[i];
          this.#wantStatus = false;
        }
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
        continue;
      }
      this.#header.push(chunk[i] ?? 0);
      i++;
      if (this.#header.length === 5) {
        const [type = 0, a = 0, b = 0, c = 0, d = 0] = this.#header;
        this.#header = [];
        this.sawMessage = true;
        this.#lastType = type;
        this.#skip = ((a << 24) | (b << 16) | (c << 8) | d) - 4;
        this.#wantStatus = type === READY_FOR_QUERY && this.#skip > 0;
      }
    }
  }

  /** The response ended with ReadyForQuery(idle): the request is complete and no transaction is open. */
  get idle(): boolean {
    return this.#lastType === READY_FOR_QUERY && this.#lastStatus === IDLE && this.#skip === 0;
  }
}

/**
 * A replacement for pglite-socket's query queue that gives one connection the (single) PGlite
 * session from the first message of a request until the backend reports ReadyForQuery(idle).
 *
 * The stock queue runs messages of different connections interleaved outside transactions, so
 * two `pg` clients sending Parse/Bind/Execute at the same time can bind each other's unnamed
 * statements. With this queue every request (and every transaction) runs whole, so several
 * processes (the API, `npm run token`, a bot) can share the embedded database safely. The same
 * approach as the repository's test harness (test/setup/pglite-server.ts), minus its search_path
 * and NOTIFY routing, which the app does not need.
 */
export class ExclusiveQueryQueue implements QueryQueueLike {
  readonly #db: PGlite;
  #queue: Item[] = [];
  #processing = false;
  #closed = false;
  #owner: number | null = null;

  constructor(db: PGlite) {
    this.#db = db;
  }

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (this.#closed) {
        reject(new Error('Embedded Postgres is stopping'));
        return;
      }
      this.#queue.push({ kind: 'message', handlerId, message, onData, resolve, reject });
      void this.#run();
    });
  }

  getQueueLength(): number {
    return this.#queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.#queue = this.#queue.filter((item) => {
      if (item.handlerId !== handlerId || item.kind !== 'message') return true;
      item.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  clearTransactionIfNeeded(handlerId: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#closed) {
        resolve();
        return;
      }
      // First in line, so a connection that dies mid-transaction releases the session at once.
      this.#queue.unshift({ kind: 'cleanup', handlerId, resolve: () => resolve(), reject: () => resolve() });
      void this.#run();
    });
  }

  close(): void {
    this.#closed = true;
    for (const item of this.#queue) item.reject(new Error('Embedded Postgres is stopping'));
    this.#queue = [];
  }

  async #run(): Promise<void> {
    if (this.#processing) return;
    this.#processing = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const owner = this.#owner;
        const index = owner === null ? 0 : this.#queue.findIndex((item) => item.handlerId === owner);
        if (index === -1) break; // the owner's next message is not here yet
        const [item] = this.#queue.splice(index, 1);
        if (!item) break;
        try {
          item.resolve(
            item.kind === 'cleanup' ? await this.#cleanup(item.handlerId) : await this.#execute(item),
          );
        } catch (err) {
          item.reject(err);
        }
      }
    } finally {
      this.#processing = false;
    }
  }

  #raw(message: Uint8Array, onData: (data: Uint8Array) => void): Promise<void> {
    return this.#db.runExclusive(() => this.#db.execProtocolRawStream(message, { onRawData: onData }));
  }

  async #execute(item: Extract<Item, { kind: 'message' }>): Promise<number> {
    const tracker = new BackendTracker();
    let bytes = 0;
    this.#owner = item.handlerId;
    await this.#raw(item.message, (data) => {
      bytes += data.length;
      tracker.feed(data);
      item.onData(data);
    });
    if (tracker.sawMessage ? tracker.idle : item.message[0] === TERMINATE) this.#owner = null;
    return bytes;
  }

  async #cleanup(handlerId: number): Promise<number> {
    try {
      if (this.#owner === handlerId) {
        const afterSync = new BackendTracker();
        await this.#raw(SYNC, (data) => afterSync.feed(data));
        if (!afterSync.idle) await this.#raw(ROLLBACK, () => {});
      }
    } finally {
      if (this.#owner === handlerId) this.#owner = null;
    }
    return 0;
  }
}
