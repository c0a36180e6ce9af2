import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { duration } from '../src/duration.ts';
import { olderNamesOf, withOlderNames } from '../src/older-names.ts';

const limits = withOlderNames(
  z
    .object({ idleTimeout: duration({ unit: 'ms', min: 1000, max: 86_400_000 }).default(300_000), maxConnections: z.number().default(5) })
    .strict(),
  { idleTimeoutMs: 'idleTimeout' },
);
const config = z
  .object({ limits: limits.prefault({}), name: z.string().default('x') })
  .strict()
  .superRefine(() => undefined);

test('an older key and its new name give the same value; neither gives the default', () => {
  assert.equal(config.parse({ limits: { idleTimeoutMs: 120000 } }).limits.idleTimeout, 120_000);
  assert.equal(config.parse({ limits: { idleTimeout: '2m' } }).limits.idleTimeout, 120_000);
  assert.equal(config.parse({ limits: { idleTimeout: 120000 } }).limits.idleTimeout, 120_000);
  assert.equal(config.parse({}).limits.idleTimeout, 300_000);
  assert.deepEqual(Object.keys(config.parse({ limits: { idleTimeoutMs: '2m' } }).limits).sort(), ['idleTimeout', 'maxConnections']);
});

test('giving both names is refused, naming both', () => {
  const r = config.safeParse({ limits: { idleTimeoutMs: 120000, idleTimeout: '2m' } });
  assert.equal(r.success, false);
  const issue = r.error!.issues[0]!;
  assert.deepEqual(issue.path, ['limits', 'idleTimeoutMs']);
  assert.match(issue.message, /idleTimeout and its older name idleTimeoutMs are both set/);
});

test('a bad value under the older name is reported under the older name', () => {
  const r = config.safeParse({ limits: { idleTimeoutMs: 5 } });
  assert.equal(r.success, false);
  assert.deepEqual(r.error!.issues[0]!.path, ['limits', 'idleTimeoutMs']);
  assert.match(r.error!.issues[0]!.message, /between 1s and 1d/);
});

test('unknown keys are still refused next to renamed ones', () => {
  const r = config.safeParse({ limits: { idleTimeoutMs: 120000, idleTimeoutMss: 1 } });
  assert.equal(r.success, false);
  assert.equal(r.error!.issues[0]!.code, 'unrecognized_keys');
});

test('olderNamesOf finds the older spelling of a dotted key through wrappers', () => {
  assert.deepEqual(olderNamesOf(config, 'limits.idleTimeout'), ['limits.idleTimeoutMs']);
  assert.deepEqual(olderNamesOf(config, 'limits.maxConnections'), []);
  assert.deepEqual(olderNamesOf(config, 'name'), []);
  assert.deepEqual(olderNamesOf(config, 'nothing.here'), []);
});
