/**
 * bench/relay: the relay's own cost, without Tor (the relay dials the sink directly; Tor's throughput is not
 * the relay's to measure).
 *  1. Throughput: 1 MB messages over SMTP, straight to a discarding sink vs through the relay to the same sink,
 *     same client, same run; ratio relay/direct (goal ≥ 80 %).
 *  2. Memory: 100 concurrent 25 MB messages through the relay (a separate process); peak RSS growth of that
 *     process over its idle RSS (goal < 64 MB). Message data is generated on the fly and discarded by the sink,
 *     so only the relay could hold it.
 * Run: node --conditions=source --import tsx bench/relay/run.ts [--messages N] [--concurrency C] [--big N] [--big-mb MB]
 * Env: RELAY_BENCH_ROUNDS (3); RELAY_BENCH_BASELINE=<checkout> measures that tree's relay in the same rounds (before
 * and after of a change from one run: `git archive <commit> | tar -x -C DIR`, node_modules with @peergroup/* linked
 * to DIR's packages).
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
// RELAY_BENCH_BASELINE=<checkout>: the relay of another tree (e.g. `git archive` of an older commit, with its own
// node_modules) measured in the same run, round for round, as the baseline of a change.
const BASELINE = process.env.RELAY_BENCH_BASELINE;
const ROUNDS = Number(process.env.RELAY_BENCH_ROUNDS ?? 3);

interface RelayProcess {
  child: ReturnType<typeof spawn>;
  ports: { lmtp: number; smtp: number };
}

async function startRelayProcess(script: string, cwd: string): Promise<RelayProcess> {
  const child = spawn(
    process.execPath,
    [...relayFlags, '--conditions=source', '--import', 'tsx', script, String(sink.port), join(dir, 'map')],
    {
      cwd,
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
  return { child, ports };
}

const relays: { name: string; proc: RelayProcess }[] = [
  { name: 'through the relay', proc: await startRelayProcess(new URL('./relay-process.ts', import.meta.url).pathname, process.cwd()) },
];
if (BASELINE)
  relays.push({ name: 'through the baseline', proc: await startRelayProcess(join(BASELINE, 'bench/relay/relay-process.ts'), BASELINE) });
const { child } = relays[0]!.proc;

// Warm-up (JIT, sockets), then alternate direct and relay runs so machine noise hits both alike.
await throughput(sink.port, 'w@peer.example');
for (const r of relays) await throughput(r.proc.ports.smtp, 'w@peer.example');
const direct: number[] = [];
// The bench process itself (client + sink) does the same work per byte on both paths; its CPU shows whether it,
// rather than the relay, is what limits a path on a busy machine.
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
let benchCpuDirect = 0;
// Per relay: MB/s and CPU per round. The relay's user time is its own code; its system time is mostly the kernel
// copying bytes in and out of sockets. On a shared machine other load inflates CPU time too: the least-disturbed
// round (the minimum) is printed next to the median.
const perRelay = relays.map(() => ({ mbps: [] as number[], user: [] as number[], sys: [] as number[], benchCpu: 0 }));
const roundGb = (Math.ceil(MESSAGES / CONCURRENCY) * CONCURRENCY) / 1024;
for (let round = 0; round < ROUNDS; round++) {
  const own0 = ownCpu();
  direct.push((await throughput(sink.port, 'b@peer.example')).mbps);
  benchCpuDirect += ownCpu() - own0;
  // Odd rounds take the relays in the other order, so neither always runs right after the direct path.
  const order = [...relays.entries()];
  if (round % 2 === 1) order.reverse();
  for (const [i, r] of order) {
    const m = perRelay[i]!;
    const cpu0 = cpuSeconds(r.proc.child.pid!);
    const own1 = ownCpu();
    m.mbps.push((await throughput(r.proc.ports.smtp, 'b@peer.example')).mbps);
    m.benchCpu += ownCpu() - own1;
    const cpu1 = cpuSeconds(r.proc.child.pid!);
    m.user.push((cpu1.user - cpu0.user) / roundGb);
    m.sys.push((cpu1.sys - cpu0.sys) / roundGb);
  }
}
const relayedGb = ROUNDS * roundGb;
const d = median(direct);

// Memory: 100 concurrent big messages through each relay, one relay at a time.
const memory: { idle: number; peak: number; seconds: number; ok: number }[] = [];
for (const r of relays) {
  const m = await peakRssDuring(r.proc.child.pid!, () =>
    sendConcurrently(r.proc.ports.smtp, { mailFrom: MAIL_FROM, rcpt: 'big@peer.example', count: BIG, mb: BIG_MB }),
  );
  memory.push({ idle: m.idle, peak: m.peak, seconds: m.seconds, ok: m.result.filter((c) => c === 250).length });
}

console.log('\nbench/relay — relay measured without Tor (direct dial to the sink); Node ' + process.version);
console.log(
  `\nThroughput, 1 MB messages over SMTP, ${CONCURRENCY} connections x ${Math.ceil(MESSAGES / CONCURRENCY)} messages, median of ${ROUNDS} rounds` +
    (BASELINE ? `; baseline: the relay of ${BASELINE}, in the same rounds` : ''),
);
const roundsText = (xs: number[]) =>
  xs
    .map((x) => x.toFixed(1))
    .join(', ')
    .padEnd(36);
console.log('| path                  | MB/s (rounds)                        | median MB/s | of direct |');
console.log('|-----------------------|--------------------------------------|-------------|-----------|');
console.log(`| direct to sink        | ${roundsText(direct)} | ${d.toFixed(1).padStart(11)} |           |`);
for (const [i, r] of relays.entries()) {
  const x = median(perRelay[i]!.mbps);
  console.log(
    `| ${r.name.padEnd(21)} | ${roundsText(perRelay[i]!.mbps)} | ${x.toFixed(1).padStart(11)} | ${((x / d) * 100).toFixed(1).padStart(8)}% |`,
  );
}
console.log('goal: the relay >= 80% of direct');
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const minOf = (xs: number[]) => Math.min(...xs);
console.log(
  `\nRelay process CPU per GB relayed, median (least-disturbed round); load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}, ${cpus().length} cores; goal <= 1.0 s`,
);
console.log('| relay                 | total s/GB     | user s/GB      | system s/GB    | bench process s/GB |');
console.log('|-----------------------|----------------|----------------|----------------|--------------------|');
console.log(
  `| (direct to sink)      |                |                |                | ${(benchCpuDirect / relayedGb).toFixed(2).padStart(18)} |`,
);
for (const [i, r] of relays.entries()) {
  const m = perRelay[i]!;
  const total = m.user.map((u, k) => u + m.sys[k]!);
  const cell = (xs: number[]) => `${median(xs).toFixed(2)} (${minOf(xs).toFixed(2)})`.padEnd(14);
  console.log(
    `| ${r.name.padEnd(21)} | ${cell(total)} | ${cell(m.user)} | ${cell(m.sys)} | ${(m.benchCpu / relayedGb).toFixed(2).padStart(18)} |`,
  );
}
// On a machine with no core to spare, the two processes of the relay path share the CPU the direct path has alone:
// throughput then follows CPU per byte, whatever the relay does.
for (const [i, r] of relays.entries()) {
  const m = perRelay[i]!;
  const relayCpu = (sum(m.user) + sum(m.sys)) / ROUNDS;
  console.log(
    `CPU-bound estimate, ${r.name}: direct's CPU / (bench + relay CPU) = ${((benchCpuDirect / relayedGb / (m.benchCpu / relayedGb + relayCpu)) * 100).toFixed(0)}% of direct`,
  );
}
console.log(`\nMemory, ${BIG} concurrent ${BIG_MB} MB messages through the relay process`);
console.log('| relay                 | delivered | seconds | RSS idle   | RSS peak   | growth   | goal     |');
console.log('|-----------------------|-----------|---------|------------|------------|----------|----------|');
for (const [i, r] of relays.entries()) {
  const m = memory[i]!;
  console.log(
    `| ${r.name.padEnd(21)} | ${`${m.ok}/${BIG}`.padStart(9)} | ${m.seconds.toFixed(1).padStart(7)} | ${(mb(m.idle) + ' MB').padStart(10)} | ${(mb(m.peak) + ' MB').padStart(10)} | ${(mb(m.peak - m.idle) + ' MB').padStart(8)} | < 64 MB  |`,
  );
}

for (const r of relays) r.proc.child.kill('SIGTERM');
await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
await sink.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
