/**
 * A programmable far-side SMTP/LMTP server (the smtp-server package) for delivery tests: it records what it
 * accepted, byte for byte, and can be scripted to refuse or stall at any phase of the transaction.
 *
 * It is the "far MX" of a test, not a stand-in for Postfix or Exim: tests that need a real MTA use postfix.ts /
 * exim.ts and point them at a sink.
 */
import { EventEmitter } from 'node:events';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession, type SMTPServerOptions } from 'smtp-server';
import type { Readable } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * A scripted reply. Codes >= 400 refuse; a 2xx code only customises the text of a DATA reply. smtp-server adds an
 * enhanced status code (e.g. `451 4.0.0 text`) unless `message` starts with one (`'4.2.2 mailbox full'`).
 */
export interface SinkReply {
  code: number;
  message?: string;
}

export type SinkPhase = 'connect' | 'mail' | 'rcpt' | 'data' | 'dot';

export interface SinkMessage {
  from: string;
  /** Envelope recipients, as given in RCPT TO. */
  to: string[];
  /** The message exactly as received (dot-unstuffed, CRLF line ends as sent, no terminating dot line). */
  data: Buffer;
  helo?: string;
  /** ESMTP parameters of MAIL FROM (e.g. `{ SIZE: '123', BODY: '8BITMIME', SMTPUTF8: true }`). */
  mailParams: Record<string, string | boolean>;
  /** ESMTP parameters of each RCPT TO, in order (e.g. `{ NOTIFY: 'SUCCESS,FAILURE', ORCPT: 'rfc822;a@b' }`). */
  rcptParams: Array<Record<string, string | boolean>>;
  /** The client's address as the sink sees it: after PROXY/XCLIENT when those are enabled. */
  remoteAddress: string;
  /** The address of the TCP peer itself (differs from remoteAddress behind PROXY/XCLIENT). */
  peerAddress: string;
  /** With `useProxy`: the client address the PROXY header declared. */
  proxy?: { address: string };
  /** XCLIENT attributes sent by the client (only with `useXClient`), e.g. `{ ADDR: '192.0.2.1', NAME: 'onion' }`. */
  xclient?: Record<string, string>;
  /** True when the session was upgraded with STARTTLS. */
  secure: boolean;
  /** SMTP, ESMTP, ESMTPS, LMTP … as smtp-server reports it. */
  transmissionType: string;
  /** Time the final reply was decided. */
  receivedAt: Date;
}

export interface SinkBehaviour {
  /** Called for each connection; a reply >= 400 is sent instead of the greeting and the connection closed. */
  onConnect?: (info: { remoteAddress: string; remotePort: number }) => SinkReply | void | Promise<SinkReply | void>;
  onMailFrom?: (address: string, params: Record<string, string | boolean>) => SinkReply | void | Promise<SinkReply | void>;
  onRcptTo?: (address: string, params: Record<string, string | boolean>, from: string) => SinkReply | void | Promise<SinkReply | void>;
  /**
   * Called once the whole message arrived. A single reply applies to the transaction (to every recipient with
   * LMTP); with LMTP an array gives one reply per accepted recipient, in RCPT order.
   */
  onData?: (msg: SinkMessage) => SinkReply | SinkReply[] | void | Promise<SinkReply | SinkReply[] | void>;
  /** Never answer at that phase ('data' = the DATA command, 'dot' = the end of the message); the client must time out. */
  stallAt?: SinkPhase;
}

export interface SmtpSinkOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Speak LMTP (LHLO, one reply per recipient after DATA) instead of SMTP. */
  lmtp?: boolean;
  behaviour?: SinkBehaviour;
  /** Advertised and enforced SIZE limit in bytes (552 beyond it). Default: no limit, SIZE not advertised. */
  size?: number;
  /** Offer STARTTLS (smtp-server's built-in self-signed certificate). Default false. */
  starttls?: boolean;
  /** Which ESMTP extensions to advertise; each defaults to true. */
  extensions?: { pipelining?: boolean; eightBitMime?: boolean; smtputf8?: boolean; dsn?: boolean; enhancedStatusCodes?: boolean };
  /** Accept XCLIENT from these peers (true = any). */
  useXClient?: boolean | string[];
  /** Expect a PROXY protocol header from these peers (true = any). */
  useProxy?: boolean | string[];
  /** Server name in the greeting. Default 'sink.test'. */
  name?: string;
  /** Idle timeout per connection, ms. Default 60 s. */
  socketTimeout?: number;
}

