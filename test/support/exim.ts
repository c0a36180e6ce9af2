/**
 * A private, real Exim 4.96 (Debian's exim4-daemon-heavy, extracted by scripts/system-deps.sh into
 * /opt/peergroup-exim) for end-to-end tests.
 *
 * Facts measured on the test machines:
 * - Exim is run with `-C <config>`; the file must be owned by root and not group/world writable, and
 *   `exim_path` must name the extracted binary (Exim re-executes itself for deliveries).
 * - The tests run as root, but with `-C` Exim gives up root for everything it forks: the daemon and its
 *   delivery processes run as `Debian-exim` ("exim user lost privilege for using -C option" in the mainlog).
 *   Remote (smtp/lmtp) deliveries work that way; the spool and log directories are owned by Debian-exim.
 *   Local deliveries as other users (appendfile to a user's mailbox) do not — use an smtp transport to a sink.
 *   `exim_user = root` is refused by the binary (root is a fixed never_user).
 * - `-bdf -oX PORT` runs a foreground daemon; without `-q<interval>` it does no queue runs, so a deferred
 *   message stays queued until `queueRun()` (`-qff`) — deterministic for fault tests.
 * - The build has SOCKS (smtp transport `socks_proxy`), Perl, PROXY protocol (`hosts_proxy`), and readsocket.
 */
import { mkdtemp, mkdir, writeFile, readFile, chmod, chown, readdir } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { smtpSubmit } from './smtp-client.ts';
import { freePort } from './ports.ts';
import { requirePrerequisite } from './prerequisites.ts';
import { run, onProcessExit, killQuietly, isAlive, removeTestDir, sleep, type RunResult } from './proc.ts';

/** The extracted binary (override with PEERGROUP_EXIM). */
export const EXIM_PATH = process.env.PEERGROUP_EXIM ?? '/opt/peergroup-exim/usr/sbin/exim4';
const EXIM_USER = 'Debian-exim';

export interface EximContext {
  /** Root of this instance's temporary directory. */
  dir: string;
  /** spool_directory (owned by Debian-exim). */
  spool: string;
  /** Directory of mainlog/rejectlog/paniclog. */
  logDir: string;
  /** Port of the daemon's SMTP listener on 127.0.0.1. */
  port: number;
  /** The Exim binary, for `exim_path`. */
  eximPath: string;
  /** primary_hostname. */
  hostname: string;
  /**
   * Main-section settings every instance needs (exim_path, spool and log paths, hostname, listener,
   * exim_user, no DNS/ident lookups on connect, no TLS, no startup retries). Start a config with it;
   * later lines override earlier ones.
   */
  main: string;
}

export interface EximOptions {
  /** Returns the whole configuration file. See `eximConfig()` for a ready-made one. */
  config: (ctx: EximContext) => string;
  /** Default true: run `-bdf -oX <port>` (a foreground SMTP daemon). False: only `run()` is useful. */
  daemon?: boolean;
  /** primary_hostname; default `ex-<random>.test`. */
  name?: string;
  /** A fixed daemon port instead of a free one (no retry when it is taken: start-up fails). */
  port?: number;
  /** Extra daemon arguments, e.g. `['-q2s']` for queue runs every 2 s. */
  daemonArgs?: string[];
}

export interface Exim {
  dir: string;
  /** Daemon SMTP port on 127.0.0.1 (also set when `daemon: false`, for the config). */
  port: number;
  /** The Exim binary. */
  bin: string;
  configPath: string;
  hostname: string;
  /** Runs `exim -C configPath ...args` with optional stdin; never rejects on a non-zero exit. */
  run(args: string[], input?: string | Buffer): Promise<RunResult>;
  /** Submits a message on the command line (`exim -C ... -oi -f from -- to...`); Exim delivers it in the background. */
  sendmail(from: string, to: string[], message: string | Buffer): Promise<void>;
  /** Submits a message over SMTP to the daemon and resolves with its reply to DATA (`250 OK id=...`); rejects with an SmtpReplyError. */
  submit(from: string, to: string[], message: string | Buffer): Promise<string>;
  /** The mainlog so far ('' before the first line). */
  mainlog(): Promise<string>;
  /** The paniclog so far ('' if Exim never panicked). */
  paniclog(): Promise<string>;
  /**
   * Paniclog lines other than the expected "exim user lost privilege for using -C option" (every -C run logs
   * it there): assert this is empty at the end of a test.
   */
  panics(): Promise<string[]>;
  /** Polls the mainlog until a line matches `re`; `fromOffset` skips earlier text. Rejects with the log tail after `timeoutMs` (15 s). */
  waitForLog(re: RegExp, timeoutMs?: number, fromOffset?: number): Promise<string>;
  /** `exim -bp` output ('' when the queue is empty). */
  queue(): Promise<string>;
  /** Message ids in the queue (parsed from `exim -bp`). */
  queueIds(): Promise<string[]>;
  /** A forced queue run (`exim -qff`), waits for it to finish. */
  queueRun(): Promise<void>;
  /** Kills the daemon and every Exim process using this config, removes `dir` (unless PEERGROUP_KEEP_TEST_DIRS=1). Idempotent. */
  stop(): Promise<void>;
}

