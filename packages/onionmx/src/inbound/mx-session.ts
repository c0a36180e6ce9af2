/**
 * The front's session with the internal MX, on the shared SMTP client: the MX must judge the pseudo client, never the
 * front's own (trusted, loopback) address, so the session starts with a PROXY header before the banner, or with EHLO +
 * XCLIENT + the second EHLO in the client's name. Then one command at a time, each reply handed back so it can be
 * passed to the Tor-side client, and the message streamed with backpressure.
 */
import type { Readable } from 'node:stream';
import type { HostPort } from '@peergroup/service';
import {
  encodeProxyV1,
  encodeProxyV2,
  formatXclient,
  xclientCapability,
  type ProxyAddresses,
  type SmtpReply,
  type XclientAttributes,
} from '@peergroup/mta-codecs';
import { connectTcp, SmtpClientError, SmtpSession, type FrontIdentity, type SmtpPhase, type SmtpTimeouts } from '@peergroup/smtp-client';
import { replyLine } from './mail-params.ts';

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
  timeouts: SmtpTimeouts;
}

/** The identity step as trouble.ts knows it. */
export const identityKind = (mode: MxIdentity['mode']): FrontIdentity =>
  mode === 'xclient' ? 'xclient' : mode === 'none' ? 'none' : 'proxy';

export class InternalMx {
  /** MAIL accepted and not yet finished by the final DATA reply or RSET. */
  inTransaction = false;

  private constructor(private readonly smtp: SmtpSession) {}

  /** Connects and presents the pseudo client; a failure is an SmtpClientError (phase 'xclient' for XCLIENT). */
  static async open(opts: MxClientOptions): Promise<InternalMx> {
    const id = opts.identity;
    const smtp = await SmtpSession.open({
      connect: () => connectTcp({ host: opts.mx.host, port: opts.mx.port, timeoutMs: opts.timeouts.connect }),
      helo: id.mode === 'xclient' ? opts.ehloName : opts.clientHelo,
      tls: 'none',
      timeouts: opts.timeouts,
      ...(id.mode === 'proxy-v1'
        ? { preamble: encodeProxyV1(id.addresses) }
        : id.mode === 'proxy-v2'
          ? { preamble: encodeProxyV2(id.addresses) }
          : {}),
      ...(id.mode === 'xclient' ? { afterEhlo: (s: SmtpSession) => xclient(s, id.attributes, opts.clientHelo) } : {}),
    });
    return new InternalMx(smtp);
  }

  get extensions(): ReadonlyMap<string, string> {
    return this.smtp.extensions;
  }

  get broken(): boolean {
    return this.smtp.broken;
  }

  command(line: string, phase: SmtpPhase): Promise<SmtpReply> {
    return this.smtp.command(line, phase);
  }

  /**
   * Streams `body` (un-stuffed message bytes, as smtp-server hands them) after a positive DATA reply and returns the
   * final reply. `check` runs on every chunk before it is sent and with null before the terminating dot; when it
   * returns a problem the transaction is abandoned (the connection is destroyed so the MX discards the partial
   * message, never sees the terminating dot).
   */
  async sendData(body: Readable, check: (chunk: Buffer | null) => string | null): Promise<{ reply: SmtpReply } | { aborted: string }> {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const problem = check(chunk);
      if (problem) {
        this.abort();
        // Drain the client's data so smtp-server can answer it.
        for await (const _ of body) void _;
        return { aborted: problem };
      }
      let wait: true | Promise<void>;
      try {
        wait = this.smtp.writeData(chunk);
      } catch (err) {
        for await (const _ of body) void _;
        throw err;
      }
      if (wait !== true) await wait;
    }
    const last = check(null);
    if (last) {
      this.abort();
      return { aborted: last };
    }
    this.inTransaction = false;
    return { reply: await this.smtp.endData() };
  }

  /** Polite end: QUIT, which also ends an open transaction; errors are irrelevant at this point. */
  quit(): Promise<void> {
    return this.smtp.quit();
  }

  /** Drops the connection at once: an unfinished DATA is discarded by the MX. */
  abort(): void {
    this.smtp.destroy();
  }
}

async function xclient(s: SmtpSession, attributes: XclientAttributes, clientHelo: string): Promise<void> {
  const offered = xclientCapability([...s.extensions].map(([k, v]) => (v ? `${k} ${v}` : k)));
  if (!offered)
    throw new SmtpClientError(
      'xclient',
      'protocol',
      'the internal MX does not offer XCLIENT to the inbound front (smtpd_authorized_xclient_hosts)',
    );
  let lines: string[];
  try {
    lines = formatXclient(attributes, offered, ['ADDR', 'NAME']);
  } catch (err) {
    throw new SmtpClientError('xclient', 'protocol', (err as Error).message, { cause: err });
  }
  for (const line of lines) {
    const r = await s.command(line, 'xclient');
    if (r.code !== 220)
      throw new SmtpClientError('xclient', 'reply', `internal MX refused XCLIENT: ${r.code} ${replyLine(r)}`, { reply: r });
  }
  await s.ehlo(clientHelo);
}
