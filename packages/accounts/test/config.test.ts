import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountsConfigSchema, defaultTimeZone } from '../src/config.ts';

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

test('durations: every older *Seconds key and its new name give the same value, in milliseconds', () => {
  const older = accountsConfigSchema.parse({
    sessionTtlSeconds: 3600,
    mail: { retrySeconds: 30 },
    rateLimits: { login: { windowSeconds: 600 } },
    trust: { minWaitSeconds: 3600, defaultWaitSeconds: 7200, inviteTtlSeconds: 86400, resetCodeTtlSeconds: 1800, vetoHoldSeconds: 0 },
  });
  const newer = accountsConfigSchema.parse({
    sessionTtl: '1h',
    mail: { retryInterval: '30s' },
    rateLimits: { login: { window: '10m' } },
    trust: { minWait: '1h', defaultWait: '2h', inviteTtl: '1d', resetCodeTtl: '30m', vetoHold: '0s' },
  });
  assert.deepEqual(newer, older);
  assert.equal(newer.sessionTtl, 3_600_000);
  assert.equal(newer.rateLimits.login.window, 600_000);
  assert.equal(newer.trust.vetoHold, 0);
  // A plain number under a new name is seconds, the unit its older name had.
  assert.equal(accountsConfigSchema.parse({ trust: { minWait: 60 } }).trust.minWait, 60_000);
});

test('durations: a key given under both names is refused, naming both', () => {
  const r = accountsConfigSchema.safeParse({
    sessionTtl: '1h',
    sessionTtlSeconds: 3600,
    trust: { inviteTtl: '1d', inviteTtlSeconds: 86400 },
  });
  const messages = r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  assert.ok(
    messages.includes('sessionTtlSeconds: sessionTtl and its older name sessionTtlSeconds are both set; keep only sessionTtl'),
    messages.join('\n'),
  );
});

test('metrics: the bare address reads as metrics.listen', () => {
  assert.deepEqual(accountsConfigSchema.parse({ metrics: '127.0.0.1:9465' }).metrics, { listen: { host: '127.0.0.1', port: 9465 } });
});

test('publicUrl: one address or a list, https or http on an onion host; anything else fails naming the key', () => {
  assert.deepEqual(accountsConfigSchema.parse({}).publicUrl, []);
  assert.deepEqual(accountsConfigSchema.parse({ publicUrl: 'https://accounts.example.org' }).publicUrl, ['https://accounts.example.org']);
  const both = ['https://accounts.example.org/', 'http://abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz2345.onion'];
  assert.deepEqual(accountsConfigSchema.parse({ publicUrl: both }).publicUrl, both);
  for (const bad of [
    'http://accounts.example.org',
    'accounts.example.org',
    'ftp://x.onion',
    [],
    ['https://ok.example', 'http://no.example'],
  ]) {
    const r = accountsConfigSchema.safeParse({ publicUrl: bad });
    assert.equal(r.success, false, JSON.stringify(bad));
    assert.ok(
      r.error.issues.some((i) => i.path[0] === 'publicUrl'),
      JSON.stringify(r.error.issues),
    );
  }
});

test('timeZone: a configured zone is checked at parse time; none means the server zone, asked on first use', () => {
  assert.equal(defaultTimeZone(accountsConfigSchema.parse({ timeZone: 'Europe/Zurich' })), 'Europe/Zurich');
  assert.throws(() => accountsConfigSchema.parse({ timeZone: 'Mars/Olympus' }), /IANA time zone/);
  const c = accountsConfigSchema.parse({});
  assert.equal(c.timeZone, undefined);
  assert.equal(defaultTimeZone(c), Intl.DateTimeFormat().resolvedOptions().timeZone);
});
