/**
 * DNS over TLS to a clearnet resolver through a Tor exit (issue #17, case b): a private Tor network whose exit may
 * reach 127.0.0.1 only, and a validating unbound with a TLS listener whose certificate comes from a CA made here with
 * openssl. Answers and the AD bit arrive through the exit; a certificate from another CA or for another name, and a
 * stopped Tor client, are a tempfail — never an answer, never cleartext. Own network: the test stops the client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SrvAnswer } from 'dns-packet';
import { startTornet, type Tornet } from '@peergroup/tornet';
import {
  startAuthoritative,
  startSilentServer,
  startUnboundWithConfig,
  type AuthoritativeServer,
  type ConfiguredServer,
} from '@peergroup/test-support/dns';
import { newOnion } from '@peergroup/test-support/onions';
import { freePort } from '@peergroup/test-support/ports';
import { requirePrerequisite } from '@peergroup/test-support/prerequisites';
import { run } from '@peergroup/test-support/proc';
import { createRouteResolver, type RoutingResolver } from '../src/routing/routing.ts';
import { routingConfig } from '../src/routing/routing-config.ts';
import { TorDnsUpstream, type TorDnsTls } from '../src/routing/dns-over-tor.ts';

const A = newOnion();
const NAME = 'dot.resolver.test';

/** A CA and a server certificate for NAME signed by it, plus an unrelated CA; PEM files in `dir`. */
async function makeCertificates(dir: string): Promise<{ ca: string; otherCa: string; key: string; pem: string }> {
  const f = (n: string) => join(dir, n);
  const openssl = async (...args: string[]) => {
    const r = await run('openssl', args, { cwd: dir });
    if (r.code !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  for (const ca of ['ca', 'other-ca']) {
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      f(`${ca}.key`),
      '-out',
      f(`${ca}.pem`),
      '-days',
      '2',
      '-subj',
      `/CN=peergroup test ${ca}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    );
  }
  await openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
    '-subj',
    `/CN=${NAME}`,
  );
  writeFileSync(f('server.ext'), `subjectAltName=DNS:${NAME}\nextendedKeyUsage=serverAuth\n`);
  await openssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.pem'),
    '-days',
    '2',
    '-extfile',
    f('server.ext'),
  );
  return { ca: f('ca.pem'), otherCa: f('other-ca.pem'), key: f('server.key'), pem: f('server.pem') };
}

describe('DNS over TLS through a Tor exit to a clearnet resolver (real tor, openssl, nsd, unbound)', () => {
  let net: Tornet;
  let nsd: AuthoritativeServer;
  let unbound: ConfiguredServer;
  let tlsPort: number;
  let certs: Awaited<ReturnType<typeof makeCertificates>>;
  const upstreams: TorDnsUpstream[] = [];
  const resolvers: RoutingResolver[] = [];

  const upstream = (tls: TorDnsTls) => {
    const u = new TorDnsUpstream({
      socks: net.socks,
      server: { host: '127.0.0.1', port: tlsPort },
      tls,
      timeoutMs: 60_000,
      idleTimeoutMs: 60_000,
    });
    upstreams.push(u);
    return u;
  };
  const routing = (tls: { name: string; ca: string }, timeout = '60s') =>
    routingConfig({
      dnssec: 'require',
      cache: { minTtl: 0, negativeTtl: 0 },
      resolver: {
        transport: 'tor',
        retries: 0,
        tor: { socks: `${net.socks.host}:${net.socks.port}`, servers: [{ address: `127.0.0.1:${tlsPort}`, tls }], timeout },
      },
    });
  const resolver = async (tls: { name: string; ca: string }, timeout?: string) => {
    const r = await createRouteResolver(routing(tls, timeout), { sighup: false });
    resolvers.push(r);
    return r;
  };
  const tlsQueries = () =>
    unbound
      .output()
      .split('\n')
      .filter((l) => / info: 127\.0\.0\.1 _onion-mx\._tcp\./.test(l)).length;

  before(async () => {
    requirePrerequisite('openssl');
    const dir = mkdtempSync(join(tmpdir(), 'pg-unbound-tls-'));
    certs = await makeCertificates(dir);
    nsd = await startAuthoritative({
      zones: [
        { origin: 'signed.test', sign: true, records: `_onion-mx._tcp 300 IN SRV 0 0 25 ${A}.\n` },
        { origin: 'plain.test', records: `_onion-mx._tcp 300 IN SRV 0 0 25 ${A}.\n` },
      ],
    });
    tlsPort = await freePort();
    unbound = await startUnboundWithConfig({
      dir,
      // The plain port is the helper's readiness check; mail routing is only ever sent to the TLS one.
      config: (port) => `server:
  interface: 127.0.0.1@${port}
  interface: 127.0.0.1@${tlsPort}
  tls-port: ${tlsPort}
  tls-service-key: "${certs.key}"
  tls-service-pem: "${certs.pem}"
  log-queries: yes
  access-control: 127.0.0.0/8 allow
  module-config: "validator iterator"
  qname-minimisation: no
  local-zone: "test." nodefault
${nsd.trustAnchors.map((a) => `  trust-anchor: "${a.replace(/\s+/g, ' ')}"\n`).join('')}remote-control:
  control-enable: no
stub-zone:
  name: "signed.test."
  stub-addr: ${nsd.host}@${nsd.port}
stub-zone:
  name: "plain.test."
  stub-addr: ${nsd.host}@${nsd.port}
`,
    });
    net = await startTornet({ exitRelay: true });
  });
  after(async () => {
    for (const u of upstreams) u.close();
    await Promise.all(resolvers.map((r) => r.close()));
    await net?.stop();
    await Promise.all([unbound?.stop(), nsd?.stop()]);
  });

  it('answers SRV through the exit over TLS, with the AD bit for the signed zone only', async () => {
    assert.equal(net.exitRelay, 'relay1');
    const u = upstream({ servername: NAME, ca: readFileSync(certs.ca) });
    const signed = await u.query('_onion-mx._tcp.signed.test', 'SRV', { dnssec: true });
    assert.equal(signed.transport, 'tor-tls');
    assert.equal(signed.rcode, 'NOERROR');
    assert.equal(signed.authenticated, true);
    assert.deepEqual(
      signed.answers.filter((a): a is SrvAnswer => a.type === 'SRV').map((a) => a.data.target),
      [A],
    );
    const plain = await u.query('_onion-mx._tcp.plain.test', 'SRV', { dnssec: true });
    assert.equal(plain.authenticated, false);
    assert.equal(plain.answers.length, 1);
    assert.equal(u.stats.streams, 1, 'one TLS stream for both');
    assert.ok(tlsQueries() >= 2, 'the queries reached unbound');

    // The routing decision, from the config keys an operator writes.
    const r = await resolver({ name: NAME, ca: certs.ca });
    const d = await r.decide('someone@signed.test');
    assert.ok(d.kind === 'onion' && d.host === A && d.dnssec, JSON.stringify(d));
    assert.equal((await r.decide('someone@plain.test')).kind, 'none', 'dnssec require still refuses the unsigned zone');
  });

  it('a certificate from another CA, or for another name, is a tempfail and no query is sent', async () => {
    const before = tlsQueries();
    for (const [tls, why] of [
      [{ name: NAME, ca: certs.otherCa }, /self[- ]signed|unable to (get|verify)|certificate/i],
      [{ name: 'other.resolver.test', ca: certs.ca }, /altnames|does not match|Hostname\/IP/i],
    ] as const) {
      const r = await resolver(tls);
      const d = await r.decide('someone@signed.test');
      assert.equal(d.kind, 'tempfail', JSON.stringify(d));
      assert.match(d.reason, /DNS over TLS through Tor to 127\.0\.0\.1:\d+: TLS with .* failed/);
      assert.match(d.reason, why);
    }
    assert.equal(tlsQueries(), before, 'nothing was asked over a connection that failed verification');
  });

  it('the Tor client stopped: tempfail, and the cleartext resolver is never asked', async () => {
    const silent = await startSilentServer();
    try {
      const config = routing({ name: NAME, ca: certs.ca }, '10s');
      const r = await createRouteResolver(
        { ...config, resolver: { ...config.resolver, servers: [{ host: silent.host, port: silent.port }] } },
        { sighup: false },
      );
      resolvers.push(r);
      await net.stopClient();
      try {
        const d = await r.decide('someone@signed.test');
        assert.equal(d.kind, 'tempfail', JSON.stringify(d));
        assert.match(d.reason, /through Tor to 127\.0\.0\.1:\d+/);
      } finally {
        await net.startClient();
      }
      assert.equal(silent.received, 0);
      // Back once Tor is.
      const again = await r.decide('other@signed.test');
      assert.equal(again.kind, 'onion', JSON.stringify(again));
    } finally {
      await silent.stop();
    }
  });
});
