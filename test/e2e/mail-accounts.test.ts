// The account is the mailbox, proven with the real programs: Debian's Dovecot authenticating through peergroup's
// passdb (the Lua snippet) and finding mailboxes through its dict server, Postfix looking up domains, mailboxes,
// aliases and sender logins through peergroup's socketmap,
// submission with SASL via Dovecot, LMTP delivery into Dovecot, python3's imaplib and smtplib as the clients.
// Configured from docs/snippets/dovecot-*.conf, postfix-virtual-*.cf and mailboxes.yaml.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, chmod, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@peergroup/service';
import { startAccountsFrom, type AccountsConfigInput, type RunningAccounts } from '@peergroup/accounts';
import { startPostfix, type Postfix } from '@peergroup/test-support/postfix';
import { startDovecot, dovecotPaths, writePassdbSecret, imapLogin, mailUser, type Dovecot } from '@peergroup/test-support/dovecot';
import { freePort } from '@peergroup/test-support/ports';
import { snippet, mainCfFromSnippet } from '@peergroup/test-support/snippets';
import { keepTestDirs, run, sleep } from '@peergroup/test-support/proc';
import { Client, FAST_PWHASH } from '@peergroup/test-support/accounts';
import { mailboxesFromSnippet, SOCKETMAP_SOCKET, smtpSession as smtp, socketmapPath } from './mail-setup.ts';

const DOMAIN = 'example.org';
const PW = {
  alice: 'alice tulip mirror orbit',
  bob: 'canal lantern harbor plum',
  bob2: 'second quiet river moth',
  bob3: 'third amber forest kite',
  carol: 'carol meadow pebble violin',
};

/** IMAP INBOX bodies of `user`, polled until `pred` holds. */
async function waitForMail(d: Dovecot, user: string, pw: string, pred: (m: string[]) => boolean, ms = 20_000): Promise<string[]> {
  const until = Date.now() + ms;
  for (;;) {
    const r = await imapLogin(d.imapPort, user, pw, { read: true });
    if (r.ok && pred(r.messages ?? [])) return r.messages!;
    if (Date.now() > until) throw new Error(`mailbox of ${user} never matched: ${JSON.stringify(r)}`);
    await sleep(250);
  }
}

