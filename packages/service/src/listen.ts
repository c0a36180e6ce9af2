import type { Server } from 'node:net';
import { formatHostPort, type HostPort } from './host-port.ts';

/**
 * Starts `server` listening on `at` (a TCP host:port or a Unix socket path) and resolves once it listens, with the
 * bound TCP address (so a configured port 0 can be reported) or the path. A failure to bind rejects with an error
 * that names `what` (the config key or flag, e.g. `exim.listen`) and the address, and keeps the errno `code`
 * (EADDRINUSE, EACCES) for callers that tell those apart.
 *
 * The one-shot error listener is removed once listening, so a later server error reaches the caller's own
 * handler instead of settling a promise nobody waits for.
 */
export function listen(server: Server, at: HostPort, what?: string): Promise<HostPort>;
export function listen(server: Server, at: string, what?: string): Promise<string>;
export function listen(server: Server, at: HostPort | string, what = 'listen'): Promise<HostPort | string> {
  const shown = typeof at === 'string' ? at : formatHostPort(at);
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => {
      reject(Object.assign(new Error(`${what} ${shown}: cannot listen: ${err.message}`), { code: err.code }));
    };
    server.once('error', fail);
    const done = () => {
      server.off('error', fail);
      const addr = server.address();
      if (addr === null) resolve(at);
      else if (typeof addr === 'string') resolve(addr);
      else resolve({ host: addr.address, port: addr.port });
    };
    if (typeof at === 'string') server.listen(at, done);
    else server.listen(at.port, at.host, done);
  });
}
