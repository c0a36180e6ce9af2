import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routerConfigSchema } from '../src/router/router-config.ts';

const base = { routing: { srv: false }, tcpTable: { listen: '127.0.0.1:0' } };

test('router durations: older *Ms names and the new names give the same values', () => {
  const older = routerConfigSchema.parse({
    ...base,
    automap: { timeoutMs: 1500 },
    limits: { idleTimeoutMs: 120_000, requestTimeoutMs: 5000, lookupTimeoutMs: 15_000 },
    logSummaryIntervalMs: 0,
  });
  const newer = routerConfigSchema.parse({
    ...base,
    automap: { timeout: '1500ms' },
    limits: { idleTimeout: '2m', requestTimeout: '5s', lookupTimeout: '15s' },
    logSummaryInterval: '0s',
  });
  assert.deepEqual(newer, older);
  assert.equal(newer.limits.idleTimeout, 120_000);
  assert.equal(newer.automap.timeout, 1500);
  assert.equal(newer.logSummaryInterval, 0);
  assert.equal('idleTimeoutMs' in newer.limits, false);
});

test('router durations: a plain number under the new name is still milliseconds', () => {
  assert.equal(routerConfigSchema.parse({ ...base, limits: { idleTimeout: 120000 } }).limits.idleTimeout, 120_000);
});

test('router durations: both names given is refused, naming both', () => {
  const r = routerConfigSchema.safeParse({
    ...base,
    limits: { idleTimeoutMs: 120_000, idleTimeout: '2m' },
    logSummaryInterval: '1m',
    logSummaryIntervalMs: 60_000,
  });
  assert.equal(r.success, false);
  const messages = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  assert.ok(
    messages.includes(
      'logSummaryIntervalMs: logSummaryInterval and its older name logSummaryIntervalMs are both set; keep only logSummaryInterval',
    ),
    messages.join('\n'),
  );
});

test('router durations: out of range is refused under the name written, with the range', () => {
  const r = routerConfigSchema.safeParse({ ...base, limits: { requestTimeoutMs: 5 } });
  assert.equal(r.success, false);
  assert.deepEqual(r.error!.issues[0]!.path, ['limits', 'requestTimeoutMs']);
  assert.match(r.error!.issues[0]!.message, /between 100ms and 10m/);
});

test('router metrics: metrics.listen and the bare address read the same', () => {
  const a = routerConfigSchema.parse({ ...base, metrics: { listen: '127.0.0.1:9464' } });
  const b = routerConfigSchema.parse({ ...base, metrics: '127.0.0.1:9464' });
  assert.deepEqual(a.metrics, { listen: { host: '127.0.0.1', port: 9464 } });
  assert.deepEqual(b.metrics, a.metrics);
});

test('routing durations: resolver.timeoutMs and resolver.timeout give the same value', () => {
  const older = routerConfigSchema.parse({ ...base, routing: { srv: false, resolver: { servers: ['127.0.0.1:53'], timeoutMs: 1500 } } });
  const newer = routerConfigSchema.parse({ ...base, routing: { srv: false, resolver: { servers: ['127.0.0.1:53'], timeout: '1.5s' } } });
  assert.equal(newer.routing.resolver.timeout, 1500);
  assert.deepEqual(newer, older);
  const both = routerConfigSchema.safeParse({ ...base, routing: { srv: false, resolver: { timeoutMs: 1500, timeout: '2s' } } });
  assert.equal(both.success, false);
  assert.deepEqual(both.error!.issues[0]!.path, ['routing', 'resolver', 'timeoutMs']);
});
