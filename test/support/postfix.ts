/**
 * A private, real Postfix instance for end-to-end tests.
 *
 * Each instance has its own config dir, queue, data dir and log file under a temporary directory, and runs its
 * own master in the foreground (`master -c DIR -s`, what `postfix -c DIR start-fg` runs after its checks), so
 * several instances (and an Exim) can run side by side without touching /etc/postfix. There is no syslog on the test machines: Postfix logs through its own `postlog` service to
 * `<dir>/log/maillog` (read it with `log()` / `waitForLog()`).
 *
 * Layout of `dir`:
 *   etc/      config dir (main.cf, master.cf, `files`) — `$config_directory` in main.cf values refers to it
 *   queue/    queue_directory
 *   data/     data_directory (owned by the postfix user, as postfix-files prescribes; root-owned would fail)
 *   log/      maillog
 *   mail/     virtual mailbox base when `mailbox` is set (Maildirs)
 *
 * The tests run as root; `postfix -c`, `postqueue -c` and `sendmail -C` accept any config dir for root, so no
 * `alternate_config_directories` entry in /etc/postfix/main.cf (which does not exist here) is needed.
 */
import { mkdtemp, mkdir, writeFile, readFile, readdir, readlink, chmod, chown, utimes } from 'node:fs/promises';
import { readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { smtpSubmit } from './smtp-client.ts';
import { freePort } from './ports.ts';
import { requirePrerequisite } from './prerequisites.ts';
import { run, onProcessExit, killQuietly, isAlive, removeTestDir, sleep, type RunResult } from './proc.ts';

export interface PostfixOptions {
  /** myhostname; default `pf-<random>.test`. Also the HELO name and the smtpd banner name. */
  name?: string;
  /**
   * Extra or overriding main.cf parameters. Values may use Postfix's own `$config_directory`, `$queue_directory`
   * etc., e.g. `transport_maps: 'hash:$config_directory/transport.map'`.
   */
  mainCf?: Record<string, string>;
  /** Extra master.cf lines, appended verbatim (a custom transport, a second smtpd on a port from `freePort()`…). */
  masterCf?: string[];
  /** Default true: an smtpd listening on a free loopback port (`smtpPort`). */
  smtpd?: boolean;
  /** A fixed port for that smtpd instead of a free one (no retry when it is taken: start-up fails). */
  smtpPort?: number;
  /** `-o name=value` overrides for that smtpd only (e.g. `smtpd_authorized_xclient_hosts`). */
  smtpdOptions?: Record<string, string>;
  /**
   * Extra files written to the config dir before start. A file whose name ends in `.map` is also compiled with
   * `postmap hash:` so main.cf can reference it as `hash:$config_directory/<name>`; other files are written
   * as they are (use `texthash:`, `regexp:`, `cidr:` … tables, which need no postmap).
   */
  files?: Record<string, string>;
  /**
   * Local Maildir delivery (virtual(8)) for these domains, read back with `mailboxes()`. Without `users` every
   * address at the domains is accepted; with `users` (full addresses) only those, others get
   * `550 5.1.1 ... User unknown in virtual mailbox table` at RCPT (useful for address-verification probes).
   */
  mailbox?: { domains: string[]; users?: string[] };
}

export interface QueueRecipient {
  address: string;
  delay_reason?: string;
  orig_address?: string;
}

export interface QueueEntry {
  queue_name: string;
  queue_id: string;
  arrival_time?: number;
  message_size?: number;
  sender: string;
  recipients: QueueRecipient[];
  forced_expire?: boolean;
}

export interface Postfix {
  /** Root of this instance's temporary directory. */
  dir: string;
  /** The config dir passed as `-c` (contains main.cf, master.cf and `files`). */
  configDir: string;
  /** myhostname. */
  name: string;
  /** Port of the default smtpd on 127.0.0.1 (0 when `smtpd: false`). */
  smtpPort: number;
  /** Full path of the maillog file. */
  logFile: string;
  /** Runs `postmap -c configDir ...args` (e.g. `['-q', 'user@dom', 'tcp:127.0.0.1:PORT']`). Never rejects on a non-zero exit. */
  postmap(args: string[]): Promise<RunResult>;
  /** Runs `postconf -c configDir ...args` and returns its stdout; rejects on a non-zero exit. */
  postconf(args: string[]): Promise<string>;
  /** Sets main.cf parameters (`postconf -e`) and reloads the running instance. */
  setMainCf(params: Record<string, string>): Promise<void>;
  /** Writes a file into the config dir (postmap'ed when its name ends in `.map`); call `reload()` if needed. */
  writeConfigFile(name: string, content: string): Promise<string>;
  /** `postfix -c configDir reload`; resolves once master logged the reload. */
  reload(): Promise<void>;
  /** Submits a message with Postfix's `sendmail -C configDir -i -f from -- to...` (pickup path, no smtpd involved). */
  sendmail(from: string, to: string[], message: string | Buffer): Promise<void>;
  /**
   * Submits a message over SMTP to the default smtpd (smtp-client.ts: EHLO submitter.test, ends with QUIT) and
   * resolves with the reply to DATA (e.g. `250 2.0.0 Ok: queued as 4Xyz...`); rejects with an SmtpReplyError
   * (`responseCode`, `response`) on a refusal.
   */
  submit(from: string, to: string[], message: string | Buffer): Promise<string>;
  /** The maillog file's contents so far ('' before the first line is written). */
  log(): Promise<string>;
  /**
   * Polls the maillog until a line matches `re` and resolves with that line. `fromOffset` (a length of a previous
   * `log()` result) skips what was logged before it. Rejects with the log's tail after `timeoutMs` (default 15 s).
   */
  waitForLog(re: RegExp, timeoutMs?: number, fromOffset?: number): Promise<string>;
  /** `postqueue -j`, parsed: every message in the queue (active, deferred, hold, incoming). */
  queue(): Promise<QueueEntry[]>;
  /** Polls `queue()` until `pred` holds; resolves with that queue. */
  waitForQueue(pred: (q: QueueEntry[]) => boolean, timeoutMs?: number): Promise<QueueEntry[]>;
  /** `postqueue -f`: retry every deferred message now. */
  flush(): Promise<void>;
  /** Messages delivered to the `mailbox` domains, keyed by their (lower-cased) Delivered-To address, oldest first. */
  mailboxes(): Promise<Record<string, string[]>>;
  /** Stops the instance (master and all its children) and removes `dir` (kept with PEERGROUP_KEEP_TEST_DIRS=1). Idempotent. */
  stop(): Promise<void>;
}

/** Where Debian's postfix package keeps master and the daemons (`postconf -d daemon_directory`). */
const DAEMON_DIRECTORY = '/usr/lib/postfix/sbin';

const MASTER_CF_BASE = [
  // service type private unpriv chroot wakeup maxproc command
  'pickup    unix  n       -       n       60      1       pickup',
  'cleanup   unix  n       -       n       -       0       cleanup',
  'qmgr      unix  n       -       n       300     1       qmgr',
  'tlsmgr    unix  -       -       n       1000?   1       tlsmgr',
  'rewrite   unix  -       -       n       -       -       trivial-rewrite',
  'bounce    unix  -       -       n       -       0       bounce',
  'defer     unix  -       -       n       -       0       bounce',
  'trace     unix  -       -       n       -       0       bounce',
  'verify    unix  -       -       n       -       1       verify',
  'flush     unix  n       -       n       1000?   0       flush',
  'proxymap  unix  -       -       n       -       -       proxymap',
  'proxywrite unix -       -       n       -       1       proxymap',
  'smtp      unix  -       -       n       -       -       smtp',
  'relay     unix  -       -       n       -       -       smtp',
  'showq     unix  n       -       n       -       -       showq',
  'error     unix  -       -       n       -       -       error',
  'retry     unix  -       -       n       -       -       error',
  'discard   unix  -       -       n       -       -       discard',
  'local     unix  -       n       n       -       -       local',
  'virtual   unix  -       n       n       -       -       virtual',
  'lmtp      unix  -       -       n       -       -       lmtp',
  'anvil     unix  -       -       n       -       1       anvil',
  'scache    unix  -       -       n       -       1       scache',
  // No syslog on the test machines: postlogd writes maillog_file.
  'postlog   unix-dgram n  -       n       -       1       postlogd',
];

function masterOpt(name: string, value: string): string {
  // master.cf splits -o arguments on whitespace unless the whole setting is in braces (Postfix >= 3.0).
  return /[\s{}]/.test(value) ? `  -o { ${name} = ${value} }` : `  -o ${name}=${value}`;
}

function uidOf(user: string): { uid: number; gid: number } {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f[2] !== undefined && f[3] !== undefined) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error(`user ${user} not found in /etc/passwd`);
}

