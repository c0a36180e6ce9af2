// The mail lookup daemon: Dovecot's passdb (loopback HTTP for its Lua script), its userdb (the dict socket) and the
// Postfix socketmap listener over one MailDirectory. It runs inside the accounts service (same database
// connection), listed as the `mail-passdb` and `mail-socketmap` addresses of that service.
import { createServer, type Server, type Socket } from 'node:net';
import { chmod, rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { listen, type HostPort } from '@peergroup/service';
import type { MailDirectory } from './directory.ts';
import type { MailCrypt } from './mail-crypt.ts';
import { MailMetrics } from './metrics.ts';
import { Deadlines } from './deadlines.ts';
import { serveDict } from './dict-server.ts';
import { serveSocketmap } from './socketmap-server.ts';
import { createPassdbServer, readPassdbSecret } from './passdb-http.ts';

export interface MailLookups {
  socketmap: HostPort;
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
  const socketmap = await listen(sm, cfg.postfix.socketmap, 'mailboxes.postfix.socketmap');
  let passdb: HostPort;
  try {
    passdb = await listen(pdb, cfg.dovecot.passdb.listen, 'mailboxes.dovecot.passdb.listen');
  } catch (err) {
    await closeServer(sm, new Set());
    throw err;
  }
  const path = cfg.dovecot.dictSocket;
  // A socket file left by a previous run that did not shut down cleanly would make listen fail with EADDRINUSE.
  await rm(path, { force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      dict.once('error', (err) => reject(new Error(`mailboxes.dovecot.dictSocket ${path}: ${err.message}`)));
      dict.listen(path, () => resolve());
    });
    await chmod(path, parseInt(cfg.dovecot.dictSocketMode, 8));
  } catch (err) {
    await Promise.all([closeServer(sm, new Set()), closeServer(pdb, new Set())]);
    throw err;
  }
  return {
    socketmap,
    passdb,
    dictSocket: path,
    async close() {
      await Promise.all([closeServer(sm, sockets), closeServer(dict, sockets), closeServer(pdb, sockets)]);
      await rm(path, { force: true });
    },
  };
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
}
