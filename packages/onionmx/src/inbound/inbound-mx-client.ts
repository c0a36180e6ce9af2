/**
 * The inbound front's SMTP client towards the internal MX: one command at a time, each reply handed back to the
 * caller so it can be passed through to the Tor-side client, message data streamed with backpressure.
 *
 * nodemailer's SMTPConnection sends a whole envelope at once; the inbound front needs the MX's answer to each RCPT
 * while the Tor-side client waits for it, XCLIENT with a second greeting, and a PROXY header before the banner, so it
 * speaks the protocol itself.
 */
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { HostPort } from '@peergroup/service';
import { encodeProxyV1, encodeProxyV2, type ProxyAddresses } from '@peergroup/mta-codecs';
import { SmtpReplyDecoder, parseEhloKeywords, type SmtpReply } from '@peergroup/mta-codecs';
import { formatXclient, xclientCapability, type XclientAttributes } from '@peergroup/mta-codecs';
import { DotStuffer } from '@peergroup/mta-codecs';

/** RFC 5321 §4.5.3.2 client timeouts, in milliseconds. */
export interface MxTimeouts {
  connect: number;
  greeting: number;
  command: number;
  dataInit: number;
  dataBlock: number;
  dataTerm: number;
}

export type MxIdentity =
  | { mode: 'xclient'; attributes: XclientAttributes }
  | { mode: 'proxy-v1' | 'proxy-v2'; addresses: ProxyAddresses }
  /** Only for an MX that judges the front's own address as unprivileged (e.g. on another host). */
  | { mode: 'none' };

export interface MxClientOptions {
  mx: HostPort;
  /** Name the front uses in EHLO before XCLIENT (the MX sees the client's HELO name afterwards). */
  ehloName: string;
  /** EHLO name presented once the MX sees the pseudo client; normally the Tor-side client's HELO name. */
  clientHelo: string;
  identity: MxIdentity;
  timeouts: MxTimeouts;
}

/** A failure talking to the MX (network, timeout, protocol). The transaction result is unknown or failed: tempfail. */
/** The whole reply text on one line (enhanced code kept: it is passed on to the Tor-side client), control characters blanked. */
export function replyLine(reply: SmtpReply): string {
  return reply.lines.join(' ').replace(/[\x00-\x1f\x7f]/g, ' ').trim();
}

export class MxError extends Error {
  override name = 'MxError';
  constructor(
    message: string,
    /** 'refused' when the MX answered with a negative reply that ends the session (greeting, XCLIENT). */
    readonly kind: 'connect' | 'timeout' | 'closed' | 'protocol' | 'refused' | 'identity',
    readonly reply?: SmtpReply,
  ) {
    super(message);
  }
}

