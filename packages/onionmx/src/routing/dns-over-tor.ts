import { randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { formatHostPort, type HostPort } from '@peergroup/service';
// The one SOCKS5 client of the package; routing borrows it so DNS gets Tor's ExtendedErrors the same way mail does.
import { DialError, dialThroughTor, type Dialer } from '../relay/onion-dialer.ts';
import { buildQuery, DnsError, parseResponse, type DnsQueryOptions, type DnsResponse, type DnsUpstream } from './dns-client.ts';

/**
 * DNS over one long-lived TCP stream through Tor's SOCKS port (RFC 7766 framing, pipelined queries matched by message
 * id), to a resolver's onion service or — with DNS over TLS and a verified certificate — to a clearnet resolver through
 * an exit. Tor's own SOCKS RESOLVE and DNSPort carry only A/AAAA/PTR, so SRV has to travel inside a stream.
 */

export interface TorDnsTls {
  /** The name the resolver's certificate must be valid for (SNI and verification). */
  servername: string;
  /** PEM CA certificates to trust instead of the system store. */
  ca?: string | Buffer | undefined;
}

export interface TorDnsUpstreamOptions {
  socks: HostPort;
  /** The resolver: ONION:PORT, or a clearnet IP/NAME:PORT (then `tls` is mandatory). */
  server: HostPort;
  tls?: TorDnsTls | undefined;
  /** Whole budget of one query: opening the stream when there is none (circuit, TLS) plus the answer. */
  timeoutMs: number;
  /** Close the stream after this long without queries. */
  idleTimeoutMs: number;
  /** For tests and benchmarks that compare stream reuse with a circuit per query. Default false. */
  streamPerQuery?: boolean;
  dialer?: Dialer;
}

/**
 * SOCKS username of the DNS stream. Tor isolates streams by SOCKS username (IsolateSOCKSAuth), so DNS never shares a
 * circuit with mail, whose usernames are `peergroup-onionmx:<recipient domain>`; brackets cannot occur in a domain.
 */
export function dnsIsolationKey(server: HostPort): string {
  return `[dns ${formatHostPort(server)}]`;
}

interface Pending {
  resolve: (raw: Buffer) => void;
  reject: (err: Error) => void;
}

interface Stream {
  socket: Socket | TLSSocket;
  pending: Map<number, Pending>;
  closed: boolean;
  idle?: NodeJS.Timeout | undefined;
}

export interface TorDnsStats {
  /** Streams opened (each one a SOCKS CONNECT, so a circuit or a rendezvous when none is open). */
  streams: number;
  queries: number;
}

export class TorDnsUpstream implements DnsUpstream {
  readonly server: HostPort;
  readonly stats: TorDnsStats = { streams: 0, queries: 0 };
  private stream: Promise<Stream> | undefined;
  private closing = false;
  private readonly dialer: Dialer;

  constructor(private readonly opts: TorDnsUpstreamOptions) {
    this.server = opts.server;
    this.dialer = opts.dialer ?? dialThroughTor;
  }

  get transport(): 'tor-tcp' | 'tor-tls' {
    return this.opts.tls ? 'tor-tls' : 'tor-tcp';
  }

  private describe(): string {
    return `${this.opts.tls ? 'DNS over TLS' : 'DNS over TCP'} through Tor to ${formatHostPort(this.server)}`;
  }

  async query(name: string, type: string, opts: DnsQueryOptions = {}): Promise<DnsResponse> {
    if (this.closing) throw new DnsError('network', `${this.describe()}: closed`, this.server);
    const deadline = Date.now() + this.opts.timeoutMs;
    const timeout = () => new DnsError('timeout', `${this.describe()}: no answer within ${this.opts.timeoutMs} ms`, this.server);
    let stream: Stream;
    const own = this.opts.streamPerQuery === true;
    try {
      stream = await withDeadline(own ? this.open(deadline) : this.current(deadline), deadline, timeout, opts.signal);
    } catch (err) {
      throw this.asDnsError(err);
    }
    let id = randomInt(0, 65536);
    while (stream.pending.has(id)) id = randomInt(0, 65536);
    const query = buildQuery(id, name, type, opts);
    const frame = Buffer.alloc(2 + query.length);
    frame.writeUInt16BE(query.length, 0);
    query.copy(frame, 2);
    clearTimeout(stream.idle);
    this.stats.queries++;
    const answer = new Promise<Buffer>((resolve, reject) => stream.pending.set(id, { resolve, reject }));
    stream.socket.write(frame);
    let raw: Buffer;
    try {
      raw = await withDeadline(answer, deadline, timeout, opts.signal);
    } finally {
      stream.pending.delete(id);
      if (own) stream.socket.destroy();
      else this.idleCheck(stream);
    }
    const res = parseResponse(raw, id, name, type, this.server, this.transport);
    // RFC 6891 §7: a server without EDNS answers FORMERR; ask again without DO, as over UDP.
    if (opts.dnssec && (res.rcode === 'FORMERR' || res.rcode === 'NOTIMP')) return this.query(name, type, { ...opts, dnssec: false });
    return res;
  }

  close(): void {
    this.closing = true;
    void this.stream?.then(
      (s) => s.socket.destroy(),
      () => undefined,
    );
    this.stream = undefined;
  }

  private asDnsError(err: unknown): Error {
    if (err instanceof DnsError) return err;
    if (err instanceof DialError) return new DnsError('network', `${this.describe()}: ${err.info.reason}`, this.server);
    return new DnsError('network', `${this.describe()}: ${(err as Error).message}`, this.server);
  }

  private current(deadline: number): Promise<Stream> {
    if (this.stream) return this.stream;
    const opening = this.open(deadline).then(
      (s) => {
        s.socket.once('close', () => {
          if (this.stream === opening) this.stream = undefined;
        });
        return s;
      },
      (err: unknown) => {
        if (this.stream === opening) this.stream = undefined;
        throw err;
      },
    );
    this.stream = opening;
    return opening;
  }

  private async open(deadline: number): Promise<Stream> {
    this.stats.streams++;
    const raw = await this.dialer({
      socks: this.opts.socks,
      host: this.server.host,
      port: this.server.port,
      isolationKey: dnsIsolationKey(this.server),
      timeoutMs: Math.max(1, deadline - Date.now()),
    });
    raw.setNoDelay(true);
    let socket: Socket | TLSSocket = raw;
    if (this.opts.tls) {
      const tls = this.opts.tls;
      try {
        socket = await new Promise<TLSSocket>((resolve, reject) => {
          // rejectUnauthorized (the default) makes the handshake fail on an unknown CA or a name mismatch: the exit
          // must neither read nor answer in the resolver's place.
          const t = tlsConnect({ socket: raw, servername: tls.servername, ...(tls.ca ? { ca: tls.ca } : {}), minVersion: 'TLSv1.2' });
          const timer = setTimeout(
            () => {
              t.destroy();
              reject(new Error(`TLS handshake with ${tls.servername} timed out`));
            },
            Math.max(1, deadline - Date.now()),
          );
          t.once('secureConnect', () => {
            clearTimeout(timer);
            t.off('error', onError);
            resolve(t);
          });
          const onError = (err: Error) => {
            clearTimeout(timer);
            t.destroy();
            reject(new Error(`TLS with ${tls.servername} failed: ${err.message}`));
          };
          t.once('error', onError);
          raw.resume();
        });
      } catch (err) {
        raw.destroy();
        throw err;
      }
    }
    const stream: Stream = { socket, pending: new Map(), closed: false };
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (buffered.length >= 2) {
        const size = buffered.readUInt16BE(0);
        if (buffered.length < 2 + size) break;
        const message = buffered.subarray(2, 2 + size);
        buffered = buffered.subarray(2 + size);
        // Answers may come in any order (RFC 7766 §7); one for an id nobody waits for is dropped.
        if (message.length >= 2) stream.pending.get(message.readUInt16BE(0))?.resolve(Buffer.from(message));
      }
    });
    const fail = (why: string) => {
      if (stream.closed) return;
      stream.closed = true;
      clearTimeout(stream.idle);
      for (const p of stream.pending.values()) p.reject(new DnsError('network', `${this.describe()}: ${why}`, this.server));
      stream.pending.clear();
    };
    socket.on('error', (err) => fail(err.message));
    socket.on('close', () => fail('the resolver closed the stream'));
    socket.on('end', () => socket.end());
    socket.resume();
    return stream;
  }

  private idleCheck(stream: Stream): void {
    if (stream.closed || stream.pending.size > 0) return;
    clearTimeout(stream.idle);
    stream.idle = setTimeout(() => stream.socket.end(), this.opts.idleTimeoutMs);
    stream.idle.unref();
  }
}

function withDeadline<T>(p: Promise<T>, deadline: number, onTimeout: () => Error, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => finish(onTimeout()), Math.max(0, deadline - Date.now()));
    const onAbort = () => finish(new DnsError('network', `DNS query aborted: ${String(signal?.reason ?? 'aborted')}`));
    let done = false;
    function finish(err: Error | null, value?: T) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value as T);
    }
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => finish(null, v),
      (e: unknown) => finish(e as Error),
    );
  });
}
