// The mail lookup daemon: Dovecot's passdb (loopback HTTP for its Lua script), its userdb (the dict socket) and the
// Postfix socketmap listener over one MailDirectory. It runs inside the accounts service (same database
// connection), listed as the `mail-passdb` and `mail-socketmap` addresses of that service (a UNIX socket
// socketmap and the dict socket among its `sockets`).
import { createServer, type Server, type Socket } from 'node:net';
import { rm, stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { listen, listenUnix, type HostPort } from '@peergroup/service';
import type { MailDirectory } from './directory.ts';
import type { MailCrypt } from './mail-crypt.ts';
import { MailMetrics } from './metrics.ts';
import { Deadlines } from './deadlines.ts';
import { serveDict } from './dict-server.ts';
import { serveSocketmap } from './socketmap-server.ts';
import { createPassdbServer, readPassdbSecret } from './passdb-http.ts';

export interface MailLookups {
  /** The bound TCP address, or the path of the UNIX socket. */
  socketmap: HostPort | string;
  passdb: HostPort;
  dictSocket: string;
  close(): Promise<void>;
}

/** `crypt` answers Dovecot (passdb and userdb, with the mailbox keys of encrypted accounts); `dir` answers Postfix. */
export async function startMailLookups(dir: MailDirectory, logger: Logger, registry: Registry, crypt: MailCrypt): Promise<MailLookups> {
  const cfg = dir.config;
  const metrics = new MailMetrics(registry);
  const deadlines = new Deadlines(cfg.lookupTimeout);
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', (err) => logger.debug({ err: err.message }, 'mail lookup client connection error'));
  };
  const sm = createServer({ noDelay: true }, (s) => {
    track(s);
    serveSocketmap(s, dir, metrics, logger, deadlines);
  });
  const dict = createServer((s) => {
    track(s);
    serveDict(s, crypt, metrics, logger, deadlines);
  });
  const secret = await readPassdbSecret(cfg.dovecot.passdb.secretFile);
  const pdb = createPassdbServer(crypt, secret, metrics, logger, deadlines);
  pdb.on('connection', track);
  const smAt = cfg.postfix.socketmap;
  let socketmap: HostPort | string;
  if (typeof smAt === 'string') {
    const mode = parseInt(cfg.postfix.socketmapMode, 8);
    socketmap = await listenUnix(sm, smAt, 'mailboxes.postfix.socketmap', {
      mode,
      missingDir: 'make it with packaging/tmpfiles.d/peergroup-postfix.conf (docs/postfix-virtual.md, "Who can ask")',
    });
    await warnOwnGroup(smAt, mode, logger);
  } else socketmap = await listen(sm, smAt, 'mailboxes.postfix.socketmap');
  const unixPaths = typeof socketmap === 'string' ? [socketmap] : [];
  let passdb: HostPort;
  try {
    passdb = await listen(pdb, cfg.dovecot.passdb.listen, 'mailboxes.dovecot.passdb.listen');
  } catch (err) {
    await closeServer(sm, new Set(), unixPaths);
    throw err;
  }
  const path = cfg.dovecot.dictSocket;
  try {
    await listenUnix(dict, path, 'mailboxes.dovecot.dictSocket', { mode: parseInt(cfg.dovecot.dictSocketMode, 8) });
  } catch (err) {
    await Promise.all([closeServer(sm, new Set(), unixPaths), closeServer(pdb, new Set())]);
    throw err;
  }
  return {
    socketmap,
    passdb,
    dictSocket: path,
    async close() {
      await Promise.all([closeServer(sm, sockets, unixPaths), closeServer(dict, sockets, [path]), closeServer(pdb, sockets)]);
    },
  };
}

/**
 * Postfix connects through the socket's group, which is the directory's when the directory is setgid
 * (docs/postfix-virtual.md). A socket of our own group means it is not: Postfix would get a temporary failure for
 * every lookup, and the way out that comes to mind, Postfix in our group, would also open it the Dovecot dict socket.
 */
async function warnOwnGroup(path: string, mode: number, logger: Logger): Promise<void> {
  if ((mode & 0o006) !== 0) return; // open to others: the group does not matter (and the docs advise against it)
  const gid = await stat(path).then(
    (st) => st.gid,
    () => undefined, // gone already (another process removed it): nothing to say about its group
  );
  if (gid !== undefined && gid === process.getgid?.())
    logger.warn(
      { socket: path },
      "mailboxes.postfix.socketmap: the socket has this service's own group, so Postfix cannot connect; make its directory setgid group postfix (docs/postfix-virtual.md)",
    );
}

/** Closes `server`, ends `sockets` and removes the UNIX socket files at `paths`. */
async function closeServer(server: Server, sockets: Set<Socket>, paths: string[] = []): Promise<void> {
  await new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
  for (const p of paths) await rm(p, { force: true });
}
