/**
 * Login CSRF: the panel keeps a `#token=` from the address bar only with the nonce its own tab
 * created before it went to the Discord login. panel-api carries that nonce through the OAuth2
 * `state` (covered by the state cookie's signature) and hands it back beside the token. A link made
 * by someone else (their token, their nonce, or no nonce) logs nobody in. Real Chromium against the
 * panel API serving a fresh build of the panel, the emulator as Discord.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, startWorld, type TestWorld } from '../../examples/panel-api/test/helpers.js';
import { ROOT, run } from '../../examples/panel-api/test/process.js';
import { CHROMIUM, loginInBrowser, oauthRoundTrip } from '../browser/stack.js';

const NONCE = 'attacker-nonce-0123456789abcdef';

/** Builds the panel into a temporary directory (the tree stays clean). */
async function buildPanel(outDir: string): Promise<void> {
  const result = await run(
    'npx',
    ['vite', 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: join(ROOT, 'examples/panel-web'),
      timeoutMs: 120_000,
    },
  );
  if (result.code !== 0) throw new Error(`vite build failed: ${result.stderr}`);
}

/** {@link oauthRoundTrip} against the world's API, with the fragment of the final redirect parsed. */
async function oauthLogin(
  w: TestWorld,
  userId: string,
  options: { nonce?: string; editState?: (state: string) => string } = {},
): Promise<{ status: number; fragment: URLSearchParams; body: string }> {
  const done = await oauthRoundTrip(w.api.url, userId, options);
  const fragment = new URLSearchParams(new URL(done.location || '/', w.api.url).hash.slice(1));
  return { status: done.status, fragment, body: done.body };
}

describe('login nonce', () => {
  let w: TestWorld;
  let browser: Browser;
  const outDir = mkdtempSync(join(tmpdir(), 'wolaro-panel-web-'));

  beforeAll(async () => {
    await buildPanel(outDir);
    w = await startWorld({ label: 'sec_nonce', config: { panelWebDir: outDir } });
    browser = await chromium.launch(CHROMIUM);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await w?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('the API hands back the nonce it got at /api/auth/discord, beside the token', async () => {
    const login = await oauthLogin(w, DEMO.users.admin, { nonce: NONCE });
    expect(login.status).toBe(302);
    expect(login.fragment.get('token')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(login.fragment.get('nonce')).toBe(NONCE);
    // Without a nonce there is none to hand back (the panel then refuses the token).
    const bare = await oauthLogin(w, DEMO.users.admin);
    expect(bare.fragment.get('token')).toBeTruthy();
    expect(bare.fragment.has('nonce')).toBe(false);
  });

  it('a malformed nonce is refused, and the nonce inside the state cannot be swapped', async () => {
    for (const nonce of ['short', 'x'.repeat(129), 'has spaces in it 0123456789', '<script>0123456789abc']) {
      const res = await fetch(`${w.api.url}/api/auth/discord?nonce=${encodeURIComponent(nonce)}`, {
        redirect: 'manual',
      });
      expect(res.status, nonce).toBe(400);
    }
    const swapped = await oauthLogin(w, DEMO.users.admin, {
      nonce: NONCE,
      editState: (state) => `${state.slice(0, 32)}${'z'.repeat(NONCE.length)}`,
    });
    expect(swapped.status).toBe(401);
    expect(swapped.body).toContain('invalid_state');
    expect(swapped.fragment.has('token')).toBe(false);
  });

  it('a token link made by someone else (their nonce, or none) does not log this browser in', async () => {
    const attacker = await oauthLogin(w, DEMO.users.member, { nonce: NONCE });
    const token = attacker.fragment.get('token') ?? '';
    expect(token).not.toBe('');
    for (const fragment of [`token=${token}&nonce=${NONCE}`, `token=${token}`]) {
      const context = await browser.newContext();
      context.setDefaultTimeout(10_000);
      try {
        const page = await context.newPage();
        await page.goto(`${w.api.url}/panel/#${fragment}`);
        await page.getByText('That login link was not started from this tab').waitFor();
        expect(await page.evaluate(() => sessionStorage.getItem('wolaro.panel.token'))).toBeNull();
        expect(new URL(page.url()).hash).toBe('');
        await page.getByRole('button', { name: 'Log in with Discord' }).waitFor();
      } finally {
        await context.close();
      }
    }
  });

  it('the login this tab starts goes through: the token is kept and the nonce is used up', async () => {
    const { context, page } = await loginInBrowser(browser, `${w.api.url}/panel/`, 'alice_admin');
    try {
      const stored = await page.evaluate(() => ({
        token: sessionStorage.getItem('wolaro.panel.token'),
        nonce: sessionStorage.getItem('wolaro.panel.login_nonce'),
      }));
      expect(stored.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(stored.nonce).toBeNull();
      expect((await w.request('GET', '/api/auth/me', { token: stored.token ?? '' })).body).toMatchObject({
        user: { id: DEMO.users.admin },
      });
    } finally {
      await context.close();
    }
  });
});
