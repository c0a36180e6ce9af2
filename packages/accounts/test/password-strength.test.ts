import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPasswordStrength } from '../src/password-strength.ts';

test('short passwords are rejected with a length hint', () => {
  const r = checkPasswordStrength('Xk7#pq2', 'alice');
  assert.equal(r.ok, false);
  assert.match(r.problems.join(' '), /at least 10/);
});

test('the username inside the password is rejected, case-insensitively', () => {
  const r = checkPasswordStrength('correct-Alice-horse-battery', 'alice');
  assert.equal(r.ok, false);
  assert.match(r.problems.join(' '), /username/);
  assert.equal(checkPasswordStrength('correct-horse-battery', 'alice').ok, true);
});

test('common passwords and decorated common passwords are rejected', () => {
  for (const p of ['password123!', 'Qwerty123456', '!!letmein2024', 'iloveyou1234']) {
    assert.equal(checkPasswordStrength(p, 'bob').ok, false, p);
  }
});

test('runs and repeated characters are rejected', () => {
  for (const p of ['abcdefghijkl', '12345678901', 'aaaaaaaaaaaa', 'ababababababab', 'poiuytrewq']) {
    assert.equal(checkPasswordStrength(p, 'bob').ok, false, p);
  }
  assert.equal(checkPasswordStrength('9876543210', 'bob').ok, false);
});

test('length grades accepted passwords', () => {
  assert.deepEqual(checkPasswordStrength('tulip-mirror-7', 'bob'), { ok: true, strength: 'fair', problems: [] });
  assert.equal(checkPasswordStrength('tulip mirror orbit canal', 'bob').strength, 'good');
});
