// What relay and inbound share with every other daemon through @peergroup/service: the `metrics: { listen }` key (the
// released `metrics: HOST:PORT` read as the same), /metrics with the process metrics and the service's own families,
// /healthz, and a listener that cannot bind failing start-up with an error naming its key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { Registry } from 'prom-client';
import { createMetricsRegistry, silentLogger, type RunningService } from '@peergroup/service';
import { relayConfigSchema } from '../src/relay/relay-config.ts';
import { startRelay } from '../src/relay/relay.ts';
import { inboundConfigSchema } from '../src/inbound/inbound-config.ts';
import { startInbound } from '../src/inbound/inbound.ts';

const routing = { srv: false, watchMaps: false };
const inboundBase = { listen: '127.0.0.1:0', mx: '127.0.0.1:1', domains: ['example.org'] };

async function busyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

async function get(addr: { host: string; port: number }, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${addr.host}:${addr.port}${path}`);
  return { status: res.status, body: await res.text() };
}

test('relay and inbound: metrics is { listen } or, as released, the address alone; a non-loopback one is refused naming metrics.listen', () => {
  for (const metrics of ['127.0.0.1:9425', { listen: '127.0.0.1:9425' }]) {
    assert.deepEqual(relayConfigSchema.parse({ lmtp: '127.0.0.1:10024', metrics, routing }).metrics, {
      listen: { host: '127.0.0.1', port: 9425 },
    });
    assert.deepEqual(inboundConfigSchema.parse({ ...inboundBase, metrics }).metrics, { listen: { host: '127.0.0.1', port: 9425 } });
  }
  const relay = relayConfigSchema.safeParse({ lmtp: '127.0.0.1:10024', metrics: '0.0.0.0:9425', routing });
  assert.equal(relay.success, false);
  assert.deepEqual(
    relay.error!.issues.map((i) => i.path.join('.')),
    ['metrics.listen'],
  );
  assert.throws(() => relayConfigSchema.parse({ lmtp: '127.0.0.1:10024', metrics: { listen: '127.0.0.1:1', extra: 1 }, routing }));
});

test('relay /metrics: process metrics and the relay families by their names; /healthz ok', async () => {
  const config = relayConfigSchema.parse({ lmtp: '127.0.0.1:0', metrics: '127.0.0.1:0', routing });
  const relay = await startRelay(config, { logger: silentLogger(), registry: createMetricsRegistry() });
  try {
    const metrics = await get(relay.addresses.metrics!, '/metrics');
    assert.equal(metrics.status, 200);
    for (const name of [
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'onionmx_relay_deliveries_total',
      'onionmx_relay_bytes_total',
      'onionmx_relay_tor_errors_total',
      'onionmx_relay_inbound_sessions',
      'onionmx_relay_outbound_sessions',
      'onionmx_route_decisions_total',
    ]) {
      assert.match(metrics.body, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    assert.deepEqual(await get(relay.addresses.metrics!, '/healthz'), { status: 200, body: 'ok\n' });
  } finally {
    await relay.close();
  }
});

test('relay started twice on one registry (a restart in one process) reuses its metrics instead of refusing them', async () => {
  const registry = new Registry();
  const config = relayConfigSchema.parse({ lmtp: '127.0.0.1:0', routing });
  const first = await startRelay(config, { logger: silentLogger(), registry });
  await first.close();
  const second = await startRelay(config, { logger: silentLogger(), registry });
  await second.close();
  assert.match(await registry.metrics(), /^# TYPE onionmx_relay_deliveries_total counter$/m);
});

test('relay: an LMTP or SMTP port in use fails start-up naming the key, with the errno code; nothing is left listening', async () => {
  const busy = await busyPort();
  try {
    for (const key of ['lmtp', 'smtp'] as const) {
      const config = relayConfigSchema.parse({ [key]: `127.0.0.1:${busy.port}`, routing });
      await assert.rejects(startRelay(config, { logger: silentLogger() }), (err: NodeJS.ErrnoException) => {
        assert.equal(err.code, 'EADDRINUSE');
        assert.match(err.message, new RegExp(`^${key} 127\\.0\\.0\\.1:${busy.port}: cannot listen`));
        return true;
      });
    }
    // The other listener, bound before the failing one, was closed again: its port is free for the next start.
    const probe = await busyPort();
    const port = probe.port;
    await new Promise<void>((r) => probe.server.close(() => r()));
    const config = relayConfigSchema.parse({ lmtp: `127.0.0.1:${port}`, smtp: `127.0.0.1:${busy.port}`, routing });
    await assert.rejects(startRelay(config, { logger: silentLogger() }), /^Error: smtp /);
    const again: RunningService = await startRelay(relayConfigSchema.parse({ lmtp: `127.0.0.1:${port}`, routing }), {
      logger: silentLogger(),
    });
    await again.close();
  } finally {
    await new Promise<void>((r) => busy.server.close(() => r()));
  }
});

test('inbound /metrics: process metrics and the inbound families by their names; /healthz ok; a port in use names listen', async () => {
  const config = inboundConfigSchema.parse({ ...inboundBase, metrics: { listen: '127.0.0.1:0' } });
  const inbound = await startInbound(config, { logger: silentLogger(), registry: createMetricsRegistry() });
  try {
    const metrics = await get(inbound.addresses.metrics!, '/metrics');
    for (const name of [
      'process_resident_memory_bytes',
      'onionmx_inbound_sessions_total',
      'onionmx_inbound_active_sessions',
      'onionmx_inbound_recipients_total',
      'onionmx_inbound_messages_total',
      'onionmx_inbound_bytes_total',
      'onionmx_inbound_mx_errors_total',
      'onionmx_inbound_probes_total',
    ]) {
      assert.match(metrics.body, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    assert.deepEqual(await get(inbound.addresses.metrics!, '/healthz'), { status: 200, body: 'ok\n' });
    const port = inbound.addresses.smtp!.port;
    await assert.rejects(
      startInbound(inboundConfigSchema.parse({ ...inboundBase, listen: `127.0.0.1:${port}` }), {
        logger: silentLogger(),
        registry: new Registry(),
      }),
      (err: NodeJS.ErrnoException) => {
        assert.equal(err.code, 'EADDRINUSE');
        assert.match(err.message, new RegExp(`^listen 127\\.0\\.0\\.1:${port}: cannot listen`));
        return true;
      },
    );
  } finally {
    await inbound.close();
  }
});
