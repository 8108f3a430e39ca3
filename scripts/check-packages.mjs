#!/usr/bin/env node
/**
 * Lints what each published workspace package would put on npm: `npm run lint:pkg`.
 *
 * For every non-private package under packages/* it packs the package exactly like `npm publish` would
 * (`npm pack`, lifecycle scripts skipped) and checks the tarball with
 * - publint: package.json fields, exports/format mismatches, unpublished entry files. Errors and
 *   warnings fail; suggestions are printed only.
 * - @arethetypeswrong/core: whether TypeScript finds correct types for every entrypoint under
 *   node16 (from CJS), node16 (from ESM), bundler, and node10. Every problem fails, with no exemption:
 *   `moduleResolution: node10` cannot read `exports`, so each subpath ships a stub folder
 *   (`pg/package.json` pointing into dist/) that node10 resolves instead. This is `attw` with every
 *   resolution kind.
 *
 * Prints one `OK <name>` line per package, or the problems and exits 1. A package without dist/ is an
 * error (run `npm run build` first).
 *
 * Usage: node scripts/check-packages.mjs [--verbose] [package-dir ...]
 *   (default: every packages/* workspace; --verbose also prints publint suggestions)
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';
import { problemKindInfo } from '@arethetypeswrong/core/problems';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** @returns {Promise<string[]>} absolute package directories to check */
async function packageDirs(args) {
  if (args.length > 0) return args.map((dir) => resolve(dir));
  const base = join(root, 'packages');
  const entries = existsSync(base) ? await readdir(base, { withFileTypes: true }) : [];
  return entries
    .filter((e) => e.isDirectory() && existsSync(join(base, e.name, 'package.json')))
    .map((e) => join(base, e.name))
    .sort();
}

/** Packs `dir` with npm (no lifecycle scripts) and returns the tarball bytes. */
async function pack(dir) {
  const dest = await mkdtemp(join(tmpdir(), 'check-packages-'));
  try {
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dest], {
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
    });
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('[')));
    return new Uint8Array(await readFile(join(dest, info.filename)));
  } finally {
    await rm(dest, { recursive: true, force: true });
  }
}

/** @returns {Promise<{ problems: string[], notes: string[] }>} */
async function runPublint(dir) {
  // publint packs by itself (npm pack --dry-run): that way it can tell "not published" from "missing".
  const { messages, pkg } = await publint({ pkgDir: dir, level: 'suggestion', pack: 'npm' });
  const problems = [];
  const notes = [];
  for (const message of messages) {
    const text = `publint ${message.type}: ${formatMessage(message, pkg, { color: false }) ?? message.code}`;
    (message.type === 'suggestion' ? notes : problems).push(text);
  }
  return { problems, notes };
}

function describeProblem(problem) {
  const title = problemKindInfo[problem.kind]?.title ?? problem.kind;
  const where =
    'entrypoint' in problem
      ? `"${problem.entrypoint}" under ${problem.resolutionKind}`
      : 'typesFileName' in problem
        ? `${problem.typesFileName} vs ${problem.implementationFileName}`
        : 'fileName' in problem
          ? problem.fileName
          : '';
  return `attw ${problem.kind}: ${title}${where ? ` (${where})` : ''}`;
}

/** @returns {Promise<{ problems: string[], entrypoints: number }>} */
async function runAttw(tarball) {
  const analysis = await checkPackage(createPackageFromTarballData(tarball));
  if (!analysis.types) {
    return { problems: ['attw: the package ships no type declarations'], entrypoints: 0 };
  }
  return {
    problems: analysis.problems.map(describeProblem),
    entrypoints: Object.keys(analysis.entrypoints).length,
  };
}

async function checkOne(dir) {
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  const name = pkg.name ?? basename(dir);
  if (pkg.private === true) return { name, skipped: true };
  if (!existsSync(join(dir, 'dist'))) {
    const shown = dir.startsWith(`${root}/`) ? relative(root, dir) : dir;
    return { name, problems: [`no dist/ in ${shown}: run \`npm run build\` first`], notes: [] };
  }
  try {
    const tarball = await pack(dir);
    const [lint, types] = await Promise.all([runPublint(dir), runAttw(tarball)]);
    return {
      name,
      problems: [...lint.problems, ...types.problems],
      notes: lint.notes,
      summary: `publint, attw: ${types.entrypoints} entrypoint(s), node10/node16/bundler`,
    };
  } catch (err) {
    return {
      name,
      problems: [`check crashed: ${err instanceof Error ? err.stack : String(err)}`],
      notes: [],
    };
  }
}

const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const dirs = await packageDirs(args.filter((arg) => arg !== '--verbose'));
const results = await Promise.all(dirs.map(checkOne));
let failed = 0;
let checked = 0;
for (const result of results) {
  if (result.skipped) continue;
  checked++;
  const suggestions = result.notes.length;
  if (result.problems.length === 0) {
    const hint = suggestions && !verbose ? `; ${suggestions} publint suggestion(s), see --verbose` : '';
    console.log(`OK ${result.name} (${result.summary}${hint})`);
  } else {
    failed++;
    console.log(`FAIL ${result.name}`);
    for (const line of result.problems) console.log(`  - ${line.replace(/\n/g, '\n    ')}`);
  }
  if (verbose || result.problems.length > 0) for (const line of result.notes) console.log(`  note: ${line}`);
}
if (checked === 0) console.log('check-packages: no published packages found under packages/');
if (failed > 0) {
  console.log(`check-packages: ${failed} of ${checked} package(s) have problems`);
  process.exitCode = 1;
}
