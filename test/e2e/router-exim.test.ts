/**
 * The router answering a real Exim 4.96 (extracted Debian exim4-daemon-heavy, run with -C), configured with the
 * operator snippets in docs/snippets/ (exim-relay-*.conf, exim-socks-*.conf; only ports changed) that docs/exim.md
 * shows and docs/onionmx-router.md points to:
 *  - relay path: a message is delivered over LMTP to the host the router names (an LMTP sink standing in for the relay);
 *  - not found: the router declines and the next router (the cleartext route) takes the mail;
 *  - SOCKS path, exim-route form: `exim -bt` routes to the onion host list with one router query per address;
 *  - DNS outage (the real nsd stopped) and an unreachable router: both snippets defer, nothing goes out in cleartext;
 *  - exim-automap form against a real Tor network: the router asks Tor's DNSPort, Exim delivers through Tor's SOCKS
 *    port to the virtual address, and Tor carries the message to an onion service in front of a sink.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { startRouter } from '@peergroup/onionmx';
import { routerConfigSchema } from '@peergroup/onionmx';
import { silentLogger } from '@peergroup/service';
import type { RunningService } from '@peergroup/service';
import { randomOnion } from '@peergroup/test-support/router-clients';
import { eximConfig, startExim, type Exim, type EximContext } from '@peergroup/test-support/exim';
import { startSmtpSink, type SmtpSink } from '@peergroup/test-support/smtp-sink';
import { startAuthoritative, type AuthoritativeServer } from '@peergroup/test-support/dns';
import { sharedTornet } from '@peergroup/test-support/tornet';

const mappedOnion = randomOnion();
const srvA = randomOnion();
const srvB = randomOnion();
let dir: string;
let nsd: AuthoritativeServer;
let relaySink: SmtpSink;
let cleartextSink: SmtpSink;
let router: RunningService;
let exim: Exim;
let socksExim: Exim;
let routeRouter: RunningService;
let routeRegistry: Registry;
const cleanups: (() => Promise<void>)[] = [];

const snippetDir = fileURLToPath(new URL('../../docs/snippets/', import.meta.url));
/**
 * A snippet from docs/snippets/ (the ones docs/exim.md shows and docs/onionmx-router.md points to), verbatim except
 * the ports: what operators copy is what runs here.
 */
function snippet(name: string, replace: Record<string, string>): string {
  let t = readFileSync(join(snippetDir, name), 'utf8');
  for (const [from, to] of Object.entries(replace)) {
    assert.ok(t.includes(from), `docs/snippets/${name} mentions ${from}`);
    t = t.split(from).join(to);
  }
  return t.trimEnd();
}

/** Whatever the onionmx routers decline goes to the cleartext route, which onion-routed mail must never take. */
const cleartextRouter = (port: number) =>
  [
    'cleartext:',
    '  driver = manualroute',
    '  domains = ! +local_domains',
    `  route_list = * 127.0.0.1::${port}`,
    '  transport = cleartext_smtp',
    '  self = send',
  ].join('\n');
const cleartextTransport = ['cleartext_smtp:', '  driver = smtp', '  allow_localhost'].join('\n');

/** The relay path: docs/snippets/exim-relay-routers.conf and exim-relay-transports.conf, then the cleartext route. */
function relayConfig(ctx: EximContext, routerPort: number, cleartextPort: number): string {
  return eximConfig(ctx, {
    main: `domainlist local_domains = ${ctx.hostname}`,
    routers: [
      snippet('exim-relay-routers.conf', { 'inet:127.0.0.1:23003': `inet:127.0.0.1:${routerPort}` }),
      '',
      cleartextRouter(cleartextPort),
    ].join('\n'),
    transports: [snippet('exim-relay-transports.conf', {}), '', cleartextTransport].join('\n'),
  });
}

/** Exim's own SOCKS path: docs/snippets/exim-socks-routers.conf and exim-socks-transports.conf, then the cleartext route. */
function socksConfig(ctx: EximContext, routerPort: number, cleartextPort: number, socks = { host: '127.0.0.1', port: 9050 }): string {
  return eximConfig(ctx, {
    main: `domainlist local_domains = ${ctx.hostname}`,
    routers: [
      snippet('exim-socks-routers.conf', { 'inet:127.0.0.1:23002': `inet:127.0.0.1:${routerPort}` }),
      '',
      cleartextRouter(cleartextPort),
    ].join('\n'),
    transports: [
      snippet('exim-socks-transports.conf', { '127.0.0.1 port=9050': `${socks.host} port=${socks.port}` }),
      '',
      cleartextTransport,
    ].join('\n'),
  });
}

