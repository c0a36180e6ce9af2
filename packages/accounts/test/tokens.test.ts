import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csrfToken, keyedHash, randomToken, subkey, tokensEqual } from '../src/tokens.ts';

test('CSRF tokens are bound to the key and to the session or pre-session binding', () => {
  const k1 = subkey(Buffer.alloc(32, 1), 'csrf');
  const k2 = subkey(Buffer.alloc(32, 2), 'csrf');
  const t = csrfToken(k1, 's:abc');
  assert.equal(t, csrfToken(k1, 's:abc'), 'deterministic for one binding');
  assert.notEqual(t, csrfToken(k1, 's:abd'));
  assert.notEqual(t, csrfToken(k1, 'a:abc'), 'an anonymous token is not a session token');
  assert.notEqual(t, csrfToken(k2, 's:abc'), 'another server secret gives other tokens');
  assert.notEqual(subkey(Buffer.alloc(32, 1), 'csrf'), subkey(Buffer.alloc(32, 1), 'session-id'));
});

test('keyed hashes are length-prefixed, so part boundaries matter', () => {
  const k = Buffer.alloc(32, 9);
  assert.notDeepEqual(keyedHash(k, 'ab', 'c'), keyedHash(k, 'a', 'bc'));
});

test('token comparison: equal, different, different length, empty', () => {
  const a = randomToken();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(tokensEqual(a, a.slice()), true);
  assert.equal(tokensEqual(a, randomToken()), false);
  assert.equal(tokensEqual(a, a.slice(1)), false);
  assert.equal(tokensEqual('', ''), false);
});
