#!/usr/bin/env node
/**
 * PREVIEW STUB, for a visual check of the built panel only.
 *
 * Serves examples/panel-web/dist at /panel (with the CSP panel-api's helmet sends), a FAKE /api
 * with made-up data and a FAKE Socket.io gateway (any token accepted), then drives Chromium
 * through a few flows and writes screenshots. It is not the panel-api and proves nothing about it:
 * the real browser tests run against the real stack (panel-api + emulator + bot).
 *
 *   npm run build -w examples/panel-web
 *   node examples/panel-web/scripts/preview-check.mjs [--out /tmp/panel-preview] [--serve]
 *
 * --serve keeps the stub running (prints its URL) instead of taking screenshots.
 * Needs playwright-core (root devDependency) and a Chromium at $CHROMIUM_PATH or /usr/bin/chromium.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server } from 'socket.io';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, '..', 'dist');
const args = process.argv.slice(2);
const outDir = args.includes('--out') ? args[args.indexOf('--out') + 1] : '/tmp/panel-preview';
const serveOnly = args.includes('--serve');

if (!existsSync(join(dist, 'index.html'))) {
  console.error('dist/ is missing: run `npm run build -w examples/panel-web` first');
  process.exit(1);
}

// ---------------------------------------------------------------- fake data (preview only)

const ME = { id: '100000000000000001', username: 'alice' };
const GUILD_ID = '200000000000000001';
const now = Date.now();
const min = 60_000;

const channels = {
  text: [
    { id: '300000000000000001', name: 'général' },
    { id: '300000000000000002', name: 'logs' },
    { id: '300000000000000003', name: 'welcome' },
  ],
  voice: [{ id: '300000000000000009', name: 'Lounge' }],
  categories: [],
};

/**
 * A preview guild from one row of the table below: its modules are given as [moderation, welcome,
 * logging] enabled flags, its log channel last (none when left out).
 */
function previewGuild([
  guildId,
  name,
  ownerId,
  prefix,
  language,
  [moderation, welcome, logging],
  version,
  logChannelId,
]) {
  const mod = (enabled) => ({ enabled, config: {} });
  return [
    guildId,
    {
      guildId,
      name,
      icon: null,
      ownerId,
      settings: { prefix, language, logChannelId: logChannelId ?? null },
      modules: { moderation: mod(moderation), welcome: mod(welcome), logging: mod(logging) },
      version,
    },
  ];
}

const guilds = new Map(
  [
    // [id, name, owner, prefix, language, [moderation, welcome, logging], version, log channel]
    [GUILD_ID, 'Wolaro Demo', ME.id, '!', 'en', [true, false, true], 6, '300000000000000002'],
    ['200000000000000002', 'Pixel Artists Guild', '100000000000000009', '?', 'fr', [true, true, false], 14],
    ['200000000000000003', 'Speedrun Club', '100000000000000008', '$', 'en', [false, false, false], 2],
  ].map(previewGuild),
);

const clone = (v) => JSON.parse(JSON.stringify(v));
const revisions = new Map([[GUILD_ID, []]]);
{
  const steps = [
    [1, null, 'created', (s) => s, 180],
    [
      2,
      ME.id,
      'settings',
      (s) => ({ ...s, settings: { ...s.settings, logChannelId: '300000000000000002' } }),
      160,
    ],
    [
      3,
      ME.id,
      'module:logging',
      (s) => ({ ...s, modules: { ...s.modules, logging: { enabled: true, config: {} } } }),
      95,
    ],
    [4, '100000000000000002', 'settings', (s) => ({ ...s, settings: { ...s.settings, prefix: '?' } }), 50],
    [5, '100000000000000002', 'settings', (s) => ({ ...s, settings: { ...s.settings, language: 'fr' } }), 30],
    [6, ME.id, 'restore:3', (s) => ({ ...s, settings: { ...s.settings, prefix: '!', language: 'en' } }), 4],
  ];
  let state = {
    settings: { prefix: '!', language: 'en', logChannelId: null },
    modules: {
      moderation: { enabled: true, config: {} },
      welcome: { enabled: false, config: {} },
      logging: { enabled: false, config: {} },
    },
  };
  for (const [version, by, change, apply, ago] of steps) {
    state = apply(clone(state));
    revisions.get(GUILD_ID).unshift({
      id: String(version),
      version,
      settings: clone(state.settings),
      modules: clone(state.modules),
      changedBy: by,
      changedByName: by === ME.id ? ME.username : null,
      change,
      createdAt: new Date(now - ago * min).toISOString(),
    });
  }
}

