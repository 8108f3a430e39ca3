/**
 * What `NODE_ENV=production` refuses: plain `http://` Discord (and panel) URLs to another machine,
 * a panel API without `PANEL_ORIGIN`, and `npm start` running the Discord emulator (whose login page
 * lets anyone log in as anyone).
 */
import { isLoopbackHost, plainHttpProblem } from '@wolaro/app-runtime';
import { describe, expect, it } from 'vitest';
import { ConfigError as BotConfigError, loadConfig as loadBotConfig } from '../../examples/bot/src/config.js';
import { ConfigError, createConfig, loadConfig } from '../../examples/panel-api/src/config.js';
import { run } from '../../examples/panel-api/test/process.js';

const SECRET = 'production-config-tests-secret-0123456789abcdef';
const SIGNING_KEY = 'production-config-tests-signing-key-0123456789';
const PROD = {
  NODE_ENV: 'production',
  JWT_SECRET: SECRET,
  SYNC_SIGNING_KEY: SIGNING_KEY,
  PANEL_ORIGIN: 'https://wolaro.fr',
} as const;

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof BotConfigError) return err.problems;
    throw err;
  }
  throw new Error('the configuration was accepted');
}

describe('panel API in production', () => {
  it('accepts https:// and http:// to this machine', () => {
    for (const url of [
      'https://discord.com/api',
      'http://127.0.0.1:4000/api',
      'http://localhost:4000/api',
      'http://[::1]:4000/api',
    ]) {
      expect(loadConfig({ ...PROD, DISCORD_API_URL: url }).discordApiUrl, url).toBe(url);
    }
    expect(loadConfig({ ...PROD, PANEL_ORIGIN: 'http://127.0.0.1:3000' }).panelOrigin).toBe(
      'http://127.0.0.1:3000',
    );
  });

  it('refuses http:// DISCORD_API_URL and PANEL_ORIGIN to another host', () => {
    expect(problemsOf(() => loadConfig({ ...PROD, DISCORD_API_URL: 'http://discord.example/api' }))).toEqual([
      'DISCORD_API_URL: must be https:// when NODE_ENV=production (plain http:// is only allowed to localhost), got "http://discord.example/api"',
    ]);
    expect(problemsOf(() => loadConfig({ ...PROD, PANEL_ORIGIN: 'http://wolaro.fr' }))[0]).toMatch(
      /^PANEL_ORIGIN: must be https:\/\//,
    );
    // In development the same URLs are fine (a LAN emulator, a test box).
    expect(loadConfig({ DISCORD_API_URL: 'http://10.0.0.5:4000/api' }).discordApiUrl).toBe(
      'http://10.0.0.5:4000/api',
    );
  });

  it('requires PANEL_ORIGIN, and lists every problem at once', () => {
    const problems = problemsOf(() =>
      loadConfig({ NODE_ENV: 'production', DISCORD_API_URL: 'http://192.0.2.7/api' }),
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'SYNC_SIGNING_KEY',
      'JWT_SECRET',
      'PANEL_ORIGIN',
      'DISCORD_API_URL',
    ]);
    expect(problems[2]).toContain('PANEL_ORIGIN: required when NODE_ENV=production');
    expect(() =>
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, SYNC_SIGNING_KEY: SIGNING_KEY }),
    ).toThrow(/Invalid panel API configuration:\n {2}- PANEL_ORIGIN: required when NODE_ENV=production/);
  });

  it('createConfig (in-process start) applies the same rules', () => {
    expect(() =>
      createConfig({ nodeEnv: 'production', jwtSecret: SECRET, syncSigningKey: { current: SIGNING_KEY } }),
    ).toThrow(/PANEL_ORIGIN: required/);
    expect(() =>
      createConfig({
        nodeEnv: 'production',
        jwtSecret: SECRET,
        syncSigningKey: { current: SIGNING_KEY },
        panelOrigin: 'https://wolaro.fr',
        discordApiUrl: 'http://discord.example/api',
      }),
    ).toThrow(/DISCORD_API_URL: must be https:\/\//);
    expect(
      createConfig({
        nodeEnv: 'production',
        jwtSecret: SECRET,
        syncSigningKey: { current: SIGNING_KEY },
        panelOrigin: 'https://wolaro.fr',
      }),
    ).toMatchObject({ nodeEnv: 'production', panelOrigin: 'https://wolaro.fr' });
  });
});

describe('bot in production', () => {
  it('refuses an http:// DISCORD_API_URL to another host (the bot token travels there)', () => {
    expect(
      problemsOf(() =>
        loadBotConfig({
          NODE_ENV: 'production',
          SYNC_SIGNING_KEY: SIGNING_KEY,
          DISCORD_API_URL: 'http://discord.example/api',
        }),
      ),
    ).toEqual([expect.stringMatching(/^DISCORD_API_URL: must be https:\/\//)]);
    expect(
      loadBotConfig({
        NODE_ENV: 'production',
        SYNC_SIGNING_KEY: SIGNING_KEY,
        DISCORD_API_URL: 'http://127.0.0.1:4000/api',
      }).discordApiUrl,
    ).toBe('http://127.0.0.1:4000/api');
    expect(loadBotConfig({ DISCORD_API_URL: 'http://discord.example/api' }).discordApiUrl).toBe(
      'http://discord.example/api',
    );
  });
});

describe('loopback rule', () => {
  it('isLoopbackHost and plainHttpProblem', () => {
    for (const host of ['localhost', '127.0.0.1', '127.8.9.10', '[::1]', '::1', 'app.localhost']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['10.0.0.1', '128.0.0.1', 'localhost.evil.com', '127.0.0.1.nip.io', '[::2]']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
    expect(plainHttpProblem('X', undefined)).toBeUndefined();
    expect(plainHttpProblem('X', 'https://a.example')).toBeUndefined();
    expect(plainHttpProblem('X', 'http://a.example')).toMatch(/^X: must be https:\/\//);
  });
});

describe('npm start', () => {
  it('refuses to run the Discord emulator when NODE_ENV=production (clear message, exit 1, nothing started)', async () => {
    const { code, stdout, stderr } = await run(process.execPath, ['scripts/start.mjs'], {
      env: { NODE_ENV: 'production', DISCORD_TOKEN: undefined },
      timeoutMs: 30_000,
    });
    expect(code).toBe(1);
    expect(stderr).toContain('NODE_ENV=production: npm start will not run the Discord emulator');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).not.toMatch(/Building|Starting the /);
  }, 30_000);
});
