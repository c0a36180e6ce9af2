import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIP, connect } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, RecordType } from 'dns-packet';
import { formatHostPort, type HostPort } from '@peergroup/service';

/**
 * A small stub-resolver client over dns-packet. It exists because Node's resolver hides the AD bit,
 * which DNSSEC policy `require` depends on, and because Tor's DNSPort has to be asked directly.
 */

export interface DnsQueryOptions {
  /** Per-try timeout. */
  timeoutMs?: number;
  /** Extra rounds over the server list after the first one. */
  retries?: number;
  /** Repeat a truncated UDP answer over TCP (RFC 7766). */
  tcpFallback?: boolean;
  /** Ask for DNSSEC: EDNS0 DO bit and the AD bit in the query (RFC 6840 §5.7), so a validating resolver reports AD. */
  dnssec?: boolean;
  /** Clear RD for non-recursive queries (e.g. straight to an authoritative server). Default true. */
  recursionDesired?: boolean;
  /** Abort the whole query (all tries). */
  signal?: AbortSignal;
}

export interface DnsResponse {
  /** dns-packet's rcode name: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ... */
  rcode: string;
  /** The AD bit as set by the server. Only meaningful from a validating resolver the operator trusts. */
  authenticated: boolean;
  /** True if the final answer still had TC set (no TCP fallback, or TCP also truncated). */
  truncated: boolean;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
  /** The decoded message. */
  packet: DecodedPacket;
  /** The wire bytes of the message. */
  raw: Buffer;
  server: HostPort;
  transport: DnsTransportName;
}

/** udp/tcp: straight to the resolver; tor-tcp/tor-tls: inside a Tor stream (dns-over-tor.ts). */
export type DnsTransportName = 'udp' | 'tcp' | 'tor-tcp' | 'tor-tls';

/** A resolver reached some other way than UDP/TCP from this host (through Tor); queryDns treats it like a server. */
export interface DnsUpstream {
  readonly server: HostPort;
  query(name: string, type: string, opts?: DnsQueryOptions): Promise<DnsResponse>;
  close(): void;
}

export type DnsServer = HostPort | DnsUpstream;

function isUpstream(s: DnsServer): s is DnsUpstream {
  return typeof (s as DnsUpstream).query === 'function';
}

export type DnsErrorKind = 'timeout' | 'network' | 'malformed';

/** Transport failure: nobody gave a usable answer. A DNS-level failure (SERVFAIL...) is a response, not a DnsError. */
export class DnsError extends Error {
  override name = 'DnsError';
  constructor(
    readonly kind: DnsErrorKind,
    message: string,
    readonly server?: HostPort,
  ) {
    super(message);
  }
}

export const DNS_DEFAULTS = { timeoutMs: 2000, retries: 1, tcpFallback: true } as const;
const EDNS_UDP_SIZE = 1232; // DNS flag day 2020: avoids IP fragmentation.

export function buildQuery(id: number, name: string, type: string, opts: { dnssec?: boolean; recursionDesired?: boolean } = {}): Buffer {
  let flags = opts.recursionDesired === false ? 0 : dnsPacket.RECURSION_DESIRED;
  const packet: Packet = { type: 'query', id, flags, questions: [{ name, type: type as RecordType, class: 'IN' }] };
  if (opts.dnssec) {
    flags |= dnsPacket.AUTHENTIC_DATA;
    packet.flags = flags;
    packet.additionals = [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: EDNS_UDP_SIZE,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: dnsPacket.DNSSEC_OK,
        flag_do: true,
        options: [],
      },
    ];
  }
  return dnsPacket.encode(packet);
}

/** Decodes a response and checks that it answers our question; throws DnsError('malformed') otherwise. */
export function parseResponse(
  raw: Buffer,
  id: number,
  name: string,
  type: string,
  server: HostPort,
  transport: DnsTransportName,
): DnsResponse {
  let packet: DecodedPacket;
  try {
    packet = dnsPacket.decode(raw);
  } catch (err) {
    throw new DnsError('malformed', `undecodable DNS message from ${formatHostPort(server)}: ${(err as Error).message}`, server);
  }
  if (packet.type !== 'response' || packet.id !== id) {
    throw new DnsError('malformed', `DNS message from ${formatHostPort(server)} is not a response to our query`, server);
  }
  const q = packet.questions?.[0];
  // A response with no question section is legal for some errors (FORMERR); otherwise it must echo ours.
  if (q && (q.name.toLowerCase().replace(/\.$/, '') !== name.toLowerCase().replace(/\.$/, '') || q.type !== type)) {
    throw new DnsError(
      'malformed',
      `DNS response from ${formatHostPort(server)} answers a different question (${q.name} ${q.type})`,
      server,
    );
  }
  const rcode = (packet as DecodedPacket & { rcode?: string }).rcode ?? 'NOERROR';
  return {
    rcode,
    authenticated: packet.flag_ad,
    truncated: packet.flag_tc,
    answers: packet.answers ?? [],
    authorities: packet.authorities ?? [],
    additionals: packet.additionals ?? [],
    packet,
    raw,
    server,
    transport,
  };
}

