// Browser tests: Debian's chromium driven by playwright-core through the whole reset story (invite → sign up →
// trusted users → forgotten password → two trustees confirm, k = 2 → owner sees it → waiting period → code →
// reset → re-add prompt) and the veto path, on SQLite and PostgreSQL, once with JavaScript disabled.
// Screenshots of every page go to test-artifacts/accounts/; one dashboard per language (lang-*.png).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium.ts';
import {
  DIALECTS,
  encryptedMailboxes,
  startTestService,
  stopPostgres,
  type Dialect,
  type TestService,
} from '@peergroup/test-support/accounts';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/accounts/', import.meta.url));
mkdirSync(ARTIFACTS, { recursive: true });

const WAIT_SECONDS = 3;

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

class Shooter {
  private n = 0;
  constructor(private readonly prefix: string) {}
  async shot(page: Page, name: string): Promise<void> {
    this.n++;
    await page.screenshot({ path: `${ARTIFACTS}${this.prefix}-${String(this.n).padStart(2, '0')}-${name}.png`, fullPage: true });
  }
}

interface Story {
  t: TestService;
  js: boolean;
  shots: Shooter;
  contexts: BrowserContext[];
}

async function newPage(s: Story): Promise<Page> {
  const ctx = await browser.newContext({ javaScriptEnabled: s.js, viewport: { width: 1000, height: 800 } });
  s.contexts.push(ctx);
  const page = await ctx.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

async function go(page: Page, s: Story, path: string): Promise<void> {
  await page.goto(new URL(path, s.t.svc.url).href);
}

/** Submits a form by clicking its button: a real navigation, no script involved. */
async function press(page: Page, button: string): Promise<void> {
  await page.getByRole('button', { name: button }).click();
  await page.waitForLoadState('load');
}

async function login(page: Page, s: Story, username: string, password: string): Promise<void> {
  await go(page, s, '/login');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await press(page, 'Log in');
  assert.equal(new URL(page.url()).pathname, '/dashboard', `${username} logged in`);
}

async function helpReset(page: Page, s: Story, target: string, ownPassword: string): Promise<void> {
  await go(page, s, '/help-reset');
  await page.fill('#target', target);
  await page.fill('#own-password', ownPassword);
  await press(page, 'Confirm the reset');
}

async function runStory(dialect: Dialect, js: boolean): Promise<void> {
  // Mail accounts on, so the reset carries the mail code (no Dovecot: nothing is delivered in this story).
  const work = mkdtempSync(join(tmpdir(), 'peergroup-browser-mail-'));
  const t = await startTestService(dialect, { mail: { domain: 'example.org' }, mailboxes: encryptedMailboxes(work, 'example.org') });
  const s: Story = { t, js, shots: new Shooter(`${dialect}-${js ? 'js' : 'nojs'}-story`), contexts: [] };
  try {
    const store = t.svc.context.store;
    // The operator creates the first users (what `peergroup accounts admin create-user` does).
    await store.createUser('alice', 'alice tulip mirror orbit');
    await store.createUser('bob', 'bob canal lantern harbor');

    // Alice invites Dana.
    const alice = await newPage(s);
    await go(alice, s, '/');
    await s.shots.shot(alice, 'login');
    await login(alice, s, 'alice', 'alice tulip mirror orbit');
    await s.shots.shot(alice, 'dashboard-alice');
    await go(alice, s, '/invites');
    await press(alice, 'Create an invite code');
    const code = (await alice.textContent('#invite-code'))?.trim() ?? '';
    assert.match(code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$/);
    await s.shots.shot(alice, 'invite-created');

    // Dana signs up; a weak password gets server-side feedback first.
    const dana = await newPage(s);
    await go(dana, s, `/signup`);
    await dana.fill('#code', code);
    await dana.fill('#username', 'dana');
    await dana.fill('#password', 'dana12345');
    await dana.fill('#password2', 'dana12345');
    await press(dana, 'Create account');
    assert.match((await dana.textContent('.errors')) ?? '', /at least 10 characters/);
    assert.match((await dana.textContent('.errors')) ?? '', /username/);
    await s.shots.shot(dana, 'signup-weak-password');
    await dana.fill('#password', 'river falcon quiet meadow');
    await dana.fill('#password2', 'river falcon quiet meadow');
    await press(dana, 'Create account');
    assert.equal(new URL(dana.url()).pathname, '/dashboard');
    assert.match((await dana.textContent('main')) ?? '', /Welcome/);
    await s.shots.shot(dana, 'dashboard-after-signup');

    // Dana's trusted users: Alice (the inviter) is already there. k = 3 with one trusted user is refused on the field;
    // she adds Bob and asks for k = 2, with the waiting period in days and hours.
    await go(dana, s, '/trust');
    assert.deepEqual(await dana.locator('#trusted td:first-child').allTextContents(), ['alice']);
    await dana.fill('#k', '3');
    await dana.fill('#wait-days', '0');
    await dana.fill('#wait-hours', '0');
    await press(dana, 'Save');
    assert.equal(await dana.getAttribute('#k', 'aria-invalid'), 'true');
    assert.equal(await dana.getAttribute('#k', 'aria-describedby'), 'k-error');
    assert.match((await dana.textContent('#k-error')) ?? '', /You trust only one person, so 3 cannot agree/);
    assert.equal(await dana.getByText('Reset rules saved').count(), 0, 'no "saved" next to the refusal');
    await s.shots.shot(dana, 'trust-k-refused');
    await dana.fill('#add-username', 'bob');
    await press(dana, 'Add');
    await dana.fill('#k', '2');
    await press(dana, 'Save');
    assert.deepEqual(await dana.locator('#trusted td:first-child').allTextContents(), ['alice', 'bob']);
    assert.equal(await dana.locator('#k-warning').count(), 0);
    await s.shots.shot(dana, 'trust-two-users');
    // The page's finest unit is an hour; the test's waiting period of a few seconds is set on the store.
    await store.setSettings((await store.getUserByName('dana'))!.userId, { waitSeconds: WAIT_SECONDS });

    // Dana forgets her password. Alice confirms first: 1 of 2. She started the reset, so she alone gets the mail code.
    await helpReset(alice, s, 'dana', 'alice tulip mirror orbit');
    assert.match((await alice.textContent('#help-result')) ?? '', /for dana is recorded: 1 of 2 needed/);
    const mailCode = (await alice.textContent('#mail-code'))?.trim() ?? '';
    assert.match(mailCode, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await s.shots.shot(alice, 'help-reset-recorded-mail-code');

    // Dana (still logged in elsewhere) sees the request first thing on her dashboard.
    await go(dana, s, '/dashboard');
    assert.match((await dana.textContent('#pending-reset')) ?? '', /1 of your trusted users confirmed/);
    await s.shots.shot(dana, 'dashboard-pending-1-of-2');

    // Bob confirms: the threshold is reached and the waiting period starts.
    const bob = await newPage(s);
    await login(bob, s, 'bob', 'bob canal lantern harbor');
    await helpReset(bob, s, 'dana', 'bob canal lantern harbor');
    assert.match((await bob.textContent('#help-result')) ?? '', /2 of 2 needed.*can be handed out from/);
    assert.equal(await bob.locator('#reset-code').count(), 0, 'no code during the waiting period');
    await s.shots.shot(bob, 'help-reset-waiting');
    await go(dana, s, '/dashboard');
    assert.match((await dana.textContent('#pending-reset')) ?? '', /2 of your trusted users.*A reset code can be handed out from/s);
    assert.equal(await dana.getByRole('button', { name: /This was not me/ }).count(), 1);
    await s.shots.shot(dana, 'dashboard-pending-armed');

    // After the waiting period, Bob gets the one-time code with the face-to-face warning.
    await new Promise((r) => setTimeout(r, WAIT_SECONDS * 1000 + 300));
    await helpReset(bob, s, 'dana', 'bob canal lantern harbor');
    const resetCode = (await bob.textContent('#reset-code'))?.trim() ?? '';
    assert.match(resetCode, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const warning = (await bob.textContent('#reset-code-warning')) ?? '';
    assert.match(warning, /only to dana, face to face/);
    assert.match(warning, /Never give it to someone who asks you for it/);
    assert.match((await bob.textContent('#mail-code-reminder')) ?? '', /Also give dana the mail code/);
    await s.shots.shot(bob, 'reset-code');

    // Dana, on a fresh device, resets with the code and is told to re-add her trusted users.
    const dana2 = await newPage(s);
    await go(dana2, s, '/forgot');
    await dana2.fill('#username', 'dana');
    await dana2.fill('#code', resetCode.toLowerCase().replace(/-/g, ' '));
    await dana2.fill('#mail-code', mailCode);
    await dana2.fill('#password', 'new harbor maple stone');
    await dana2.fill('#password2', 'new harbor maple stone');
    await s.shots.shot(dana2, 'forgot-form');
    await press(dana2, 'Set new password');
    assert.equal(new URL(dana2.url()).pathname, '/forgot/done');
    assert.match(
      (await dana2.textContent('#re-add-prompt')) ?? '',
      /previous trusted users were removed.*except the one who gave you the code/s,
    );
    assert.match((await dana2.textContent('#mail-restored')) ?? '', /Your old mail was restored/);
    await s.shots.shot(dana2, 'reset-done-re-add');

    // Her old session ended; the new password works; the dashboard explains the reset; she re-adds Alice.
    await go(dana, s, '/dashboard');
    assert.equal(new URL(dana.url()).pathname, '/login');
    await login(dana2, s, 'dana', 'new harbor maple stone');
    assert.match((await dana2.textContent('#after-reset')) ?? '', /one of them gave you a reset code.*Your old mail was restored/s);
    assert.match((await dana2.textContent('#after-reset-trust')) ?? '', /bob gave you the code and is your first trusted user again/);
    await s.shots.shot(dana2, 'dashboard-after-reset');
    await press(dana2, 'I have read this');
    assert.equal(await dana2.locator('#after-reset').count(), 0);
    // Bob, who handed over the code, is trusted again (format 5); she adds Alice back.
    await go(dana2, s, '/trust');
    assert.deepEqual(await dana2.locator('#trusted td:first-child').allTextContents(), ['bob']);
    await s.shots.shot(dana2, 'trust-code-giver-re-added');
    await dana2.fill('#add-username', 'alice');
    await press(dana2, 'Add');
    assert.deepEqual((await dana2.locator('#trusted td:first-child').allTextContents()).sort(), ['alice', 'bob']);
    await s.shots.shot(dana2, 'trust-re-added');
    await go(dana2, s, '/activity');
    const activity = (await dana2.textContent('#activity')) ?? '';
    for (const what of ['Password reset completed', 'waiting period started', 'A trusted user confirmed', 'Account created', 'Logged in']) {
      assert.match(activity, new RegExp(what));
    }
    await s.shots.shot(dana2, 'activity');

    // The same code cannot be used twice.
    const eve = await newPage(s);
    await go(eve, s, '/forgot');
    await eve.fill('#username', 'dana');
    await eve.fill('#code', resetCode);
    await eve.fill('#password', 'stolen quartz candle moss');
    await eve.fill('#password2', 'stolen quartz candle moss');
    await press(eve, 'Set new password');
    assert.match((await eve.textContent('.errors')) ?? '', /not valid/);
    await s.shots.shot(eve, 'forgot-code-reused');
  } finally {
    for (const c of s.contexts) await c.close().catch(() => {});
    await t.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function runVeto(dialect: Dialect, js: boolean): Promise<void> {
  const t = await startTestService(dialect);
  const s: Story = { t, js, shots: new Shooter(`${dialect}-${js ? 'js' : 'nojs'}-veto`), contexts: [] };
  try {
    const store = t.svc.context.store;
    const owner = await store.createUser('olga', 'olga cedar ferry violet');
    await store.createUser('mallory', 'mallory prism gravel ocean');
    await store.addTrustee(owner, 'mallory');
    await store.setSettings(owner.userId, { threshold: 1, waitSeconds: 60 });

    // A trustee (maybe coerced, maybe malicious) starts a reset Olga did not ask for.
    const mallory = await newPage(s);
    await login(mallory, s, 'mallory', 'mallory prism gravel ocean');
    await helpReset(mallory, s, 'olga', 'mallory prism gravel ocean');
    assert.match((await mallory.textContent('#help-result')) ?? '', /1 of 1 needed/);

    const olga = await newPage(s);
    await login(olga, s, 'olga', 'olga cedar ferry violet');
    assert.match((await olga.textContent('#pending-reset')) ?? '', /Someone asked to reset your password/);
    await s.shots.shot(olga, 'dashboard-pending');
    await press(olga, 'This was not me — cancel the reset');
    assert.equal(new URL(olga.url()).pathname, '/dashboard');
    assert.match((await olga.textContent('main')) ?? '', /The reset was cancelled/);
    assert.equal(await olga.locator('#pending-reset').count(), 0);
    await s.shots.shot(olga, 'dashboard-vetoed');

    // Mallory cannot restart it during the hold, and never gets a code.
    await helpReset(mallory, s, 'olga', 'mallory prism gravel ocean');
    assert.match((await mallory.textContent('#help-result')) ?? '', /olga cancelled this reset/);
    assert.equal(await mallory.locator('#reset-code').count(), 0);
    await s.shots.shot(mallory, 'help-reset-after-veto');
    const pending = await store.pendingResetFor(owner.userId);
    assert.equal(pending?.state, 'vetoed');
    assert.equal(pending?.confirmations, 0);
    await go(olga, s, '/activity');
    assert.match((await olga.textContent('#activity')) ?? '', /You cancelled a pending reset/);
  } finally {
    for (const c of s.contexts) await c.close().catch(() => {});
    await t.stop();
  }
}

for (const dialect of DIALECTS) {
  describe(`accounts in chromium (${dialect})`, () => {
    after(async () => {
      if (dialect === 'postgres') await stopPostgres();
    });
    test('the whole reset story with JavaScript enabled', () => runStory(dialect, true));
    test('the whole reset story with JavaScript disabled', () => runStory(dialect, false));
    test('the owner vetoes a reset from the dashboard (JavaScript disabled)', () => runVeto(dialect, false));
  });
}

// One page per language, each in a browser whose own language is that one (Accept-Language from the context's
// locale), JavaScript off; then the footer link switches an English browser to Italian. Screenshots: lang-*.png.
describe('accounts in chromium, in every language (sqlite)', () => {
  const expected = [
    { locale: 'en-GB', lang: 'en', heading: 'Your account', trust: 'You trust one person.' },
    { locale: 'de-CH', lang: 'de', heading: 'Dein Konto', trust: 'Du vertraust einer Person.' },
    { locale: 'fr-CH', lang: 'fr', heading: 'Votre compte', trust: 'Vous faites confiance à une personne.' },
    { locale: 'it-CH', lang: 'it', heading: 'Il tuo account', trust: 'Ti fidi di una persona.' },
  ];
  test('the dashboard in en, de, fr and it, and the no-JavaScript language switch', async () => {
    const t = await startTestService('sqlite', { timeZone: 'Europe/Zurich' });
    const contexts: BrowserContext[] = [];
    try {
      const owner = await t.svc.context.store.createUser('lena', 'lena harbor quiet meadow');
      await t.svc.context.store.createUser('marco', 'marco lantern velvet pebble');
      await t.svc.context.store.addTrustee(owner, 'marco');
      for (const e of expected) {
        const ctx = await browser.newContext({ javaScriptEnabled: false, locale: e.locale, viewport: { width: 1000, height: 800 } });
        contexts.push(ctx);
        const page = await ctx.newPage();
        page.setDefaultTimeout(15_000);
        await page.goto(new URL('/login', t.svc.url).href);
        assert.equal(await page.getAttribute('html', 'lang'), e.lang, e.locale);
        await page.fill('#username', 'lena');
        await page.fill('#password', 'lena harbor quiet meadow');
        await page.locator('main button[type=submit]').click();
        await page.waitForLoadState('load');
        assert.equal(new URL(page.url()).pathname, '/dashboard');
        assert.equal(await page.getAttribute('html', 'lang'), e.lang);
        assert.equal((await page.textContent('h1'))?.trim(), e.heading);
        assert.ok(((await page.textContent('main')) ?? '').includes(e.trust), e.lang);
        await page.screenshot({ path: `${ARTIFACTS}lang-${e.lang}-dashboard.png`, fullPage: true });
      }
      const en = await contexts[0]!.newPage();
      await en.goto(new URL('/forgot', t.svc.url).href);
      await en.getByRole('link', { name: 'Italiano' }).click();
      await en.waitForLoadState('load');
      assert.equal(new URL(en.url()).pathname, '/forgot');
      assert.equal(await en.getAttribute('html', 'lang'), 'it');
      assert.equal((await en.textContent('h1'))?.trim(), 'Ho dimenticato la password');
      await en.screenshot({ path: `${ARTIFACTS}lang-it-forgot-after-switch.png`, fullPage: true });
    } finally {
      for (const c of contexts) await c.close().catch(() => {});
      await t.stop();
    }
  });
});
