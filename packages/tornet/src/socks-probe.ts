// Minimal SOCKS5 CONNECT for the tornet harness: it needs the raw reply byte (Tor's ExtendedErrors codes such as
// 0xF0/0xF6), which the `socks` package only exposes as a message string. The relay's real codec is ../socks5.ts.
import { connect, type Socket } from 'node:net';
import type { HostPort } from '@peergroup/service';

export interface SocksCredentials {
  username: string;
  password: string;
}

/** Client greeting: offer "no auth" or, with credentials, username/password only (so Tor's IsolateSOCKSAuth sees them). */
export function encodeGreeting(withAuth: boolean): Buffer {
  return Buffer.from(withAuth ? [0x05, 0x01, 0x02] : [0x05, 0x01, 0x00]);
}

/** RFC 1929 username/password sub-negotiation. */
export function encodeUserPass({ username, password }: SocksCredentials): Buffer {
  const u = Buffer.from(username, 'utf8');
  const p = Buffer.from(password, 'utf8');
  if (u.length < 1 || u.length > 255 || p.length > 255) throw new Error('SOCKS username must be 1-255 bytes, password 0-255');
  return Buffer.concat([Buffer.from([0x01, u.length]), u, Buffer.from([p.length]), p]);
}

/** CONNECT by domain name (ATYP 3): the proxy resolves, which is what .onion needs. */
export function encodeConnect(host: string, port: number): Buffer {
  const h = Buffer.from(host, 'ascii');
  if (h.length < 1 || h.length > 255) throw new Error('SOCKS host name must be 1-255 bytes');
  const out = Buffer.alloc(7 + h.length);
  out.set([0x05, 0x01, 0x00, 0x03, h.length], 0);
  h.copy(out, 5);
  out.writeUInt16BE(port, 5 + h.length);
  return out;
}

/** Length of a complete CONNECT reply at the start of buf, or 0 when more bytes are needed. Throws on a non-SOCKS5 reply. */
export function connectReplyLength(buf: Buffer): number {
  if (buf.length < 5) return 0;
  if (buf[0] !== 0x05) throw new Error(`not a SOCKS5 reply (version byte ${buf[0]})`);
  const atyp = buf[3];
  const addrLen = atyp === 0x01 ? 4 : atyp === 0x04 ? 16 : atyp === 0x03 ? 1 + buf[4]! : -1;
  if (addrLen < 0) throw new Error(`SOCKS5 reply has unknown address type ${atyp}`);
  const total = 4 + addrLen + 2;
  return buf.length >= total ? total : 0;
}

export type SocksConnectResult = { ok: true; socket: Socket } | { ok: false; reply: number };

/**
 * CONNECT through a SOCKS5 proxy. Resolves with the connected socket (reply 0x00) or with the proxy's reply code;
 * rejects on transport errors, protocol violations or when timeoutMs passes (then the socket is destroyed).
 */
export function socksConnect(
  proxy: HostPort,
  dest: HostPort,
  opts: { credentials?: SocksCredentials; timeoutMs?: number } = {},
): Promise<SocksConnectResult> {
  const { credentials, timeoutMs = 30_000 } = opts;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: proxy.host, port: proxy.port });
    let buf = Buffer.alloc(0);
    let stage: 'greeting' | 'auth' | 'connect' = 'greeting';
    let settled = false;
    const finish = (err: Error | null, result?: SocksConnectResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Paused-mode reading ('readable'), so that removing the listener leaves the socket neither flowing nor
      // explicitly paused: the caller's own 'data' listener or pipe() starts it, and bytes after the reply survive.
      socket.removeListener('readable', onReadable);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        if (!result!.ok) socket.destroy();
        resolve(result!);
      }
    };
    const timer = setTimeout(
      () => finish(new Error(`SOCKS CONNECT to ${dest.host}:${dest.port} via ${proxy.host}:${proxy.port} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) buf = Buffer.concat([buf, chunk]);
      try {
        if (stage === 'greeting') {
          if (buf.length < 2) return;
          const method = buf[1];
          buf = buf.subarray(2);
          if (method === 0x02 && credentials) {
            stage = 'auth';
            socket.write(encodeUserPass(credentials));
          } else if (method === 0x00 && !credentials) {
            stage = 'connect';
            socket.write(encodeConnect(dest.host, dest.port));
          } else {
            throw new Error(`SOCKS proxy refused the offered authentication (method 0x${method!.toString(16)})`);
          }
        }
        if (stage === 'auth') {
          if (buf.length < 2) return;
          if (buf[1] !== 0x00) throw new Error('SOCKS username/password rejected');
          buf = buf.subarray(2);
          stage = 'connect';
          socket.write(encodeConnect(dest.host, dest.port));
        }
        if (stage === 'connect') {
          const n = connectReplyLength(buf);
          if (n === 0) return;
          const reply = buf[1]!;
          const rest = buf.subarray(n);
          if (reply !== 0x00) {
            finish(null, { ok: false, reply });
            return;
          }
          finish(null, { ok: true, socket });
          if (rest.length > 0) socket.unshift(rest);
        }
      } catch (err) {
        finish(err as Error);
      }
    };
    socket.on('readable', onReadable);
    socket.once('connect', () => socket.write(encodeGreeting(credentials !== undefined)));
    socket.once('error', (err) => finish(err));
    socket.once('close', () => finish(new Error(`SOCKS proxy ${proxy.host}:${proxy.port} closed the connection during the handshake`)));
  });
}
