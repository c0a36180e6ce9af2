// One message to several mailboxes, one of them encrypted (docs/mail-crypt.md §7): real Postfix from
// docs/snippets/postfix-virtual-*.cf hands it to real Dovecot's LMTP. With several recipients in one LMTP transaction
// Dovecot stores the first recipient's copy and hard-links that file into the others' mailboxes — encrypted to the
// first one's key, or, with a plain account first, in plaintext in the encrypted one's. The Postfix snippet sends
// one recipient per transaction; the Dovecot snippet does not hard-link LMTP copies, so a Postfix without that
// limit delays the second recipient (a temporary failure, retried on its own) instead of misfiling the mail.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startMailStack, imapFetchAll, filesContaining, DOMAIN } from './mail-setup.ts';

const login = (name: string) => `${name}@${DOMAIN}`;
const marker = (what: string) => `${what}-${Math.random().toString(36).slice(2, 10)}`;

/** The mail stack with encryption on and four accounts: cat, dan and ben encrypted, amy plain. */
async function setUp(o: { postfixMainCf?: Record<string, string> } = {}) {
  const m = await startMailStack({
    mailboxes: { encryption: 'new' },
    dovecotSnippets: ['dovecot-mail-crypt.conf'],
    postfix: true,
    ...o,
  });
  const pw: Record<string, string> = {};
  const home = (name: string) => m.dv.home.replace('%d', DOMAIN).replace('%n', name);
  /** An encrypted account as sign-up makes one, or (`plain`) one from before encryption was turned on. */
  async function account(name: string, kind: 'encrypted' | 'plain'): Promise<void> {
    const ctx = m.svc!.context;
    pw[name] = `${name} amber lantern orchard ${name.length}`;
    const u = await ctx.store.createUser(name, pw[name]!);
    if (kind === 'plain') await ctx.mail!.setWebOnly(u.userId, false);
    assert.equal(await ctx.mail!.setPassword(u.userId, pw[name]!), kind === 'plain' ? 'none' : 'created');
    assert.equal(await ctx.mail!.encrypted(u.userId), kind === 'encrypted');
  }
  try {
    // Postfix sorts a message's recipients: these names put the plain account first in (2) and (4).
    await account('cat', 'encrypted');
    await account('dan', 'encrypted');
    await account('amy', 'plain');
    await account('ben', 'encrypted');
  } catch (err) {
    await m.close();
    throw err;
  }
  /** Every INBOX message of `name`, read over IMAP with its own password ("UNREADABLE …" for a failed FETCH). */
  async function read(name: string): Promise<string[]> {
    const r = await imapFetchAll(m.dv.imapPort, login(name), pw[name]!);
    assert.equal(r.ok, true, `IMAP login of ${name}: ${r.error}`);
    return r.messages!.map((x) => (x.ok ? x.text! : `UNREADABLE ${x.error}`));
  }
  return {
    m,
    home,
    /** Every INBOX message of `name`, read over IMAP with its own password ("UNREADABLE …" for a failed FETCH). */
    read,
    /** `name`'s mailbox holds the one message `body`, readable with their password, in a file of its own, encrypted. */
    async ownEncryptedCopy(name: string, body: string): Promise<void> {
      const texts = await read(name);
      assert.equal(texts.length, 1, name);
      assert.ok(texts[0]!.includes(body), `${name}: ${texts[0]}`);
      assert.deepEqual(await filesContaining(home(name), body), [], `${name}'s mail files hold no plaintext`);
      assert.deepEqual(await linkCounts(home(name)), [1], `${name}'s message is a file of its own, not a hard link`);
    },
    /** One message, one SMTP transaction, to all of `names` (Postfix sorts them: the order given here). */
    async send(names: string[], body: string): Promise<number> {
      const offset = (await m.pf!.log()).length;
      const to = names.map(login);
      await m.pf!.submit(
        'sender@outside.test',
        to,
        `From: sender@outside.test\r\nTo: ${to.join(', ')}\r\nSubject: one for all\r\n\r\n${body}\r\n`,
      );
      return offset;
    },
    async delivered(name: string, offset: number, timeoutMs = 20_000): Promise<void> {
      await m.pf!.waitForLog(new RegExp(`to=<${login(name)}>.*status=sent`), timeoutMs, offset);
    },
  };
}

/** One message to amy (plain, first) and ben (encrypted): ben's copy is his own and encrypted, amy's as it came. */
async function plainFirst(s: Awaited<ReturnType<typeof setUp>>, body: string): Promise<void> {
  const offset = await s.send(['amy', 'ben'], body);
  await s.delivered('amy', offset);
  await s.delivered('ben', offset);
  await s.ownEncryptedCopy('ben', body);
  assert.equal((await filesContaining(join(s.home('amy'), 'Maildir'), body)).length, 1, 'the control: plaintext is found where it is');
  assert.ok((await s.read('amy'))[0]!.includes(body));
}

/** The link count of each message file in `home`'s Maildir (new/ and cur/ of INBOX). */
async function linkCounts(home: string): Promise<number[]> {
  const out: number[] = [];
  for (const sub of ['new', 'cur']) {
    const dir = join(home, 'Maildir', sub);
    for (const f of await readdir(dir).catch(() => [])) out.push((await stat(join(dir, f))).nlink);
  }
  return out;
}

describe('one message to several mailboxes through Postfix and Dovecot, as the snippets configure them', () => {
  let s: Awaited<ReturnType<typeof setUp>>;
  before(async () => {
    s = await setUp();
  });
  after(async () => s?.m.close());

  test('(1) two encrypted recipients: each reads the message with their own password; the body is in no mail file of either', async () => {
    const body = marker('two-encrypted');
    const offset = await s.send(['cat', 'dan'], body);
    await s.delivered('cat', offset);
    await s.delivered('dan', offset);
    for (const name of ['cat', 'dan']) await s.ownEncryptedCopy(name, body);
  });

  test('(2) a plain recipient first, an encrypted one second: the encrypted mailbox holds ciphertext only, the plain one the message as it came', async () => {
    await plainFirst(s, marker('plain-first'));
  });
});

describe('Dovecot alone (a Postfix without dovecot_lmtp_destination_recipient_limit = 1): LMTP copies are not hard-linked', () => {
  let s: Awaited<ReturnType<typeof setUp>>;
  before(async () => {
    // Postfix's default limit (50): both recipients of a message in one LMTP transaction.
    s = await setUp({ postfixMainCf: { dovecot_lmtp_destination_recipient_limit: '50' } });
  });
  after(async () => s?.m.close());

  test('(3) two encrypted recipients in one transaction: the second gets a temporary failure (nothing misfiled), then the message on its own', async () => {
    const body = marker('dovecot-two-encrypted');
    const offset = await s.send(['cat', 'dan'], body);
    await s.delivered('cat', offset);
    await s.m.pf!.waitForLog(/to=<dan@example\.org>.*status=deferred \(host [^)]*said: 4\d\d /, 20_000, offset);
    assert.deepEqual(await s.read('dan'), [], 'nothing was stored for dan in that transaction');
    await s.m.pf!.flush();
    await s.delivered('dan', offset, 60_000);
    for (const name of ['cat', 'dan']) await s.ownEncryptedCopy(name, body);
  });

  test('(4) plain first, encrypted second in one transaction: the encrypted copy is encrypted to its own key', async () => {
    await plainFirst(s, marker('dovecot-plain-first'));
  });
});
