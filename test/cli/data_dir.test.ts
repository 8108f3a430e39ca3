/**
 * Where `npm run token -w examples/panel-api` looks for the demo's database: npm runs the script
 * from examples/panel-api, but the demo keeps its data in `.wolaro/` at the repository root.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveDataDir as cliDataDir, workspaceRoot } from '../../examples/runtime/src/data_dir.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI_DIR = join(ROOT, 'examples/panel-api/src/cli');

describe('cliDataDir', () => {
  it('finds the repository root from the CLI and from a workspace', () => {
    expect(workspaceRoot(CLI_DIR)).toBe(ROOT);
    expect(workspaceRoot(join(ROOT, 'examples/panel-api'))).toBe(ROOT);
  });

  it('without PGLITE_DATA_DIR: the repository root .wolaro/pgdata, whatever the folder npm ran in', () => {
    expect(cliDataDir({ INIT_CWD: join(ROOT, 'examples/panel-api') }, CLI_DIR)).toBe(
      join(ROOT, '.wolaro/pgdata'),
    );
    expect(cliDataDir({}, CLI_DIR)).toBe(join(ROOT, '.wolaro/pgdata'));
  });

  it('a relative PGLITE_DATA_DIR counts from the folder the user ran npm in (INIT_CWD)', () => {
    expect(cliDataDir({ INIT_CWD: ROOT, PGLITE_DATA_DIR: 'tmp/demo' }, CLI_DIR)).toBe(join(ROOT, 'tmp/demo'));
    expect(cliDataDir({ INIT_CWD: '/srv', PGLITE_DATA_DIR: '/data/pg' }, CLI_DIR)).toBe('/data/pg');
  });
});
