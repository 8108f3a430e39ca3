const FRAGMENT = Symbol.for('wolaro.sql.fragment');

/**
 * A piece of SQL with its parameters, made by the {@link sql} tag. Values interpolated into it
 * become numbered parameters when the fragment is rendered into a statement; fragments
 * interpolated into it are inlined. It is how `versionedUpdate` and `versionedUpdateStatement`
 * take an expression (`settings || $1::jsonb`) or an extra statement instead of a plain value.
 *
 * @example
 * ```ts
 * import { sql, type SqlFragment } from '@wolaro/sync/pg';
 *
 * const merge: SqlFragment = sql`settings || ${JSON.stringify({ prefix: '?' })}::jsonb`;
 * ```
 */
export interface SqlFragment {
  readonly [FRAGMENT]: true;
  /** The literal parts of the template, around the interpolated values. */
  readonly strings: readonly string[];
  /** The interpolated values: parameters, or nested fragments. */
  readonly values: readonly unknown[];
}

/**
 * Tags a template as a {@link SqlFragment}: every `${value}` is sent as a parameter (never spliced
 * into the text), every `${fragment}` is inlined. The text itself is trusted code: never build it
 * from user input.
 *
 * @example
 * ```ts
 * import { sql } from '@wolaro/sync/pg';
 *
 * const revision = sql`INSERT INTO config_revisions (guild_id, version, settings, changed_by)
 *   SELECT guild_id, version, settings, ${userId} FROM updated RETURNING id`;
 * ```
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): SqlFragment {
  return { [FRAGMENT]: true, strings: [...strings], values };
}

/**
 * Whether `value` is a {@link SqlFragment}.
 *
 * @example
 * ```ts
 * isSqlFragment(sql`now()`); // true
 * isSqlFragment('now()');    // false
 * ```
 */
export function isSqlFragment(value: unknown): value is SqlFragment {
  return typeof value === 'object' && value !== null && (value as Partial<SqlFragment>)[FRAGMENT] === true;
}

/**
 * A fragment as a query `pg` runs: `{ text, values }` with numbered placeholders.
 *
 * @example
 * ```ts
 * import { sql, sqlQuery } from '@wolaro/sync/pg';
 *
 * const { rows } = await pool.query(sqlQuery(sql`SELECT version FROM guilds WHERE guild_id = ${guildId}`));
 * ```
 */
export function sqlQuery(fragment: SqlFragment): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const text = renderSql(fragment, values);
  return { text, values };
}

/**
 * Renders a fragment into statement text, appending its parameters to `params` and numbering
 * them after the ones already there.
 */
export function renderSql(fragment: SqlFragment, params: unknown[]): string {
  let text = fragment.strings[0] ?? '';
  fragment.values.forEach((value, i) => {
    text += isSqlFragment(value) ? renderSql(value, params) : param(value, params);
    text += fragment.strings[i + 1] ?? '';
  });
  return text;
}

/** Appends `value` to `params` and returns its placeholder (`$n`). */
export function param(value: unknown, params: unknown[]): string {
  params.push(typeof value === 'bigint' ? value.toString() : value);
  return `$${params.length}`;
}