const logs = [
  ['/warn', 'bob', 'success', 1],
  ['!ping', 'carol', 'success', 3],
  ['/ban', 'mallory', 'denied', 7],
  ['/config', 'alice', 'success', 12],
  ['/purge', 'bob', 'error', 26],
].map(([command, executor, result, ago], i) => ({
  id: String(100 - i),
  guildId: GUILD_ID,
  command,
  executorId: `10000000000000001${i}`,
  executor,
  result,
  createdAt: new Date(now - ago * min).toISOString(),
}));

// ---------------------------------------------------------------- fake HTTP API (preview only)

const CSP =
  "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';" +
  "img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';" +
  "style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests";

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
};

let io;
const revoked = new Set();

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
const fail = (res, status, code, message, extra = {}) =>
  send(res, status, { error: { code, message, ...extra } });

async function readBody(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return raw ? JSON.parse(raw) : {};
}

/** Someone else sets the demo guild's prefix: a new version, pushed to the panel as the API pushes it. */
function prefixChangedElsewhere(prefix) {
  const g = guilds.get(GUILD_ID);
  g.settings.prefix = prefix;
  g.version++;
  io.emit('config:updated', {
    guildId: GUILD_ID,
    settings: clone(g.settings),
    version: g.version,
    timestamp: Date.now(),
  });
}

function record(guild, change) {
  revisions.get(guild.guildId)?.unshift({
    id: String(guild.version),
    version: guild.version,
    settings: clone(guild.settings),
    modules: clone(guild.modules),
    changedBy: ME.id,
    changedByName: ME.username,
    change,
    createdAt: new Date().toISOString(),
  });
}

