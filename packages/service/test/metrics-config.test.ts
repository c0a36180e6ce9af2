import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsConfigSchema } from '../src/metrics-http.ts';

test('metrics: the listen form and the released bare address read the same', () => {
  const expected = { listen: { host: '127.0.0.1', port: 9464 } };
  assert.deepEqual(metricsConfigSchema.parse({ listen: '127.0.0.1:9464' }), expected);
  assert.deepEqual(metricsConfigSchema.parse('127.0.0.1:9464'), expected);
});

test('metrics: a non-loopback address is refused under metrics.listen in either form', () => {
  for (const input of ['192.0.2.1:9464', { listen: '192.0.2.1:9464' }]) {
    const r = metricsConfigSchema.safeParse(input);
    assert.equal(r.success, false);
    assert.deepEqual(r.error!.issues[0]!.path, ['listen']);
    assert.match(r.error!.issues[0]!.message, /loopback/);
  }
});
