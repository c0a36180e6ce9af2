// Mailbox encryption with the real Dovecot (docs/mail-crypt.md): LMTP encrypts deliveries with the public key the
// userdb gives, a login's passdb answer carries the private key unwrapped under that login's password or app
// password, and the key is derived from the trust store's mail key — so it survives a password change, a recovery
// code and a peer reset with the mail code, and is lost (new key, old mail unreadable) only when no recovery path
// restored the mail key. Configured from docs/snippets/dovecot-mail-crypt.conf next to the other Dovecot snippets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { loopbackSource } from '@peergroup/test-support/dovecot';
import { run } from '@peergroup/test-support/proc';
import type { UnlockedUser } from '@peergroup/trust';
import { startMailStack, imapFetchAll, filesContaining, DOMAIN, type MailStack } from './mail-setup.ts';

/** One message into Dovecot's LMTP listener with python3's smtplib.LMTP (what Postfix's lmtp client does). */
async function lmtpDeliver(port: number, to: string, subject: string, body: string): Promise<void> {
  const script = `
import smtplib, sys
port, to, msg = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = smtplib.LMTP('127.0.0.1', port)
refused = s.sendmail('sender@outside.test', [to], msg)
s.quit()
if refused: raise SystemExit('refused: ' + repr(refused))
`;
  const msg = `From: sender@outside.test\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\n${body}\r\n`;
  const r = await run('python3', ['-c', script, String(port), to, msg], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`LMTP delivery to ${to} failed: ${r.stderr || r.stdout}`);
}

