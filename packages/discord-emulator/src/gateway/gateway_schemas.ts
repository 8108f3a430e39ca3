import { z } from 'zod';

/** Any gateway payload sent by a client. */
export const envelopeSchema = z.looseObject({
  op: z.int(),
  d: z.unknown().optional(),
});

/** IDENTIFY (op 2) data. */
export const identifySchema = z.looseObject({
  token: z.string().min(1),
  properties: z.looseObject({ os: z.string(), browser: z.string(), device: z.string() }),
  intents: z.int().nonnegative(),
  compress: z.boolean().optional(),
  large_threshold: z.int().min(50).max(250).optional(),
  shard: z.tuple([z.int().nonnegative(), z.int().positive()]).optional(),
  presence: z.unknown().optional(),
});

/** RESUME (op 6) data. */
export const resumeSchema = z.looseObject({
  token: z.string().min(1),
  session_id: z.string().min(1),
  seq: z.int().nonnegative().nullable(),
});

/** REQUEST_GUILD_MEMBERS (op 8) data. */
export const requestMembersSchema = z.looseObject({
  guild_id: z.string(),
  query: z.string().optional(),
  limit: z.int().nonnegative().optional(),
  presences: z.boolean().optional(),
  user_ids: z.union([z.string(), z.array(z.string()).max(100)]).optional(),
  nonce: z.string().max(32).optional(),
});

/** Parsed IDENTIFY data. */
export type IdentifyData = z.infer<typeof identifySchema>;
/** Parsed RESUME data. */
export type ResumeData = z.infer<typeof resumeSchema>;
/** Parsed REQUEST_GUILD_MEMBERS data. */
export type RequestMembersData = z.infer<typeof requestMembersSchema>;
