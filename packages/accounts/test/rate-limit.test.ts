import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../src/rate-limit.ts';

test('refuses after the limit within a window and allows again after it', () => {
  let now = 1_000_000;
  const rl = new RateLimiter(60_000, 1000, () => now);
  for (let i = 0; i < 3; i++) assert.equal(rl.hit([{ key: 'a', limit: 3 }]).allowed, true);
  const r = rl.hit([{ key: 'a', limit: 3 }]);
  assert.equal(r.allowed, false);
  assert.equal(r.retryAfter, 60);
  now += 30_000;
  assert.equal(rl.hit([{ key: 'a', limit: 3 }]).retryAfter, 30);
  now += 30_000;
  assert.equal(rl.hit([{ key: 'a', limit: 3 }]).allowed, true);
});

test('any key over its limit refuses; keys are independent', () => {
  const rl = new RateLimiter(60_000);
  assert.equal(rl.hit([{ key: 'acct:x', limit: 1 }, { key: 'ip:1', limit: 10 }]).allowed, true);
  assert.equal(rl.hit([{ key: 'acct:x', limit: 1 }, { key: 'ip:1', limit: 10 }]).allowed, false);
  assert.equal(rl.hit([{ key: 'acct:y', limit: 1 }, { key: 'ip:1', limit: 10 }]).allowed, true);
});

test('memory stays bounded under a flood of distinct keys', () => {
  const rl = new RateLimiter(60_000, 100);
  for (let i = 0; i < 10_000; i++) rl.hit([{ key: `k${i}`, limit: 5 }]);
  assert.ok(rl.size <= 100, String(rl.size));
});
