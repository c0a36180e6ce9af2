/**
 * One SMTP (or LMTP) client session (Postfix's smtp_proto.c): greeting, EHLO/LHLO with its keywords, STARTTLS by
 * policy, hooks for what a front must say before the MX judges it (a PROXY header before the greeting, XCLIENT after
 * EHLO), then commands one at a time or pipelined, the message streamed with backpressure and dot-stuffed, RSET, QUIT.
 *
 * Replies are values: a 550 to RCPT is an answer, not an error. What is thrown is always an SmtpClientError, and any
 * failure while waiting destroys the session (a reply lost or late would put every later reply out of step).
 */
import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { DotStuffer, parseEhloKeywords, replyClass, type SmtpReply } from '@peergroup/mta-codecs';
import { SmtpClientError, type SmtpPhase } from './errors.ts';
import { ReplyReader } from './reply-reader.ts';
import { timeoutFor, type SmtpTimeouts } from './timeouts.ts';
import type { DialFunction } from './connect.ts';

/** STARTTLS: use it when offered, insist on it (fail with kind 'tls' otherwise), or never. */
export type TlsPolicy = 'opportunistic' | 'required' | 'none';

export interface SmtpSessionOptions {
  /** A connected socket, or the function that gets one (its failure is the session's 'connect' failure). */
  connect: Socket | DialFunction;
  /** EHLO (LHLO) name. */
  helo: string;
  timeouts: SmtpTimeouts;
  /** LHLO instead of EHLO (RFC 2033). */
  lmtp?: boolean;
  /** After a refused EHLO, try HELO (a session without extensions) instead of failing. */
  heloFallback?: boolean;
  tls?: TlsPolicy;
  /** TLS SNI; certificates are not verified (onion addresses and loopback authenticate the peer already). */
  servername?: string;
  /** Bytes written before the greeting is read: a PROXY protocol header. */
  preamble?: Buffer | string;
  /** Runs after the (last) EHLO of the set-up, e.g. XCLIENT and the EHLO that follows it (`session.ehlo`). */
  afterEhlo?: (session: SmtpSession) => Promise<void>;
}

export class SmtpSession {
  private reader: ReplyReader;
  private stuffer = new DotStuffer();
  private closed = false;
  /** EHLO keywords (upper case) → parameters; empty after HELO. */
  extensions = new Map<string, string>();
  /** The set-up went through STARTTLS. */
  tls = false;
  greeting: SmtpReply | undefined;

  private constructor(
    private sock: Socket | TLSSocket,
    private readonly opts: SmtpSessionOptions,
  ) {
    this.reader = new ReplyReader(sock);
    sock.on('error', noop); // errors surface through the reader
  }

  /** Connects and runs the set-up; the session is ready for MAIL. */
  static async open(opts: SmtpSessionOptions): Promise<SmtpSession> {
    let sock: Socket;
    if (typeof opts.connect === 'function') {
      try {
        sock = await opts.connect();
      } catch (err) {
        if (err instanceof SmtpClientError) throw err;
        throw new SmtpClientError('connect', 'connect', (err as Error).message, { cause: err });
      }
    } else sock = opts.connect;
    const s = new SmtpSession(sock, opts);
    try {
      await s.setUp();
      return s;
    } catch (err) {
      s.destroy();
      throw err;
    }
  }

  private async setUp(): Promise<void> {
    const o = this.opts;
    if (o.preamble) this.sock.write(o.preamble);
    this.greeting = await this.read('greeting');
    if (replyClass(this.greeting.code) !== 'ok')
      throw new SmtpClientError('greeting', 'reply', `greeting ${this.greeting.code}`, { reply: this.greeting });
    const policy = o.tls ?? 'none';
    try {
      await this.ehlo(o.helo);
    } catch (err) {
      if (!(o.heloFallback && err instanceof SmtpClientError && err.kind === 'reply')) throw err;
      const helo = await this.command(`HELO ${o.helo}`, 'helo');
      if (replyClass(helo.code) !== 'ok') throw new SmtpClientError('helo', 'reply', `HELO refused: ${helo.code}`, { reply: helo });
      this.extensions = new Map();
    }
    if (policy !== 'none' && this.extensions.has('STARTTLS')) {
      const r = await this.command('STARTTLS', 'starttls');
      if (r.code === 220) {
        await this.upgrade();
        await this.ehlo(o.helo);
      } else if (policy === 'required') {
        throw new SmtpClientError('starttls', 'tls', `STARTTLS refused: ${r.code}`, { reply: r });
      }
    } else if (policy === 'required') {
      throw new SmtpClientError('starttls', 'tls', 'STARTTLS not offered');
    }
    if (o.afterEhlo) await o.afterEhlo(this);
  }

