import { waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { useCleanup } from './helpers.js';
import { config, laggingL2, setup } from './stand_ins.js';

// Event handling, stats and resync of GuildConfigCache, driven through narrow in-memory stand-ins:
// an event source whose handlers the test calls directly (events without id/origin included), a
// "database" of rows, and an L2 that behaves like a lagging writer (its invalidations are lost).

useCleanup();

const G = '111111111111111111';
const H = '222222222222222222';

describe('GuildConfigCache stats', () => {
  it('hit rate is 0 before any read and hits / (hits + misses) after', async () => {
    const { db, configs } = await setup();
    expect(configs.stats()).toMatchObject({ hits: 0, misses: 0, hitRate: 0, size: 0 });
    db.rows.set(G, config(1));
    await configs.get(G);
    for (let i = 0; i < 3; i++) await configs.get(G);
    expect(configs.stats()).toMatchObject({ hits: 3, misses: 1, hitRate: 0.75, size: 1 });
  });
});

describe('GuildConfigCache events', () => {
  it('a newer version: invalidated(guild, version), one reload, counted as applied; a repeat is ignored', async () => {
    const { bus, db, configs, updated, invalidated } = await setup();
    db.rows.set(G, config(1));
    await configs.get(G);
    db.rows.set(G, config(2));
    bus.publish('config:update', { guildId: G, version: 2, eventId: 'e1', origin: 'a' });
    expect(invalidated).toEqual([[G, 2]]);
    await waitFor(() => updated.length === 1);
    expect(updated[0]?.[1]?.version).toBe(2);
    bus.publish('module:toggle', { guildId: G, version: 2 });
    expect(configs.stats()).toMatchObject({ eventsApplied: 1, eventsIgnored: 1 });
    expect(invalidated).toEqual([[G, 2]]);
  });

  it('a newer version of a guild not cached raises the floor without loading it', async () => {
    const { bus, db, configs, updated } = await setup();
    db.rows.set(G, config(1));
    db.rows.set(H, config(1));
    await configs.get(H);
    bus.publish('config:update', { guildId: G, version: 5 });
    expect(configs.floor(G)).toBe(5);
    // Sentinel: a reload of H, started after G's event, completes after anything G's would have.
    db.rows.set(H, config(2));
    bus.publish('config:update', { guildId: H, version: 2 });
    await waitFor(() => updated.length === 1);
    expect(db.loads).toEqual([H, H]);
    expect(updated.map(([id]) => id)).toEqual([H]);
    expect(configs.stats()).toMatchObject({ eventsApplied: 2, eventsIgnored: 0 });
  });

  it('an unversioned change reloads from the database, not from L2, and sets no floor', async () => {
    for (const via of ['guild:reload', 'config:update'] as const) {
      const l2 = laggingL2();
      const { bus, db, configs, updated, invalidated } = await setup({ cache: l2.cache });
      db.rows.set(G, config(1));
      await configs.get(G);
      db.rows.set(G, config(2));
      // Another process's L2 write of the old row survives the invalidation.
      l2.put(G, config(1));
      bus.publish(via, { guildId: G });
      expect(invalidated, via).toEqual([[G, undefined]]);
      await waitFor(() => updated.length === 1);
      expect(updated[0]?.[1]?.version, `${via}: the stale L2 entry was served`).toBe(2);
      expect(configs.floor(G)).toBeUndefined();
      expect(configs.stats().eventsApplied).toBe(1);
      bus.publish('guild:reload', { guildId: G });
      expect(configs.stats().eventsApplied).toBe(2);
    }
  });

  it('an unversioned change of a guild not cached loads nothing', async () => {
    const { bus, db, configs, updated, invalidated } = await setup();
    db.rows.set(G, config(1));
    db.rows.set(H, config(1));
    await configs.get(H);
    bus.publish('guild:reload', { guildId: G });
    expect(invalidated).toEqual([[G, undefined]]);
    db.rows.set(H, config(2));
    bus.publish('guild:reload', { guildId: H });
    await waitFor(() => updated.length === 1);
    expect(db.loads).toEqual([H, H]);
    expect(updated.map(([id]) => id)).toEqual([H]);
  });

  it('a reload finding the guild deleted emits no updated event', async () => {
    const { bus, db, configs, updated, errors } = await setup();
    db.rows.set(G, config(1));
    db.rows.set(H, config(1));
    await configs.get(G);
    await configs.get(H);
    db.rows.delete(G);
    bus.publish('guild:reload', { guildId: G });
    bus.publish('guild:reload', { guildId: H }); // sentinel, loads after G
    await waitFor(() => updated.length >= 1);
    expect(db.loads).toEqual([G, H, G, H]);
    expect(updated.map(([id, cfg]) => [id, cfg?.version])).toEqual([[H, 1]]);
    expect(errors).toEqual([]);
  });

  it('a failed background reload is logged with the guild and emitted as an error', async () => {
    const { bus, db, configs, logger, errors } = await setup();
    db.rows.set(G, config(1));
    await configs.get(G);
    const boom = new Error('db down');
    db.rows.set(G, {
      get settings(): never {
        throw boom;
      },
    } as never);
    bus.publish('guild:reload', { guildId: G });
    await waitFor(() => errors.length === 1);
    expect(errors[0]).toBe(boom);
    const entry = logger.entries.find((e) => e.level === 'warn');
    expect(entry?.msg).toBe(`Reloading the config of guild ${G} failed: db down`);
    expect(entry?.obj).toEqual({ err: boom, guildId: G });
  });

  it('the suspect-event warning names the event id and origin, or says they were missing', async () => {
    const { bus, db, configs, logger } = await setup({ maxStaleLoads: 1 });
    db.rows.set(G, config(1));
    db.rows.set(H, config(1));
    await configs.get(G);
    await configs.get(H);
    bus.publish('config:update', { guildId: G, version: 99, eventId: 'ev-7', origin: 'bot-a' });
    bus.publish('config:update', { guildId: H, version: 99 });
    await waitFor(() => logger.count('Suspect event', 'warn') === 2);
    const sources = Object.fromEntries(
      logger.entries
        .filter((e) => e.msg.startsWith('Suspect event'))
        .map((e) => [e.obj?.['guildId'], e.obj?.['source']]),
    );
    expect(sources).toEqual({ [G]: 'event ev-7 from bot-a', [H]: 'event (no id) from (no origin)' });
  });
});

describe('GuildConfigCache stop and close', () => {
  it.each(['stop', 'close'] as const)(
    '%s unsubscribes every handler and the resync listener, and empties L1',
    async (how) => {
      const { bus, db, configs } = await setup();
      expect(bus.handlerCount()).toBe(3);
      expect(bus.resyncListenerCount()).toBe(1);
      db.rows.set(G, config(1));
      await configs.get(G);
      if (how === 'stop') configs.stop();
      else await configs.close();
      expect(bus.handlerCount()).toBe(0);
      expect(bus.resyncListenerCount()).toBe(0);
      expect(configs.peek(G)).toBeUndefined();
      await configs.start();
      expect(bus.handlerCount()).toBe(3);
    },
  );

  it('start() again while started subscribes nothing more: each event is handled once, and stop() removes every handler', async () => {
    const { bus, configs, invalidated } = await setup();
    await configs.start();
    expect(bus.handlerCount()).toBe(3);
    bus.publish('guild:reload', { guildId: G });
    expect(invalidated).toEqual([[G, undefined]]);
    expect(configs.stats().eventsApplied).toBe(1);
    configs.stop();
    expect(bus.handlerCount()).toBe(0);
  });
});
