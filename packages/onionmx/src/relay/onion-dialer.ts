/**
 * Opens a TCP stream to host:port through Tor's SOCKS5 port. Each destination domain gets its own SOCKS username so
 * Tor (IsolateSOCKSAuth, on by default) never lets deliveries to two peers share a circuit.
 */
import { connect, type Socket } from 'node:net';
import type { HostPort } from '@peergroup/service';
import { SmtpClientError } from '@peergroup/smtp-client';
import {
  AUTH_USERPASS,
  decodeConnectReply,
  decodeMethodSelection,
  decodeUserPassReply,
  encodeConnect,
  encodeGreeting,
  encodeUserPass,
  socksReplyInfo,
  type SocksReplyInfo,
} from './socks5.ts';

/**
 * A failure to get a stream: the client's 'connect' error with Tor's verdict (`info`, also as `dial`), so trouble.ts
 * tells the MTA Tor's reason rather than "no connection".
 */
export class DialError extends SmtpClientError {
  override name = 'DialError';
  constructor(
    message: string,
    readonly info: SocksReplyInfo,
  ) {
    super('connect', info.label === 'timeout' ? 'timeout' : 'connect', message, {
      dial: { code: info.smtpCode, enhanced: info.enhanced, reason: info.reason, label: info.label },
    });
    this.message = message;
  }
}

/** Failures of our own side of the dial (no SOCKS reply to go by), by label, with their enhanced code; all 451. */
export const LOCAL_DIAL_FAILURES = {
  timeout: '4.4.2',
  aborted: '4.4.1',
  tor_unreachable: '4.4.1',
  tor_closed: '4.4.1',
  socks_auth_refused: '4.4.1',
  socks_protocol: '4.4.1',
  connect_failed: '4.4.1',
} as const satisfies Record<string, string>;

export interface DialOptions {
  socks: HostPort;
  host: string;
  port: number;
  /** Circuit isolation key, normally the recipient domain. */
  isolationKey: string;
  /** Whole dial budget: TCP to Tor, SOCKS handshake, and Tor building the onion circuit. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Resolves with a connected socket, paused: the caller resumes it once its listeners are attached. */
export type Dialer = (opts: DialOptions) => Promise<Socket>;

/** SOCKS username for a destination. Not secret: Tor uses it only as an isolation key. */
export function isolationUsername(key: string): string {
  return `peergroup-onionmx:${key.toLowerCase()}`.slice(0, 255);
}

function localFailure(label: keyof typeof LOCAL_DIAL_FAILURES, reason: string): SocksReplyInfo {
  return { reply: -1, label, reason, smtpCode: 451, enhanced: LOCAL_DIAL_FAILURES[label] };
}

export const dialThroughTor: Dialer = (opts) =>
  new Promise<Socket>((resolve, reject) => {
    const sock = connect({ host: opts.socks.host, port: opts.socks.port });
    sock.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    let stage: 'method' | 'auth' | 'connect' | 'done' = 'method';
    let settled = false;
    const fail = (err: DialError) => {
      if (settled) return;
      settled = true;
      cleanup();
      sock.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () =>
        fail(
          new DialError(
            `timed out after ${opts.timeoutMs} ms in SOCKS ${stage}`,
            localFailure('timeout', `Tor: no connection to ${opts.host} within ${Math.round(opts.timeoutMs / 1000)} s`),
          ),
        ),
      opts.timeoutMs,
    );
    const onAbort = () => fail(new DialError('aborted', localFailure('aborted', 'delivery aborted (relay shutting down)')));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      sock.off('data', onData);
      sock.off('error', onError);
      sock.off('close', onClose);
    };
    const onError = (err: Error) =>
      fail(
        new DialError(
          `SOCKS port ${opts.socks.host}:${opts.socks.port}: ${err.message}`,
          localFailure(
            'tor_unreachable',
            `Tor SOCKS port ${opts.socks.host}:${opts.socks.port} unreachable (${(err as NodeJS.ErrnoException).code ?? err.message})`,
          ),
        ),
      );
    const onClose = () =>
      fail(
        new DialError(
          `SOCKS port closed the connection during ${stage}`,
          localFailure('tor_closed', `Tor closed the SOCKS connection during ${stage}`),
        ),
      );
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      try {
        if (stage === 'method') {
          const sel = decodeMethodSelection(buf);
          if (!sel) return;
          buf = buf.subarray(sel.length);
          if (sel.method !== AUTH_USERPASS) {
            return fail(
              new DialError(
                `SOCKS server chose method 0x${sel.method.toString(16)}`,
                localFailure('socks_auth_refused', 'Tor SOCKS port refused username/password isolation (is this Tor?)'),
              ),
            );
          }
          stage = 'auth';
          sock.write(encodeUserPass(isolationUsername(opts.isolationKey), 'peergroup'));
        }
        if (stage === 'auth') {
          const r = decodeUserPassReply(buf);
          if (!r) return;
          buf = buf.subarray(r.length);
          if (!r.ok)
            return fail(
              new DialError('SOCKS auth rejected', localFailure('socks_auth_refused', 'Tor SOCKS port rejected the isolation credentials')),
            );
          stage = 'connect';
          sock.write(encodeConnect(opts.host, opts.port));
        }
        if (stage === 'connect') {
          const r = decodeConnectReply(buf);
          if (!r) return;
          if (r.reply !== 0) {
            const info = socksReplyInfo(r.reply);
            return fail(new DialError(`SOCKS reply 0x${r.reply.toString(16)} ${info.label}`, info));
          }
          stage = 'done';
          settled = true;
          cleanup();
          // Paused until the caller attaches its reader: a far side that greets and closes at once (421) must
          // not have its bytes or its close emitted to nobody.
          sock.pause();
          const rest = buf.subarray(r.length);
          if (rest.length) sock.unshift(rest);
          resolve(sock);
        }
      } catch (err) {
        fail(new DialError((err as Error).message, localFailure('socks_protocol', `Tor SOCKS protocol error: ${(err as Error).message}`)));
      }
    };
    sock.on('data', onData);
    sock.on('error', onError);
    sock.on('close', onClose);
    sock.once('connect', () => sock.write(encodeGreeting([AUTH_USERPASS])));
  });

/**
 * Plain TCP, no Tor: only for benchmarks that measure the relay itself and tests of a bypass explicitly named so.
 * `host` is ignored; every target goes to `to`.
 */
export function directDialer(to: HostPort): Dialer {
  return (opts) =>
    new Promise<Socket>((resolve, reject) => {
      const sock = connect({ host: to.host, port: to.port });
      sock.setNoDelay(true);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new DialError('connect timeout', localFailure('timeout', 'direct connect timed out')));
      }, opts.timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.off('error', onErr);
        sock.pause();
        resolve(sock);
      });
      const onErr = (err: Error) => {
        clearTimeout(timer);
        reject(new DialError(err.message, localFailure('connect_failed', `direct connect failed: ${err.message}`)));
      };
      sock.once('error', onErr);
    });
}
