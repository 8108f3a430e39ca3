import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { EmulatorLogger } from '../logger.js';
import type { EmulatorState } from '../state/state_store.js';
import { GatewayCloseCodes, GatewayOpcodes } from './codes.js';
import { type ConnectionHandler, GatewayConnection } from './connection.js';
import type { GatewayEvent } from './gateway_event.js';
import { identifySchema, requestMembersSchema, resumeSchema } from './gateway_schemas.js';
import { ALL_INTENTS, GatewayIntents, PRIVILEGED_INTENTS } from './intents.js';
import { guildCreatePayloads, memberChunks, readyPayload } from './payloads.js';
import { GatewaySession, type SessionInfo } from './session.js';

/** Options of the {@link GatewayHub}. */
export interface GatewayHubOptions {
  state: EmulatorState;
  logger: EmulatorLogger;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  privilegedIntents: boolean;
  /** How long a disconnected session can still be resumed. */
  sessionTtlMs: number;
  /** Dispatches kept per session for RESUME. */
  replayBufferSize: number;
  /** The `resume_gateway_url` sent in READY. */
  gatewayUrl: () => string;
}

/**
 * Options of `control.disconnectGateway()` / `POST /_emulator/gateway/disconnect`.
 *
 * @example
 * ```ts
 * const options: DisconnectOptions = { code: 4000 }; // resumable: discord.js RESUMEs and gets the missed events
 * emulator.control.disconnectGateway(options);
 * ```
 */
export interface DisconnectOptions {
  /** Close code; defaults to 4000 (resumable). */
  code?: number | undefined;
  /** Only this session; defaults to every connected session. */
  sessionId?: string | undefined;
  /** Also invalidate the sessions so RESUME fails with INVALID_SESSION. Defaults to false. */
  invalidate?: boolean | undefined;
}

const GATEWAY_PATHS = new Set(['/', '/gateway', '/gateway/']);

/** The gateway: accepts WebSocket upgrades, runs IDENTIFY/RESUME, tracks sessions and fans dispatches out. */
export class GatewayHub implements ConnectionHandler {
  readonly #options: GatewayHubOptions;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  readonly #connections = new Set<GatewayConnection>();
  readonly #sessions = new Map<string, GatewaySession>();

  constructor(options: GatewayHubOptions) {
    this.#options = options;
  }

  /** Whether an upgrade request targets the gateway. */
  accepts(request: IncomingMessage): boolean {
    const url = new URL(request.url ?? '/', 'http://localhost');
    return GATEWAY_PATHS.has(url.pathname);
  }

