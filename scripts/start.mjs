#!/usr/bin/env node
// `npm start`: the whole Wolaro system in one process on embedded defaults — PGlite (data kept in
// .wolaro/ at the repository root), the in-process bus, the Discord emulator with the demo seed, the
// bot and the panel API serving the panel. DATABASE_URL, REDIS_URL and DISCORD_TOKEN switch to the
// real services. SIGINT or SIGTERM (also when sent to npm's pid: the script runs with `exec`) stops
// everything; a second start on the same data directory is refused while the first one runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const color = process.stdout.isTTY && !env.NO_COLOR;
const dim = (s) => (color ? `\x1b[2m${s}\x1b[0m` : s);
const bold = (s) => (color ? `\x1b[1m${s}\x1b[0m` : s);
const green = (s) => (color ? `\x1b[32m${s}\x1b[0m` : s);
const red = (s) => (color ? `\x1b[31m${s}\x1b[0m` : s);

function fail(message) {
  console.error(`${red('✗')} ${message}`);
  process.exit(1);
}

async function step(label, fn) {
  const started = Date.now();
  process.stdout.write(`${dim('…')} ${label}\n`);
  try {
    const result = await fn();
    console.log(`${green('✓')} ${label} ${dim(`(${((Date.now() - started) / 1000).toFixed(1)} s)`)}`);
    return result;
  } catch (err) {
    if (err?.code === 'EADDRINUSE' || err?.name === 'PortInUseError') fail(err.message);
    console.error(`${red('✗')} ${label} failed`);
    throw err;
  }
}

// --- never the emulator in production ----------------------------------------------------------
// Without DISCORD_TOKEN this script runs the Discord emulator, whose login page lets anyone log in
// as anyone: that is a demo, never a production deployment.
if (env.NODE_ENV === 'production' && !env.DISCORD_TOKEN) {
  fail(
    'NODE_ENV=production: npm start will not run the Discord emulator (anyone could log in as anyone).\n' +
      '  Deploy the bot and the panel API separately (docs/deployment.md), or set DISCORD_TOKEN and the\n' +
      '  DISCORD_CLIENT_ID / DISCORD_CLIENT_SECRET of your Discord application.',
  );
}

// --- build what is missing or stale ------------------------------------------------------------
// The apps the demo runs and, first, every workspace they depend on (read from the package.json
// files, so a new shared workspace is built without editing this list).
function workspacesToBuild() {
  const dirs = new Map();
  for (const group of ['packages', 'examples']) {
    for (const entry of readdirSync(join(root, group), { withFileTypes: true })) {
      const pkgFile = join(root, group, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(pkgFile)) continue;
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
      if (pkg.scripts?.build) dirs.set(pkg.name, { ws: `${group}/${entry.name}`, pkg });
    }
  }
  const ordered = [];
  const visit = (name) => {
    const found = dirs.get(name);
    if (!found || ordered.includes(found)) return;
    const { dependencies = {}, peerDependencies = {} } = found.pkg;
    for (const dep of Object.keys({ ...dependencies, ...peerDependencies })) visit(dep);
    if (!ordered.includes(found)) ordered.push(found);
  };
  for (const app of ['@wolaro/discord-emulator', '@wolaro/panel-api', '@wolaro/bot', '@wolaro/panel-web'])
    visit(app);
  return ordered.map(({ ws, pkg }) => [
    ws,
    pkg.name === '@wolaro/panel-web' ? 'dist/index.html' : 'dist/index.js',
  ]);
}
const workspaces = workspacesToBuild();

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const stale = workspaces.filter(([ws, output]) => {
  const out = join(root, ws, output);
  if (!existsSync(out)) return true;
  const src = join(root, ws, 'src');
  return existsSync(src) && newestMtime(src) > statSync(out).mtimeMs;
});
if (stale.length > 0) {
  await step(
    `Building ${stale.map(([ws]) => ws.split('/')[1]).join(', ')} (only what is missing or changed)`,
    () => {
      for (const [ws] of stale) {
        const r = spawnSync('npm', ['run', 'build', '-w', ws], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        if (r.status !== 0) {
          process.stderr.write(r.stdout);
          process.stderr.write(r.stderr);
          throw new Error(`npm run build -w ${ws} failed`);
        }
      }
    },
  );
}

// --- configuration, checked before anything starts ----------------------------------------------
const host = env.HOST ?? '127.0.0.1';

function parsePort(name, fallback) {
  const raw = env[name] ?? String(fallback);
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`${name} must be a port number (0-65535), got "${raw}"`);
  return port;
}

