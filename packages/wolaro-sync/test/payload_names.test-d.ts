import { describe, expectTypeOf, it } from 'vitest';
import type {
  CommandExecutedEvent,
  ConfigUpdateEvent,
  GuildReloadEvent,
  ModuleToggleEvent,
  PayloadOf,
  PermissionRevokedEvent,
  SyncClient,
} from '../src/index.js';

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
