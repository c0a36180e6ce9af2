/**
 * The SMTP client the benches drive: one connection, a reply reader plus backpressure-aware writes, and the
 * fixed-size message bodies they send. Shared so that every bench measures its subject with the same client.
 */
import { connect, type AddressInfo, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SmtpReply } from '@peergroup/mta-codecs';
import { ReplyReader } from '@peergroup/smtp-client';

/** 64 KiB of printable CRLF lines, no leading dots (so no dot-stuffing on either path). */
export const CHUNK = Buffer.from(('x'.repeat(78) + '\r\n').repeat(Math.floor(65536 / 80)), 'latin1');

export class BenchSmtpClient {
  // The shared client's reader (no timeout: no timer per reply); writes stay raw so the bench controls every byte.
  private readonly reader: ReplyReader;
  private constructor(
    private sock: Socket,
    private mailFrom: string,
  ) {
    this.reader = new ReplyReader(sock);
  }
  /** Connects to 127.0.0.1:port, requires a 220 greeting and says EHLO; `mailFrom` is the envelope sender of every `send`. */
  static async open(port: number, mailFrom: string): Promise<BenchSmtpClient> {
    const sock = connect({ port, host: '127.0.0.1' });
    await new Promise<void>((res, rej) => sock.once('connect', res).once('error', rej));
    const c = new BenchSmtpClient(sock, mailFrom);
    const greeting = await c.read();
    if (greeting.code !== 220) throw new Error(`greeting ${greeting.code} ${greeting.lines.join(' ')}`);
    await c.cmd('EHLO bench.test');
    return c;
  }
  read(): Promise<SmtpReply> {
    return this.reader.read();
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
    if ((await this.cmd(`MAIL FROM:<${this.mailFrom}>`)).code !== 250) throw new Error('MAIL refused');
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

export interface ThroughputOptions {
  mailFrom: string;
  rcpt: string;
  /** Total messages, spread evenly over the connections (rounded up to a whole number per connection). */
  messages: number;
  concurrency: number;
}

/** `concurrency` connections each sending their share of 1 MB messages back to back; every one must get 250. */
export async function throughput(port: number, o: ThroughputOptions): Promise<{ seconds: number; mbps: number }> {
  const clients = await Promise.all(Array.from({ length: o.concurrency }, () => BenchSmtpClient.open(port, o.mailFrom)));
  const perClient = Math.ceil(o.messages / o.concurrency);
  const t0 = process.hrtime.bigint();
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < perClient; i++) {
        const code = await c.send(o.rcpt, CHUNK, 1024 * 1024);
        if (code !== 250) throw new Error(`delivery failed: ${code}`);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const c of clients) c.close();
  return { seconds, mbps: (perClient * o.concurrency) / seconds };
}

/** `count` connections at once, each sending one message of `mb` MB; returns every final reply code. */
export async function sendConcurrently(port: number, o: { mailFrom: string; rcpt: string; count: number; mb: number }): Promise<number[]> {
  return Promise.all(
    Array.from({ length: o.count }, async () => {
      const c = await BenchSmtpClient.open(port, o.mailFrom);
      try {
        return await c.send(o.rcpt, CHUNK, o.mb * 1024 * 1024);
      } finally {
        c.close();
      }
    }),
  );
}

/**
 * An SMTP server on 127.0.0.1 that reads and discards every message: the far end both paths of a bench deliver to,
 * so only the process under test could hold message data. `xclient` accepts XCLIENT (as Postfix with
 * smtpd_authorized_xclient_hosts would).
 */
export async function startDiscardingMx(
  o: { xclient?: boolean } = {},
): Promise<{ port: number; received: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = new SMTPServer({
    authOptional: true,
    ...(o.xclient ? { useXClient: true } : {}),
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
