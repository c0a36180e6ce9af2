// The accounts socketmap on the wire, through the running service: map names are the client's words, not ours.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNetstring, NetstringDecoder } from '@peergroup/mta-codecs';
import { silentLogger } from '@peergroup/service';
import { startAccountsFrom, type RunningAccounts } from '../src/index.ts';
import { FAST_PWHASH } from '@peergroup/test-support/accounts';

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

  /** One kept-open connection, one request at a time, as Postfix's socketmap client. */
  async function connect(): Promise<{ ask(req: string): Promise<string>; sock: Socket }> {
    const a = svc.addresses['mail-socketmap']!;
    const sock = createConnection({ host: a.host, port: a.port });
    await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
    const dec = new NetstringDecoder(100_000);
    const replies: string[] = [];
    let wake = () => {};
    sock.on('data', (c: Buffer) => {
      replies.push(...dec.push(c).map(String));
      wake();
    });
    return {
      sock,
      async ask(req) {
        const want = replies.length + 1;
        sock.write(encodeNetstring(req));
        while (replies.length < want) await new Promise<void>((r) => (wake = r));
        return replies[want - 1]!;
      },
    };
  }

  test("a map name we do not serve is TEMP, whatever it is (JavaScript's own property names too); the connection goes on", async () => {
    const c = await connect();
    try {
      for (const name of ['nope', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
        assert.match(await c.ask(`${name} bob@example.org`), /^TEMP unknown map name/, name);
      }
      assert.equal(await c.ask('mailbox Bob+x@Example.org'), 'OK example.org/bob/');
      assert.equal(await c.ask('alias nobody@example.org'), 'NOTFOUND ');
    } finally {
      c.sock.destroy();
    }
  });
});
