/**
 * Router benchmark (not a test): lookups/s and p50/p99 latency over N persistent connections, cached and uncached,
 * for tcp_table and socketmap. The router runs alone in a child process (one Node thread: one core); this process
 * only generates load, one outstanding request per connection, as Postfix does.
 *
 *   node --conditions=source --import tsx bench/router/run.ts [--seconds 3] [--connections 1,16,64]
 *
 * cached-map:  domains from the curated map (in memory).
 * cached-srv:  a small set of SRV domains, warmed first: answered from the routing core's SRV cache.
 * uncached:    a second router whose SRV cache holds one entry, asked for a cycling set of 60,000 domains:
 *              every lookup is a real SRV query to a real nsd.
 *
 * The router's own CPU time per lookup (user+system, from process.cpuUsage in the router process) gives its
 * capacity on one core independently of the load generator competing for the same cores.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';

const self = fileURLToPath(import.meta.url);

interface Result {
  lookups: number;
  seconds: number;
  latencies: Float64Array;
  errors: number;
}

type Proto = 'tcp_table' | 'socketmap';

/** One persistent connection issuing requests back to back until `deadline`. */
function drive(
  port: number,
  proto: Proto,
  nextKey: () => string,
  deadline: number,
  lat: number[],
  expect: RegExp,
): Promise<{ n: number; errors: number }> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ host: '127.0.0.1', port, noDelay: true });
    let buf = '';
    let n = 0;
    let errors = 0;
    let sent = 0;
    const send = () => {
      const key = nextKey();
      sent = performance.now();
      if (proto === 'tcp_table') s.write(`get ${key}\n`);
      else {
        const body = `onionmx ${key}`;
        s.write(`${Buffer.byteLength(body)}:${body},`);
      }
    };
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      buf += d;
      for (;;) {
        let reply: string;
        if (proto === 'tcp_table') {
          const nl = buf.indexOf('\n');
          if (nl < 0) return;
          reply = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
        } else {
          const colon = buf.indexOf(':');
          if (colon < 0) return;
          const len = Number(buf.slice(0, colon));
          if (buf.length < colon + 1 + len + 1) return;
          reply = buf.slice(colon + 1, colon + 1 + len);
          buf = buf.slice(colon + 2 + len);
        }
        lat.push(performance.now() - sent);
        n++;
        if (!expect.test(reply)) errors++;
        if (performance.now() >= deadline) {
          s.end();
          resolve({ n, errors });
          return;
        }
        send();
      }
    });
    s.once('error', reject);
    s.once('connect', send);
  });
}

async function measure(port: number, proto: Proto, conns: number, seconds: number, nextKey: () => string, expect: RegExp): Promise<Result> {
  const lat: number[] = [];
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const runs = await Promise.all(Array.from({ length: conns }, () => drive(port, proto, nextKey, deadline, lat, expect)));
  const elapsed = (performance.now() - start) / 1000;
  const sorted = Float64Array.from(lat).sort();
  return {
    lookups: runs.reduce((a, r) => a + r.n, 0),
    seconds: elapsed,
    latencies: sorted,
    errors: runs.reduce((a, r) => a + r.errors, 0),
  };
}

