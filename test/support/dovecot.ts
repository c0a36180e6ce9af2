/**
 * A private, real Dovecot (Debian's dovecot-core, -imapd, -pop3d, -lmtpd, -managesieved, -auth-lua) for end-to-end tests: `dovecot -c DIR/dovecot.conf -F`
 * with base_dir, state and log under a temporary directory, IMAP, POP3, ManageSieve and LMTP on free loopback ports,
 * and the operator snippets docs/snippets/dovecot-peergroup.conf, dovecot-dict-auth.conf.ext and
 * dovecot-peergroup-auth.lua with only their paths and addresses swapped for the test's.
 *
 * Mail lives under DIR/mail, owned by the system user `peergroup-mail` that scripts/system-deps.sh creates:
 * Dovecot refuses to access mail as uid 0.
 */
import { mkdtemp, mkdir, writeFile, readFile, chmod, chown } from 'node:fs/promises';
import { readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort } from './ports.ts';
import { requirePrerequisite } from './prerequisites.ts';
import { snippet } from './snippets.ts';
import { onProcessExit, killQuietly, isAlive, removeTestDir, sleep, run } from './proc.ts';

export const MAIL_USER = 'peergroup-mail';

export interface DovecotOptions {
  /** An empty directory to use (the caller needs its paths before start); default a fresh temporary one. */
  dir?: string;
  /** The socket of peergroup's dict server (replaces /run/peergroup/dovecot-dict.sock of the snippet). */
  dictSocket: string;
  /** peergroup's passdb listener and its secret file (replace 127.0.0.1:23011 and the secret path of the Lua snippet). */
  passdb: { port: number; secretFile: string };
  /** auth_default_realm (replaces example.org of the snippet). Default example.org. */
  domain?: string;
  /** Postfix queue directory whose private/ gets the SASL and LMTP sockets (as in the snippet). Without it they go under DIR. */
  postfixQueueDir?: string;
  /** Overrides of auth_cache_ttl etc.: `name = value` lines appended after the snippet. */
  settings?: Record<string, string>;
  /** Further operator snippets (docs/snippets/<name>), included verbatim after dovecot-peergroup.conf, e.g. dovecot-mail-crypt.conf. */
  snippets?: string[];
}

export interface Dovecot {
  dir: string;
  imapPort: number;
  pop3Port: number;
  lmtpPort: number;
  managesievePort: number;
  /** Dovecot's auth-master socket (peergroup's cache flushes). */
  authMaster: string;
  /** The Postfix SASL socket of the snippet. */
  authSocket: string;
  /** The Postfix LMTP socket of the snippet. */
  lmtpSocket: string;
  /** Home template for peergroup's userdb answers (`<DIR>/mail/%d/%n`). */
  home: string;
  uid: number;
  gid: number;
  log(): Promise<string>;
  /** Everything Dovecot's master wrote to stdout and stderr since it started. */
  output(): string;
  /** `doveadm -c CONF ...args` (forks: for test set-up only, never in measured paths). */
  doveadm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export function mailUser(): { uid: number; gid: number } {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === MAIL_USER) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error(`missing prerequisite: system user ${MAIL_USER} (run sh scripts/system-deps.sh as root)`);
}

/**
 * A random passdb secret as docs/dovecot.md has the operator create it: group dovecot (Dovecot's auth process reads
 * it when it loads the Lua script), mode 0640.
 */
export async function writePassdbSecret(path: string): Promise<void> {
  await writeFile(path, randomBytes(32).toString('hex') + '\n', { mode: 0o640 });
  await chmod(path, 0o640);
  await chown(path, 0, groupId('dovecot'));
}

function groupId(name: string): number {
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return Number(f[2]);
  }
  throw new Error(`missing prerequisite: group ${name} (installed with dovecot-core)`);
}

/** Paths inside a Dovecot dir given as `dir` (known before start, for the peergroup config). */
export function dovecotPaths(dir: string): { authMaster: string; home: string } {
  return { authMaster: join(dir, 'run', 'auth-master'), home: join(dir, 'mail', '%d', '%n') };
}

/** The snippet's text with each documented value swapped; every one must occur, so an edited snippet fails loudly. */
function swapped(name: string, replace: Record<string, string>): string {
  let t = snippet(name);
  for (const [from, to] of Object.entries(replace)) {
    if (!t.includes(from)) throw new Error(`docs/snippets/${name} no longer mentions ${from}`);
    t = t.split(from).join(to);
  }
  return t;
}

