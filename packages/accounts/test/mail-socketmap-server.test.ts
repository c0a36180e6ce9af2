// The accounts socketmap on the wire, through the running service: map names are the client's words, not ours.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@peergroup/service';
import { encryptedMailboxes, startTestService, type TestService } from '@peergroup/test-support/accounts';
import { capture } from '@peergroup/test-support/cli-capture';
import { SocketmapClient } from '@peergroup/test-support/router-clients';

/**
 * The accounts service with mail accounts (unencrypted; Dovecot's sockets and secret in `dir`), its socketmap at
 * `socketmap` (HOST:PORT or a path), and the messages of the warnings it logged.
 */
async function startWithSocketmap(dir: string, socketmap: string): Promise<TestService & { warnings: () => string[] }> {
  const log = capture();
  const t = await startTestService(
    'sqlite',
    { mailboxes: { ...encryptedMailboxes(dir, 'example.org'), encryption: 'off', postfix: { socketmap } } },
    { logger: createLogger('test', 'warn', { stream: log.stream }) },
  );
  const warnings = () =>
    log
      .text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === 40)
      .map((l) => l.msg);
  return { ...t, warnings };
}

describe('socketmap over loopback TCP', () => {
  let dir: string;
  let t: TestService;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pg-socketmap-'));
    t = await startWithSocketmap(dir, '127.0.0.1:0');
    const u = await t.svc.context.store.createUser('bob', 'bob long password here');
    await t.svc.context.mail!.setPassword(u.userId, 'bob long password here');
  });
  after(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a map name we do not serve is TEMP, whatever it is (JavaScript's own property names too); the connection goes on", async () => {
    const c = await SocketmapClient.open(t.svc.addresses['mail-socketmap']!.port);
    try {
      for (const name of ['nope', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
        assert.match(await c.lookup(name, 'bob@example.org'), /^TEMP unknown map name/, name);
      }
      assert.equal(await c.lookup('mailbox', 'Bob+x@Example.org'), 'OK example.org/bob/');
      assert.equal(await c.lookup('alias', 'nobody@example.org'), 'NOTFOUND ');
    } finally {
      c.close();
    }
  });
});

/** A group of /etc/group other than this process's own (the last one listed). */
function otherGroup(): number {
  const own = process.getgid!();
  const ids = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .map((l) => Number(l.split(':')[2]))
    .filter((g) => Number.isInteger(g) && g !== own);
  assert.ok(ids.length > 0);
  return ids.at(-1)!;
}

describe('socketmap over a UNIX socket', () => {
  test('mode socketmapMode (0660), the answers of the TCP listener, the file gone after close; a warning while the socket has our own group, since Postfix could not connect', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-socketmap-unix-'));
    const path = join(dir, 'socketmap.sock');
    const t = await startWithSocketmap(dir, path);
    try {
      assert.equal(t.svc.sockets?.['mail-socketmap'], path);
      assert.equal(t.svc.addresses['mail-socketmap'], undefined);
      assert.equal((statSync(path).mode & 0o777).toString(8), '660');
      assert.equal(statSync(path).gid, process.getgid!(), 'a directory that is not setgid gives the socket our group');
      const said = t.warnings().filter((w) => w.startsWith('mailboxes.postfix.socketmap:'));
      assert.equal(said.length, 1, t.warnings().join('\n'));
      assert.match(said[0]!, /own group, so Postfix cannot connect; make its directory setgid group postfix/);
      const c = await SocketmapClient.open(path);
      try {
        assert.equal(await c.lookup('domain', 'Example.ORG'), 'OK OK');
        assert.equal(await c.lookup('mailbox', 'nobody@example.org'), 'NOTFOUND ');
      } finally {
        c.close();
      }
    } finally {
      await t.stop();
    }
    assert.equal(existsSync(path), false, 'close removes the socket file');
    rmSync(dir, { recursive: true, force: true });
  });

  test('a socket directory that does not exist is said so at start-up (libuv would call it "permission denied"), with where it comes from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-socketmap-nodir-'));
    try {
      await assert.rejects(
        startWithSocketmap(dir, join(dir, 'peergroup-postfix', 'socketmap.sock')),
        /mailboxes\.postfix\.socketmap \S+: the directory \S+peergroup-postfix does not exist; make it with packaging\/tmpfiles\.d\/peergroup-postfix\.conf/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('in a setgid directory of another group the socket takes that group, and nothing is said', {
    skip: process.getuid?.() !== 0 ? 'needs root to give a directory a group this process is not in' : false,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-socketmap-setgid-'));
    const group = otherGroup();
    const sockets = join(dir, 'peergroup-postfix');
    mkdirSync(sockets);
    chownSync(sockets, process.getuid!(), group);
    chmodSync(sockets, 0o2750);
    const path = join(sockets, 'socketmap.sock');
    const t = await startWithSocketmap(dir, path);
    try {
      assert.equal(statSync(path).gid, group);
      assert.deepEqual(
        t.warnings().filter((w) => w.startsWith('mailboxes.postfix.socketmap')),
        [],
      );
    } finally {
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