async function handleApi(req, res, url) {
  const auth = req.headers.authorization ?? '';
  if (!auth.startsWith('Bearer ')) return fail(res, 401, 'unauthorized', 'Authentication required');
  const path = url.pathname;
  if (path === '/api/auth/me' && req.method === 'GET') {
    return send(res, 200, {
      user: ME,
      session: { id: 's1', expiresAt: new Date(now + 3600e3).toISOString() },
      admin: false,
    });
  }
  if (path === '/api/auth/logout' && req.method === 'POST') return send(res, 200, { ok: true });
  if (path === '/api/panel/guilds' && req.method === 'GET') {
    const list = [...guilds.values()]
      .filter((g) => !revoked.has(g.guildId))
      .map((g) => ({
        guildId: g.guildId,
        name: g.name,
        icon: g.icon,
        isOwner: g.ownerId === ME.id,
        version: g.version,
      }));
    return send(res, 200, { guilds: list });
  }
  const m = /^\/api\/(panel|discord)\/guilds\/(\d+)(\/.*)?$/.exec(path);
  if (!m) return fail(res, 404, 'not_found', `No route ${req.method} ${path}`);
  const [, area, id, rest = ''] = m;
  const guild = guilds.get(id);
  if (!guild || revoked.has(id)) return fail(res, 403, 'forbidden', 'You cannot manage this guild');
  if (area === 'discord')
    return rest === '/channels' ? send(res, 200, channels) : fail(res, 404, 'not_found', 'No route');

  if (rest === '' && req.method === 'GET') {
    const { guildId, name, icon, settings, modules, version } = guild;
    return send(res, 200, { guildId, name, icon, settings, modules, version });
  }
  if (rest === '' && req.method === 'PATCH') {
    const body = await readBody(req);
    if (typeof body.settings?.prefix === 'string' && !/^\S{1,5}$/.test(body.settings.prefix)) {
      return fail(res, 400, 'invalid_body', 'body.settings.prefix: must be 1-5 characters', {
        fields: ['body.settings.prefix'],
      });
    }
    if (body.version !== undefined && body.version !== guild.version) {
      return fail(
        res,
        409,
        'version_conflict',
        'The configuration changed since you loaded it: reload and retry',
        {
          currentVersion: guild.version,
          expectedVersion: body.version,
        },
      );
    }
    guild.settings = { ...guild.settings, ...body.settings };
    guild.version++;
    record(guild, 'settings');
    io.emit('config:updated', {
      guildId: id,
      settings: guild.settings,
      version: guild.version,
      timestamp: Date.now(),
    });
    return send(res, 200, { guildId: id, settings: guild.settings, version: guild.version });
  }
  const mod = /^\/modules\/([a-z0-9_-]+)$/.exec(rest);
  if (mod && req.method === 'PATCH') {
    const body = await readBody(req);
    if (body.version !== undefined && body.version !== guild.version) {
      return fail(res, 409, 'version_conflict', 'The configuration changed since you loaded it', {
        currentVersion: guild.version,
      });
    }
    const name = mod[1];
    guild.modules[name] = { ...(guild.modules[name] ?? { config: {} }), enabled: body.enabled };
    guild.version++;
    record(guild, `module:${name}`);
    io.emit('module:toggled', {
      guildId: id,
      module: name,
      enabled: body.enabled,
      config: {},
      version: guild.version,
      timestamp: Date.now(),
    });
    return send(res, 200, { guildId: id, module: name, ...guild.modules[name], version: guild.version });
  }
  if (rest === '/sync' && req.method === 'POST') {
    io.emit('guild:reload', { guildId: id, reason: 'Manual sync', timestamp: Date.now() });
    return send(res, 202, { ok: true, published: true });
  }
  if (rest.startsWith('/revisions') && req.method === 'GET') {
    return send(res, 200, { revisions: revisions.get(id) ?? [] });
  }
  const restore = /^\/revisions\/(\d+)\/restore$/.exec(rest);
  if (restore && req.method === 'POST') {
    const rev = (revisions.get(id) ?? []).find((r) => r.version === Number(restore[1]));
    if (!rev) return fail(res, 404, 'not_found', 'No such revision');
    guild.settings = clone(rev.settings);
    guild.modules = clone(rev.modules);
    guild.version++;
    record(guild, `restore:${rev.version}`);
    io.emit('config:updated', {
      guildId: id,
      settings: guild.settings,
      version: guild.version,
      timestamp: Date.now(),
    });
    return send(res, 200, {
      guildId: id,
      restored: rev.version,
      settings: guild.settings,
      modules: guild.modules,
      version: guild.version,
    });
  }
  if (rest.startsWith('/logs') && req.method === 'GET')
    return send(res, 200, { logs: id === GUILD_ID ? logs : [] });
  return fail(res, 404, 'not_found', `No route ${req.method} ${path}`);
}

function serveStatic(res, pathname) {
  let rel = pathname.replace(/^\/panel\/?/, '');
  let file = normalize(join(dist, rel));
  if (!file.startsWith(dist) || !rel || !existsSync(file)) {
    file = join(dist, 'index.html'); // SPA fallback
    rel = 'index.html';
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-security-policy': CSP,
    'cross-origin-opener-policy': 'same-origin',
    'x-content-type-options': 'nosniff',
  });
  res.end(readFileSync(file));
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname.startsWith('/api/')) {
    handleApi(req, res, url).catch((err) => fail(res, 500, 'internal', String(err)));
  } else if (url.pathname === '/' || url.pathname.startsWith('/panel')) {
    serveStatic(res, url.pathname === '/' ? '/panel/' : url.pathname);
  } else {
    fail(res, 404, 'not_found', 'Not found');
  }
});
io = new Server(server, { serveClient: false });
io.use((socket, next) => (socket.handshake.auth?.token ? next() : next(new Error('unauthorized'))));

