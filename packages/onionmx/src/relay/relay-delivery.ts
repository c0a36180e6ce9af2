/**
 * One outbound SMTP transaction to one onion MX, through a Dialer (Tor's SOCKS port). Our own small client rather
 * than a library one because the relay needs what libraries hide: the far side's exact reply per phase, RCPT
 * relayed one at a time while the MTA waits, RFC 5321 §4.5.3.2 timeouts per phase, and DATA streamed with
 * backpressure from a stream we do not own.
 */
import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { HostPort } from '@peergroup/service';
import { DialError, type Dialer } from './onion-dialer.ts';
import type { OnionTarget } from '../routing/route-decision.ts';
import { DotStuffer } from '@peergroup/mta-codecs';
import { SmtpReplyDecoder, parseEhloKeywords, relayedReplyLine, replyClass, replyText, type SmtpReply } from '@peergroup/mta-codecs';

export interface PhaseTimeouts {
  /** Dial through Tor, including descriptor fetch and rendezvous. */
  connectMs: number;
  greetingMs: number;
  ehloMs: number;
  mailMs: number;
  rcptMs: number;
  dataInitMs: number;
  /** No progress writing message data for this long fails the transfer. */
  dataBlockMs: number;
  dataEndMs: number;
}

export type TlsPolicy = 'opportunistic' | 'required' | 'none';

export interface OutboundOptions {
  dialer: Dialer;
  socks: HostPort;
  heloName: string;
  tls: TlsPolicy;
  timeouts: PhaseTimeouts;
  /** Tor circuit isolation key (the recipient domain). */
  isolationKey: string;
  signal?: AbortSignal;
}

/** What we tell the MTA about one step, and why. */
export interface Outcome {
  code: number;
  /** One line, starting with an enhanced status code. */
  message: string;
  /** Tor failure label (socks5.ts) when Tor was the reason. */
  torError?: string;
}

export class DeliveryFailure extends Error {
  override name = 'DeliveryFailure';
  constructor(readonly outcome: Outcome) {
    super(outcome.message);
  }
}

export interface MailParams {
  size?: number | undefined;
  /** RFC 6152 BODY value as the MTA sent it. */
  body?: '7bit' | '8bitmime' | string | undefined;
  smtputf8?: boolean | undefined;
  ret?: string | null | undefined;
  envid?: string | null | undefined;
}

export interface RcptParams {
  notify?: string | undefined;
  orcpt?: string | undefined;
}

const temp = (enhanced: string, text: string, torError?: string): Outcome => ({ code: 451, message: `${enhanced} ${text}`, ...(torError ? { torError } : {}) });

/** Reads replies from the far side; one reader at a time, as SMTP is strictly request/response (or pipelined in order). */
class ReplyReader {
  private decoder = new SmtpReplyDecoder();
  private ready: SmtpReply[] = [];
  private waiter: { resolve: (r: SmtpReply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(private readonly sock: Socket) {
    sock.on('data', this.onData);
    sock.on('error', this.onError);
    sock.on('end', this.onClose);
    sock.on('close', this.onClose);
    sock.resume();
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  detach(): void {
    this.sock.off('data', this.onData);
    this.sock.off('error', this.onError);
    this.sock.off('end', this.onClose);
    this.sock.off('close', this.onClose);
  }

  private onData = (chunk: Buffer) => {
    try {
      for (const r of this.decoder.push(chunk)) this.ready.push(r);
    } catch (err) {
      this.fail(err as Error);
      this.sock.destroy();
      return;
    }
    this.flush();
  };
  private onError = (err: Error) => this.fail(err);
  private onClose = () => this.fail(new Error('connection closed by the far side'));

  private fail(err: Error) {
    this.failure ??= err;
    this.flush();
  }

  private flush() {
    if (!this.waiter) return;
    const w = this.waiter;
    const r = this.ready.shift();
    if (r) {
      this.waiter = undefined;
      w.resolve(r);
    } else if (this.failure) {
      this.waiter = undefined;
      w.reject(this.failure);
    }
  }

  /** Rejects with an Error whose message says which phase timed out or lost the connection. */
  read(timeoutMs: number, phase: string): Promise<SmtpReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new PhaseError(phase, 'timeout'));
      }, timeoutMs);
      this.waiter = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(new PhaseError(phase, e.message));
        },
      };
      this.flush();
    });
  }
}

class PhaseError extends Error {
  constructor(
    readonly phase: string,
    readonly why: string,
  ) {
    super(`${why} during ${phase}`);
  }
}