/** Lookups the router answered on its Exim listener so far (all results). */
async function eximLookups(reg: Registry): Promise<number> {
  const metric = reg.getSingleMetric('onionmx_router_lookups_total');
  assert.ok(metric, 'router registers onionmx_router_lookups_total');
  return (await metric.get()).values.filter((v) => v.labels.protocol === 'exim').reduce((n, v) => n + v.value, 0);
}

const message = (to: string, subject: string) => `From: a@sender.test\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n`;

async function startTestRouter(extra: Record<string, unknown>, registry = new Registry()): Promise<RunningService> {
  const svc = await startRouter(
    routerConfigSchema.parse({
      routing: {
        maps: [{ path: join(dir, 'onion.map') }],
        watchMaps: false,
        resolver: { servers: [nsd.address], timeoutMs: 300, retries: 0 },
        dnssec: 'off',
      },
      logSummaryInterval: 0,
      ...extra,
    }),
    { logger: silentLogger(), registry },
  );
  cleanups.push(() => svc.close());
  return svc;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pg-router-exim-'));
  writeFileSync(join(dir, 'onion.map'), `mapped.test ${mappedOnion}\n`);
  nsd = await startAuthoritative({
    zones: [
      { origin: 'srv.test', records: `_onion-mx._tcp 300 IN SRV 10 0 25 ${srvA}.\n_onion-mx._tcp 300 IN SRV 20 0 2525 ${srvB}.\n` },
      { origin: 'outage.test', records: `_onion-mx._tcp 300 IN SRV 0 0 25 ${srvA}.\n` },
      { origin: 'plain.test', records: 'www IN A 192.0.2.1\n' },
    ],
  });
  // The relay path's transport speaks LMTP (docs/snippets/exim-relay-transports.conf): the sink stands in for the relay.
  relaySink = await startSmtpSink({ name: 'relay-sink.test', lmtp: true });
  cleartextSink = await startSmtpSink({ name: 'cleartext-sink.test' });
  router = await startTestRouter({
    exim: { listen: '127.0.0.1:0', reply: 'relay' },
    relay: { address: `127.0.0.1:${relaySink.port}`, protocol: 'lmtp' },
  });
  exim = await startExim({ name: 'ex-router.test', config: (ctx) => relayConfig(ctx, router.addresses.exim!.port, cleartextSink.port) });
  routeRegistry = new Registry();
  routeRouter = await startTestRouter({ exim: { listen: '127.0.0.1:0', reply: 'exim-route' } }, routeRegistry);
  socksExim = await startExim({ daemon: false, config: (ctx) => socksConfig(ctx, routeRouter.addresses.exim!.port, cleartextSink.port) });
});

