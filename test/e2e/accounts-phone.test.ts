// Phone width in Debian's chromium (playwright-core), JavaScript off: every page the account pages link to, and the
// pages that only a form leads to (sign-up errors, a new invite, the 413 page, a 404, and the reset journey: a new
// recovery code's sheet, a trustee's reset and mail codes, /forgot/done, the dashboard after a reset that lost the
// mail key with its note on the older recovery code), fit a 360 px wide screen
// without sideways scrolling, in English and in German (the longest words). Focus: the sign-up error summary takes
// it on load without script, and the skip link is the first stop. Screenshots: test-artifacts/accounts/phone-*.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.ts';
import { encryptedMailboxes, startTestService, type TestService } from '@peergroup/test-support/accounts';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/accounts/', import.meta.url));
mkdirSync(ARTIFACTS, { recursive: true });
const WIDTH = 360;
const PW = 'alice tulip mirror orbit';
const BOB = 'bob canal lantern harbor';
const CARLA = 'meadow copper violin dusk';
const CARLA_NEW = 'harbour quiet lantern oak';

let browser: Browser;
let t: TestService;
let work: string | undefined;
before(async () => {
  browser = await launchChromium();
  // Mailboxes on, so the mail pages are among those visited (their Dovecot and Postfix ends are not needed here).
  work = mkdtempSync(join(tmpdir(), 'accounts-phone-'));
  const domain = 'a-rather-long-collective-name.example.org';
  t = await startTestService('sqlite', { mail: { domain }, mailboxes: encryptedMailboxes(work, domain) });
  const alice = await t.svc.context.store.createUser('alice', PW);
  await t.svc.context.store.createUser('bob', BOB);
  await t.svc.context.store.addTrustee(alice, 'bob');
  // Open invites fill the invites table, the page that was 522 px wide at 375 px.
  for (let i = 0; i < 3; i++) await t.svc.context.store.createInvite(alice.userId);
  // One used invite with a note, so the used-invites list is on the page too.
  const used = await t.svc.context.store.createInvite(alice.userId, 'for Sam, who keeps the allotment keys');
  await t.svc.context.store.redeemInvite(used.code, 'sam', 'sam tulip mirror orbit');
  // One reset per language: bob, their only trustee, can hand over the codes at once (k = 1, no wait).
  for (const lang of ['en', 'de']) {
    const carla = await t.svc.context.store.createUser(`carla.${lang}`, CARLA);
    await t.svc.context.store.addTrustee(carla, 'bob');
    await t.svc.context.store.setSettings(carla.userId, { threshold: 1, waitSeconds: 0 });
    await t.svc.context.store.regenerate(carla);
  }
});
after(async () => {
  await t?.stop();
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(url('/login'));
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.locator('form[action="/login"] button[type=submit]').click();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, '/dashboard');
}

async function send(page: Page, action: string): Promise<void> {
  await page.locator(`form[action="${action}"] button[type=submit]`).click();
  await page.waitForLoadState('load');
}

async function phone(locale: string): Promise<Page> {
  const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: WIDTH, height: 740 }, locale });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

const url = (path: string) => new URL(path, t.svc.url).href;