function abortError(signal: AbortSignal): DnsError {
  return new DnsError('network', `DNS query aborted: ${String(signal.reason ?? 'aborted')}`);
}

function udpExchange(
  server: HostPort,
  query: Buffer,
  id: number,
  name: string,
  type: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<DnsResponse> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
    let done = false;
    let lastMalformed: DnsError | undefined;
    const finish = (err: Error | null, res?: DnsResponse) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.close();
      if (err) reject(err);
      else resolve(res!);
    };
    const onAbort = () => finish(abortError(signal!));
    const timer = setTimeout(
      () => finish(lastMalformed ?? new DnsError('timeout', `no DNS answer from ${formatHostPort(server)} within ${timeoutMs} ms`, server)),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => finish(new DnsError('network', `DNS over UDP to ${formatHostPort(server)}: ${err.message}`, server)));
    socket.on('message', (msg, rinfo) => {
      // Answers from elsewhere or with another id are ignored, not fatal: that is how spoofing attempts look.
      if (rinfo.port !== server.port) return;
      try {
        finish(null, parseResponse(msg, id, name, type, server, 'udp'));
      } catch (err) {
        lastMalformed = err as DnsError;
      }
    });
    socket.connect(server.port, server.host, () => {
      socket.send(query, (err) => {
        if (err) finish(new DnsError('network', `DNS over UDP to ${formatHostPort(server)}: ${err.message}`, server));
      });
    });
  });
}

function tcpExchange(
  server: HostPort,
  query: Buffer,
  id: number,
  name: string,
  type: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<DnsResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let done = false;
    let buffered = Buffer.alloc(0);
    const finish = (err: Error | null, res?: DnsResponse) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(res!);
    };
    const onAbort = () => finish(abortError(signal!));
    const timer = setTimeout(
      () => finish(new DnsError('timeout', `no DNS answer over TCP from ${formatHostPort(server)} within ${timeoutMs} ms`, server)),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => finish(new DnsError('network', `DNS over TCP to ${formatHostPort(server)}: ${err.message}`, server)));
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      socket.write(Buffer.concat([len, query]));
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const size = buffered.readUInt16BE(0);
      if (buffered.length < 2 + size) return;
      try {
        finish(null, parseResponse(buffered.subarray(2, 2 + size), id, name, type, server, 'tcp'));
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.on('end', () =>
      finish(new DnsError('malformed', `DNS over TCP: ${formatHostPort(server)} closed the connection before a full answer`, server)),
    );
  });
}

/** One exchange with one server: UDP, then TCP when truncated and allowed. */
export async function queryServer(server: HostPort, name: string, type: string, opts: DnsQueryOptions = {}): Promise<DnsResponse> {
  const timeoutMs = opts.timeoutMs ?? DNS_DEFAULTS.timeoutMs;
  const id = randomInt(0, 65536);
  const query = buildQuery(id, name, type, opts);
  const udp = await udpExchange(server, query, id, name, type, timeoutMs, opts.signal);
  // RFC 6891 §7: a server that does not know EDNS answers FORMERR (or NOTIMP); ask again without it.
  if (opts.dnssec && (udp.rcode === 'FORMERR' || udp.rcode === 'NOTIMP'))
    return queryServer(server, name, type, { ...opts, dnssec: false });
  if (!udp.truncated || opts.tcpFallback === false) return udp;
  return tcpExchange(server, query, id, name, type, timeoutMs, opts.signal);
}

/**
 * Queries `servers` in order, `retries` extra rounds. A SERVFAIL/REFUSED moves on to a server not yet asked,
 * and is returned when every server said so. Throws DnsError only when no server gave any usable answer.
 */
export async function queryDns(
  servers: readonly DnsServer[],
  name: string,
  type: string,
  opts: DnsQueryOptions = {},
): Promise<DnsResponse> {
  if (servers.length === 0) throw new DnsError('network', 'no DNS servers configured');
  const rounds = (opts.retries ?? DNS_DEFAULTS.retries) + 1;
  const failures: DnsError[] = [];
  let serverFailure: DnsResponse | undefined;
  const refusedBy = new Set<number>();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < servers.length; i++) {
      if (refusedBy.has(i)) continue;
      if (opts.signal?.aborted) throw abortError(opts.signal);
      try {
        const server = servers[i]!;
        const res = isUpstream(server) ? await server.query(name, type, opts) : await queryServer(server, name, type, opts);
        if (res.rcode === 'SERVFAIL' || res.rcode === 'REFUSED') {
          serverFailure = res;
          refusedBy.add(i);
          continue;
        }
        return res;
      } catch (err) {
        if (!(err instanceof DnsError)) throw err;
        failures.push(err);
      }
    }
    if (refusedBy.size === servers.length) break;
  }
  if (serverFailure) return serverFailure;
  const last = failures[failures.length - 1]!;
  // Report malformed over timeout: a server that answers garbage is the more useful thing to tell the operator.
  const kind: DnsErrorKind = failures.some((f) => f.kind === 'malformed') ? 'malformed' : last.kind;
  const detail = [...new Set(failures.map((f) => f.message))].join('; ');
  throw new DnsError(kind, `DNS ${type} query for ${name} failed after ${failures.length} tries: ${detail}`, last.server);
}
