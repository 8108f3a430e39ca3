import { EmulatorError, Errors } from '../errors.js';
import type { UserRecord } from '../state/records.js';
import type { EmulatorContext } from './context.js';
import type { UserInput } from './inputs.js';

/** Builds a user record from input (not stored). */
export function buildUser(ctx: EmulatorContext, input: UserInput): UserRecord {
  const username = input.username.trim();
  return {
    id: input.id ?? ctx.ids.next(),
    username,
    global_name: input.globalName ?? null,
    discriminator: '0',
    avatar: input.avatar ?? null,
    bot: input.bot ?? false,
    system: false,
    email:
      input.email === undefined
        ? `${username.toLowerCase().replace(/[^a-z0-9._-]/g, '')}@users.emulator.invalid`
        : input.email,
    verified: true,
    locale: input.locale ?? 'en-US',
    mfa_enabled: false,
    public_flags: 0,
    premium_type: 0,
  };
}

/** Creates a user; 400 when the id is taken. */
export function createUser(ctx: EmulatorContext, input: UserInput): UserRecord {
  if (input.id !== undefined && ctx.state.user(input.id)) {
    throw Errors.badRequest(`User ${input.id} already exists`);
  }
  const user = buildUser(ctx, input);
  ctx.state.putUser(user);
  return user;
}

/** A user that must exist. */
export function requireUser(ctx: EmulatorContext, id: string): UserRecord {
  const user = ctx.state.user(id);
  if (!user) throw Errors.unknownUser();
  return user;
}

/** Makes sure a user exists, creating it from `input` when given. */
export function ensureUser(ctx: EmulatorContext, id: string, input?: Omit<UserInput, 'id'>): UserRecord {
  const existing = ctx.state.user(id);
  if (existing) return existing;
  if (!input) throw new EmulatorError(400, 10013, `Unknown user ${id} (create it first or pass "user")`);
  const user = buildUser(ctx, { ...input, id });
  ctx.state.putUser(user);
  return user;
}
