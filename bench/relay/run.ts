/**
 * bench/relay: the relay's own cost, without Tor (the relay dials the sink directly; Tor's throughput is not
 * the relay's to measure).
 *  1. Throughput: 1 MB messages over SMTP, straight to a discarding sink vs through the relay to the same sink,
 *     same client, same run; ratio relay/direct (goal ≥ 90 %).
 *  2. Memory: 100 concurrent 25 MB messages through the relay (a separate process); peak RSS growth of that
 *     process over its idle RSS (goal < 64 MB). Message data is generated on the fly and discarded by the sink,
 *     so only the relay could hold it.
 * Run: node --conditions=source --import tsx bench/relay/run.ts [--messages N] [--concurrency C] [--big N] [--big-mb MB]
 * Also printed: CPU seconds per GB of the relay process and of this process (client + sink), the steadier numbers
 * on a shared machine. Env: RELAY_BENCH_PROF=<dir> writes a CPU profile of the relay process; RELAY_NODE_FLAGS adds
 * node flags to it (e.g. --trace-gc, whose output then goes to stderr).
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { onionFromPublicKey } from '@peergroup/onionmx';
import { smtpBenchArgs } from '../support/args.ts';
import { sendConcurrently, startDiscardingMx, throughput as measureThroughput } from '../support/smtp-client.ts';
import { median, mb, peakRssDuring } from '../support/stats.ts';

const { messages: MESSAGES, concurrency: CONCURRENCY, big: BIG, bigMb: BIG_MB } = smtpBenchArgs();

const MAIL_FROM = 'bench@here.test';
const throughput = (port: number, rcpt: string) =>
  measureThroughput(port, { mailFrom: MAIL_FROM, rcpt, messages: MESSAGES, concurrency: CONCURRENCY });

/** user and system CPU seconds of a process (/proc/<pid>/stat fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): { user: number; sys: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return { user: Number(fields[11]) / 100, sys: Number(fields[12]) / 100 };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-relay-'));
// A sink that reads and discards every byte: the far MX both paths deliver to.
const sink = await startDiscardingMx();
const onion = onionFromPublicKey(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
writeFileSync(join(dir, 'map'), `peer.example ${onion}\n`);
// RELAY_BENCH_PROF=<dir>: CPU profile of the relay process; RELAY_NODE_FLAGS: extra node flags for it (experiments).
const relayFlags = [
  ...(process.env.RELAY_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.RELAY_BENCH_PROF}`] : []),
  ...(process.env.RELAY_NODE_FLAGS ? process.env.RELAY_NODE_FLAGS.split(' ').filter(Boolean) : []),
];
const child = spawn(
  process.execPath,
  [
    ...relayFlags,
    '--conditions=source',
    '--import',
    'tsx',
    new URL('./relay-process.ts', import.meta.url).pathname,
    String(sink.port),
    join(dir, 'map'),
  ],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
process.on('exit', () => child.kill('SIGKILL'));
const ports = await new Promise<{ lmtp: number; smtp: number }>((resolve) => {
  let out = '';
  child.stdout!.on('data', (b: Buffer) => {
    if (relayFlags.length) process.stderr.write(b); // e.g. --trace-gc output
    out += b.toString();
    const m = /lmtp (\d+) smtp (\d+)/.exec(out);
    if (m) resolve({ lmtp: Number(m[1]), smtp: Number(m[2]) });
  });
});

// Warm-up (JIT, sockets), then alternate direct and relay runs so machine noise hits both alike.
await throughput(sink.port, 'w@peer.example');
await throughput(ports.smtp, 'w@peer.example');
const direct: number[] = [];
const relayed: number[] = [];
// The relay's user time is its own code; its system time is mostly the kernel copying bytes in and out of sockets.
let relayUser = 0;
let relaySys = 0;
// The bench process itself (client + sink) does the same work per byte on both paths; its CPU shows whether it,
// rather than the relay, is what limits a path on a busy machine.
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
let benchCpuDirect = 0;
let benchCpuRelay = 0;
for (let round = 0; round < 3; round++) {
  let own0 = ownCpu();
  direct.push((await throughput(sink.port, 'b@peer.example')).mbps);
  benchCpuDirect += ownCpu() - own0;
  const cpu0 = cpuSeconds(child.pid!);
  own0 = ownCpu();
  relayed.push((await throughput(ports.smtp, 'b@peer.example')).mbps);
  benchCpuRelay += ownCpu() - own0;
  const cpu1 = cpuSeconds(child.pid!);
  relayUser += cpu1.user - cpu0.user;
  relaySys += cpu1.sys - cpu0.sys;
}
const relayedGb = (3 * Math.ceil(MESSAGES / CONCURRENCY) * CONCURRENCY) / 1024;
const d = median(direct);
const r = median(relayed);

// Memory: 100 concurrent big messages through the relay.
const {
  idle,
  peak,
  seconds: bigSeconds,
  result: codes,
} = await peakRssDuring(child.pid!, () =>
  sendConcurrently(ports.smtp, { mailFrom: MAIL_FROM, rcpt: 'big@peer.example', count: BIG, mb: BIG_MB }),
);
const ok = codes.filter((c) => c === 250).length;

console.log('\nbench/relay — relay measured without Tor (direct dial to the sink); Node ' + process.version);
console.log(
  `\nThroughput, 1 MB messages over SMTP, ${CONCURRENCY} connections x ${Math.ceil(MESSAGES / CONCURRENCY)} messages, median of 3 rounds`,
);
console.log('| path                  | MB/s (rounds)                        | median MB/s |');
console.log('|-----------------------|--------------------------------------|-------------|');
console.log(
  `| direct to sink        | ${direct
    .map((x) => x.toFixed(1))
    .join(', ')
    .padEnd(36)} | ${d.toFixed(1).padStart(11)} |`,
);
console.log(
  `| through the relay     | ${relayed
    .map((x) => x.toFixed(1))
    .join(', ')
    .padEnd(36)} | ${r.toFixed(1).padStart(11)} |`,
);
console.log(`| ratio relay / direct  | ${''.padEnd(36)} | ${((r / d) * 100).toFixed(1).padStart(10)}% |  goal >= 90%`);
console.log(
  `\nRelay process CPU: ${((relayUser + relaySys) / relayedGb).toFixed(2)} s per GB relayed (user ${(relayUser / relayedGb).toFixed(2)}, system ${(relaySys / relayedGb).toFixed(2)}; load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}, ${cpus().length} cores)`,
);
console.log(
  `Bench process (client + sink) CPU: ${(benchCpuDirect / relayedGb).toFixed(2)} s per GB direct, ${(benchCpuRelay / relayedGb).toFixed(2)} s per GB through the relay`,
);
console.log(
  `\nMemory, ${BIG} concurrent ${BIG_MB} MB messages through the relay process (${ok}/${BIG} delivered, ${bigSeconds.toFixed(1)} s)`,
);
console.log('| relay RSS idle | relay RSS peak | growth   | goal     |');
console.log('|----------------|----------------|----------|----------|');
console.log(
  `| ${(mb(idle) + ' MB').padStart(14)} | ${(mb(peak) + ' MB').padStart(14)} | ${(mb(peak - idle) + ' MB').padStart(8)} | < 64 MB  |`,
);

child.kill('SIGTERM');
await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
await sink.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