await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
console.log(`Preview stub (fake API): ${base}/panel/`);

if (serveOnly) {
  console.log(`Log in with ${base}/panel/#token=preview`);
} else {
  await runChecks();
  await io.close();
  server.close();
}

// ---------------------------------------------------------------- browser run

async function runChecks() {
  const { chromium } = await import('playwright-core');
  mkdirSync(outDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const problems = [];
  const check = (ok, what) => {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) problems.push(what);
  };
  const shot = async (page, name, fullPage = true) => {
    const file = join(outDir, `${name}.png`);
    await page.screenshot({ path: file, fullPage });
    console.log(`     screenshot ${file}`);
  };
  const emitCommand = (command, executor, result) =>
    io.emit('command:executed', {
      guildId: GUILD_ID,
      command,
      executorId: '100000000000000042',
      executor,
      result,
      timestamp: Date.now(),
    });

  try {
    for (const colorScheme of ['light', 'dark']) {
      for (const [label, viewport] of [
        ['desktop', { width: 1280, height: 800 }],
        ['phone', { width: 390, height: 844 }],
      ]) {
        const context = await browser.newContext({ viewport, colorScheme, deviceScaleFactor: 1 });
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        page.on('console', (msg) => {
          if (msg.type() === 'error') errors.push(msg.text());
        });
        await page.goto(`${base}/panel/login`);
        await page.getByRole('button', { name: 'Log in with Discord' }).waitFor();
        await shot(page, `login-${label}-${colorScheme}`);

        await page.goto(`${base}/panel/#token=preview-token`);
        await page.waitForURL(`${base}/panel/home`);
        await page.getByRole('link', { name: 'Wolaro Demo' }).waitFor();
        await page.getByRole('status', { name: 'Live' }).waitFor();
        await shot(page, `home-${label}-${colorScheme}`);

        await page.getByRole('link', { name: 'Wolaro Demo' }).click();
        await page.waitForURL(`${base}/panel/guilds/${GUILD_ID}`);
        await page.getByLabel('Prefix').waitFor();
        await page.getByRole('list', { name: 'Live command log' }).getByRole('listitem').first().waitFor();
        emitCommand('/ban', 'dave', 'success');
        await page.getByRole('list', { name: 'Live command log' }).getByText('dave').waitFor();
        await page.waitForTimeout(2600); // let the "new entry" highlight fade
        await shot(page, `guild-${label}-${colorScheme}`);
        if (label === 'phone') {
          await shot(page, `guild-${label}-${colorScheme}-top`, false);
          await page.locator('#command-log').scrollIntoViewIfNeeded();
          await shot(page, `guild-${label}-${colorScheme}-log`, false);
        }
        check(errors.length === 0, `${label}/${colorScheme}: no console errors (${errors.join(' | ')})`);
        await context.close();
      }
    }

    // Behaviour (desktop, light): live updates, edits kept, 409, revocation.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}/panel/#token=preview-token`);
    await page.goto(`${base}/panel/guilds/${GUILD_ID}`);
    const prefix = page.getByRole('textbox', { name: 'Prefix' });
    await page.getByRole('status', { name: 'Live' }).waitFor();
    await prefix.waitFor();
    check((await page.title()) === 'Wolaro Demo · Wolaro Panel', 'document title names the guild');
    check(
      (await page.getByRole('combobox', { name: 'Log channel' }).locator('option:checked').textContent()) ===
        '#logs',
      'Log channel shows #logs by name',
    );

    // Someone else changes the prefix: the untouched field follows.
    prefixChangedElsewhere('?');
    await page.waitForFunction(() => document.querySelector('#setting-prefix')?.value === '?', null, {
      timeout: 3000,
    });
    check((await prefix.inputValue()) === '?', 'Prefix shows the live value when not edited');

    // The user edits; someone else changes the same field: the edit stays, flagged.
    await prefix.fill('>>');
    prefixChangedElsewhere('%');
    await page.getByText('Updated elsewhere').waitFor({ timeout: 3000 });
    check((await prefix.inputValue()) === '>>', 'edited Prefix keeps the user value');
    await shot(page, 'guild-updated-elsewhere');

    // Save → 409 (edit based on an older version) → alert with Reload; the value stays.
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const conflict = page.getByRole('alert').filter({ hasText: 'This server was changed by someone else' });
    await conflict.waitFor({ timeout: 3000 });
    check((await prefix.inputValue()) === '>>', '409 keeps the attempted value visible');
    await shot(page, 'guild-conflict');
    await conflict.getByRole('button', { name: 'Reload' }).click();
    await conflict.waitFor({ state: 'detached' });
    check((await prefix.inputValue()) === '%', 'Reload loads the newer config');

    // A plain save.
    await prefix.fill('w!');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Settings saved').waitFor();
    check(g.settings.prefix === 'w!', 'Save sends PATCH with the changed field');
    await page
      .getByRole('list', { name: 'Revision history' })
      .getByText(`v${g.version}`, { exact: true })
      .waitFor({ timeout: 3000 });
    check(true, 'history shows the new version after a save');

    // Input the API would refuse: marked at once, Save disabled.
    await prefix.fill('toolong');
    await page.getByText('Prefix must be 1-5 characters.').waitFor();
    check(
      await page.getByRole('button', { name: 'Save', exact: true }).isDisabled(),
      'an invalid prefix is marked and cannot be saved',
    );
    await shot(page, 'guild-error');
    await page.getByRole('button', { name: 'Discard changes' }).click();

    // Module switch.
    await page.getByRole('switch', { name: 'Welcome' }).click();
    await page.waitForFunction(() => document.querySelector('#module-welcome')?.checked === true);
    check(g.modules.welcome.enabled === true, 'the Welcome switch sends PATCH modules/welcome');

    // Restore.
    await page.getByRole('button', { name: 'Restore version 3' }).click();
    await page.getByText('Version 3 restored').waitFor();
    check(true, 'Restore version 3 works');

    // Disconnect → Reconnecting…, reconnect → Live.
    for (const s of await io.fetchSockets()) s.disconnect(true);
    await page.getByRole('status', { name: 'Reconnecting…' }).waitFor({ timeout: 3000 });
    await page.getByRole('status', { name: 'Live' }).waitFor({ timeout: 8000 });
    check(true, 'status goes Reconnecting… → Live after a server disconnect');

    // Revocation: the page's notice with the reason, then the server list without the server.
    revoked.add(GUILD_ID);
    io.emit('permission:revoked', {
      guildId: GUILD_ID,
      userId: ME.id,
      reason: 'Administrator role removed',
      timestamp: Date.now(),
    });
    await page.getByRole('alert').filter({ hasText: 'Administrator role removed' }).waitFor();
    check(true, 'permission:revoked → a notice on the page');
    await page.waitForURL(`${base}/panel/home`);
    await page.getByRole('link', { name: 'Pixel Artists Guild' }).waitFor();
    check(
      (await page.getByRole('link', { name: 'Wolaro Demo' }).count()) === 0,
      'revoked guild is gone from the list',
    );
    revoked.delete(GUILD_ID);

    // Log out.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${base}/panel/login`);
    check(true, 'Log out → login page');
    await context.close();
  } finally {
    await browser.close();
  }
  if (problems.length > 0) {
    console.error(`${problems.length} check(s) failed`);
    process.exitCode = 1;
  } else {
    console.log('All preview checks passed.');
  }
}
