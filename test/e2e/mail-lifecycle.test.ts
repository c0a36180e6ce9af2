// An account's mail life with the real programs: POP3 and ManageSieve logins next to IMAP, account deletion after
// its waiting period (logins and mail refused, the name kept, aliases freed only after the cool-down) and the
// alias cool-down between two people. The service clock is the test's, so days pass in a line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { imapLogin, pop3Login, loopbackSource } from '@peergroup/test-support/dovecot';
import { sleep } from '@peergroup/test-support/proc';
import { startMailStack, smtpSession, DOMAIN, type MailStack } from './mail-setup.ts';

const PW = { alice: 'alice tulip mirror orbit', bob: 'canal lantern harbor plum', carol: 'carol meadow pebble violin' };
const DAY = 86_400_000;

/** A raw ManageSieve (RFC 5804) dialogue: greeting, AUTHENTICATE "PLAIN", the server's answer line, LOGOUT. */
async function managesieveLogin(port: number, user: string, password: string): Promise<string> {
  const sock = createConnection({ host: '127.0.0.1', port, localAddress: loopbackSource() });
  let buf = '';
  const waitFor = async (re: RegExp): Promise<string> => {
    const until = Date.now() + 20_000;
    for (;;) {
      const line = buf.split('\r\n').find((l) => re.test(l));
      if (line) return line;
      if (Date.now() > until || sock.destroyed) throw new Error(`ManageSieve never sent ${re}: ${JSON.stringify(buf)}`);
      await sleep(20);
    }
  };
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => (buf += d));
  sock.on('error', () => undefined);
  await waitFor(/^OK /);
  buf = '';
  sock.write(`AUTHENTICATE "PLAIN" "${Buffer.from(`\0${user}\0${password}`).toString('base64')}"\r\n`);
  const answer = await waitFor(/^(OK|NO|BYE)\b/);
  sock.end('LOGOUT\r\n');
  return answer;
}

