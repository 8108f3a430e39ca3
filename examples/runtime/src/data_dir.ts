import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DATA_DIR } from './env.js';

/** The nearest folder at or above `from` whose package.json declares npm workspaces. */
export function workspaceRoot(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown }).workspaces) return dir;
      } catch {
        // not JSON: keep looking
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The embedded database folder an app or a CLI should use, as an absolute path, so that
 * `npm run token -w examples/panel-api` or `npm run dev -w examples/panel-api` (which npm runs
 * from `examples/panel-api`) use the database and JWT secret of `npm start`:
 * - `PGLITE_DATA_DIR` unset → `.wolaro/pgdata` at the repository root, where `npm start` keeps it;
 * - a relative `PGLITE_DATA_DIR` → relative to the folder the user ran npm from (`INIT_CWD`).
 *
 * @example
 * ```ts
 * const env = { ...process.env, PGLITE_DATA_DIR: resolveDataDir(process.env) };
 * ```
 */
export function resolveDataDir(
  env: Readonly<Record<string, string | undefined>>,
  here: string = dirname(fileURLToPath(import.meta.url)),
): string {
  const base = env['INIT_CWD'] ?? process.cwd();
  const wanted = env['PGLITE_DATA_DIR'];
  if (wanted !== undefined && wanted !== '') return isAbsolute(wanted) ? wanted : resolve(base, wanted);
  return resolve(workspaceRoot(here) ?? base, DEFAULT_DATA_DIR);
}
