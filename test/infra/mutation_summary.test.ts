import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useScriptRoots } from './fixtures/script_root.js';

const run = promisify(execFile);
const scriptRoot = useScriptRoots();

const FILE = 'packages/wolaro-sync/src/channels/codec.ts';
const SOURCE = ['const a = x > 0;', 'const b = x > 0;', 'const c = y;', ''].join('\n');

/** A survived ConditionalExpression mutant `x > 0` → `true` on `line` (columns of SOURCE). */
function survivor(id: string, line: number) {
  return {
    id,
    mutatorName: 'ConditionalExpression',
    replacement: 'true',
    status: 'Survived',
    location: { start: { line, column: 11 }, end: { line, column: 16 } },
  };
}

/**
 * Runs scripts/mutation_summary.mjs in a temporary copy of the root (its own docs/testing.md and
 * equivalent list), on a `channels` report with `x > 0` → `true` surviving on lines 1 and 2.
 */
async function summary(places: number | undefined, args: string[] = [], entryFile = FILE) {
  const root = await scriptRoot('mutation-summary', ['mutation_summary.mjs', 'mutation_modules.mjs']);
  await mkdir(join(root, 'docs'));
  await mkdir(join(root, dirname(FILE)), { recursive: true });
  await writeFile(join(root, FILE), SOURCE);
  await mkdir(join(root, 'reports', 'mutation', 'channels'), { recursive: true });
  const entry = `{ file: '${entryFile}', mutator: 'ConditionalExpression', original: 'x > 0', replacement: 'true', reason: 'test', places: ${places ?? 1} }`;
  await writeFile(
    join(root, 'scripts', 'mutation_equivalent.mjs'),
    `export const EQUIVALENT_MUTANTS = [${entry}];\n`,
  );
  await writeFile(join(root, 'docs', 'testing.md'), '# Testing\n');
  const report = {
    schemaVersion: '2',
    thresholds: { high: 95, low: 90 },
    files: {
      [FILE]: { language: 'typescript', source: SOURCE, mutants: [survivor('1', 1), survivor('2', 2)] },
    },
  };
  await writeFile(join(root, 'reports', 'mutation', 'channels', 'mutation.json'), JSON.stringify(report));
  const result = await run('node', [join(root, 'scripts', 'mutation_summary.mjs'), ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  return { ...result, doc: await readFile(join(root, 'docs', 'testing.md'), 'utf8') };
}

describe('mutation summary: equivalent entries', () => {
  it('warns, and fails --check, when an entry hides more live mutants than the places it stands for', async () => {
    const { code, stderr, doc } = await summary(undefined, ['--check']);
    expect(stderr).toContain('stands for 1 place(s) but matches 2 live mutants');
    expect(stderr).toContain(`${FILE}:1, ${FILE}:2`);
    expect(code).toBe(1);
    // The table still counts both as equivalent: the warning is what tells them apart.
    expect(doc).toMatch(/\| channels \|[^\n]*\| 2 \| \*\*100\.0 %\*\*/);
  });

  it('passes --check when the entry lists both places', async () => {
    const { code, stderr } = await summary(2, ['--check']);
    expect(stderr).not.toContain('matches');
    expect(code).toBe(0);
  });

  it('warns, and fails --check, when an entry names a file that does not exist (it moved)', async () => {
    const moved = 'packages/wolaro-sync/src/old/codec.ts';
    const { code, stderr, doc } = await summary(2, ['--check'], moved);
    expect(stderr).toContain(`${moved} does not exist (moved or renamed?): its entries match nothing`);
    expect(code).toBe(1);
    // Its mutants count as live: the score is what the report says without the entry.
    expect(doc).toMatch(/\| channels \|[^\n]*\| 0 \| \*\*0\.0 %\*\*/);
  });
});
