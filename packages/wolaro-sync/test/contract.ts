import { uniquePrefix, waitFor } from '@wolaro/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineChannels, type PayloadOf, SyncClient, snowflake, type Transport } from '../src/index.js';

const custom = defineChannels({
  'ticket:created': { schema: z.object({ guildId: snowflake, ticketId: z.string() }) },
});

/** Builds transports that reach each other (same bus / server). */
export interface TransportFactory {
  name: string;
  create(): Transport;
  /** Called once per test after the clients are closed. */
  cleanup?(): Promise<void>;
}

/**
 * One behavioural suite for every transport: whatever carries the messages, SyncClient behaves
 * the same.
 */
export function transportContract(factory: TransportFactory): void {
  describe(`transport contract: ${factory.name}`, () => {
    const clients: SyncClient[] = [];

    async function pair(): Promise<[SyncClient, SyncClient]> {
      const keyPrefix = uniquePrefix(factory.name);
      const a = new SyncClient({ transport: factory.create(), keyPrefix });
      const b = new SyncClient({ transport: factory.create(), keyPrefix });
      clients.push(a, b);
      await Promise.all([a.connect(), b.connect()]);
      return [a, b];
    }

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await factory.cleanup?.();
    });

    it('delivers a typed publish to every subscriber on another client', async () => {
      const [a, b] = await pair();
      const seenA: PayloadOf<'config:update'>[] = [];
      const seenB: PayloadOf<'config:update'>[] = [];
      a.subscribe('config:update', (e) => {
        seenA.push(e);
      });
      b.subscribe('config:update', (e) => {
        seenB.push(e);
      });
      const sent = await a.publishConfigUpdate('123', { prefix: '!' }, 7);
      await waitFor(() => seenA.length === 1 && seenB.length === 1, { timeoutMs: 5000 });
      expect(seenB[0]).toEqual(sent);
      expect(seenB[0]).toMatchObject({ guildId: '123', settings: { prefix: '!' }, version: 7 });
      expect(typeof seenB[0]?.timestamp).toBe('number');
      expect(b.stats().received).toBe(1);
      expect(a.stats().published).toBe(1);
    });

    it('delivers each built-in channel with its helper', async () => {
      const [a, b] = await pair();
      const got: string[] = [];
      for (const channel of Object.keys(b.channels) as (keyof typeof b.channels)[]) {
        b.subscribe(channel, (_e, info) => {
          got.push(info.channel);
        });
      }
      await a.publishConfigUpdate('1', { prefix: '?' }, 1);
      await a.publishModuleToggle('1', 'welcome', true, 2, { channelId: '5' });
      await a.publishGuildReload('1', 'manual');
      await a.publishPermissionRevoked('1', '2', 'Administrator role removed');
      await a.publishCommandExecuted('1', 'ban', '2', 'success', 'theo7791l');
      await waitFor(() => got.length === 5, { timeoutMs: 5000 });
      expect(got).toEqual([
        'config:update',
        'module:toggle',
        'guild:reload',
        'permission:revoked',
        'command:executed',
      ]);
    });

    it('delivers a custom channel from defineChannels beside the built-in ones', async () => {
      const keyPrefix = uniquePrefix(factory.name);
      const a = new SyncClient({ transport: factory.create(), keyPrefix, channels: custom });
      const b = new SyncClient({ transport: factory.create(), keyPrefix, channels: custom });
      clients.push(a as SyncClient, b as SyncClient);
      await Promise.all([a.connect(), b.connect()]);
      const got: string[] = [];
      b.subscribe('ticket:created', (e) => {
        got.push(`ticket ${e.ticketId}`);
      });
      b.subscribe('guild:reload', (e) => {
        got.push(`reload ${e.guildId}`);
      });
      await a.publish('ticket:created', { guildId: '1', ticketId: 't-1' });
      await a.publishGuildReload({ guildId: '2' });
      await waitFor(() => got.length === 2, { timeoutMs: 5000 });
      expect(got).toEqual(['ticket t-1', 'reload 2']);
    });

    it('stops delivery after unsubscribe', async () => {
      const [a, b] = await pair();
      let kept = 0;
      let removed = 0;
      b.subscribe('guild:reload', () => {
        kept++;
      });
      const off = b.subscribe('guild:reload', () => {
        removed++;
      });
      await a.publishGuildReload('1');
      await waitFor(() => kept === 1);
      off();
      await a.publishGuildReload('1');
      await a.publishGuildReload('1');
      await waitFor(() => kept === 3);
      expect(removed).toBe(1);
    });

    it('isolates and counts handler errors', async () => {
      const [a, b] = await pair();
      let good = 0;
      const errors: Error[] = [];
      b.on('error', (err) => errors.push(err));
      b.subscribe('guild:reload', () => {
        throw new Error('sync boom');
      });
      b.subscribe('guild:reload', async () => {
        throw new Error('async boom');
      });
      b.subscribe('guild:reload', () => {
        good++;
      });
      await a.publishGuildReload('1');
      await a.publishGuildReload('2');
      await waitFor(() => good === 2 && b.stats().handlerErrors === 4);
      expect(errors.map((e) => e.message).sort()).toEqual([
        'async boom',
        'async boom',
        'sync boom',
        'sync boom',
      ]);
    });

    it('delivers 10,000 messages in order per publisher with none lost', async () => {
      const [a, b] = await pair();
      const n = 10_000;
      const seen: number[] = [];
      b.subscribe('config:update', (e) => {
        seen.push(e.version ?? -1);
      });
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) {
        pending.push(a.publishConfigUpdate('42', { i }, i));
        if (pending.length >= 500) await Promise.all(pending.splice(0));
      }
      await Promise.all(pending);
      await waitFor(() => seen.length >= n, { timeoutMs: 30_000 });
      expect(seen.length).toBe(n);
      for (let i = 0; i < n; i++) if (seen[i] !== i) expect.fail(`message ${i} arrived as ${seen[i]}`);
    }, 60_000);
  });
}

/**
 * Subscribes `b` to config:update and to its resyncs, has `a` publish version 1 and waits until `b`
 * got it: the versions `b` receives and the downtimes of its resyncs, for a test that breaks the
 * bus next.
 */
export async function listening(a: SyncClient, b: SyncClient): Promise<{ got: number[]; resyncs: number[] }> {
  const got: number[] = [];
  const resyncs: number[] = [];
  b.subscribe('config:update', (e) => void got.push(e.version ?? 0));
  b.on('resync', ({ downtimeMs }) => resyncs.push(downtimeMs));
  await a.publishConfigUpdate({ guildId: '1', settings: {}, version: 1 });
  await waitFor(() => got.length === 1);
  return { got, resyncs };
}
