// docs/mail-crypt.md as a second implementation reads it: the stored values are recomputed and opened here from the
// text alone (libsodium for BLAKE2b, Argon2id and XChaCha20-Poly1305, the openssl command for P-256), the database
// file holds no open key, and rows moved between credentials or accounts, or a public key swapped, open nothing.
// The passdb is asked directly over its HTTP interface; the real Dovecot of the stack reads the mail.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sodium from 'sodium-native';
import { imapLogin } from '@peergroup/test-support/dovecot';
import { run } from '@peergroup/test-support/proc';
import type { UnlockedUser } from '@peergroup/trust';
import { startMailStack, DOMAIN, type MailStack } from './mail-setup.ts';

const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const L = (label: string, ...parts: Buffer[]) => Buffer.concat([Buffer.from(label, 'ascii'), Buffer.from([0]), ...parts]);
const H = (key: Buffer, msg: Buffer) => {
  const out = Buffer.alloc(32);
  sodium.crypto_generichash(out, msg, key);
  return out;
};
function aeadOpen(key: Buffer, blob: Buffer, ad: Buffer): Buffer | null {
  const out = Buffer.alloc(blob.length - 40);
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(out, null, blob.subarray(24), ad, blob.subarray(0, 24), key);
    return out;
  } catch {
    return null;
  }
}

/** §2 from the text: the first counter whose BLAKE2b output is a scalar below n. */
function specScalar(mailKey: Buffer): Buffer {
  for (let i = 0; ; i++) {
    const c = H(mailKey, L('peergroup-mail-crypt-p256-v1', Buffer.from([i])));
    const v = BigInt(`0x${c.toString('hex')}`);
    if (v >= 1n && v < P256_N) return c;
  }
}

