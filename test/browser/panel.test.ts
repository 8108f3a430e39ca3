/**
 * The whole system in real browsers: `npm start` (embedded PGlite, in-process bus, Discord
 * emulator, bot, panel API + panel) as a child process, Chromium driven by playwright-core.
 * The tests build on each other in order: log in → live prefix update → the bot uses it → live
 * command log (+ screenshots) → conflicting saves → form errors → sticky header → revoking an admin.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO } from '@wolaro/discord-emulator';
import { httpControl } from '@wolaro/test-harness';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, freshDataDir, json, loginInBrowser, type Stack, startStack } from './stack.js';

const GUILD = DEMO.guildId;
const GENERAL = DEMO.channels.general;
/** Screenshots go to the run's temporary folder; `npm run docs:screenshots` sends them to docs/img. */
const imgDir = () => process.env['WOLARO_SCREENSHOT_DIR'] ?? join(data?.dir ?? tmpdir(), 'img');

interface Session {
  context: BrowserContext;
  page: Page;
  /** `window.alert` / `confirm` messages seen by this page (the panel uses none) */
  dialogs: string[];
}

interface GuildBody {
  settings: { prefix?: string };
  version: number;
}

let data: ReturnType<typeof freshDataDir> | undefined;
let stack: Stack | undefined;
let browser: Browser | undefined;
let owner: Session; // theo7791l, owner of Wolaro Demo
let admin: Session; // alice_admin (100000000000000002), Admin role

const prefixBox = (page: Page) => page.getByRole('textbox', { name: 'Prefix' });
const commandLog = (page: Page) => page.getByRole('list', { name: 'Live command log' });
const liveStatus = (page: Page) => page.getByRole('status', { name: 'Live' });
const saveButton = (page: Page) => page.getByRole('button', { name: 'Save' });
const invalid = async (page: Page) => (await prefixBox(page).getAttribute('aria-invalid')) === 'true';

/** People read "server" everywhere; "guild" is Discord's API word and stays out of the page. */
async function expectNoGuildWord(page: Page) {
  expect(await page.locator('body').textContent()).not.toMatch(/\bguilds?\b/i);
}

function sys(): Stack {
  if (!stack) throw new Error('npm start did not come up');
  return stack;
}

async function login(username: string): Promise<Session> {
  const { context, page } = await loginInBrowser(browser!, sys().panelUrl, username);
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.accept();
  });
  return { context, page, dialogs };
}

/** The guild as the API has it now (read with the owner's session). */
async function apiGuild(): Promise<GuildBody> {
  const token = await owner.page.evaluate(() => sessionStorage.getItem('wolaro.panel.token'));
  const { status, body } = await json<GuildBody>(`${sys().origin}/api/panel/guilds/${GUILD}`, {
    token: token ?? '',
  });
  expect(status).toBe(200);
  return body;
}

/** The emulator's control API (it runs inside `npm start`). */
const emulator = () => httpControl(sys().emulatorUrl);

async function slashCommand(userId: string, command: string, options: Record<string, string> = {}) {
  return emulator().createInteraction({ guildId: GUILD, channelId: GENERAL, userId, command, options });
}

async function screenshot(page: Page, name: string) {
  mkdirSync(imgDir(), { recursive: true });
  await page.screenshot({ path: join(imgDir(), name), animations: 'disabled', caret: 'hide' });
}

beforeAll(async () => {
  data = freshDataDir();
  stack = await startStack(data.dataDir);
  browser = await chromium.launch(CHROMIUM);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  const exit = await stack?.stop();
  data?.remove();
  if (stack) {
    expect(exit, stack.output()).toEqual({ code: 0, signal: null });
    expect(stack.output()).toMatch(/Stopped\.\s*$/);
    expect(stack.stderr()).toBe('');
  }
}, 60_000);