export interface SmtpSink {
  host: string;
  port: number;
  /** Messages accepted (2xx after DATA), in arrival order. With LMTP, `to` lists only the recipients that got 2xx. */
  messages: SinkMessage[];
  /** Messages that arrived in full but were refused at the end of DATA (or, with LMTP, for every recipient). */
  rejected: SinkMessage[];
  /** Number of TCP connections accepted so far. */
  connections: number;
  /** Replace the scripted behaviour (e.g. 451 first, then accept to let the MTA's retry succeed). */
  setBehaviour(b: SinkBehaviour): void;
  /** Resolves with the first `n` accepted messages once they arrived; rejects after `timeoutMs` (default 15 s). */
  waitFor(n: number, timeoutMs?: number): Promise<SinkMessage[]>;
  /** Closes the listener and drops every open (also stalled) connection. Idempotent. */
  close(): Promise<void>;
}

function smtpError(reply: SinkReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.message ?? defaultText(reply.code)), { responseCode: reply.code });
}

function defaultText(code: number): string {
  if (code >= 500) return 'Error: refused by sink';
  if (code >= 400) return 'Error: try again later (sink)';
  return 'OK';
}

function params(a: SMTPServerAddress): Record<string, string | boolean> {
  return (a.args || {}) as Record<string, string | boolean>;
}

/** Header block of a message (up to the first empty line), without the separator. */
export function messageHeaders(data: Buffer): string {
  const i = data.indexOf('\r\n\r\n');
  const j = data.indexOf('\n\n');
  if (i >= 0 && (j < 0 || i <= j)) return data.subarray(0, i).toString('utf8');
  if (j >= 0) return data.subarray(0, j).toString('utf8');
  return data.toString('utf8');
}

/** Body of a message (after the first empty line), as bytes. */
export function messageBody(data: Buffer): Buffer {
  const i = data.indexOf('\r\n\r\n');
  const j = data.indexOf('\n\n');
  if (i >= 0 && (j < 0 || i <= j)) return data.subarray(i + 4);
  if (j >= 0) return data.subarray(j + 2);
  return Buffer.alloc(0);
}

/** Values of header `name` (case-insensitive, unfolded), in order. */
export function headerValues(data: Buffer, name: string): string[] {
  const unfolded = messageHeaders(data).replace(/\r?\n[ \t]+/g, ' ');
  const want = name.toLowerCase() + ':';
  return unfolded
    .split(/\r?\n/)
    .filter((l) => l.toLowerCase().startsWith(want))
    .map((l) => l.slice(want.length).trim());
}

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3} /;

interface ConnectionInternals {
  id: string;
  send?: (code: number, data: unknown, context?: unknown) => void;
  _socket?: { destroy(): void; remoteAddress?: string };
  _originalRemoteAddress?: string;
  handler_DATA?: (command: unknown, callback: () => void) => void;
}

