/**
 * Child-process helpers shared by the MTA harness: run a command to completion, and make sure daemons a test
 * started die with the test process even when the test crashes or is interrupted (node:test `after` hooks do not
 * run on SIGINT/SIGTERM or on an uncaught exception in a helper).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { pidAlive } from '@peergroup/tornet';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` with optional stdin and resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    child.once('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    // EPIPE when the command exits without reading its input (e.g. a usage error) must not crash the test.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

type Reaper = () => void;
const reapers = new Set<Reaper>();
let installed = false;

function reapAll(): void {
  for (const r of reapers) {
    try {
      r();
    } catch {
      // best effort: the process is going away
    }
  }
  reapers.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', reapAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      reapAll();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

/**
 * Registers a synchronous clean-up (kill a pid, remove a directory) to run if the process exits before the
 * test's own stop(). Returns a function that unregisters it (call it once stop() has done the work).
 */
export function onProcessExit(reaper: Reaper): () => void {
  install();
  reapers.add(reaper);
  return () => {
    reapers.delete(reaper);
  };
}

/** Sends `signal` to `pid`, ignoring "no such process". */
export function killQuietly(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** True while `pid` runs (a zombie has ended: see tornet's pidAlive). */
export const isAlive: (pid: number) => boolean = pidAlive;

/** Whether test directories are kept for post-mortem (PEERGROUP_KEEP_TEST_DIRS=1). */
export function keepTestDirs(): boolean {
  const v = process.env.PEERGROUP_KEEP_TEST_DIRS;
  return v !== undefined && v !== '' && v !== '0';
}

/** Removes a test directory unless PEERGROUP_KEEP_TEST_DIRS is set. */
export function removeTestDir(dir: string): void {
  if (keepTestDirs()) {
    process.stderr.write(`keeping test dir ${dir}\n`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