export class MxSession {
  private readonly parser = new SmtpReplyDecoder();
  private readonly queue: SmtpReply[] = [];
  private waiter: { resolve: (r: SmtpReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private failure: MxError | null = null;
  /** EHLO keywords (upper case) → parameters. */
  extensions = new Map<string, string>();
  /** MAIL accepted and not yet finished by the final DATA reply or RSET. */
  inTransaction = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const reply of this.parser.push(chunk)) this.deliver(reply);
      } catch (err) {
        this.fail(new MxError(`internal MX protocol error: ${(err as Error).message}`, 'protocol'));
      }
    });
    socket.on('error', (err) => this.fail(new MxError(`internal MX connection error: ${err.message}`, 'closed')));
    socket.on('close', () => this.fail(new MxError('internal MX closed the connection', 'closed')));
  }

  get broken(): boolean {
    return this.failure !== null;
  }

  private deliver(reply: SmtpReply): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      clearTimeout(w.timer);
      w.resolve(reply);
    } else {
      this.queue.push(reply);
    }
  }

  private fail(err: MxError): void {
    if (this.failure) return;
    this.failure = err;
    this.socket.destroy();
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  /** Next reply, or MxError on timeout/close. */
  read(timeoutMs: number, what: string): Promise<SmtpReply> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new MxError(`internal MX did not answer ${what} within ${Math.round(timeoutMs / 1000)} s`, 'timeout'));
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }

  /** Sends one command line and reads its reply. `line` must not contain CR or LF. */
  async command(line: string, timeoutMs: number, what = line.split(' ')[0] ?? 'command'): Promise<SmtpReply> {
    if (/[\r\n]/.test(line)) throw new Error('command line contains CR or LF');
    if (this.failure) throw this.failure;
    this.socket.write(`${line}\r\n`);
    return this.read(timeoutMs, what);
  }

  /**
   * Streams `body` (un-stuffed message bytes, as smtp-server hands them) after a positive DATA reply and returns the
   * final reply. `check` runs on every chunk before it is sent and with null before the terminating dot; when it returns an error message the transaction is
   * abandoned (the connection is destroyed so the MX discards the partial message, never sees the terminating dot).
   */
  async sendData(body: Readable, timeouts: MxTimeouts, check: (chunk: Buffer | null) => string | null): Promise<{ reply: SmtpReply } | { aborted: string; bytes: number }> {
    const stuffer = new DotStuffer();
    let bytes = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const problem = check(chunk);
      if (problem) {
        this.fail(new MxError(`transaction abandoned: ${problem}`, 'protocol'));
        // Drain the client's data so smtp-server can answer it.
        for await (const _ of body) void _;
        return { aborted: problem, bytes };
      }
      if (this.failure) {
        for await (const _ of body) void _;
        throw this.failure;
      }
      bytes += chunk.length;
      if (!this.socket.write(stuffer.push(chunk))) await this.drained(timeouts.dataBlock);
    }
    if (this.failure) throw this.failure;
    const last = check(null);
    if (last) {
      this.fail(new MxError(`transaction abandoned: ${last}`, 'protocol'));
      return { aborted: last, bytes };
    }
    this.socket.write(stuffer.end());
    this.inTransaction = false;
    return { reply: await this.read(timeouts.dataTerm, 'the end of DATA') };
  }

  private drained(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const done = (err?: MxError) => {
        clearTimeout(timer);
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(this.failure ?? new MxError('internal MX closed the connection', 'closed'));
      const timer = setTimeout(() => {
        this.fail(new MxError(`internal MX did not accept data for ${Math.round(timeoutMs / 1000)} s`, 'timeout'));
        done(this.failure!);
      }, timeoutMs);
      this.socket.on('drain', onDrain);
      this.socket.on('close', onClose);
    });
  }

  /** Polite end: QUIT and close; errors are irrelevant at this point. */
  async quit(timeoutMs = 5000): Promise<void> {
    if (this.failure) return;
    try {
      await this.command('QUIT', timeoutMs);
    } catch {
      /* the session is over either way */
    }
    this.socket.end();
    this.fail(new MxError('session closed', 'closed'));
  }

  /** Drops the connection at once: an unfinished DATA is discarded by the MX. */
  abort(reason = 'aborted'): void {
    this.fail(new MxError(reason, 'closed'));
  }

  private async ehlo(name: string, timeouts: MxTimeouts): Promise<SmtpReply> {
    const reply = await this.command(`EHLO ${name}`, timeouts.command, 'EHLO');
    if (reply.code !== 250) throw new MxError(`internal MX refused EHLO: ${reply.code} ${replyLine(reply)}`, 'refused', reply);
    this.extensions = parseEhloKeywords(reply);
    return reply;
  }

  /**
   * Connects and sets the MX up so it sees the configured pseudo client: PROXY header before anything else, or EHLO +
   * XCLIENT + the second greeting. The final EHLO carries the Tor-side client's HELO name.
   */
  static async open(opts: MxClientOptions): Promise<MxSession> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: opts.mx.host, port: opts.mx.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new MxError(`cannot connect to the internal MX ${opts.mx.host}:${opts.mx.port}: timeout`, 'connect'));
      }, opts.timeouts.connect);
      s.once('connect', () => {
        clearTimeout(timer);
        s.off('error', onError);
        resolve(s);
      });
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(new MxError(`cannot connect to the internal MX ${opts.mx.host}:${opts.mx.port}: ${err.message}`, 'connect'));
      };
      s.once('error', onError);
    });
    socket.setNoDelay(true);
    const session = new MxSession(socket);
    try {
      const id = opts.identity;
      if (id.mode === 'proxy-v1') socket.write(encodeProxyV1(id.addresses));
      if (id.mode === 'proxy-v2') socket.write(encodeProxyV2(id.addresses));
      const greeting = await session.read(opts.timeouts.greeting, 'with a greeting');
      if (greeting.code !== 220) throw new MxError(`internal MX greeting: ${greeting.code} ${replyLine(greeting)}`, 'refused', greeting);
      if (id.mode === 'xclient') {
        const reply = await session.ehlo(opts.ehloName, opts.timeouts);
        const offered = xclientCapability(reply.lines.slice(1));
        if (!offered) {
          throw new MxError('the internal MX does not offer XCLIENT to the inbound front (smtpd_authorized_xclient_hosts)', 'identity');
        }
        let lines: string[];
        try {
          lines = formatXclient(id.attributes, offered, ['ADDR', 'NAME']);
        } catch (err) {
          throw new MxError((err as Error).message, 'identity');
        }
        for (const line of lines) {
          const r = await session.command(line, opts.timeouts.command, 'XCLIENT');
          if (r.code !== 220) throw new MxError(`internal MX refused XCLIENT: ${r.code} ${replyLine(r)}`, 'identity', r);
        }
      }
      try {
        await session.ehlo(opts.clientHelo, opts.timeouts);
      } catch (err) {
        // A PROXY header sent to an MX that does not expect one is read as a bogus command: the reply to EHLO is then
        // that command's error. Never go on: the MX would judge the session by our own (trusted) address.
        if (id.mode.startsWith('proxy') && err instanceof MxError && err.kind === 'refused') {
          throw new MxError(`${err.message} (is the MX port configured for the PROXY protocol?)`, 'identity', err.reply);
        }
        throw err;
      }
      return session;
    } catch (err) {
      session.abort();
      throw err;
    }
  }
}
