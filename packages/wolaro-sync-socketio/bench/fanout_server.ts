/**
 * The server side of bench:fanout, run as a child process so its memory and CPU can be measured
 * apart from the thousands of socket.io-client connections in the bench process. Driven over IPC by
 * fanout.ts: `start`, `mem`, `stats`, `elu`, `raw` (a plain `io.to(room).emit`), `stop`.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SyncClient } from '@wolaro/sync';
import { Server } from 'socket.io';
import { attachSync, jwtVerifier, rooms, type SyncGateway } from '../src/index.js';

export type ServerRequest =
  | { id: number; type: 'start'; redisUrl: string; keyPrefix: string; secret: string; guildId: string }
  | { id: number; type: 'mem' }
  | { id: number; type: 'stats' }
  | { id: number; type: 'elu' }
  | { id: number; type: 'stop' }
  | { type: 'raw'; seq: number; settings: Record<string, unknown> };

let io: Server | undefined;
let sync: SyncClient | undefined;
let gateway: SyncGateway | undefined;
let room = '';
let guild = '';
let elu = performance.eventLoopUtilization();

function reply(id: number, data: unknown): void {
  process.send?.({ id, data });
}

async function handle(msg: ServerRequest): Promise<void> {
  switch (msg.type) {
    case 'raw':
      // The baseline: what a hand-written Socket.io server does, with the same payload the gateway sends.
      io?.to(room).emit('config:updated', {
        eventId: randomUUID(),
        guildId: guild,
        settings: msg.settings,
        version: msg.seq,
        timestamp: Date.now(),
      });
      return;
    case 'start': {
      guild = msg.guildId;
      room = rooms.guild(msg.guildId);
      const http = createServer();
      io = new Server(http, { transports: ['websocket'] });
      sync = new SyncClient({ redis: msg.redisUrl, keyPrefix: msg.keyPrefix, listen: ['config:update'] });
      await sync.connect();
      gateway = attachSync(io, {
        sync,
        verifyToken: jwtVerifier({ secret: msg.secret }),
        authorize: () => true,
        listGuilds: () => [msg.guildId],
        connectionRateLimit: false, // thousands of sockets from this one address
      });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      reply(msg.id, { port: (http.address() as AddressInfo).port });
      return;
    }
    case 'mem': {
      for (let i = 0; i < 3; i++) {
        globalThis.gc?.();
        await new Promise((r) => setTimeout(r, 50));
      }
      const m = process.memoryUsage();
      reply(msg.id, { heapUsed: m.heapUsed, rss: m.rss });
      return;
    }
    case 'stats':
      reply(msg.id, gateway?.stats());
      return;
    case 'elu': {
      // Share of the time this event loop was busy since the previous 'elu' request.
      const now = performance.eventLoopUtilization();
      reply(msg.id, performance.eventLoopUtilization(now, elu).utilization);
      elu = now;
      return;
    }
    case 'stop':
      await gateway?.close();
      await io?.close();
      await sync?.close();
      reply(msg.id, null);
      process.exit(0);
  }
}

process.on('message', (msg: ServerRequest) => {
  handle(msg).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});
process.send?.({ id: 0, data: 'up' });