export interface EximConfigParts {
  /** Extra main-section lines (after ctx.main, so they override it). */
  main?: string;
  /** The ACL section body; default: accept RCPT from local submissions and 127.0.0.1, deny others (not an open relay). */
  acl?: string;
  /** The routers section body. */
  routers: string;
  /** The transports section body. */
  transports: string;
  /** The retry section body; default `* * F,1h,10s`. */
  retry?: string;
}

/** Builds a complete Exim configuration from `ctx.main` and the given sections. */
export function eximConfig(ctx: EximContext, parts: EximConfigParts): string {
  const acl = parts.acl ?? ['acl_check_rcpt:', '  accept hosts = : 127.0.0.1', '  deny   message = relay not permitted'].join('\n');
  return [
    ctx.main,
    parts.acl === undefined ? 'acl_smtp_rcpt = acl_check_rcpt' : '',
    parts.main ?? '',
    '',
    'begin acl',
    acl,
    '',
    'begin routers',
    parts.routers,
    '',
    'begin transports',
    parts.transports,
    '',
    'begin retry',
    parts.retry ?? '* * F,1h,10s',
    '',
  ].join('\n');
}

function userIds(user: string): { uid: number; gid: number } {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f[2] !== undefined && f[3] !== undefined) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error(`user ${user} not found (scripts/system-deps.sh creates it)`);
}

/** Pids of processes whose command line contains `needle` (our unique config path): the daemon's forks. */
async function pidsUsing(needle: string): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = (await readFile(`/proc/${e}/cmdline`)).toString('utf8');
      if (cmd.includes(needle)) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out.filter((p) => p !== process.pid);
}

