import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createRouteResolver, type RoutingResolver } from '../src/routing/routing.ts';
import { routingConfig, type RoutingConfigInput } from '../src/routing/routing-config.ts';
import {
  startAuthoritative,
  startServfailServer,
  startSilentServer,
  type AuthoritativeServer,
  type DnsServer,
} from '@peergroup/test-support/dns';
import { newOnion } from '@peergroup/test-support/onions';

const A = newOnion();
const B = newOnion();
const C = newOnion();

describe('the routing decision', () => {
  let nsd: AuthoritativeServer;
  let silent: DnsServer & { readonly received: number };
  let servfail: DnsServer & { readonly received: number };
  const dir = mkdtempSync(join(tmpdir(), 'pg-routing-'));
  const resolvers: RoutingResolver[] = [];
  let mapFile: string;

  const make = async (input: RoutingConfigInput, opts: Parameters<typeof createRouteResolver>[1] = {}) => {
    const r = await createRouteResolver(routingConfig({ watchMaps: false, ...input }), { sighup: false, ...opts });
    resolvers.push(r);
    return r;
  };

  before(async () => {
    nsd = await startAuthoritative({
      zones: [
        {
          origin: 'route.test',
          records: [
            `_onion-mx._tcp.peer 120 IN SRV 10 0 25 ${A}.`,
            `_onion-mx._tcp.peer 120 IN SRV 20 0 2525 ${B}.`,
            `_onion-mx._tcp.mapped 120 IN SRV 0 0 25 ${C}.`,
            `_onion-mx._tcp.agrees 120 IN SRV 0 0 25 ${A}.`,
            `_onion-mx._tcp.own 120 IN SRV 0 0 25 ${A}.`,
          ].join('\n'),
        },
      ],
    });
    silent = await startSilentServer();
    servfail = await startServfailServer();
    mapFile = join(dir, 'peers.map');
    writeFileSync(mapFile, `mapped.route.test ${A}\nagrees.route.test ${A}\n*.wild.route.test ${B}:2526\n`);
  });
  after(async () => {
    await Promise.all(resolvers.map((r) => r.close()));
    await Promise.all([nsd?.stop(), silent?.stop(), servfail?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes by SRV: every target in order, first one as host/port, with source, ttl and dnssec', async () => {
    const r = await make({ resolver: { servers: [nsd.address] } });
    const d = await r.decide('Someone@Peer.Route.TEST.');
    assert.deepEqual(d, {
      kind: 'onion',
      domain: 'peer.route.test',
      host: A,
      port: 25,
      targets: [
        { host: A, port: 25 },
        { host: B, port: 2525 },
      ],
      source: 'srv',
      dnssec: false,
      ttl: 120,
      reason: d.reason,
    });
    assert.match(d.reason, /SRV _onion-mx\._tcp\.peer\.route\.test/);
    // A bare domain gives the same decision, now from the cache.
    const again = await r.decide('peer.route.test');
    assert.equal(again.kind, 'onion');
    assert.match(again.reason, /cached/);
  });

  it('the map wins over SRV; wildcard entries cover subdomains', async () => {
    const r = await make({ maps: [{ path: mapFile, format: 'native' }], resolver: { servers: [nsd.address] } });
    const d = await r.decide('x@mapped.route.test');
    assert.ok(d.kind === 'onion');
    assert.equal(d.source, 'map');
    assert.equal(d.host, A, 'the map entry, not the SRV target C');
    assert.match(d.reason, new RegExp(`${mapFile}:1`));
    const w = await r.decide('mx.wild.route.test');
    assert.ok(w.kind === 'onion');
    assert.deepEqual([w.host, w.port], [B, 2526]);
    assert.equal(r.srv.stats.queries, 0, 'no DNS query for mapped domains without srvCheck');
  });

  it('srvCheck warns when the map disagrees with the published SRV record, and not when it agrees', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const registry = new Registry();
    const r = await make(
      { maps: [{ path: mapFile, format: 'native' }], srvCheck: true, resolver: { servers: [nsd.address] } },
      { logger: pino({ level: 'warn' }, sink), registry },
    );
    const d = await r.decide('mapped.route.test');
    assert.ok(d.kind === 'onion' && d.source === 'map' && d.host === A);
    assert.match(d.reason, new RegExp(`WARNING: mapped\\.route\\.test publishes SRV ${C}:25`));
    const warned = lines.map((l) => JSON.parse(l) as { msg: string; srv: string }).filter((l) => /disagrees/.test(l.msg));
    assert.equal(warned.length, 1);
    assert.equal(warned[0]!.srv, `${C}:25`);
    const ok = await r.decide('agrees.route.test');
    assert.ok(ok.kind === 'onion' && !/WARNING/.test(ok.reason));
    assert.match(await registry.metrics(), /onionmx_route_srv_disagreements_total 1/);
  });

  it('own domains and the ignore list are none, without asking DNS', async () => {
    const r = await make({
      ownDomains: ['own.route.test', '*.mine.test'],
      ignore: ['peer.route.test'],
      resolver: { servers: [silent.address] },
    });
    const seen = silent.received;
    const own = await r.decide('me@OWN.route.test');
    assert.equal(own.kind, 'none');
    assert.match(own.reason, /own domains/);
    assert.equal((await r.decide('a.b.mine.test')).kind, 'none');
    const ig = await r.decide('peer.route.test');
    assert.equal(ig.kind, 'none');
    assert.match(ig.reason, /ignore list/);
    assert.equal(silent.received, seen);
  });

  it('bad input is none with a reason, never an exception; .onion recipients go direct and never reach DNS', async () => {
    const r = await make({ resolver: { servers: [silent.address] } });
    const seen = silent.received;
    for (const input of [
      '',
      'user@',
      '[192.0.2.1]',
      'user@[192.0.2.1]',
      'localhost',
      'a..b',
      'x'.repeat(64) + '.example',
      'user@1.2.3.4',
    ]) {
      const d = await r.decide(input);
      assert.equal(d.kind, 'none', input);
      assert.match(d.reason, /not a routable domain/, input);
    }
    const direct = await r.decide(`user@MX.${A.toUpperCase()}`);
    assert.ok(direct.kind === 'onion', JSON.stringify(direct));
    assert.deepEqual([direct.host, direct.port, direct.source], [`mx.${A}`, 25, 'map']);
    assert.match(direct.reason, /itself a v3 onion/);
    const v2 = await r.decide('user@expyuzz4wqqyqhjn.onion');
    assert.equal(v2.kind, 'none');
    assert.match(v2.reason, /v2 onion services no longer exist/);
    assert.equal((await r.decide(undefined as unknown as string)).kind, 'none');
    assert.equal(silent.received, seen);
  });

  it('a DNS timeout or SERVFAIL is tempfail, never none; maps still answer while DNS is down', async () => {
    const down = await make({
      maps: [{ path: mapFile, format: 'native' }],
      resolver: { servers: [silent.address], timeoutMs: 150, retries: 0 },
    });
    const t = await down.decide('peer.route.test');
    assert.equal(t.kind, 'tempfail');
    assert.match(t.reason, /timeout/);
    assert.equal((await down.decide('mapped.route.test')).kind, 'onion');
    const sf = await make({ resolver: { servers: [servfail.address] } });
    const s = await sf.decide('peer.route.test');
    assert.equal(s.kind, 'tempfail');
    assert.match(s.reason, /SERVFAIL/);
  });

  it('with SRV discovery off, unmapped domains are none without a query; decisions are counted', async () => {
    const registry = new Registry();
    const r = await make(
      { srv: false, maps: [{ path: mapFile, format: 'native' }], resolver: { servers: [silent.address] } },
      { registry },
    );
    const seen = silent.received;
    assert.equal((await r.decide('peer.route.test')).kind, 'none');
    assert.equal((await r.decide('mapped.route.test')).kind, 'onion');
    assert.equal(silent.received, seen);
    const m = await registry.metrics();
    assert.match(m, /onionmx_route_decisions_total\{kind="none",source=""\} 1/);
    assert.match(m, /onionmx_route_decisions_total\{kind="onion",source="map"\} 1/);
  });
});
