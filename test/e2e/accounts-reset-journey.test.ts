// The reset journey over HTTP against the real server (SQLite): the mail code handed over with the reset code and
// what the owner is told about their old mail, the recovery code (create once, redeem, single use, rate limited),
// the dashboard's recovery paths and its explanation after a reset, the reset rules form (k the user can reach,
// waiting period in days and hours), and what a trustee is told after a wrong password or during a veto hold.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UnlockedUser } from '@peergroup/trust';
import { Client, pageText, encryptedMailboxes, startTestService, type Page, type TestService } from '@peergroup/test-support/accounts';

let ip = 0;
const pw = (name: string) => `${name} cobalt meadow frost`;
const NEW = 'fresh maple cobalt tide';
const codeIn = (p: Page, id: string) => new RegExp(`id="${id}">([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})<`).exec(p.body)?.[1];

describe('the reset journey over HTTP (sqlite)', () => {
  let t: TestService;
  const client = () => new Client(t.svc.url, `198.51.100.${++ip}`);
  const store = () => t.svc.context.store;
  const work = mkdtempSync(join(tmpdir(), 'peergroup-reset-journey-'));
  before(async () => {
    t = await startTestService('sqlite', {
      trustProxy: true,
      mail: { domain: 'mail.example' },
      mailboxes: encryptedMailboxes(work, 'mail.example'),
      rateLimits: { reset: { perBrowser: 1, perAccount: 30, perClient: 30 } },
    });
  });
  after(async () => {
    await t?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /**
   * An owner with an encrypted mailbox, `trustees` (all created here), k and a zero wait; returns the owner's mail key
   * as it is now.
   */
  async function owner(name: string, trustees: string[], k: number): Promise<{ user: UnlockedUser; mailKey: Buffer }> {
    const user = await store().createUser(name, pw(name));
    assert.equal(await t.svc.context.mail!.setPassword(user, pw(name)), 'created'); // what admin create-user does
    for (const tr of trustees) {
      if (!(await store().getUserByName(tr))) await store().createUser(tr, pw(tr));
      await store().addTrustee(user, tr);
    }
    await store().setSettings(user.userId, { threshold: k, waitSeconds: 0 });
    await store().regenerate(user); // shares split for this k
    const mailKey = await store().mailKey(user);
    assert.ok(mailKey, 'the owner has a mail key');
    return { user, mailKey };
  }

  async function helpAs(who: string, target: string): Promise<Page> {
    const c = client();
    await c.login(who, pw(who));
    return c.submit('/help-reset', { username: target, password: pw(who) });
  }

  async function mailKeyAfter(name: string, password: string): Promise<Buffer | null> {
    return store().mailKey(await store().login(name, password));
  }

  test('the trustee who starts a reset gets the mail code once; with it the old mail key comes back and the owner is told', async () => {
    const { mailKey } = await owner('ada', ['ben', 'cat'], 2);
    const first = await helpAs('ben', 'ada');
    const mailCode = codeIn(first, 'mail-code');
    assert.ok(mailCode, 'the starting trustee is shown the mail code in the reset-code form');
    assert.match(pageText(first.body), /Your confirmation for ada is recorded: 1 of 2 needed/);
    assert.match(pageText(first.body), /give it to ada in person together with the reset code/);
    const again = await helpAs('ben', 'ada');
    assert.equal(codeIn(again, 'mail-code'), undefined, 'shown only once');
    const second = await helpAs('cat', 'ada');
    const resetCode = codeIn(second, 'reset-code');
    assert.ok(resetCode, 'k = 2 reached with a zero wait: the code is shown');
    assert.equal(codeIn(second, 'mail-code'), undefined, 'the second trustee never sees the mail code');
    assert.match(pageText(second.body), /Also give ada the mail code\. It was shown once to the trusted user who started this reset/);

    const form = await client().get('/forgot');
    assert.match(form.body, /id="mail-code" name="mailCode"/, 'the reset form asks for the mail code');
    const done = await client().submit('/forgot', {
      username: 'ada',
      code: resetCode,
      mailCode: mailCode.toLowerCase(),
      password: NEW,
      password2: NEW,
    });
    assert.equal(done.status, 303);
    assert.equal(done.location, '/forgot/done?mail=restored&trusted=1');
    const page = await client().get(done.location);
    assert.match(pageText(page.body), /Your old mail was restored: it is readable with your new password/);
    assert.match(pageText(page.body), /except the one who gave you the code, who is your first trusted user again/);
    assert.deepEqual(await mailKeyAfter('ada', NEW), mailKey, 'the very key the old mail was encrypted for');
  });

  test('without the mail code the reset still completes, with a fresh mail key, and the owner is told the old mail stays unreadable', async () => {
    const { mailKey } = await owner('dot', ['eli'], 1);
    const p = await helpAs('eli', 'dot');
    const resetCode = codeIn(p, 'reset-code');
    const mailCode = codeIn(p, 'mail-code');
    assert.ok(resetCode && mailCode, 'k = 1, zero wait: the one trustee gets both codes on one page');
    const done = await client().submit('/forgot', { username: 'dot', code: resetCode, password: NEW, password2: NEW });
    assert.equal(done.location, '/forgot/done?mail=lost&trusted=1');
    assert.match(pageText((await client().get(done.location!)).body), /Your old mail could not be restored/);
    const after = await mailKeyAfter('dot', NEW);
    assert.ok(after && !after.equals(mailKey), 'a new key: the old mail is as lost as the old private key');
  });

  test('after a reset the dashboard explains it on the first login until the owner has read it; k is back to 1', async () => {
    await owner('fay', ['gus'], 1);
    const p = await helpAs('gus', 'fay');
    await client().submit('/forgot', {
      username: 'fay',
      code: codeIn(p, 'reset-code')!,
      mailCode: codeIn(p, 'mail-code')!,
      password: NEW,
      password2: NEW,
    });
    await t.svc.context.settled();
    const fay = client();
    await fay.login('fay', NEW);
    const dash = await fay.get('/dashboard');
    const text = pageText(/<section class="alert" id="after-reset"[\s\S]*?<\/section>/.exec(dash.body)?.[0] ?? '');
    assert.match(text, /Your password was reset on/);
    assert.match(text, /one of them gave you a reset code/);
    assert.match(text, /your previous trusted users were removed and the number who must agree was set to 1/);
    assert.match(text, /Your old mail was restored/);
    assert.match(text, /gus gave you the code and is your first trusted user again/, 'the re-added trustee is named');
    assert.match((await fay.get('/trust')).body, /<td>gus<\/td>/);
    assert.equal((await store().getSettings((await store().getUserByName('fay'))!.userId)).threshold, 1);
    const read = await fay.post('/dashboard/reset-read', {});
    assert.equal(read.status, 303);
    assert.doesNotMatch((await fay.get('/dashboard')).body, /id="after-reset"/);
    const later = client();
    await later.login('fay', NEW);
    assert.doesNotMatch((await later.get('/dashboard')).body, /id="after-reset"/, 'read once, not shown at every login');
  });

  test('recovery code: made with the password, shown once (a re-sent form does not replace it), redeemed once with the mail key back', async () => {
    const { mailKey } = await owner('hal', [], 1);
    const hal = client();
    await hal.login('hal', pw('hal'));
    const none = await hal.get('/dashboard');
    assert.match(pageText(none.body), /Nothing protects your account or your stored mail/);
    assert.match(pageText(none.body), /create a recovery code and keep it on paper/);
    const form = await hal.get('/recovery-code');
    const nonce = /name="nonce" value="([^"]+)"/.exec(form.body)![1]!;
    const wrong = await hal.post('/recovery-code', { nonce, password: 'not the password at all' });
    assert.equal(wrong.status, 401);
    assert.equal(await store().hasRecoveryCode((await store().getUserByName('hal'))!.userId), false);
    await hal.get('/recovery-code');
    const made = await hal.post('/recovery-code', { nonce, password: pw('hal') });
    const code = codeIn(made, 'recovery-code');
    assert.ok(code, 'a Crockford base32 code in groups of four');
    assert.match(pageText(made.body), /Username: hal/);
    // Printable: the sheet stands alone on paper (navigation, footer and the on-screen notes are not printed).
    assert.match(made.body, /<section class="printable" id="recovery-sheet">/);
    assert.match(made.body, /class="alert no-print" id="recovery-once"/);
    assert.match((await hal.get('/static/style.css')).body, /@media print \{ header, footer, nav, \.no-print \{ display: none; \}/);
    const resent = await hal.post('/recovery-code', { nonce, password: pw('hal') });
    assert.equal(resent.status, 409);
    assert.equal(codeIn(resent, 'recovery-code'), undefined);
    assert.match(pageText(resent.body), /the code shown then is still the valid one/);
    // A new code replaces the earlier one: the first printout stops working.
    const form2 = await hal.get('/recovery-code');
    assert.match(pageText(form2.body), /You have a recovery code\. Making a new one makes the old one useless/);
    const nonce2 = /name="nonce" value="([^"]+)"/.exec(form2.body)![1]!;
    const code2 = codeIn(await hal.post('/recovery-code', { nonce: nonce2, password: pw('hal') }), 'recovery-code');
    assert.ok(code2 && code2 !== code);
    const old = await client().submit('/recover', { username: 'hal', code, password: NEW, password2: NEW });
    assert.equal(old.status, 422, 'the replaced code no longer redeems');
    const dash = await hal.get('/dashboard');
    assert.match(pageText(dash.body), /through: your recovery code/);
    assert.doesNotMatch(dash.body, /id="no-recovery-path"/);

    const bad = await client().submit('/recover', { username: 'hal', code: 'AAAA-BBBB-CCCC-DDDD', password: NEW, password2: NEW });
    assert.equal(bad.status, 422);
    assert.match(pageText(bad.body), /That recovery code is not valid/);
    const ok = await client().submit('/recover', {
      username: 'hal',
      code: code2.toLowerCase().replaceAll('-', ' '),
      password: NEW,
      password2: NEW,
    });
    assert.equal(ok.status, 303);
    assert.equal(ok.location, '/forgot/done?mail=restored');
    assert.match(pageText((await client().get(ok.location!)).body), /Log in and add them again/, 'nobody handed over a code');
    assert.deepEqual(await mailKeyAfter('hal', NEW), mailKey);
    const twice = await client().submit('/recover', {
      username: 'hal',
      code: code2,
      password: 'other maple cobalt tide',
      password2: 'other maple cobalt tide',
    });
    assert.equal(twice.status, 422, 'single use');
    await t.svc.context.settled();
    const back = client();
    await back.login('hal', NEW);
    assert.match(pageText((await back.get('/dashboard')).body), /You used your recovery code, which is now used up/);
    assert.match(pageText((await back.get('/activity')).body), /Password reset with your recovery code/);
  });

  test('recover and forgot share the rate limits: a guessing browser is slowed down on both forms', async () => {
    await owner('ivo', [], 1);
    const g = client();
    const fields = { username: 'ivo', code: 'AAAA-BBBB-CCCC-DDDD', password: NEW, password2: NEW };
    assert.equal((await g.submit('/recover', fields)).status, 422);
    assert.equal((await g.submit('/recover', fields)).status, 429);
    assert.equal((await g.submit('/forgot', fields)).status, 429, 'switching forms does not start afresh');
  });

  test('the dashboard names the paths that protect the mail: "2 of 3 trusted users" and the recovery code', async () => {
    const { user } = await owner('jo', ['kim', 'lou', 'max'], 2);
    await store().createRecoveryCode(user);
    const jo = client();
    await jo.login('jo', pw('jo'));
    const text = pageText(/<section id="recovery-paths">[\s\S]*?<\/section>/.exec((await jo.get('/dashboard')).body)?.[0] ?? '');
    assert.match(text, /with your stored mail readable, through: 2 of 3 trusted users your recovery code/);
  });

  test('reset rules: k above the number of trusted users is refused on the field; the waiting period is typed in days and hours', async () => {
    const { user } = await owner('ned', ['oli'], 1);
    const ned = client();
    await ned.login('ned', pw('ned'));
    const refused = await ned.submit('/trust', { k: '3', waitDays: '2', waitHours: '5' }, '/trust/settings');
    assert.equal(refused.status, 422);
    assert.match(refused.body, /<input[^>]*id="k"[^>]*aria-invalid="true"[^>]*aria-describedby="k-error"/);
    assert.match(refused.body, /id="k-error">You trust only one person, so 3 cannot agree: at most 1\. Add trusted users first\.</);
    assert.match(refused.body, /id="wait-days"[^>]*value="2"/, 'what was typed is kept');
    assert.doesNotMatch(refused.body, /Reset rules saved/);
    assert.equal((await store().getSettings(user.userId)).threshold, 1, 'nothing saved');
    const saved = await ned.submit('/trust', { k: '1', waitDays: '2', waitHours: '5' }, '/trust/settings');
    assert.equal(saved.status, 303);
    assert.equal((await store().getSettings(user.userId)).waitSeconds, 2 * 86400 + 5 * 3600);
    const page = await ned.get('/trust');
    assert.match(page.body, /id="wait-days"[^>]*value="2"/);
    assert.match(page.body, /id="wait-hours"[^>]*value="5"/);
    const badHours = await ned.submit('/trust', { k: '1', waitDays: '0', waitHours: 'x' }, '/trust/settings');
    assert.equal(badHours.status, 422);
    assert.match(badHours.body, /id="wait-error"/);
    await store().setSettings(user.userId, { waitSeconds: 0 });
  });

  test('a k lowered on the page takes effect for the mail key at once: 2 of 3 restore it after k went from 3 to 2', async () => {
    const { mailKey } = await owner('pia', ['quin', 'rob', 'sue'], 3);
    const pia = client();
    await pia.login('pia', pw('pia'));
    assert.equal((await pia.submit('/trust', { k: '2', waitDays: '0', waitHours: '0' }, '/trust/settings')).status, 303);
    const first = await helpAs('quin', 'pia');
    const resetCode = codeIn(await helpAs('rob', 'pia'), 'reset-code');
    assert.ok(resetCode);
    const done = await client().submit('/forgot', {
      username: 'pia',
      code: resetCode,
      mailCode: codeIn(first, 'mail-code')!,
      password: NEW,
      password2: NEW,
    });
    assert.equal(done.location, '/forgot/done?mail=restored&trusted=1');
    assert.deepEqual(await mailKeyAfter('pia', NEW), mailKey);
  });

  test('the first user, trusting nobody, is told how to fix "nobody could help you"', async () => {
    await store().createUser('root', pw('root'), { admin: true });
    await store().setSettings((await store().getUserByName('root'))!.userId, { threshold: 2 });
    const c = client();
    await c.login('root', pw('root'));
    const text = pageText((await c.get('/dashboard')).body);
    assert.match(text, /nobody could help you reset your password\. To fix it: invite someone you trust/);
    assert.match(
      pageText((await c.get('/trust')).body),
      /but you trust nobody: nobody could help you .* To fix it: invite someone you trust/,
    );
  });

  test('help-reset: the result names whom it was about; a wrong password keeps the name typed', async () => {
    const c = client();
    await c.login('ben', pw('ben'));
    const wrong = await c.submit('/help-reset', { username: 'nobody-here', password: 'not my password at all' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /id="target" name="username" value="nobody-here"/);
    const generic = await c.submit('/help-reset', { username: 'nobody-here', password: pw('ben') });
    assert.match(pageText(generic.body), /If nobody-here exists and you are one of their trusted users/);
  });

  test('during a veto hold a genuine trustee is told the owner cancelled; anyone else gets the generic text', async () => {
    const { user } = await owner('tia', ['uli'], 2);
    await store().createUser('vex', pw('vex'));
    await helpAs('uli', 'tia');
    assert.equal(await store().vetoReset(user.userId), true);
    const trustee = pageText((await helpAs('uli', 'tia')).body);
    assert.match(trustee, /tia cancelled this reset on their dashboard, so your confirmation was not recorded/);
    assert.match(trustee, /A new reset can be started from/);
    const stranger = pageText((await helpAs('vex', 'tia')).body);
    assert.doesNotMatch(stranger, /cancelled/);
    assert.match(stranger, /If tia exists and you are one of their trusted users/);
  });
});
