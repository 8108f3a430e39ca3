#!/usr/bin/env node
// `npm start`: the whole Wolaro system in one process on embedded defaults — PGlite (data kept in
// .wolaro/), the in-process bus, the Discord emulator with the demo seed, the bot and the panel
// API serving the panel. DATABASE_URL, REDIS_URL and DISCORD_TOKEN switch to the real services.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
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

// --- build what is missing or stale ------------------------------------------------------------
const workspaces = [
  ['packages/wolaro-sync', 'dist/index.js'],
  ['packages/wolaro-sync-socketio', 'dist/index.js'],
  ['packages/discord-emulator', 'dist/index.js'],
  ['examples/panel-api', 'dist/index.js'],
  ['examples/bot', 'dist/index.js'],
  ['examples/panel-web', 'dist/index.html'],
];

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

// --- ports ---------------------------------------------------------------------------------------
const host = env.HOST ?? '127.0.0.1';

function parsePort(name, fallback) {
  const raw = env[name] ?? String(fallback);
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`${name} must be a port number (0-65535), got "${raw}"`);
  return port;
}

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

const apiPort = await reservePort(parsePort('PORT', 3000), 'PORT');
const useEmulator = !env.DISCORD_TOKEN;
const emulatorPort = useEmulator
  ? await reservePort(parsePort('EMULATOR_PORT', 4000), 'EMULATOR_PORT')
  : undefined;
const panelOrigin = env.PANEL_ORIGIN ?? `http://${host}:${apiPort}`;

// --- start ---------------------------------------------------------------------------------------
const { MemoryBus } = await import('@wolaro/sync');
const { startEmulator } = await import('@wolaro/discord-emulator');
const { startPanelApi, loadConfig: loadApiConfig, withDevJwtSecret } = await import('@wolaro/panel-api');
const { startBot, loadConfig: loadBotConfig } = await import('@wolaro/bot');

const quiet = env.LOG_LEVEL ?? 'warn';
const closers = [];
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  console.log(dim('\nStopping…'));
  for (const close of closers.reverse()) await close().catch((err) => console.error(err));
  console.log('Stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
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
  const apiConfig = loadApiConfig({
    LOG_LEVEL: quiet,
    ...env,
    PORT: String(apiPort),
    HOST: host,
    PANEL_ORIGIN: panelOrigin,
    PANEL_WEB_DIR: env.PANEL_WEB_DIR ?? join(root, 'examples/panel-web/dist'),
    PGLITE_DATA_DIR: env.PGLITE_DATA_DIR ?? join(root, '.wolaro/pgdata'),
    ...(emulator
      ? {
          DISCORD_API_URL: emulator.apiUrl,
          DISCORD_TOKEN: emulator.botToken,
          DISCORD_CLIENT_ID: emulator.applicationId,
          DISCORD_CLIENT_SECRET: emulator.clientSecret,
          ADMIN_USER_IDS: env.ADMIN_USER_IDS ?? '100000000000000001',
        }
      : {}),
  });
  const storage = apiConfig.databaseUrl
    ? 'PostgreSQL'
    : `embedded PostgreSQL (PGlite, data in ${apiConfig.dataDir})`;
  const bus_ = apiConfig.redisUrl ? 'Redis' : 'the in-process bus';
  const api = await step(`Starting the panel API on ${storage} and ${bus_}`, () =>
    startPanelApi(withDevJwtSecret(apiConfig).config, { bus }),
  );
  closers.push(() => api.close());

  const botConfig = loadBotConfig({
    LOG_LEVEL: quiet,
    ...env,
    ...(emulator ? { DISCORD_API_URL: emulator.apiUrl, DISCORD_TOKEN: emulator.botToken } : {}),
  });
  const bot = await step('Starting the bot and syncing its guilds', () =>
    startBot(botConfig, { db: api.db, bus, ...(emulator ? { emulator } : {}) }),
  );
  closers.push(() => bot.close());
  console.log(
    `${green('✓')} Bot ready (${bot.client.guilds.cache.size} guild${bot.client.guilds.cache.size === 1 ? '' : 's'} synced)`,
  );

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
  console.log(dim('Ctrl-C stops everything.'));
} catch (err) {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  await shutdown(1);
}
