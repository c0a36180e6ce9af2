/**
 * A raw SMTP client for tests that must send exactly the bytes they mean (hostile RCPT syntax, pipelining, slow or
 * cut-off DATA), which nodemailer would normalise or refuse to send.
 */
import { connect, type Socket } from 'node:net';
import { SmtpReplyDecoder, type SmtpReply } from '@peergroup/mta-codecs';

export interface SmtpDialog {
  greeting: SmtpReply;
  /** Sends one line (CRLF appended) and resolves with the next reply. */
  command(line: string, timeoutMs?: number): Promise<SmtpReply>;
  /** Writes bytes as they are (no CRLF added, no reply awaited). */
  write(data: string | Buffer): void;
  /** The next reply not yet consumed. */
  reply(timeoutMs?: number): Promise<SmtpReply>;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
  /** Sends QUIT (best effort) and closes. */
  quit(): Promise<void>;
  destroy(): void;
  socket: Socket;
}

export async function smtpDialog(port: number, host = '127.0.0.1'): Promise<SmtpDialog> {
  const socket = connect({ port, host });
  const decoder = new SmtpReplyDecoder();
  const replies: SmtpReply[] = [];
  const waiters: Array<(r: SmtpReply | null) => void> = [];
  let ended = false;
  socket.on('data', (chunk: Buffer) => {
    for (const r of decoder.push(chunk)) {
      const w = waiters.shift();
      if (w) w(r);
      else replies.push(r);
    }
  });
  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => {
      ended = true;
      for (const w of waiters.splice(0)) w(null);
      resolve();
    });
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const reply = (timeoutMs = 15_000): Promise<SmtpReply> => {
    const queued = replies.shift();
    if (queued) return Promise.resolve(queued);
    if (ended) return Promise.reject(new Error('connection closed before a reply'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = waiters.indexOf(w);
        if (i >= 0) waiters.splice(i, 1);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const w = (r: SmtpReply | null) => {
        clearTimeout(timer);
        if (r) resolve(r);
        else reject(new Error('connection closed before a reply'));
      };
      waiters.push(w);
    });
  };
  const greeting = await reply();
  return {
    greeting,
    socket,
    closed,
    reply,
    write: (data) => void socket.write(data),
    async command(line, timeoutMs) {
      socket.write(`${line}\r\n`);
      return reply(timeoutMs);
    },
    async quit() {
      if (!ended) {
        socket.write('QUIT\r\n');
        await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
      }
      socket.destroy();
    },
    destroy: () => socket.destroy(),
  };
}
