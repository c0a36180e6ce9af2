import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { handoverPath } from './handover.ts';
import { daemonNodeFlags, serviceCommands, type ServiceName } from './services.ts';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Node and the peergroup bin: the child runs `node BIN <service command>`, however the bin loads the code. */
  execPath: string;
  bin: string;
  /** The open handover file, the child's fd 3. */
  configFd: number;
  env: NodeJS.ProcessEnv;
  /** A stdout line of the child that is not a listener line. */
  onOtherLine?: (line: string) => void;
}

/**
 * One run of one service's process. It is up once it printed its listeners on stdout: the service commands print
 * `NAME HOST:PORT` per listener (runService), and the metrics listener is always the last, because it starts after
 * the listeners whose health it reports.
 */
export class ServiceProcess {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  readonly listeners: Record<string, string> = {};
  /** Resolves with the listeners once the process is up; never rejects (see `exited`). */
  readonly ready: Promise<Record<string, string>>;
  readonly exited: Promise<ProcessExit>;
  exit: ProcessExit | undefined;

  constructor(
    readonly service: ServiceName,
    opts: SpawnOptions,
  ) {
    const cmd = serviceCommands[service];
    // The child's metrics are internal (the supervisor gathers them onto serve's one endpoint): any loopback port.
    const args = [...daemonNodeFlags, opts.bin, ...cmd.words, '--config', handoverPath, cmd.metricsFlag, '127.0.0.1:0'];
    // The IPC channel (fd 4) carries no messages: it closes when the supervisor dies, however it dies (SIGKILL
    // included), and the child takes that as a stop request (main.ts), so no service outlives its supervisor.
    this.child = spawn(opts.execPath, args, { stdio: ['ignore', 'pipe', 'inherit', opts.configFd, 'ipc'], env: opts.env });
    this.pid = this.child.pid;
    let markReady!: (l: Record<string, string>) => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.exited = new Promise((resolve) => {
      const done = (exit: ProcessExit) => {
        this.exit ??= exit;
        resolve(this.exit);
      };
      this.child.once('exit', (code, signal) => done({ code, signal }));
      // Spawning failed (no such node): reported like an exit, so the restart policy applies.
      this.child.once('error', () => done({ code: null, signal: null }));
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const listener = /^([a-z][\w-]*) (\S+:\d+|\/\S+)$/.exec(line);
      if (listener) this.listeners[listener[1]!] = listener[2]!;
      else opts.onOtherLine?.(line);
      if (this.listeners.metrics) markReady({ ...this.listeners });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Sends `signal` if the process still runs; false when it had already gone. */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.running) return false;
    try {
      return this.child.kill(signal);
    } catch {
      return false;
    }
  }

  /** SIGTERM, and SIGKILL once `graceMs` passed without an exit. Resolves when the process is gone. */
  async stop(graceMs: number): Promise<{ exit: ProcessExit; killed: boolean }> {
    if (!this.running) return { exit: this.exit!, killed: false };
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const first = await Promise.race([this.exited, graceOver]);
    clearTimeout(timer);
    if (first !== 'timeout') return { exit: first, killed: false };
    this.signal('SIGKILL');
    return { exit: await this.exited, killed: true };
  }
}
