/**
 * The query queue of the embedded Postgres: PGlite (Postgres compiled to WASM) is a single backend
 * session shared by every socket connection of `PGLiteSocketServer`. The stock query queue of
 * pglite-socket interleaves the protocol messages of concurrent connections and ignores the startup
 * `options`. This queue replaces it (the demo's database and the tests' fallback database alike):
 * - gives one connection exclusive use of the session from the first message of a request until its
 *   `ReadyForQuery` reports "idle" (so extended-protocol batches and whole transactions never
 *   interleave, and several processes can share the database safely);
 * - remembers each connection's `search_path` (from the startup `options`/`search_path` parameter or a
 *   later `SET`) and restores it whenever the session switches to that connection;
 * - routes LISTEN/NOTIFY: notifications (which PGlite emits into the output of whichever connection ran
 *   the NOTIFY / pg_notify) are taken out of that stream and delivered to the connections that ran
 *   `LISTEN <channel>`, like a real server does;
 * - on disconnect, finishes a half-sent batch and rolls back an open transaction.
 *
 * Still shared between connections (unlike a real server): temp tables, prepared-statement names,
 * advisory locks, the backend pid, and session settings other than `search_path`. Transactions are
 * fully serialized: a connection that holds a transaction open while waiting for another connection
 * deadlocks.
 */
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** The interface `PGLiteSocketHandler` / `PGLiteSocketServer` use on their (private) query queue. */
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

const PROTOCOL_V3 = 196608;
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);
const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'

function simpleQuery(sql: string): Uint8Array {
  const body = Buffer.from(`${sql}\0`, 'utf8');
  const msg = Buffer.alloc(5 + body.length);
  msg[0] = 0x51; // 'Q'
  msg.writeInt32BE(4 + body.length, 1);
  body.copy(msg, 5);
  return msg;
}

const QUERY = 0x51; // 'Q'
const PARSE = 0x50; // 'P'
const NOTIFICATION = 0x41; // 'A'

/** Channel names a statement list LISTENs to / UNLISTENs from (`*` = all), as Postgres folds them. */
export function listenStatements(sql: string): { listen: string[]; unlisten: string[] } {
  const listen: string[] = [];
  const unlisten: string[] = [];
  const re = /(?:^|;)\s*(unlisten|listen)\s+("(?:[^"]|"")*"|\*|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)/gi;
  for (const match of sql.matchAll(re)) {
    const [, verb = '', ident = ''] = match;
    const name = ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident.toLowerCase();
    (verb.toLowerCase() === 'listen' ? listen : unlisten).push(name);
  }
  return { listen, unlisten };
}

/** The SQL text of a simple Query or a Parse message, `undefined` for other messages. */
function messageSql(message: Uint8Array): string | undefined {
  const buf = Buffer.from(message);
  const nul = (from: number) => {
    const end = buf.indexOf(0, from);
    return end === -1 ? buf.length : end;
  };
  if (message[0] === QUERY) return buf.toString('utf8', 5, nul(5));
  if (message[0] === PARSE) {
    const start = nul(5) + 1; // skip the statement name
    return buf.toString('utf8', start, nul(start));
  }
  return undefined;
}

/**
 * Splits a backend output stream into whole messages, holding back NotificationResponse messages so
 * they can be routed to the listening connections instead of the one that happened to run the query.
 */
class NotificationFilter {
  readonly notifications: { channel: string; message: Buffer }[] = [];
  private pending = Buffer.alloc(0);

  constructor(private readonly forward: (data: Uint8Array) => void) {}

  feed(chunk: Uint8Array): void {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
    let offset = 0;
    let passFrom = 0;
    while (buf.length - offset >= 5) {
      const size = 1 + buf.readInt32BE(offset + 1);
      if (buf.length - offset < size) break;
      if (buf[offset] === NOTIFICATION) {
        if (offset > passFrom) this.forward(buf.subarray(passFrom, offset));
        const message = Buffer.from(buf.subarray(offset, offset + size));
        const channelEnd = message.indexOf(0, 9);
        this.notifications.push({ channel: message.toString('utf8', 9, channelEnd), message });
        passFrom = offset + size;
      }
      offset += size;
    }
    if (offset > passFrom) this.forward(buf.subarray(passFrom, offset));
    this.pending = Buffer.from(buf.subarray(offset));
  }

  /** Forwards an incomplete tail as is (the backend never ends a response mid-message). */
  flush(): void {
    if (this.pending.length) this.forward(this.pending);
    this.pending = Buffer.alloc(0);
  }
}

function isStartup(message: Uint8Array): boolean {
  return message.length >= 8 && Buffer.from(message).readInt32BE(4) === PROTOCOL_V3;
}

