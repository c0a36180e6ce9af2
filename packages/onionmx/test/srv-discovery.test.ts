import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import {
  classifySrvTargets,
  orderSrvRecords,
  SrvDiscovery,
  type SrvDiscoveryOptions,
  type SrvLookup,
} from '../src/routing/srv-discovery.ts';
import {
  startAuthoritative,
  startServfailServer,
  startSilentServer,
  startValidatingResolver,
  type AuthoritativeServer,
  type ResolverServer,
} from '@peergroup/test-support/dns';
import { corruptOnion, newOnion } from '@peergroup/test-support/onions';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const A = newOnion();
const B = newOnion();
const C = newOnion();

function found(r: SrvLookup): Extract<SrvLookup, { kind: 'found' }> {
  assert.equal(r.kind, 'found', JSON.stringify(r));
  return r as Extract<SrvLookup, { kind: 'found' }>;
}
function none(r: SrvLookup): Extract<SrvLookup, { kind: 'none' }> {
  assert.equal(r.kind, 'none', JSON.stringify(r));
  return r as Extract<SrvLookup, { kind: 'none' }>;
}

describe('RFC 2782 ordering and target filtering (no I/O)', () => {
  const recs = [
    { priority: 20, weight: 0, port: 1, target: 'c' },
    { priority: 10, weight: 70, port: 2, target: 'a' },
    { priority: 10, weight: 30, port: 3, target: 'b' },
    { priority: 5, weight: 0, port: 4, target: 'first' },
  ];

  it('orders by ascending priority, and by running weight sum within a priority', () => {
    // floor(random() * (70 + 30 + 1)): 0.0 → 0 → a (running sum 70 ≥ 0); 0.9 → 90 → past a (70) → b (100).
    assert.deepEqual(
      orderSrvRecords(recs, () => 0).map((r) => r.target),
      ['first', 'a', 'b', 'c'],
    );
    assert.deepEqual(
      orderSrvRecords(recs, () => 0.9).map((r) => r.target),
      ['first', 'b', 'a', 'c'],
    );
    assert.deepEqual(
      orderSrvRecords([], () => 0),
      [],
    );
  });

  it('gives each record a share of first places equal to its weight over all draws (RFC 2782 selection)', () => {
    const pool = recs.filter((r) => r.priority === 10);
    const firsts: Record<string, number> = { a: 0, b: 0 };
    // Every integer draw 0..100 once: a wins 0..70 (71 draws), b wins 71..100 (30 draws).
    for (let k = 0; k <= 100; k++) firsts[orderSrvRecords(pool, () => (k + 0.5) / 101)[0]!.target]!++;
    assert.deepEqual(firsts, { a: 71, b: 30 });
  });

  it('puts weight-0 records last in practice when heavier ones exist', () => {
    const pool = [
      { priority: 1, weight: 0, port: 1, target: 'zero' },
      { priority: 1, weight: 10, port: 2, target: 'ten' },
    ];
    // The zero-weight record is placed first but only chosen when the random draw is exactly 0 of 11.
    let zeroFirst = 0;
    for (let i = 0; i < 1100; i++) if (orderSrvRecords(pool)[0]!.target === 'zero') zeroFirst++;
    assert.ok(zeroFirst < 1100 * 0.25, `weight-0 record first ${zeroFirst} times of 1100`);
  });

  it('keeps only v3 onion targets and treats "." as no service', () => {
    const { usable, rejected } = classifySrvTargets([
      { priority: 1, weight: 0, port: 25, target: A.toUpperCase() },
      { priority: 1, weight: 0, port: 25, target: 'mx.example.com' },
      { priority: 1, weight: 0, port: 25, target: corruptOnion(B) },
      { priority: 1, weight: 0, port: 25, target: 'expyuzz4wqqyqhjn.onion' },
      { priority: 1, weight: 0, port: 0, target: C },
      { priority: 1, weight: 0, port: 0, target: '.' },
    ]);
    assert.deepEqual(
      usable.map((u) => u.target),
      [A],
    );
    assert.deepEqual(
      rejected.map((r) => r.reason.match(/does not end in \.onion|checksum|v2|port 0|no service/)?.[0]),
      ['does not end in .onion', 'checksum', 'v2', 'port 0', 'no service'],
    );
  });
});

