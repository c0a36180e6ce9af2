// SRV lookups through Tor against the same lookups in cleartext, in one run: a validating unbound (in front of nsd)
// asked over UDP on loopback (baseline, today's path) and through a private Tor network at its onion service — on one
// warm reused stream, and with a new stream on a new circuit per query. Then cached decisions (Tor vs UDP) and the
// cache-hit rate for a Zipf-like recipient-domain mix. Run: node --conditions=source --import tsx bench/routing/tor-dns.ts
import { generateKeyPairSync } from 'node:crypto';
import {
  createRouteResolver,
  dialThroughTor,
  onionFromPublicKey,
  routingConfig,
  TorDnsUpstream,
  queryDns,
  type RoutingConfigInput,
} from '@peergroup/onionmx';
import { startTornet } from '@peergroup/tornet';
import { startAuthoritative, startValidatingResolver } from '@peergroup/test-support/dns';
import { percentile as pct } from '../support/stats.ts';

const COLD = Number(process.env.BENCH_COLD ?? 60);
const DOMAINS = 2000;
const MIX = 20_000;
const onion = () => onionFromPublicKey(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
const target = onion();

const rows: string[][] = [];
function latencyRow(label: string, ms: number[], base?: number[]): void {
  const ratio = base ? `${(pct(ms, 50) / pct(base, 50)).toFixed(1)}×` : '1.0×';
  rows.push([label, `${pct(ms, 50).toFixed(2)} ms`, `${pct(ms, 99).toFixed(2)} ms`, ratio]);
}
async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out;
}

const records = Array.from({ length: DOMAINS }, (_, i) => `_onion-mx._tcp.p${i} 3600 IN SRV 0 0 25 ${target}.`).join('\n');
const nsd = await startAuthoritative({ zones: [{ origin: 'bench.test', records }] });
const unbound = await startValidatingResolver({ stubs: [{ zone: 'bench.test', server: nsd }] });
const net = await startTornet({ handleSignals: true });
try {
  const resolverOnion = await net.addOnion({ host: unbound.host, port: unbound.port }, { virtualPort: 53 });
  const server = { host: resolverOnion.hostname, port: 53 };
  const warm = new TorDnsUpstream({ socks: net.socks, server, timeoutMs: 60_000, idleTimeoutMs: 600_000 });
  let fresh = 0;
  // A SOCKS username per query: Tor builds a new circuit (and, to an onion, a new rendezvous) for every one.
  const perQuery = new TorDnsUpstream({
    socks: net.socks,
    server,
    timeoutMs: 60_000,
    idleTimeoutMs: 600_000,
    streamPerQuery: true,
    dialer: (o) => dialThroughTor({ ...o, isolationKey: `${o.isolationKey} ${fresh++}` }),
  });
  await warm.query('_onion-mx._tcp.p0.bench.test', 'SRV'); // opens the stream
  const udpMs = await timeEach(COLD, (i) => queryDns([unbound], `_onion-mx._tcp.p${1 + i}.bench.test`, 'SRV'));
  latencyRow('cold SRV, UDP to loopback unbound (baseline)', udpMs);
  const warmMs = await timeEach(COLD, (i) => warm.query(`_onion-mx._tcp.p${1 + COLD + i}.bench.test`, 'SRV'));
  latencyRow('cold SRV, Tor onion, warm reused stream', warmMs, udpMs);
  const perMs = await timeEach(Math.min(COLD, 20), (i) => perQuery.query(`_onion-mx._tcp.p${1 + 2 * COLD + i}.bench.test`, 'SRV'));
  latencyRow('cold SRV, Tor onion, new circuit per query', perMs, udpMs);
  rows.push(['  → streams opened (warm / per query)', String(warm.stats.streams), String(perQuery.stats.streams), '']);
  warm.close();

  const base: RoutingConfigInput = { dnssec: 'off', cache: { minTtl: 3600 } };
  const udpR = await createRouteResolver(routingConfig({ ...base, resolver: { servers: [unbound.address] } }), { sighup: false });
  const torR = await createRouteResolver(
    routingConfig({
      ...base,
      resolver: { transport: 'tor', tor: { socks: `${net.socks.host}:${net.socks.port}`, servers: [{ address: `${server.host}:53` }] } },
    }),
    { sighup: false },
  );
  await udpR.decide('a@p1.bench.test');
  await torR.decide('a@p1.bench.test');
  const hitUdp = await timeEach(20_000, () => udpR.decide('a@p1.bench.test'));
  const hitTor = await timeEach(20_000, () => torR.decide('a@p1.bench.test'));
  latencyRow(
    'cached decision, UDP config',
    hitUdp.map((x) => x * 1000),
    undefined,
  );
  latencyRow(
    'cached decision, Tor config',
    hitTor.map((x) => x * 1000),
    hitUdp.map((x) => x * 1000),
  );
  rows[rows.length - 2]![1] = `${(pct(hitUdp, 50) * 1000).toFixed(1)} µs`;
  rows[rows.length - 2]![2] = `${(pct(hitUdp, 99) * 1000).toFixed(1)} µs`;
  rows[rows.length - 1]![1] = `${(pct(hitTor, 50) * 1000).toFixed(1)} µs`;
  rows[rows.length - 1]![2] = `${(pct(hitTor, 99) * 1000).toFixed(1)} µs`;

  // Zipf (s = 1) over the domains: a few peers get most mail, a long tail gets a message now and then.
  const weights = Array.from({ length: DOMAINS }, (_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  weights.reduce((acc, w, i) => (cdf[i] = acc + w / total), 0);
  const pick = () => {
    const u = Math.random();
    let lo = 0;
    let hi = DOMAINS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const mixR = await createRouteResolver(
    routingConfig({
      ...base,
      resolver: { transport: 'tor', tor: { socks: `${net.socks.host}:${net.socks.port}`, servers: [{ address: `${server.host}:53` }] } },
    }),
    { sighup: false },
  );
  const t0 = Date.now();
  for (let i = 0; i < MIX; i += 50) await Promise.all(Array.from({ length: 50 }, () => mixR.decide(`u@p${pick()}.bench.test`)));
  const s = mixR.srv.stats;
  rows.push([
    `Zipf mix, ${MIX} decisions over ${DOMAINS} domains (Tor)`,
    `${((s.cacheHits / (s.cacheHits + s.cacheMisses)) * 100).toFixed(1)} % hits`,
    `${s.queries} queries`,
    `${((Date.now() - t0) / 1000).toFixed(1)} s`,
  ]);
  await Promise.all([udpR.close(), torR.close(), mixR.close()]);
  perQuery.close();
} finally {
  await net.stop();
  await Promise.all([unbound.stop(), nsd.stop()]);
}

const head = ['case', 'p50', 'p99', 'p50 vs baseline'];
const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
const line = (cells: string[]) => `| ${cells.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join(' | ')} |`;
console.log(line(head));
console.log(`|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log(
  `\nnode ${process.version}, ${process.platform}/${process.arch}; private Tor network on loopback (no real latency: Tor's own cost only)`,
);