describe('mail account life with real Dovecot and Postfix', () => {
  let m: MailStack;
  let clock = Date.now();
  const ids: Record<string, string> = {};
  before(async () => {
    m = await startMailStack({ postfix: true, now: () => new Date(clock) });
    const ctx = m.svc!.context;
    for (const [name, pw] of Object.entries(PW)) {
      const u = await ctx.store.createUser(name, pw);
      await ctx.mail!.setPassword(u.userId, pw);
      ids[name] = u.userId;
    }
  });
  after(async () => m?.close());

  test('POP3: the account password logs in (poplib), a wrong one and an unknown user fail alike', async () => {
    const ok = await pop3Login(m.dv.pop3Port, `alice@${DOMAIN}`, PW.alice);
    assert.deepEqual(ok, { ok: true, count: 0 });
    const wrong = await pop3Login(m.dv.pop3Port, `alice@${DOMAIN}`, 'not the password');
    const unknown = await pop3Login(m.dv.pop3Port, `nobody@${DOMAIN}`, 'not the password');
    assert.equal(wrong.ok, false);
    assert.equal(wrong.error, unknown.error);
    assert.match(wrong.error!, /-ERR \[AUTH\] Authentication failed/);
  });

  test('ManageSieve: AUTHENTICATE PLAIN with the account password is OK, a wrong password NO', async () => {
    assert.match(await managesieveLogin(m.dv.managesievePort, `alice@${DOMAIN}`, PW.alice), /^OK "Logged in\."/);
    assert.match(await managesieveLogin(m.dv.managesievePort, `alice@${DOMAIN}`, 'not the password'), /^NO "Authentication failed\."/);
    const app = await m.svc!.context.mail!.createAppPassword(ids.alice!, 'sieve editor');
    assert.match(await managesieveLogin(m.dv.managesievePort, `alice@${DOMAIN}`, app.secret), /^OK /, 'an app password works there too');
  });

  test('alias cool-down: another user cannot take a deleted alias before it ends, the former owner can, anyone after', async () => {
    const mail = m.svc!.context.mail!;
    await mail.createAlias(ids.alice!, 'ali', DOMAIN, null);
    assert.equal(await mail.deleteAlias(ids.alice!, `ali@${DOMAIN}`), true);
    await assert.rejects(mail.createAlias(ids.carol!, 'ali', DOMAIN, null), /That address is taken/);
    // Mail to the tombstone is refused meanwhile, not delivered to anyone.
    await assert.rejects(
      m.pf!.submit(`carol@${DOMAIN}`, [`ali@${DOMAIN}`], 'Subject: x\r\n\r\nx\r\n'),
      (e: { responseCode?: number }) => e.responseCode === 550,
    );
    clock += m.svc!.context.config.mailboxes!.aliases.coolDown - DAY;
    await assert.rejects(mail.createAlias(ids.carol!, 'ali', DOMAIN, null), /That address is taken/, 'a day before the end');
    assert.equal(await mail.createAlias(ids.alice!, 'ali', DOMAIN, null), `ali@${DOMAIN}`, 'the former owner takes it back');
    await mail.deleteAlias(ids.alice!, `ali@${DOMAIN}`);
    clock += m.svc!.context.config.mailboxes!.aliases.coolDown + 1;
    assert.equal(await mail.createAlias(ids.carol!, 'ali', DOMAIN, null), `ali@${DOMAIN}`);
  });

  test('account deletion: nothing changes during the waiting period; then IMAP, POP3 and SMTP AUTH are refused, mail to it 550, its name stays taken and its alias is freed only after the cool-down', async () => {
    const ctx = m.svc!.context;
    const mail = ctx.mail!;
    await mail.createAlias(ids.bob!, 'bobby', DOMAIN, null);
    const at = await mail.requestDeletion(ids.bob!);
    assert.equal(at.getTime(), clock + ctx.config.mailboxes!.deletionWait);
    clock = at.getTime() - 1000;
    assert.deepEqual(await mail.processDueDeletions(), []);
    assert.deepEqual(await imapLogin(m.dv.imapPort, `bob@${DOMAIN}`, PW.bob), { ok: true }, 'still there during the waiting period');

    clock = at.getTime() + 1;
    assert.deepEqual(await mail.processDueDeletions(), [ids.bob!]);
    const imap = await imapLogin(m.dv.imapPort, `bob@${DOMAIN}`, PW.bob);
    assert.equal(imap.ok, false);
    assert.match(imap.error!, /AUTHENTICATIONFAILED/, 'refused, not a temporary failure');
    assert.equal((await pop3Login(m.dv.pop3Port, `bob@${DOMAIN}`, PW.bob)).ok, false);
    const sub = await smtpSession(m.submissionPort, {
      user: `bob@${DOMAIN}`,
      password: PW.bob,
      from: `bob@${DOMAIN}`,
      to: [`alice@${DOMAIN}`],
    });
    assert.equal(sub.stage, 'auth');
    assert.equal(sub.code, 535);
    for (const to of [`bob@${DOMAIN}`, `bobby@${DOMAIN}`, `bob+tag@${DOMAIN}`]) {
      await assert.rejects(
        m.pf!.submit(`alice@${DOMAIN}`, [to], 'Subject: x\r\n\r\nx\r\n'),
        (e: { responseCode?: number; response?: string }) => {
          assert.equal(e.responseCode, 550, `${to}: ${e.response}`);
          return true;
        },
      );
    }
    assert.deepEqual(
      (await mail.deletedAccounts()).map((d) => d.username),
      ['bob'],
    );
    // The name: never an alias, never a new account (its mail and trust stay the old owner's).
    await assert.rejects(mail.createAlias(ids.carol!, 'bob', DOMAIN, null), /That address is taken/);
    await assert.rejects(ctx.store.createUser('bob', 'a new person taking the name'), /taken|exists/i);
    // The alias: refused to carol until the cool-down is over, then hers — and mail to it reaches her.
    await assert.rejects(mail.createAlias(ids.carol!, 'bobby', DOMAIN, null), /That address is taken/);
    clock += ctx.config.mailboxes!.aliases.coolDown + 1;
    assert.equal(await mail.createAlias(ids.carol!, 'bobby', DOMAIN, null), `bobby@${DOMAIN}`);
    await m.pf!.submit(
      `alice@${DOMAIN}`,
      [`bobby@${DOMAIN}`],
      `From: alice@${DOMAIN}\r\nTo: bobby@${DOMAIN}\r\nSubject: for the new bobby\r\n\r\nnew owner\r\n`,
    );
    const until = Date.now() + 20_000;
    for (;;) {
      const r = await imapLogin(m.dv.imapPort, `carol@${DOMAIN}`, PW.carol, { read: true });
      if (r.ok && r.messages!.some((x) => x.includes('new owner'))) break;
      if (Date.now() > until) assert.fail(`carol never got the mail: ${JSON.stringify(r)}`);
      await sleep(250);
    }
  });
});