/** A far-side reply to hand on to the MTA, or a refusal we make ourselves. */
function relayed(reply: SmtpReply, who: string): Outcome {
  const o = relayedReplyLine(reply, who);
  // 421 closes the MTA's connection (smtp-server does so, and LMTP would lose the other recipients' replies);
  // for the MTA it is just a temporary failure of this delivery.
  return o.code === 421 ? { ...o, code: 451 } : o;
}

export class OutboundSession {
  private reader: ReplyReader;
  private stuffer = new DotStuffer();
  private closed = false;

  private constructor(
    private sock: Socket | TLSSocket,
    readonly target: OnionTarget,
    readonly extensions: Map<string, string>,
    readonly tls: boolean,
    private readonly opts: OutboundOptions,
    reader: ReplyReader,
  ) {
    this.reader = reader;
    sock.on('error', () => {}); // errors surface through the reader
  }

  get who(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  get supportsPipelining(): boolean {
    return this.extensions.has('PIPELINING');
  }

  /**
   * Connects to the first target that greets us. Tor and greeting failures move on to the next target; the
   * failure of the last one tried is what the MTA hears.
   */
  static async open(targets: OnionTarget[], opts: OutboundOptions): Promise<OutboundSession> {
    let last: Outcome = temp('4.4.0', 'no onion MX target');
    for (const target of targets) {
      try {
        return await OutboundSession.openOne(target, opts);
      } catch (err) {
        if (err instanceof DeliveryFailure) last = err.outcome;
        else throw err;
        if (last.code >= 500 && !last.torError) break; // a 5xx greeting/EHLO is the MX's own verdict
        if (opts.signal?.aborted) break;
      }
    }
    throw new DeliveryFailure(last);
  }

  private static async openOne(target: OnionTarget, opts: OutboundOptions): Promise<OutboundSession> {
    const who = `${target.host}:${target.port}`;
    let sock: Socket;
    try {
      sock = await opts.dialer({ socks: opts.socks, host: target.host, port: target.port, isolationKey: opts.isolationKey, timeoutMs: opts.timeouts.connectMs, ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (err) {
      if (err instanceof DialError) {
        throw new DeliveryFailure({ code: err.info.smtpCode, message: `${err.info.enhanced} ${err.info.reason} (${who})`, torError: err.info.label });
      }
      throw err;
    }
    let reader = new ReplyReader(sock);
    const t = opts.timeouts;
    try {
      const greeting = await reader.read(t.greetingMs, 'greeting');
      if (replyClass(greeting.code) !== 'ok') throw new DeliveryFailure(relayed(greeting, who));
      let ehlo = await command(sock, reader, `EHLO ${opts.heloName}`, t.ehloMs, 'EHLO');
      let extensions: Map<string, string>;
      if (replyClass(ehlo.code) === 'ok') extensions = parseEhloKeywords(ehlo);
      else {
        const helo = await command(sock, reader, `HELO ${opts.heloName}`, t.ehloMs, 'HELO');
        if (replyClass(helo.code) !== 'ok') throw new DeliveryFailure(relayed(helo, who));
        extensions = new Map();
      }
      let secure = false;
      if (opts.tls !== 'none' && extensions.has('STARTTLS')) {
        const r = await command(sock, reader, 'STARTTLS', t.ehloMs, 'STARTTLS');
        if (r.code === 220) {
          reader.detach();
          sock = await upgrade(sock, target.host, t.ehloMs);
          reader = new ReplyReader(sock);
          secure = true;
          ehlo = await command(sock, reader, `EHLO ${opts.heloName}`, t.ehloMs, 'EHLO after STARTTLS');
          if (replyClass(ehlo.code) !== 'ok') throw new DeliveryFailure(relayed(ehlo, who));
          extensions = parseEhloKeywords(ehlo);
        } else if (opts.tls === 'required') {
          throw new DeliveryFailure(temp('4.7.0', `TLS required but ${who} refused STARTTLS: ${r.code} ${replyText(r)}`));
        }
      } else if (opts.tls === 'required') {
        throw new DeliveryFailure(temp('4.7.0', `TLS required but ${who} does not offer STARTTLS`));
      }
      return new OutboundSession(sock, target, extensions, secure, opts, reader);
    } catch (err) {
      sock.destroy();
      if (err instanceof DeliveryFailure) throw err;
      throw new DeliveryFailure(phaseFailure(err, who));
    }
  }

  /**
   * Checks what the message needs against what the far side offers, before MAIL: a message it cannot take gets
   * a clean refusal instead of a downgrade we cannot do (no 8bit→7bit conversion, no UTF-8 address downgrade).
   */
  refusal(params: MailParams): Outcome | undefined {
    const sizeLimit = Number(this.extensions.get('SIZE') ?? '0');
    if (params.size && sizeLimit > 0 && params.size > sizeLimit) {
      return { code: 552, message: `5.3.4 message of ${params.size} bytes exceeds the ${sizeLimit} byte limit of ${this.who}` };
    }
    if (params.body?.toLowerCase() === '8bitmime' && !this.extensions.has('8BITMIME')) {
      return { code: 554, message: `5.6.3 ${this.who} does not support 8BITMIME and the relay does not convert 8bit messages` };
    }
    if (params.smtputf8 && !this.extensions.has('SMTPUTF8')) {
      return { code: 553, message: `5.6.7 ${this.who} does not support SMTPUTF8` };
    }
    return undefined;
  }

  mailCommand(from: string, params: MailParams): string {
    const parts = [`MAIL FROM:<${from}>`];
    if (params.size && this.extensions.has('SIZE')) parts.push(`SIZE=${params.size}`);
    if (params.body && this.extensions.has('8BITMIME')) parts.push(`BODY=${params.body.toUpperCase()}`);
    if (params.smtputf8 && this.extensions.has('SMTPUTF8')) parts.push('SMTPUTF8');
    // DSN parameters are passed on only to a DSN-capable MX; otherwise they are dropped (RFC 3461 §4.1 lets a
    // relay do so; the far MX then reports failures the ordinary way).
    if (this.extensions.has('DSN')) {
      if (params.ret) parts.push(`RET=${params.ret}`);
      if (params.envid) parts.push(`ENVID=${params.envid}`);
    }
    return parts.join(' ');
  }

  rcptCommand(to: string, params: RcptParams): string {
    const parts = [`RCPT TO:<${to}>`];
    if (this.extensions.has('DSN')) {
      if (params.notify) parts.push(`NOTIFY=${params.notify}`);
      if (params.orcpt) parts.push(`ORCPT=${params.orcpt}`);
    }
    return parts.join(' ');
  }

  async mail(from: string, params: MailParams): Promise<Outcome> {
    return this.step(this.mailCommand(from, params), this.opts.timeouts.mailMs, 'MAIL');
  }

  async rcpt(to: string, params: RcptParams): Promise<Outcome> {
    return this.step(this.rcptCommand(to, params), this.opts.timeouts.rcptMs, 'RCPT');
  }

  /** MAIL and every RCPT, in one write when the far side offers PIPELINING (RFC 2920), else one by one. */
  async envelope(from: string, params: MailParams, rcpts: { address: string; params: RcptParams }[]): Promise<{ mail: Outcome; rcpts: Outcome[] }> {
    if (!this.supportsPipelining) {
      const mail = await this.mail(from, params);
      if (mail.code >= 400) return { mail, rcpts: rcpts.map(() => mail) };
      const out: Outcome[] = [];
      for (const r of rcpts) out.push(await this.rcpt(r.address, r.params));
      return { mail, rcpts: out };
    }
    const lines = [this.mailCommand(from, params), ...rcpts.map((r) => this.rcptCommand(r.address, r.params))];
    this.sock.write(lines.map((l) => l + '\r\n').join(''));
    let mail: Outcome;
    try {
      mail = relayed(await this.reader.read(this.opts.timeouts.mailMs, 'MAIL'), this.who);
    } catch (err) {
      this.destroy();
      const o = phaseFailure(err, this.who);
      return { mail: o, rcpts: rcpts.map(() => o) };
    }
    // With MAIL refused the RCPT replies are 503s (or never come, after a 421) that would hide the real reason.
    if (mail.code >= 400) {
      this.destroy();
      return { mail, rcpts: rcpts.map(() => mail) };
    }
    const out: Outcome[] = [];
    try {
      for (let i = 0; i < rcpts.length; i++) out.push(relayed(await this.reader.read(this.opts.timeouts.rcptMs, 'RCPT'), this.who));
    } catch (err) {
      this.destroy();
      const o = phaseFailure(err, this.who);
      return { mail, rcpts: rcpts.map((_, i) => out[i] ?? o) };
    }
    return { mail, rcpts: out };
  }

  /** DATA → expects 354. Anything else is the outcome for every recipient. */
  async dataStart(): Promise<Outcome> {
    this.stuffer = new DotStuffer();
    return this.step('DATA', this.opts.timeouts.dataInitMs, 'DATA');
  }

  /** Still connected and in step with the far side (no reply pending or lost): may carry another transaction. */
  get reusable(): boolean {
    return !this.closed && !this.sock.destroyed && !this.reader.failed;
  }

  /** RSET before reusing a cached connection: proves it is alive and clears any state. */
  async reset(): Promise<boolean> {
    if (!this.reusable) return false;
    const r = await this.step('RSET', this.opts.timeouts.mailMs, 'RSET');
    if (r.code === 250) return true;
    this.destroy();
    return false;
  }

  /** Writes one chunk of message data; resolves once the socket can take more (backpressure). */
  async write(chunk: Buffer): Promise<void> {
    const r = this.writeChunk(chunk);
    if (r !== true) await r;
  }

  /**
   * `write` without a promise in the common case: true when the socket takes more at once, else a promise of
   * the drain (rejected on timeout or loss). Throws when the connection is already gone.
   */
  writeChunk(chunk: Buffer): true | Promise<void> {
    const gone = () => this.closed || this.sock.destroyed || this.reader.failed;
    if (gone()) throw new PhaseError('message transfer', 'connection lost');
    const ok = this.sock.write(this.stuffer.push(chunk));
    // write() says false for any chunk over the high-water mark, even one the kernel took at once; what is still
    // queued after the write is what backpressure is about. Waiting for 'drain' (a timer, listeners, pausing the
    // MTA's stream) on every chunk was the relay's largest cost after parsing.
    if (ok || this.sock.writableLength < this.sock.writableHighWaterMark) return true;
    if (gone()) throw new PhaseError('message transfer', 'connection lost');
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new PhaseError('message transfer', 'timeout')), this.opts.timeouts.dataBlockMs);
      const onDrain = () => done();
      const onClose = () => done(new PhaseError('message transfer', 'connection lost'));
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.sock.off('drain', onDrain);
        this.sock.off('close', onClose);
        this.sock.off('error', onClose);
        if (err) reject(err);
        else resolve();
      };
      this.sock.on('drain', onDrain);
      this.sock.on('close', onClose);
      this.sock.on('error', onClose);
    });
  }

  /** Sends the end-of-data mark and returns the far side's verdict on the message. */
  async finish(): Promise<Outcome> {
    return this.step(null, this.opts.timeouts.dataEndMs, 'end of DATA', this.stuffer.end());
  }

  async quit(): Promise<void> {
    if (this.closed) return;
    try {
      this.sock.write('QUIT\r\n');
      await this.reader.read(5000, 'QUIT');
    } catch {
      // the transaction is over either way
    }
    this.destroy();
  }

  destroy(): void {
    this.closed = true;
    this.reader.detach();
    this.sock.destroy();
  }

  private async step(line: string | null, timeoutMs: number, phase: string, raw?: Buffer): Promise<Outcome> {
    if (this.closed) return temp('4.4.2', `connection to ${this.who} already closed before ${phase}`);
    try {
      this.sock.write(raw ?? line + '\r\n');
      return relayed(await this.reader.read(timeoutMs, phase), this.who);
    } catch (err) {
      this.destroy();
      return phaseFailure(err, this.who);
    }
  }
}

async function command(sock: Socket, reader: ReplyReader, line: string, timeoutMs: number, phase: string): Promise<SmtpReply> {
  sock.write(line + '\r\n');
  return reader.read(timeoutMs, phase);
}

function upgrade(sock: Socket, servername: string, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // The onion address already authenticates the peer and Tor encrypts the stream; TLS here is defence in depth,
    // so certificates (usually self-signed on onion MXs) are not verified.
    const tls = tlsConnect({ socket: sock, servername, rejectUnauthorized: false });
    const timer = setTimeout(() => {
      tls.destroy();
      reject(new PhaseError('TLS handshake', 'timeout'));
    }, timeoutMs);
    tls.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(tls);
    });
    tls.once('error', (err) => {
      clearTimeout(timer);
      reject(new PhaseError('TLS handshake', err.message));
    });
  });
}

function phaseFailure(err: unknown, who: string): Outcome {
  if (err instanceof PhaseError) {
    return temp('4.4.2', `${err.why} during ${err.phase} with ${who}`);
  }
  return temp('4.4.0', `error talking to ${who}: ${(err as Error).message}`);
}