/** Q = d·G by the openssl command: an RFC 5915 ECPrivateKey with only d, whose public key openssl computes. */
async function opensslPoint(d: Buffer): Promise<Buffer> {
  const der = Buffer.concat([
    Buffer.from('30310201010420', 'hex'),
    d,
    Buffer.from('a00a06082a8648ce3d030107', 'hex'), // [0] prime256v1
  ]);
  const pem = `-----BEGIN EC PRIVATE KEY-----\n${der.toString('base64')}\n-----END EC PRIVATE KEY-----\n`;
  const r = await run('openssl', ['ec', '-pubout'], { input: pem, timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  const spki = Buffer.from(r.stdout.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
  return spki.subarray(spki.length - 65);
}

describe('mailbox encryption: the stored format, read from docs/mail-crypt.md alone, and rows moved around', () => {
  let m: MailStack;
  let secret: string;
  const pw = { alice: 'alice format tulip mirror', bob: 'bob format canal lantern' };
  const users: Record<string, UnlockedUser> = {};

  async function passdb(user: string, password: string): Promise<{ status: number; fields: Record<string, string> }> {
    const { host, port } = m.svc!.addresses['mail-passdb']!;
    const res = await fetch(`http://${host}:${port}/dovecot/passdb`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user, password, service: 'imap' }).toString(),
    });
    const text = await res.text();
    return {
      status: res.status,
      fields: Object.fromEntries(
        text
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      ),
    };
  }

  before(async () => {
    m = await startMailStack({ mailboxes: { encryption: 'new' }, dovecotSnippets: ['dovecot-mail-crypt.conf'] });
    secret = (await readFile(join(m.work, 'passdb.secret'), 'utf8')).trim();
    const ctx = m.svc!.context;
    for (const [name, p] of Object.entries(pw)) {
      await ctx.store.createUser(name, p);
      assert.equal(await ctx.mail!.setPassword((await ctx.store.getUserByName(name))!.userId, p), 'created');
      users[name] = await ctx.store.login(name, p);
    }
  });
  after(async () => m?.close());

  test('§2 and §3: Q_U is d_U·G for d_U derived from the trust mail key; the password and app password wraps open as specified; the passdb hands Dovecot exactly that key', async () => {
    const ctx = m.svc!.context;
    const alice = users.alice!;
    const mailKey = (await ctx.store.mailKey(alice))!;
    const d = specScalar(mailKey);
    const row = await ctx.db.selectFrom('mail_crypt_key').selectAll().where('user_id', '=', alice.userId).executeTakeFirstOrThrow();
    const q = Buffer.from(row.public_key);
    assert.deepEqual(await opensslPoint(d), q, 'public_key = d·G (openssl)');

    const k = Buffer.alloc(32);
    sodium.crypto_pwhash(
      k,
      Buffer.from(pw.alice.normalize('NFC')),
      Buffer.from(row.pw_salt!),
      Number(row.pw_opslimit),
      Number(row.pw_memlimit),
      sodium.crypto_pwhash_ALG_ARGON2ID13,
    );
    const id16 = Buffer.from(alice.userId, 'hex');
    assert.deepEqual(aeadOpen(k, Buffer.from(row.pw_box!), L('peergroup-mail-crypt-password-v1', id16, q)), d, '§3.1');

    const app = await ctx.mail!.createAppPassword(alice.userId, 'tablet', alice);
    const a = app.secret.replace(/-/g, '');
    const appRow = await ctx.db.selectFrom('mail_app_password').selectAll().where('id', '=', app.id).executeTakeFirstOrThrow();
    const kApp = H(Buffer.from(a, 'ascii'), L('peergroup-mail-crypt-app-key-v1', id16, Buffer.from(app.id, 'ascii')));
    const ad = L('peergroup-mail-crypt-app-v1', id16, Buffer.from(app.id, 'ascii'), q);
    assert.deepEqual(aeadOpen(kApp, Buffer.from(appRow.crypt_box!), ad), d, '§3.2');

    const answer = await passdb(`alice@${DOMAIN}`, pw.alice);
    assert.equal(answer.status, 200);
    assert.equal(answer.fields.userdb_mail_crypt_save_version, '2');
    const pem = Buffer.from(answer.fields.userdb_mail_crypt_global_private_key!, 'base64').toString();
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
    const r = await run('openssl', ['pkey', '-noout', '-text'], { input: pem, timeoutMs: 10_000 });
    const priv = /priv:\s*([\s\S]*?)pub:/.exec(r.stdout)![1]!.replace(/[\s:]/g, '');
    assert.equal(BigInt(`0x${priv}`), BigInt(`0x${d.toString('hex')}`), 'the PEM Dovecot gets holds d_U');
    mailKey.fill(0);
  });

  test('the database files hold neither d_U nor the private key Dovecot gets', async () => {
    const ctx = m.svc!.context;
    const d = specScalar((await ctx.store.mailKey(users.alice!))!);
    const pem = (await passdb(`alice@${DOMAIN}`, pw.alice)).fields.userdb_mail_crypt_global_private_key!;
    const dataDir = join(m.work, 'data');
    let checked = 0;
    for (const f of await readdir(dataDir)) {
      if (!f.startsWith('accounts.sqlite')) continue;
      const bytes = await readFile(join(dataDir, f));
      checked++;
      assert.equal(bytes.includes(d), false, `${f} holds d_U`);
      assert.equal(bytes.includes(Buffer.from(pem)), false, `${f} holds the PEM`);
      assert.equal(bytes.includes(Buffer.from(pem, 'base64').subarray(40, 80)), false, `${f} holds the PEM's body`);
    }
    assert.ok(checked >= 1, 'the SQLite file was read');
  });

  test('direct SQL: an app password wrap moved to another app password, a password wrap moved to another account, and a swapped public key open nothing', async () => {
    const ctx = m.svc!.context;
    const one = await ctx.mail!.createAppPassword(users.alice!.userId, 'one', users.alice!);
    const two = await ctx.mail!.createAppPassword(users.alice!.userId, 'two', users.alice!);
    assert.equal((await passdb(`alice@${DOMAIN}`, two.secret)).status, 200);
    const boxOne = (await ctx.db.selectFrom('mail_app_password').select('crypt_box').where('id', '=', one.id).executeTakeFirstOrThrow())
      .crypt_box;
    await ctx.db.updateTable('mail_app_password').set({ crypt_box: boxOne }).where('id', '=', two.id).execute();
    assert.equal((await passdb(`alice@${DOMAIN}`, two.secret)).status, 403, "app password two cannot open one's box");
    assert.equal((await passdb(`alice@${DOMAIN}`, one.secret)).status, 200);

    const rows = await ctx.db.selectFrom('mail_crypt_key').selectAll().execute();
    const a = rows.find((r) => r.user_id === users.alice!.userId)!;
    const b = rows.find((r) => r.user_id === users.bob!.userId)!;
    // Bob's row gets alice's wrap (her salt and box): neither password opens it as bob's.
    await ctx.db.updateTable('mail_crypt_key').set({ pw_salt: a.pw_salt, pw_box: a.pw_box }).where('user_id', '=', b.user_id).execute();
    assert.equal((await passdb(`bob@${DOMAIN}`, pw.alice)).status, 403);
    assert.equal((await passdb(`bob@${DOMAIN}`, pw.bob)).status, 403);
    // Alice's public key swapped for bob's: her wrap no longer opens (Q is in its AD), so no key for a planted one.
    await ctx.db.updateTable('mail_crypt_key').set({ public_key: b.public_key }).where('user_id', '=', a.user_id).execute();
    assert.equal((await passdb(`alice@${DOMAIN}`, pw.alice)).status, 403);
    await ctx.db.updateTable('mail_crypt_key').set({ public_key: a.public_key }).where('user_id', '=', a.user_id).execute();
    assert.equal((await passdb(`alice@${DOMAIN}`, pw.alice)).status, 200, 'the positive control: restored, it opens again');
    // Bob's own wrap back: he logs in over IMAP again (the positive control for the splice above).
    await ctx.db.updateTable('mail_crypt_key').set({ pw_salt: b.pw_salt, pw_box: b.pw_box }).where('user_id', '=', b.user_id).execute();
    assert.equal((await imapLogin(m.dv.imapPort, `bob@${DOMAIN}`, pw.bob)).ok, true);
  });
});