  /** Completes a WebSocket upgrade and starts the gateway protocol on it. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new GatewayConnection(ws, this, {
        heartbeatIntervalMs: this.#options.heartbeatIntervalMs,
        heartbeatTimeoutMs: this.#options.heartbeatTimeoutMs,
        logger: this.#options.logger,
      });
      this.#connections.add(connection);
      connection.start();
      const version = url.searchParams.get('v');
      const encoding = url.searchParams.get('encoding') ?? 'json';
      if (version !== null && version !== '10' && version !== '9') {
        connection.close(GatewayCloseCodes.InvalidAPIVersion);
      } else if (encoding !== 'json') {
        connection.close(GatewayCloseCodes.DecodeError, `Encoding "${encoding}" is not emulated; use json.`);
      }
    });
  }

  /** Sessions, connected or waiting to be resumed. */
  sessions(): SessionInfo[] {
    return [...this.#sessions.values()].filter((s) => s.resumable).map((s) => s.info());
  }

  /** Delivers an event to every session entitled to it; returns how many sessions got it. */
  dispatch(event: GatewayEvent): number {
    const { state } = this.#options;
    let delivered = 0;
    for (const session of this.#sessions.values()) {
      if (!session.resumable) continue;
      if (event.intents !== 0 && (session.intents & event.intents) === 0) continue;
      if (event.guildId !== null) {
        if (!session.receivesGuild(event.guildId)) continue;
        if (!event.anyMember && !state.member(event.guildId, session.userId)) continue;
      }
      const d = event.perSession ? event.perSession(session) : event.d;
      if (d === null) continue;
      session.dispatch(event.t, d);
      delivered += 1;
    }
    if (delivered > 0) this.#options.logger.debug(`gateway -> ${event.t} to ${delivered} session(s)`);
    return delivered;
  }

  /** Force-closes bot sockets (resumable code 4000 by default); returns how many were closed. */
  disconnect(options: DisconnectOptions = {}): number {
    const code = options.code ?? GatewayCloseCodes.UnknownError;
    let closed = 0;
    for (const connection of [...this.#connections]) {
      const session = connection.session;
      if (options.sessionId !== undefined && session?.id !== options.sessionId) continue;
      if (options.invalidate && session) session.invalidate();
      connection.close(code, 'Disconnected by the emulator control API.');
      closed += 1;
    }
    if (options.invalidate) {
      for (const session of [...this.#sessions.values()]) {
        if (options.sessionId !== undefined && session.id !== options.sessionId) continue;
        session.invalidate();
        this.#sessions.delete(session.id);
      }
    }
    return closed;
  }

  /** Closes every socket (1001) and forgets every session. */
  async close(): Promise<void> {
    for (const connection of this.#connections) connection.close(1001, 'Emulator stopping.');
    for (const session of this.#sessions.values()) session.invalidate();
    this.#sessions.clear();
    const deadline = Date.now() + 1000;
    while (this.#connections.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const connection of this.#connections) connection.terminate();
    this.#connections.clear();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  // ---- ConnectionHandler ----

  identify(connection: GatewayConnection, data: unknown): void {
    const { state, privilegedIntents, logger } = this.#options;
    const parsed = identifySchema.safeParse(data);
    if (!parsed.success) {
      connection.close(GatewayCloseCodes.DecodeError);
      return;
    }
    const identify = parsed.data;
    const app = state.application();
    if (identify.token.replace(/^Bot\s+/i, '') !== app.bot_token) {
      connection.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
      return;
    }
    if ((identify.intents & ~ALL_INTENTS) !== 0) {
      connection.close(GatewayCloseCodes.InvalidIntents);
      return;
    }
    if (!privilegedIntents && (identify.intents & PRIVILEGED_INTENTS) !== 0) {
      connection.close(GatewayCloseCodes.DisallowedIntents);
      return;
    }
    const shard = identify.shard;
    if (shard && shard[0] >= shard[1]) {
      connection.close(GatewayCloseCodes.InvalidShard);
      return;
    }
    const session = new GatewaySession({
      id: randomBytes(16).toString('hex'),
      userId: app.id,
      token: app.bot_token,
      intents: identify.intents,
      shard: shard ? [shard[0], shard[1]] : null,
      bufferSize: this.#options.replayBufferSize,
    });
    this.#sessions.set(session.id, session);
    connection.session = session;
    session.attach(connection);
    logger.info(`gateway: bot ${app.id} identified (session ${session.id}, intents ${identify.intents})`);
    session.dispatch('READY', readyPayload(state, session, this.#options.gatewayUrl()));
    if ((session.intents & GatewayIntents.Guilds) !== 0) {
      for (const guild of guildCreatePayloads(state, session)) session.dispatch('GUILD_CREATE', guild);
    }
  }

  resume(connection: GatewayConnection, data: unknown): void {
    const parsed = resumeSchema.safeParse(data);
    if (!parsed.success) {
      connection.close(GatewayCloseCodes.DecodeError);
      return;
    }
    const resume = parsed.data;
    if (resume.token.replace(/^Bot\s+/i, '') !== this.#options.state.application().bot_token) {
      connection.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
      return;
    }
    const session = this.#sessions.get(resume.session_id);
    const frames = session?.resumable ? session.replayAfter(resume.seq ?? 0) : null;
    if (!session || !frames) {
      this.#options.logger.info(`gateway: session ${resume.session_id} cannot be resumed`);
      connection.send(GatewayOpcodes.InvalidSession, false);
      return;
    }
    const previous = session.socket;
    connection.session = session;
    session.attach(connection);
    if (previous) previous.close(GatewayCloseCodes.SessionTimedOut, 'Session resumed on another connection.');
    for (const frame of frames) connection.sendFrame(frame);
    this.#options.logger.info(`gateway: session ${session.id} resumed, replayed ${frames.length} event(s)`);
    session.dispatch('RESUMED', { _trace: ['["wolaro-discord-emulator",{"micros":0}]'] });
  }

  requestGuildMembers(connection: GatewayConnection, session: GatewaySession, data: unknown): void {
    const parsed = requestMembersSchema.safeParse(data);
    if (!parsed.success) {
      connection.close(GatewayCloseCodes.DecodeError);
      return;
    }
    const { state } = this.#options;
    if (!state.member(parsed.data.guild_id, session.userId)) return;
    const fullList = (session.intents & GatewayIntents.GuildMembers) !== 0;
    for (const chunk of memberChunks(state, parsed.data, fullList))
      session.dispatch('GUILD_MEMBERS_CHUNK', chunk);
  }

  socketClosed(connection: GatewayConnection): void {
    this.#connections.delete(connection);
  }

  detached(connection: GatewayConnection, code: number, byServer: boolean): void {
    const session = connection.session;
    if (!session || session.socket !== connection) return;
    const clientEnded = !byServer && (code === 1000 || code === 1001);
    const timedOut = byServer && code === GatewayCloseCodes.SessionTimedOut;
    if (clientEnded || timedOut) {
      session.invalidate();
      this.#sessions.delete(session.id);
      this.#options.logger.debug(`gateway: session ${session.id} ended (${code})`);
      return;
    }
    session.detach(connection, this.#options.sessionTtlMs, () => {
      session.invalidate();
      this.#sessions.delete(session.id);
    });
    this.#options.logger.debug(`gateway: session ${session.id} detached (${code}), resumable`);
  }
}