/** Starts a sink on `host:port` (default 127.0.0.1:0) and resolves once it listens. */
export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const host = opts.host ?? '127.0.0.1';
  let behaviour: SinkBehaviour = opts.behaviour ?? {};
  const messages: SinkMessage[] = [];
  const rejected: SinkMessage[] = [];
  const events = new EventEmitter();
  let connections = 0;
  let closed = false;
  const ext = opts.extensions ?? {};

  const serverOptions: SMTPServerOptions = {
    name: opts.name ?? 'sink.test',
    lmtp: opts.lmtp ?? false,
    logger: process.env.PEERGROUP_SINK_DEBUG ? true : false,
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ['AUTH'],
    hideSTARTTLS: !(opts.starttls ?? false),
    hidePIPELINING: ext.pipelining === false,
    hide8BITMIME: ext.eightBitMime === false,
    hideSMTPUTF8: ext.smtputf8 === false,
    hideDSN: ext.dsn === false,
    hideENHANCEDSTATUSCODES: ext.enhancedStatusCodes === false,
    size: opts.size,
    hideSize: opts.size === undefined,
    socketTimeout: opts.socketTimeout ?? 60_000,
    closeTimeout: 100,
    useXClient: opts.useXClient as boolean | undefined,
    useProxy: opts.useProxy as boolean | undefined,

    onConnect(session, callback) {
      connections++;
      const b = behaviour;
      const conn = findConnection(session.id);
      if (conn?.send) {
        // A scripted text that starts with its own enhanced status code ('5.1.1 no such user') is sent as written;
        // smtp-server would otherwise prefix a second, generic one.
        const send = conn.send.bind(conn);
        conn.send = (code, data, context) => send(code, data, typeof data === 'string' && ENHANCED.test(data) ? false : context);
      }
      if (b.stallAt === 'connect') return;
      if (b.stallAt === 'data' && conn) {
        // smtp-server has no hook before its 354 reply: replace this connection's DATA handler with one that never answers.
        conn.handler_DATA = () => {};
      }
      Promise.resolve(b.onConnect?.({ remoteAddress: session.remoteAddress, remotePort: session.remotePort })).then(
        (r) => callback(r && r.code >= 400 ? smtpError(r) : undefined),
        (e: Error) => callback(e),
      );
    },
    onMailFrom(address, _session, callback) {
      const b = behaviour;
      if (b.stallAt === 'mail') return;
      Promise.resolve(b.onMailFrom?.(address.address, params(address))).then(
        (r) => callback(r && r.code >= 400 ? smtpError(r) : undefined),
        (e: Error) => callback(e),
      );
    },
    onRcptTo(address, session, callback) {
      const b = behaviour;
      if (b.stallAt === 'rcpt') return;
      Promise.resolve(
        b.onRcptTo?.(address.address, params(address), session.envelope.mailFrom ? session.envelope.mailFrom.address : ''),
      ).then(
        (r) => callback(r && r.code >= 400 ? smtpError(r) : undefined),
        (e: Error) => callback(e),
      );
    },
    onData(stream: Readable, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.once('end', () => {
        const b = behaviour;
        const msg = toMessage(session, Buffer.concat(chunks));
        if (b.stallAt === 'dot') return;
        if ((stream as Readable & { sizeExceeded?: boolean }).sizeExceeded) {
          // smtp-server itself answers 552 for an oversized message; record it as refused.
          rejected.push(msg);
          callback(null);
          return;
        }
        Promise.resolve(b.onData?.(msg)).then(
          (answer) => {
            // LMTP needs exactly one reply per recipient (missing ones accept); SMTP one per transaction.
            const r = Array.isArray(answer) ? (opts.lmtp ? msg.to.map((_, i) => answer[i] ?? { code: 250 }) : answer[0]) : answer;
            if (Array.isArray(r)) {
              const okTo = msg.to.filter((_, i) => (r[i]?.code ?? 250) < 400);
              const refusedTo = msg.to.filter((_, i) => (r[i]?.code ?? 250) >= 400);
              if (okTo.length > 0) accept({ ...msg, to: okTo });
              if (refusedTo.length > 0) rejected.push({ ...msg, to: refusedTo });
              callback(null, r.map((x) => (x.code >= 400 ? smtpError(x) : (x.message ?? 'OK: message accepted'))) as unknown as string);
            } else if (r && r.code >= 400) {
              rejected.push(msg);
              callback(smtpError(r));
            } else {
              accept(msg);
              callback(null, r?.message ?? `OK: queued as sink-${messages.length}`);
            }
          },
          (e: Error) => {
            rejected.push(msg);
            callback(e);
          },
        );
      });
    },
  };

  function toMessage(session: SMTPServerSession, data: Buffer): SinkMessage {
    const xc = (session as SMTPServerSession & { xClient?: Map<string, string> }).xClient;
    let xclient: Record<string, string> | undefined;
    if (xc && xc.size > 0) {
      xclient = {};
      for (const [k, v] of xc) if (!k.includes(':')) xclient[k] = String(v);
      if (Object.keys(xclient).length === 0) xclient = undefined;
    }
    const env = session.envelope;
    const conn = findConnection(session.id);
    return {
      from: env.mailFrom ? env.mailFrom.address : '',
      to: env.rcptTo.map((r) => r.address),
      data,
      helo: session.hostNameAppearsAs || undefined,
      mailParams: env.mailFrom ? params(env.mailFrom) : {},
      rcptParams: env.rcptTo.map((r) => params(r)),
      remoteAddress: session.remoteAddress,
      peerAddress: conn?._socket?.remoteAddress ?? session.remoteAddress,
      proxy: opts.useProxy && conn?._originalRemoteAddress ? { address: conn._originalRemoteAddress } : undefined,
      xclient,
      secure: session.secure,
      transmissionType: session.transmissionType,
      receivedAt: new Date(),
    };
  }

  function findConnection(id: string): ConnectionInternals | undefined {
    return [...(server as unknown as { connections: Set<ConnectionInternals> }).connections].find((c) => c.id === id);
  }

  function accept(msg: SinkMessage): void {
    messages.push(msg);
    events.emit('message');
  }

  // Exim pipelines QUIT after the final dot and then half-closes (shutdown SHUT_WR) before reading the replies.
  // Node ends a socket whose peer sent FIN unless allowHalfOpen is set, and smtp-server writes only while
  // readyState is 'open', so either way Exim would never see the 250 for its message and would defer it
  // ("Remote host closed connection in response to end of data"). Keep the write side open and let
  // smtp-server see a half-closed socket as open until it has answered.
  (serverOptions as SMTPServerOptions & { allowHalfOpen?: boolean }).allowHalfOpen = true;
  // Enforce `size` on the bytes actually received, not only on the declared MAIL FROM SIZE=.
  (serverOptions as SMTPServerOptions & { rejectOversized?: boolean }).rejectOversized = opts.size !== undefined;
  const server = new SMTPServer(serverOptions);
  server.server.on('connection', (sock: Socket) => {
    Object.defineProperty(sock, 'readyState', {
      configurable: true,
      get(this: Socket) {
        if (this.connecting) return 'opening';
        return this.writable ? 'open' : this.readable ? 'readOnly' : 'closed';
      },
    });
    // A client that half-closed without QUIT gets its pending replies, then the connection is closed.
    sock.once('end', () => setTimeout(() => sock.end(), 1000).unref());
  });
  server.on('error', () => {
    // Client-side resets and timeouts are part of fault tests; they must not crash the test process.
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.server.removeListener('error', reject);
      resolve();
    });
  });
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;

  const sink: SmtpSink = {
    host,
    port,
    messages,
    rejected,
    get connections() {
      return connections;
    },
    setBehaviour(b) {
      behaviour = b;
    },
    waitFor(n, timeoutMs = 15_000) {
      if (messages.length >= n) return Promise.resolve(messages.slice(0, n));
      return new Promise((resolve, reject) => {
        const onMessage = (): void => {
          if (messages.length >= n) {
            clearTimeout(timer);
            events.removeListener('message', onMessage);
            resolve(messages.slice(0, n));
          }
        };
        const timer = setTimeout(() => {
          events.removeListener('message', onMessage);
          reject(
            new Error(
              `sink ${host}:${port}: ${messages.length}/${n} messages after ${timeoutMs} ms (${connections} connections, ${rejected.length} refused)`,
            ),
          );
        }, timeoutMs);
        events.on('message', onMessage);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const conns = (server as unknown as { connections: Set<ConnectionInternals> }).connections;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      // Stalled sessions would otherwise keep the server (and the test process) alive.
      for (const c of conns) c._socket?.destroy();
      await done;
    },
  };
  return sink;
}
