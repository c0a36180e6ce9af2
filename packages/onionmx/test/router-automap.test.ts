/**
 * Automap logic with an injected A-lookup function (the real Tor DNSPort path is exercised end to end in
 * test/e2e/router-exim.test.ts): network check, TTL clamping, coalescing, and the exim-automap reply form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAutomapper, ipv4InNetwork, parseIpv4Network, type ALookup } from '../src/router/automap.ts';
import { answerFor } from '../src/router/router-reply.ts';
import type { RouteDecision } from '../src/routing/route-decision.ts';
import { randomOnion } from '@peergroup/test-support/router-clients';

test('IPv4 networks: parse, membership, refusal of bad input', () => {
  const net = parseIpv4Network('127.192.0.0/10');
  assert.ok(ipv4InNetwork('127.192.0.1', net));
  assert.ok(ipv4InNetwork('127.255.255.254', net));
  assert.ok(!ipv4InNetwork('127.0.0.1', net));
  assert.ok(!ipv4InNetwork('10.0.0.1', net));
  assert.ok(!ipv4InNetwork('not-an-ip', net));
  assert.ok(ipv4InNetwork('8.8.8.8', parseIpv4Network('0.0.0.0/0')));
  for (const bad of ['127.192.0.0', '127.192.0.0/33', '300.1.1.1/8', 'x/8'])
    assert.throws(() => parseIpv4Network(bad), /not an IPv4 network/);
});

test('an answer outside the virtual network is refused: it would not go through Tor', async () => {
  const m = createAutomapper({
    lookupA: async () => ({ addresses: ['192.0.2.7'], ttl: 60 }),
    network: '127.192.0.0/10',
    minTtl: 0,
    maxTtl: 600,
  });
  const r = await m.map('x.onion');
  assert.equal(r.ok, false);
  assert.match((r as { reason: string }).reason, /192\.0\.2\.7.*not an address in 127\.192\.0\.0\/10.*AutomapHostsOnResolve/);
});

test('mappings are cached for the clamped TTL and concurrent lookups share one query', async () => {
  let queries = 0;
  let now = 1_000_000;
  const lookupA: ALookup = async () => {
    queries++;
    await new Promise((r) => setTimeout(r, 10));
    return { addresses: ['127.200.1.2'], ttl: 5 };
  };
  const m = createAutomapper({ lookupA, network: '127.192.0.0/10', minTtl: 30, maxTtl: 600, now: () => now });
  const [a, b] = await Promise.all([m.map('A.onion'), m.map('a.onion')]);
  assert.deepEqual(a, { ok: true, address: '127.200.1.2', cached: false });
  assert.equal(b.ok && b.address, '127.200.1.2');
  assert.equal(queries, 1, 'coalesced, case-folded');
  now += 29_000;
  assert.deepEqual(await m.map('a.onion'), { ok: true, address: '127.200.1.2', cached: true }, 'TTL 5 clamped up to minTtl 30');
  now += 2_000;
  assert.equal((await m.map('a.onion')).ok && queries, 2, 'expired: asked again');
});

test('a failing DNSPort is a failure with the reason, not an exception', async () => {
  const m = createAutomapper({
    lookupA: async () => Promise.reject(new Error('timeout')),
    network: '127.192.0.0/10',
    minTtl: 0,
    maxTtl: 1,
  });
  assert.deepEqual(await m.map('x.onion'), { ok: false, reason: 'Tor DNSPort lookup of x.onion failed: timeout' });
});

test('exim-automap form: every mappable target in order; none mappable is a tempfail, never not-found', async () => {
  const good = randomOnion();
  const bad = randomOnion();
  const decision: RouteDecision = {
    kind: 'onion',
    domain: 'd.test',
    host: bad,
    port: 25,
    targets: [
      { host: bad, port: 25 },
      { host: good, port: 2525 },
    ],
    source: 'srv',
    dnssec: false,
    ttl: 60,
    reason: 'test',
  };
  const automapper = createAutomapper({
    lookupA: async (name) => (name === good ? { addresses: ['127.201.0.9'], ttl: 60 } : Promise.reject(new Error('SERVFAIL'))),
    network: '127.192.0.0/10',
    minTtl: 0,
    maxTtl: 600,
  });
  const settings = { transport: 'smtptor', relay: { address: { host: '127.0.0.1', port: 10024 }, protocol: 'lmtp' as const }, automapper };
  assert.deepEqual(await answerFor(decision, 'exim-automap', settings, 'exim'), { kind: 'found', data: '127.201.0.9::2525' });
  const onlyBad = { ...decision, targets: [{ host: bad, port: 25 }] };
  const r = await answerFor(onlyBad, 'exim-automap', settings, 'exim');
  assert.equal(r.kind, 'tempfail');
  assert.match((r as { reason: string }).reason, /SERVFAIL/);
  const noMapper = await answerFor(decision, 'exim-automap', { ...settings, automapper: undefined }, 'exim');
  assert.equal(noMapper.kind, 'tempfail');
});

test('relay form in each MTA syntax, IPv6 relay for Exim uses the <; list form', async () => {
  const d: RouteDecision = {
    kind: 'onion',
    domain: 'd.test',
    host: 'x.onion',
    port: 25,
    targets: [{ host: 'x.onion', port: 25 }],
    source: 'map',
    dnssec: false,
    ttl: 1,
    reason: '',
  };
  const s = (host: string, protocol: 'lmtp' | 'smtp') => ({ transport: 't', relay: { address: { host, port: 10024 }, protocol } });
  assert.deepEqual(await answerFor(d, 'relay', s('127.0.0.1', 'lmtp'), 'postfix'), { kind: 'found', data: 'lmtp:inet:127.0.0.1:10024' });
  assert.deepEqual(await answerFor(d, 'relay', s('127.0.0.1', 'smtp'), 'postfix'), { kind: 'found', data: 'smtp:[127.0.0.1]:10024' });
  assert.deepEqual(await answerFor(d, 'relay', s('::1', 'lmtp'), 'postfix'), { kind: 'found', data: 'lmtp:inet:[::1]:10024' });
  assert.deepEqual(await answerFor(d, 'relay', s('::1', 'smtp'), 'exim'), { kind: 'found', data: '<;[::1]:10024' });
  assert.deepEqual(await answerFor(d, 'direct', s('::1', 'smtp'), 'postfix'), { kind: 'found', data: 't:[x.onion]:25' });
  assert.deepEqual(await answerFor({ kind: 'tempfail', domain: 'd.test', reason: 'SERVFAIL' }, 'direct', s('::1', 'smtp'), 'postfix'), {
    kind: 'tempfail',
    reason: 'SERVFAIL',
  });
  assert.deepEqual(await answerFor({ kind: 'none', domain: 'd.test', reason: 'no SRV', ttl: 1 }, 'exim-route', s('::1', 'smtp'), 'exim'), {
    kind: 'notfound',
    reason: 'no SRV',
  });
});
