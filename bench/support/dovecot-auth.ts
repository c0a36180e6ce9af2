/** The client end of Dovecot's auth-client protocol (doc/auth-protocol), as the mail benches drive it. */
import { createConnection, type Socket } from 'node:net';

/** A Dovecot auth-client connection: one AUTH PLAIN at a time (what imap-login speaks). */
export class AuthClient {
  private buf = '';
  private waiting: ((ok: boolean) => void) | undefined;
  private id = 0;
  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if ((line.startsWith('OK\t') || line.startsWith('FAIL\t')) && this.waiting) {
          const w = this.waiting;
          this.waiting = undefined;
          w(line.startsWith('OK\t'));
        }
      }
    });
  }
  static async connect(path: string): Promise<AuthClient> {
    const sock = createConnection(path);
    await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
    sock.write(`VERSION\t1\t2\nCPID\t${process.pid}\n`);
    return new AuthClient(sock);
  }
  auth(user: string, pw: string, rip: string): Promise<boolean> {
    const resp = Buffer.from(`\0${user}\0${pw}`).toString('base64');
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.sock.write(`AUTH\t${++this.id}\tPLAIN\tservice=imap\tsecured\tnologin\trip=${rip}\tresp=${resp}\n`);
    });
  }
  close(): void {
    this.sock.destroy();
  }
}
