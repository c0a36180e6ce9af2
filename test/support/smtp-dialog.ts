/**
 * A raw SMTP client for tests that must send exactly the bytes they mean (hostile RCPT syntax, pipelining, slow or
 * cut-off DATA), which nodemailer would normalise or refuse to send.
 */
import { connect, type Socket } from 'node:net';
import type { SmtpReply } from '@peergroup/mta-codecs';
import { ReplyReader, SmtpClientError } from '@peergroup/smtp-client';

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
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  // Bytes go out exactly as the test writes them; only reading replies is shared with the real client.
  const reader = new ReplyReader(socket);
  let ended = false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => ((ended = true), resolve())));
  const reply = async (timeoutMs = 15_000): Promise<SmtpReply> => {
    try {
      return await reader.read(timeoutMs);
    } catch (err) {
      if (err instanceof SmtpClientError && err.kind === 'timeout') throw new Error(`no reply within ${timeoutMs} ms`);
      throw new Error('connection closed before a reply', { cause: err });
    }
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