/** The id of a group in /etc/group (postdrop, postfix); throws when there is none. */
export function groupId(group: string): number {
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === group && f[2] !== undefined) return Number(f[2]);
  }
  throw new Error(`group ${group} not found in /etc/group`);
}

/**
 * Creates the queue and data directories exactly as /etc/postfix/postfix-files prescribes (owner, group, mode).
 * `postfix start` would create them itself through post-install, but that forks some 80 mkdir/chown/chmod/postconf
 * processes (about 2 s on a loaded test machine); with everything in place master can be started directly.
 */
async function createQueueDirs(queueDir: string, dataDir: string): Promise<void> {
  const owner = uidOf('postfix');
  const postdrop = groupId('postdrop');
  const dirs: Array<[string, number, number, number]> = [
    ...['active', 'bounce', 'corrupt', 'defer', 'deferred', 'flush', 'hold', 'incoming', 'private', 'saved', 'trace'].map(
      (d): [string, number, number, number] => [join(queueDir, d), owner.uid, 0, 0o700],
    ),
    [join(queueDir, 'maildrop'), owner.uid, postdrop, 0o730],
    [join(queueDir, 'public'), owner.uid, postdrop, 0o710],
    [join(queueDir, 'pid'), 0, 0, 0o755],
    // The data dir must belong to the mail owner: a root-owned pre-created one makes Postfix fail.
    [dataDir, owner.uid, 0, 0o700],
  ];
  for (const [d, uid, gid, mode] of dirs) {
    await mkdir(d);
    await chown(d, uid, gid);
    await chmod(d, mode);
  }
}

