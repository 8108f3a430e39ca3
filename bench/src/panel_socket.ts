import { io, type Socket } from 'socket.io-client';

/**
 * A panel socket as the React panel opens it (websocket transport, token auth), joined to one
 * guild room; rejects when the connect or the `join:guild` ack does not come within `timeoutMs`.
 */
export async function connectPanel(
  url: string,
  token: string,
  guildId: string,
  timeoutMs = 15_000,
): Promise<Socket> {
  const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`panel socket: no connect within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  const ack = await socket.timeout(timeoutMs).emitWithAck('join:guild', guildId);
  if ((ack as { ok?: boolean }).ok !== true) throw new Error(`join:guild refused: ${JSON.stringify(ack)}`);
  return socket;
}
