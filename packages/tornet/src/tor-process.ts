/** One tor process (spawn, stop, exit watching) and the bookkeeping that no tor outlives the process that started it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const STOP_GRACE_MS = 5_000;

const liveChildren = new Set<ChildProcess>();
/** Working directories of started networks whose stop() has not run and whose logs are not to be kept anyway. */
export const unstoppedDirs = new Set<string>();
let exitHandlerInstalled = false;
let signalHandlersInstalled = false;

/** How long a tor has to end after SIGTERM once its starter has gone, before the reaper SIGKILLs it. */
const REAP_AFTER_S = 20;

// Runs detached, after the starter has exited: SIGKILLs each pid whose command line still names its torrc (so a pid
// the kernel has since given to another program is left alone).
const REAPER_SCRIPT = [
  'sleep "$1"; shift',
  'while [ $# -gt 1 ]; do',
  '  if tr "\\000" "\\n" < "/proc/$1/cmdline" 2>/dev/null | grep -qxF -- "$2"; then kill -9 "$1" 2>/dev/null; fi',
  '  shift 2',
  'done',
].join('\n');

function killAllChildren(): void {
  const pairs: string[] = [];
  for (const c of liveChildren) {
    try {
      c.kill('SIGTERM');
      if (c.pid !== undefined) pairs.push(String(c.pid), c.spawnargs.at(-1)!);
    } catch {
      /* already gone */
    }
  }
  if (pairs.length === 0) return;
  // A tor can take SIGTERM and then hang in its own exit (seen in CI: an authority asleep on a futex minutes after
  // "exiting cleanly"). Nothing here can wait for it, so a detached reaper outlives us and makes sure.
  try {
    spawn('sh', ['-c', REAPER_SCRIPT, 'tornet-reaper', String(REAP_AFTER_S), ...pairs], {
      detached: true,
      stdio: 'ignore',
    }).unref();
  } catch {
    /* out of processes: the owning-controller check is what is left */
  }
}

export function installExitHandlers(signals: boolean): void {
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    // 'exit' also runs after an uncaught exception; only synchronous work is possible here, and SIGTERM is enough.
    process.on('exit', (code) => {
      killAllChildren();
      // Networks nobody stopped: drop their directories unless the process failed (then the logs are evidence).
      for (const dir of unstoppedDirs) {
        if (code === 0) rmSync(dir, { recursive: true, force: true });
        else process.stderr.write(`tornet: tor logs kept in ${dir}\n`);
      }
    });
  }
  if (!signals || signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      killAllChildren();
      process.removeListener(sig, handler);
      // With no listener left this takes the default action, so the process still ends as the signal asked.
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

/**
 * True while `pid` runs. A zombie counts as ended: a process whose parent died is re-parented to PID 1, and where PID 1
 * does not reap (some CI containers' init), a tor that exited cleanly would otherwise look alive for ever.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name, which is in parentheses and may itself contain ") ".
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false; // gone between the two looks
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export class TorNode {
  child: ChildProcess | null = null;
  exited: Promise<void> = Promise.resolve();
  /** Set while stop() runs, so an exit it caused is not reported as a death. */
  private stopping = false;
  /** Called when the process ends without stop() asking it to. */
  onDeath: (node: TorNode) => void = () => undefined;
  constructor(
    readonly name: string,
    readonly dataDir: string,
    readonly torrcPath: string,
    private readonly torBinary: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get logFile(): string {
    return join(this.dataDir, 'notice.log');
  }

  start(): void {
    this.stopping = false;
    // Before Log takes effect (and for config errors) tor writes to stdout.
    const out = openSync(join(this.dataDir, 'stdout.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.torBinary, ['--defaults-torrc', '/dev/null', '-f', this.torrcPath], {
        stdio: ['ignore', out, out],
        detached: false,
      });
    } finally {
      closeSync(out);
    }
    this.child = child;
    liveChildren.add(child);
    // Test files must be able to exit once their tests are done; the exit handlers stop tor then.
    child.unref();
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once('exit', () => {
        liveChildren.delete(child);
        if (!this.stopping) this.onDeath(this);
        resolve();
      });
      child.once('error', () => {
        liveChildren.delete(child);
        resolve();
      });
    });
  }

  get running(): boolean {
    const c = this.child;
    return c !== null && c.exitCode === null && c.signalCode === null && c.pid !== undefined;
  }

  /** Why the node died, for start-up errors. */
  describeDeath(): string {
    const c = this.child;
    const how = c?.exitCode !== null ? `exit code ${c?.exitCode}` : `signal ${c?.signalCode}`;
    return `tor node ${this.name} (pid ${c?.pid}) exited (${how}):\n${tail(join(this.dataDir, 'stdout.log'))}`;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    this.stopping = true;
    c.kill('SIGTERM');
    const escalate = setTimeout(() => {
      if (this.running) c.kill('SIGKILL');
    }, STOP_GRACE_MS);
    // The child is unref'd, so until its exit arrives something ref'd must keep this process alive: were the
    // escalation timer the only one, a tor SIGKILLed after the grace would leave an empty event loop behind, and a
    // stop awaited at the top level (`peergroup dev tornet` after Ctrl-C) would end the process with code 13.
    const hold = setInterval(() => undefined, 1 << 30);
    try {
      await this.exited;
    } finally {
      clearTimeout(escalate);
      clearInterval(hold);
    }
  }
}