function pidsUsingSync(needle: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`).toString('utf8').includes(needle)) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out.filter((p) => p !== process.pid);
}

/** Starts a private Exim; with a daemon, resolves once it logged "daemon started". */
export async function startExim(opts: EximOptions): Promise<Exim> {
  requirePrerequisite('exim');
  const dir = await mkdtemp(join(tmpdir(), 'pg-exim-'));
  try {
    return await setUpExim(dir, opts);
  } catch (e) {
    removeTestDir(dir);
    throw e;
  }
}

async function setUpExim(dir: string, opts: EximOptions): Promise<Exim> {
  await chmod(dir, 0o755);
  const spool = join(dir, 'spool');
  const logDir = join(dir, 'log');
  const configPath = join(dir, 'exim.conf');
  const owner = userIds(EXIM_USER);
  for (const d of [spool, logDir]) {
    await mkdir(d, { mode: 0o750 });
    await chown(d, owner.uid, owner.gid);
  }
  const hostname = opts.name ?? `ex-${randomBytes(4).toString('hex')}.test`;
  const wantDaemon = opts.daemon ?? true;
  const mainlogPath = join(logDir, 'mainlog');

  const state: { child?: ChildProcess; stopped: boolean; output: string; unregister?: () => void } = { stopped: false, output: '' };

  const readLog = async (p: string): Promise<string> => {
    try {
      return await readFile(p, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw e;
    }
  };
  const exim = (args: string[], input?: string | Buffer): Promise<RunResult> => run(EXIM_PATH, ['-C', configPath, ...args], { input });

  const writeConfig = async (port: number): Promise<void> => {
    const main = [
      '# written by test/support/exim.ts',
      'keep_environment =',
      `exim_path = ${EXIM_PATH}`,
      `spool_directory = ${spool}`,
      `log_file_path = ${logDir}/%slog`,
      `primary_hostname = ${hostname}`,
      `daemon_smtp_ports = ${port}`,
      'local_interfaces = <; 127.0.0.1',
      `exim_user = ${EXIM_USER}`,
      `exim_group = ${EXIM_USER}`,
      // No reverse DNS or ident lookups of clients: there is no DNS in the test network.
      'host_lookup =',
      'rfc1413_hosts =',
      'tls_advertise_hosts =',
      // Fail at once when the port was taken, instead of retrying for minutes; startExim picks another.
      'daemon_startup_retries = 0',
      'log_selector = +smtp_connection +received_recipients +delivery_size +outgoing_port +smtp_protocol_error',
    ].join('\n');
    const ctx: EximContext = { dir, spool, logDir, port, eximPath: EXIM_PATH, hostname, main };
    await writeFile(configPath, opts.config(ctx), { mode: 0o644 });
    // Exim refuses a -C file that is not root-owned or is group/world writable.
    await chown(configPath, 0, 0);
    await chmod(configPath, 0o644);
  };

  const stop = async (): Promise<void> => {
    if (state.stopped) return;
    state.stopped = true;
    const child = state.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(3000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // Delivery processes forked by the daemon or by sendmail() outlive it; they all carry our config path.
    for (let round = 0; round < 3; round++) {
      const pids = await pidsUsing(configPath);
      if (pids.length === 0) break;
      for (const p of pids) killQuietly(p, round === 0 ? 'SIGTERM' : 'SIGKILL');
      const deadline = Date.now() + 1000;
      while (pids.some(isAlive) && Date.now() < deadline) await sleep(50);
    }
    state.unregister?.();
    removeTestDir(dir);
  };
  state.unregister = onProcessExit(() => {
    state.child?.kill('SIGKILL');
    for (const p of pidsUsingSync(configPath)) killQuietly(p, 'SIGKILL');
    removeTestDir(dir);
  });

  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = opts.port ?? (await freePort());
    await writeConfig(port);
    if (!wantDaemon) {
      const check = await exim(['-bV']);
      if (check.code !== 0) {
        await stop();
        throw new Error(`Exim rejects its configuration ${configPath}:\n${check.stdout}${check.stderr}`);
      }
      break;
    }
    const before = (await readLog(mainlogPath)).length;
    const child = spawn(EXIM_PATH, ['-C', configPath, '-bdf', '-oX', String(port), ...(opts.daemonArgs ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    state.child = child;
    state.output = '';
    child.stdout?.on('data', (b: Buffer) => (state.output += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (state.output += b.toString()));
    const deadline = Date.now() + 15_000;
    let started = false;
    while (Date.now() < deadline) {
      const text = (await readLog(mainlogPath)).slice(before);
      if (/daemon started: pid=\d+/.test(text)) {
        started = true;
        break;
      }
      if (child.exitCode !== null || child.signalCode !== null) break;
      await sleep(30);
    }
    if (started) break;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const text = (await readLog(mainlogPath)).slice(before) + (await readLog(join(logDir, 'paniclog')));
    if (attempt < 4 && /Address already in use/.test(text + state.output) && opts.port === undefined) continue;
    await stop();
    throw new Error(`Exim daemon did not start (config ${configPath}):\n${state.output}\n${text.split('\n').slice(-20).join('\n')}`);
  }

  return {
    dir,
    port,
    bin: EXIM_PATH,
    configPath,
    hostname,
    run: exim,
    async sendmail(from, to, message) {
      const r = await exim(['-oi', '-f', from, '--', ...to], message);
      if (r.code !== 0) throw new Error(`exim submission failed (${r.code}): ${r.stderr}`);
    },
    async submit(from, to, message) {
      if (!wantDaemon) throw new Error('submit(): this Exim runs no daemon (daemon: false)');
      return smtpSubmit({ port, from, to, message });
    },
    mainlog: () => readLog(mainlogPath),
    paniclog: () => readLog(join(logDir, 'paniclog')),
    async panics() {
      return (await readLog(join(logDir, 'paniclog')))
        .split('\n')
        .filter((l) => l.trim() !== '' && !/exim user lost privilege for using -C option/.test(l));
    },
    async waitForLog(re, timeoutMs = 15_000, fromOffset = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = (await readLog(mainlogPath)).slice(fromOffset);
        const line = text.split('\n').find((l) => re.test(l));
        if (line !== undefined) return line;
        if (Date.now() > deadline) {
          throw new Error(
            `Exim mainlog (${mainlogPath}) has no line matching ${re} after ${timeoutMs} ms; tail:\n${text.split('\n').slice(-25).join('\n')}`,
          );
        }
        await sleep(50);
      }
    },
    async queue() {
      const r = await exim(['-bp']);
      if (r.code !== 0) throw new Error(`exim -bp failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    async queueIds() {
      const r = await exim(['-bp']);
      if (r.code !== 0) throw new Error(`exim -bp failed (${r.code}): ${r.stderr}`);
      // "  0m   1.4K 1xW2K6-0002w7-2h <sender@origin.test>" (optionally followed by "*** frozen ***")
      return [...r.stdout.matchAll(/^\s*\d+[smhdw]\s+\S+\s+([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})\s/gm)].map(
        (m) => m[1] as string,
      );
    },
    async queueRun() {
      const r = await exim(['-qff']);
      if (r.code !== 0) throw new Error(`exim -qff failed (${r.code}): ${r.stderr}`);
    },
    stop,
  };
}
