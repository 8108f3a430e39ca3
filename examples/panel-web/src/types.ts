/**
 * Shapes of the panel-api answers: the API's own contract (`@wolaro/panel-api/contract`), where
 * the routes take them from too. Dates arrive as ISO strings.
 */
export type {
  AuditEntry,
  ChannelRef,
  CommandResult,
  GuildChannels,
  GuildDetail,
  GuildSettings,
  GuildSummary,
  Me,
  ModuleState,
  ModuleUpdateResult,
  RestoreResult,
  Revision,
  SettingsUpdateResult,
} from '@wolaro/panel-api/contract';
