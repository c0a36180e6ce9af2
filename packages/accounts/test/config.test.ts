import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountsConfigSchema } from '../src/config.ts';

test('defaults: loopback 8080, ./data, SQLite, outbox mail, INTERACTIVE Argon2id, 8 slots', () => {
  const c = accountsConfigSchema.parse({});
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8080 });
  assert.equal(c.dataDir, './data');
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.mail.mode, 'outbox');
  assert.deepEqual(c.trust.pwhash, { opslimit: 2, memlimit: 64 * 1024 * 1024 });
  assert.equal(c.trust.slots, 8);
  assert.equal(c.metrics.listen, undefined);
});

test('unknown keys and bad values fail naming the key', () => {
  const issues = (raw: unknown) => accountsConfigSchema.safeParse(raw).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  assert.match(issues({ trust: { slotz: 3 } }).join('\n'), /^trust: .*slotz/m);
  assert.match(issues({ databaseUrl: 'mysql://x' }).join('\n'), /^databaseUrl: .*postgres/m);
  assert.match(issues({ metrics: { listen: '0.0.0.0:9100' } }).join('\n'), /^metrics\.listen: .*loopback/m);
  assert.match(issues({ trust: { pwhash: { memlimit: 100 } } }).join('\n'), /^trust\.pwhash\.memlimit/m);
  assert.match(issues({ rateLimits: { login: { perAccount: 0 } } }).join('\n'), /^rateLimits\.login\.perAccount/m);
});
