/**
 * A DNS query RECORDER for leak tests: listens on UDP and TCP (same port), writes down every query it gets and answers
 * REFUSED so nobody waits. It stands where a cleartext resolver would be, to prove that nothing asked it; it is not a
 * resolver and no test routes mail with its answers.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { onProcessExit } from './proc.ts';

export interface RecordedQuery {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
  from: string;
}

export interface DnsRecorder {
  host: string;
  port: number;
  address: string;
  /** Every query so far, in arrival order; undecodable messages are recorded with name "<undecodable>". */
  readonly queries: readonly RecordedQuery[];
  /** Forgets the queries recorded so far. */
  clear(): void;
  stop(): Promise<void>;
}

function refuse(msg: Buffer): { record: Omit<RecordedQuery, 'transport' | 'from'>; reply?: Buffer } {
  let q: dnsPacket.DecodedPacket;
  try {
    q = dnsPacket.decode(msg);
  } catch {
    return { record: { name: '<undecodable>', type: '' } };
  }
  const question = q.questions?.[0];
  const refused = 5;
  const reply = dnsPacket.encode({ type: 'response', id: q.id ?? 0, flags: refused, questions: q.questions ?? [] });
  return { record: { name: question?.name ?? '', type: question?.type ?? '' }, reply };
}

/** Binds `host` (default 127.0.0.1) on `port` (default 0: a free one). Port 53 needs root. */
export async function startDnsRecorder(opts: { host?: string; port?: number } = {}): Promise<DnsRecorder> {
  const host = opts.host ?? '127.0.0.1';
  const queries: RecordedQuery[] = [];
  const tcp: Server = createServer((sock: Socket) => {
    let buf: Buffer = Buffer.alloc(0);
    sock.on('error', () => undefined);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const { record, reply } = refuse(msg);
        queries.push({ ...record, transport: 'tcp', from: `${sock.remoteAddress}:${sock.remotePort}` });
        if (reply) {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          sock.write(Buffer.concat([len, reply]));
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (tcp.address() as { port: number }).port;
  const udp: UdpSocket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  udp.on('message', (msg, rinfo) => {
    const { record, reply } = refuse(msg);
    queries.push({ ...record, transport: 'udp', from: `${rinfo.address}:${rinfo.port}` });
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => resolve());
    });
  } catch (err) {
    tcp.close();
    throw err;
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    unregister();
    await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
  };
  const unregister = onProcessExit(() => {
    udp.close();
    tcp.close();
  });
  return {
    host,
    port,
    address: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    queries,
    clear: () => void queries.splice(0),
    stop,
  };
}
