/**
 * A small, strict SMTP submission client for tests: one transaction, no pipelining, always ends with QUIT and
 * waits for the 221, so the server logs a clean session ("disconnect … quit=1") rather than a lost connection
 * that a test grepping the MTA's log could mistake for its own fault.
 */
import { connect } from 'node:net';
import type { SmtpReply } from '@peergroup/mta-codecs';
import { ReplyReader } from '@peergroup/smtp-client';

export interface SmtpSubmitOptions {
  host?: string;
  port: number;
  from: string;
  to: string[];
  /** The message; bare LF line ends are sent as CRLF, lines starting with '.' are dot-stuffed. */
  message: string | Buffer;
  /** EHLO name, default 'submitter.test'. */
  helo?: string;
  /** Per-reply timeout, default 30 s. */
  timeoutMs?: number;
}

/** An SMTP refusal: `responseCode` and `response` as nodemailer reports them, plus the command it answered. */
export class SmtpReplyError extends Error {
  constructor(
    readonly responseCode: number,
    readonly response: string,
    readonly command: string,
  ) {
    super(`${command} refused: ${response}`);
    this.name = 'SmtpReplyError';
  }
}

/** Wire form of a message body for DATA: CRLF line ends, dot-stuffed, ending with CRLF.CRLF. */
export function dataBlock(message: string | Buffer): Buffer {
  let text = Buffer.isBuffer(message) ? message.toString('latin1') : Buffer.from(message, 'utf8').toString('latin1');
  text = text.replace(/\r?\n/g, '\r\n');
  if (!text.endsWith('\r\n')) text += '\r\n';
  text = text.replace(/^\./gm, '..');
  return Buffer.from(text + '.\r\n', 'latin1');
}

/**
 * Sends one message and resolves with the server's reply to the end of DATA (e.g. `250 2.0.0 Ok: queued as X`).
 * Rejects with SmtpReplyError on a refused greeting, MAIL, DATA or when every RCPT is refused (recipients refused
 * individually are skipped, as nodemailer does).
 */
export async function smtpSubmit(opts: SmtpSubmitOptions): Promise<string> {
  const timeout = opts.timeoutMs ?? 30_000;
  const sock = connect({ host: opts.host ?? '127.0.0.1', port: opts.port });
  // The shared client's reply reader; the dialogue itself stays here, strict and one command at a time on purpose.
  const reader = new ReplyReader(sock);
  sock.on('error', () => {}); // surfaces through the reader
  const code = (r: SmtpReply): number => r.code;
  const last = (r: SmtpReply): string => `${r.code} ${r.lines.at(-1) ?? ''}`.trimEnd();
  const command = async (line: string, ok: (c: number) => boolean): Promise<SmtpReply> => {
    sock.write(line + '\r\n');
    const r = await reader.read(timeout);
    if (!ok(code(r))) throw new SmtpReplyError(code(r), last(r), line.split(' ')[0] ?? line);
    return r;
  };
  const quit = async (): Promise<void> => {
    try {
      sock.write('QUIT\r\n');
      await reader.read(timeout);
    } catch {
      // the server may already have closed
    }
    sock.end();
  };
  try {
    const greeting = await reader.read(timeout);
    if (code(greeting) !== 220) throw new SmtpReplyError(code(greeting), last(greeting), 'greeting');
    await command(`EHLO ${opts.helo ?? 'submitter.test'}`, (c) => c === 250);
    await command(`MAIL FROM:<${opts.from}>`, (c) => c === 250);
    let accepted = 0;
    let lastRefusal: SmtpReplyError | undefined;
    for (const rcpt of opts.to) {
      try {
        await command(`RCPT TO:<${rcpt}>`, (c) => c === 250 || c === 251);
        accepted++;
      } catch (e) {
        if (!(e instanceof SmtpReplyError)) throw e;
        lastRefusal = e;
      }
    }
    if (accepted === 0) throw lastRefusal ?? new Error('no recipients');
    await command('DATA', (c) => c === 354);
    sock.write(dataBlock(opts.message));
    const final = await reader.read(timeout);
    if (code(final) !== 250) throw new SmtpReplyError(code(final), last(final), 'DATA');
    return last(final);
  } finally {
    await quit();
    sock.destroy();
  }
}
