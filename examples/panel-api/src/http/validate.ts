import type { z } from 'zod';
import { ApiError } from './errors.js';

/** `settings.prefix`, `body`, `query.limit`: where an issue is, for people. */
function where(source: string, path: readonly PropertyKey[]): string {
  return [source, ...path.map(String)].filter(Boolean).join('.');
}

/**
 * Formats zod issues as one message naming each bad field, e.g.
 * `settings.prefix: must be 1-5 characters without spaces; body: unknown field "colour"`.
 */
export function describeIssues(source: string, error: z.ZodError): { message: string; fields: string[] } {
  const fields: string[] = [];
  const parts = error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const names = issue.keys.map((k) => where('', [...issue.path, k]).replace(/^\./, ''));
      fields.push(...names.map((n) => `${source}.${n}`));
      return `${where(source, issue.path)}: unknown field${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')}`;
    }
    const field = where(source, issue.path);
    fields.push(field);
    return `${field}: ${issue.message}`;
  });
  return { message: parts.join('; '), fields };
}

/**
 * Parses a request part with a zod schema, or throws a 400 `ApiError` whose message names every
 * bad field (unknown keys included, for `.strict()` schemas).
 *
 * @example
 * ```ts
 * const body = parse(patchGuildBody, req.body, 'body');
 * ```
 */
export function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  source: 'body' | 'query' | 'params',
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { message, fields } = describeIssues(source, result.error);
  throw new ApiError(400, source === 'body' ? 'invalid_body' : 'bad_request', message, { fields });
}
