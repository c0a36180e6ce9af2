// The mail e2e tests' common set-up: peergroup's accounts service configured from docs/snippets/mailboxes.yaml, a
// private Dovecot from the operator snippets, optionally a private Postfix from postfix-virtual-*.cf.
import { mkdtemp, mkdir, chmod, chown, rm, readdir, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createLogger } from '@peergroup/service';
import { startAccountsFrom, type AccountsConfigInput, type RunningAccounts } from '@peergroup/accounts';
import { startDovecot, dovecotPaths, writePassdbSecret, mailUser, loopbackSource, type Dovecot } from '@peergroup/test-support/dovecot';
import { freePort } from '@peergroup/test-support/ports';
import { snippet, mainCfFromSnippet } from '@peergroup/test-support/snippets';
import { groupId, startPostfix, type Postfix } from '@peergroup/test-support/postfix';
import { keepTestDirs, run } from '@peergroup/test-support/proc';
import { FAST_PWHASH } from '@peergroup/test-support/accounts';

export const DOMAIN = 'example.org';

export interface MailStack {
  work: string;
  dv: Dovecot;
  /** With `postfix: true`: Postfix from postfix-virtual-*.cf, SASL and LMTP through this Dovecot. */
  pf: Postfix | undefined;
  submissionPort: number;
  svc: RunningAccounts | undefined;
  config: AccountsConfigInput;
  /** (Re)starts peergroup's accounts service with `config`. */
  start(): Promise<RunningAccounts>;
  /** Stops peergroup only (Dovecot keeps running). */
  stopPeergroup(): Promise<void>;
  close(): Promise<void>;
}

/** The socketmap's socket path of docs/snippets/mailboxes.yaml and postfix-virtual-main.cf. */
export const SOCKETMAP_SOCKET = '/run/peergroup-postfix/socketmap.sock';

