// The mail key through the web flows of an encrypted mailbox. The flows that set a password hand the mail layer the
// user they have just unlocked, so enrolling or re-wrapping the key costs no second web-cost Argon2id (64 MiB in
// production): counted, never timed — every extra unlock goes through TrustStore.unlock, which a spy on the running
// service's store counts. And a recovery code made before a reset that lost the mail key holds the older key: the
// dashboard does not count it as protecting the current mail, and redeeming it says what it brought back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, pageText, encryptedMailboxes, startTestService, type TestService } from '@peergroup/test-support/accounts';
import { CATALOGUES } from '../src/i18n/index.ts';

// Passwords must not contain the username (password-strength.ts).
const pw = (name: string) => `${[...name].reverse().join('')}q cobalt meadow frost`;
const NEW = 'fresh maple cobalt tide';
let ip = 0;

describe('setting a password with an encrypted mailbox unlocks the account once (sqlite)', () => {
  let t: TestService;
  let unlocks = 0;
  const work = mkdtempSync(join(tmpdir(), 'peergroup-mail-unlock-'));
  const client = () => new Client(t.svc.url, `198.51.100.${++ip}`);
  const mail = () => t.svc.context.mail!;
  const store = () => t.svc.context.store;
  /** How many extra unlocks `step` caused. */
  async function counted(step: () => Promise<unknown>): Promise<number> {
    const before = unlocks;
    await step();
    return unlocks - before;
  }

  before(async () => {
    t = await startTestService('sqlite', {
      trustProxy: true,
      mailboxes: encryptedMailboxes(work, 'mail.example'),
    });
    const s = store();
    const unlock = s.unlock.bind(s);
    s.unlock = (username, password) => {
      unlocks++;
      return unlock(username, password);
    };
  });
  after(async () => {
    await t?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('sign-up enrols the new mailbox with the user the invite created', async () => {
    const inviter = await store().createUser('ina', pw('ina'));
    const invite = await store().createInvite(inviter.userId);
    const c = client();
    const n = await counted(async () => {
      const p = await c.submit('/signup', { code: invite.code, username: 'ivo', password: pw('ivo'), password2: pw('ivo') });
      assert.equal(p.status, 303, 'signed up');
    });
    const ivo = (await store().getUserByName('ivo'))!;
    assert.equal(await mail().encrypted(ivo.userId), true, 'the mailbox was enrolled (encryption: new)');
    assert.equal(n, 0, 'no second unlock for the mail key');
  });

  test('the first web login of an account older than its mailbox enrols it with the user the login unlocked', async () => {
    const old = await store().createUser('ole', pw('ole'));
    assert.equal(await mail().encrypted(old.userId), false);
    const n = await counted(async () => assert.equal((await client().login('ole', pw('ole'))).status, 303));
    assert.equal(await mail().encrypted(old.userId), true, 'enrolled at the login');
    assert.equal(n, 0, 'no second unlock for the mail key');
  });

  test('a password change re-wraps the key with the session user: the new password opens the same key', async () => {
    const c = client();
    await c.login('ivo', pw('ivo'));
    const before = (await mail().crypt.passdb('ivo@mail.example', pw('ivo')))!.userdb_mail_crypt_global_private_key;
    const n = await counted(async () => {
      const p = await c.submit('/password', { old: pw('ivo'), password: NEW, password2: NEW });
      assert.equal(p.location, '/dashboard?m=password-changed');
    });
    assert.equal(n, 0, 'no second unlock for the mail key');
    const after = (await mail().crypt.passdb('ivo@mail.example', NEW))!.userdb_mail_crypt_global_private_key;
    assert.ok(before && after === before, 'kept: the same private key under the new password');
  });

  test('a reset with a recovery code re-wraps the restored key with the user the reset unlocked', async () => {
    const c = client();
    await c.login('ole', pw('ole'));
    const form = await c.get('/recovery-code');
    const nonce = /name="nonce" value="([^"]+)"/.exec(form.body)![1]!;
    const made = await c.post('/recovery-code', { password: pw('ole'), nonce });
    const code = /id="recovery-code">([0-9A-Z-]+)</.exec(made.body)![1]!;
    const before = (await mail().crypt.passdb('ole@mail.example', pw('ole')))!.userdb_mail_crypt_global_private_key;
    let location: string | null = null;
    const n = await counted(async () => {
      location = (await client().submit('/recover', { username: 'ole', code, password: NEW, password2: NEW })).location;
    });
    assert.equal(location, '/forgot/done?mail=restored');
    assert.equal(n, 0, 'no second unlock for the mail key');
    const after = (await mail().crypt.passdb('ole@mail.example', NEW))!.userdb_mail_crypt_global_private_key;
    assert.ok(before && after === before, 'kept: the restored key under the new password');
  });
  /** The recovery-paths section of the dashboard, as text. */
  const paths = async (c: Client) => {
    const body = (await c.get('/dashboard')).body;
    return { body, text: pageText(/<section id="recovery-paths">[\s\S]*?<\/section>/.exec(body)?.[0] ?? '') };
  };
  const key = async (name: string, password: string) =>
    (await mail().crypt.passdb(`${name}@mail.example`, password))?.userdb_mail_crypt_global_private_key;

  test('a recovery code made before a reset that lost the mail key is not counted for the current mail; redeeming it says what came back', async () => {
    const uma = await store().createUser('uma', pw('uma'));
    await store().createUser('tom', pw('tom'));
    await store().addTrustee(uma, 'tom');
    await store().setSettings(uma.userId, { threshold: 1, waitSeconds: 0 });
    const owner = client();
    await owner.login('uma', pw('uma')); // enrols the mailbox and splits the key for k = 1
    const first = await key('uma', pw('uma'));
    assert.ok(first, 'encrypted');
    const form = await owner.get('/recovery-code');
    const made = await owner.post('/recovery-code', { password: pw('uma'), nonce: /name="nonce" value="([^"]+)"/.exec(form.body)![1]! });
    const recoveryCode = /id="recovery-code">([0-9A-Z-]+)</.exec(made.body)![1]!;
    assert.match((await paths(owner)).text, /with your stored mail readable, through: 1 of 1 trusted user your recovery code/);

    // tom helps, but the mail code is not handed over: a new mail key.
    const helper = client();
    await helper.login('tom', pw('tom'));
    const help = await helper.submit('/help-reset', { username: 'uma', password: pw('tom') });
    const resetCode = /id="reset-code">([0-9A-Z-]+)</.exec(help.body)![1]!;
    const done = await client().submit('/forgot', { username: 'uma', code: resetCode, password: NEW, password2: NEW });
    assert.equal(done.location, '/forgot/done?mail=lost&trusted=1');
    const second = await key('uma', NEW);
    assert.ok(second && second !== first, 'the reset replaced the key');

    const after = client();
    await after.login('uma', NEW);
    const { body, text } = await paths(after);
    assert.match(text, /with your stored mail readable, through: 1 of 1 trusted user Your recovery code was made before your reset on/);
    assert.doesNotMatch(text, /trusted user your recovery code/, 'the old code is not listed as protecting the current mail');
    assert.match(body, /id="stale-recovery-code"/);
    assert.match(text, /opens the mail stored before that reset, but not the mail stored since/);

    // Redeemed anyway, it brings back the key of before the lossy reset — and says so.
    const AGAIN = 'quiet harbour lantern oak';
    const back = await client().submit('/recover', { username: 'uma', code: recoveryCode, password: AGAIN, password2: AGAIN });
    assert.equal(back.location, '/forgot/done?mail=older');
    assert.match(
      pageText((await client().get(back.location!)).body),
      /brought back the key of that time: the mail stored before that reset is readable again, but the mail stored since then cannot be read any more/,
    );
    assert.equal(await key('uma', AGAIN), first, 'the key from before the lossy reset: the oldest mail opens again');
    const later = client();
    await later.login('uma', AGAIN);
    const dash = pageText((await later.get('/dashboard')).body);
    assert.match(dash, /Your recovery code was made before an earlier reset that could not restore your mail key/);
    assert.match(dash, /Nothing protects your account or your stored mail/, 'the code is used up: no path is left');
  });
  test('a reset of a mailbox that is not encrypted says nothing about old mail: it is stored as it came and stays readable', async () => {
    const vi = await store().createUser('vic', pw('vic'));
    await mail().setWebOnly(vi.userId, false); // a mailbox from before encryption: `new` leaves it plain
    await store().createUser('wes', pw('wes'));
    await store().addTrustee(vi, 'wes');
    await store().setSettings(vi.userId, { threshold: 1, waitSeconds: 0 });
    await store().regenerate(vi);
    const helper = client();
    await helper.login('wes', pw('wes'));
    const help = await helper.submit('/help-reset', { username: 'vic', password: pw('wes') });
    const resetCode = /id="reset-code">([0-9A-Z-]+)</.exec(help.body)![1]!;
    const done = await client().submit('/forgot', { username: 'vic', code: resetCode, password: NEW, password2: NEW });
    assert.equal(done.location, '/forgot/done?trusted=1', 'no mail= without the mail code: nothing was encrypted');
    assert.doesNotMatch(pageText((await client().get(done.location!)).body), /old mail/i);
    assert.equal(await mail().encrypted(vi.userId), false);
    const c = client();
    await c.login('vic', NEW);
    const dash = await c.get('/dashboard');
    assert.match(dash.body, /id="after-reset"/);
    assert.doesNotMatch(dash.body, /id="after-reset-mail"/);
    assert.doesNotMatch(pageText((await c.get('/activity')).body), /Old mail could not be restored/);
  });
  test('with encryption on, /forgot asks for the mail code and the dashboard speaks of stored mail', async () => {
    const forgot = (await client().get('/forgot')).body;
    assert.match(forgot, /name="mailCode"/);
    await store().createUser('mira', pw('mira'));
    const c = client();
    assert.equal((await c.login('mira', pw('mira'))).status, 303);
    assert.equal(await mail().encrypted((await store().getUserByName('mira'))!.userId), true);
    assert.ok(pageText((await c.get('/dashboard')).body).includes(CATALOGUES.en['recovery.headingMail']));
  });
});