/** Fails naming the widest elements when the document is wider than the screen; screenshots every page checked. */
async function fits(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}phone-${name}.png`, fullPage: true });
  // Runs in the page (the test's TypeScript has no DOM types, so it is passed as source).
  const m = (await page.evaluate(`(() => {
    const wide = [...document.querySelectorAll('body *')]
      .map((e) => ({ e, right: Math.ceil(e.getBoundingClientRect().right) }))
      .filter((x) => x.right > window.innerWidth)
      .slice(0, 3)
      .map((x) => '<' + x.e.tagName.toLowerCase() + (x.e.id ? '#' + x.e.id : '') + '> to ' + x.right + 'px');
    return { w: document.documentElement.scrollWidth, wide };
  })()`)) as { w: number; wide: string[] };
  assert.ok(m.w <= WIDTH, `${name} (${page.url()}) is ${m.w}px wide: ${m.wide.join(', ')}`);
}

/** Every same-site page linked from `start` and from the pages it leads to (GET links only; forms are not sent). */
async function crawl(page: Page, start: string, prefix: string, seen: Set<string>): Promise<void> {
  const queue = [start];
  while (queue.length) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    await page.goto(url(path));
    await fits(page, `${prefix}${path.replace(/[^a-z0-9]+/gi, '_') || 'root'}`);
    const links = await page.$$eval('a[href^="/"]', (as) => as.map((a) => a.getAttribute('href')!));
    // The language links set a cookie and come back: the language is the context's own here.
    // /preferences?next=… is one page whatever it comes back to: the first one visited stands for all.
    for (const l of links) {
      const target = l.split('#')[0]!;
      if (l.startsWith('/lang/') || l.startsWith('/static/')) continue;
      if (target.startsWith('/preferences') && [...seen, ...queue].some((v) => v.startsWith('/preferences'))) continue;
      queue.push(target);
    }
  }
}

describe('accounts at 360 px (chromium, JavaScript off)', () => {
  for (const [locale, lang] of [
    ['en-GB', 'en'],
    ['de-CH', 'de'],
  ] as const) {
    test(`every page fits a 360 px phone (${lang})`, async () => {
      const anon = await phone(locale);
      const seen = new Set<string>();
      await crawl(anon, '/login', `${lang}-anon`, seen);
      for (const p of ['/signup', '/forgot', '/recover']) assert.ok(seen.has(p), `${p} visited: ${[...seen].join(' ')}`);
      await anon.goto(url('/nowhere'));
      await fits(anon, `${lang}-404`);
      // The sign-up form with every field wrong.
      await anon.goto(url('/signup'));
      await anon.fill('#code', 'WXYZ-WXYZ-WXYZ-WXYZ-WXYZ');
      await anon.fill('#username', 'Someone.With.A.Really.Long.Name');
      await anon.fill('#password', 'short');
      await anon.fill('#password2', 'other');
      await anon.locator('form[action="/signup"] button[type=submit]').click();
      await anon.waitForLoadState('load');
      assert.equal(await anon.locator('#error-summary').count(), 1);
      await fits(anon, `${lang}-signup-errors`);
      // 413: the sign-up form sent with more than 16 KiB (the request's body is swapped on its way out).
      await anon.route('**/signup', (route) =>
        route.request().method() === 'POST' ? route.continue({ postData: `username=${'x'.repeat(17 * 1024)}` }) : route.continue(),
      );
      for (const f of ['#password', '#password2']) await anon.fill(f, 'a valid looking password');
      await anon.fill('#username', 'someone');
      await anon.locator('form[action="/signup"] button[type=submit]').click();
      await anon.waitForLoadState('load');
      assert.match((await anon.textContent('h1')) ?? '', lang === 'de' ? /Zu viel Text/ : /Too much text/);
      assert.equal(await anon.locator('#back-to-form').getAttribute('href'), '/signup');
      await fits(anon, `${lang}-413`);
      await anon.context().close();

      const alice = await phone(locale);
      await logIn(alice, 'alice', PW);
      const mine = new Set<string>();
      await crawl(alice, '/dashboard', `${lang}-alice`, mine);
      for (const p of ['/dashboard', '/trust', '/invites', '/help-reset', '/password', '/activity', '/mail', '/sessions', '/recovery-code'])
        assert.ok(mine.has(p), `${p} visited`);
      // A new invite: the code and its sign-up link, the longest unbroken strings of any page.
      await alice.goto(url('/invites'));
      await alice.locator('form[action="/invites"] button[type=submit]').click();
      await alice.waitForLoadState('load');
      assert.equal(await alice.locator('#invite-link').count(), 1);
      await fits(alice, `${lang}-alice-invite-created`);
      await alice.context().close();

      // The reset journey. carla prints a recovery code: the sheet with the code.
      const name = `carla.${lang}`;
      const carla = await phone(locale);
      await logIn(carla, name, CARLA);
      await carla.goto(url('/recovery-code'));
      await carla.fill('#own-password', CARLA);
      await send(carla, '/recovery-code');
      assert.equal(await carla.locator('#recovery-code').count(), 1);
      await fits(carla, `${lang}-recovery-code-sheet`);
      await carla.context().close();
      // bob helps: the reset code and the mail code on one page.
      const bob = await phone(locale);
      await logIn(bob, 'bob', BOB);
      await bob.goto(url('/help-reset'));
      await bob.fill('#target', name);
      await bob.fill('#own-password', BOB);
      await send(bob, '/help-reset');
      const resetCode = (await bob.textContent('#reset-code'))?.trim() ?? '';
      assert.equal(await bob.locator('#mail-code').count(), 1);
      await fits(bob, `${lang}-help-reset-codes`);
      await bob.context().close();
      // carla resets without the mail code; then her first dashboard explains it and says the recovery code is older.
      const after = await phone(locale);
      await after.goto(url('/forgot'));
      await after.fill('#username', name);
      await after.fill('#code', resetCode);
      await after.fill('#password', CARLA_NEW);
      await after.fill('#password2', CARLA_NEW);
      await send(after, '/forgot');
      assert.equal(new URL(after.url()).pathname, '/forgot/done');
      assert.equal(await after.locator('#mail-lost').count(), 1);
      await fits(after, `${lang}-forgot-done`);
      await after.goto(url('/forgot/done?mail=older'));
      await fits(after, `${lang}-forgot-done-older`);
      await logIn(after, name, CARLA_NEW);
      assert.equal(await after.locator('#after-reset').count(), 1);
      assert.equal(await after.locator('#stale-recovery-code').count(), 1);
      await fits(after, `${lang}-dashboard-after-reset`);
      await after.context().close();
    });
  }

  test('focus: the sign-up error summary has it after a failed submit, without JavaScript; Tab reaches the skip link first', async () => {
    const page = await phone('en-GB');
    await page.goto(url('/signup'));
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.className'), 'skip');
    await page.keyboard.press('Enter');
    assert.equal(new URL(page.url()).hash, '#main');
    await page.fill('#code', 'WXYZ-WXYZ-WXYZ-WXYZ-WXYZ');
    await page.fill('#username', 'Dave.Smith');
    await page.fill('#password', 'short');
    await page.fill('#password2', 'short');
    await page.locator('form[action="/signup"] button[type=submit]').click();
    await page.waitForLoadState('load');
    // Chromium runs autofocus at a rendering update after parsing, which can come after the load event (seen once in
    // a clean-clone CI run: the body still had focus here): wait for it, up to 5 s, then say where the focus is.
    await page.waitForFunction("document.activeElement?.id === 'error-summary'", null, { timeout: 5000 }).catch(() => undefined);
    assert.equal(await page.evaluate('document.activeElement?.id'), 'error-summary');
    assert.equal(await page.inputValue('#username'), 'dave.smith', 'the normalised name is shown back');
    // The summary's links lead to the fields.
    await page.locator('#error-summary a[href="#username"]').click();
    assert.equal(new URL(page.url()).hash, '#username');
    await page.context().close();
  });
});
