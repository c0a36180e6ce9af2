// The accounts socketmap on the wire, through the running service: map names are the client's words, not ours.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@peergroup/service';
import { startAccountsFrom, type RunningAccounts } from '../src/index.ts';
import { FAST_PWHASH } from '@peergroup/test-support/accounts';
import { SocketmapClient } from '@peergroup/test-support/router-clients';

describe('socketmap over loopback TCP', () => {
  let dir: string;
  let svc: RunningAccounts;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pg-socketmap-'));
    writeFileSync(join(dir, 'secret'), `${'x'.repeat(40)}\n`);
    svc = await startAccountsFrom(
      {
        listen: '127.0.0.1:0',
        dataDir: dir,
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
          postfix: { socketmap: '127.0.0.1:0' },
        },
      },
      { logger: silentLogger() },
    );
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
