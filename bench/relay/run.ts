/**
 * bench/relay: the relay's own cost, without Tor (the relay dials the sink directly; Tor's throughput is not
 * the relay's to measure).
 *  1. Throughput: 1 MB messages over SMTP, straight to a discarding sink vs through the relay to the same sink,
 *     same client, same run; ratio relay/direct (goal ≥ 90 %).
 *  2. Memory: 100 concurrent 25 MB messages through the relay (a separate process); peak RSS growth of that
 *     process over its idle RSS (goal < 64 MB). Message data is generated on the fly and discarded by the sink,
 *     so only the relay could hold it.
 * Run: node --import tsx bench/relay/run.ts [--messages N] [--concurrency C] [--big N] [--big-mb MB]
 * Also printed: CPU seconds per GB of the relay process and of this process (client + sink), the steadier numbers
 * on a shared machine. Env: RELAY_BENCH_PROF=<dir> writes a CPU profile of the relay process; RELAY_NODE_FLAGS adds
 * node flags to it (e.g. --trace-gc, whose output then goes to stderr).
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SMTPServer } from 'smtp-server';
import { onionFromPublicKey } from '../../packages/onionmx/src/onion-address.ts';
import { SmtpReplyDecoder, type SmtpReply } from '../../packages/onionmx/src/smtp-reply.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
    big: { type: 'string', default: '100' },
    'big-mb': { type: 'string', default: '25' },
  },
});
const MESSAGES = Number(values.messages);
const CONCURRENCY = Number(values.concurrency);
const BIG = Number(values.big);
const BIG_MB = Number(values['big-mb']);

/** A sink that reads and discards every byte: the far MX both paths deliver to. */
async function startSink(): Promise<{ port: number; received: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    maxClients: 10000,
    size: 64 * 1024 * 1024,
    onData(stream, _s, cb) {
      stream.on('data', () => {});
      stream.on('end', () => {
        count++;
        cb(null, 'ok');
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.server.address() as AddressInfo).port,
    received: () => count,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** One SMTP client connection: a reply reader plus backpressure-aware writes. */
class Client {
  private dec = new SmtpReplyDecoder();
  private q: SmtpReply[] = [];
  private w: ((r: SmtpReply) => void)[] = [];
  constructor(private sock: Socket) {
    sock.on('data', (c: Buffer) => {
      for (const r of this.dec.push(c)) {
        const f = this.w.shift();
        if (f) f(r);
        else this.q.push(r);
      }
    });
  }
  static async open(port: number): Promise<Client> {
    const sock = connect({ port, host: '127.0.0.1' });
    await new Promise<void>((res, rej) => sock.once('connect', res).once('error', rej));
    const c = new Client(sock);
    await c.read();
    await c.cmd('EHLO bench.test');
    return c;
  }
  read(): Promise<SmtpReply> {
    const r = this.q.shift();
    return r ? Promise.resolve(r) : new Promise((res) => this.w.push(res));
  }
  async cmd(line: string): Promise<SmtpReply> {
    this.sock.write(line + '\r\n');
    return this.read();
  }
  async write(b: Buffer): Promise<void> {
    if (!this.sock.write(b)) await new Promise((r) => this.sock.once('drain', r));
  }
  /** Sends one message of `size` bytes made of `chunk` repeated; returns the final reply code. */
  async send(rcpt: string, chunk: Buffer, size: number): Promise<number> {
    if ((await this.cmd('MAIL FROM:<bench@here.test>')).code !== 250) throw new Error('MAIL refused');
    const r = await this.cmd(`RCPT TO:<${rcpt}>`);
    if (r.code !== 250) throw new Error(`RCPT refused: ${r.code} ${r.lines.join(' ')}`);
    if ((await this.cmd('DATA')).code !== 354) throw new Error('DATA refused');
    await this.write(Buffer.from('Subject: bench\r\n\r\n'));
    for (let sent = 0; sent < size; sent += chunk.length) await this.write(chunk);
    this.sock.write('.\r\n');
    return (await this.read()).code;
  }
  close(): void {
    this.sock.destroy();
  }
}

/** 64 KiB of printable CRLF lines, no leading dots (so no dot-stuffing on either path). */
const CHUNK = Buffer.from(('x'.repeat(78) + '\r\n').repeat(Math.floor(65536 / 80)), 'latin1');

async function throughput(port: number, rcpt: string): Promise<{ seconds: number; mbps: number }> {
  const clients = await Promise.all(Array.from({ length: CONCURRENCY }, () => Client.open(port)));
  const perClient = Math.ceil(MESSAGES / CONCURRENCY);
  const t0 = process.hrtime.bigint();
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < perClient; i++) {
        const code = await c.send(rcpt, CHUNK, 1024 * 1024);
        if (code !== 250) throw new Error(`delivery failed: ${code}`);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const c of clients) c.close();
  return { seconds, mbps: (perClient * CONCURRENCY) / seconds };
}

/** user+system CPU seconds of a process (/proc/<pid>/stat fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

const dir = mkdtempSync(join(tmpdir(), 'bench-relay-'));
const sink = await startSink();
const onion = onionFromPublicKey(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
writeFileSync(join(dir, 'map'), `peer.example ${onion}\n`);
// RELAY_BENCH_PROF=<dir>: CPU profile of the relay process; RELAY_NODE_FLAGS: extra node flags for it (experiments).
const relayFlags = [
  ...(process.env.RELAY_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.RELAY_BENCH_PROF}`] : []),
  ...(process.env.RELAY_NODE_FLAGS ? process.env.RELAY_NODE_FLAGS.split(' ').filter(Boolean) : []),
];
const child = spawn(process.execPath, [...relayFlags, '--import', 'tsx', new URL('./relay-process.ts', import.meta.url).pathname, String(sink.port), join(dir, 'map')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
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
let relayCpu = 0;
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
  relayCpu += cpuSeconds(child.pid!) - cpu0;
}
const relayedGb = (3 * Math.ceil(MESSAGES / CONCURRENCY) * CONCURRENCY) / 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const d = median(direct);
const r = median(relayed);

// Memory: 100 concurrent big messages through the relay.
await new Promise((res) => setTimeout(res, 500));
const idle = rssOf(child.pid!);
let peak = idle;
const sampler = setInterval(() => (peak = Math.max(peak, rssOf(child.pid!))), 50);
const t0 = Date.now();
const codes = await Promise.all(
  Array.from({ length: BIG }, async () => {
    const c = await Client.open(ports.smtp);
    try {
      return await c.send('big@peer.example', CHUNK, BIG_MB * 1024 * 1024);
    } finally {
      c.close();
    }
  }),
);
clearInterval(sampler);
peak = Math.max(peak, rssOf(child.pid!));
const bigSeconds = (Date.now() - t0) / 1000;
const ok = codes.filter((c) => c === 250).length;

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
console.log('\nbench/relay — relay measured without Tor (direct dial to the sink); Node ' + process.version);
console.log(`\nThroughput, 1 MB messages over SMTP, ${CONCURRENCY} connections x ${Math.ceil(MESSAGES / CONCURRENCY)} messages, median of 3 rounds`);
console.log('| path                  | MB/s (rounds)                        | median MB/s |');
console.log('|-----------------------|--------------------------------------|-------------|');
console.log(`| direct to sink        | ${direct.map((x) => x.toFixed(1)).join(', ').padEnd(36)} | ${d.toFixed(1).padStart(11)} |`);
console.log(`| through the relay     | ${relayed.map((x) => x.toFixed(1)).join(', ').padEnd(36)} | ${r.toFixed(1).padStart(11)} |`);
console.log(`| ratio relay / direct  | ${''.padEnd(36)} | ${((r / d) * 100).toFixed(1).padStart(10)}% |  goal >= 90%`);
console.log(`\nRelay process CPU: ${(relayCpu / relayedGb).toFixed(2)} s per GB relayed (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}, ${cpus().length} cores)`);
console.log(`Bench process (client + sink) CPU: ${(benchCpuDirect / relayedGb).toFixed(2)} s per GB direct, ${(benchCpuRelay / relayedGb).toFixed(2)} s per GB through the relay`);
console.log(`\nMemory, ${BIG} concurrent ${BIG_MB} MB messages through the relay process (${ok}/${BIG} delivered, ${bigSeconds.toFixed(1)} s)`);
console.log('| relay RSS idle | relay RSS peak | growth   | goal     |');
console.log('|----------------|----------------|----------|----------|');
console.log(`| ${(mb(idle) + ' MB').padStart(14)} | ${(mb(peak) + ' MB').padStart(14)} | ${(mb(peak - idle) + ' MB').padStart(8)} | < 64 MB  |`);

child.kill('SIGTERM');
await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
await sink.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