describe('panel in real browsers against npm start', () => {
  it('two admins log in through the Discord OAuth page and open the same guild', async () => {
    [owner, admin] = await Promise.all([login('theo7791l'), login('alice_admin')]);
    for (const { page } of [owner, admin]) {
      await page.getByRole('link', { name: 'Wolaro Demo' }).click();
      await page.waitForURL((url) => url.pathname === `/panel/guilds/${GUILD}`);
      await liveStatus(page).waitFor();
      await expect.poll(() => prefixBox(page).inputValue()).toBe('!');
      await page.getByRole('list', { name: 'Revision history' }).getByRole('listitem').first().waitFor();
      await expectNoGuildWord(page);
    }
  });

  it('a prefix saved in one browser shows live in the other, without a reload', async () => {
    // Anything that reloads the admin's page would drop this marker.
    await admin.page.evaluate(() => {
      (window as unknown as { __noReload: boolean }).__noReload = true;
    });
    await prefixBox(owner.page).fill('?');

    const shownInOther = admin.page
      .waitForFunction(
        () => (document.getElementById('setting-prefix') as HTMLInputElement)?.value === '?',
        null,
        {
          polling: 'raf',
          timeout: 5000,
        },
      )
      .then(() => performance.now());
    const saved = owner.page
      .waitForResponse(
        (r) => r.request().method() === 'PATCH' && r.url().endsWith(`/api/panel/guilds/${GUILD}`),
      )
      .then((response) => ({ response, at: performance.now() }));
    const clickedAt = performance.now();
    await owner.page.getByRole('button', { name: 'Save' }).click();
    const [{ response, at: savedAt }, seenAt] = await Promise.all([saved, shownInOther]);

    expect(response.status()).toBe(200);
    const fromClick = Math.round(seenAt - clickedAt);
    const fromResponse = Math.round(seenAt - savedAt);
    console.log(
      `[e2e] cross-browser prefix update: seen in the other browser ${fromClick} ms after the Save click, ` +
        `${fromResponse} ms after the 200 reached the saving browser (negative: the live update came first)`,
    );

    expect(await admin.page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(
      true,
    );
    await liveStatus(admin.page).waitFor();
    expect((await apiGuild()).settings.prefix).toBe('?');
  });

  it('the demo bot answers ?ping after the prefix change to ?, and no longer !ping', async () => {
    const before = (await emulator().messages(GENERAL)).length;
    await emulator().sendMessage(GENERAL, { authorId: DEMO.users.owner, content: '!ping' });
    await emulator().sendMessage(GENERAL, { authorId: DEMO.users.owner, content: '?ping' });
    await expect
      .poll(
        async () =>
          (await emulator().messages(GENERAL))
            .slice(before)
            .find((m) => m.author.id === DEMO.users.bot && m.content.startsWith('Pong!')),
        { timeout: 10_000, interval: 100 },
      )
      .toBeDefined();
    // One answer: `!ping` (handled first, at once: no command) got none.
    const answers = (await emulator().messages(GENERAL))
      .slice(before)
      .filter((m) => m.author.id === DEMO.users.bot);
    expect(answers).toHaveLength(1);
    // Message commands are logged too, as typed: with the prefix used, not as a slash command.
    for (const page of [owner.page, admin.page]) {
      await commandLog(page).getByRole('listitem').filter({ hasText: '?ping' }).first().waitFor();
      expect(await commandLog(page).getByRole('listitem').filter({ hasText: '/ping' }).count()).toBe(0);
    }
  });

  it('a slash command run in Discord appears in the live command log of every open panel', async () => {
    // The log already holds the `?ping` of the previous test: count entries, do not just read the top one.
    const pages = [owner.page, admin.page];
    const before = await Promise.all(pages.map((page) => commandLog(page).getByRole('listitem').count()));
    const { id } = await slashCommand(DEMO.users.owner, 'ping');

    for (const [i, page] of pages.entries()) {
      const items = commandLog(page).getByRole('listitem');
      await expect.poll(() => items.count(), { timeout: 5000 }).toBe((before[i] ?? 0) + 1);
      expect(await items.first().textContent()).toMatch(/\/ping.*theo7791l.*success/);
    }
    await expect
      .poll(async () => (await emulator().interaction(id)).response?.data?.['content'])
      .toMatch(/^Pong!/);

    // A few more, for a log that looks like a real server's (and a denied one).
    await slashCommand(DEMO.users.moderator, 'warn', { user: DEMO.users.member, reason: 'spam in #général' });
    await slashCommand(DEMO.users.member, 'ban', { user: DEMO.users.moderator });
    await slashCommand(DEMO.users.admin, 'config');
    for (const page of [owner.page, admin.page]) {
      for (const text of [
        /\/warn.*marc_mod.*success/,
        /\/ban.*nina_member.*denied/,
        /\/config.*alice_admin.*success/,
      ]) {
        await commandLog(page).getByRole('listitem').filter({ hasText: text }).waitFor();
      }
      await page.getByRole('list', { name: 'Revision history' }).getByRole('listitem').nth(1).waitFor();
    }

    // Screenshots for the README and the quickstart (1280×800): the owner's settings page, and the
    // other admin's panel (in the OS dark theme) with the command log that filled up live.
    await screenshot(owner.page, 'panel-settings.png');
    await admin.page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(admin.page, 'panel-live-log.png');
    await admin.page.emulateMedia({ colorScheme: 'light' });
  });

  it('conflicting saves: the second one gets the conflict alert and overwrites nothing', async () => {
    // Both pages on the same version.
    const version = (await apiGuild()).version;
    for (const { page } of [owner, admin]) {
      await page.getByText(`Version ${version}`, { exact: true }).first().waitFor();
    }

    // The admin starts editing; then the owner saves "!".
    await prefixBox(admin.page).fill('$');
    await prefixBox(owner.page).fill('!');
    await owner.page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await apiGuild()).settings.prefix).toBe('!');

    // The admin's edit is kept (not overwritten by the live update) and marked.
    await admin.page.getByText(/Updated elsewhere: now “!”/).waitFor();
    expect(await prefixBox(admin.page).inputValue()).toBe('$');

    // Saving it is refused with a visible conflict; nothing is overwritten.
    const refused = admin.page.waitForResponse(
      (r) => r.request().method() === 'PATCH' && r.url().endsWith(`/api/panel/guilds/${GUILD}`),
    );
    await admin.page.getByRole('button', { name: 'Save' }).click();
    expect((await refused).status()).toBe(409);
    const alert = admin.page
      .getByRole('alert')
      .filter({ hasText: 'This server was changed by someone else.' });
    await alert.waitFor();
    await alert.getByRole('button', { name: 'Reload' }).waitFor();
    expect((await apiGuild()).settings.prefix).toBe('!');
    expect(await prefixBox(owner.page).inputValue()).toBe('!');
    expect(await prefixBox(admin.page).inputValue()).toBe('$');

    // Only an explicit "Overwrite" replaces it, and the other panel follows live.
    await alert.getByRole('button', { name: 'Overwrite' }).click();
    await alert.waitFor({ state: 'detached' });
    await expect.poll(async () => (await apiGuild()).settings.prefix).toBe('$');
    await expect.poll(() => prefixBox(owner.page).inputValue()).toBe('$');
  });

  it('input the API would refuse is caught before saving: Save disabled, the rule shown, a valid example', async () => {
    const page = owner.page;
    const saved = await prefixBox(page).inputValue();
    const example = page.locator('#prefix-hint code');

    await prefixBox(page).fill('a b c d e f');
    await page.getByText('Prefix must be 1-5 characters and must not contain spaces.').waitFor();
    expect(await invalid(page)).toBe(true);
    expect(await prefixBox(page).getAttribute('aria-errormessage')).toBe('prefix-error');
    expect(await saveButton(page).isDisabled()).toBe(true);
    expect(await example.textContent()).toBe(`${saved}ping`); // not "a b c d e fping"

    await prefixBox(page).fill('#');
    await expect.poll(() => invalid(page)).toBe(false);
    expect(await saveButton(page).isEnabled()).toBe(true);
    expect(await example.textContent()).toBe('#ping');

    await prefixBox(page).fill('a b');
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await expect.poll(() => invalid(page)).toBe(false);
    expect(await prefixBox(page).inputValue()).toBe(saved);
    expect(await page.locator('.field-error').count()).toBe(0);
  });

  it('a field the API refuses is red while its error shows, not after Discard, Force sync or Restore', async () => {
    const page = owner.page;
    const url = `**/api/panel/guilds/${GUILD}`;
    // A panel whose rules lag behind the API's: the save leaves with a prefix the real API refuses.
    await page.route(url, async (route) => {
      const request = route.request();
      if (request.method() !== 'PATCH') return route.continue();
      const body = request.postDataJSON() as { settings: Record<string, unknown> };
      await route.continue({
        postData: JSON.stringify({ ...body, settings: { ...body.settings, prefix: 'x y' } }),
      });
    });
    const errorAlert = page.getByRole('alert').filter({ hasText: 'Prefix: must not contain spaces' });
    const refusedSave = async () => {
      await prefixBox(page).fill('#');
      const answer = page.waitForResponse(
        (r) => r.request().method() === 'PATCH' && r.url().endsWith(`/api/panel/guilds/${GUILD}`),
      );
      await saveButton(page).click();
      expect((await answer).status()).toBe(400);
      await errorAlert.waitFor();
      expect(await invalid(page)).toBe(true);
    };
    const errorGone = async () => {
      await errorAlert.waitFor({ state: 'detached' });
      expect(await invalid(page)).toBe(false);
    };
    try {
      await refusedSave();
      await page.getByRole('button', { name: 'Discard changes' }).click();
      await errorGone();

      await refusedSave();
      await page.getByRole('button', { name: 'Force sync' }).click();
      await errorGone();

      await refusedSave();
      await page.getByRole('button', { name: 'Restore version 1' }).click();
      await errorGone();
      await page.getByText(/^Version 1 restored as version \d+\.$/).waitFor();
    } finally {
      await page.unroute(url);
    }
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await expect.poll(async () => (await apiGuild()).settings.prefix).toBe('!');
    await expect.poll(() => prefixBox(page).inputValue()).toBe('!');
  });

  it('the sticky top bar is opaque: a section jumped to does not show through it', async () => {
    const page = owner.page;
    await page.setViewportSize({ width: 1280, height: 480 });
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
      await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(0);
      const bar = page.locator('.topbar');
      expect(await bar.evaluate((el) => getComputedStyle(el).backgroundColor)).toMatch(
        /^rgb\(\d+, \d+, \d+\)$/,
      );
      const [barBox, sectionBox] = await Promise.all([
        bar.boundingBox(),
        page.locator('#history').boundingBox(),
      ]);
      expect(sectionBox!.y).toBeGreaterThanOrEqual(barBox!.y + barBox!.height);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('an admin whose role is removed in Discord is told on the page, sent home and refused the server', async () => {
    const token = await admin.page.evaluate(() => sessionStorage.getItem('wolaro.panel.token'));
    await emulator().updateMember(GUILD, DEMO.users.admin, { roles: [] });

    // The page's own notice, not a browser dialog.
    const notice = admin.page.getByRole('alert').filter({ hasText: 'Administrator role removed' });
    await notice.waitFor({ timeout: 5000 });
    expect(await notice.textContent()).toContain('You can no longer manage Wolaro Demo');
    await admin.page.waitForURL((url) => url.pathname === '/panel/home');
    await admin.page.getByRole('heading', { name: 'No servers to manage' }).waitFor();
    expect(admin.dialogs).toEqual([]);
    await expectNoGuildWord(admin.page);
    await notice.getByRole('button', { name: 'Dismiss notice' }).click();
    await notice.waitFor({ state: 'detached' });

    // The API refuses the server, and so does the page when opened directly.
    const { status } = await json(`${sys().origin}/api/panel/guilds/${GUILD}`, { token: token ?? '' });
    expect(status).toBe(403);
    await admin.page.goto(`${sys().origin}/panel/guilds/${GUILD}`);
    await admin.page.getByRole('heading', { name: 'You cannot manage this server' }).waitFor();
    expect(await admin.page.getByRole('alert').textContent()).toContain('You cannot manage this server');
    await admin.page.getByRole('link', { name: 'Back to your servers' }).waitFor();
    expect(await prefixBox(admin.page).count()).toBe(0);
    await expectNoGuildWord(admin.page);

    // The owner is not affected.
    expect(owner.dialogs).toEqual([]);
    expect(owner.page.url()).toContain(`/panel/guilds/${GUILD}`);
    await liveStatus(owner.page).waitFor();
  });
});