const wantedApiPort = parsePort('PORT', 3000);
const useEmulator = !env.DISCORD_TOKEN;
const wantedEmulatorPort = useEmulator ? parsePort('EMULATOR_PORT', 4000) : undefined;
const dataDir = resolve(env.PGLITE_DATA_DIR ?? join(root, '.wolaro/pgdata'));

const { MemoryBus } = await import('@wolaro/sync');
const { startEmulator } = await import('@wolaro/discord-emulator');
const { startPanelApi, loadConfig: loadApiConfig, withDevJwtSecret } = await import('@wolaro/panel-api');
const { startBot, loadConfig: loadBotConfig } = await import('@wolaro/bot');

const quiet = env.LOG_LEVEL ?? 'warn';

/** The panel API's environment: the user's, with the ports, paths and (if any) the emulator's values. */
function apiEnv(apiPort, panelOrigin, emulator) {
  return {
    LOG_LEVEL: quiet,
    ...env,
    PORT: String(apiPort),
    HOST: host,
    PANEL_ORIGIN: panelOrigin,
    PANEL_WEB_DIR: env.PANEL_WEB_DIR ?? join(root, 'examples/panel-web/dist'),
    PGLITE_DATA_DIR: dataDir,
    ...(emulator
      ? {
          DISCORD_API_URL: emulator.apiUrl,
          DISCORD_TOKEN: emulator.botToken,
          DISCORD_CLIENT_ID: emulator.applicationId,
          DISCORD_CLIENT_SECRET: emulator.clientSecret,
          ADMIN_USER_IDS: env.ADMIN_USER_IDS ?? '100000000000000001',
        }
      : {}),
  };
}

function botEnv(emulator) {
  return {
    LOG_LEVEL: quiet,
    ...env,
    ...(emulator ? { DISCORD_API_URL: emulator.apiUrl, DISCORD_TOKEN: emulator.botToken } : {}),
  };
}

/** Runs `load`; a bad variable (DATABASE_URL=notaurl…) is one line per problem, and nothing has started yet. */
function checked(load) {
  try {
    return load();
  } catch (err) {
    if (Array.isArray(err?.problems)) fail(err.problems.join('\n  '));
    throw err;
  }
}

checked(() => loadApiConfig(apiEnv(wantedApiPort, env.PANEL_ORIGIN ?? `http://${host}:${wantedApiPort}`)));
checked(() => loadBotConfig(botEnv(undefined)));

// --- one npm start per data directory ----------------------------------------------------------
const usesEmbedded = !env.DATABASE_URL;
const lockFile = join(dirname(dataDir), `${basename(dataDir)}.pid`);

/** Whether `pid` is a live `npm start` (on Linux its command line is checked, so a reused pid is not). */
function startIsAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start.mjs');
  } catch {
    return true; // no /proc: trust the live pid
  }
}

function releaseLock() {
  try {
    if (readFileSync(lockFile, 'utf8').trim() === String(process.pid)) rmSync(lockFile, { force: true });
  } catch {
    // already gone
  }
}

function lockDataDir() {
  mkdirSync(dirname(lockFile), { recursive: true });
  for (;;) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      process.on('exit', releaseLock);
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') fail(`Cannot write ${lockFile}: ${err.message}`);
    }
    let holder;
    try {
      holder = Number(readFileSync(lockFile, 'utf8').trim());
    } catch {
      continue; // removed in between: try again
    }
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && startIsAlive(holder)) {
      fail(
        `data directory ${dataDir} is in use by pid ${holder} (another npm start): stop it, or set PGLITE_DATA_DIR to another directory`,
      );
    }
    rmSync(lockFile, { force: true }); // left by a run that was killed
  }
}