  private upgrade(): Promise<void> {
    this.reader.detach();
    const plain = this.sock;
    const timeoutMs = timeoutFor(this.opts.timeouts, 'tls');
    return new Promise((resolve, reject) => {
      const tls = tlsConnect({
        socket: plain,
        rejectUnauthorized: false,
        ...(this.opts.servername ? { servername: this.opts.servername } : {}),
      });
      const timer = setTimeout(() => {
        tls.destroy();
        reject(new SmtpClientError('tls', 'timeout', 'timeout'));
      }, timeoutMs);
      tls.once('secureConnect', () => {
        clearTimeout(timer);
        tls.off('error', onError);
        this.sock = tls;
        tls.on('error', noop);
        this.reader = new ReplyReader(tls);
        this.tls = true;
        resolve();
      });
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(new SmtpClientError('tls', 'tls', err.message, { cause: err }));
      };
      tls.once('error', onError);
    });
  }

  /** EHLO (LHLO) `name`; a refusal fails with kind 'reply'. Sets `extensions`; returns the reply (XCLIENT reads it). */
  async ehlo(name: string): Promise<SmtpReply> {
    const verb = this.opts.lmtp ? 'LHLO' : 'EHLO';
    const r = await this.command(`${verb} ${name}`, 'ehlo');
    if (replyClass(r.code) !== 'ok') throw new SmtpClientError('ehlo', 'reply', `${verb} refused: ${r.code}`, { reply: r });
    this.extensions = parseEhloKeywords(r);
    return r;
  }

  /** The socket is open and every reply so far was read: the session may carry another transaction. */
  get reusable(): boolean {
    return !this.closed && !this.sock.destroyed && !this.reader.failed;
  }

  /** The connection is gone (lost, failed, or ended by us). */
  get broken(): boolean {
    return !this.reusable;
  }

  /** Sends one command line (no CR or LF in it) and reads its reply. */
  async command(line: string, phase: SmtpPhase): Promise<SmtpReply> {
    this.send([line], phase);
    return this.read(phase);
  }

  /** Writes command lines in one write (RFC 2920 pipelining); read their replies with `read`, in order. */
  send(lines: readonly string[], phase: SmtpPhase): void {
    for (const l of lines) if (/[\r\n]/.test(l)) throw new SmtpClientError(phase, 'protocol', 'command line contains CR or LF');
    this.ensureOpen(phase);
    this.sock.write(lines.length === 1 ? lines[0] + '\r\n' : lines.map((l) => l + '\r\n').join(''));
  }

  /** The next reply within `phase`'s time limit; any failure destroys the session. */
  async read(phase: SmtpPhase): Promise<SmtpReply> {
    try {
      return await this.reader.read(timeoutFor(this.opts.timeouts, phase), phase);
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /** DATA; the caller checks for 354 before sending the message. */
  async data(): Promise<SmtpReply> {
    this.stuffer = new DotStuffer();
    return this.command('DATA', 'data');
  }

  /**
   * One chunk of the message: un-stuffed bytes, or with `stuffed` bytes dot-stuffed already (a relay's pass-through,
   * sent verbatim). True when the socket takes more at once, else a promise of the drain (rejected after `dataBlock`
   * without progress, or on loss). Throws when the connection is already gone.
   */
  writeData(chunk: Buffer, stuffed = false): true | Promise<void> {
    this.ensureOpen('message');
    const ok = this.sock.write(stuffed ? this.stuffer.pass(chunk) : this.stuffer.push(chunk));
    // write() says false for any chunk over the high-water mark, even one the kernel took at once; what is still
    // queued after the write is what backpressure is about. Waiting for 'drain' (a timer, listeners, pausing the
    // sender's stream) on every chunk was the relay's largest cost after parsing (bench/relay).
    if (ok || this.sock.writableLength < this.sock.writableHighWaterMark) return true;
    this.ensureOpen('message');
    const sock = this.sock;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.destroy();
        done(new SmtpClientError('message', 'timeout', 'timeout'));
      }, this.opts.timeouts.dataBlock);
      const onDrain = () => done();
      const onClose = () => done(new SmtpClientError('message', 'closed', 'connection lost'));
      const done = (err?: SmtpClientError) => {
        clearTimeout(timer);
        sock.off('drain', onDrain);
        sock.off('close', onClose);
        sock.off('error', onClose);
        if (err) reject(err);
        else resolve();
      };
      sock.on('drain', onDrain);
      sock.on('close', onClose);
      sock.on('error', onClose);
    });
  }

  /** `writeData` as a promise, for callers that await every chunk. */
  async write(chunk: Buffer): Promise<void> {
    const r = this.writeData(chunk);
    if (r !== true) await r;
  }

  /** The end-of-data mark; resolves with the verdict on the message (LMTP: the first recipient's; `read` the rest). */
  async endData(): Promise<SmtpReply> {
    this.ensureOpen('dataEnd');
    this.sock.write(this.stuffer.end());
    return this.read('dataEnd');
  }

  /** RSET before reusing a connection: proves it is alive and clears any state. False (and destroyed) otherwise. */
  async rset(): Promise<boolean> {
    if (!this.reusable) return false;
    try {
      if ((await this.command('RSET', 'rset')).code === 250) return true;
    } catch {
      // destroyed by read
    }
    this.destroy();
    return false;
  }

  /** QUIT, its reply awaited briefly, then closed; failures do not matter any more. */
  async quit(): Promise<void> {
    if (this.reusable) {
      try {
        await this.command('QUIT', 'quit');
      } catch {
        // the transaction is over either way
      }
    }
    if (!this.sock.destroyed) this.sock.end();
    this.destroy();
  }

  /** Drops the connection at once: a message without its end-of-data mark is discarded by the peer. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.fail('closed', 'connection closed by us');
    this.reader.detach();
    this.sock.destroy();
  }

  private ensureOpen(phase: SmtpPhase): void {
    if (this.closed || this.sock.destroyed || this.reader.failed) throw new SmtpClientError(phase, 'closed', 'connection lost');
  }
}

const noop = () => {};
