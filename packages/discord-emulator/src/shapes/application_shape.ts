import { createHash } from 'node:crypto';
import type { JsonObject } from '../json.js';
import { toJson } from '../json.js';
import type { EmulatorState } from '../state/state_store.js';
import { apiUser, unknownUser } from './user_shapes.js';

/** The application object (`GET /applications/@me`, `GET /oauth2/applications/@me`). */
export function apiApplication(state: EmulatorState): JsonObject {
  const app = state.application();
  const bot = state.user(app.id) ?? unknownUser(app.id);
  const owner = state.user(app.owner_id) ?? unknownUser(app.owner_id);
  return toJson<JsonObject>({
    id: app.id,
    name: app.name,
    icon: null,
    description: app.description,
    summary: '',
    type: null,
    hook: true,
    bot_public: true,
    bot_require_code_grant: false,
    verify_key: createHash('sha256').update(`verify:${app.id}`).digest('hex'),
    flags: app.flags,
    flags_new: String(app.flags),
    owner: apiUser(owner),
    team: null,
    redirect_uris: app.redirect_uris,
    interactions_endpoint_url: null,
    role_connections_verification_url: null,
    tags: [],
    integration_types_config: { '0': {} },
    approximate_guild_count: state.guildIdsOf(app.id).length,
    approximate_user_install_count: 0,
    approximate_user_authorization_count: 0,
    explicit_content_filter: 0,
    eligible_oauth2_scopes: ['applications.commands', 'bot', 'webhook.incoming'],
    bot: apiUser(bot),
  });
}