/** Extracts `search_path` from a startup message: the parameter itself or `-c search_path=` in `options`. */
export function startupSearchPath(message: Uint8Array): string | undefined {
  const buf = Buffer.from(message);
  const params = new Map<string, string>();
  let i = 8;
  const cstring = () => {
    const end = buf.indexOf(0, i);
    const value = buf.toString('utf8', i, end === -1 ? buf.length : end);
    i = end === -1 ? buf.length : end + 1;
    return value;
  };
  while (i < buf.length && buf[i] !== 0) {
    const key = cstring();
    params.set(key, cstring());
  }
  let searchPath = params.get('search_path');
  // options: space-separated, backslash escapes; `-c name=value`, `-cname=value` or `--name=value`
  const tokens = (params.get('options') ?? '').match(/(?:\\.|[^\s\\])+/g) ?? [];
  const unescaped = tokens.map((t) => t.replace(/\\(.)/g, '$1'));
  for (let t = 0; t < unescaped.length; t++) {
    let setting: string | undefined;
    const token = unescaped[t] ?? '';
    if (token === '-c') setting = unescaped[++t];
    else if (token.startsWith('-c')) setting = token.slice(2);
    else if (token.startsWith('--')) setting = token.slice(2);
    const eq = setting?.indexOf('=') ?? -1;
    if (setting && eq > 0 && setting.slice(0, eq).toLowerCase().replace(/-/g, '_') === 'search_path') {
      searchPath = setting.slice(eq + 1);
    }
  }
  return searchPath;
}

/** Follows backend message framing across chunks to learn the last message and ReadyForQuery status. */
class BackendTracker {
  sawMessage = false;
  lastType: number | undefined;
  lastStatus: number | undefined;
  private header: number[] = [];
  private skip = 0;
  private wantStatus = false;

  feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        if (this.wantStatus) {
          this.lastStatus = chunk[i];
          this.wantStatus = false;
        }
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.header.push(chunk[i] ?? 0);
      i++;
      if (this.header.length === 5) {
        const [type = 0, a = 0, b = 0, c = 0, d = 0] = this.header;
        this.header = [];
        this.sawMessage = true;
        this.lastType = type;
        this.skip = ((a << 24) | (b << 16) | (c << 8) | d) - 4;
        this.wantStatus = type === READY_FOR_QUERY && this.skip > 0;
      }
    }
  }

  /** The output ended with ReadyForQuery(idle): the request is complete and no transaction is open. */
  get idle(): boolean {
    return this.lastType === READY_FOR_QUERY && this.lastStatus === IDLE && this.skip === 0;
  }
}

/** Drop-in replacement for pglite-socket's private QueryQueueManager; see the module comment. */
export class SessionAwareQueue implements QueryQueueLike {
  private queue: Item[] = [];
  private processing = false;
  private closed = false;
  /** Connection that owns the session until its request/transaction completes. */
  private owner: number | null = null;
  /** Connection whose search_path is currently applied. */
  private current: number | null = null;
  private readonly searchPaths = new Map<number, string>();
  /** Channels each connection LISTENs to, and where to write to it outside its own requests. */
  private readonly channels = new Map<number, Set<string>>();
  private readonly sinks = new Map<number, (data: Uint8Array) => void>();
  /** The backend may have stopped listening to channels other connections still want. */
  private relisten = false;

