// Mailbox encryption with the real Dovecot (docs/mail-crypt.md): LMTP encrypts deliveries with the public key the
// userdb gives, a login's passdb answer carries the private key unwrapped under that login's password or app
// password, and the key is derived from the trust store's mail key — so it survives a password change, a recovery
// code and a peer reset with the mail code, and is lost (new key, old mail unreadable) only when no recovery path
// restored the mail key. Configured from docs/snippets/dovecot-mail-crypt.conf next to the other Dovecot snippets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loopbackSource } from '@peergroup/test-support/dovecot';
import { run } from '@peergroup/test-support/proc';
import type { UnlockedUser } from '@peergroup/trust';
import { startMailStack, DOMAIN, type MailStack } from './mail-setup.ts';

interface Fetched {
  ok: boolean;
  error?: string;
  /** One per message in INBOX, oldest first: its text, or the server's NO for that FETCH. */
  messages?: { ok: boolean; text?: string; error?: string }[];
}

/** python3's imaplib: LOGIN, then FETCH each INBOX message on its own, so one unreadable message shows as its NO. */
async function imapFetchAll(port: number, user: string, password: string): Promise<Fetched> {
  const script = `
import imaplib, json, socket, sys
user, pw, port, src = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
class FromSource(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(src, 0))
m = FromSource('127.0.0.1', port)
try:
    m.login(user, pw)
except imaplib.IMAP4.error as e:
    print(json.dumps({'ok': False, 'error': str(e)})); sys.exit(0)
m.select('INBOX')
typ, data = m.search(None, 'ALL')
out = []
for num in data[0].split():
    try:
        typ, d = m.fetch(num, '(BODY.PEEK[])')
    except imaplib.IMAP4.error as e:
        out.append({'ok': False, 'error': str(e)}); continue
    if typ == 'OK' and d and isinstance(d[0], tuple):
        out.append({'ok': True, 'text': d[0][1].decode('utf-8', 'replace')})
    else:
        out.append({'ok': False, 'error': typ + ' ' + repr(d)})
m.logout()
print(json.dumps({'ok': True, 'messages': out}))
`;
  const r = await run('python3', ['-c', script, user, password, String(port), loopbackSource()], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`python3 imaplib failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Fetched;
}

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

/** Every file under `dir` whose bytes contain `needle`. */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    if ((await readFile(p)).includes(needle)) hits.push(p);
  }
  return hits;
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
    const files = await filesContaining(join(home('alice'), 'Maildir'), 'From: sender@outside.test');
    assert.deepEqual(files, [], 'the stored message is ciphertext');
    const texts = await readable('alice');
    assert.equal(texts.length, 1);
    assert.ok(texts[0]!.includes(body) && texts[0]!.includes(subject), texts[0]);
    // After the read (Dovecot may cache header fields in its index), the body is still nowhere on disk.
    assert.deepEqual(await filesContaining(home('alice'), body), []);

    const app = await m.svc!.context.mail!.createAppPassword(alice.userId, 'phone', alice);
    const viaApp = await imapFetchAll(m.dv.imapPort, login('alice'), app.secret);
    assert.equal(viaApp.messages?.[0]?.text?.includes(body), true, JSON.stringify(viaApp));

    // The control: a mailbox that is not encrypted keeps the plaintext, so the search above could have found it.
    const ctx = m.svc!.context;
    pw.plain = 'plain meadow pebble violin';
    const plain = await ctx.store.createUser('plain', pw.plain);
    await ctx.mail!.setWebOnly(plain.userId, false); // a mailbox from before encryption was turned on
    assert.equal(await ctx.mail!.setPassword(plain.userId, pw.plain), 'none');
    const plainBody = marker('plain-body');
    await lmtpDeliver(m.dv.lmtpPort, login('plain'), 'plain', plainBody);
    assert.equal((await filesContaining(join(home('plain'), 'Maildir'), plainBody)).length, 1);
    assert.ok((await readable('plain'))[0]!.includes(plainBody));
  });

  test('(1b) a wrong password, the old password of another account and a login without the key are refused', async () => {
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
});