describe('SRV discovery against nsd and unbound', () => {
  let nsd: AuthoritativeServer;
  let unbound: ResolverServer;
  const disco = (servers: { host: string; port: number }[], over: Partial<SrvDiscoveryOptions> = {}) =>
    new SrvDiscovery({
      servers,
      timeoutMs: 1000,
      retries: 0,
      tcpFallback: true,
      dnssec: 'off',
      minTtl: 0,
      maxTtl: 86400,
      negativeTtl: 300,
      maxEntries: 1000,
      ...over,
    });

  before(async () => {
    const srv = (name: string, ttl: number, prio: number, weight: number, port: number, target: string) =>
      `_onion-mx._tcp.${name} ${ttl} IN SRV ${prio} ${weight} ${port} ${target}${target.endsWith('.') ? '' : '.'}`;
    nsd = await startAuthoritative({
      zones: [
        {
          origin: 'srv.test',
          records: [
            srv('multi', 300, 20, 0, 25, C),
            srv('multi', 300, 10, 70, 2525, A),
            srv('multi', 300, 10, 30, 2526, B),
            srv('mixed', 300, 1, 0, 25, corruptOnion(A)),
            srv('mixed', 300, 5, 0, 25, 'mx.example.com'),
            srv('mixed', 300, 7, 0, 25, 'expyuzz4wqqyqhjn.onion'),
            srv('mixed', 300, 10, 0, 25, `mx.${A}`),
            srv('allbad', 300, 0, 0, 25, 'mx.example.com'),
            srv('dot', 300, 0, 0, 0, '.'),
            srv('short', 2, 0, 0, 25, A),
            srv('coalesce', 300, 0, 0, 25, B),
            srv('e1', 300, 0, 0, 25, A),
            srv('e2', 300, 0, 0, 25, A),
            srv('e3', 300, 0, 0, 25, A),
            `_onion-mx._tcp.nodata 300 IN TXT "not an SRV"`,
          ].join('\n'),
        },
        // SOA MINIMUM 2: negative answers from this zone may be cached for 2 s only.
        { origin: 'neg.test', negativeTtl: 2, records: 'www IN A 192.0.2.1' },
      ],
    });
    unbound = await startValidatingResolver({
      stubs: [
        { zone: 'srv.test', server: nsd },
        { zone: 'neg.test', server: nsd },
      ],
    });
  });
  after(async () => {
    await Promise.all([nsd?.stop(), unbound?.stop()]);
  });

  it('orders several priorities and weights and honours the ports', async () => {
    const d = disco([nsd]);
    const r = found(await d.lookup('multi.srv.test'));
    assert.equal(r.dnssec, false);
    assert.equal(r.ttl, 300);
    assert.deepEqual(new Set(r.targets.slice(0, 2).map((t) => `${t.host}:${t.port}`)), new Set([`${A}:2525`, `${B}:2526`]));
    assert.deepEqual(r.targets[2], { host: C, port: 25 });
    // Cached answers are re-ordered per lookup, so the 70/30 weights spread load across lookups.
    let aFirst = 0;
    for (let i = 0; i < 400; i++) if (found(await d.lookup('multi.srv.test')).targets[0]!.host === A) aFirst++;
    assert.ok(aFirst > 400 * 0.55 && aFirst < 400 * 0.85, `weight-70 target first in ${aFirst} of 400 lookups`);
    assert.equal(d.stats.queries, 1);
  });

  it('skips non-onion and invalid onion targets and keeps the valid one (with its subdomain)', async () => {
    const r = found(await disco([nsd]).lookup('mixed.srv.test'));
    assert.deepEqual(r.targets, [{ host: `mx.${A}`, port: 25 }]);
    assert.equal(r.rejected.length, 3);
    assert.ok(r.rejected.some((x) => /checksum/.test(x.reason)));
    assert.ok(r.rejected.some((x) => x.target === 'mx.example.com'));
    assert.ok(r.rejected.some((x) => /v2/.test(x.reason)));
  });

  it('answers none for only non-onion targets, for ".", for NODATA and NXDOMAIN', async () => {
    const d = disco([nsd]);
    assert.match(none(await d.lookup('allbad.srv.test')).reason, /no usable v3 onion target: mx\.example\.com/);
    assert.match(none(await d.lookup('dot.srv.test')).reason, /target is "\."/);
    assert.match(none(await d.lookup('nodata.srv.test')).reason, /no SRV record \(NODATA\)/);
    const nx = none(await d.lookup('nothere.srv.test'));
    assert.match(nx.reason, /NXDOMAIN/);
    assert.equal(nx.ttl, 300, 'negative TTL is the SOA minimum');
  });

  it('is tempfail (never none) on SERVFAIL and when the server never answers', async () => {
    const servfail = await startServfailServer();
    const silent = await startSilentServer();
    try {
      const sf = await disco([servfail]).lookup('multi.srv.test');
      assert.equal(sf.kind, 'tempfail');
      assert.match((sf as { reason: string }).reason, /SERVFAIL/);
      const started = Date.now();
      const to = await disco([silent], { timeoutMs: 200, retries: 1 }).lookup('multi.srv.test');
      assert.equal(to.kind, 'tempfail');
      assert.match((to as { reason: string }).reason, /timeout/);
      assert.equal(silent.received, 2);
      assert.ok(Date.now() - started >= 380);
      // Failures are not cached: the next lookup asks again.
      const d = disco([silent], { timeoutMs: 100 });
      await d.lookup('multi.srv.test');
      await d.lookup('multi.srv.test');
      assert.equal(d.stats.queries, 2);
    } finally {
      await Promise.all([servfail.stop(), silent.stop()]);
    }
  });

  it('caches for the record TTL and asks again after it expires', async () => {
    const d = disco([unbound]);
    const name = '_onion-mx._tcp.short.srv.test';
    const first = found(await d.lookup('short.srv.test'));
    assert.equal(first.cached, false);
    assert.ok(first.ttl <= 2);
    const second = found(await d.lookup('short.srv.test'));
    assert.equal(second.cached, true);
    assert.equal(d.stats.queries, 1);
    assert.equal(unbound.queriesFor(name), 1);
    await sleep(2300);
    const third = found(await d.lookup('short.srv.test'));
    assert.equal(third.cached, false);
    assert.equal(d.stats.queries, 2);
    assert.equal(unbound.queriesFor(name), 2);
  });

  it('clamps TTLs to the configured bounds', async () => {
    assert.equal(found(await disco([nsd], { minTtl: 60 }).lookup('short.srv.test')).ttl, 60);
    assert.equal(found(await disco([nsd], { maxTtl: 100 }).lookup('multi.srv.test')).ttl, 100);
    assert.equal(none(await disco([nsd], { maxTtl: 30 }).lookup('nothere.srv.test')).ttl, 30);
  });

  it('caches NXDOMAIN for the SOA minimum, then asks again', async () => {
    const d = disco([unbound]);
    const name = '_onion-mx._tcp.gone.neg.test';
    const first = none(await d.lookup('gone.neg.test'));
    assert.equal(first.ttl, 2);
    const again = none(await d.lookup('gone.neg.test'));
    assert.equal(again.cached, true);
    assert.equal(unbound.queriesFor(name), 1);
    await sleep(2300);
    assert.equal(none(await d.lookup('gone.neg.test')).cached, false);
    assert.equal(unbound.queriesFor(name), 2);
  });

  it('coalesces concurrent lookups of one name into one query', async () => {
    const registry = new Registry();
    const d = disco([unbound], { registry });
    const results = await Promise.all(Array.from({ length: 25 }, () => d.lookup('coalesce.srv.test')));
    assert.ok(results.every((r) => r.kind === 'found' && r.targets[0]!.host === B));
    assert.equal(d.stats.queries, 1);
    assert.equal(d.stats.coalesced, 24);
    assert.equal(unbound.queriesFor('_onion-mx._tcp.coalesce.srv.test'), 1, 'the resolver saw exactly one query');
    await d.lookup('coalesce.srv.test');
    const metrics = await registry.metrics();
    assert.match(metrics, /onionmx_route_srv_coalesced_total 24/);
    assert.match(metrics, /onionmx_route_srv_cache_misses_total 25/);
    assert.match(metrics, /onionmx_route_srv_cache_hits_total 1/);
    assert.match(metrics, /onionmx_route_dns_duration_seconds_count\{outcome="NOERROR"\} 1/);
  });

  it('evicts the least recently used domain beyond maxEntries', async () => {
    const d = disco([nsd], { maxEntries: 2 });
    await d.lookup('e1.srv.test');
    await d.lookup('e2.srv.test');
    await d.lookup('e1.srv.test'); // e1 is now the most recent
    await d.lookup('e3.srv.test'); // evicts e2
    assert.equal(d.cacheSize, 2);
    assert.equal(d.stats.queries, 3);
    assert.equal((await d.lookup('e1.srv.test')).kind === 'found' && d.stats.queries, 3);
    await d.lookup('e2.srv.test');
    assert.equal(d.stats.queries, 4);
  });
});
