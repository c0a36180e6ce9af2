/**
 * bench/inbound: the inbound front's own cost (no Tor: Tor's throughput is not the front's to measure).
 *  1. Throughput: 1 MB messages over SMTP straight to a discarding MX vs through `peergroup onionmx inbound` (the
 *     CLI process, XCLIENT mode) to the same MX; same client, same run, alternating rounds; ratio front/direct.
 *  2. Memory: N concurrent M MB messages through the front process; peak RSS growth over its idle RSS. The data is
 *     generated on the fly and discarded by the MX, so only the front could hold it (it streams: it must not).
 * Run: node --conditions=source --import tsx bench/inbound/run.ts [--messages N] [--concurrency C] [--big N] [--big-mb MB]
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { smtpBenchArgs } from '../support/args.ts';
import { BenchSmtpClient, sendConcurrently, startDiscardingMx, throughput as measureThroughput } from '../support/smtp-client.ts';
import { median, mb, peakRssDuring } from '../support/stats.ts';

const { messages: MESSAGES, concurrency: CONCURRENCY, big: BIG, bigMb: BIG_MB } = smtpBenchArgs();

const MAIL_FROM = 'bench@peer.test';
const throughput = async (port: number) =>
  (await measureThroughput(port, { mailFrom: MAIL_FROM, rcpt: 'user@ours.test', messages: MESSAGES, concurrency: CONCURRENCY })).mbps;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// The internal MX of both paths: accepts XCLIENT from the front (as Postfix would), discards data.
const mx = await startDiscardingMx({ xclient: true });
const frontPort = await freePort();
const cli = new URL('../../packages/cli/bin/peergroup.js', import.meta.url).pathname;
const child = spawn(
  process.execPath,
  [
    cli,
    'onionmx',
    'inbound',
    '--listen',
    `127.0.0.1:${frontPort}`,
    '--mx',
    `127.0.0.1:${mx.port}`,
    '--domain',
    'ours.test',
    '--max-sessions',
    String(BIG + CONCURRENCY + 10),
    '--max-message-size',
    String((BIG_MB + 1) * 1024 * 1024),
  ],
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PEERGROUP_LOG_LEVEL: 'warn' } },
);
process.on('exit', () => child.kill('SIGKILL'));
let stderr = '';
child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
for (let i = 0; ; i++) {
  try {
    (await BenchSmtpClient.open(frontPort, MAIL_FROM)).close();
    break;
  } catch {
    if (i > 200 || child.exitCode !== null) throw new Error(`front did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

await throughput(mx.port);
await throughput(frontPort);
const direct: number[] = [];
const fronted: number[] = [];
for (let round = 0; round < 3; round++) {
  direct.push(await throughput(mx.port));
  fronted.push(await throughput(frontPort));
}
const d = median(direct);
const f = median(fronted);

const {
  idle,
  peak,
  seconds: bigSeconds,
  result: codes,
} = await peakRssDuring(child.pid!, () =>
  sendConcurrently(frontPort, { mailFrom: MAIL_FROM, rcpt: 'big@ours.test', count: BIG, mb: BIG_MB }),
);
const ok = codes.filter((c) => c === 250).length;

console.log('\nbench/inbound — the onion inbound front without Tor (client → front → MX on loopback); Node ' + process.version);
console.log(`\nThroughput, 1 MB messages, ${CONCURRENCY} connections x ${Math.ceil(MESSAGES / CONCURRENCY)} messages, median of 3 rounds`);
console.log('| path                   | MB/s (rounds)                        | median MB/s |');
console.log('|------------------------|--------------------------------------|-------------|');
console.log(
  `| direct to the MX       | ${direct
    .map((x) => x.toFixed(1))
    .join(', ')
    .padEnd(36)} | ${d.toFixed(1).padStart(11)} |`,
);
console.log(
  `| through the front      | ${fronted
    .map((x) => x.toFixed(1))
    .join(', ')
    .padEnd(36)} | ${f.toFixed(1).padStart(11)} |`,
);
console.log(`| ratio front / direct   | ${''.padEnd(36)} | ${((f / d) * 100).toFixed(1).padStart(10)}% |`);
console.log(
  `\nMemory, ${BIG} concurrent ${BIG_MB} MB messages through the front process (${ok}/${BIG} accepted, ${bigSeconds.toFixed(1)} s)`,
);
console.log('| front RSS idle | front RSS peak | growth   |');
console.log('|----------------|----------------|----------|');
console.log(`| ${(mb(idle) + ' MB').padStart(14)} | ${(mb(peak) + ' MB').padStart(14)} | ${(mb(peak - idle) + ' MB').padStart(8)} |`);

child.kill('SIGTERM');
await mx.close();
process.exit(0);