const pct = (a: Float64Array, p: number) => (a.length ? a[Math.min(a.length - 1, Math.floor((p / 100) * a.length))]! : NaN);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '3' }, connections: { type: 'string', default: '1,16,64' } },
  });
  const seconds = Number(values.seconds);
  const connSets = values.connections!.split(',').map(Number);
  const { startAuthoritative } = await import('@peergroup/test-support/dns');
  const { onionFromPublicKey } = await import('@peergroup/onionmx');
  const { randomBytes } = await import('node:crypto');
  const onion = onionFromPublicKey(randomBytes(32));
  const dir = mkdtempSync(join(tmpdir(), 'pg-bench-router-'));
  const mapDomains = Array.from({ length: 1000 }, (_, i) => `m${i}.map.bench`);
  writeFileSync(join(dir, 'onion.map'), mapDomains.map((d) => `${d} ${onion}\n`).join(''));
  // One SRV record per domain (not a wildcard: nsd's response-rate limiting buckets all wildcard answers together
  // and would cap the uncached rows at ~200/s). Each fresh domain is one real query to nsd.
  const FRESH = 60_000;
  const records = Array.from({ length: FRESH }, (_, i) => `_onion-mx._tcp.f${i} IN SRV 0 0 25 ${onion}.`);
  records.push(...Array.from({ length: 200 }, (_, i) => `_onion-mx._tcp.w${i} IN SRV 0 0 25 ${onion}.`));
  const nsd = await startAuthoritative({ zones: [{ origin: 'srv.bench', records: records.join('\n') + '\n', ttl: 3600 }] });
  const children: ChildProcess[] = [];
  const startChild = async (cacheEntries: number) => {
    const child = fork(self, ['--serve', join(dir, 'onion.map'), nsd.address, String(cacheEntries)], {
      execArgv: [
        '--conditions=source',
        '--import',
        'tsx',
        ...(process.env.BENCH_ROUTER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_ROUTER_PROF}`] : []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    const ports = await new Promise<{ tcp: number; sm: number }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { tcp: number; sm: number }));
      child.once('exit', (code) => reject(new Error(`router exited ${code}`)));
    });
    return { child, ports };
  };
  try {
    // One router with a large SRV cache (cached rows), one whose cache holds a single entry (uncached rows: every
    // lookup of a cycling set of domains is a real DNS query).
    const cachedRouter = await startChild(10_000_000);
    const uncachedRouter = await startChild(1);
    const srvWarm = Array.from({ length: 200 }, (_, i) => `w${i}.srv.bench`);
    // Warm the SRV cache for the cached-srv case.
    await measure(
      cachedRouter.ports.tcp,
      'tcp_table',
      8,
      0.5,
      (
        (i) => () =>
          `u@${srvWarm[i++ % srvWarm.length]}`
      )(0),
      /^200 /,
    );
    let fresh = 0;
    const cases: { name: string; router: typeof cachedRouter; key: () => string }[] = [
      {
        name: 'cached-map',
        router: cachedRouter,
        key: (
          (i) => () =>
            `u@${mapDomains[i++ % mapDomains.length]}`
        )(0),
      },
      {
        name: 'cached-srv',
        router: cachedRouter,
        key: (
          (i) => () =>
            `u@${srvWarm[i++ % srvWarm.length]}`
        )(0),
      },
      { name: 'uncached', router: uncachedRouter, key: () => `u@f${fresh++ % FRESH}.srv.bench` },
    ];
    const cpu = (child: ChildProcess) =>
      new Promise<number>((resolve) => {
        child.once('message', (m) => resolve((m as { cpu: number }).cpu));
        child.send('cpu');
      });
    const rows: string[][] = [];
    for (const proto of ['tcp_table', 'socketmap'] as const) {
      for (const c of cases) {
        for (const conns of connSets) {
          const cpuBefore = await cpu(c.router.child);
          const r = await measure(
            proto === 'tcp_table' ? c.router.ports.tcp : c.router.ports.sm,
            proto,
            conns,
            seconds,
            c.key,
            proto === 'tcp_table' ? /^200 / : /^OK /,
          );
          const cpuPerLookup = (await cpu(c.router.child)) - cpuBefore; // µs of router CPU (user+system) for this row
          const usPer = cpuPerLookup / Math.max(1, r.lookups);
          rows.push([
            proto,
            c.name,
            String(conns),
            String(r.lookups),
            Math.round(r.lookups / r.seconds).toLocaleString('en-US'),
            (pct(r.latencies, 50) * 1000).toFixed(0),
            (pct(r.latencies, 99) * 1000).toFixed(0),
            usPer.toFixed(1),
            Math.round(1e6 / usPer).toLocaleString('en-US'),
            String(r.errors),
          ]);
          process.stderr.write('.');
        }
      }
    }
    process.stderr.write('\n');
    const head = [
      'protocol',
      'case',
      'conns',
      'lookups',
      'lookups/s',
      'p50 µs',
      'p99 µs',
      'router CPU µs/lookup',
      'lookups/s per router core',
      'wrong',
    ];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) =>
      '| ' + cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ') + ' |';
    const os = await import('node:os');
    console.log(
      `router benchmark: ${seconds}s per row, router in its own process (node ${process.version}, ${os.cpus().length} cpus, load average ${os.loadavg()[0]!.toFixed(1)} at the end)`,
    );
    console.log('lookups/s is end to end with the load generator on the same machine; "per router core" = 1e6 / router CPU µs per lookup.');
    console.log(line(head));
    console.log('|' + widths.map((w, i) => (i >= 2 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|');
    for (const r of rows) console.log(line(r));
  } finally {
    for (const child of children) {
      if (child.exitCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await exited;
    }
    await nsd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function serve(): Promise<void> {
  // Child: the router under test.
  const { startRouter } = await import('@peergroup/onionmx');
  const { routerConfigSchema } = await import('@peergroup/onionmx');
  const { silentLogger } = await import('@peergroup/service');
  const [mapFile, dns, cacheEntries] = [process.argv[3]!, process.argv[4]!, Number(process.argv[5])];
  const svc = await startRouter(
    routerConfigSchema.parse({
      routing: {
        maps: [{ path: mapFile }],
        watchMaps: false,
        resolver: { servers: [dns], timeoutMs: 2000, retries: 1 },
        dnssec: 'off',
        cache: { maxEntries: cacheEntries },
      },
      tcpTable: { listen: '127.0.0.1:0' },
      socketmap: { listen: '127.0.0.1:0' },
      limits: { maxConnections: 4096 },
      logSummaryInterval: 0,
    }),
    { logger: silentLogger(), registry: new Registry() },
  );
  process.send!({ tcp: svc.addresses.tcp_table!.port, sm: svc.addresses.socketmap!.port });
  process.on('message', (m) => {
    if (m === 'stop') void svc.close().then(() => process.exit(0));
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send!({ cpu: u.user + u.system });
    }
  });
}

if (process.argv[2] === '--serve') await serve();
else await main();