after(async () => {
  await exim?.stop();
  await socksExim?.stop();
  for (const c of cleanups.reverse()) await c();
  await relaySink?.close();
  await cleartextSink?.close();
  await nsd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('router with real Exim, the documented snippets', () => {
  test('relay path: Exim delivers over LMTP to the host the router names; not-found falls through to the next router', async () => {
    const bt = await exim.run(['-bt', 'bob@Mapped.Test']);
    assert.equal(bt.code, 0, bt.stdout + bt.stderr);
    assert.match(bt.stdout, /router = onionmx_relay, transport = onionmx_relay_lmtp/);
    assert.match(bt.stdout, new RegExp(`host 127\\.0\\.0\\.1 \\[127\\.0\\.0\\.1\\] port=${relaySink.port}`));

    assert.match(await exim.submit('a@sender.test', ['bob@mapped.test'], message('bob@mapped.test', 'onion-routed')), /^250 /);
    const [got] = await relaySink.waitFor(1, 30_000);
    assert.deepEqual(got!.to, ['bob@mapped.test']);
    assert.match(got!.transmissionType, /LMTP/);

    const plain = await exim.run(['-bt', 'carol@plain.test']);
    assert.match(plain.stdout, /router = cleartext/);
    await exim.submit('a@sender.test', ['carol@plain.test'], message('carol@plain.test', 'cleartext'));
    const [clear] = await cleartextSink.waitFor(1, 30_000);
    assert.deepEqual(clear!.to, ['carol@plain.test']);
    assert.equal(relaySink.messages.length, 1);
    assert.deepEqual(await exim.panics(), []);
  });

  test('SOCKS path, exim-route form: one router query per address, the route is the onion host list in SRV order', async () => {
    const before = await eximLookups(routeRegistry);
    const bt = await socksExim.run(['-d+route', '-bt', 'dave@srv.test']);
    const out = bt.stdout + bt.stderr;
    assert.match(out, new RegExp(`expanded list of hosts = '${srvA}::25:${srvB}::2525'`));
    assert.equal(await eximLookups(routeRegistry), before + 1, 'the socks router snippet asks the router once per address');
    // No Tor here: the onion names do not resolve, and Exim defers (host_find_failed = defer) rather than falling
    // through to cleartext.
    assert.match(bt.stdout, /cannot be resolved at this time/);
    assert.doesNotMatch(bt.stdout, /router = cleartext/);

    const plainBefore = await eximLookups(routeRegistry);
    const plain = await socksExim.run(['-bt', 'carol@plain.test']);
    assert.match(plain.stdout, /router = cleartext/);
    assert.equal(await eximLookups(routeRegistry), plainBefore + 1);
  });

  test('DNS outage: the router says DEFER, both snippets defer, the message stays queued, nothing goes out in cleartext', async () => {
    await nsd.stop();
    const bt = await exim.run(['-bt', 'erin@outage.test']);
    assert.notEqual(bt.code, 0);
    assert.match(bt.stdout, /erin@outage\.test cannot be resolved at this time: .*DEFER /);
    const sbt = await socksExim.run(['-bt', 'erin@outage.test']);
    assert.notEqual(sbt.code, 0);
    assert.match(sbt.stdout, /erin@outage\.test cannot be resolved at this time: .*DEFER /);
    assert.doesNotMatch(sbt.stdout, /router = cleartext/);

    const offset = (await exim.mainlog()).length;
    await exim.submit('a@sender.test', ['erin@outage.test'], message('erin@outage.test', 'outage'));
    await exim.waitForLog(/== erin@outage\.test R=onionmx_relay defer .*DEFER /, 30_000, offset);
    await exim.queueRun();
    assert.match(await exim.queue(), /erin@outage\.test/);
    assert.ok(!cleartextSink.messages.some((m) => m.to.includes('erin@outage.test')));
    assert.ok(!relaySink.messages.some((m) => m.to.includes('erin@outage.test')));
  });

  test('router unreachable: both snippets defer (readsocket failure string)', async () => {
    const svc = await startTestRouter({ exim: { listen: '127.0.0.1:0', reply: 'exim-route' } });
    const port = svc.addresses.exim!.port;
    await svc.close();
    for (const cfg of [relayConfig, socksConfig]) {
      const ex = await startExim({ daemon: false, config: (ctx) => cfg(ctx, port, cleartextSink.port) });
      cleanups.push(() => ex.stop());
      const bt = await ex.run(['-bt', 'bob@mapped.test']);
      assert.match(bt.stdout, /cannot be resolved at this time: .*DEFER onionmx router unreachable/, cfg.name);
      assert.doesNotMatch(bt.stdout, /router = cleartext/);
    }
  });
});

describe('exim-automap with a real Tor network', () => {
  test("the router maps the onion through Tor's DNSPort; Exim delivers through Tor's SOCKS port to the onion service", async () => {
    const tor = await sharedTornet();
    const onionSink = await startSmtpSink({ name: 'onion-sink.test' });
    cleanups.push(() => onionSink.close());
    const onion = await tor.addOnion({ host: '127.0.0.1', port: onionSink.port });
    const mapFile = join(dir, 'tor.map');
    writeFileSync(mapFile, `tor.test ${onion.hostname}\n`);
    const svc = await startRouter(
      routerConfigSchema.parse({
        routing: { maps: [{ path: mapFile }], watchMaps: false, srv: false },
        exim: { listen: '127.0.0.1:0', reply: 'exim-automap' },
        automap: { dns: `${tor.dns.host}:${tor.dns.port}` },
        logSummaryInterval: 0,
      }),
      { logger: silentLogger(), registry: new Registry() },
    );
    cleanups.push(() => svc.close());
    const ex = await startExim({ config: (ctx) => socksConfig(ctx, svc.addresses.exim!.port, cleartextSink.port, tor.socks) });
    cleanups.push(() => ex.stop());
    const bt = await ex.run(['-bt', 'frank@tor.test']);
    assert.equal(bt.code, 0, bt.stdout + bt.stderr);
    assert.match(bt.stdout, /router = onionmx_socks, transport = onionmx_socks_smtp/);
    const m = /host (127\.(\d+)\.\d+\.\d+) \[[\d.]+\] port=25/.exec(bt.stdout);
    assert.ok(m, bt.stdout);
    assert.ok(Number(m[2]) >= 192, `virtual address ${m[1]} in 127.192.0.0/10`);
    await ex.submit('a@sender.test', ['frank@tor.test'], message('frank@tor.test', 'through tor'));
    const [got] = await onionSink.waitFor(1, 120_000);
    assert.deepEqual(got!.to, ['frank@tor.test']);
    assert.match(got!.data.toString(), /Subject: through tor/);
    assert.ok(!cleartextSink.messages.some((x) => x.to.includes('frank@tor.test')));
  });
});
