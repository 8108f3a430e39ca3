import { Errors } from '../errors.js';
import type { JsonObject } from '../json.js';
import { toJson } from '../json.js';
import type { CommandRecord } from '../state/records.js';
import type { EmulatorContext } from './context.js';

/** Localized strings by locale (`null` / `undefined` entries are dropped). */
type Localizations = { readonly [locale: string]: string | null | undefined };

function localizations(value: Localizations | null | undefined): Record<string, string> | null {
  if (!value) return null;
  const entries = Object.entries(value).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return entries.length ? Object.fromEntries(entries) : null;
}

/**
 * Application command data as bots send it (`SlashCommandBuilder#toJSON()` output).
 *
 * @example
 * ```ts
 * const ping: CommandData = { name: 'ping', description: 'Replies with pong' };
 * emulator.control.registerCommands([ping], DEMO.guildId);
 * ```
 */
export interface CommandData {
  name: string;
  type?: number | undefined;
  description?: string | undefined;
  name_localizations?: Localizations | null | undefined;
  description_localizations?: Localizations | null | undefined;
  options?: readonly object[] | undefined;
  default_member_permissions?: string | null | undefined;
  dm_permission?: boolean | null | undefined;
  nsfw?: boolean | undefined;
  contexts?: number[] | null | undefined;
  integration_types?: number[] | undefined;
}

function build(ctx: EmulatorContext, guildId: string | null, data: CommandData, id: string): CommandRecord {
  return {
    id,
    application_id: ctx.state.application().id,
    guild_id: guildId,
    type: data.type ?? 1,
    name: data.name,
    name_localizations: localizations(data.name_localizations),
    description: data.description ?? '',
    description_localizations: localizations(data.description_localizations),
    options: toJson<JsonObject[]>(data.options ?? []),
    default_member_permissions: data.default_member_permissions ?? null,
    nsfw: data.nsfw ?? false,
    contexts: data.contexts ?? null,
    integration_types: data.integration_types ?? [0],
    version: ctx.ids.next(),
  };
}

function findSame(
  ctx: EmulatorContext,
  guildId: string | null,
  data: CommandData,
): CommandRecord | undefined {
  const type = data.type ?? 1;
  return ctx.state.commands(guildId).find((c) => c.name === data.name && c.type === type);
}

/** Replaces every command of a scope (global or a guild); commands keep their id when name and type match. */
export function overwriteCommands(
  ctx: EmulatorContext,
  guildId: string | null,
  list: readonly CommandData[],
): CommandRecord[] {
  const seen = new Set<string>();
  for (const data of list) {
    const key = `${data.type ?? 1}:${data.name}`;
    if (seen.has(key))
      throw Errors.invalidField([], 'APPLICATION_COMMANDS_DUPLICATE_NAME', `Duplicate name ${data.name}`);
    seen.add(key);
  }
  const next = list.map((data) =>
    build(ctx, guildId, data, findSame(ctx, guildId, data)?.id ?? ctx.ids.next()),
  );
  for (const old of ctx.state.commands(guildId)) ctx.state.deleteCommand(old.id);
  for (const command of next) ctx.state.putCommand(command);
  return next;
}

/** Creates a command, or overwrites the one with the same name and type (`created` false then). */
export function createCommand(
  ctx: EmulatorContext,
  guildId: string | null,
  data: CommandData,
): { command: CommandRecord; created: boolean } {
  const existing = findSame(ctx, guildId, data);
  const command = build(ctx, guildId, data, existing?.id ?? ctx.ids.next());
  ctx.state.putCommand(command);
  return { command, created: !existing };
}

/** A command of a scope that must exist. */
export function requireCommand(ctx: EmulatorContext, guildId: string | null, id: string): CommandRecord {
  const command = ctx.state.command(id);
  if (!command || command.guild_id !== guildId) throw Errors.unknownCommand();
  return command;
}

/** Edits a command (fields not given are kept). */
export function editCommand(
  ctx: EmulatorContext,
  guildId: string | null,
  id: string,
  patch: Partial<CommandData>,
): CommandRecord {
  const existing = requireCommand(ctx, guildId, id);
  const merged: CommandData = {
    name: patch.name ?? existing.name,
    type: existing.type,
    description: patch.description ?? existing.description,
    name_localizations:
      patch.name_localizations === undefined ? existing.name_localizations : patch.name_localizations,
    description_localizations:
      patch.description_localizations === undefined
        ? existing.description_localizations
        : patch.description_localizations,
    options: patch.options ?? existing.options,
    default_member_permissions:
      patch.default_member_permissions === undefined
        ? existing.default_member_permissions
        : patch.default_member_permissions,
    nsfw: patch.nsfw ?? existing.nsfw,
    contexts: patch.contexts === undefined ? existing.contexts : patch.contexts,
    integration_types: patch.integration_types ?? existing.integration_types,
  };
  const command = build(ctx, guildId, merged, id);
  ctx.state.putCommand(command);
  return command;
}

/** Finds the command an interaction invokes: guild command first, then global. */
export function findCommandByName(
  ctx: EmulatorContext,
  guildId: string,
  name: string,
): CommandRecord | undefined {
  return (
    ctx.state.commands(guildId).find((c) => c.type === 1 && c.name === name) ??
    ctx.state.commands(null).find((c) => c.type === 1 && c.name === name)
  );
}