  constructor(
    private readonly db: PGlite,
    private readonly defaultSearchPath: string,
  ) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (this.closed) {
        reject(new Error('PGlite server is stopping'));
        return;
      }
      this.queue.push({ kind: 'message', handlerId, message, onData, resolve, reject });
      void this.run();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((item) => {
      if (item.handlerId !== handlerId || item.kind !== 'message') return true;
      item.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  clearTransactionIfNeeded(handlerId: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.closed) {
        resolve();
        return;
      }
      // Runs before anything else so that an owning connection releases the session promptly.
      this.queue.unshift({ kind: 'cleanup', handlerId, resolve: () => resolve(), reject: () => resolve() });
      void this.run();
    });
  }

  close(): void {
    this.closed = true;
    for (const item of this.queue) item.reject(new Error('PGlite server is stopping'));
    this.queue = [];
  }

  private async run(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const owner = this.owner;
        const index = owner === null ? 0 : this.queue.findIndex((item) => item.handlerId === owner);
        if (index === -1) break; // wait for the owner's next message
        const [item] = this.queue.splice(index, 1);
        if (!item) break;
        try {
          item.resolve(
            item.kind === 'cleanup' ? await this.cleanup(item.handlerId) : await this.execute(item),
          );
        } catch (err) {
          item.reject(err);
        }
      }
    } finally {
      this.processing = false;
    }
  }

  private raw(message: Uint8Array, onData: (data: Uint8Array) => void): Promise<void> {
    return this.db.runExclusive(() => this.db.execProtocolRawStream(message, { onRawData: onData }));
  }

  /** Makes `handlerId`'s search_path the session's, saving the previous connection's. */
  private async activate(handlerId: number): Promise<void> {
    if (this.current === handlerId) return;
    const result = await this.db.query<{ sp: string }>(`select current_setting('search_path') as sp`);
    const applied = result.rows[0]?.sp ?? this.defaultSearchPath;
    if (this.current !== null && this.searchPaths.has(this.current))
      this.searchPaths.set(this.current, applied);
    const wanted = this.searchPaths.get(handlerId) ?? this.defaultSearchPath;
    if (wanted !== applied) await this.db.query(`select set_config('search_path', $1, false)`, [wanted]);
    this.current = handlerId;
  }

  private async execute(item: Extract<Item, { kind: 'message' }>): Promise<number> {
    const { handlerId, message } = item;
    if (isStartup(message))
      this.searchPaths.set(handlerId, startupSearchPath(message) ?? this.defaultSearchPath);
    if (this.owner === null) await this.activate(handlerId);
    this.sinks.set(handlerId, item.onData);
    const tracker = new BackendTracker();
    const filter = new NotificationFilter(item.onData);
    let bytes = 0;
    this.owner = handlerId;
    await this.raw(message, (data) => {
      bytes += data.length;
      tracker.feed(data);
      filter.feed(data);
    });
    filter.flush();
    const terminated = !isStartup(message) && message[0] === TERMINATE;
    if (tracker.sawMessage ? tracker.idle : terminated) this.owner = null;

    const sql = isStartup(message) ? undefined : messageSql(message);
    if (sql !== undefined && /listen/i.test(sql)) this.trackListen(handlerId, sql);
    for (const { channel, message: notification } of filter.notifications) {
      for (const [listener, channels] of this.channels) {
        if (channels.has(channel)) this.sinks.get(listener)?.(notification);
      }
    }
    if (this.relisten && this.owner === null) await this.restoreListens();
    return bytes;
  }

  private trackListen(handlerId: number, sql: string): void {
    const { listen, unlisten } = listenStatements(sql);
    let channels = this.channels.get(handlerId);
    if (!channels) {
      channels = new Set();
      this.channels.set(handlerId, channels);
    }
    for (const channel of listen) channels.add(channel);
    for (const channel of unlisten) {
      if (channel === '*') channels.clear();
      else channels.delete(channel);
    }
    // UNLISTEN acts on the one shared backend: other connections may need their channels back.
    if (unlisten.length > 0) this.relisten = true;
  }

  private async restoreListens(): Promise<void> {
    this.relisten = false;
    const wanted = new Set([...this.channels.values()].flatMap((set) => [...set]));
    if (wanted.size === 0) return;
    const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
    await this.db.exec([...wanted].map((channel) => `LISTEN ${quote(channel)}`).join('; '));
  }

  private async cleanup(handlerId: number): Promise<number> {
    try {
      if (this.owner === handlerId) {
        const afterSync = new BackendTracker();
        await this.raw(SYNC, (data) => afterSync.feed(data));
        if (!afterSync.idle) await this.raw(simpleQuery('ROLLBACK'), () => {});
      }
    } finally {
      if (this.owner === handlerId) this.owner = null;
      this.searchPaths.delete(handlerId);
      this.channels.delete(handlerId);
      this.sinks.delete(handlerId);
      if (this.current === handlerId) this.current = null;
    }
    return 0;
  }
}

/** A PGlite database served over TCP on 127.0.0.1 with {@link SessionAwareQueue}. */
export interface ServedPglite {
  readonly server: PGLiteSocketServer;
  readonly queue: SessionAwareQueue;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** Stops listening, drops connections and closes the queue (not the database). */
  stop(): Promise<void>;
}

/**
 * Serves `db` on `port` (0 = any free port) of 127.0.0.1 with the session-aware queue.
 *
 * @throws Error when pglite-socket's internals changed and the queue cannot be installed
 */
export async function servePglite(
  db: PGlite,
  options: { port?: number; maxConnections?: number } = {},
): Promise<ServedPglite> {
  const defaultSearchPath =
    (await db.query<{ sp: string }>(`select current_setting('search_path') as sp`)).rows[0]?.sp ?? 'public';
  const server = new PGLiteSocketServer({
    db,
    port: options.port ?? 0,
    host: '127.0.0.1',
    maxConnections: options.maxConnections ?? 100,
  });
  const internals = server as unknown as { queryQueue: QueryQueueLike };
  if (typeof internals.queryQueue?.enqueue !== 'function') {
    throw new Error('@electric-sql/pglite-socket internals changed: PGLiteSocketServer.queryQueue not found');
  }
  const queue = new SessionAwareQueue(db, defaultSearchPath);
  internals.queryQueue = queue;
  await server.start();
  const conn = server.getServerConn();
  const port = Number(conn.slice(conn.lastIndexOf(':') + 1));
  return {
    server,
    queue,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await server.stop().catch(() => {});
      queue.close();
    },
  };
}
