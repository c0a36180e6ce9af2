/**
 * Getting a stream (Postfix's smtp_connect.c): plain TCP here; the relay's Tor dialer is another function of the same
 * shape. A dial function resolves with a connected socket, paused, and fails with an SmtpClientError of phase
 * 'connect' (kind 'connect' or 'timeout', a `dial` verdict when it knows better than "no connection").
 */
import { connect, type Socket } from 'node:net';
import { SmtpClientError } from './errors.ts';

export type DialFunction = () => Promise<Socket>;

export interface TcpTarget {
  host: string;
  port: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export function connectTcp(t: TcpTarget): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const where = `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
    const sock = connect({ host: t.host, port: t.port });
    sock.setNoDelay(true);
    const done = (err?: SmtpClientError) => {
      clearTimeout(timer);
      t.signal?.removeEventListener('abort', onAbort);
      sock.off('error', onError);
      if (err) {
        sock.destroy();
        reject(err);
      } else {
        sock.pause();
        resolve(sock);
      }
    };
    const timer = setTimeout(
      () => done(new SmtpClientError('connect', 'timeout', `no connection to ${where} within ${Math.round(t.timeoutMs / 1000)} s`)),
      t.timeoutMs,
    );
    const onAbort = () => done(new SmtpClientError('connect', 'closed', `connecting to ${where} aborted`));
    const onError = (err: Error) =>
      done(new SmtpClientError('connect', 'connect', `cannot connect to ${where}: ${err.message}`, { cause: err }));
    t.signal?.addEventListener('abort', onAbort, { once: true });
    sock.once('error', onError);
    sock.once('connect', () => done());
  });
}
