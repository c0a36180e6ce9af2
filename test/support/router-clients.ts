/** Small protocol clients for router tests and the benchmark: they speak the wire formats, nothing more. */
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { NetstringDecoder, encodeNetstring } from '@peergroup/mta-codecs';
import { onionFromPublicKey } from '@peergroup/onionmx';

export function randomOnion(): string {
  return onionFromPublicKey(randomBytes(32));
}

/** A TCP connection to host:port, or with a string for `port`, to that UNIX socket path. */
export function connectTo(port: number | string, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = typeof port === 'string' ? connect({ path: port }) : connect({ host, port, noDelay: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** A persistent tcp_table client: one request at a time, like Postfix. */
export class TcpTableClient {
  private buf = '';
  private waiters: ((line: string) => void)[] = [];
  closed: Promise<void>;
  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.waiters.shift()?.(line);
      }
    });
    this.closed = new Promise((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
  }
  static async open(port: number): Promise<TcpTableClient> {
    return new TcpTableClient(await connectTo(port));
  }
  /** Sends raw bytes and waits for `n` reply lines. */
  raw(data: string, n = 1): Promise<string[]> {
    const replies: Promise<string>[] = [];
    for (let i = 0; i < n; i++) replies.push(new Promise((r) => this.waiters.push(r)));
    this.socket.write(data, 'latin1');
    return Promise.all(replies);
  }
  async get(key: string): Promise<string> {
    return (await this.raw(`get ${key}\n`))[0]!;
  }
  close(): void {
    this.socket.destroy();
  }
}

/** A persistent socketmap client. */
export class SocketmapClient {
  private decoder = new NetstringDecoder(200_000);
  private waiters: ((p: string) => void)[] = [];
  closed: Promise<void>;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      for (const p of this.decoder.push(d)) this.waiters.shift()?.(p.toString('utf8'));
    });
    this.closed = new Promise((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
  }
  /** Over loopback TCP to `at`, or to the UNIX socket at that path. */
  static async open(at: number | string): Promise<SocketmapClient> {
    return new SocketmapClient(await connectTo(at));
  }
  raw(data: Buffer, n = 1): Promise<string[]> {
    const replies: Promise<string>[] = [];
    for (let i = 0; i < n; i++) replies.push(new Promise((r) => this.waiters.push(r)));
    this.socket.write(data);
    return Promise.all(replies);
  }
  async lookup(name: string, key: string): Promise<string> {
    return (await this.raw(encodeNetstring(`${name} ${key}`)))[0]!;
  }
  close(): void {
    this.socket.destroy();
  }
}

/** What Exim's readsocket does: write, optionally half-close, read to EOF. */
export async function eximQuery(port: number, request: string, opts: { halfClose?: boolean } = {}): Promise<string> {
  const s = await connectTo(port);
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  const done = new Promise<void>((resolve, reject) => {
    s.once('end', () => resolve());
    s.once('error', reject);
  });
  s.write(request);
  if (opts.halfClose ?? true) s.end();
  await done;
  s.destroy();
  return Buffer.concat(chunks).toString('utf8');
}
