import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

// Every ```ts block of the root README, the packages' READMEs and docs/ type-checks against the
// packages, so the docs cannot rot. A block whose info string says `no-check` (```ts no-check) is a
// deliberate fragment and skipped. Snippets may use, without declaring them, the names of PRELUDE:
// the objects every guide assumes (your express `app`, discord.js `client`, pg `pool`, `logger`, and
// `db`, your own data layer). The example apps' READMEs document workspace-private imports and are
// covered by the apps' own tests instead.

const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

interface Snippet {
  source: string;
  line: number;
  code: string;
}

const PRELUDE = `
import type { Express } from 'express';
import type { Client } from 'discord.js';
import type { Pool } from 'pg';
import type { Logger } from '@wolaro/sync';
declare global {
  const app: Express;
  const client: Client;
  const pool: Pool;
  const logger: Logger;
  // biome-ignore lint/suspicious/noExplicitAny: your own data layer, any shape
  const db: any;
}
export {};
`;

function markdownFiles(): string[] {
  const files = ['README.md'];
  for (const dir of ['packages']) {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const readme = join(dir, entry.name, 'README.md');
      if (entry.isDirectory() && existsSync(join(root, readme))) files.push(readme);
    }
  }
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  if (existsSync(join(root, 'docs'))) walk('docs');
  return files;
}

function snippets(file: string): Snippet[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)\b(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end < 0) break;
    if (!/\bno-check\b/.test(open[2] ?? '')) {
      found.push({ source: file, line: i + 2, code: lines.slice(i + 1, end).join('\n') });
    }
    i = end;
  }
  return found;
}

const src = (path: string): string[] => [join(root, path)];

it('every TypeScript block of the READMEs and docs/ type-checks', { timeout: 120_000 }, async () => {
  const all = markdownFiles().flatMap(snippets);
  expect(all.length).toBeGreaterThan(10);
  const cache = join(root, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  // Under node_modules/ so bare imports (ioredis, pg, discord.js, socket.io) resolve as in a project.
  const dir = await mkdtemp(join(cache, 'docs-snippets-'));
  try {
    const names = all.map((_, i) => `snippet_${i}.ts`);
    await Promise.all(all.map((s, i) => writeFile(join(dir, names[i] as string), `${s.code}\nexport {};\n`)));
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
    await writeFile(join(dir, 'prelude.ts'), PRELUDE);
    const tsconfig = {
      extends: join(root, 'tsconfig.base.json'),
      compilerOptions: {
        noEmit: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
        paths: {
          '@wolaro/sync': src('packages/wolaro-sync/src/index.ts'),
          '@wolaro/sync/pg': src('packages/wolaro-sync/src/pg/index.ts'),
          '@wolaro/sync/discord': src('packages/wolaro-sync/src/discord/index.ts'),
          '@wolaro/sync-socketio': src('packages/wolaro-sync-socketio/src/index.ts'),
          '@wolaro/discord-emulator': src('packages/discord-emulator/src/index.ts'),
        },
      },
      files: ['prelude.ts', ...names],
    };
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const output = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir }).then(
      () => '',
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    // Map `snippet_3.ts(4,7): error ...` back to `docs/guides/caching.md:41: error ...`.
    const problems = output
      .split('\n')
      .filter((l) => /^snippet_\d+\.ts\(/.test(l))
      .map((l) => {
        const [, index, line, rest] = /^snippet_(\d+)\.ts\((\d+),\d+\): (.*)$/.exec(l) ?? [];
        const s = all[Number(index)] as Snippet;
        return `${relative(root, join(root, s.source))}:${s.line + Number(line) - 1}: ${rest}`;
      });
    expect(problems).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
