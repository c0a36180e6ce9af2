/** A minimal scripted SMTP/LMTP client for relay tests: sends a line, returns the reply (or N replies). */
import { connect, type Socket } from 'node:net';
import type { SmtpReply } from '@peergroup/mta-codecs';
import { ReplyReader } from '@peergroup/smtp-client';

export class TestClient {
  private readonly reader: ReplyReader;
  closed = false;

  private constructor(readonly sock: Socket) {
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => {});
    this.reader = new ReplyReader(sock);
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
    return this.reader.read(timeoutMs);
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
