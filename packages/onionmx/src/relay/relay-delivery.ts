/**
 * One outbound transaction to one onion MX over the shared SMTP client (@peergroup/smtp-client), through a Dialer
 * (Tor's SOCKS port). What is the relay's own here: trying the targets in order, refusing before MAIL what the far side
 * cannot take, the MTA's MAIL/RCPT parameters as far as the far side offers them, and every step's result as the
 * Outcome the MTA hears (trouble.ts words the failures).
 */
import type { HostPort } from '@peergroup/service';
import {
  replyOf,
  relayTrouble,
  relayedReply,
  SmtpSession,
  TROUBLE,
  type Reply,
  type SmtpTimeouts,
  type TlsPolicy,
} from '@peergroup/smtp-client';
import type { Dialer } from './onion-dialer.ts';
import type { OnionTarget } from '../routing/route-decision.ts';

export type { TlsPolicy } from '@peergroup/smtp-client';

export interface OutboundOptions {
  dialer: Dialer;
  socks: HostPort;
  heloName: string;
  tls: TlsPolicy;
  timeouts: SmtpTimeouts;
  /** Tor circuit isolation key (the recipient domain). */
  isolationKey: string;
  signal?: AbortSignal;
}

/** What we tell the MTA about one step: one line starting with an enhanced code; `torError` when Tor was the reason. */
export type Outcome = Reply & { torError?: string };

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

export class OutboundSession {
  private constructor(
    private readonly smtp: SmtpSession,
    readonly target: OnionTarget,
  ) {}

