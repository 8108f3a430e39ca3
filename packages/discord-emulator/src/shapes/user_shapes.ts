import type { UserRecord } from '../state/records.js';
import type { ApiUser } from './api_types.js';

/** Options of {@link apiUser}. */
export interface ApiUserOptions {
  /** Add the private fields of `/users/@me` (locale, mfa_enabled, premium_type). */
  self?: boolean;
  /** Add `email` and `verified` (the `email` OAuth2 scope). */
  email?: boolean;
}

/** A user record as Discord's user object. */
export function apiUser(user: UserRecord, options: ApiUserOptions = {}): ApiUser {
  const out: ApiUser = {
    id: user.id,
    username: user.username,
    discriminator: user.discriminator,
    global_name: user.global_name,
    avatar: user.avatar,
    public_flags: user.public_flags,
    flags: user.public_flags,
    banner: null,
    accent_color: null,
    avatar_decoration_data: null,
    collectibles: null,
    primary_guild: null,
  };
  if (user.bot) out.bot = true;
  if (user.system) out.system = true;
  if (options.self) {
    out.mfa_enabled = user.mfa_enabled;
    out.locale = user.locale;
    out.premium_type = user.premium_type;
  }
  if (options.email) {
    out.email = user.email;
    out.verified = user.verified;
  }
  return out;
}

/** A placeholder for a user id that is not (or no longer) in the state. */
export function unknownUser(id: string): UserRecord {
  return {
    id,
    username: 'deleted_user',
    global_name: 'Deleted User',
    discriminator: '0',
    avatar: null,
    bot: false,
    system: false,
    email: null,
    verified: false,
    locale: 'en-US',
    mfa_enabled: false,
    public_flags: 0,
    premium_type: 0,
  };
}
