import { Errors } from '../errors.js';
import type { JsonObject, JsonValue } from '../json.js';
import { toJson } from '../json.js';
import { apiMemberWithoutUser, apiRole } from '../shapes/guild_shapes.js';
import { apiUser } from '../shapes/user_shapes.js';
import type { CommandRecord } from '../state/records.js';
import type { EmulatorContext } from './context.js';
import type { InteractionOptionInput } from './inputs.js';
import { channelPermissionsOf } from './member_permissions.js';

/** Application command option types. */
export const OptionType = {
  Subcommand: 1,
  SubcommandGroup: 2,
  String: 3,
  Integer: 4,
  Boolean: 5,
  User: 6,
  Channel: 7,
  Role: 8,
  Mentionable: 9,
  Number: 10,
  Attachment: 11,
} as const;

type OptionValue = string | number | boolean;

interface OptionDefinition {
  name: string;
  type: number;
  required: boolean;
  options: OptionDefinition[];
}

function definitions(options: readonly JsonValue[] | undefined): OptionDefinition[] {
  return (options ?? []).flatMap((raw) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [];
    const name = raw['name'];
    const type = raw['type'];
    const nested = raw['options'];
    if (typeof name !== 'string' || typeof type !== 'number') return [];
    return [
      {
        name,
        type,
        required: raw['required'] === true,
        options: definitions(Array.isArray(nested) ? nested : []),
      },
    ];
  });
}

function inferType(value: OptionValue): number {
  if (typeof value === 'boolean') return OptionType.Boolean;
  if (typeof value === 'number') return Number.isInteger(value) ? OptionType.Integer : OptionType.Number;
  return OptionType.String;
}

function coerce(name: string, type: number, value: OptionValue): OptionValue {
  switch (type) {
    case OptionType.Integer:
    case OptionType.Number: {
      const n = typeof value === 'number' ? value : Number(value);
      if (!Number.isFinite(n) || (type === OptionType.Integer && !Number.isInteger(n))) {
        throw Errors.badRequest(
          `Option "${name}" must be ${type === OptionType.Integer ? 'an integer' : 'a number'}`,
        );
      }
      return n;
    }
    case OptionType.Boolean:
      return typeof value === 'boolean' ? value : value === 'true';
    default:
      return String(value);
  }
}

/** Splits `'config set'` into the command name and the subcommand path. */
export function splitCommand(command: string): { name: string; path: string[] } {
  const [name = '', ...path] = command.trim().split(/\s+/);
  return { name, path };
}

/**
 * Builds Discord's `data.options` (and `data.resolved`) for an interaction from the control API input, using the
 * registered command's option types when available.
 */
export function buildInteractionOptions(
  ctx: EmulatorContext,
  guildId: string,
  channelId: string,
  command: CommandRecord | undefined,
  path: readonly string[],
  input: InteractionOptionInput[] | Record<string, OptionValue> | undefined,
): { options: JsonObject[]; resolved: JsonObject | null } {
  let defs = definitions(command?.options);
  const wrappers: { name: string; type: number }[] = [];
  for (const segment of path) {
    const def = defs.find((d) => d.name === segment);
    if (
      command &&
      (!def || (def.type !== OptionType.Subcommand && def.type !== OptionType.SubcommandGroup))
    ) {
      throw Errors.badRequest(`Command "${command.name}" has no subcommand "${segment}"`);
    }
    wrappers.push({ name: segment, type: def?.type ?? (segment === path.at(-1) ? 1 : 2) });
    defs = def?.options ?? [];
  }

  let leaves: InteractionOptionInput[];
  if (input === undefined) leaves = [];
  else if (Array.isArray(input)) leaves = input;
  else {
    leaves = Object.entries(input).map(([name, value]) => {
      const def = defs.find((d) => d.name === name);
      if (command && !def) throw Errors.badRequest(`Command "${command.name}" has no option "${name}"`);
      const type = def?.type ?? inferType(value);
      return { name, type, value: coerce(name, type, value) };
    });
  }
  for (const def of defs) {
    if (def.required && !leaves.some((leaf) => leaf.name === def.name)) {
      throw Errors.badRequest(`Missing required option "${def.name}"`);
    }
  }

  const resolved = resolveOptions(ctx, guildId, channelId, leaves);
  let options: JsonObject[] = toJson<JsonObject[]>(leaves);
  for (const wrapper of [...wrappers].reverse()) {
    options = [{ name: wrapper.name, type: wrapper.type, options }];
  }
  return { options, resolved };
}

function resolveOptions(
  ctx: EmulatorContext,
  guildId: string,
  channelId: string,
  leaves: readonly InteractionOptionInput[],
): JsonObject | null {
  const { state } = ctx;
  const users: JsonObject = {};
  const members: JsonObject = {};
  const roles: JsonObject = {};
  const channels: JsonObject = {};
  const visit = (list: readonly InteractionOptionInput[]) => {
    for (const option of list) {
      if (option.options) visit(option.options);
      if (option.value === undefined) continue;
      const id = String(option.value);
      const wantsUser = option.type === OptionType.User || option.type === OptionType.Mentionable;
      const wantsRole = option.type === OptionType.Role || option.type === OptionType.Mentionable;
      const user = wantsUser ? state.user(id) : undefined;
      const role = wantsRole ? state.role(id) : undefined;
      if (user) {
        users[id] = toJson(apiUser(user));
        const member = state.member(guildId, id);
        if (member) {
          members[id] = toJson({
            ...apiMemberWithoutUser(member),
            permissions: channelPermissionsOf(state, channelId, id).toString(),
          });
        }
      } else if (role && role.guild_id === guildId) {
        roles[id] = toJson(apiRole(role));
      } else if (option.type === OptionType.Channel) {
        const channel = state.channel(id);
        if (!channel || channel.guild_id !== guildId)
          throw Errors.badRequest(`Unknown channel ${id} for "${option.name}"`);
        channels[id] = toJson({
          id,
          name: channel.name,
          type: channel.type,
          parent_id: channel.parent_id,
          permissions: channelPermissionsOf(state, id, state.application().id).toString(),
          flags: 0,
        });
      } else if (wantsUser || wantsRole) {
        throw Errors.badRequest(
          `Unknown ${wantsUser && !wantsRole ? 'user' : 'user or role'} ${id} for "${option.name}"`,
        );
      }
    }
  };
  visit(leaves);
  const resolved: JsonObject = {};
  if (Object.keys(users).length) resolved['users'] = users;
  if (Object.keys(members).length) resolved['members'] = members;
  if (Object.keys(roles).length) resolved['roles'] = roles;
  if (Object.keys(channels).length) resolved['channels'] = channels;
  return Object.keys(resolved).length ? resolved : null;
}
