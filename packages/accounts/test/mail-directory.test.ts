// The mail directory against a real accounts database, SQLite and PostgreSQL (its lookups are one compiled SQL
// statement each, a UNION on both dialects): what Postfix's maps and Dovecot's passdb/userdb get for mailboxes,
// aliases, +tags, catch-alls, disabled accounts, app passwords and web-only main passwords.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@peergroup/service';
import { openTrustDb } from '@peergroup/trust';
import { accountsConfigSchema, openAccountsContext, sqlitePathFor, type AccountsConfig, type AccountsContext } from '../src/index.ts';
import type { MailAccounts } from '../src/mail/mail-accounts.ts';
import { FAST_PWHASH } from '@peergroup/test-support/accounts';
import { createDatabase, startPostgres, type RunningPostgres } from '@peergroup/test-support/postgres';

for (const dialect of ['sqlite', 'postgres'] as const)
  describe(`mail directory (${dialect})`, () => {
    let pg: RunningPostgres | undefined;
    let dir: string;
    let ctx: AccountsContext;
    let mail: MailAccounts;
    let databaseUrl: string | undefined;
    let config: AccountsConfig;
    const ids: Record<string, string> = {};
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pg-mail-dir-'));
      databaseUrl = dialect === 'postgres' ? await createDatabase((pg = await startPostgres()).url, 'mail_directory') : undefined;
      config = accountsConfigSchema.parse({
        dataDir: dir,
        ...(databaseUrl ? { databaseUrl } : {}),
        trust: { pwhash: FAST_PWHASH, minWait: 0, defaultWait: 0 },
        mailboxes: {
          domain: 'example.org',
          verifier: { opslimit: 1, memlimit: 8192 },
          quota: '1G',
          dovecot: {
            dictSocket: join(dir, 'd.sock'),
            passdb: { listen: '127.0.0.1:0', secretFile: join(dir, 'secret') },
            home: '/m/%d/%n',
            uid: 5000,
            gid: 5001,
          },
          postfix: { socketmap: '127.0.0.1:0' },
        },
      });
      ctx = await openAccountsContext(config, { logger: silentLogger() });
      mail = ctx.mail!;
      for (const name of ['alice', 'bob', 'dave']) {
        const u = await ctx.store.createUser(name, `${name} long password here`);
        await mail.setPassword(u.userId, `${name} long password here`);
        ids[name] = u.userId;
      }
      await mail.createAlias(ids.bob!, 'bobby', 'example.org', null);
      await mail.addDomain('Other.Test');
      await mail.createAlias(ids.bob!, 'shop', 'other.test', null);
      await mail.setCatchAll('other.test', 'alice');
      await ctx.store.setDisabled(ids.dave!, true);
    });
    after(async () => {
      await ctx?.close();
      await pg?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('mailbox: user[+tag]@accountdomain in any case; nothing for aliases, other domains, disabled accounts', async () => {
      const d = mail.directory;
      assert.equal(await d.mailbox('Bob+News@Example.ORG'), 'example.org/bob/');
      assert.equal(await d.mailbox('bob@example.org'), 'example.org/bob/');
      assert.equal(await d.mailbox('bobby@example.org'), null);
      assert.equal(await d.mailbox('bob@other.test'), null);
      assert.equal(await d.mailbox('dave@example.org'), null);
      assert.equal(await d.mailbox('nobody@example.org'), null);
    });

    test('alias: the owner with the tag carried over; catch-all only for addresses nobody has; never for account names', async () => {
      const d = mail.directory;
      assert.equal(await d.alias('BOBBY+x@example.org'), 'bob+x@example.org');
      assert.equal(await d.alias('shop@other.test'), 'bob@example.org', 'an alias in an added domain wins over its catch-all');
      assert.equal(await d.alias('anything@Other.Test'), 'alice@example.org', 'catch-all');
      assert.equal(await d.alias('anything+t@other.test'), 'alice+t@example.org');
      assert.equal(await d.alias('bob@example.org'), null, 'a mailbox is not an alias');
      assert.equal(await d.alias('nobody@example.org'), null, 'no catch-all on the account domain');
      assert.equal(await d.alias('x@elsewhere.test'), null);
      assert.equal(await d.isOurDomain('OTHER.test.'), true);
      assert.equal(await d.isOurDomain('elsewhere.test'), false);
    });

    test("catch-all of a disabled account, and a disabled account's name, give nothing", async () => {
      await mail.setCatchAll('other.test', 'dave');
      assert.equal(await mail.directory.alias('anything@other.test'), null);
      assert.equal(await mail.directory.senderLogin('dave@example.org'), null);
      await mail.setCatchAll('other.test', 'alice');
    });

    test('statements are kept, answers are not: a deleted alias and a change by another connection show at once', async () => {
      const d = mail.directory;
      await mail.createAlias(ids.alice!, 'fleeting', 'example.org', null);
      // Several runs, so that the lookups run on kept (SQLite) and named (PostgreSQL) statements.
      for (let i = 0; i < 3; i++) assert.equal(await d.alias('fleeting@example.org'), 'alice@example.org');
      assert.equal(await mail.deleteAlias(ids.alice!, 'fleeting@example.org'), true);
      assert.equal(await d.alias('fleeting@example.org'), null);
      assert.equal(await d.senderLogin('fleeting@example.org'), null);
      // Another process (the admin CLI) writes through its own connection.
      const other =
        dialect === 'postgres' ? openTrustDb({ postgresUrl: databaseUrl! }) : openTrustDb({ sqlitePath: sqlitePathFor(config) });
      try {
        for (let i = 0; i < 3; i++) assert.equal(await d.mailbox('alice@example.org'), 'example.org/alice/');
        await other.db.updateTable('trust_user').set({ disabled: 1 }).where('id', '=', ids.alice!).execute();
        assert.equal(await d.mailbox('alice@example.org'), null);
        assert.equal(await d.senderLogin('alice@example.org'), null);
        await other.db.updateTable('trust_user').set({ disabled: 0 }).where('id', '=', ids.alice!).execute();
        assert.equal(await d.mailbox('alice@example.org'), 'example.org/alice/');
      } finally {
        await other.close();
      }
    });

    test('sender: the login that owns an address (mailbox, alias, catch-all), null for nobody', async () => {
      const d = mail.directory;
      assert.equal(await d.senderLogin('Bob@example.org'), 'bob@example.org');
      assert.equal(await d.senderLogin('bobby@example.org'), 'bob@example.org');
      assert.equal(await d.senderLogin('x@other.test'), 'alice@example.org');
      assert.equal(await d.senderLogin('nobody@example.org'), null);
    });

    test('passdb: main password, app password (any case, without dashes), web-only, disabled, unknown and tagged logins', async () => {
      const d = mail.directory;
      assert.equal(await d.verifyLogin('bob@example.org', 'bob long password here'), true);
      assert.equal(await d.verifyLogin('Bob@Example.org', 'bob long password here'), true);
      assert.equal(await d.verifyLogin('bob@example.org', 'bob long password herE'), false);
      assert.equal(await d.verifyLogin('bob+tag@example.org', 'bob long password here'), false, 'a login name has no tag');
      assert.equal(await d.verifyLogin('bob@other.test', 'bob long password here'), false);
      assert.equal(await d.verifyLogin('dave@example.org', 'dave long password here'), false);
      assert.equal(await d.verifyLogin('nobody@example.org', 'x'), false);
      const app = await mail.createAppPassword(ids.bob!, 'phone');
      assert.equal(await d.verifyLogin('bob@example.org', app.secret.toUpperCase().replace(/-/g, '')), true);
      assert.equal(await d.verifyLogin('alice@example.org', app.secret), false, 'bound to its account');
      await mail.setWebOnly(ids.bob!, true);
      assert.equal(await d.verifyLogin('bob@example.org', 'bob long password here'), false);
      assert.equal(await d.verifyLogin('bob@example.org', app.secret), true);
      await mail.revokeAppPassword(ids.bob!, app.id);
      assert.equal(await d.verifyLogin('bob@example.org', app.secret), false);
    });

    test('userdb: home from the template, uid/gid, quota default and override (0 = unlimited, no rule)', async () => {
      const d = mail.directory;
      assert.deepEqual(await d.userdb('alice@example.org'), {
        home: '/m/example.org/alice',
        mail: 'maildir:~/Maildir',
        uid: '5000',
        gid: '5001',
        quota_rule: `*:bytes=${1024 ** 3}`,
      });
      await mail.setQuota(ids.alice!, 0);
      assert.equal((await d.userdb('alice@example.org'))!.quota_rule, undefined);
      assert.equal(await d.userdb('dave@example.org'), null);
      assert.equal(await d.userdb('alice+x@example.org'), null);
    });
  });
