import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import * as dnsPacket from 'dns-packet';
import type { SrvAnswer } from 'dns-packet';
import { buildQuery, DnsError, parseResponse, queryDns } from '../src/routing/dns-client.ts';
import { startAuthoritative, startServfailServer, startSilentServer, type AuthoritativeServer } from '@peergroup/test-support/dns';
import { freePort } from '@peergroup/test-support/ports';
import { newOnion } from '@peergroup/test-support/onions';

describe('DNS message codec (no I/O)', () => {
  it('sets RD always, and AD plus the EDNS0 DO bit only when DNSSEC is asked for', () => {
    const plain = dnsPacket.decode(buildQuery(4242, 'example.org', 'SRV'));
    assert.equal(plain.id, 4242);
    assert.equal(plain.flag_rd, true);
    assert.equal(plain.flag_ad, false);
    assert.deepEqual(plain.additionals, []);
    const sec = dnsPacket.decode(buildQuery(7, 'example.org', 'SRV', { dnssec: true }));
    assert.equal(sec.flag_ad, true);
    const opt = sec.additionals?.[0] as { type: string; flag_do: boolean; udpPayloadSize: number };
    assert.equal(opt.type, 'OPT');
    assert.equal(opt.flag_do, true);
    assert.equal(opt.udpPayloadSize, 1232);
    assert.equal(dnsPacket.decode(buildQuery(1, 'x.example', 'A', { recursionDesired: false })).flag_rd, false);
  });

  it('refuses garbage, a foreign id and an answer to another question', () => {
    const server = { host: '127.0.0.1', port: 53 };
    const reply = (id: number, name: string) => dnsPacket.encode({ type: 'response', id, questions: [{ name, type: 'SRV' }] });
    assert.equal(parseResponse(reply(9, 'Example.ORG'), 9, 'example.org.', 'SRV', server, 'udp').rcode, 'NOERROR');
    assert.throws(
      () => parseResponse(Buffer.from('garbage'), 9, 'example.org', 'SRV', server, 'udp'),
      (e: unknown) => e instanceof DnsError && e.kind === 'malformed',
    );
    assert.throws(() => parseResponse(reply(8, 'example.org'), 9, 'example.org', 'SRV', server, 'udp'), /not a response to our query/);
    assert.throws(() => parseResponse(reply(9, 'evil.example'), 9, 'example.org', 'SRV', server, 'udp'), /different question/);
  });
});

