/** A minimal scripted SMTP/LMTP client for relay tests: sends a line, returns the reply (or N replies). */
import { connect, type Socket } from 'node:net';
import { SmtpReplyDecoder, type SmtpReply } from '@peergroup/mta-codecs';

export class TestClient {
  private decoder = new SmtpReplyDecoder();
  private queue: SmtpReply[] = [];
  private waiters: ((r: SmtpReply) => void)[] = [];
  closed = false;

  private constructor(readonly sock: Socket) {
    sock.on('data', (c: Buffer) => {
      for (const r of this.decoder.push(c)) {
        const w = this.waiters.shift();
        if (w) w(r);
        else this.queue.push(r);
      }
    });
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => {});
  }

  static async connect(port: number): Promise<{ client: TestClient; greeting: SmtpReply }> {
    const sock = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    const client = new TestClient(sock);
    return { client, greeting: await client.read() };
  }

  read(timeoutMs = 30_000): Promise<SmtpReply> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply in time')), timeoutMs);
      this.waiters.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  async cmd(line: string): Promise<SmtpReply> {
    this.sock.write(line + '\r\n');
    return this.read();
  }

  /** Sends the message body (CRLF lines, dot-stuffed here) and the end mark; reads `replies` replies. */
  async data(body: Buffer, replies: number): Promise<SmtpReply[]> {
    const go = await this.cmd('DATA');
    if (go.code !== 354) return [go];
    this.sock.write(Buffer.from(body.toString('latin1').replace(/^\./gm, '..'), 'latin1'));
    this.sock.write('.\r\n');
    const out: SmtpReply[] = [];
    for (let i = 0; i < replies; i++) out.push(await this.read());
    return out;
  }

  close(): void {
    this.sock.destroy();
  }
}