if (usesEmbedded) lockDataDir();

// --- ports ---------------------------------------------------------------------------------------
/** Checks a port is free (0 → picks one), so a clash is one clear line instead of a stack trace. */
function reservePort(port, name) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err) => {
      if (err.code === 'EADDRINUSE') {
        fail(
          `Port ${port} on ${host} is already in use: stop the other process or set ${name} to a free port (0 picks one)`,
        );
      }
      fail(`Cannot listen on ${host}:${port} (${name}): ${err.message}`);
    });
    probe.listen(port, host, () => {
      const { port: actual } = probe.address();
      probe.close(() => resolve(actual));
    });
  });
}

const apiPort = await reservePort(wantedApiPort, 'PORT');
const emulatorPort = useEmulator ? await reservePort(wantedEmulatorPort, 'EMULATOR_PORT') : undefined;
const panelOrigin = env.PANEL_ORIGIN ?? `http://${host}:${apiPort}`;

// --- stop ----------------------------------------------------------------------------------------
/** Longest a stop may take; then the process exits anyway so a process manager is never kept waiting. */
const STOP_BUDGET_MS = 4000;
const closers = [];
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  console.log(dim('\nStopping…'));
  setTimeout(() => {
    console.error(`${red('✗')} Still stopping after ${STOP_BUDGET_MS / 1000} s: exiting anyway`);
    process.exit(code || 1);
  }, STOP_BUDGET_MS).unref();
  for (const close of closers.reverse()) await close().catch((err) => console.error(err));
  console.log('Stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

// --- start ---------------------------------------------------------------------------------------
async function startAll() {
  const emulator = useEmulator
    ? await step(`Starting the Discord emulator (demo guild "Wolaro Demo")`, () =>
        startEmulator({
          host,
          port: emulatorPort,
          seed: 'demo',
          oauth: { redirectUris: [`${panelOrigin}/api/auth/discord/callback`] },
        }),
      )
    : undefined;
  if (emulator) closers.push(() => emulator.stop());

  const bus = new MemoryBus();
  const apiConfig = loadApiConfig(apiEnv(apiPort, panelOrigin, emulator));
  const storage = apiConfig.databaseUrl
    ? 'PostgreSQL'
    : `embedded PostgreSQL (PGlite, data in ${apiConfig.dataDir})`;
  const bus_ = apiConfig.redisUrl ? 'Redis' : 'the in-process bus';
  const api = await step(`Starting the panel API on ${storage} and ${bus_}`, () =>
    startPanelApi(withDevJwtSecret(apiConfig).config, { bus }),
  );
  closers.push(() => api.close());

  const bot = await step('Starting the bot and syncing its guilds', () =>
    startBot(loadBotConfig(botEnv(emulator)), { db: api.db, bus, ...(emulator ? { emulator } : {}) }),
  );
  closers.push(() => bot.close());
  const guilds = bot.client.guilds.cache.size;
  console.log(`${green('✓')} Bot ready (${guilds} guild${guilds === 1 ? '' : 's'} synced)`);
  return emulator;
}

function printWelcome(emulator) {
  console.log('');
  console.log(bold(`Panel: ${panelOrigin}/panel`));
  if (emulator) console.log(bold(`Discord emulator: ${emulator.url}`));
  console.log('');
  if (emulator) {
    console.log(
      `Demo login: open the panel, press "Log in with Discord" and pick theo7791l (the owner) or an admin.`,
    );
    console.log(`Try the bot: post "!ping" in #général on the emulator's control API, e.g.`);
    console.log(
      dim(
        `  curl -s -X POST ${emulator.url}/_emulator/channels/300000000000000002/messages -H 'content-type: application/json' -d '{"authorId":"100000000000000001","content":"!ping"}'`,
      ),
    );
  }
  console.log(dim('Ctrl-C (or SIGTERM) stops everything.'));
}

try {
  printWelcome(await startAll());
} catch (err) {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  await shutdown(1);
}