/** packaging/tmpfiles.d/peergroup-postfix.conf's one line: the directory of the socketmap's socket. */
export function socketmapDirSpec(): { path: string; mode: number; user: string; group: string } {
  const m = /^d\s+(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s+-$/m.exec(
    readFileSync(new URL('../../packaging/tmpfiles.d/peergroup-postfix.conf', import.meta.url), 'utf8'),
  );
  if (!m) throw new Error('packaging/tmpfiles.d/peergroup-postfix.conf no longer has its one d line');
  return { path: m[1]!, mode: Number.parseInt(m[2]!, 8), user: m[3]!, group: m[4]! };
}

/**
 * A socketmap socket path in `work`, in a directory made as that tmpfiles line makes /run/peergroup-postfix (its
 * mode and group; owner `owner`, default this process): the socket gets group postfix, which the test Postfix's
 * processes (user postfix) connect as. `setgid: false` leaves out the setgid bit, the mistake the service warns
 * about: the socket then has the service's group and Postfix cannot open it.
 */
export async function socketmapPath(work: string, o: { setgid?: boolean; owner?: number } = {}): Promise<string> {
  const spec = socketmapDirSpec();
  const dir = join(work, 'peergroup-postfix');
  await mkdir(dir);
  await chown(dir, o.owner ?? process.getuid!(), groupId(spec.group));
  await chmod(dir, o.setgid === false ? spec.mode & ~0o2000 : spec.mode);
  return join(dir, 'socketmap.sock');
}

/** docs/snippets/mailboxes.yaml's `accounts.mailboxes`, pointed at this test's directory, user and ports. */
export function mailboxesFromSnippet(o: {
  work: string;
  paths: { authMaster: string; home: string };
  uid: number;
  gid: number;
  socketmap: string;
  passdbPort: number;
  secretFile: string;
}): Record<string, unknown> {
  const yaml = parseYaml(
    snippet('mailboxes.yaml')
      .replace('/run/peergroup/dovecot-dict.sock', join(o.work, 'dict.sock'))
      .replace('/run/dovecot/auth-master', o.paths.authMaster)
      .replace('/var/vmail/%d/%n', o.paths.home)
      .replace('uid: 5000', `uid: ${o.uid}`)
      .replace('gid: 5000', `gid: ${o.gid}`)
      .replace(SOCKETMAP_SOCKET, o.socketmap)
      .replace('127.0.0.1:23011', `127.0.0.1:${o.passdbPort}`)
      .replace('/etc/dovecot/peergroup-passdb.secret', o.secretFile),
  ) as { accounts: { mailboxes: Record<string, unknown> } };
  return yaml.accounts.mailboxes;
}

export async function startMailStack(
  o: {
    dovecotSettings?: Record<string, string>;
    /** More docs/snippets included into Dovecot's configuration (e.g. dovecot-mail-crypt.conf). */
    dovecotSnippets?: string[];
    now?: () => Date;
    mailboxes?: Record<string, unknown>;
    postfix?: boolean;
    /** main.cf lines set over the snippet's (a test that runs without one of its settings says so). */
    postfixMainCf?: Record<string, string>;
    /** false: the socketmap's directory without its setgid bit (socketmapPath). */
    socketmapSetgid?: boolean;
  } = {},
): Promise<MailStack> {
  const work = await mkdtemp(join(tmpdir(), 'pg-mail-e2e-'));
  await chmod(work, 0o755);
  const dovecotDir = join(work, 'dovecot');
  await mkdir(dovecotDir);
  const socketmap = await socketmapPath(work, { setgid: o.socketmapSetgid ?? true });
  const passdbPort = await freePort();
  const secretFile = join(work, 'passdb.secret');
  await writePassdbSecret(secretFile);
  const { uid, gid } = mailUser();
  const paths = dovecotPaths(dovecotDir);
  const mailboxes = mailboxesFromSnippet({ work, paths, uid, gid, socketmap, passdbPort, secretFile });
  const config: AccountsConfigInput = {
    listen: '127.0.0.1:0',
    dataDir: join(work, 'data'),
    trust: { pwhash: FAST_PWHASH, minWait: 0, defaultWait: 0 },
    mailboxes: { ...mailboxes, verifier: { opslimit: 1, memlimit: 8192 }, ...o.mailboxes } as never,
  };
  const logger = createLogger('mail-e2e', process.env.PEERGROUP_LOG_LEVEL ?? 'silent');
  const stack: MailStack = {
    work,
    dv: undefined as unknown as Dovecot,
    pf: undefined,
    submissionPort: 0,
    svc: undefined,
    config,
    async start() {
      stack.svc = await startAccountsFrom(config, { logger, ...(o.now ? { now: o.now } : {}) });
      return stack.svc;
    },
    async stopPeergroup() {
      await stack.svc?.close();
      stack.svc = undefined;
    },
    async close() {
      await stack.svc?.close();
      await stack.dv?.stop();
      await stack.pf?.stop();
      if (!keepTestDirs()) await rm(work, { recursive: true, force: true });
    },
  };
  if (o.postfix) {
    stack.submissionPort = await freePort();
    const master = snippet('postfix-virtual-master.cf')
      .replace('submission inet n       -       y', `127.0.0.1:${stack.submissionPort} inet n       -       n`)
      // No certificates in the test: the snippet's TLS requirement is the one deviation.
      .replace('smtpd_tls_security_level=encrypt', 'smtpd_tls_security_level=none')
      .replace('smtpd_tls_auth_only=yes', 'smtpd_tls_auth_only=no')
      .trimEnd()
      .split('\n');
    stack.pf = await startPostfix({
      name: `mx.${DOMAIN}`,
      mainCf: {
        ...mainCfFromSnippet(snippet('postfix-virtual-main.cf'), { [SOCKETMAP_SOCKET]: socketmap }),
        ...o.postfixMainCf,
      },
      masterCf: master,
    });
  }
  await stack.start();
  stack.dv = await startDovecot({
    dir: dovecotDir,
    dictSocket: join(work, 'dict.sock'),
    passdb: { port: passdbPort, secretFile },
    domain: DOMAIN,
    ...(stack.pf ? { postfixQueueDir: join(stack.pf.dir, 'queue') } : {}),
    settings: { ...(process.env.DV_DEBUG ? { auth_debug: 'yes' } : {}), ...o.dovecotSettings },
    ...(o.dovecotSnippets ? { snippets: o.dovecotSnippets } : {}),
  });
  return stack;
}

/** SMTP through python3's smtplib: optional AUTH, then MAIL/RCPT/DATA; the first refusal's stage, code and text. */
export async function smtpSession(
  port: number,
  o: { user?: string; password?: string; from: string; to: string[]; body?: string },
): Promise<{ ok: boolean; stage?: string; code?: number; text?: string }> {
  const script = `
import smtplib, json, sys
a = json.loads(sys.argv[1])
def out(d): print(json.dumps(d)); sys.exit(0)
try:
    s = smtplib.SMTP('127.0.0.1', a['port'], timeout=30, source_address=(a['src'], 0))
    s.ehlo('client.test')
    if a.get('user'):
        try: s.login(a['user'], a['password'])
        except smtplib.SMTPAuthenticationError as e: out({'ok': False, 'stage': 'auth', 'code': e.smtp_code, 'text': e.smtp_error.decode()})
        except smtplib.SMTPException as e: out({'ok': False, 'stage': 'auth', 'code': 0, 'text': str(e)})
    code, msg = s.mail(a['from'])
    if code >= 300: out({'ok': False, 'stage': 'mail', 'code': code, 'text': msg.decode()})
    for r in a['to']:
        code, msg = s.rcpt(r)
        if code >= 300: out({'ok': False, 'stage': 'rcpt', 'code': code, 'text': msg.decode()})
    code, msg = s.data(a['body'])
    if code >= 300: out({'ok': False, 'stage': 'data', 'code': code, 'text': msg.decode()})
    s.quit()
    out({'ok': True, 'code': code, 'text': msg.decode()})
except smtplib.SMTPException as e:
    out({'ok': False, 'stage': 'error', 'code': 0, 'text': str(e)})
`;
  const body = o.body ?? `From: ${o.from}\r\nTo: ${o.to.join(', ')}\r\nSubject: test\r\n\r\nhello\r\n`;
  const r = await run('python3', ['-c', script, JSON.stringify({ port, ...o, body, src: loopbackSource() })], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`python3 smtplib failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

export interface Fetched {
  ok: boolean;
  error?: string;
  /** One per message in INBOX, oldest first: its text, or the server's NO for that FETCH. */
  messages?: { ok: boolean; text?: string; error?: string }[];
}

/** python3's imaplib: LOGIN, then FETCH each INBOX message on its own, so one unreadable message shows as its NO. */
export async function imapFetchAll(port: number, user: string, password: string): Promise<Fetched> {
  const script = `
import imaplib, json, socket, sys
user, pw, port, src = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
class FromSource(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(src, 0))
def connect():
    c = FromSource('127.0.0.1', port)
    c.login(user, pw)
    c.select('INBOX')
    return c
try:
    m = connect()
except imaplib.IMAP4.error as e:
    print(json.dumps({'ok': False, 'error': str(e)})); sys.exit(0)
typ, data = m.search(None, 'ALL')
out = []
for num in data[0].split():
    try:
        typ, d = m.fetch(num, '(BODY.PEEK[])')
    except imaplib.IMAP4.abort as e:
        # Dovecot ends the session when a message cannot be decrypted ("Disconnected: FETCH read() failed").
        out.append({'ok': False, 'error': 'disconnected: ' + str(e)}); m = connect(); continue
    except imaplib.IMAP4.error as e:
        out.append({'ok': False, 'error': str(e)}); continue
    if typ == 'OK' and d and isinstance(d[0], tuple):
        out.append({'ok': True, 'text': d[0][1].decode('utf-8', 'replace')})
    else:
        out.append({'ok': False, 'error': typ + ' ' + repr(d)})
m.logout()
print(json.dumps({'ok': True, 'messages': out}))
`;
  const r = await run('python3', ['-c', script, user, password, String(port), loopbackSource()], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`python3 imaplib failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Fetched;
}

/** Every file under `dir` whose bytes contain `needle`. */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    if ((await readFile(p)).includes(needle)) hits.push(p);
  }
  return hits;
}
