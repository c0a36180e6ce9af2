import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRouteResolver, type RoutingResolver } from '../src/routing/routing.ts';
import { routingConfig } from '../src/routing/routing-config.ts';
import type { RouteDecision } from '../src/routing/route-decision.ts';
import { startAuthoritative, startValidatingResolver, type AuthoritativeServer, type ResolverServer } from '@peergroup/test-support/dns';
import { newOnion } from '@peergroup/test-support/onions';

const A = newOnion();
const B = newOnion();
const records = `_onion-mx._tcp 300 IN SRV 0 0 25 ${A}.\n`;

describe('DNSSEC policy with a zone signed at test time (ldns-signzone) and validating unbound', () => {
  let nsd: AuthoritativeServer;
  let unbound: ResolverServer;
  const resolvers: RoutingResolver[] = [];
  const router = async (dnssec: 'off' | 'prefer' | 'require') => {
    const r = await createRouteResolver(
      routingConfig({ dnssec, resolver: { servers: [unbound.address], timeoutMs: 3000 }, cache: { minTtl: 0 } }),
      { sighup: false },
    );
    resolvers.push(r);
    return r;
  };
  const decide = async (dnssec: 'off' | 'prefer' | 'require', domain: string): Promise<RouteDecision> =>
    (await router(dnssec)).decide(`postmaster@${domain}`);

  before(async () => {
    nsd = await startAuthoritative({
      zones: [
        { origin: 'signed.test', sign: true, records },
        { origin: 'plain.test', records },
        {
          origin: 'bogus.test',
          sign: true,
          records,
          // Change the signed SRV data after signing: its RRSIG no longer verifies, so a validator must call it bogus.
          tamper: (zone) => {
            const out = zone.replace(new RegExp(`(SRV\\s+0 0 25 )${A}\\.`), `$1${B}.`);
            assert.notEqual(out, zone, 'tamper found the SRV record');
            return out;
          },
        },
      ],
    });
    assert.equal(nsd.trustAnchors.length, 2);
    unbound = await startValidatingResolver({
      stubs: ['signed.test', 'plain.test', 'bogus.test'].map((zone) => ({ zone, server: nsd })),
      trustAnchors: nsd.trustAnchors,
    });
  });
  after(async () => {
    await Promise.all(resolvers.map((r) => r.close()));
    await Promise.all([nsd?.stop(), unbound?.stop()]);
  });

  it('require: accepts the signed answer and records that it was validated', async () => {
    const d = await decide('require', 'signed.test');
    assert.equal(d.kind, 'onion', JSON.stringify(d));
    assert.ok(d.kind === 'onion');
    assert.equal(d.host, A);
    assert.equal(d.source, 'srv');
    assert.equal(d.dnssec, true);
    assert.match(d.reason, /DNSSEC-validated/);
  });

  it('require: refuses the same data from an unsigned zone', async () => {
    const d = await decide('require', 'plain.test');
    assert.equal(d.kind, 'none', JSON.stringify(d));
    assert.match(d.reason, /not DNSSEC-validated .*require/);
  });

  it('prefer: accepts both and says which one was validated; off: asks for no validation', async () => {
    const signed = await decide('prefer', 'signed.test');
    const plain = await decide('prefer', 'plain.test');
    assert.ok(signed.kind === 'onion' && plain.kind === 'onion');
    assert.equal(signed.dnssec, true);
    assert.equal(plain.dnssec, false);
    assert.match(plain.reason, /not DNSSEC-validated/);
    const off = await decide('off', 'signed.test');
    assert.ok(off.kind === 'onion');
    assert.equal(off.dnssec, false);
  });

  it('a bogus (tampered) signature is tempfail under every policy, never none', async () => {
    for (const policy of ['require', 'prefer', 'off'] as const) {
      const d = await decide(policy, 'bogus.test');
      assert.equal(d.kind, 'tempfail', `${policy}: ${JSON.stringify(d)}`);
      assert.match(d.reason, /SERVFAIL/);
    }
  });

  it('require: an authenticated NXDOMAIN is none, marked validated in the cache', async () => {
    const r = await router('require');
    const d = await r.decide('nobody.signed.test');
    assert.equal(d.kind, 'none');
    const srv = await r.srv.lookup('nobody.signed.test');
    assert.ok(srv.kind === 'none' && srv.cached && srv.dnssec);
  });
});
