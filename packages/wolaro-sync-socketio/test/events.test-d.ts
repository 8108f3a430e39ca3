import { SyncClient } from '@wolaro/sync';
import type { DefaultEventsMap } from 'socket.io';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { describe, expectTypeOf, it } from 'vitest';
import {
  attachSync,
  type ClientToServerEvents,
  type ForwardedPayload,
  type GuildAck,
  type ServerToClientEvents,
  type SocketData,
  type VerifiedToken,
} from '../src/index.js';

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io('http://localhost:3000', {
  autoConnect: false,
  auth: { token: 'jwt' },
});

describe('typed Socket.io event maps', () => {
  it('types each forwarded event with its channel payload', () => {
    socket.on('config:updated', (e) => {
      expectTypeOf(e.guildId).toEqualTypeOf<string>();
      expectTypeOf(e.settings).toEqualTypeOf<Record<string, unknown>>();
      expectTypeOf(e.version).toEqualTypeOf<number | undefined>();
      expectTypeOf(e.timestamp).toEqualTypeOf<number>();
      expectTypeOf(e).not.toHaveProperty('origin');
    });
    socket.on('module:toggled', (e) => {
      expectTypeOf(e.enabled).toEqualTypeOf<boolean>();
      expectTypeOf(e.module).toEqualTypeOf<string>();
    });
    socket.on('guild:reload', (e) => expectTypeOf(e.reason).toEqualTypeOf<string | undefined>());
    socket.on('permission:revoked', (e) => {
      expectTypeOf(e.userId).toEqualTypeOf<string>();
      expectTypeOf(e.reason).toEqualTypeOf<string>();
    });
    socket.on('command:executed', (e) =>
      expectTypeOf(e.result).toEqualTypeOf<'success' | 'error' | 'denied'>(),
    );
    socket.on('session:expired', (e) => expectTypeOf(e.expiresAt).toEqualTypeOf<number>());
    expectTypeOf<ForwardedPayload<'config:update'>['settings']>().toEqualTypeOf<Record<string, unknown>>();
  });

  it('rejects a handler with the wrong payload type, or an unknown event', () => {
    // @ts-expect-error settings is a record, not a number
    socket.on('config:updated', (e: { settings: number }) => void e);
    // @ts-expect-error enabled is a boolean
    socket.on('module:toggled', (e: { enabled: string }) => void e);
    // @ts-expect-error result is a closed union
    socket.on('command:executed', (e: { result: 'ok' }) => void e);
    // @ts-expect-error channel names are not socket events: config:update is published, config:updated is received
    socket.on('config:update', () => {});
  });

  it('types join:guild / leave:guild and their acks', async () => {
    expectTypeOf(await socket.emitWithAck('join:guild', '123')).toEqualTypeOf<GuildAck>();
    socket.emit('leave:guild', '123', (res) => {
      expectTypeOf(res).toEqualTypeOf<GuildAck>();
      if (!res.ok) expectTypeOf(res.error).toEqualTypeOf<'forbidden' | 'invalid' | 'rate_limited'>();
    });
    // @ts-expect-error the guild id is a string
    socket.emit('join:guild', 123, () => {});
    // @ts-expect-error unknown client event
    socket.emit('join:everything', '123', () => {});
  });

  it('accepts a typed and an untyped server', () => {
    const sync = new SyncClient({ transport: 'memory' });
    const options = {
      sync,
      verifyToken: async (): Promise<VerifiedToken> => ({ userId: '1' }),
      authorize: () => true,
    };
    attachSync(
      new Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>(),
      options,
    );
    attachSync(new Server(), options);
    attachSync(new Server().of('/panel'), options);
    // @ts-expect-error authorize is required
    attachSync(new Server(), { sync, verifyToken: options.verifyToken });
  });
});