/**
 * Postfix re-reads a config file written within the last second every 300 ms until it is older (it guards against
 * reading a file an editor is still writing): ~1.5 s per fresh instance. Our files are complete; date them back.
 */
let lastBackdate = 0;
async function backdate(configDir: string): Promise<void> {
  // Strictly increasing whole seconds: Postfix daemons notice a changed map by its mtime, so two rewrites within
  // one second must still get different times.
  lastBackdate = Math.max(Math.floor(Date.now() / 1000) - 60, lastBackdate + 1);
  for (const f of await readdir(configDir)) await utimes(join(configDir, f), lastBackdate, lastBackdate);
}

async function cwdOf(pid: number): Promise<string | undefined> {
  try {
    return await readlink(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/**
 * Starts a private Postfix; resolves once its master logged "daemon started" (listeners are bound by then),
 * typically within 50 ms (bench/mta-harness).
 */
export async function startPostfix(opts: PostfixOptions = {}): Promise<Postfix> {
  requirePrerequisite('postfix');
  const dir = await mkdtemp(join(tmpdir(), 'pg-postfix-'));
  try {
    return await setUpPostfix(dir, opts);
  } catch (e) {
    // A failure before start (bad option, postmap error) must not leave the directory behind either.
    removeTestDir(dir);
    throw e;
  }
}

async function setUpPostfix(dir: string, opts: PostfixOptions): Promise<Postfix> {
  // Postfix daemons drop to the postfix user (and virtual(8) to the mailbox owner): they must traverse dir.
  await chmod(dir, 0o755);
  const configDir = join(dir, 'etc');
  const queueDir = join(dir, 'queue');
  const logDir = join(dir, 'log');
  const mailDir = join(dir, 'mail');
  const logFile = join(logDir, 'maillog');
  await mkdir(configDir, { mode: 0o755 });
  await mkdir(queueDir, { mode: 0o755 });
  await mkdir(logDir, { mode: 0o755 });
  await createQueueDirs(queueDir, join(dir, 'data'));
  const name = opts.name ?? `pf-${randomBytes(4).toString('hex')}.test`;
  const wantSmtpd = opts.smtpd ?? true;

  const main: Record<string, string> = {
    compatibility_level: '3.6',
    myhostname: name,
    mydomain: name.includes('.') ? name.slice(name.indexOf('.') + 1) : 'test',
    myorigin: '$myhostname',
    mydestination: '',
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    queue_directory: queueDir,
    data_directory: join(dir, 'data'),
    maillog_file: logFile,
    maillog_file_prefixes: logDir,
    smtp_dns_support_level: 'disabled',
    alias_maps: '',
    alias_database: '',
    biff: 'no',
    append_dot_mydomain: 'no',
    // Submissions from one test must not be slowed by Postfix's inflow throttle.
    in_flow_delay: '0s',
    // Deferred mail stays put during a test unless the test calls flush(): deterministic queue assertions.
    queue_run_delay: '10s',
    minimal_backoff_time: '10s',
    maximal_backoff_time: '60s',
    smtpd_banner: '$myhostname ESMTP',
  };
  const toPostmap: string[] = [];
  if (opts.mailbox) {
    const owner = uidOf('nobody');
    await mkdir(mailDir, { mode: 0o755 });
    await chown(mailDir, owner.uid, owner.gid);
    main.virtual_mailbox_domains = opts.mailbox.domains.join(', ');
    main.virtual_mailbox_base = mailDir;
    main.virtual_uid_maps = `static:${owner.uid}`;
    main.virtual_gid_maps = `static:${owner.gid}`;
    const users = opts.mailbox.users;
    if (users === undefined) {
      // virtual(8) refuses regexp substitutions in mailbox paths, so a catch-all shares one Maildir; mailboxes()
      // sorts its messages by the Delivered-To header virtual(8) adds for each recipient.
      main.virtual_mailbox_maps = 'static:catch-all/';
    } else {
      // A trailing slash makes virtual(8) deliver into a Maildir: one file per message, easy to read back.
      await writeFile(
        join(configDir, 'virtual-mailboxes'),
        users.map((u) => `${u} ${u.slice(u.lastIndexOf('@') + 1)}/${u.slice(0, u.lastIndexOf('@'))}/\n`).join(''),
        { mode: 0o644 },
      );
      toPostmap.push(join(configDir, 'virtual-mailboxes'));
      main.virtual_mailbox_maps = `hash:${join(configDir, 'virtual-mailboxes')}`;
    }
  }
  Object.assign(main, opts.mainCf ?? {});
  await writeFile(
    join(configDir, 'main.cf'),
    Object.entries(main)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n') + '\n',
    { mode: 0o644 },
  );

  const pf: {
    child?: ChildProcess;
    masterPid?: number;
    stopped: boolean;
    unregister?: () => void;
    stderr: string;
  } = { stopped: false, stderr: '' };

  const writeConfigFile = async (fileName: string, content: string): Promise<string> => {
    const p = join(configDir, fileName);
    await writeFile(p, content, { mode: 0o644 });
    if (fileName.endsWith('.map')) {
      const r = await run('postmap', ['-c', configDir, `hash:${p}`]);
      if (r.code !== 0) throw new Error(`postmap hash:${p} failed (${r.code}): ${r.stderr}`);
    }
    await backdate(configDir);
    return p;
  };
  for (const p of toPostmap) {
    const r = await run('postmap', ['-c', configDir, `hash:${p}`]);
    if (r.code !== 0) throw new Error(`postmap hash:${p} failed (${r.code}): ${r.stderr}`);
  }
  for (const [fileName, content] of Object.entries(opts.files ?? {})) await writeConfigFile(fileName, content);

  const log = async (): Promise<string> => {
    try {
      return await readFile(logFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw e;
    }
  };

  const writeMasterCf = async (port: number): Promise<void> => {
    const lines = [...MASTER_CF_BASE];
    if (wantSmtpd) {
      lines.unshift(`127.0.0.1:${port} inet n - n - - smtpd`, ...Object.entries(opts.smtpdOptions ?? {}).map(([k, v]) => masterOpt(k, v)));
    }
    lines.push(...(opts.masterCf ?? []));
    await writeFile(join(configDir, 'master.cf'), lines.join('\n') + '\n', { mode: 0o644 });
  };

  const stop = async (): Promise<void> => {
    if (pf.stopped) return;
    pf.stopped = true;
    const pid = pf.masterPid;
    if (pid !== undefined) {
      // SIGTERM makes master terminate its whole process group (it is a session leader).
      killQuietly(pid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while (isAlive(pid) && Date.now() < deadline) await sleep(50);
      if (isAlive(pid)) {
        killQuietly(-pid, 'SIGKILL');
        killQuietly(pid, 'SIGKILL');
      }
    }
    const child = pf.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(2000)]);
      child.kill('SIGKILL');
    }
    pf.unregister?.();
    removeTestDir(dir);
  };

  pf.unregister = onProcessExit(() => {
    if (pf.masterPid !== undefined) {
      killQuietly(pf.masterPid, 'SIGTERM');
      killQuietly(-pf.masterPid, 'SIGKILL');
    }
    pf.child?.kill('SIGKILL');
    removeTestDir(dir);
  });

  // Start; when another process grabbed the free port between freePort() and master's bind, retry on a new one.
  let smtpPort = 0;
  for (let attempt = 1; ; attempt++) {
    smtpPort = wantSmtpd ? (opts.smtpPort ?? (await freePort())) : 0;
    await writeMasterCf(smtpPort);
    await backdate(configDir);
    const logBefore = (await log()).length;
    // master itself, in the foreground, as `postfix start-fg` ends up running it. Skipping postfix-script's
    // start-up checks (its post-install pass alone forks ~80 processes, ~2 s here) is safe because
    // createQueueDirs() made everything those checks would create.
    const child = spawn(join(DAEMON_DIRECTORY, 'master'), ['-c', configDir, '-s'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // The environment postfix(1) gives master: with POSTLOG_* set, master writes to maillog_file itself while
      // postlogd is not up yet (a bind failure at start-up would otherwise go to the absent syslog).
      env: {
        ...process.env,
        MAIL_CONFIG: configDir,
        MAIL_LOGTAG: 'postfix',
        POSTLOG_SERVICE: join(queueDir, 'public', 'postlog'),
        POSTLOG_HOSTNAME: name,
      },
    });
    pf.child = child;
    pf.stderr = '';
    child.stdout?.on('data', (b: Buffer) => (pf.stderr += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (pf.stderr += b.toString()));
    const deadline = Date.now() + 20_000;
    let started = false;
    while (Date.now() < deadline) {
      const text = (await log()).slice(logBefore);
      if (/postfix\/master\[\d+\]: daemon started/.test(text)) {
        started = true;
        break;
      }
      if (child.exitCode !== null || child.signalCode !== null) break;
      await sleep(30);
    }
    const pidFile = join(queueDir, 'pid', 'master.pid');
    if (started && existsSync(pidFile)) {
      pf.masterPid = Number((await readFile(pidFile, 'utf8')).trim());
      break;
    }
    const text = (await log()).slice(logBefore);
    // A master that came up but never logged (start-up timed out) must not outlive the attempt. The pid file may
    // be stale, so only a process whose working directory is this queue dir is ours.
    const stray = existsSync(pidFile) ? Number((await readFile(pidFile, 'utf8')).trim()) : undefined;
    if (stray !== undefined && (await cwdOf(stray)) === queueDir) {
      killQuietly(-stray, 'SIGKILL');
      killQuietly(stray, 'SIGKILL');
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (attempt < 4 && /Address already in use/.test(text + pf.stderr) && wantSmtpd && opts.smtpPort === undefined) continue;
    await stop();
    throw new Error(`Postfix did not start (config ${configDir}):\n${pf.stderr}\n${text.split('\n').slice(-20).join('\n')}`);
  }

  const postconf = async (args: string[]): Promise<string> => {
    const r = await run('postconf', ['-c', configDir, ...args]);
    if (r.code !== 0) throw new Error(`postconf ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const reload = async (): Promise<void> => {
    const offset = (await log()).length;
    const r = await run('postfix', ['-c', configDir, 'reload']);
    if (r.code !== 0) throw new Error(`postfix reload failed (${r.code}): ${r.stderr}`);
    // `postfix reload` only signals master; the new settings apply once master logged the reload.
    const deadline = Date.now() + 10_000;
    while (!/postfix\/master\[\d+\]: reload -- version/.test((await log()).slice(offset))) {
      if (Date.now() > deadline) throw new Error(`Postfix did not log its reload within 10 s (${logFile})`);
      await sleep(20);
    }
    // Idle daemons from before the reload exit when master closes their status pipes; give them a moment.
    await sleep(100);
  };
  const queue = async (): Promise<QueueEntry[]> => {
    const r = await run('postqueue', ['-c', configDir, '-j']);
    if (r.code !== 0) throw new Error(`postqueue -j failed (${r.code}): ${r.stderr}`);
    return r.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as QueueEntry);
  };

  return {
    dir,
    configDir,
    name,
    smtpPort,
    logFile,
    postmap: (args) => run('postmap', ['-c', configDir, ...args]),
    postconf,
    async setMainCf(params) {
      await postconf(['-e', ...Object.entries(params).map(([k, v]) => `${k}=${v}`)]);
      await backdate(configDir);
      await reload();
    },
    writeConfigFile,
    reload,
    async sendmail(from, to, message) {
      const r = await run('sendmail', ['-C', configDir, '-i', '-f', from, '--', ...to], { input: message });
      if (r.code !== 0) throw new Error(`sendmail failed (${r.code}): ${r.stderr}`);
    },
    async submit(from, to, message) {
      if (!wantSmtpd) throw new Error('submit(): this Postfix has no smtpd (smtpd: false)');
      return smtpSubmit({ port: smtpPort, from, to, message });
    },
    log,
    async waitForLog(re, timeoutMs = 15_000, fromOffset = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = (await log()).slice(fromOffset);
        const line = text.split('\n').find((l) => re.test(l));
        if (line !== undefined) return line;
        if (Date.now() > deadline) {
          throw new Error(
            `Postfix log (${logFile}) has no line matching ${re} after ${timeoutMs} ms; tail:\n${text.split('\n').slice(-25).join('\n')}`,
          );
        }
        await sleep(50);
      }
    },
    queue,
    async waitForQueue(pred, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const q = await queue();
        if (pred(q)) return q;
        if (Date.now() > deadline) throw new Error(`Postfix queue never matched after ${timeoutMs} ms: ${JSON.stringify(q)}`);
        await sleep(100);
      }
    },
    async flush() {
      const r = await run('postqueue', ['-c', configDir, '-f']);
      if (r.code !== 0) throw new Error(`postqueue -f failed (${r.code}): ${r.stderr}`);
    },
    async mailboxes() {
      const files: Array<{ name: string; path: string }> = [];
      const walk = async (d: string): Promise<void> => {
        for (const e of await readdir(d, { withFileTypes: true })) {
          const p = join(d, e.name);
          if (e.isDirectory()) await walk(p);
          else if (/\/(new|cur)$/.test(d)) files.push({ name: e.name, path: p });
        }
      };
      if (existsSync(mailDir)) await walk(mailDir);
      // virtual(8) names Maildir files `<seconds>.V<dev>I<inode>M<microseconds>.<host>`: delivery order.
      const key = (n: string): number => Number(/^(\d+)\./.exec(n)?.[1] ?? 0) * 1e6 + Number(/M(\d+)/.exec(n)?.[1] ?? 0);
      files.sort((a, b) => key(a.name) - key(b.name));
      const out: Record<string, string[]> = {};
      for (const f of files) {
        const text = await readFile(f.path, 'utf8');
        const to = /^Delivered-To: (.+)$/im.exec(text)?.[1]?.trim().toLowerCase() ?? '(no Delivered-To)';
        (out[to] ??= []).push(text);
      }
      return out;
    },
    stop,
  };
}
