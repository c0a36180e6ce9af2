/**
 * The router daemon against the real routing core: a real map file, SRV from a real nsd, and a DNS server that
 * never answers for the outage case. Only the "never settles" resolver in the timeout test is a test-local fake
 * (a routing decision that hangs cannot be produced on demand otherwise), and its test name says so.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { startRouter } from '../src/router/router.ts';
import { routerConfigSchema, type RouterConfigInput } from '../src/router/router-config.ts';
import { silentLogger } from '@peergroup/service';
import type { RunningService } from '@peergroup/service';
import { encodeNetstring } from '@peergroup/mta-codecs';
import { startAuthoritative, startSilentServer, type DnsServer } from '@peergroup/test-support/dns';
import { SocketmapClient, TcpTableClient, connectTo, eximQuery, randomOnion } from '@peergroup/test-support/router-clients';

const mapped = randomOnion();
const srvA = randomOnion();
const srvB = randomOnion();
let dir: string;
let nsd: DnsServer;
let silent: DnsServer;
let router: RunningService;
let outage: RunningService;
let registry: Registry;

function config(extra: Partial<RouterConfigInput>, dns: string, srv = true): ReturnType<typeof routerConfigSchema.parse> {
  return routerConfigSchema.parse({
    routing: {
      maps: [{ path: join(dir, 'map.txt') }],
      watchMaps: false,
      srv,
      resolver: { servers: [dns], timeoutMs: 200, retries: 0 },
      dnssec: 'off',
      ownDomains: ['ours.test'],
    },
    tcpTable: { listen: '127.0.0.1:0' },
    socketmap: { listen: '127.0.0.1:0' },
    exim: { listen: '127.0.0.1:0' },
    relay: { address: '127.0.0.1:10024' },
    metrics: { listen: '127.0.0.1:0' },
    logSummaryInterval: 0,
    ...extra,
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pg-router-'));
  writeFileSync(join(dir, 'map.txt'), `# test map\nmapped.test ${mapped}\nport.test ${mapped}:2525\n`);
  nsd = await startAuthoritative({
    zones: [
      {
        origin: 'srv.test',
        records: `_onion-mx._tcp 300 IN SRV 10 0 25 ${srvA}.\n_onion-mx._tcp 300 IN SRV 20 0 2525 ${srvB}.\n`,
      },
      { origin: 'plain.test', records: 'www IN A 192.0.2.1' },
    ],
  });
  silent = await startSilentServer();
  registry = new Registry();
  router = await startRouter(config({}, nsd.address), { logger: silentLogger(), registry });
  outage = await startRouter(config({ metrics: undefined }, silent.address), { logger: silentLogger(), registry: new Registry() });
});

after(async () => {
  await router?.close();
  await outage?.close();
  await nsd?.stop();
  await silent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const port = (svc: RunningService, proto: string) => svc.addresses[proto]!.port;

describe('tcp_table', () => {
  test('answers map, SRV, not-found, own domain and the `get *` probe, folding case', async () => {
    const c = await TcpTableClient.open(port(router, 'tcp_table'));
    try {
      assert.equal(await c.get('*'), '500 no%20default%20route');
      assert.equal(await c.get('User@MAPPED.test'), `200 smtptor:[${mapped}]:25`);
      assert.equal(await c.get('mapped.test'), `200 smtptor:[${mapped}]:25`, 'domain-only key (Postfix tries it after the address)');
      assert.equal(await c.get('a%40port.test'), `200 smtptor:[${mapped}]:2525`, '%XX-decoded key, map port honoured');
      assert.equal(await c.get('x@srv.test'), `200 smtptor:[${srvA}]:25`, 'first SRV target by priority');
      assert.match(await c.get('x@plain.test'), /^500 /);
      assert.match(await c.get('x@ours.test'), /^500 .*own%20domains/);
      assert.match(await c.get('.mapped.test'), /^500 /, 'parent-domain probe never routes a whole tree');
    } finally {
      c.close();
    }
  });

  test('a DNS outage is 400 (retry), never 500', async () => {
    const c = await TcpTableClient.open(port(outage, 'tcp_table'));
    try {
      assert.match(await c.get('x@srv.test'), /^400 /);
      assert.equal(await c.get('x@mapped.test'), `200 smtptor:[${mapped}]:25`, 'map entries still answer during the outage');
    } finally {
      c.close();
    }
  });

  test('pipelined requests in one write are answered in order; bad requests get 400 and keep the connection', async () => {
    const c = await TcpTableClient.open(port(router, 'tcp_table'));
    try {
      const replies = await c.raw('get x@srv.test\nget a@mapped.test\nput a b\nget *\nget a%zz\nget b@port.test\n', 6);
      assert.deepEqual(replies, [
        `200 smtptor:[${srvA}]:25`,
        `200 smtptor:[${mapped}]:25`,
        '400 bad%20request:%20only%20the%20get%20request%20is%20supported',
        '500 no%20default%20route',
        '400 bad%20request:%20bad%20%25-escape%20at%20offset%201',
        `200 smtptor:[${mapped}]:2525`,
      ]);
      assert.equal(await c.get('mapped.test'), `200 smtptor:[${mapped}]:25`, 'still usable');
    } finally {
      c.close();
    }
  });

  test('an over-long line gets 400 and that connection closes; other connections are unaffected', async () => {
    const other = await TcpTableClient.open(port(router, 'tcp_table'));
    const c = await TcpTableClient.open(port(router, 'tcp_table'));
    try {
      const [reply] = await c.raw(`get ${'a'.repeat(5000)}\n`);
      assert.equal(reply, '400 request%20too%20long');
      await c.closed;
      assert.equal(await other.get('mapped.test'), `200 smtptor:[${mapped}]:25`);
    } finally {
      other.close();
      c.close();
    }
  });

  test('many connections at once, many requests each', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => TcpTableClient.open(port(router, 'tcp_table'))));
    try {
      const results = await Promise.all(
        clients.map(async (c, i) => {
          const out: string[] = [];
          for (let j = 0; j < 25; j++) out.push(await c.get((i + j) % 2 ? `u${j}@mapped.test` : `u${j}@srv.test`));
          return out;
        }),
      );
      for (const [i, out] of results.entries()) {
        for (const [j, r] of out.entries()) assert.equal(r, `200 smtptor:[${(i + j) % 2 ? mapped : srvA}]:25`);
      }
    } finally {
      for (const c of clients) c.close();
    }
  });
});

describe('socketmap', () => {
  test('OK, NOTFOUND, TEMP and PERM for an unknown map name', async () => {
    const c = await SocketmapClient.open(port(router, 'socketmap'));
    const o = await SocketmapClient.open(port(outage, 'socketmap'));
    try {
      assert.equal(await c.lookup('onionmx', 'User@Mapped.Test'), `OK smtptor:[${mapped}]:25`);
      assert.equal(await c.lookup('onionmx', 'x@plain.test'), 'NOTFOUND ');
      assert.match(await c.lookup('other', 'x@mapped.test'), /^PERM unknown map name "other"/);
      assert.match(await o.lookup('onionmx', 'x@srv.test'), /^TEMP /);
    } finally {
      c.close();
      o.close();
    }
  });

  test('a malformed netstring closes only that connection', async () => {
    const good = await SocketmapClient.open(port(router, 'socketmap'));
    const bad = await SocketmapClient.open(port(router, 'socketmap'));
    try {
      bad.socket.write('11:onionmx a@b;');
      await bad.closed;
      const evil = await SocketmapClient.open(port(router, 'socketmap'));
      evil.socket.write('99999999:');
      await evil.closed;
      assert.equal(await good.lookup('onionmx', 'a@mapped.test'), `OK smtptor:[${mapped}]:25`);
      const errors = await registry.getSingleMetricAsString('onionmx_router_protocol_errors_total');
      assert.match(errors, /protocol="socketmap",reason="bad_netstring"} 2/);
    } finally {
      good.close();
      bad.close();
    }
  });

  test('several requests in one write are answered in order', async () => {
    const c = await SocketmapClient.open(port(router, 'socketmap'));
    try {
      const wire = Buffer.concat([
        encodeNetstring('onionmx x@srv.test'),
        encodeNetstring('onionmx y@plain.test'),
        encodeNetstring('onionmx z@port.test'),
      ]);
      assert.deepEqual(await c.raw(wire, 3), [`OK smtptor:[${srvA}]:25`, 'NOTFOUND ', `OK smtptor:[${mapped}]:2525`]);
    } finally {
      c.close();
    }
  });
});

describe('exim readsocket', () => {
  test('request ended by LF, or by EOF alone; reply once, then close', async () => {
    const p = port(router, 'exim');
    assert.equal(await eximQuery(p, 'srv.test\n'), `${srvA}::25:${srvB}::2525`, 'every SRV target in order');
    assert.equal(await eximQuery(p, 'MAPPED.test'), `${mapped}::25`, 'EOF-terminated request');
    assert.equal(await eximQuery(p, 'port.test\n', { halfClose: false }), `${mapped}::2525`, 'LF alone completes the request');
    assert.equal(await eximQuery(p, 'plain.test\n'), '', 'not found is empty: the manualroute router declines');
    assert.match(await eximQuery(port(outage, 'exim'), 'srv.test\n'), /^DEFER /, 'DNS outage is a defer, never empty');
    assert.match(await eximQuery(p, 'a\nb\n'), /^DEFER bad request: more than one request line/);
  });

  test('a client that never finishes its request is dropped after limits.requestTimeout', async () => {
    const svc = await startRouter(config({ limits: { requestTimeout: 200 }, metrics: undefined }, nsd.address), {
      logger: silentLogger(),
      registry: new Registry(),
    });
    try {
      const s = await connectTo(port(svc, 'exim'));
      s.write('mapped.te');
      const started = Date.now();
      await new Promise((r) => s.once('close', r));
      assert.ok(Date.now() - started < 3000);
    } finally {
      await svc.close();
    }
  });
});

describe('reply forms', () => {
  test('relay form answers the relay address in each MTA syntax; exim-route on an Exim listener', async () => {
    const svc = await startRouter(
      config(
        {
          tcpTable: { listen: '127.0.0.1:0', reply: 'relay' },
          socketmap: { listen: '127.0.0.1:0', reply: 'relay', name: 'relay' },
          exim: { listen: '127.0.0.1:0', reply: 'relay' },
          relay: { address: '127.0.0.1:10024', protocol: 'lmtp' },
          transport: 'torsmtp',
          metrics: undefined,
        },
        nsd.address,
      ),
      { logger: silentLogger(), registry: new Registry() },
    );
    const c = await TcpTableClient.open(port(svc, 'tcp_table'));
    const m = await SocketmapClient.open(port(svc, 'socketmap'));
    try {
      assert.equal(await c.get('x@srv.test'), '200 lmtp:inet:127.0.0.1:10024');
      assert.match(await c.get('x@plain.test'), /^500 /, 'the relay form routes onion domains only');
      assert.equal(await m.lookup('relay', 'x@mapped.test'), 'OK lmtp:inet:127.0.0.1:10024');
      assert.equal(await eximQuery(port(svc, 'exim'), 'mapped.test\n'), '127.0.0.1::10024');
    } finally {
      c.close();
      m.close();
      await svc.close();
    }
  });
});

describe('limits, timeouts, metrics', () => {
  test('connections past limits.maxConnections get a tempfail reply, not a hang', async () => {
    const svc = await startRouter(config({ limits: { maxConnections: 2 }, metrics: undefined }, nsd.address), {
      logger: silentLogger(),
      registry: new Registry(),
    });
    const a = await TcpTableClient.open(port(svc, 'tcp_table'));
    const b = await TcpTableClient.open(port(svc, 'tcp_table'));
    try {
      assert.equal(await a.get('mapped.test'), `200 smtptor:[${mapped}]:25`);
      const c = await TcpTableClient.open(port(svc, 'tcp_table'));
      assert.equal((await c.raw('get mapped.test\n'))[0], '400 too many connections');
      await c.closed;
      b.close();
      await b.closed;
      await new Promise((r) => setTimeout(r, 50));
      const d = await TcpTableClient.open(port(svc, 'tcp_table'));
      assert.equal(await d.get('mapped.test'), `200 smtptor:[${mapped}]:25`, 'a freed slot is usable again');
      d.close();
    } finally {
      a.close();
      b.close();
      await svc.close();
    }
  });

  test('a routing decision that never settles (test-local fake resolver) becomes a tempfail after limits.lookupTimeout', async () => {
    const never = { decide: () => new Promise<never>(() => {}) };
    const svc = await startRouter(config({ limits: { lookupTimeout: 300 }, metrics: undefined }, nsd.address), {
      logger: silentLogger(),
      registry: new Registry(),
      resolver: never,
    });
    const c = await TcpTableClient.open(port(svc, 'tcp_table'));
    try {
      assert.match(await c.get('x@mapped.test'), /^400 routing%20decision%20took%20longer%20than%20300ms/);
      assert.match(await eximQuery(port(svc, 'exim'), 'mapped.test\n'), /^DEFER routing decision took longer/);
    } finally {
      c.close();
      await svc.close();
    }
  });

  test('/metrics counts lookups by protocol and result and shows open connections; /healthz is ok', async () => {
    const c = await TcpTableClient.open(port(router, 'tcp_table'));
    try {
      await c.get('x@mapped.test');
      const m = router.addresses.metrics!;
      const text = await (await fetch(`http://127.0.0.1:${m.port}/metrics`)).text();
      assert.match(text, /onionmx_router_lookups_total\{protocol="tcp_table",result="found"\} [1-9]\d*/);
      assert.match(text, /onionmx_router_lookups_total\{protocol="socketmap",result="notfound"\} [1-9]/);
      assert.match(text, /onionmx_router_lookups_total\{protocol="exim",result="found"\} [1-9]/);
      assert.match(text, /onionmx_router_open_connections\{protocol="tcp_table"\} [1-9]/);
      assert.match(text, /onionmx_route_srv_cache_hits_total [1-9]/, 'the routing core shares the registry');
      const ratio = Number(/onionmx_router_srv_cache_hit_ratio ([\d.e-]+)/.exec(text)?.[1]);
      assert.ok(ratio > 0 && ratio < 1, `hit ratio ${ratio}`);
      assert.match(text, /onionmx_route_dns_duration_seconds_bucket/, 'DNS latency histogram');
      assert.match(text, /onionmx_router_lookup_duration_seconds_bucket/);
      const health = await fetch(`http://127.0.0.1:${m.port}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      c.close();
    }
  });
});

describe('map reload', () => {
  test('a map file change is picked up while lookups continue, and none of them fails meanwhile', async () => {
    const mapFile = join(dir, 'reload.map');
    const before = randomOnion();
    const afterOnion = randomOnion();
    writeFileSync(mapFile, `reload.test ${before}\n`);
    const svc = await startRouter(
      routerConfigSchema.parse({
        routing: { maps: [{ path: mapFile }], watchMaps: true, srv: false },
        tcpTable: { listen: '127.0.0.1:0' },
        logSummaryInterval: 0,
      }),
      { logger: silentLogger(), registry: new Registry() },
    );
    const clients = await Promise.all([1, 2, 3, 4].map(() => TcpTableClient.open(port(svc, 'tcp_table'))));
    try {
      const seen = new Set<string>();
      let stop = false;
      const loops = clients.map(async (c) => {
        while (!stop) seen.add(await c.get('x@reload.test'));
      });
      await new Promise((r) => setTimeout(r, 100));
      writeFileSync(mapFile, `reload.test ${afterOnion}\n`);
      const deadline = Date.now() + 10_000;
      while (!seen.has(`200 smtptor:[${afterOnion}]:25`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      stop = true;
      await Promise.all(loops);
      assert.deepEqual(
        [...seen].sort(),
        [`200 smtptor:[${afterOnion}]:25`, `200 smtptor:[${before}]:25`].sort(),
        'only the old and the new answer, never a failure',
      );
    } finally {
      for (const c of clients) c.close();
      await svc.close();
    }
  });
});

describe('start-up', () => {
  test('a listener port in use fails start-up with an error naming the key', async () => {
    const blocker = (await import('node:net')).createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busy = (blocker.address() as { port: number }).port;
    try {
      const cfg = config(
        { tcpTable: { listen: '127.0.0.1:0' }, socketmap: undefined, exim: { listen: `127.0.0.1:${busy}` }, metrics: undefined },
        nsd.address,
      );
      await assert.rejects(startRouter(cfg, { logger: silentLogger(), registry: new Registry() }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'EADDRINUSE');
        assert.match(err.message, new RegExp(`^exim.listen 127.0.0.1:${busy}: cannot listen`));
        return true;
      });
    } finally {
      blocker.close();
    }
  });
});

describe('config', () => {
  test('unknown keys, missing sections and bad combinations fail naming the key', () => {
    const bad = (input: unknown) => {
      const r = routerConfigSchema.safeParse(input);
      assert.equal(r.success, false);
      return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    };
    assert.match(bad({ routing: {}, tcpTable: { listen: '127.0.0.1:1', bogus: 1 } }), /tcpTable: .*bogus/);
    assert.match(bad({ routing: {} }), /tcpTable: no listener configured/);
    assert.match(bad({ tcpTable: { listen: '127.0.0.1:1' } }), /^routing: /m);
    assert.match(
      bad({ routing: {}, exim: { listen: '127.0.0.1:1', reply: 'exim-automap' } }),
      /automap.dns: required because exim.reply is exim-automap/,
    );
    assert.match(bad({ routing: {}, tcpTable: { listen: '0.0.0.0:1' } }), /tcpTable.listen: must be a loopback address/);
    assert.match(bad({ routing: {}, tcpTable: { listen: '127.0.0.1:1', reply: 'carrier-pigeon' } }), /tcpTable.reply/);
    assert.match(bad({ routing: {}, tcpTable: { listen: '127.0.0.1:1' }, automap: { network: '10.0.0.0/33' } }), /automap.network/);
  });
});