export async function startDovecot(opts: DovecotOptions): Promise<Dovecot> {
  for (const p of ['dovecot', 'dovecot imap', 'dovecot pop3', 'dovecot lmtp', 'dovecot managesieve', 'dovecot lua', 'python3'])
    requirePrerequisite(p);
  const { uid, gid } = mailUser();
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'pg-dovecot-')));
  await chmod(dir, 0o755);
  const base = join(dir, 'run');
  const mail = join(dir, 'mail');
  for (const d of [base, join(dir, 'state'), join(dir, 'private')]) await mkdir(d, { mode: 0o755 });
  await mkdir(mail, { mode: 0o750 });
  await chown(mail, uid, gid);
  const privateDir = opts.postfixQueueDir ? join(opts.postfixQueueDir, 'private') : join(dir, 'private');
  const domain = opts.domain ?? 'example.org';
  const logFile = join(dir, 'dovecot.log');
  let child: ChildProcess | undefined;
  let stopped = false;
  let stderr = '';
  const log = async () => (existsSync(logFile) ? readFile(logFile, 'utf8') : '');

  for (let attempt = 1; ; attempt++) {
    const [imapPort, pop3Port, lmtpPort, managesievePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    await writeFile(
      join(dir, 'dovecot-dict-auth.conf.ext'),
      swapped('dovecot-dict-auth.conf.ext', { '/run/peergroup/dovecot-dict.sock': opts.dictSocket }),
    );
    await writeFile(
      join(dir, 'peergroup-auth.lua'),
      swapped('dovecot-peergroup-auth.lua', {
        '127.0.0.1:23011': `127.0.0.1:${opts.passdb.port}`,
        '/etc/dovecot/peergroup-passdb.secret': opts.passdb.secretFile,
      }),
    );
    const peergroup = swapped('dovecot-peergroup.conf', {
      'auth_default_realm = example.org': `auth_default_realm = ${domain}`,
      '/etc/dovecot/dovecot-dict-auth.conf.ext': join(dir, 'dovecot-dict-auth.conf.ext'),
      '/etc/dovecot/peergroup-auth.lua': join(dir, 'peergroup-auth.lua'),
      '/var/spool/postfix/private/': `${privateDir}/`,
      // The peergroup group of a production host; the tests run peergroup as root.
      'group = peergroup': 'group = root',
    });
    await writeFile(join(dir, '90-peergroup.conf'), peergroup);
    const extra = opts.snippets ?? [];
    for (const name of extra) await writeFile(join(dir, name), snippet(name));
    const conf = [
      '# test instance: the local parts an operator has in dovecot.conf and 10-master.conf',
      `base_dir = ${base}`,
      `state_dir = ${join(dir, 'state')}`,
      `log_path = ${logFile}`,
      'protocols = imap pop3 lmtp sieve',
      'listen = 127.0.0.1',
      // Loopback only, no certificates in tests: production has ssl = required (docs/dovecot.md).
      'ssl = no',
      'disable_plaintext_auth = no',
      'default_internal_user = dovecot',
      'default_login_user = dovenull',
      `first_valid_uid = ${Math.min(uid, 100)}`,
      'mail_location = maildir:~/Maildir',
      'service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ' +
        imapPort +
        '\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}',
      'service pop3-login {\n  inet_listener pop3 {\n    address = 127.0.0.1\n    port = ' +
        pop3Port +
        '\n  }\n  inet_listener pop3s {\n    port = 0\n  }\n}',
      'service managesieve-login {\n  inet_listener sieve {\n    address = 127.0.0.1\n    port = ' + managesievePort + '\n  }\n}',
      'service lmtp {\n  inet_listener lmtp {\n    address = 127.0.0.1\n    port = ' + lmtpPort + '\n  }\n}',
      `!include ${join(dir, '90-peergroup.conf')}`,
      ...extra.map((name) => `!include ${join(dir, name)}`),
      ...Object.entries(opts.settings ?? {}).map(([k, v]) => `${k} = ${v}`),
      '',
    ].join('\n');
    const confFile = join(dir, 'dovecot.conf');
    await writeFile(confFile, conf);
    const before = (await log()).length;
    child = spawn('dovecot', ['-c', confFile, '-F'], { stdio: ['ignore', 'pipe', 'pipe'] });
    stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout?.on('data', (b: Buffer) => (stderr += b.toString()));
    const deadline = Date.now() + 15_000;
    let up = false;
    while (Date.now() < deadline) {
      if (/starting up/.test((await log()).slice(before)) && existsSync(join(base, 'auth-master'))) {
        up = true;
        break;
      }
      if (child.exitCode !== null) break;
      await sleep(30);
    }
    const text = (await log()).slice(before) + stderr;
    if (up) {
      // The listeners are bound once master logged; a port taken meanwhile shows as a fatal line.
      await sleep(100);
      if (!/Address already in use/.test((await log()).slice(before)) && child.exitCode === null) {
        const c = child;
        const unregister = onProcessExit(() => {
          c.kill('SIGKILL');
          removeTestDir(dir);
        });
        return {
          dir,
          imapPort,
          pop3Port,
          lmtpPort,
          managesievePort,
          authMaster: join(base, 'auth-master'),
          authSocket: join(privateDir, 'auth'),
          lmtpSocket: join(privateDir, 'dovecot-lmtp'),
          home: join(mail, '%d', '%n'),
          uid,
          gid,
          log,
          output: () => stderr,
          doveadm: (args) => run('doveadm', ['-c', confFile, ...args]),
          async stop() {
            if (stopped) return;
            stopped = true;
            const pid = c.pid;
            c.kill('SIGTERM');
            const until = Date.now() + 5000;
            while (pid !== undefined && isAlive(pid) && Date.now() < until) await sleep(50);
            if (pid !== undefined && isAlive(pid)) killQuietly(pid, 'SIGKILL');
            unregister();
            removeTestDir(dir);
          },
        };
      }
    }
    if (child.exitCode === null) child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    if (attempt < 4 && /Address already in use/.test(text)) continue;
    removeTestDir(dir);
    throw new Error(`Dovecot did not start:\n${text.split('\n').slice(-20).join('\n')}`);
  }
}

