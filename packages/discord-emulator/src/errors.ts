import type { z } from 'zod';
import type { JsonObject } from './json.js';

/**
 * An error with an HTTP status and Discord's JSON error code. REST answers it as `{ message, code }` (plus
 * `errors` for 50035 Invalid Form Body); the control API as `{ error: { code, message } }`.
 *
 * @example
 * ```ts
 * import { EmulatorError } from '@wolaro/discord-emulator';
 * try {
 *   emulator.control.sendMessage('1', { authorId: DEMO.users.member, content: 'hi' });
 * } catch (error) {
 *   if (error instanceof EmulatorError) console.log(error.status, error.code); // 404 10003
 * }
 * ```
 */
export class EmulatorError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Discord JSON error code (0 for generic HTTP errors). */
  readonly code: number;
  /** Field errors, in Discord's `{ field: { _errors: [...] } }` form. */
  readonly errors: JsonObject | undefined;

  constructor(status: number, code: number, message: string, errors?: JsonObject) {
    super(message);
    this.name = 'EmulatorError';
    this.status = status;
    this.code = code;
    this.errors = errors;
  }

  /** Discord's REST error body. */
  toDiscordBody(): JsonObject {
    const body: JsonObject = { message: this.message, code: this.code };
    if (this.errors) body['errors'] = this.errors;
    return body;
  }
}

const unknown = (code: number, what: string) => () => new EmulatorError(404, code, `Unknown ${what}`);

/** Factories for the Discord errors the emulator returns. */
export const Errors = {
  unauthorized: () => new EmulatorError(401, 0, '401: Unauthorized'),
  notFound: () => new EmulatorError(404, 0, '404: Not Found'),
  methodNotAllowed: () => new EmulatorError(405, 0, '405: Method Not Allowed'),
  unknownApplication: unknown(10002, 'Application'),
  unknownChannel: unknown(10003, 'Channel'),
  unknownGuild: unknown(10004, 'Guild'),
  unknownMember: unknown(10007, 'Member'),
  unknownMessage: unknown(10008, 'Message'),
  unknownRole: unknown(10011, 'Role'),
  unknownUser: unknown(10013, 'User'),
  unknownWebhook: unknown(10015, 'Webhook'),
  unknownBan: unknown(10026, 'Ban'),
  unknownEmoji: unknown(10014, 'Emoji'),
  unknownInvite: unknown(10006, 'Invite'),
  unknownOverwrite: unknown(10009, 'Overwrite'),
  unknownReaction: unknown(10014, 'Emoji'),
  cannotDm: () => new EmulatorError(400, 50007, 'Cannot send messages to this user'),
  threadArchived: () => new EmulatorError(400, 50083, 'Thread is archived'),
  bulkDeleteTooOld: () =>
    new EmulatorError(400, 50034, 'You can only bulk delete messages that are under 14 days old.'),
  unknownInteraction: unknown(10062, 'interaction'),
  unknownCommand: unknown(10063, 'application command'),
  notApplicationOwner: () =>
    new EmulatorError(403, 20012, 'You are not authorized to perform this action on this application'),
  entityTooLarge: () => new EmulatorError(413, 40005, 'Request entity too large'),
  alreadyAcknowledged: () => new EmulatorError(400, 40060, 'Interaction has already been acknowledged.'),
  missingAccess: () => new EmulatorError(403, 50001, 'Missing Access'),
  emptyMessage: () => new EmulatorError(400, 50006, 'Cannot send an empty message'),
  missingPermissions: () => new EmulatorError(403, 50013, 'Missing Permissions'),
  invalidWebhookToken: () => new EmulatorError(401, 50027, 'Invalid Webhook Token'),
  invalidApiVersion: () => new EmulatorError(400, 50041, 'Invalid API version provided'),
  invalidJson: () => new EmulatorError(400, 50109, 'The request body contains invalid JSON.'),
  invalidFormBody: (errors: JsonObject) => new EmulatorError(400, 50035, 'Invalid Form Body', errors),
  /** 50035 with a single field error. */
  invalidField: (path: readonly (string | number)[], code: string, message: string) =>
    new EmulatorError(400, 50035, 'Invalid Form Body', fieldErrors([{ path, code, message }])),
  /** A 400 from the control API (no Discord equivalent). */
  badRequest: (message: string) => new EmulatorError(400, 0, message),
} as const;

interface FieldError {
  path: readonly (string | number | symbol)[];
  code: string;
  message: string;
}

function fieldErrors(list: readonly FieldError[]): JsonObject {
  const root: JsonObject = {};
  for (const error of list) {
    let node = root;
    for (const key of error.path) {
      const k = String(key);
      const next = node[k];
      if (next && typeof next === 'object' && !Array.isArray(next)) node = next;
      else {
        const created: JsonObject = {};
        node[k] = created;
        node = created;
      }
    }
    const existing = node['_errors'];
    const entry: JsonObject = { code: error.code, message: error.message };
    if (Array.isArray(existing)) existing.push(entry);
    else node['_errors'] = [entry];
  }
  return root;
}

function discordCode(issue: z.core.$ZodIssue): { code: string; message: string } {
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'string'
        ? { code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${String(issue.maximum)} or fewer in length.` }
        : { code: 'BASE_TYPE_MAX_LENGTH', message: issue.message };
    case 'too_small':
      return issue.origin === 'string'
        ? { code: 'BASE_TYPE_MIN_LENGTH', message: `Must be ${String(issue.minimum)} or more in length.` }
        : { code: 'BASE_TYPE_MIN_LENGTH', message: issue.message };
    case 'invalid_type':
      return issue.message.endsWith('received undefined')
        ? { code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }
        : { code: 'BASE_TYPE_INVALID', message: issue.message };
    default:
      return { code: 'BASE_TYPE_INVALID', message: issue.message };
  }
}

/**
 * Converts zod issues into Discord's 50035 Invalid Form Body error.
 *
 * @example
 * ```ts
 * const parsed = schema.safeParse(body);
 * if (!parsed.success) throw invalidFormBody(parsed.error);
 * ```
 */
export function invalidFormBody(error: z.ZodError): EmulatorError {
  return Errors.invalidFormBody(
    fieldErrors(error.issues.map((issue) => ({ path: issue.path, ...discordCode(issue) }))),
  );
}
