// Mailbox encryption's lookups and key handling on SQLite and PostgreSQL (docs/mail-crypt.md), without Dovecot (the
// real Dovecot runs in test/e2e/mail-crypt*.test.ts): what the passdb and userdb answer for encrypted and plain
// accounts, and that the key follows a password change, stays out of a reset that did not restore the mail key, and
// is wrapped for app passwords made from the owner's session only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@peergroup/service';
import { accountsConfigSchema, openAccountsContext, type AccountsContext } from '../src/index.ts';
import type { MailAccounts } from '../src/mail/mail-accounts.ts';
import { FAST_PWHASH } from '@peergroup/test-support/accounts';
import { createDatabase, startPostgres, type RunningPostgres } from '@peergroup/test-support/postgres';

const A = 'alice@example.org';

for (const dialect of ['sqlite', 'postgres'] as const)
  describe(`mailbox encryption lookups (${dialect})`, () => {
    let pg: RunningPostgres | undefined;
    let dir: string;
    let ctx: AccountsContext;
    let mail: MailAccounts;
    const ids: Record<string, string> = {};
    const PW = { alice: 'alice long password here', plain: 'plain long password here' };
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pg-mail-crypt-'));
      const databaseUrl = dialect === 'postgres' ? await createDatabase((pg = await startPostgres()).url, 'mail_crypt') : undefined;
      const config = accountsConfigSchema.parse({
        dataDir: dir,
        ...(databaseUrl ? { databaseUrl } : {}),
        trust: { pwhash: FAST_PWHASH, minWait: 0, defaultWait: 0 },
        mailboxes: {
          domain: 'example.org',
          encryption: 'new',
          verifier: { opslimit: 1, memlimit: 8192 },
          dovecot: {
            dictSocket: join(dir, 'd.sock'),
            passdb: { listen: '127.0.0.1:0', secretFile: join(dir, 'secret') },
            uid: 5000,
            gid: 5001,
          },
          postfix: { socketmap: '127.0.0.1:0' },
        },
      });
      ctx = await openAccountsContext(config, { logger: silentLogger() });
      mail = ctx.mail!;
      const alice = await ctx.store.createUser('alice', PW.alice);
      ids.alice = alice.userId;
      assert.equal(await mail.setPassword(alice.userId, PW.alice), 'created');
      const plain = await ctx.store.createUser('plain', PW.plain);
      ids.plain = plain.userId;
      await mail.setWebOnly(plain.userId, false); // a mailbox from before encryption: `new` leaves it plain
      assert.equal(await mail.setPassword(plain.userId, PW.plain), 'none');
    });
    after(async () => {
      await ctx?.close();
      await pg?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('userdb: an encrypted account gets its public key and save version 2, a plain one neither', async () => {
      const enc = (await mail.crypt.userdb(A))!;
      assert.equal(enc.mail_crypt_save_version, '2');
      const key = createPublicKey(Buffer.from(enc.mail_crypt_global_public_key!, 'base64').toString());
      assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      const plain = (await mail.crypt.userdb('plain@example.org'))!;
      assert.equal(plain.mail_crypt_save_version, undefined);
      assert.equal(plain.mail_crypt_global_public_key, undefined);
      assert.equal(plain.home.endsWith('/plain'), true);
    });

    test('passdb: the right password gets the key pair, a wrong one, an unknown user and a plain account behave as before', async () => {
      const f = (await mail.crypt.passdb(A, PW.alice))!;
      assert.deepEqual(Object.keys(f).sort(), [
        'userdb_mail_crypt_global_private_key',
        'userdb_mail_crypt_global_public_key',
        'userdb_mail_crypt_save_version',
      ]);
      assert.equal(f.userdb_mail_crypt_global_public_key, (await mail.crypt.userdb(A))!.mail_crypt_global_public_key);
      assert.equal(await mail.crypt.passdb(A, 'not the password'), null);
      assert.equal(await mail.crypt.passdb('nobody@example.org', PW.alice), null);
      assert.deepEqual(await mail.crypt.passdb('plain@example.org', PW.plain), {});
      assert.equal(await mail.crypt.passdb('plain@example.org', 'wrong'), null);
      await mail.setWebOnly(ids.alice!, true);
      assert.equal(await mail.crypt.passdb(A, PW.alice), null, 'a web-only main password reads no mail');
      await mail.setWebOnly(ids.alice!, false);
    });

    test('a password change keeps the key: the new password gets the same private key, the old one nothing', async () => {
      const before = (await mail.crypt.passdb(A, PW.alice))!.userdb_mail_crypt_global_private_key;
      const me = await ctx.store.login('alice', PW.alice);
      await ctx.store.changePassword(me, PW.alice, 'alice second password here');
      assert.equal(await mail.setPassword(me, 'alice second password here'), 'kept');
      assert.equal((await mail.crypt.passdb(A, 'alice second password here'))!.userdb_mail_crypt_global_private_key, before);
      assert.equal(await mail.crypt.passdb(A, PW.alice), null);
      PW.alice = 'alice second password here';
    });

    test('app passwords: wrapped from the owner session, refused without it; a reset without the mail key replaces the key and drops their wraps', async () => {
      const me = await ctx.store.login('alice', PW.alice);
      await assert.rejects(mail.createAppPassword(ids.alice!, 'no session'), /logged-in owner/);
      const app = await mail.createAppPassword(ids.alice!, 'phone', me);
      const key = (await mail.crypt.passdb(A, PW.alice))!.userdb_mail_crypt_global_private_key;
      assert.equal((await mail.crypt.passdb(A, app.secret))!.userdb_mail_crypt_global_private_key, key);
      assert.equal((await mail.crypt.passdb(A, app.secret.toUpperCase().replace(/-/g, ' ')))!.userdb_mail_crypt_global_private_key, key);

      // A reset completed without the mail code: a new mail key, so a new Dovecot key; the app password's wrap is gone.
      await ctx.store.setSettings(ids.alice!, { threshold: 1, waitSeconds: 0 });
      const t = await ctx.store.createUser(`trustee-${dialect}`, 'trustee long password here');
      await ctx.store.addTrustee(me, t.username);
      await ctx.store.requestReset(t, 'alice');
      const { code } = await ctx.store.obtainResetCode(t, 'alice');
      const done = await ctx.store.completeReset('alice', code, 'alice after the reset here');
      assert.equal(done.mailKeyRestored, false);
      assert.equal(await mail.setPassword(done, 'alice after the reset here'), 'replaced');
      const after = (await mail.crypt.passdb(A, 'alice after the reset here'))!.userdb_mail_crypt_global_private_key;
      assert.notEqual(after, key);
      assert.equal(await mail.crypt.passdb(A, app.secret), null, 'its wrap held the lost key');
    });
  });
