import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../support/index.js';

// What an adopter gets: `npm pack` each published SDK package, install the tarballs into a fresh
// project outside the workspace (their dependencies from the registry), and run the README quick
// start there, ESM and CJS, against the real Redis. One install is shared by every check. The
// project gets ioredis 6 (what `npm install ioredis` gives today) and ioredis 5 under an alias.

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '..', '..');
const PACKAGES = ['packages/wolaro-sync', 'packages/wolaro-sync-socketio'];
let dir = '';

async function pack(pkg: string): Promise<string> {
  if (!existsSync(join(root, pkg, 'dist')))
    throw new Error(`no dist/ in ${pkg}: run \`npm run build\` first`);
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
    cwd: join(root, pkg),
  });
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string }[];
  return `file:./${info?.filename}`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wolaro-consumer-'));
  const [sync, socketio] = await Promise.all(PACKAGES.map(pack));
  const manifest = {
    name: 'wolaro-consumer',
    private: true,
    dependencies: {
      '@wolaro/sync': sync,
      '@wolaro/sync-socketio': socketio,
      ioredis: '^6.1.0',
      ioredis5: 'npm:ioredis@^5.4.0',
      pg: '^8.11.0',
      'discord.js': '^14.16.0',
      'socket.io': '^4.7.0',
    },
  };
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const file of ['quickstart.mjs', 'quickstart.cjs']) await copyFile(join(here, file), join(dir, file));
}, 600_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function quickstart(file: string): Promise<Record<string, unknown>> {
  const env = { ...process.env, REDIS_URL: redisUrl(), KEY_PREFIX: uniquePrefix('consumer') };
  const { stdout } = await run(process.execPath, [file], { cwd: dir, env });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

describe('the packed packages in a fresh project', () => {
  it('installs ioredis 6 as the SDK peer (and ioredis 5 beside it)', async () => {
    const version = async (name: string) =>
      (
        JSON.parse(await readFile(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version;
    expect(await version('ioredis')).toMatch(/^6\./);
    expect(await version('ioredis5')).toMatch(/^5\./);
    expect(existsSync(join(dir, 'node_modules', '@wolaro', 'sync', 'node_modules', 'ioredis'))).toBe(false);
  });

  it('runs the README quick start as ESM', async () => {
    expect(await quickstart('quickstart.mjs')).toEqual({
      format: 'esm',
      guildId: '123',
      version: 7,
      memoryDefault: 'E_INVALID_OPTIONS',
      entries: 'function,function,function',
    });
  });

  it('runs the README quick start as CommonJS', async () => {
    expect(await quickstart('quickstart.cjs')).toEqual({
      format: 'cjs',
      command: 'ban',
      result: 'success',
      unavailable: 'E_REDIS_UNAVAILABLE',
      entries: 'function,function,function',
    });
  });

  it.each(['node16', 'bundler', 'node10'])(
    'type-checks against both ioredis majors under %s',
    async (resolution) => {
      const source = await readFile(join(here, 'consumer_snippet.txt'), 'utf8');
      await writeFile(join(dir, `check_${resolution}.ts`), source);
      const module = { node16: 'node16', bundler: 'esnext', node10: 'commonjs' }[resolution];
      const tsconfig = {
        compilerOptions: {
          strict: true,
          exactOptionalPropertyTypes: true,
          noEmit: true,
          skipLibCheck: true,
          esModuleInterop: true,
          module,
          moduleResolution: resolution,
          target: 'es2022',
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        files: [`check_${resolution}.ts`],
      };
      await writeFile(join(dir, `tsconfig.${resolution}.json`), JSON.stringify(tsconfig));
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      const out = await run(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], { cwd: dir }).then(
        () => '',
        (err: { stdout?: string }) => err.stdout ?? String(err),
      );
      expect(out).toBe('');
    },
  );
});
