// How long the private Tor network takes to become usable, how long an ephemeral onion takes until it answers through
// the client, and how much memory the tor processes use. Run: node --conditions=source --import tsx bench/tornet/run.ts [networks] [onions]
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { startTornet, type Tornet } from '@peergroup/tornet';
import { socksConnect } from '@peergroup/tornet';

const networks = Number(process.argv[2] ?? 2);
const onionsPerNet = Number(process.argv[3] ?? 8);

function stats(name: string, unit: string, xs: number[]): string[] {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const f = (v: number): string => (unit === 'ms' ? v.toFixed(0) : v.toFixed(1));
  return [name, unit, String(s.length), f(s[0]!), f(q(0.5)), f(q(0.9)), f(s[s.length - 1]!)];
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function firstByte(net: Tornet, host: string, username: string): Promise<number> {
  const t0 = performance.now();
  const res = await socksConnect(net.socks, { host, port: 25 }, { credentials: { username, password: 'x' }, timeoutMs: 60_000 });
  if (!res.ok) throw new Error(`SOCKS reply ${res.reply}`);
  await new Promise<void>((resolve) => res.socket.once('data', () => resolve()));
  res.socket.destroy();
  return performance.now() - t0;
}

const sink = createServer((s) => s.end('220 bench\r\n'));
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
const target = { host: '127.0.0.1', port: (sink.address() as { port: number }).port };

const startMs: number[] = [];
const withServiceMs: number[] = [];
const addSeqMs: number[] = [];
const addParMs: number[] = [];
const newCircuitMs: number[] = [];
const sameCircuitMs: number[] = [];
const rss: number[] = [];

for (let i = 0; i < networks; i++) {
  const t0 = performance.now();
  const net = await startTornet({ services: [{ name: 'mx', target }] });
  withServiceMs.push(performance.now() - t0);
  try {
    rss.push(net.pids.reduce((sum, pid) => sum + rssMb(pid), 0));
    for (let j = 0; j < onionsPerNet; j++) {
      const a = performance.now();
      const o = await net.addOnion(target);
      addSeqMs.push(performance.now() - a);
      newCircuitMs.push(await firstByte(net, o.hostname, `bench-${i}-${j}`));
      sameCircuitMs.push(await firstByte(net, o.hostname, `bench-${i}-${j}`));
    }
    const a = performance.now();
    await Promise.all(
      Array.from({ length: onionsPerNet }, async () => {
        await net.addOnion(target);
        addParMs.push(performance.now() - a);
      }),
    );
  } finally {
    await net.stop();
  }
}
// A network without HiddenServiceDir services is ready when client and service node have bootstrapped.
for (let i = 0; i < networks; i++) {
  const t0 = performance.now();
  const net = await startTornet();
  startMs.push(performance.now() - t0);
  await net.stop();
}
sink.close();

const rows = [
  ['measure', 'unit', 'n', 'min', 'median', 'p90', 'max'],
  stats('startTornet() without services', 'ms', startMs),
  stats('startTornet() + 1 HiddenServiceDir reachable', 'ms', withServiceMs),
  stats('addOnion() until reachable, one at a time', 'ms', addSeqMs),
  stats(`addOnion() x${onionsPerNet} at once, each until reachable`, 'ms', addParMs),
  stats('banner via onion, new SOCKS username (new circuit)', 'ms', newCircuitMs),
  stats('banner via onion, same username (circuit reused)', 'ms', sameCircuitMs),
  stats('RSS of the 7 tor processes', 'MB', rss),
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
