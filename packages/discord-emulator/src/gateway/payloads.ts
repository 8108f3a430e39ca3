import { type JsonObject, type JsonValue, toJson as toJsonValue } from '../json.js';
import { apiGuildCreate, apiMember } from '../shapes/guild_shapes.js';
import { apiUser, unknownUser } from '../shapes/user_shapes.js';
import type { EmulatorState } from '../state/state_store.js';
import type { RequestMembersData } from './gateway_schemas.js';
import type { GatewaySession } from './session.js';

const toJson = (value: unknown): JsonObject => toJsonValue<JsonObject>(value);

/** Guild ids a session sees: the bot is a member and the guild is on the session's shard. */
export function sessionGuildIds(state: EmulatorState, session: GatewaySession): string[] {
  return state.guildIdsOf(session.userId).filter((id) => session.receivesGuild(id));
}

/** The READY payload. */
export function readyPayload(
  state: EmulatorState,
  session: GatewaySession,
  resumeGatewayUrl: string,
): JsonObject {
  const app = state.application();
  const bot = state.user(session.userId) ?? unknownUser(session.userId);
  const payload: Record<string, unknown> = {
    v: 10,
    user: { ...apiUser(bot, { self: true }), verified: true, email: null },
    user_settings: {},
    guilds: sessionGuildIds(state, session).map((id) => ({ id, unavailable: true })),
    session_id: session.id,
    session_type: 'normal',
    resume_gateway_url: resumeGatewayUrl,
    application: { id: app.id, flags: app.flags },
    private_channels: [],
    relationships: [],
    presences: [],
    guild_join_requests: [],
    geo_ordered_rtc_regions: [],
    auth: {},
    _trace: ['["wolaro-discord-emulator",{"micros":0}]'],
  };
  if (session.shard) payload['shard'] = [session.shard[0], session.shard[1]];
  return toJson(payload);
}

/** GUILD_CREATE payloads for every guild of the session. */
export function guildCreatePayloads(state: EmulatorState, session: GatewaySession): JsonObject[] {
  return sessionGuildIds(state, session).flatMap((id) => {
    const guild = state.guild(id);
    return guild ? [apiGuildCreate(state, guild, session.userId)] : [];
  });
}

/** GUILD_MEMBERS_CHUNK payloads answering a REQUEST_GUILD_MEMBERS. */
export function memberChunks(
  state: EmulatorState,
  request: RequestMembersData,
  fullListAllowed: boolean,
): JsonValue[] {
  const all = state.members(request.guild_id);
  let members = all;
  let notFound: string[] = [];
  if (request.user_ids !== undefined) {
    const ids = typeof request.user_ids === 'string' ? [request.user_ids] : request.user_ids;
    members = all.filter((m) => ids.includes(m.user_id));
    notFound = ids.filter((id) => !members.some((m) => m.user_id === id));
  } else {
    const query = (request.query ?? '').toLowerCase();
    const limit = request.limit ?? 0;
    if (query === '' && !fullListAllowed) members = [];
    members = members.filter((m) => {
      if (query === '') return true;
      const user = state.user(m.user_id);
      return (
        (user?.username.toLowerCase().startsWith(query) ?? false) ||
        (m.nick?.toLowerCase().startsWith(query) ?? false)
      );
    });
    if (limit > 0) members = members.slice(0, limit);
    else if (query !== '') members = members.slice(0, 100);
  }
  const size = 1000;
  const count = Math.max(1, Math.ceil(members.length / size));
  const chunks: JsonValue[] = [];
  for (let index = 0; index < count; index += 1) {
    const chunk: Record<string, unknown> = {
      guild_id: request.guild_id,
      members: members.slice(index * size, (index + 1) * size).map((m) => apiMember(state, m)),
      chunk_index: index,
      chunk_count: count,
    };
    if (index === 0 && notFound.length > 0) chunk['not_found'] = notFound;
    if (request.presences) chunk['presences'] = [];
    if (request.nonce !== undefined) chunk['nonce'] = request.nonce;
    chunks.push(toJson(chunk));
  }
  return chunks;
}
