// The accounts socketmap on the wire, through the running service: map names are the client's words, not ours.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createLogger, silentLogger } from '@peergroup/service';
import { startAccountsFrom, type RunningAccounts } from '../src/index.ts';
import { FAST_PWHASH } from '@peergroup/test-support/accounts';
import { SocketmapClient } from '@peergroup/test-support/router-clients';

/** The accounts service with mail accounts, its socketmap at `socketmap` (HOST:PORT or a path); logs to `logger`. */
function startWithSocketmap(dir: string, socketmap: string, logger: Logger = silentLogger()): Promise<RunningAccounts> {
  writeFileSync(join(dir, 'secret'), `${'x'.repeat(40)}\n`);
  return startAccountsFrom(
    {
      listen: '127.0.0.1:0',
      dataDir: join(dir, 'data'),
      trust: { pwhash: FAST_PWHASH, minWait: 0, defaultWait: 0 },
      mailboxes: {
        domain: 'example.org',
        verifier: { opslimit: 1, memlimit: 8192 },
        dovecot: {
          dictSocket: join(dir, 'd.sock'),
          passdb: { listen: '127.0.0.1:0', secretFile: join(dir, 'secret') },
          uid: 5000,
          gid: 5000,
        },
        postfix: { socketmap },
      },
    },
    { logger },
  );
}

describe('socketmap over loopback TCP', () => {
  let dir: string;
  let svc: RunningAccounts;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pg-socketmap-'));
    svc = await startWithSocketmap(dir, '127.0.0.1:0');
    const u = await svc.context.store.createUser('bob', 'bob long password here');
    await svc.context.mail!.setPassword(u.userId, 'bob long password here');
  });
  after(async () => {
    await svc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a map name we do not serve is TEMP, whatever it is (JavaScript's own property names too); the connection goes on", async () => {
    const c = await SocketmapClient.open(svc.addresses['mail-socketmap']!.port);
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

/** A logger that keeps its warnings' messages. */
function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = JSON.parse(chunk.toString()) as { level: number; msg: string };
      if (line.level === 40) warnings.push(line.msg);
      done();
    },
  });
  return { logger: createLogger('test', 'warn', { stream }), warnings };
}

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
    const { logger, warnings } = recordingLogger();
    const svc = await startWithSocketmap(dir, path, logger);
    try {
      assert.equal(svc.sockets?.['mail-socketmap'], path);
      assert.equal(svc.addresses['mail-socketmap'], undefined);
      assert.equal((statSync(path).mode & 0o777).toString(8), '660');
      assert.equal(statSync(path).gid, process.getgid!(), 'a directory that is not setgid gives the socket our group');
      const said = warnings.filter((w) => w.startsWith('mailboxes.postfix.socketmap:'));
      assert.equal(said.length, 1, warnings.join('\n'));
      assert.match(said[0]!, /own group, so Postfix cannot connect; make its directory setgid group postfix/);
      const c = await SocketmapClient.open(path);
      try {
        assert.equal(await c.lookup('domain', 'Example.ORG'), 'OK OK');
        assert.equal(await c.lookup('mailbox', 'nobody@example.org'), 'NOTFOUND ');
      } finally {
        c.close();
      }
    } finally {
      await svc.close();
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
    const { logger, warnings } = recordingLogger();
    const svc = await startWithSocketmap(dir, path, logger);
    try {
      assert.equal(statSync(path).gid, group);
      assert.deepEqual(
        warnings.filter((w) => w.startsWith('mailboxes.postfix.socketmap')),
        [],
      );
    } finally {
      await svc.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
