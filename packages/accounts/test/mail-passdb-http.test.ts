// The passdb listener the Lua script posts to: the secret is required, answers are 200 / 403 / a temporary
// failure, a short secret file stops the start naming its key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@peergroup/service';
import { startAccountsFrom, type AccountsConfigInput, type RunningAccounts } from '../src/index.ts';
import { FAST_PWHASH } from '@peergroup/test-support/accounts';

const SECRET = 'x'.repeat(40);

describe('passdb over loopback HTTP', () => {
  let dir: string;
  let svc: RunningAccounts;
  let url: string;
  const config = (secretFile: string): AccountsConfigInput => ({
    listen: '127.0.0.1:0',
    dataDir: dir,
    trust: { pwhash: FAST_PWHASH, minWait: 0, defaultWait: 0 },
    mailboxes: {
      domain: 'example.org',
      verifier: { opslimit: 1, memlimit: 8192 },
      dovecot: { dictSocket: join(dir, 'd.sock'), passdb: { listen: '127.0.0.1:0', secretFile }, uid: 5000, gid: 5000 },
      postfix: { socketmap: '127.0.0.1:0' },
    },
  });
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pg-passdb-'));
    writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
    svc = await startAccountsFrom(config(join(dir, 'secret')), { logger: silentLogger() });
    const a = svc.addresses['mail-passdb']!;
    url = `http://${a.host}:${a.port}/dovecot/passdb`;
    const u = await svc.context.store.createUser('bob', 'bob long password here');
    await svc.context.mail!.setPassword(u.userId, 'bob long password here');
  });
  after(async () => {
    await svc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: string, secret = SECRET) =>
    fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });

  test('valid 200, wrong password and unknown user 403 alike; a password with & = % and spaces arrives intact', async () => {
    assert.equal((await post('user=bob%40example.org&password=bob%20long%20password%20here')).status, 200);
    assert.equal((await post('user=bob%40example.org&password=bob%20long%20password%20herE')).status, 403);
    assert.equal((await post('user=nobody%40example.org&password=x')).status, 403);
    const odd = 'p&ss=w%rd ü+';
    await svc.context.mail!.setPassword((await svc.context.store.getUserByName('bob'))!.userId, odd);
    assert.equal((await post(`user=bob%40example.org&password=${encodeURIComponent(odd)}`)).status, 200);
  });

  test('without the secret, another path, a missing field or an over-long body: never a 200 or a 403', async () => {
    assert.equal((await post('user=bob%40example.org&password=x', 'y'.repeat(40))).status, 401);
    assert.equal((await fetch(url.replace('/dovecot/passdb', '/'), { method: 'POST', body: 'x' })).status, 404);
    assert.equal((await post('user=bob%40example.org')).status, 400);
    assert.equal((await post(`user=bob&password=${'a'.repeat(10_000)}`)).status, 413);
  });

  test('a secret file that is missing or short stops the start, naming the key', async () => {
    writeFileSync(join(dir, 'short'), 'abc\n');
    const d2 = mkdtempSync(join(tmpdir(), 'pg-passdb-'));
    try {
      for (const f of [join(dir, 'short'), join(dir, 'missing')]) {
        await assert.rejects(
          startAccountsFrom({ ...config(f), dataDir: d2 }, { logger: silentLogger() }),
          /mailboxes\.dovecot\.passdb\.secretFile/,
        );
      }
    } finally {
      rmSync(d2, { recursive: true, force: true });
    }
  });
});
