import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useScriptRoots } from './fixtures/script_root.js';

const run = promisify(execFile);
const scriptRoot = useScriptRoots();

const FILE = 'packages/wolaro-sync/src/channels/codec.ts';
const SOURCE = 'const a = x > 0;\nconst b = y > 0;\n';

interface Mutant {
  id: string;
  mutatorName: string;
  replacement: string;
  status: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}
const mutant = (id: string, line: number, status: string): Mutant => ({
  id,
  mutatorName: 'ConditionalExpression',
  replacement: 'true',
  status,
  location: { start: { line, column: 11 }, end: { line, column: 16 } },
});
const report = (source: string, mutants: Mutant[]) => ({
  schemaVersion: '2',
  thresholds: { high: 95, low: 90 },
  files: { [FILE]: { language: 'typescript', source, mutants } },
  testFiles: {},
});

/** Runs scripts/mutation_merge.mjs in a temporary root: the module's incremental file, then `part`. */
async function merge(module: object, part: object, { committed = false } = {}): Promise<Mutant[]> {
  const root = await scriptRoot('mutation-merge', ['mutation_merge.mjs', 'mutation_modules.mjs']);
  await mkdir(join(root, 'reports', 'mutation', 'channels'), { recursive: true });
  const target = join(root, 'reports', 'mutation', 'channels', 'incremental.json');
  if (committed) {
    // A fresh clone: no incremental file, only the committed baseline.
    await mkdir(join(root, 'scripts', 'mutation_baseline'), { recursive: true });
    await writeFile(
      join(root, 'scripts', 'mutation_baseline', 'channels.json.gz'),
      gzipSync(JSON.stringify(module)),
    );
  } else {
    await writeFile(target, JSON.stringify(module));
  }
  await writeFile(join(root, 'part.json'), JSON.stringify(part));
  await run('node', [join(root, 'scripts', 'mutation_merge.mjs'), 'channels', 'part.json'], { cwd: root });
  const merged = JSON.parse(await readFile(target, 'utf8'));
  return merged.files[FILE].mutants;
}

describe('mutation merge', () => {
  it('a part narrowed to some lines of a file replaces their results and keeps the rest of the file', async () => {
    const mutants = await merge(
      report(SOURCE, [mutant('1', 1, 'Survived'), mutant('2', 2, 'Survived')]),
      report(SOURCE, [mutant('1', 1, 'Killed')]),
    );
    const byLine = mutants.map((m) => [m.location.start.line, m.status]).sort();
    expect(byLine).toEqual([
      [1, 'Killed'],
      [2, 'Survived'],
    ]);
  });

  it('a part run on another version of the file replaces all of its results', async () => {
    const changed = 'const a = x > 0;\nconst b = z > 0;\n';
    const mutants = await merge(
      report(SOURCE, [mutant('1', 1, 'Survived'), mutant('2', 2, 'Survived')]),
      report(changed, [mutant('1', 1, 'Killed')]),
    );
    expect(mutants.map((m) => [m.location.start.line, m.status])).toEqual([[1, 'Killed']]);
  });

  it('in a fresh clone (no incremental file), a part completes the committed baseline', async () => {
    const mutants = await merge(
      report(SOURCE, [mutant('1', 1, 'Survived'), mutant('2', 2, 'Killed')]),
      report(SOURCE, [mutant('1', 1, 'Killed')]),
      { committed: true },
    );
    expect(mutants.map((m) => [m.location.start.line, m.status]).sort()).toEqual([
      [1, 'Killed'],
      [2, 'Killed'],
    ]);
  });
});
