/** docs/dovecot.md and docs/postfix-virtual.md show exactly the snippets test/e2e/mail-accounts.test.ts runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { accountsConfigSchema } from '../src/index.ts';

const root = new URL('../../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');

const guides: Record<string, string[]> = {
  'docs/dovecot.md': [
    'mailboxes.yaml',
    'dovecot-peergroup.conf',
    'dovecot-peergroup-auth.lua',
    'dovecot-dict-auth.conf.ext',
    'dovecot-mail-crypt.conf',
  ],
  'docs/mail-crypt.md': ['dovecot-mail-crypt.conf'],
  'docs/postfix-virtual.md': ['postfix-virtual-main.cf', 'postfix-virtual-master.cf'],
};

for (const [guide, snippets] of Object.entries(guides)) {
  test(`${guide} shows the tested snippets verbatim`, () => {
    const text = read(guide);
    for (const name of snippets) {
      const s = read(`docs/snippets/${name}`).trimEnd();
      assert.ok(
        text.includes('```\n' + s + '\n```') || text.includes('```yaml\n' + s + '\n```') || text.includes('```lua\n' + s + '\n```'),
        `${guide} must contain docs/snippets/${name} as a code block`,
      );
    }
  });
}

test('the mailboxes snippet is a valid accounts configuration', () => {
  const doc = parse(read('docs/snippets/mailboxes.yaml')) as { accounts: unknown };
  const c = accountsConfigSchema.parse(doc.accounts);
  assert.equal(c.mailboxes?.domain, 'example.org');
  assert.equal(c.mailboxes?.quota, 2 * 1024 ** 3);
  assert.equal(c.mailboxes?.postfix.socketmap, '/run/peergroup-postfix/socketmap.sock');
  assert.equal(c.mailboxes?.postfix.socketmapMode, '0660');
});

test('mailboxes.encryption: off unless set, new and all accepted, anything else refused naming the key', () => {
  const doc = parse(read('docs/snippets/mailboxes.yaml')) as { accounts: { mailboxes: Record<string, unknown> } };
  assert.equal(accountsConfigSchema.parse(doc.accounts).mailboxes?.encryption, 'off');
  for (const v of ['new', 'all'] as const) {
    const c = accountsConfigSchema.parse({ ...doc.accounts, mailboxes: { ...doc.accounts.mailboxes, encryption: v } });
    assert.equal(c.mailboxes?.encryption, v);
  }
  const bad = accountsConfigSchema.safeParse({ ...doc.accounts, mailboxes: { ...doc.accounts.mailboxes, encryption: 'yes' } });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues[0]!.path, ['mailboxes', 'encryption']);
  assert.match(bad.error!.issues[0]!.message, /off.*new.*all/);
});

test('mailboxes.postfix.socketmap: an absolute path or HOST:PORT; anything else refused naming the key and both forms', () => {
  const doc = parse(read('docs/snippets/mailboxes.yaml')) as { accounts: { mailboxes: Record<string, unknown> } };
  const withSocketmap = (socketmap: string) =>
    accountsConfigSchema.safeParse({ ...doc.accounts, mailboxes: { ...doc.accounts.mailboxes, postfix: { socketmap } } });
  assert.deepEqual(withSocketmap('127.0.0.1:23010').data?.mailboxes?.postfix.socketmap, { host: '127.0.0.1', port: 23010 });
  for (const bad of ['run/socketmap.sock', 'localhost', '127.0.0.1:99999']) {
    const r = withSocketmap(bad);
    assert.equal(r.success, false, bad);
    assert.deepEqual(r.error!.issues[0]!.path, ['mailboxes', 'postfix', 'socketmap']);
    assert.match(r.error!.issues[0]!.message, /HOST:PORT|bad port/);
    assert.match(r.error!.issues[0]!.message, /absolute path for a UNIX socket/);
  }
});

test('every Postfix map name in the snippet is one the socketmap serves', async () => {
  const { SOCKETMAP_MAPS } = await import('../src/mail/socketmap-server.ts');
  const names = [...read('docs/snippets/postfix-virtual-main.cf').matchAll(/socketmap:unix:[^:]+:(\w+)/g)].map((m) => m[1]);
  assert.equal(names.length, 4);
  for (const n of names) assert.ok((SOCKETMAP_MAPS as readonly string[]).includes(n!), n);
});
