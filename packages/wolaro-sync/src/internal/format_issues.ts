import type { z } from 'zod';

/**
 * Formats zod issues as `path: message` lines.
 *
 * @example
 * ```ts
 * formatIssues(result.error); // ['guildId: must be a Discord snowflake (1-20 digits)']
 * ```
 */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}
