// Routing-core benchmark: decision throughput for map hits, SRV cache hits and cold SRV lookups against a real nsd,
// plus map load time and heap for large maps. Run: node --conditions=source --import tsx bench/routing/run.ts
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { createRouteResolver } from '@peergroup/onionmx';
import { routingConfig } from '@peergroup/onionmx';
import { loadMaps } from '@peergroup/onionmx';
import { onionFromPublicKey, parseOnionAddress } from '@peergroup/onionmx';
import { startAuthoritative } from '@peergroup/test-support/dns';

const onion = () => onionFromPublicKey(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
const rows: [string, string, string][] = [];
const dir = mkdtempSync(join(tmpdir(), 'pg-bench-routing-'));

async function timed(label: string, n: number, fn: (i: number) => Promise<unknown> | unknown, batch = 1): Promise<void> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i += batch) await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, j) => fn(i + j)));
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  rows.push([label, `${Math.round(n / s).toLocaleString('en')} /s`, `${((s / n) * 1e6).toFixed(1)} µs`]);
}

const onions = Array.from({ length: 256 }, onion);
await timed('parseOnionAddress (valid v3)', 200_000, (i) => parseOnionAddress(onions[i % 256]!));

for (const size of [10_000, 100_000]) {
  const file = join(dir, `map-${size}`);
  writeFileSync(file, Array.from({ length: size }, (_, i) => `d${i}.example ${onions[i % 256]}`).join('\n'));
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  const map = await loadMaps([{ path: file, format: 'native' }], false);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  globalThis.gc?.();
  const mb = (process.memoryUsage().heapUsed - before) / 1048576;
  // Use the map after measuring, so it is still live when the heap is measured.
  if (map.lookup(`d${size - 1}.example`) === undefined) throw new Error('map lookup failed');
  rows.push([
    `load native map, ${size.toLocaleString('en')} entries`,
    `${ms.toFixed(0)} ms`,
    `${mb.toFixed(1)} MiB heap${globalThis.gc ? '' : ' (no --expose-gc)'}`,
  ]);
  if (map.size !== size) throw new Error('map size mismatch');
}

const mapFile = join(dir, 'map-100000');
const nsdRecords = Array.from({ length: 2000 }, (_, i) => `_onion-mx._tcp.p${i} 3600 IN SRV 0 0 25 ${onions[i % 256]}.`).join('\n');
const nsd = await startAuthoritative({ zones: [{ origin: 'bench.test', records: nsdRecords }] });
try {
  const r = await createRouteResolver(
    routingConfig({ maps: [{ path: mapFile, format: 'native' }], watchMaps: false, resolver: { servers: [nsd.address] } }),
    { sighup: false },
  );
  await timed('decide: map hit (100k-entry map)', 200_000, (i) => r.decide(`u@d${i % 100_000}.example`), 100);
  await timed('decide: SRV, cold (real nsd, 50 in flight)', 2000, (i) => r.decide(`p${i}.bench.test`), 50);
  await timed('decide: SRV, cache hit', 200_000, (i) => r.decide(`p${i % 2000}.bench.test`), 100);
  await timed('decide: 1000 concurrent, one cold name (coalesced)', 1000, () => r.decide('p0.other.bench.test'), 1000);
  rows.push(['  → DNS queries for that name', String(r.srv.stats.queries - 2000), '(coalescing)']);
  await r.close();
} finally {
  await nsd.stop();
  rmSync(dir, { recursive: true, force: true });
}

const w = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c]!.length), ['case', 'rate / time', 'per op / memory'][c]!.length));
const line = (cells: string[]) => `| ${cells.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join(' | ')} |`;
console.log(line(['case', 'rate / time', 'per op / memory']));
console.log(`|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
console.log(`\nnode ${process.version}, ${process.platform}/${process.arch}`);
