// Dovecot's passdb, answered over loopback HTTP for the Lua script docs/snippets/dovecot-peergroup-auth.lua:
// `POST /dovecot/passdb` with `Authorization: Bearer <secret>` and a form body (user, password, service, rip).
// 200 and `name=value` lines: valid (the lines are passdb fields; userdb_* ones reach the userdb — for an encrypted
// mailbox the session's mail_crypt keys, mail-crypt.ts), 403: not valid
// (wrong password, unknown, disabled or deleted account, all alike), anything else — 401 for a wrong secret, 503
// when the lookup failed or took longer than lookupTimeout — is a temporary failure for the mail client.
// The password is only ever in a request body: never in a URL, a log line or an error message.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { MailCrypt } from './mail-crypt.ts';
import { secondsSince, type MailMetrics } from './metrics.ts';
import type { Deadlines } from './deadlines.ts';

export const PASSDB_PATH = '/dovecot/passdb';
const MAX_BODY = 8192;

/** Reads `mailboxes.dovecot.passdb.secretFile`; a missing or short secret is a start-up error naming the key. */
export async function readPassdbSecret(path: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`mailboxes.dovecot.passdb.secretFile ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const secret = text.trim();
  if (secret.length < 32)
    throw new Error(
      `mailboxes.dovecot.passdb.secretFile ${path}: must hold a random secret of at least 32 characters (e.g. openssl rand -hex 32)`,
    );
  return Buffer.from(secret, 'utf8');
}

export function createPassdbServer(crypt: MailCrypt, secret: Buffer, metrics: MailMetrics, logger: Logger, deadlines: Deadlines): Server {
  const series = metrics.series('http', 'passdb');
  const expected = createHash('sha256').update(secret).digest();
  let warnedSecret = 0;
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.warn({ err: (err as Error).message }, 'passdb request failed; Dovecot gets a temporary failure');
      answer(res, 503, 'temporary failure\n');
    });
  });
  // Each of Dovecot's auth workers keeps its connection between logins.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url !== PASSDB_PATH) return answer(res, 404, 'peergroup serves POST /dovecot/passdb here\n');
    const auth = req.headers.authorization ?? '';
    const given = createHash('sha256')
      .update(auth.startsWith('Bearer ') ? auth.slice(7) : '')
      .digest();
    if (!timingSafeEqual(given, expected)) {
      if (Date.now() - warnedSecret > 60_000) {
        warnedSecret = Date.now();
        logger.warn("a passdb request without the secret of mailboxes.dovecot.passdb.secretFile; check the Lua script's SECRET_FILE");
      }
      req.resume();
      return answer(res, 401, 'wrong secret\n');
    }
    const body = await readBody(req);
    if (body === undefined) return answer(res, 413, 'request too large\n');
    const form = new URLSearchParams(body);
    const user = form.get('user');
    const password = form.get('password');
    if (!user || password === null) return answer(res, 400, 'user and password are required\n');
    const started = process.hrtime.bigint();
    let fields: Record<string, string> | null;
    try {
      fields = await deadlines.within(crypt.passdb(user, password), 'passdb lookup');
    } catch (err) {
      series.record('temp');
      logger.warn({ err: (err as Error).message }, 'passdb lookup failed; Dovecot gets a temporary failure');
      return answer(res, 503, 'temporary failure\n');
    }
    series.record(fields ? 'found' : 'notfound', secondsSince(started));
    // The fields hold a private key: answered, never logged. Values are base64 or digits, so no line breaks.
    answer(
      res,
      fields ? 200 : 403,
      fields
        ? Object.entries(fields)
            .map(([k, v]) => `${k}=${v}\n`)
            .join('')
        : '',
    );
  }
  return server;
}

function answer(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
