import type { RawData, WebSocket } from 'ws';
import type { EmulatorLogger } from '../logger.js';
import { CLOSE_REASONS, GatewayCloseCodes, GatewayOpcodes } from './codes.js';
import { envelopeSchema } from './gateway_schemas.js';
import type { DispatchFrame, GatewaySession, SessionSocket } from './session.js';

const MAX_PAYLOAD_BYTES = 4096;
const SEND_LIMIT = 120;
const SEND_WINDOW_MS = 60_000;

/** What a connection delegates to the hub once the socket protocol is handled. */
export interface ConnectionHandler {
  identify(connection: GatewayConnection, data: unknown): void;
  resume(connection: GatewayConnection, data: unknown): void;
  requestGuildMembers(connection: GatewayConnection, session: GatewaySession, data: unknown): void;
  /**
   * The connection is done with its session: called once, as soon as the emulator starts closing the socket
   * (`byServer`, with the code it sent) or when the client closed it (with the client's code).
   */
  detached(connection: GatewayConnection, code: number, byServer: boolean): void;
  /** The socket is fully closed. */
  socketClosed(connection: GatewayConnection): void;
}

/** Options of a {@link GatewayConnection}. */
export interface GatewayConnectionOptions {
  heartbeatIntervalMs: number;
  /** How long without a heartbeat before the socket is closed with 4009. */
  heartbeatTimeoutMs: number;
  logger: EmulatorLogger;
}

/**
 * One gateway WebSocket: HELLO, heartbeats and their deadline, payload decoding, opcode routing and the send
 * rate limit. Session logic lives in the hub.
 */
export class GatewayConnection implements SessionSocket {
  readonly #ws: WebSocket;
  readonly #handler: ConnectionHandler;
  readonly #options: GatewayConnectionOptions;
  #session: GatewaySession | null = null;
  #heartbeatTimer: NodeJS.Timeout | null = null;
  #closing = false;
  #detached = false;
  #sent = 0;
  #windowStart = Date.now();

  constructor(ws: WebSocket, handler: ConnectionHandler, options: GatewayConnectionOptions) {
    this.#ws = ws;
    this.#handler = handler;
    this.#options = options;
  }

  /** The session attached through IDENTIFY or RESUME. */
  get session(): GatewaySession | null {
    return this.#session;
  }

  set session(session: GatewaySession | null) {
    this.#session = session;
  }

  /** Whether the socket is closed or closing. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Sends HELLO and starts listening. */
  start(): void {
    this.#ws.on('message', (raw, isBinary) => this.#onMessage(raw, isBinary));
    this.#ws.on('close', (code) => this.#onClose(code));
    this.#ws.on('error', (error) => this.#options.logger.debug(`gateway socket error: ${error.message}`));
    this.send(GatewayOpcodes.Hello, { heartbeat_interval: this.#options.heartbeatIntervalMs });
    this.#armHeartbeatDeadline();
  }

  /** Sends a non-dispatch payload. */
  send(op: number, d: unknown): void {
    this.#write({ op, d, s: null, t: null });
  }

  /** Sends a sequenced dispatch. */
  sendFrame(frame: DispatchFrame): void {
    this.#write(frame);
  }

  /** Closes the socket with a gateway close code. */
  close(code: number, reason: string = CLOSE_REASONS[code] ?? ''): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#clearHeartbeatDeadline();
    this.#detach(code, true);
    this.#options.logger.debug(`gateway close ${code} ${reason}`);
    if (this.#ws.readyState === this.#ws.OPEN || this.#ws.readyState === this.#ws.CONNECTING) {
      this.#ws.close(code, reason);
      // Don't wait forever for a peer that never answers the close frame.
      setTimeout(() => this.#ws.terminate(), 1000).unref();
    }
  }

  /** Drops the TCP connection without a close frame. */
  terminate(): void {
    this.#closing = true;
    this.#clearHeartbeatDeadline();
    this.#detach(1006, true);
    this.#ws.terminate();
  }

  #write(payload: object): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(JSON.stringify(payload));
  }

  #onMessage(raw: RawData, isBinary: boolean): void {
    if (this.#closing) return;
    const buffer = Array.isArray(raw)
      ? Buffer.concat(raw)
      : raw instanceof ArrayBuffer
        ? Buffer.from(raw)
        : raw;
    if (isBinary || buffer.length > MAX_PAYLOAD_BYTES) {
      this.close(GatewayCloseCodes.DecodeError);
      return;
    }
    const now = Date.now();
    if (now - this.#windowStart >= SEND_WINDOW_MS) {
      this.#windowStart = now;
      this.#sent = 0;
    }
    this.#sent += 1;
    if (this.#sent > SEND_LIMIT) {
      this.close(GatewayCloseCodes.RateLimited);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(buffer.toString('utf8'));
    } catch {
      this.close(GatewayCloseCodes.DecodeError);
      return;
    }
    const envelope = envelopeSchema.safeParse(json);
    if (!envelope.success) {
      this.close(GatewayCloseCodes.DecodeError);
      return;
    }
    const { op, d } = envelope.data;
    this.#options.logger.debug(`gateway <- op ${op}`);
    switch (op) {
      case GatewayOpcodes.Heartbeat:
        this.#armHeartbeatDeadline();
        this.send(GatewayOpcodes.HeartbeatAck, null);
        return;
      case GatewayOpcodes.Identify:
        if (this.#session) this.close(GatewayCloseCodes.AlreadyAuthenticated);
        else this.#handler.identify(this, d);
        return;
      case GatewayOpcodes.Resume:
        if (this.#session) this.close(GatewayCloseCodes.AlreadyAuthenticated);
        else this.#handler.resume(this, d);
        return;
      case GatewayOpcodes.PresenceUpdate:
      case GatewayOpcodes.VoiceStateUpdate:
      case GatewayOpcodes.RequestSoundboardSounds:
      case GatewayOpcodes.RequestGuildMembers: {
        const session = this.#session;
        if (!session) {
          this.close(GatewayCloseCodes.NotAuthenticated);
          return;
        }
        if (op === GatewayOpcodes.RequestGuildMembers) this.#handler.requestGuildMembers(this, session, d);
        return;
      }
      default:
        this.close(GatewayCloseCodes.UnknownOpcode);
    }
  }

  #onClose(code: number): void {
    this.#closing = true;
    this.#clearHeartbeatDeadline();
    this.#detach(code, false);
    this.#handler.socketClosed(this);
  }

  #detach(code: number, byServer: boolean): void {
    if (this.#detached) return;
    this.#detached = true;
    this.#handler.detached(this, code, byServer);
  }

  #armHeartbeatDeadline(): void {
    this.#clearHeartbeatDeadline();
    this.#heartbeatTimer = setTimeout(() => {
      this.#options.logger.debug('gateway: no heartbeat in time, closing with 4009');
      this.close(GatewayCloseCodes.SessionTimedOut);
    }, this.#options.heartbeatTimeoutMs);
    this.#heartbeatTimer.unref();
  }

  #clearHeartbeatDeadline(): void {
    if (this.#heartbeatTimer) clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = null;
  }
}