  get who(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  get extensions(): Map<string, string> {
    return this.smtp.extensions;
  }

  get tls(): boolean {
    return this.smtp.tls;
  }

  /**
   * Connects to the first target that greets us. Tor and greeting failures move on to the next target; the
   * failure of the last one tried is what the MTA hears.
   */
  static async open(targets: OnionTarget[], opts: OutboundOptions): Promise<OutboundSession> {
    let last: Outcome = replyOf(TROUBLE.relayNoTarget);
    for (const target of targets) {
      try {
        const smtp = await SmtpSession.open({
          connect: () =>
            opts.dialer({
              socks: opts.socks,
              host: target.host,
              port: target.port,
              isolationKey: opts.isolationKey,
              timeoutMs: opts.timeouts.connect,
              ...(opts.signal ? { signal: opts.signal } : {}),
            }),
          helo: opts.heloName,
          heloFallback: true,
          tls: opts.tls,
          servername: target.host,
          timeouts: opts.timeouts,
        });
        return new OutboundSession(smtp, target);
      } catch (err) {
        last = relayTrouble(err, `${target.host}:${target.port}`);
        if (last.code >= 500 && !last.torError) break; // a 5xx greeting/EHLO is the MX's own verdict
        if (opts.signal?.aborted) break;
      }
    }
    throw new DeliveryFailure(last);
  }

  /**
   * Checks what the message needs against what the far side offers, before MAIL: a message it cannot take gets
   * a clean refusal instead of a downgrade we cannot do (no 8bit→7bit conversion, no UTF-8 address downgrade).
   */
  refusal(params: MailParams): Outcome | undefined {
    const sizeLimit = Number(this.extensions.get('SIZE') ?? '0');
    if (params.size && sizeLimit > 0 && params.size > sizeLimit) return replyOf(TROUBLE.relayTooBig, params.size, sizeLimit, this.who);
    if (params.body?.toLowerCase() === '8bitmime' && !this.extensions.has('8BITMIME')) return replyOf(TROUBLE.relayNo8bit, this.who);
    if (params.smtputf8 && !this.extensions.has('SMTPUTF8')) return replyOf(TROUBLE.relayNoUtf8, this.who);
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

  mail(from: string, params: MailParams): Promise<Outcome> {
    return this.step(this.mailCommand(from, params), 'mail');
  }

  rcpt(to: string, params: RcptParams): Promise<Outcome> {
    return this.step(this.rcptCommand(to, params), 'rcpt');
  }

  /** MAIL and every RCPT, in one write when the far side offers PIPELINING (RFC 2920), else one by one. */
  async envelope(
    from: string,
    params: MailParams,
    rcpts: { address: string; params: RcptParams }[],
  ): Promise<{ mail: Outcome; rcpts: Outcome[] }> {
    if (!this.extensions.has('PIPELINING')) {
      const mail = await this.mail(from, params);
      if (mail.code >= 400) return { mail, rcpts: rcpts.map(() => mail) };
      const out: Outcome[] = [];
      for (const r of rcpts) out.push(await this.rcpt(r.address, r.params));
      return { mail, rcpts: out };
    }
    let mail: Outcome;
    try {
      this.smtp.send([this.mailCommand(from, params), ...rcpts.map((r) => this.rcptCommand(r.address, r.params))], 'mail');
      mail = relayedReply(await this.smtp.read('mail'), this.who);
    } catch (err) {
      this.destroy();
      const o = relayTrouble(err, this.who);
      return { mail: o, rcpts: rcpts.map(() => o) };
    }
    // With MAIL refused the RCPT replies are 503s (or never come, after a 421) that would hide the real reason.
    if (mail.code >= 400) {
      this.destroy();
      return { mail, rcpts: rcpts.map(() => mail) };
    }
    const out: Outcome[] = [];
    try {
      for (let i = 0; i < rcpts.length; i++) out.push(relayedReply(await this.smtp.read('rcpt'), this.who));
    } catch (err) {
      const o = relayTrouble(err, this.who);
      return { mail, rcpts: rcpts.map((_, i) => out[i] ?? o) };
    }
    return { mail, rcpts: out };
  }

  /**
   * A whole envelope and DATA, as few round trips as the far side allows: with PIPELINING (RFC 2920) `[RSET,] MAIL,
   * RCPT…, DATA` in one write — over Tor every round trip is a circuit's latency — else one by one. `rset`: the
   * session came from the idle cache unverified; its RSET failing means it died while idle: `stale`, nothing was
   * sent that could deliver anything, and the caller retries on a new connection. `data` is present when at least one
   * recipient was accepted: the 354 to send the message after, or the outcome for the accepted recipients.
   * `data: false` stops after the RCPTs (SMTP mode: the MTA's own DATA comes later, or more RCPTs first).
   */
  async transaction(
    from: string,
    params: MailParams,
    rcpts: { address: string; params: RcptParams }[],
    opts: { rset: boolean; data?: boolean },
  ): Promise<{ stale?: true; mail: Outcome; rcpts: Outcome[]; data?: Outcome }> {
    const withData = opts.data !== false;
    const stale = () => {
      this.destroy();
      const o = replyOf(TROUBLE.relayGone, 'RSET', this.who);
      return { stale: true as const, mail: o, rcpts: rcpts.map(() => o) };
    };
    if (!this.extensions.has('PIPELINING')) {
      if (opts.rset && !(await this.rset())) return stale();
      const env = await this.envelope(from, params, rcpts);
      if (!withData || env.mail.code >= 400 || env.rcpts.every((r) => r.code >= 400)) return env;
      return { ...env, data: await this.dataStart() };
    }
    try {
      this.smtp.send(
        [
          ...(opts.rset ? ['RSET'] : []),
          this.mailCommand(from, params),
          ...rcpts.map((r) => this.rcptCommand(r.address, r.params)),
          ...(withData ? ['DATA'] : []),
        ],
        'mail',
      );
    } catch (err) {
      if (opts.rset) return stale();
      this.destroy();
      const o = relayTrouble(err, this.who);
      return { mail: o, rcpts: rcpts.map(() => o) };
    }
    if (opts.rset) {
      try {
        if ((await this.smtp.read('rset')).code !== 250) return stale();
      } catch {
        return stale();
      }
    }
    let mail: Outcome;
    const out: Outcome[] = [];
    try {
      mail = relayedReply(await this.smtp.read('mail'), this.who);
      // With MAIL refused the RCPT and DATA replies are 503s (or never come, after a 421) that would hide the reason.
      if (mail.code >= 400) {
        this.destroy();
        return { mail, rcpts: rcpts.map(() => mail) };
      }
      for (let i = 0; i < rcpts.length; i++) out.push(relayedReply(await this.smtp.read('rcpt'), this.who));
    } catch (err) {
      const o = relayTrouble(err, this.who);
      return { mail: o, rcpts: rcpts.map((_, i) => out[i] ?? o) };
    }
    if (!withData) return { mail, rcpts: out };
    let data: Outcome;
    try {
      data = relayedReply(await this.smtp.read('data'), this.who);
    } catch (err) {
      data = relayTrouble(err, this.who);
    }
    if (out.every((r) => r.code >= 400)) {
      // RFC 2920 §3.1: DATA without a valid recipient is refused; a far side that says 354 anyway gets no message.
      if (data.code === 354) this.destroy();
      return { mail, rcpts: out };
    }
    return { mail, rcpts: out, data };
  }

  /** DATA → expects 354. Anything else is the outcome for every recipient. */
  async dataStart(): Promise<Outcome> {
    if (this.smtp.broken) return replyOf(TROUBLE.relayGone, 'DATA', this.who);
    try {
      return relayedReply(await this.smtp.data(), this.who);
    } catch (err) {
      return relayTrouble(err, this.who);
    }
  }

  /** Still connected and in step with the far side (no reply pending or lost): may carry another transaction. */
  get reusable(): boolean {
    return this.smtp.reusable;
  }

  /** RSET before reusing a cached connection: proves it is alive and clears any state. */
  rset(): Promise<boolean> {
    return this.smtp.rset();
  }

  /**
   * One chunk of message data (`stuffed`: still dot-stuffed, sent verbatim) without a promise in the common case:
   * true when the socket takes more at once, else a promise of the drain (rejected on timeout or loss). Throws when
   * the connection is already gone.
   */
  writeChunk(chunk: Buffer, stuffed = false): true | Promise<void> {
    return this.smtp.writeData(chunk, stuffed);
  }

  /** Sends the end-of-data mark and returns the far side's verdict on the message. */
  async finish(): Promise<Outcome> {
    if (this.smtp.broken) return replyOf(TROUBLE.relayGone, 'end of DATA', this.who);
    try {
      return relayedReply(await this.smtp.endData(), this.who);
    } catch (err) {
      return relayTrouble(err, this.who);
    }
  }

  quit(): Promise<void> {
    return this.smtp.quit();
  }

  destroy(): void {
    this.smtp.destroy();
  }

  private async step(line: string, phase: 'mail' | 'rcpt'): Promise<Outcome> {
    if (this.smtp.broken) return replyOf(TROUBLE.relayGone, phase.toUpperCase(), this.who);
    try {
      return relayedReply(await this.smtp.command(line, phase), this.who);
    } catch (err) {
      return relayTrouble(err, this.who);
    }
  }
}
