/**
 * bench/inbound: the inbound front's own cost (no Tor: Tor's throughput is not the front's to measure).
 *  1. Throughput: 1 MB messages over SMTP straight to a discarding MX vs through `peergroup onionmx inbound` (the
 *     CLI process, XCLIENT mode) to the same MX; same client, same run, alternating rounds; ratio front/direct.
 *  2. Memory: N concurrent M MB messages through the front process; peak RSS growth over its idle RSS. The data is
 *     generated on the fly and discarded by the MX, so only the front could hold it (it streams: it must not).
 * Run: node --import tsx bench/inbound/run.ts [--messages N] [--concurrency C] [--big N] [--big-mb MB]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { SMTPServer } from 'smtp-server';
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

/** The internal MX of both paths: accepts XCLIENT from the front (as Postfix with smtpd_authorized_xclient_hosts), discards data. */
async function startMx(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    useXClient: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    maxClients: 10000,
    size: 64 * 1024 * 1024,
    onData(stream, _s, cb) {
      stream.on('data', () => {});
      stream.on('end', () => cb(null, 'ok'));
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

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
    const greeting = await c.read();
    if (greeting.code !== 220) throw new Error(`greeting ${greeting.code} ${greeting.lines.join(' ')}`);
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
  async send(rcpt: string, chunk: Buffer, size: number): Promise<number> {
    if ((await this.cmd('MAIL FROM:<bench@peer.test>')).code !== 250) throw new Error('MAIL refused');
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

/** 64 KiB of printable CRLF lines without leading dots. */
const CHUNK = Buffer.from(('x'.repeat(78) + '\r\n').repeat(Math.floor(65536 / 80)), 'latin1');

async function throughput(port: number): Promise<number> {
  const clients = await Promise.all(Array.from({ length: CONCURRENCY }, () => Client.open(port)));
  const perClient = Math.ceil(MESSAGES / CONCURRENCY);
  const t0 = process.hrtime.bigint();
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < perClient; i++) {
        const code = await c.send('user@ours.test', CHUNK, 1024 * 1024);
        if (code !== 250) throw new Error(`delivery failed: ${code}`);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const c of clients) c.close();
  return (perClient * CONCURRENCY) / seconds;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const mx = await startMx();
const frontPort = await freePort();
const cli = new URL('../../packages/cli/bin/peergroup.js', import.meta.url).pathname;
const child = spawn(
  process.execPath,
  [cli, 'onionmx', 'inbound', '--listen', `127.0.0.1:${frontPort}`, '--mx', `127.0.0.1:${mx.port}`, '--domain', 'ours.test', '--max-sessions', String(BIG + CONCURRENCY + 10), '--max-message-size', String((BIG_MB + 1) * 1024 * 1024)],
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PEERGROUP_LOG_LEVEL: 'warn' } },
);
process.on('exit', () => child.kill('SIGKILL'));
let stderr = '';
child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
for (let i = 0; ; i++) {
  try {
    (await Client.open(frontPort)).close();
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
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const d = median(direct);
const f = median(fronted);

await new Promise((res) => setTimeout(res, 500));
const idle = rssOf(child.pid!);
let peak = idle;
const sampler = setInterval(() => (peak = Math.max(peak, rssOf(child.pid!))), 50);
const t0 = Date.now();
const codes = await Promise.all(
  Array.from({ length: BIG }, async () => {
    const c = await Client.open(frontPort);
    try {
      return await c.send('big@ours.test', CHUNK, BIG_MB * 1024 * 1024);
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
console.log('\nbench/inbound — the onion inbound front without Tor (client → front → MX on loopback); Node ' + process.version);
console.log(`\nThroughput, 1 MB messages, ${CONCURRENCY} connections x ${Math.ceil(MESSAGES / CONCURRENCY)} messages, median of 3 rounds`);
console.log('| path                   | MB/s (rounds)                        | median MB/s |');
console.log('|------------------------|--------------------------------------|-------------|');
console.log(`| direct to the MX       | ${direct.map((x) => x.toFixed(1)).join(', ').padEnd(36)} | ${d.toFixed(1).padStart(11)} |`);
console.log(`| through the front      | ${fronted.map((x) => x.toFixed(1)).join(', ').padEnd(36)} | ${f.toFixed(1).padStart(11)} |`);
console.log(`| ratio front / direct   | ${''.padEnd(36)} | ${((f / d) * 100).toFixed(1).padStart(10)}% |`);
console.log(`\nMemory, ${BIG} concurrent ${BIG_MB} MB messages through the front process (${ok}/${BIG} accepted, ${bigSeconds.toFixed(1)} s)`);
console.log('| front RSS idle | front RSS peak | growth   |');
console.log('|----------------|----------------|----------|');
console.log(`| ${(mb(idle) + ' MB').padStart(14)} | ${(mb(peak) + ' MB').padStart(14)} | ${(mb(peak - idle) + ' MB').padStart(8)} |`);

child.kill('SIGTERM');
await mx.close();
process.exit(0);
