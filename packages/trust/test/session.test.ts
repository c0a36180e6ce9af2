// Session wrapping of an unlocked key: only the cookie's session key opens it, and only for that session/user/epoch.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newSessionKey, unwrapUnlockedUser, wrapUnlockedUser, TrustError, type UnlockedUser } from '../src/index.ts';
import { boxKeypair } from '../src/crypto.ts';
import { SESSION_BLOB_BYTES } from '../src/format.ts';

function user(): UnlockedUser {
  const kp = boxKeypair();
  return { userId: 'ab'.repeat(16), username: 'alice', epoch: 3, publicKey: kp.publicKey, secretKey: kp.secretKey };
}

describe('session key wrapping', () => {
  const u = user();
  const key = newSessionKey();
  const blob = wrapUnlockedUser(u, key, 'sess-1');
  const who = { userId: u.userId, username: u.username, epoch: u.epoch };

  it('round-trips and never contains the secret key in the clear', () => {
    assert.equal(blob.length, SESSION_BLOB_BYTES);
    assert.equal(blob.indexOf(u.secretKey), -1);
    const back = unwrapUnlockedUser(blob, key, 'sess-1', who, u.publicKey);
    assert.ok(back.secretKey.equals(u.secretKey));
    assert.ok(back.publicKey.equals(u.publicKey));
  });

  it('fails for another key, session id, user, epoch, a flipped bit, a truncation or a wrong expected key', () => {
    const bad = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof TrustError && e.code === 'invalid-session-blob');
    bad(() => unwrapUnlockedUser(blob, newSessionKey(), 'sess-1', who));
    bad(() => unwrapUnlockedUser(blob, key, 'sess-2', who));
    bad(() => unwrapUnlockedUser(blob, key, 'sess-1', { ...who, userId: 'cd'.repeat(16) }));
    bad(() => unwrapUnlockedUser(blob, key, 'sess-1', { ...who, epoch: 4 }));
    for (const i of [0, 1, 30, SESSION_BLOB_BYTES - 1]) {
      const x = Buffer.from(blob);
      x[i] = x[i]! ^ 0x80;
      bad(() => unwrapUnlockedUser(x, key, 'sess-1', who));
    }
    bad(() => unwrapUnlockedUser(blob.subarray(0, 72), key, 'sess-1', who));
    bad(() => unwrapUnlockedUser(blob, key, 'sess-1', who, boxKeypair().publicKey));
  });

  it('two wraps of the same key differ (fresh nonce)', () => {
    assert.ok(!wrapUnlockedUser(u, key, 'sess-1').equals(blob));
  });
});
