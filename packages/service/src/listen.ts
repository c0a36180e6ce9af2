import type { Server } from 'node:net';
import { chmod, lstat, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatHostPort, type HostPort } from './host-port.ts';

/**
 * Starts `server` listening on `at` (a TCP host:port, or a Unix socket path as listenUnix does it) and resolves once it listens, with the
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
  return typeof at === 'string' ? listenUnix(server, at, what) : bind(server, at, what);
}

export interface UnixListenOptions {
  /** chmod'ed onto the socket once it listens (the umask decides otherwise). */
  mode?: number;
  /** What to tell the operator when the socket's directory does not exist (appended to the error). */
  missingDir?: string;
}

/**
 * `listen` on a UNIX socket path. A socket file left there by a run that did not shut down cleanly is replaced (listen
 * would fail with EADDRINUSE); anything else at the path is a mistyped setting and is refused, never removed. A
 * missing directory is said so: libuv reports it as EACCES ("permission denied"), which sends the operator the wrong
 * way.
 */
export async function listenUnix(server: Server, path: string, what = 'listen', opts: UnixListenOptions = {}): Promise<string> {
  const dir = dirname(path);
  const isDir = await stat(dir).then(
    (st) => st.isDirectory(),
    () => false,
  );
  if (!isDir) throw new Error(`${what} ${path}: the directory ${dir} does not exist${opts.missingDir ? `; ${opts.missingDir}` : ''}`);
  const existing = await lstat(path).catch(() => undefined);
  if (existing && !existing.isSocket()) throw new Error(`${what} ${path}: exists and is not a socket; not removing it`);
  if (existing) await rm(path, { force: true });
  await bind(server, path, what);
  if (opts.mode === undefined) return path;
  try {
    await chmod(path, opts.mode);
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(path, { force: true });
    throw new Error(`${what} ${path}: ${(err as Error).message}`);
  }
  return path;
}

function bind(server: Server, at: HostPort, what: string): Promise<HostPort>;
function bind(server: Server, at: string, what: string): Promise<string>;
function bind(server: Server, at: HostPort | string, what: string): Promise<HostPort | string> {
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
