// Test harness: starts the real accounts service on SQLite or on a real PostgreSQL, and a cookie-keeping HTTP client.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '@peergroup/service';
import { startAccountsFrom, type AccountsConfigInput, type RunningAccounts } from '@peergroup/accounts';
import { createDatabase, postgresAvailable, startPostgres, type RunningPostgres } from './postgres.ts';

export type Dialect = 'sqlite' | 'postgres';
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

/** Argon2id at libsodium's minimum cost: tests exercise the flows, the bench measures the real cost. */
export const FAST_PWHASH = { opslimit: 1, memlimit: 8192 };

let pg: Promise<RunningPostgres> | undefined;
let dbCounter = 0;

/** One PostgreSQL cluster per test process, a fresh database per service. */
export async function databaseUrlFor(dialect: Dialect): Promise<string | undefined> {
  if (dialect === 'sqlite') return undefined;
  if (!postgresAvailable()) throw new Error('PostgreSQL binaries not found (run scripts/system-deps.sh)');
  pg ??= startPostgres();
  const cluster = await pg;
  return createDatabase(cluster.url, `accounts_${process.pid}_${++dbCounter}`);
}

export async function stopPostgres(): Promise<void> {
  if (pg) await (await pg).stop();
  pg = undefined;
}

/**
 * Mail accounts on and encrypted, for tests of the pages (the mail code, and what is said about old mail, matter only
 * then); the passdb secret is written into `work`. No Dovecot or Postfix runs, so any non-root owner will do.
 */
export function encryptedMailboxes(work: string, domain: string): NonNullable<AccountsConfigInput['mailboxes']> {
  const secretFile = join(work, 'passdb.secret');
  writeFileSync(secretFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  return {
    domain,
    encryption: 'new',
    verifier: FAST_PWHASH,
    dovecot: {
      dictSocket: join(work, 'dict.sock'),
      passdb: { listen: '127.0.0.1:0', secretFile },
      uid: process.getuid!() || 5000,
      gid: process.getgid!() || 5000,
    },
    postfix: { socketmap: '127.0.0.1:0' },
  };
}

export interface TestService {
  svc: RunningAccounts;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * `now`: the service's clock (trust store, sessions, rate limits), for tests that move time on. `logger`: where the
 * service logs (default: silent unless PEERGROUP_LOG_LEVEL). A service that fails to start leaves no directory.
 */
export async function startTestService(
  dialect: Dialect,
  overrides: AccountsConfigInput = {},
  opts: { now?: () => Date; logger?: Logger } = {},
): Promise<TestService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'peergroup-accounts-'));
  const databaseUrl = await databaseUrlFor(dialect);
  const { trust, ...rest } = overrides;
  const logger = opts.logger ?? createLogger('accounts-test', process.env.PEERGROUP_LOG_LEVEL ?? 'silent');
  const svc = await startAccountsFrom(
    {
      listen: '127.0.0.1:0',
      dataDir,
      ...(databaseUrl ? { databaseUrl } : {}),
      ...rest,
      trust: { pwhash: FAST_PWHASH, minWait: 0, defaultWait: 0, ...trust },
    },
    { logger, ...(opts.now ? { now: opts.now } : {}) },
  ).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  return {
    svc,
    dataDir,
    async stop() {
      await svc.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every mail the service has written to its outbox, oldest first, once its background work has settled. */
export async function outbox(t: TestService): Promise<string[]> {
  await t.svc.context.settled();
  const files = (await readdir(t.svc.outboxDir)).filter((f) => f.endsWith('.eml')).sort();
  return Promise.all(files.map((f) => readFile(join(t.svc.outboxDir, f), 'utf8')));
}

export interface Page {
  status: number;
  location: string | null;
  headers: Headers;
  body: string;
}

/** A browser stand-in for HTTP-level tests: keeps cookies, never follows redirects, pulls CSRF tokens out of forms. */
export class Client {
  readonly cookies = new Map<string, string>();
  lastCsrf = '';
  /** Sent as Accept-Language when set (the language tests). */
  acceptLanguage: string | undefined;
  /** Sent as User-Agent when set (the sessions page describes the browser from it). */
  userAgent: string | undefined;

  constructor(
    readonly base: string,
    readonly clientIp?: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      ...(this.clientIp ? { 'x-forwarded-for': this.clientIp } : {}),
      ...(this.acceptLanguage ? { 'accept-language': this.acceptLanguage } : {}),
      ...(this.userAgent ? { 'user-agent': this.userAgent } : {}),
      ...extra,
    };
  }

  private keep(res: Response): void {
    for (const sc of res.headers.getSetCookie()) {
      const [pair, ...attrs] = sc.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private async wrap(res: Response): Promise<Page> {
    this.keep(res);
    const body = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(body);
    if (m) this.lastCsrf = m[1]!;
    return { status: res.status, location: res.headers.get('location'), headers: res.headers, body };
  }

  async get(path: string): Promise<Page> {
    const res = await fetch(new URL(path, this.base), { redirect: 'manual', headers: this.headers() });
    return this.wrap(res);
  }

  /** POSTs with the CSRF token of the last page this client saw unless `_csrf` is given. */
  async post(path: string, fields: Record<string, string>): Promise<Page> {
    const body = new URLSearchParams({ _csrf: this.lastCsrf, ...fields });
    const res = await fetch(new URL(path, this.base), {
      method: 'POST',
      redirect: 'manual',
      headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded' }),
      body,
    });
    return this.wrap(res);
  }

  /** GET the form page first (fresh token), then POST to it. */
  async submit(formPath: string, fields: Record<string, string>, action = formPath): Promise<Page> {
    await this.get(formPath);
    return this.post(action, fields);
  }

  async login(username: string, password: string): Promise<Page> {
    return this.submit('/login', { username, password });
  }
}

/** A mail's header and body as text: RFC 2047 words in the subject and the quoted-printable body decoded. */
export function decodeMail(eml: string): string {
  const qp = (v: string) =>
    Buffer.from(
      v.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  const [rawHead = '', ...body] = eml.split(/\r?\n\r?\n/);
  const head = rawHead
    .replace(/\?=\r?\n[ \t]+=\?UTF-8\?Q\?/gi, '')
    .replace(/\r?\n[ \t]+/g, ' ')
    .replace(/=\?UTF-8\?Q\?([^?]*)\?=/gi, (_, w: string) => qp(w.replace(/_/g, ' ')));
  return `${head}\n\n${qp(body.join('\n\n'))}`;
}

/** Visible text of a page (tags stripped, whitespace collapsed) for comparisons that ignore tokens. */
export function pageText(html: string): string {
  return html
    .replace(/<input type="hidden" name="_csrf" value="[^"]*"\/?>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
