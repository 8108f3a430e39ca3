import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  type CommandExecutedEvent,
  type ConfigUpdateEvent,
  defineChannels,
  type GuildReloadEvent,
  type ModuleToggleEvent,
  type PayloadOf,
  type PermissionRevokedEvent,
  SyncClient,
  type SyncEvents,
  snowflake,
} from '../src/index.js';

const sync = new SyncClient({ transport: 'memory' });

describe('typed channels', () => {
  it('types handler payloads per channel', () => {
    sync.subscribe('config:update', (e) => {
      expectTypeOf(e.guildId).toEqualTypeOf<string>();
      expectTypeOf(e.settings).toEqualTypeOf<Record<string, unknown>>();
      expectTypeOf(e.version).toEqualTypeOf<number | undefined>();
      expectTypeOf(e.timestamp).toEqualTypeOf<number>();
    });
    sync.subscribe('command:executed', (e) => {
      expectTypeOf(e.result).toEqualTypeOf<'success' | 'error' | 'denied'>();
    });
    expectTypeOf<SyncEvents['permission:revoked']['userId']>().toEqualTypeOf<string>();
    expectTypeOf<PayloadOf<'module:toggle'>['enabled']>().toEqualTypeOf<boolean>();
  });

  it('rejects wrong payloads at compile time', () => {
    // @ts-expect-error settings is required
    void sync.publish('config:update', { guildId: '1' });
    // @ts-expect-error enabled must be a boolean
    void sync.publish('module:toggle', { guildId: '1', module: 'x', enabled: 'yes' });
    // @ts-expect-error result is a closed union
    void sync.publish('command:executed', { guildId: '1', command: 'ban', executorId: '2', result: 'ok' });
    // @ts-expect-error unknown channel
    void sync.publish('config:updated', { guildId: '1', settings: {} });
    // @ts-expect-error unknown channel in subscribe
    sync.subscribe('nope', () => {});
    // @ts-expect-error reason is required
    void sync.publishPermissionRevoked('1', '2');
    // @ts-expect-error result is a closed union
    void sync.publishCommandExecuted('1', 'ban', '2', 'maybe');
    // Correct calls compile.
    void sync.publish('guild:reload', { guildId: '1' });
    void sync.publish('config:update', { guildId: '1', settings: { prefix: '!' }, version: 2 });
  });

  it('types custom channels', () => {
    const channels = defineChannels({
      'ticket:created': { schema: z.object({ guildId: snowflake, ticketId: z.string() }) },
    });
    const custom = new SyncClient({ transport: 'memory', channels });
    custom.subscribe('ticket:created', (e) => {
      expectTypeOf(e.ticketId).toEqualTypeOf<string>();
    });
    void custom.publish('ticket:created', { guildId: '1', ticketId: 'a' });
    // @ts-expect-error ticketId must be a string
    void custom.publish('ticket:created', { guildId: '1', ticketId: 1 });
    // built-in channels stay available
    void custom.publishGuildReload('1');
  });
});

describe('named payload types', () => {
  it('are the channel payloads', () => {
    expectTypeOf<ConfigUpdateEvent>().toEqualTypeOf<PayloadOf<'config:update'>>();
    expectTypeOf<ModuleToggleEvent>().toEqualTypeOf<PayloadOf<'module:toggle'>>();
    expectTypeOf<GuildReloadEvent>().toEqualTypeOf<PayloadOf<'guild:reload'>>();
    expectTypeOf<PermissionRevokedEvent>().toEqualTypeOf<PayloadOf<'permission:revoked'>>();
    expectTypeOf<CommandExecutedEvent>().toEqualTypeOf<PayloadOf<'command:executed'>>();
    expectTypeOf<CommandExecutedEvent['result']>().toEqualTypeOf<'success' | 'error' | 'denied'>();
  });

  it('are what the object-form publish helpers resolve to', () => {
    expectTypeOf<
      SyncClient['publishCommandExecuted']
    >().returns.resolves.toEqualTypeOf<CommandExecutedEvent>();
    expectTypeOf<SyncClient['publishGuildReload']>().returns.resolves.toEqualTypeOf<GuildReloadEvent>();
  });
});
