import { z } from 'zod';

// Query strings and path parameters of the panel routes. The request bodies are part of the
// contract shared with panel-web (../contract/requests.ts).

/** `:rev` of the restore route: a revision's version number. */
export const revisionParams = z.object({
  rev: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a revision number')
    .transform(Number),
});

const limit = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,4}$/, `must be an integer between 1 and ${max}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be an integer between 1 and ${max}`)
    .optional()
    .transform((n) => n ?? fallback);

/** `?limit=` of the revisions list. */
export const revisionsQuery = z.object({ limit: limit(100, 20) });
/** `?limit=` of the command log. */
export const logsQuery = z.object({ limit: limit(200, 50) });
