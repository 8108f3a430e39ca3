import { z } from 'zod';
import { checkOptions, functionSchema, loggerSchema } from '../internal/options.js';

const syncSchema = z.custom<object>(
  (v) => typeof v === 'object' && v !== null && typeof (v as { publish?: unknown }).publish === 'function',
  'must be a SyncClient',
);

const commandSchema = z.object({
  sync: syncSchema,
  execute: functionSchema('the command to wrap'),
  describe: functionSchema('(...args) => CommandInfo | undefined').optional(),
  onExecuted: functionSchema('(info) => void').optional(),
  publish: z.boolean({ error: 'must be true or false' }).optional(),
  logger: loggerSchema.optional(),
});

/** `publish: false` hands the announcement to `onExecuted`: without one, nothing would be announced. */
const announcer = (o: Record<string, unknown>): string[] =>
  o['publish'] === false && o['onExecuted'] === undefined
    ? ['onExecuted: required with publish: false (it records and announces each run)']
    : [];

const watchSchema = z.object({
  client: z.custom<object>(
    (v) => typeof v === 'object' && v !== null && typeof (v as { on?: unknown }).on === 'function',
    'must be a discord.js Client',
  ),
  sync: syncSchema,
  onRevoked: functionSchema('(revocation) => void').optional(),
  onMemberRemove: z.boolean().optional(),
  publish: z.boolean().optional(),
  logger: loggerSchema.optional(),
});

/** Checks the arguments of `withCommandEvents`: one `InvalidOptionsError` listing every problem. */
export function validateCommandEvents(sync: unknown, execute: unknown, options: unknown): void {
  checkOptions('withCommandEvents', commandSchema, { ...asObject(options), sync, execute }, announcer);
}

/** Checks the arguments of `watchPermissionRevocations`. */
export function validateWatch(client: unknown, sync: unknown, options: unknown): void {
  checkOptions('watchPermissionRevocations', watchSchema, { ...asObject(options), client, sync });
}

function asObject(options: unknown): object {
  return typeof options === 'object' && options !== null ? options : {};
}
