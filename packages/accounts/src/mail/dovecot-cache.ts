// Flushing a user from Dovecot's auth cache after a password change, reset, disable or app-password revoke, over
// Dovecot's auth-master protocol (what `doveadm auth cache flush` speaks, without forking doveadm). The cache's TTL
// (auth_cache_ttl in docs/snippets/dovecot-auth.conf) bounds how long a stale answer can live when a flush fails.
import { createConnection } from 'node:net';

const FLUSH_TIMEOUT_MS = 3000;

/** Sends CACHE-FLUSH for `users` to one auth-master socket; resolves with the number of entries Dovecot dropped. */
export function flushAuthCache(socketPath: string, users: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    let buf = '';
    const done = (err: Error | null, n?: number) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(n ?? 0);
    };
    const timer = setTimeout(() => done(new Error(`no answer from ${socketPath} within ${FLUSH_TIMEOUT_MS} ms`)), FLUSH_TIMEOUT_MS);
    sock.on('error', (err) => done(new Error(`${socketPath}: ${err.message}`)));
    sock.on('connect', () => {
      const escaped = users.map((u) =>
        u.replace(/[\x01\t\r\n]/g, (c) => ({ '\x01': '\x011', '\t': '\x01t', '\r': '\x01r', '\n': '\x01n' })[c]!),
      );
      sock.write(`VERSION\t1\t0\nCACHE-FLUSH\t1\t${escaped.join('\t')}\n`);
    });
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).split('\t');
        buf = buf.slice(nl + 1);
        if (line[0] === 'OK' && line[1] === '1') return done(null, Number(line[2] ?? 0));
        if (line[0] === 'FAIL' || line[0] === 'NOTFOUND')
          return done(new Error(`${socketPath} refused the cache flush: ${line.join(' ')}`));
      }
    });
    sock.on('end', () => done(new Error(`${socketPath} closed the connection before answering`)));
  });
}
