/**
 * SRV lookups through the private Tor network to a validating unbound reachable only as an onion service (DNS over
 * TCP inside a Tor stream): answers and the AD bit, pipelining on one reused stream, the routing decision in strict
 * mode (`resolver.transport: tor`) and per-domain (`torDomains`), and the resolver's onion going away ⇒ tempfail.
 * Tor stopped and the leak test are in test/e2e/dns-tor-strict.test.ts (they need a network of their own).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SrvAnswer } from 'dns-packet';
import { createRouteResolver, type RoutingResolver } from '../src/routing/routing.ts';
import { routingConfig, routingConfigSchema } from '../src/routing/routing-config.ts';
import { TorDnsUpstream } from '../src/routing/dns-over-tor.ts';
import {
  startAuthoritative,
  startSilentServer,
  startValidatingResolver,
  type AuthoritativeServer,
  type ResolverServer,
} from '@peergroup/test-support/dns';
import { newOnion } from '@peergroup/test-support/onions';
import { sharedTornet, type Tornet, type TornetOnion } from '@peergroup/test-support/tornet';

const A = newOnion();
const records = `_onion-mx._tcp 300 IN SRV 0 0 25 ${A}.\n`;

describe('DNS over Tor to a resolver onion service (real tor, nsd, unbound)', () => {
  let net: Tornet;
  let nsd: AuthoritativeServer;
  let unbound: ResolverServer;
  let resolverOnion: TornetOnion;
  const resolvers: RoutingResolver[] = [];
  const upstreams: TorDnsUpstream[] = [];
  const upstream = (server = `${resolverOnion.hostname}:53`, extra: Partial<ConstructorParameters<typeof TorDnsUpstream>[0]> = {}) => {
    const [host, port] = server.split(':') as [string, string];
    const u = new TorDnsUpstream({
      socks: net.socks,
      server: { host, port: Number(port) },
      timeoutMs: 60_000,
      idleTimeoutMs: 60_000,
      ...extra,
    });
    upstreams.push(u);
    return u;
  };
  const torRouting = (extra: Record<string, unknown> = {}) =>
    routingConfig({
      dnssec: 'require',
      cache: { minTtl: 0 },
      ...extra,
      resolver: {
        transport: 'tor',
        tor: { socks: `${net.socks.host}:${net.socks.port}`, servers: [{ address: `${resolverOnion.hostname}:53` }], timeout: '60s' },
        ...(extra.resolver as object),
      },
    });

  before(async () => {
    nsd = await startAuthoritative({
      zones: [
        { origin: 'signed.test', sign: true, records },
        { origin: 'plain.test', records },
      ],
    });
    unbound = await startValidatingResolver({
      stubs: ['signed.test', 'plain.test'].map((zone) => ({ zone, server: nsd })),
      trustAnchors: nsd.trustAnchors,
    });
    net = await sharedTornet();
    // unbound listens on TCP as well as UDP on its port; the onion forwards only TCP, which is all a Tor stream carries.
    resolverOnion = await net.addOnion({ host: unbound.host, port: unbound.port }, { virtualPort: 53 });
  });
  after(async () => {
    for (const u of upstreams) u.close();
    await Promise.all(resolvers.map((r) => r.close()));
    await resolverOnion?.remove().catch(() => undefined);
    await Promise.all([nsd?.stop(), unbound?.stop()]);
  });

  it('answers SRV over the onion with the AD bit for the signed zone and without it for the unsigned one', async () => {
    const u = upstream();
    const signed = await u.query('_onion-mx._tcp.signed.test', 'SRV', { dnssec: true });
    assert.equal(signed.rcode, 'NOERROR');
    assert.equal(signed.transport, 'tor-tcp');
    assert.equal(signed.authenticated, true);
    assert.deepEqual(
      signed.answers.filter((a): a is SrvAnswer => a.type === 'SRV').map((a) => a.data.target),
      [A],
    );
    const plain = await u.query('_onion-mx._tcp.plain.test', 'SRV', { dnssec: true });
    assert.equal(plain.authenticated, false);
    assert.equal(plain.answers.length, 1);
    const missing = await u.query('_onion-mx._tcp.nothing.signed.test', 'SRV', { dnssec: true });
    assert.equal(missing.rcode, 'NXDOMAIN');
    assert.equal(missing.authenticated, true, 'the denial of existence is validated too');
    assert.ok(unbound.queriesFor('_onion-mx._tcp.signed.test') >= 1, 'the query reached the resolver behind the onion');
  });

  it('pipelines concurrent queries on one reused stream, each matched by its message id', async () => {
    const u = upstream();
    const names = Array.from({ length: 20 }, (_, i) => (i % 2 ? `_onion-mx._tcp.signed.test` : `_onion-mx._tcp.n${i}.plain.test`));
    const answers = await Promise.all(names.map((n) => u.query(n, 'SRV', { dnssec: true })));
    answers.forEach((res, i) => {
      assert.equal(res.rcode, i % 2 ? 'NOERROR' : 'NXDOMAIN', names[i]);
      assert.equal(res.packet.questions?.[0]?.name.toLowerCase(), names[i]);
    });
    await u.query('_onion-mx._tcp.signed.test', 'SRV');
    assert.deepEqual(u.stats, { streams: 1, queries: 21 });
    const perQuery = upstream(undefined, { streamPerQuery: true });
    await perQuery.query('_onion-mx._tcp.signed.test', 'SRV');
    await perQuery.query('_onion-mx._tcp.signed.test', 'SRV');
    assert.equal(perQuery.stats.streams, 2, 'the comparison mode really opens a stream per query');
  });

  it('strict mode: the routing decision comes through Tor, validated, cached like any SRV answer', async () => {
    const silent = await startSilentServer();
    try {
      const r = await createRouteResolver(torRouting({ resolver: { servers: [silent.address] } }), { sighup: false });
      resolvers.push(r);
      const d = await r.decide('someone@signed.test');
      assert.equal(d.kind, 'onion', JSON.stringify(d));
      assert.ok(d.kind === 'onion');
      assert.equal(d.host, A);
      assert.equal(d.dnssec, true);
      const again = await r.decide('other@signed.test');
      assert.ok(again.kind === 'onion' && /cached/.test(again.reason));
      assert.equal((await r.decide('x@plain.test')).kind, 'none', 'require still refuses unvalidated data over Tor');
      assert.equal(silent.received, 0, 'the configured cleartext resolver was never asked');
    } finally {
      await silent.stop();
    }
  });

  it('torDomains: only the listed domains go through Tor, the others to the cleartext resolver', async () => {
    const silent = await startSilentServer();
    try {
      const r = await createRouteResolver(
        routingConfig({
          dnssec: 'prefer',
          cache: { minTtl: 0 },
          resolver: {
            servers: [silent.address],
            timeoutMs: 200,
            retries: 0,
            torDomains: ['*.test'],
            tor: { socks: `${net.socks.host}:${net.socks.port}`, servers: [{ address: `${resolverOnion.hostname}:53` }], timeout: '60s' },
          },
        }),
        { sighup: false },
      );
      resolvers.push(r);
      assert.equal((await r.decide('a@plain.test')).kind, 'onion', 'a *.test domain is answered through Tor');
      assert.equal(silent.received, 0);
      const other = await r.decide('a@plain.example');
      assert.equal(other.kind, 'tempfail', 'any other domain goes to the (silent) cleartext resolver');
      assert.equal(silent.received, 1);
    } finally {
      await silent.stop();
    }
  });

  it('refuses strict mode without a Tor resolver, and a clearnet Tor resolver without TLS, naming the key', () => {
    const strict = routingConfigSchema.safeParse({ resolver: { transport: 'tor' } });
    assert.equal(strict.success, false);
    assert.deepEqual(strict.error?.issues[0]?.path, ['resolver', 'tor']);
    assert.match(strict.error!.issues[0]!.message, /transport is tor .* no Tor resolver/);
    const clear = routingConfigSchema.safeParse({ resolver: { transport: 'tor', tor: { servers: [{ address: '192.0.2.1:53' }] } } });
    assert.equal(clear.success, false);
    assert.deepEqual(clear.error?.issues[0]?.path, ['resolver', 'tor', 'servers', 0, 'tls']);
    const perDomain = routingConfigSchema.safeParse({ resolver: { torDomains: ['x.example'] } });
    assert.equal(perDomain.success, false);
    assert.deepEqual(perDomain.error?.issues[0]?.path, ['resolver', 'tor']);
  });

  it('the resolver onion gone: tempfail, never none', async () => {
    const nsd2 = await startAuthoritative({ zones: [{ origin: 'gone.test', records }] });
    const unbound2 = await startValidatingResolver({ stubs: [{ zone: 'gone.test', server: nsd2 }] });
    const onion = await net.addOnion({ host: unbound2.host, port: unbound2.port }, { virtualPort: 53 });
    try {
      const config = routingConfig({
        dnssec: 'prefer',
        cache: { minTtl: 0 },
        resolver: {
          transport: 'tor',
          retries: 0,
          tor: { socks: `${net.socks.host}:${net.socks.port}`, servers: [{ address: `${onion.hostname}:53` }], timeout: '30s' },
        },
      });
      const r = await createRouteResolver(config, { sighup: false });
      resolvers.push(r);
      assert.equal((await r.decide('a@gone.test')).kind, 'onion', 'reachable first');
      await onion.remove();
      // A resolver that has just gone still has its stream open; a new one (a restart, or after idleTimeout) has not.
      const fresh = await createRouteResolver(config, { sighup: false });
      resolvers.push(fresh);
      const d = await fresh.decide('b@gone.test');
      assert.equal(d.kind, 'tempfail', JSON.stringify(d));
      assert.match(d.reason, /through Tor to .*\.onion:53.*(descriptor|introduction|rendezvous|refused|timed out|no answer)/i);
    } finally {
      await Promise.all([nsd2.stop(), unbound2.stop()]);
    }
  });
});
