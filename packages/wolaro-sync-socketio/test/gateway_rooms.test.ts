import { uniquePrefix } from '@wolaro/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { rooms } from '../src/index.js';
import { Acl, cleanup, connect, mintToken, startNode } from './helpers.js';

afterEach(cleanup);

const ALICE = '310000000000000001';
const G1 = '410000000000000001';
const G2 = '410000000000000002';

describe('rooms', () => {
  it('names the rooms user:{id}, session:{sid} and guild:{id}', () => {
    expect(rooms.user('456')).toBe('user:456');
    expect(rooms.session('s_1')).toBe('session:s_1');
    expect(rooms.guild('123')).toBe('guild:123');
    expect(Object.isFrozen(rooms)).toBe(true);
    expect(Object.keys(rooms).sort()).toEqual(['guild', 'session', 'user']);
  });

  it('puts a socket in exactly those rooms and counts only the guild ones in stats', async () => {
    const acl = new Acl().allow(ALICE, G1, G2);
    const { url, io, gateway } = await startNode({ keyPrefix: uniquePrefix('gwc-rooms'), acl });
    const client = await connect(url, await mintToken({ sub: ALICE, sid: 'sess_c1' }));
    const server = io.of('/').sockets.get(client.id ?? '');
    expect(server && [...server.rooms].sort()).toEqual(
      [client.id, `guild:${G1}`, `guild:${G2}`, 'session:sess_c1', `user:${ALICE}`].sort(),
    );
    // The socket's own room, user: and session: are rooms too, but not guild rooms.
    expect(gateway.stats()).toMatchObject({ connectedUsers: 1, totalConnections: 1, rooms: 2 });
  });
});