/** POP3 (python3's poplib): USER/PASS, then RETR of message 1; its text, or the error. */
async function pop3First(port: number, user: string, password: string): Promise<string> {
  const script = `
import poplib, socket, sys
user, pw, port, src = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
class FromSource(poplib.POP3):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(src, 0))
m = FromSource('127.0.0.1', port, timeout=30)
try:
    m.user(user); m.pass_(pw)
    resp, lines, octets = m.retr(1)
    print(b'\\n'.join(lines).decode('utf-8', 'replace'))
    m.quit()
except poplib.error_proto as e:
    print('ERROR ' + e.args[0].decode('utf-8', 'replace'))
`;
  const r = await run('python3', ['-c', script, user, password, String(port), loopbackSource()], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`python3 poplib failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const login = (name: string) => `${name}@${DOMAIN}`;
const marker = (what: string) => `${what}-${Math.random().toString(36).slice(2, 10)}`;

describe('mailbox encryption with real Dovecot (mail_crypt, global keys per user)', () => {
  let m: MailStack;
  const pw: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const home = (name: string) => m.dv.home.replace('%d', DOMAIN).replace('%n', name);

  /** A new account the way sign-up makes one: trust user, then its mail password (which enrols it in `new` mode). */
  async function account(name: string): Promise<UnlockedUser> {
    const ctx = m.svc!.context;
    pw[name] = `${name} quiet lantern harbor ${name.length}`;
    const u = await ctx.store.createUser(name, pw[name]!);
    ids[name] = u.userId;
    assert.equal(await ctx.mail!.setPassword(u.userId, pw[name]!), 'created', `${name} is encrypted from the start`);
    return u;
  }

  async function readable(name: string, password = pw[name]!): Promise<string[]> {
    const r = await imapFetchAll(m.dv.imapPort, login(name), password);
    assert.equal(r.ok, true, `IMAP login of ${name}: ${r.error}`);
    return r.messages!.map((x) => (x.ok ? x.text! : `UNREADABLE ${x.error}`));
  }

  before(async () => {
    m = await startMailStack({ mailboxes: { encryption: 'new' }, dovecotSnippets: ['dovecot-mail-crypt.conf'] });
  });
  after(async () => m?.close());

  test('(1) mail delivered by LMTP to an encrypted mailbox is not in the mail files, and is read over IMAP after login; an app password reads it too', async () => {
    const alice = await account('alice');
    const body = marker('alice-secret-body');
    const subject = marker('alice-secret-subject');
    await lmtpDeliver(m.dv.lmtpPort, login('alice'), subject, body);
    // The message file is ciphertext; Dovecot's index cache is not encrypted (docs/mail-crypt.md §6) and holds the
    // From, Message-ID and Subject lines of each delivery (mail_always_cache_fields of the snippet).
    const files = await filesContaining(join(home('alice'), 'Maildir'), 'From: sender@outside.test');
    assert.deepEqual(
      files.map((f) => basename(f)),
      ['dovecot.index.cache'],
      'the stored message is ciphertext',
    );
    const texts = await readable('alice');
    assert.equal(texts.length, 1);
    assert.ok(texts[0]!.includes(body) && texts[0]!.includes(subject), texts[0]);
    assert.ok((await pop3First(m.dv.pop3Port, login('alice'), pw.alice!)).includes(body), 'POP3 RETR decrypts too');
    // After the read (Dovecot may cache header fields in its index), the body is still nowhere on disk.
    assert.deepEqual(await filesContaining(home('alice'), body), []);
    // Nor is the private key Dovecot was handed, in any form, anywhere under Dovecot's directories (mail, state,
    // sockets, its log) or peergroup's data directory.
    const field = (await m.svc!.context.mail!.crypt.passdb(login('alice'), pw.alice!))!.userdb_mail_crypt_global_private_key!;
    const pemBody = Buffer.from(field, 'base64').toString().split('\n')[1]!;
    for (const needle of [field.slice(20, 80), pemBody]) {
      assert.deepEqual(await filesContaining(m.dv.dir, needle), []);
      assert.deepEqual(await filesContaining(join(m.work, 'data'), needle), []);
    }

    const app = await m.svc!.context.mail!.createAppPassword(alice.userId, 'phone', alice);
    const viaApp = await imapFetchAll(m.dv.imapPort, login('alice'), app.secret);
    assert.equal(viaApp.messages?.[0]?.text?.includes(body), true, JSON.stringify(viaApp));

    // The control: a mailbox that is not encrypted keeps the plaintext, so the search above could have found it.
    const ctx = m.svc!.context;
    pw.plain = 'plain meadow pebble violin';
    const plain = await ctx.store.createUser('plain', pw.plain);
    ids.plain = plain.userId;
    await ctx.mail!.setWebOnly(plain.userId, false); // a mailbox from before encryption was turned on
    assert.equal(await ctx.mail!.setPassword(plain.userId, pw.plain), 'none');
    const plainBody = marker('plain-body');
    await lmtpDeliver(m.dv.lmtpPort, login('plain'), 'plain', plainBody);
    assert.equal((await filesContaining(join(home('plain'), 'Maildir'), plainBody)).length, 1);
    assert.ok((await readable('plain'))[0]!.includes(plainBody));
  });

  test("(1b) a wrong password is refused like any other account's", async () => {
    const wrong = await imapFetchAll(m.dv.imapPort, login('alice'), 'not the password at all');
    assert.equal(wrong.ok, false);
    assert.match(wrong.error!, /AUTHENTICATIONFAILED/);
  });

  test('(2) after a password change the old mail is still readable with the new password; the old password fails', async () => {
    const ctx = m.svc!.context;
    const bob = await account('bob');
    const body = marker('bob-before-change');
    await lmtpDeliver(m.dv.lmtpPort, login('bob'), 'before', body);
    assert.ok((await readable('bob'))[0]!.includes(body));
    const old = pw.bob!;
    pw.bob = 'bob second amber forest kite';
    await ctx.store.changePassword(bob, old, pw.bob);
    assert.equal(await ctx.mail!.setPassword(bob.userId, pw.bob), 'kept');
    const texts = await readable('bob');
    assert.ok(texts[0]!.includes(body), texts[0]);
    assert.equal((await imapFetchAll(m.dv.imapPort, login('bob'), old)).ok, false, 'the old password no longer logs in');
  });

  test('(4) recovery code: redeemed with a new password, the old mail is readable; app passwords are gone', async () => {
    const ctx = m.svc!.context;
    const carol = await account('carol');
    const body = marker('carol-before-recovery');
    await lmtpDeliver(m.dv.lmtpPort, login('carol'), 'before', body);
    const owner = await ctx.store.login('carol', pw.carol!);
    const app = await ctx.mail!.createAppPassword(carol.userId, 'laptop', owner);
    const code = await ctx.store.createRecoveryCode(owner);
    pw.carol = 'carol recovered tulip mirror';
    const redeemed = await ctx.store.redeemRecoveryCode('carol', code, pw.carol);
    assert.equal(redeemed.mailKeyRestored, true);
    assert.equal(await ctx.mail!.setPassword(carol.userId, pw.carol), 'kept');
    await ctx.mail!.revokeAllAppPasswords(carol.userId);
    const texts = await readable('carol');
    assert.ok(texts[0]!.includes(body), texts[0]);
    assert.equal((await imapFetchAll(m.dv.imapPort, login('carol'), app.secret)).ok, false, 'the revoked app password');
  });

  /** `name` trusted by three new users, k = 2, no waiting period: the trustees, unlocked. */
  async function trustedByThree(name: string): Promise<UnlockedUser[]> {
    const ctx = m.svc!.context;
    const owner = await ctx.store.login(name, pw[name]!);
    await ctx.store.setSettings(owner.userId, { threshold: 2, waitSeconds: 0 });
    const trustees: UnlockedUser[] = [];
    for (const t of ['1', '2', '3']) {
      const tn = `${name}-trustee${t}`;
      pw[tn] = `${tn} cedar window ${t}`;
      trustees.push(await ctx.store.createUser(tn, pw[tn]!));
      // Every rewrite splits the mail key anew with the current k (trust-format §4.2).
      await ctx.store.addTrustee(owner, tn);
    }
    return trustees;
  }

  test('(3) peer reset, k = 2 of 3: completed with the mail code, the old mail is read with the new password; one confirmation or a veto recover nothing', async () => {
    const ctx = m.svc!.context;
    await account('dave');
    const body = marker('dave-before-reset');
    await lmtpDeliver(m.dv.lmtpPort, login('dave'), 'before', body);
    const [t1, t2] = await trustedByThree('dave');
    const first = await ctx.store.requestReset(t1!, 'dave');
    assert.equal(first.recorded, true);
    assert.ok(first.mailCode, 'the trustee who starts the reset gets the mail code');
    await assert.rejects(ctx.store.obtainResetCode(t1!, 'dave'), 'one confirmation of two: no code');
    assert.equal((await ctx.store.requestReset(t2!, 'dave')).recorded, true);
    const { code } = await ctx.store.obtainResetCode(t1!, 'dave');
    pw.dave = 'dave reset copper meadow';
    const done = await ctx.store.completeReset('dave', code, pw.dave, { mailCode: first.mailCode! });
    assert.equal(done.mailKeyRestored, true);
    assert.equal(await ctx.mail!.setPassword(done.userId, pw.dave), 'kept');
    await ctx.mail!.revokeAllAppPasswords(done.userId);
    const texts = await readable('dave');
    assert.ok(texts[0]!.includes(body), texts[0]);

    // Vetoed: erin's trustees confirm, erin cancels; no code is issued, her mail and password stay as they were.
    await account('erin');
    const erinBody = marker('erin-mail');
    await lmtpDeliver(m.dv.lmtpPort, login('erin'), 'kept', erinBody);
    const [e1, e2] = await trustedByThree('erin');
    await ctx.store.requestReset(e1!, 'erin');
    await ctx.store.requestReset(e2!, 'erin');
    assert.equal(await ctx.store.vetoReset(ids.erin!), true);
    await assert.rejects(ctx.store.obtainResetCode(e1!, 'erin'), 'a vetoed reset issues no code');
    await assert.rejects(ctx.store.completeReset('erin', 'AAAA-AAAA-AAAA-AAAA', 'erin taken over by someone', {}));
    assert.ok((await readable('erin'))[0]!.includes(erinBody), 'the owner still reads her mail with her own password');
  });

  test('(5) no recovery path (the mail code never reached the owner): the reset completes, mailKeyRestored is false, old mail is unreadable, new mail and a new app password work', async () => {
    const ctx = m.svc!.context;
    await account('frank');
    const oldBody = marker('frank-lost');
    await lmtpDeliver(m.dv.lmtpPort, login('frank'), 'old', oldBody);
    const [f1, f2] = await trustedByThree('frank');
    await ctx.store.requestReset(f1!, 'frank');
    await ctx.store.requestReset(f2!, 'frank');
    const { code } = await ctx.store.obtainResetCode(f2!, 'frank');
    pw.frank = 'frank new start lantern';
    const done = await ctx.store.completeReset('frank', code, pw.frank);
    assert.equal(done.mailKeyRestored, false);
    assert.equal(await ctx.mail!.setPassword(done.userId, pw.frank), 'replaced');
    const newBody = marker('frank-after');
    await lmtpDeliver(m.dv.lmtpPort, login('frank'), 'new', newBody);
    const texts = await readable('frank');
    assert.equal(texts.length, 2);
    assert.match(texts[0]!, /^UNREADABLE/, 'the old mail was encrypted to the lost key');
    assert.ok(!texts[0]!.includes(oldBody));
    assert.ok(texts[1]!.includes(newBody), texts[1]);
    assert.deepEqual(await filesContaining(home('frank'), newBody), [], 'new mail is encrypted too');
    const app = await ctx.mail!.createAppPassword(done.userId, 'phone', done);
    const viaApp = await imapFetchAll(m.dv.imapPort, login('frank'), app.secret);
    assert.equal(viaApp.messages?.[1]?.text?.includes(newBody), true, JSON.stringify(viaApp));
  });

  test('(6) encryption: all — an existing plain account is encrypted at its next web login: its plain mail still reads, new mail is encrypted, an app password from before is refused', async () => {
    const before = m.svc!.context;
    const oldApp = await before.mail!.createAppPassword(ids.plain!, 'old phone');
    assert.equal((await imapFetchAll(m.dv.imapPort, login('plain'), oldApp.secret)).ok, true, 'works while the account is plain');
    await m.stopPeergroup();
    (m.config.mailboxes as { encryption?: string }).encryption = 'all';
    await m.start();
    const ctx = m.svc!.context;
    const owner = await ctx.store.login('plain', pw.plain!);
    await ctx.mail!.onWebLogin(owner.userId, pw.plain!, owner);
    assert.equal(await ctx.mail!.encrypted(owner.userId), true);
    const newBody = marker('plain-now-encrypted');
    await lmtpDeliver(m.dv.lmtpPort, login('plain'), 'new', newBody);
    assert.deepEqual(await filesContaining(home('plain'), newBody), []);
    const texts = await readable('plain');
    assert.equal(texts.length, 2);
    assert.ok(!texts[0]!.startsWith('UNREADABLE') && texts[1]!.includes(newBody), JSON.stringify(texts));
    const stale = await imapFetchAll(m.dv.imapPort, login('plain'), oldApp.secret);
    assert.equal(stale.ok, false, 'an app password without a wrap of the key could not read the mailbox');
    const app = await ctx.mail!.createAppPassword(owner.userId, 'new phone', owner);
    assert.equal((await imapFetchAll(m.dv.imapPort, login('plain'), app.secret)).messages?.[1]?.text?.includes(newBody), true);
  });
});
