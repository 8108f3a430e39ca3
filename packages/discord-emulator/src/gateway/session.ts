/** One dispatch as sent on the wire. */
export interface DispatchFrame {
  op: 0;
  s: number;
  t: string;
  d: unknown;
}

/** What a session needs from the socket it is attached to. */
export interface SessionSocket {
  sendFrame(frame: DispatchFrame): void;
  close(code: number, reason: string): void;
}

/**
 * A gateway session as the control API shows it (`connectedBots` in `GET /_emulator/state`).
 *
 * @example
 * ```ts
 * const [session]: SessionInfo[] = emulator.control.sessions();
 * session?.connected; // true while the bot's socket is open
 * ```
 */
export interface SessionInfo {
  sessionId: string;
  userId: string;
  intents: number;
  shard: [number, number] | null;
  connected: boolean;
  resumable: boolean;
  seq: number;
}

/** Options of a new {@link GatewaySession}. */
export interface GatewaySessionOptions {
  id: string;
  userId: string;
  token: string;
  intents: number;
  shard: [number, number] | null;
  /** Dispatches kept for RESUME replay. */
  bufferSize: number;
}

/**
 * A gateway session: sequence numbers, the replay buffer for RESUME, and the socket it is currently attached to
 * (none while the bot is reconnecting; dispatches are buffered meanwhile).
 */
export class GatewaySession {
  readonly id: string;
  readonly userId: string;
  readonly token: string;
  readonly intents: number;
  readonly shard: [number, number] | null;
  readonly #bufferSize: number;
  #seq = 0;
  #buffer: DispatchFrame[] = [];
  #socket: SessionSocket | null = null;
  #invalid = false;
  #expiry: NodeJS.Timeout | null = null;

  constructor(options: GatewaySessionOptions) {
    this.id = options.id;
    this.userId = options.userId;
    this.token = options.token;
    this.intents = options.intents;
    this.shard = options.shard;
    this.#bufferSize = options.bufferSize;
  }

  /** Last sequence number used. */
  get seq(): number {
    return this.#seq;
  }

  /** Whether a socket is attached. */
  get connected(): boolean {
    return this.#socket !== null;
  }

  /** Whether RESUME is still possible. */
  get resumable(): boolean {
    return !this.#invalid;
  }

  /** Whether this session's shard receives events of a guild (`(guild_id >> 22) % num_shards == shard_id`). */
  receivesGuild(guildId: string): boolean {
    if (!this.shard) return true;
    const [shardId, count] = this.shard;
    return Number((BigInt(guildId) >> 22n) % BigInt(count)) === shardId;
  }

  /** Sequences a dispatch, buffers it and sends it when a socket is attached. */
  dispatch(t: string, d: unknown): void {
    if (this.#invalid) return;
    this.#seq += 1;
    const frame: DispatchFrame = { op: 0, s: this.#seq, t, d };
    this.#buffer.push(frame);
    if (this.#buffer.length > this.#bufferSize) this.#buffer.shift();
    this.#socket?.sendFrame(frame);
  }

  /** Attaches a socket (after IDENTIFY or RESUME). */
  attach(socket: SessionSocket): void {
    this.#clearExpiry();
    this.#socket = socket;
  }

  /** Detaches the socket; the session stays resumable until `expire` runs after `ttlMs`. */
  detach(socket: SessionSocket, ttlMs: number, expire: () => void): void {
    if (this.#socket !== socket) return;
    this.#socket = null;
    this.#clearExpiry();
    this.#expiry = setTimeout(expire, ttlMs);
    this.#expiry.unref();
  }

  /** Current socket, if any. */
  get socket(): SessionSocket | null {
    return this.#socket;
  }

  /**
   * The buffered dispatches after `seq`, or null when they are no longer all buffered (or `seq` is in the future).
   */
  replayAfter(seq: number): DispatchFrame[] | null {
    if (seq > this.#seq) return null;
    const first = this.#buffer[0];
    if (first && seq < first.s - 1) return null;
    if (!first && seq < this.#seq) return null;
    return this.#buffer.filter((frame) => frame.s > seq);
  }

  /** Marks the session as not resumable and detaches it. */
  invalidate(): void {
    this.#invalid = true;
    this.#socket = null;
    this.#buffer = [];
    this.#clearExpiry();
  }

  /** Public view. */
  info(): SessionInfo {
    return {
      sessionId: this.id,
      userId: this.userId,
      intents: this.intents,
      shard: this.shard ? [this.shard[0], this.shard[1]] : null,
      connected: this.connected,
      resumable: this.resumable,
      seq: this.#seq,
    };
  }

  #clearExpiry(): void {
    if (this.#expiry) clearTimeout(this.#expiry);
    this.#expiry = null;
  }
}