describe('queryDns against real and misbehaving servers', () => {
  let nsd: AuthoritativeServer;
  const onion = newOnion();
  before(async () => {
    // 40 SRV records do not fit a 512-byte UDP answer, so nsd sets TC and the client must come back over TCP.
    const big = Array.from({ length: 40 }, (_, i) => `_onion-mx._tcp.big 300 IN SRV ${i} 1 25 ${onion}.`).join('\n');
    nsd = await startAuthoritative({ zones: [{ origin: 'client.test', records: `www 60 IN A 192.0.2.7\n${big}\n` }] });
  });
  after(() => nsd?.stop());

  it('gets an answer over UDP with rcode and records', async () => {
    const res = await queryDns([nsd], 'www.client.test', 'A');
    assert.equal(res.rcode, 'NOERROR');
    assert.equal(res.transport, 'udp');
    assert.deepEqual(
      res.answers.map((a) => a.type === 'A' && a.data),
      ['192.0.2.7'],
    );
    assert.equal(res.authenticated, false);
  });

  it('returns NXDOMAIN as a response with the SOA in the authority section', async () => {
    const res = await queryDns([nsd], 'missing.client.test', 'A');
    assert.equal(res.rcode, 'NXDOMAIN');
    assert.ok(res.authorities.some((a) => a.type === 'SOA'));
  });

  it('repeats a truncated UDP answer over TCP, unless told not to', async () => {
    const res = await queryDns([nsd], '_onion-mx._tcp.big.client.test', 'SRV');
    assert.equal(res.transport, 'tcp');
    assert.equal(res.truncated, false);
    assert.equal(res.answers.filter((a): a is SrvAnswer => a.type === 'SRV').length, 40);
    const udpOnly = await queryDns([nsd], '_onion-mx._tcp.big.client.test', 'SRV', { tcpFallback: false });
    assert.equal(udpOnly.transport, 'udp');
    assert.equal(udpOnly.truncated, true);
    assert.ok(udpOnly.answers.length < 40);
  });

  it('throws a timeout DnsError after the retries when nobody answers', async () => {
    const silent = await startSilentServer();
    try {
      const started = Date.now();
      await assert.rejects(queryDns([silent], 'www.client.test', 'A', { timeoutMs: 150, retries: 2 }), (e: unknown) => {
        return e instanceof DnsError && e.kind === 'timeout' && /after 3 tries/.test(e.message);
      });
      assert.equal(silent.received, 3);
      assert.ok(Date.now() - started >= 400);
    } finally {
      await silent.stop();
    }
  });

  it('moves on to the next server when one is silent or SERVFAILs', async () => {
    const silent = await startSilentServer();
    const servfail = await startServfailServer();
    try {
      const res = await queryDns([silent, servfail, nsd], 'www.client.test', 'A', { timeoutMs: 150, retries: 0 });
      assert.equal(res.rcode, 'NOERROR');
      assert.equal(res.server.port, nsd.port);
      assert.equal(silent.received, 1);
      assert.equal(servfail.received, 1);
      // Only SERVFAIL to be had: it is returned (as a response) for the caller to turn into a tempfail.
      const sf = await queryDns([servfail], 'www.client.test', 'A', { retries: 3 });
      assert.equal(sf.rcode, 'SERVFAIL');
      assert.equal(servfail.received, 2, 'a SERVFAIL is not retried on the same server');
    } finally {
      await Promise.all([silent.stop(), servfail.stop()]);
    }
  });

  it('asks again without EDNS when a server answers FORMERR to the OPT record (FAKE pre-EDNS server)', async () => {
    const seen: boolean[] = [];
    const old = createSocket('udp4');
    old.on('message', (m, r) => {
      const q = dnsPacket.decode(m);
      const edns = (q.additionals ?? []).some((a) => a.type === 'OPT');
      seen.push(edns);
      const formerr = 1;
      const reply = edns
        ? dnsPacket.encode({ type: 'response', id: q.id ?? 0, flags: formerr, questions: q.questions ?? [] })
        : dnsPacket.encode({
            type: 'response',
            id: q.id ?? 0,
            questions: q.questions ?? [],
            answers: [{ type: 'A', name: 'www.client.test', ttl: 5, data: '192.0.2.9' }],
          });
      old.send(reply, r.port, r.address);
    });
    await new Promise<void>((r) => old.bind(0, '127.0.0.1', () => r()));
    try {
      const res = await queryDns([{ host: '127.0.0.1', port: old.address().port }], 'www.client.test', 'A', { dnssec: true, retries: 0 });
      assert.equal(res.rcode, 'NOERROR');
      assert.equal(res.authenticated, false);
      assert.deepEqual(seen, [true, false]);
    } finally {
      old.close();
    }
  });

  it('reports a refused port as a network error and garbage answers as malformed (FAKE garbage server)', async () => {
    const closed = await freePort();
    await assert.rejects(
      queryDns([{ host: '127.0.0.1', port: closed }], 'www.client.test', 'A', { timeoutMs: 500, retries: 0 }),
      (e: unknown) => e instanceof DnsError && e.kind === 'network',
    );
    const garbage = createSocket('udp4');
    garbage.on('message', (_m, r) => garbage.send(Buffer.from('not dns at all'), r.port, r.address));
    await new Promise<void>((r) => garbage.bind(0, '127.0.0.1', () => r()));
    try {
      await assert.rejects(
        queryDns([{ host: '127.0.0.1', port: garbage.address().port }], 'www.client.test', 'A', { timeoutMs: 200, retries: 0 }),
        (e: unknown) => e instanceof DnsError && e.kind === 'malformed',
      );
    } finally {
      garbage.close();
    }
  });
});
