import { createServer, Socket } from 'node:net';

/**
 * Asks the OS for a TCP port that is free right now on 127.0.0.1.
 *
 * The port is released before this resolves, so another process could grab it in
 * between; callers that bind it themselves should retry on `EADDRINUSE`.
 *
 * @returns a port number in the ephemeral range
 */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: could not read the bound address'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/**
 * Sends an inline `PING` to a Redis server over a raw TCP socket (no client library, no auth).
 *
 * @param host - host name or IP address
 * @param port - TCP port
 * @param timeoutMs - how long to wait for the `+PONG` reply
 * @returns `true` when the server replied `+PONG` in time, `false` otherwise (refused, timeout, NOAUTH, ...)
 */
export async function pingRedis(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = new Socket();
    let reply = '';
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
    socket.connect(port, host, () => socket.write('PING\r\n'));
  });
}
