import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Registry } from 'prom-client';
import { createMetricsRegistry, metricsPerRegistry } from '../src/metrics-registry.ts';

test('a metrics registry carries the process metrics', async () => {
  const text = await createMetricsRegistry().metrics();
  assert.match(text, /^process_cpu_user_seconds_total /m);
  assert.match(text, /^nodejs_eventloop_lag_seconds /m);
});

test('metric definitions are made once per registry and separately for another', async () => {
  let made = 0;
  const metrics = metricsPerRegistry((registers) => {
    made++;
    return { hits: new Counter({ name: 'test_hits_total', help: 'hits', registers }) };
  });
  const a = new Registry();
  const b = new Registry();
  // A second definition of test_hits_total on `a` would throw; the wrapper hands back the first one.
  assert.equal(metrics(a), metrics(a));
  assert.notEqual(metrics(a), metrics(b));
  assert.equal(made, 2);
  metrics(a).hits.inc();
  assert.match(await a.metrics(), /^test_hits_total 1$/m);
  assert.match(await b.metrics(), /^test_hits_total 0$/m);
});