/**
 * A random 127/8 source address: Dovecot delays logins from an address with recent failures (its auth penalty, up
 * to 15 s); tests that fail logins on purpose must not slow down every later login of the same test process.
 */
export function loopbackSource(): string {
  const b = randomBytes(3);
  return `127.${(b[0]! % 254) + 1}.${b[1]}.${(b[2]! % 254) + 1}`;
}

/**
 * Runs an IMAP session with python3's imaplib (a real client, not ours) from loopbackSource(): LOGIN, then optional reads. Resolves with
 * the JSON the script prints: { ok, error?, messages? } — messages are the bodies of INBOX, oldest first.
 */
export async function imapLogin(
  port: number,
  user: string,
  password: string,
  opts: { read?: boolean } = {},
): Promise<{ ok: boolean; error?: string; messages?: string[] }> {
  const script = `
import imaplib, json, socket, sys
user, pw, port, read, src = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == '1', sys.argv[5]
class FromSource(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(src, 0))
try:
    m = FromSource('127.0.0.1', port)
    try:
        m.login(user, pw)
    except imaplib.IMAP4.error as e:
        print(json.dumps({'ok': False, 'error': str(e)})); sys.exit(0)
    out = {'ok': True}
    if read:
        m.select('INBOX')
        typ, data = m.search(None, 'ALL')
        msgs = []
        for num in data[0].split():
            typ, d = m.fetch(num, '(RFC822)')
            msgs.append(d[0][1].decode('utf-8', 'replace'))
        out['messages'] = msgs
    m.logout()
    print(json.dumps(out))
except Exception as e:
    print(json.dumps({'ok': False, 'error': 'connection: ' + str(e)}))
`;
  const r = await run('python3', ['-c', script, user, password, String(port), opts.read ? '1' : '0', loopbackSource()], {
    timeoutMs: 30_000,
  });
  if (r.code !== 0) throw new Error(`python3 imaplib failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ok: boolean; error?: string; messages?: string[] };
}

/** A POP3 login with python3's poplib from loopbackSource(): { ok } or { ok: false, error } with the server's -ERR text. */
export async function pop3Login(port: number, user: string, password: string): Promise<{ ok: boolean; error?: string; count?: number }> {
  const script = `
import poplib, json, socket, sys
user, pw, port, src = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
class FromSource(poplib.POP3):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(src, 0))
try:
    m = FromSource('127.0.0.1', port, timeout=30)
    try:
        m.user(user)
        m.pass_(pw)
    except poplib.error_proto as e:
        print(json.dumps({'ok': False, 'error': e.args[0].decode('utf-8', 'replace')})); sys.exit(0)
    count, size = m.stat()
    m.quit()
    print(json.dumps({'ok': True, 'count': count}))
except Exception as e:
    print(json.dumps({'ok': False, 'error': 'connection: ' + str(e)}))
`;
  const r = await run('python3', ['-c', script, user, password, String(port), loopbackSource()], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`python3 poplib failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ok: boolean; error?: string; count?: number };
}