describe('mail accounts with real Dovecot and Postfix (SQLite)', () => {
  let work: string;
  let pf: Postfix;
  let dv: Dovecot;
  let svc: RunningAccounts | undefined;
  let config: AccountsConfigInput;
  let submissionPort: number;
  const logger = createLogger('mail-e2e', process.env.PEERGROUP_LOG_LEVEL ?? 'silent');

  const start = async () => {
    svc = await startAccountsFrom(config, { logger });
    return svc;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'pg-mail-e2e-'));
    await chmod(work, 0o755);
    const dovecotDir = join(work, 'dovecot');
    await mkdir(dovecotDir);
    const socketmap = await socketmapPath(work);
    const passdbPort = await freePort();
    const secretFile = join(work, 'passdb.secret');
    await writePassdbSecret(secretFile);
    submissionPort = await freePort();
    const { uid, gid } = mailUser();
    const paths = dovecotPaths(dovecotDir);
    const mailboxes = mailboxesFromSnippet({ work, paths, uid, gid, socketmap, passdbPort, secretFile });
    config = {
      listen: '127.0.0.1:0',
      dataDir: join(work, 'data'),
      trust: { pwhash: FAST_PWHASH, minWait: 0, defaultWait: 0 },
      mailboxes: { ...mailboxes, verifier: { opslimit: 1, memlimit: 8192 } } as never,
    };
    const master = snippet('postfix-virtual-master.cf')
      .replace('submission inet n       -       y', `127.0.0.1:${submissionPort} inet n       -       n`)
      // No certificates in the test: the snippet's TLS requirement is the one deviation.
      .replace('smtpd_tls_security_level=encrypt', 'smtpd_tls_security_level=none')
      .replace('smtpd_tls_auth_only=yes', 'smtpd_tls_auth_only=no')
      .trimEnd()
      .split('\n');
    pf = await startPostfix({
      name: `mx.${DOMAIN}`,
      mainCf: mainCfFromSnippet(snippet('postfix-virtual-main.cf'), { [SOCKETMAP_SOCKET]: socketmap }),
      masterCf: master,
    });
    await start();
    dv = await startDovecot({
      dir: dovecotDir,
      dictSocket: join(work, 'dict.sock'),
      passdb: { port: passdbPort, secretFile },
      domain: DOMAIN,
      postfixQueueDir: join(pf.dir, 'queue'),
      settings: process.env.DV_DEBUG ? { auth_debug: 'yes' } : {},
    });
    const ctx = svc!.context;
    const alice = await ctx.store.createUser('alice', PW.alice, { admin: true });
    await ctx.mail!.setPassword(alice.userId, PW.alice);
    const carol = await ctx.store.createUser('carol', PW.carol);
    await ctx.mail!.setPassword(carol.userId, PW.carol);
  });

  after(async () => {
    await svc?.close();
    await dv?.stop();
    await pf?.stop();
    if (work && !keepTestDirs()) await rm(work, { recursive: true, force: true });
  });

  const web = () => new Client(svc!.url);

  test('1. sign-up with an invite: that password logs in over IMAP; a wrong password and an unknown user fail alike', async () => {
    const ctx = svc!.context;
    const invite = await ctx.store.createInvite((await ctx.store.getUserByName('alice'))!.userId);
    const c = web();
    const r = await c.submit('/signup', { code: invite.code, username: 'bob', password: PW.bob, password2: PW.bob });
    assert.equal(r.status, 303, r.body);
    assert.deepEqual(await imapLogin(dv.imapPort, `bob@${DOMAIN}`, PW.bob), { ok: true });
    // Bare name: auth_default_realm; case: auth_username_format = %Lu.
    assert.deepEqual(await imapLogin(dv.imapPort, 'Bob', PW.bob), { ok: true });
    const wrong = await imapLogin(dv.imapPort, `bob@${DOMAIN}`, 'not the password');
    const unknown = await imapLogin(dv.imapPort, `nobody@${DOMAIN}`, 'not the password');
    assert.equal(wrong.ok, false);
    assert.equal(unknown.ok, false);
    assert.equal(wrong.error, unknown.error, 'a wrong password reads like an unknown user');
    assert.match(wrong.error!, /AUTHENTICATIONFAILED/);
    // After a cached success, another password is not served from the cache.
    assert.equal((await imapLogin(dv.imapPort, `bob@${DOMAIN}`, PW.bob + 'x')).ok, false);
    const page = await c.get('/dashboard');
    assert.match(page.body, new RegExp(`bob@${DOMAIN.replace('.', '\\.')}`));
    assert.match(page.body, /id="mail-quota">2 GiB</);
  });

  test('2. submission with SASL as bob delivers over LMTP to alice; foreign senders are refused', async () => {
    const sent = await smtp(submissionPort, {
      user: `bob@${DOMAIN}`,
      password: PW.bob,
      from: `bob@${DOMAIN}`,
      to: [`alice@${DOMAIN}`],
      body: `From: bob@${DOMAIN}\r\nTo: alice@${DOMAIN}\r\nSubject: one\r\n\r\nfrom bob to alice\r\n`,
    });
    assert.equal(sent.ok, true, JSON.stringify(sent));
    const msgs = await waitForMail(dv, `alice@${DOMAIN}`, PW.alice, (m) => m.some((x) => x.includes('from bob to alice')));
    assert.match(msgs.find((x) => x.includes('from bob to alice'))!, /Subject: one/);
    for (const from of [`carol@${DOMAIN}`, 'someone@elsewhere.test']) {
      const r = await smtp(submissionPort, { user: `bob@${DOMAIN}`, password: PW.bob, from, to: [`alice@${DOMAIN}`] });
      assert.equal(r.ok, false, from);
      assert.equal(r.code, 553, `${from}: ${JSON.stringify(r)}`);
      assert.match(r.text!, /not owned by user/);
    }
    const noAuth = await smtp(submissionPort, {
      user: `bob@${DOMAIN}`,
      password: 'wrong password',
      from: `bob@${DOMAIN}`,
      to: [`alice@${DOMAIN}`],
    });
    assert.equal(noAuth.stage, 'auth');
    assert.equal(noAuth.code, 535);
  });

  test('3. alias and user+tag arrive; unknown users get 550 at RCPT; peergroup down gives 451 and queued mail waits', async () => {
    const c = web();
    await c.login('bob', PW.bob);
    await c.get('/mail/aliases');
    const made = await c.post('/mail/aliases', { local: 'bobby', domain: DOMAIN });
    assert.equal(made.status, 200, made.body);
    assert.match(made.body, /bobby@example\.org/);
    // Reserved names and existing accounts cannot be aliases.
    assert.equal((await c.post('/mail/aliases', { local: 'postmaster', domain: DOMAIN })).status, 409);
    assert.equal((await c.post('/mail/aliases', { local: 'alice', domain: DOMAIN })).status, 409);
    for (const [to, mark] of [
      [`bobby@${DOMAIN}`, 'via alias'],
      [`Bob+News@${DOMAIN.toUpperCase()}`, 'via tag'],
    ] as const) {
      await pf.submit(`alice@${DOMAIN}`, [to], `From: alice@${DOMAIN}\r\nTo: ${to}\r\nSubject: ${mark}\r\n\r\n${mark}\r\n`);
    }
    await waitForMail(dv, `bob@${DOMAIN}`, PW.bob, (m) => m.some((x) => x.includes('via alias')) && m.some((x) => x.includes('via tag')));
    await assert.rejects(
      pf.submit(`alice@${DOMAIN}`, [`nobody@${DOMAIN}`], 'Subject: x\r\n\r\nx\r\n'),
      (e: { responseCode?: number; response?: string }) => {
        assert.equal(e.responseCode, 550, e.response);
        return true;
      },
    );

    await svc!.close();
    svc = undefined;
    await assert.rejects(
      pf.submit(`alice@${DOMAIN}`, [`bob@${DOMAIN}`], 'Subject: x\r\n\r\nx\r\n'),
      (e: { responseCode?: number; response?: string }) => {
        assert.equal(e.responseCode, 451, e.response);
        return true;
      },
    );
    // Mail Postfix already holds (local submission) stays queued while peergroup is down.
    await pf.sendmail(
      `alice@${DOMAIN}`,
      [`bob@${DOMAIN}`],
      `From: alice@${DOMAIN}\r\nTo: bob@${DOMAIN}\r\nSubject: while down\r\n\r\nwhile down\r\n`,
    );
    await pf.waitForLog(/virtual_alias_maps map lookup problem for bob@example\.org -- message not accepted, try again later/);
    await start();
    // smtpd keeps the failed address resolutions of the outage in its resolve cache until the process exits; a
    // reload starts fresh ones (docs/postfix-virtual.md, "When peergroup is down").
    await pf.reload();
    await pf.flush();
    await run('postqueue', ['-c', pf.configDir, '-i', 'ALL']).catch(() => undefined);
    await waitForMail(dv, `bob@${DOMAIN}`, PW.bob, (m) => m.some((x) => x.includes('while down')), 90_000);
  });

  test('4. a password change: the old password fails at IMAP at once (auth cache flushed), the new one works', async () => {
    assert.equal((await imapLogin(dv.imapPort, `bob@${DOMAIN}`, PW.bob)).ok, true, 'cached now');
    const c = web();
    await c.login('bob', PW.bob);
    const r = await c.submit('/password', { old: PW.bob, password: PW.bob2, password2: PW.bob2 });
    assert.equal(r.status, 303, r.body);
    assert.equal((await imapLogin(dv.imapPort, `bob@${DOMAIN}`, PW.bob)).ok, false);
    assert.equal((await imapLogin(dv.imapPort, `bob@${DOMAIN}`, PW.bob2)).ok, true);
  });

  test('5. app passwords, web-only main password, and a peer reset that revokes every app password', async () => {
    const c = web();
    await c.login('bob', PW.bob2);
    await c.get('/mail/app-passwords');
    const made = await c.post('/mail/app-passwords', { name: 'phone' });
    const secret = /id="app-password">\s*([a-z0-9-]+)\s*</.exec(made.body)?.[1];
    assert.ok(secret, made.body);
    assert.equal((await imapLogin(dv.imapPort, `bob@${DOMAIN}`, secret)).ok, true);
    assert.equal((await imapLogin(dv.imapPort, `bob@${DOMAIN}`, secret.toUpperCase().replace(/-/g, ''))).ok, true, 'typed without dashes');
    const page = await c.get('/mail/app-passwords');
    assert.doesNotMatch(page.body, /<td>never<\/td>/, 'the last-used time is shown');
    await c.get('/mail');
    await c.post('/mail/web-only', { webOnly: '1' });
    assert.equal(
      (await imapLogin(dv.imapPort, `bob@${DOMAIN}`, PW.bob2)).ok,
      false,
      'web-only: the main password no longer works in mail clients',
    );
    assert.equal((await imapLogin(dv.imapPort, `bob@${DOMAIN}`, secret)).ok, true);

    // alice (bob's inviter, his trustee; k = 1, no waiting period here) hands out a code.
    const a = web();
    await a.login('alice', PW.alice);
    const help = await a.submit('/help-reset', { username: 'bob', password: PW.alice });
    const code = /id="reset-code">\s*([^<\s]+)\s*</.exec(help.body)?.[1];
    assert.ok(code, help.body);
    const f = web();
    const done = await f.submit('/forgot', { username: 'bob', code, password: PW.bob3, password2: PW.bob3 });
    assert.equal(done.status, 303, done.body);
    assert.match((await f.get('/forgot/done')).body, /app password of your mail account was revoked/);
    assert.equal((await imapLogin(dv.imapPort, `bob@${DOMAIN}`, secret)).ok, false, 'app passwords are revoked');
    assert.equal((await imapLogin(dv.imapPort, `bob@${DOMAIN}`, PW.bob2)).ok, false, 'the old password fails');
    assert.equal((await imapLogin(dv.imapPort, `bob@${DOMAIN}`, PW.bob3)).ok, false, 'still web-only after the reset');
    const b = web();
    await b.login('bob', PW.bob3);
    await b.get('/mail');
    await b.post('/mail/web-only', { webOnly: '0' });
    assert.equal((await imapLogin(dv.imapPort, `bob@${DOMAIN}`, PW.bob3)).ok, true, 'the new password works');
  });

  test('quota: the operator default and an override reach Dovecot through the userdb', async () => {
    const q = await dv.doveadm(['quota', 'get', '-u', `bob@${DOMAIN}`]);
    assert.match(q.stdout, /STORAGE\s+\d+\s+2097152/, q.stdout + q.stderr);
    const ctx = svc!.context;
    await ctx.mail!.setQuota((await ctx.store.getUserByName('bob'))!.userId, 512 * 1024 * 1024);
    const q2 = await dv.doveadm(['quota', 'get', '-u', `bob@${DOMAIN}`]);
    assert.match(q2.stdout, /STORAGE\s+\d+\s+524288/, q2.stdout);
  });

  test('6. a disabled account: IMAP and SMTP AUTH refused, mail to it rejected with 550', async () => {
    const ctx = svc!.context;
    const bob = (await ctx.store.getUserByName('bob'))!;
    await ctx.store.setDisabled(bob.userId, true);
    await ctx.mail!.flush(bob.userId);
    assert.equal((await imapLogin(dv.imapPort, `bob@${DOMAIN}`, PW.bob3)).ok, false);
    const r = await smtp(submissionPort, { user: `bob@${DOMAIN}`, password: PW.bob3, from: `bob@${DOMAIN}`, to: [`alice@${DOMAIN}`] });
    assert.equal(r.stage, 'auth');
    for (const to of [`bob@${DOMAIN}`, `bobby@${DOMAIN}`]) {
      await assert.rejects(
        pf.submit(`alice@${DOMAIN}`, [to], 'Subject: x\r\n\r\nx\r\n'),
        (e: { responseCode?: number }) => e.responseCode === 550,
      );
    }
    await ctx.store.setDisabled(bob.userId, false);
    await ctx.mail!.flush(bob.userId);
    assert.equal((await imapLogin(dv.imapPort, `bob@${DOMAIN}`, PW.bob3)).ok, true, 'enabled again');
  });

  test('peergroup down: Dovecot answers a temporary failure, never "unknown user"', async () => {
    await svc!.close();
    svc = undefined;
    // A login that is not cached: the dict server is gone.
    const r = await imapLogin(dv.imapPort, `carol@${DOMAIN}`, PW.carol);
    assert.equal(r.ok, false);
    assert.match(r.error!, /UNAVAILABLE|Temporary authentication failure/i);
    await start();
    assert.equal((await imapLogin(dv.imapPort, `carol@${DOMAIN}`, PW.carol)).ok, true);
  });
});
