import type { Writable } from 'node:stream';
import { Backoff, defaultBackoff, type BackoffOptions } from './backoff.ts';
import { ConfigHandover } from './handover.ts';
import type { SupervisorLog } from './json-log.ts';
import { ServiceProcess, type ProcessExit } from './service-process.ts';
import { serviceCommands, serviceNames, type ServiceName } from './services.ts';

/** Exit codes of a child that say its configuration is wrong (EX_CONFIG, EX_USAGE): restarting cannot help. */
const CONFIG_EXITS = new Set([78, 64]);

export type ServiceState = 'starting' | 'running' | 'waiting' | 'failed' | 'stopping' | 'stopped';

export interface ServiceStatus {
  state: ServiceState;
  pid?: number;
  restarts: number;
  /** ms since epoch of the current state. */
  since: number;
  listeners: Record<string, string>;
  lastExit?: ProcessExit & { at: number };
  /** While waiting: when the next start is due. */
  restartAt?: number;
}

export interface SupervisorOptions {
  execPath: string;
  bin: string;
  /** Per service, the document its process reads as --config. */
  documents: Partial<Record<ServiceName, Record<string, unknown>>>;
  env: NodeJS.ProcessEnv;
  log: SupervisorLog;
  /** Listener lines (`router tcp_table 127.0.0.1:23000`) go here whenever a service is up. */
  stdout: Writable;
  stopTimeoutMs: number;
  backoff?: BackoffOptions;
}

/** Thrown by start(): a service refused its configuration before everything was up; serve exits with `code`. */
export class StartupConfigError extends Error {
  constructor(
    readonly service: ServiceName,
    readonly code: number,
  ) {
    super(`${service} refused its configuration at start-up (exit ${code})`);
  }
}

class Slot {
  process: ServiceProcess | undefined;
  state: ServiceState = 'starting';
  since = Date.now();
  restarts = 0;
  upSince = 0;
  lastExit: (ProcessExit & { at: number }) | undefined;
  timer: NodeJS.Timeout | undefined;
  restartAt: number | undefined;
  /** A reload that came while the process was starting, applied once it is up. */
  pendingDocument: string | undefined;
  /** Starts the process again (after a back-off, or for a failed service on SIGHUP). */
  retry: (() => void) | undefined;
  readonly backoff: Backoff;

  constructor(
    readonly name: ServiceName,
    readonly handover: ConfigHandover,
    public document: string,
    backoff: BackoffOptions,
  ) {
    this.backoff = new Backoff(backoff);
  }

  setState(state: ServiceState): void {
    this.state = state;
    this.since = Date.now();
  }
}

/**
 * `peergroup serve`'s supervision, Postfix master style: one process per service, sharing nothing but configuration.
 * A process that exits is restarted after a back-off (1 s doubling to 60 s); one that exits with a configuration
 * error is not — at start-up that stops everything (nothing runs half-configured), later only that service is marked
 * failed while the others keep serving, until a SIGHUP brings a configuration to retry with.
 */
export class Supervisor {
  private readonly slots = new Map<ServiceName, Slot>();
  private stopping = false;
  private startupFailed: ((err: StartupConfigError) => void) | undefined;

  constructor(private readonly opts: SupervisorOptions) {
    for (const name of serviceNames) {
      const doc = opts.documents[name];
      if (!doc) continue;
      const text = JSON.stringify(doc);
      this.slots.set(name, new Slot(name, new ConfigHandover(text), text, opts.backoff ?? defaultBackoff));
    }
  }

  get services(): ServiceName[] {
    return [...this.slots.keys()];
  }

  /** Starts every service; resolves once each is up, rejects with StartupConfigError if one refuses its config. */
  async start(): Promise<void> {
    const failed = new Promise<never>((_, reject) => (this.startupFailed = reject));
    const ups = [...this.slots.values()].map((slot) => this.launch(slot));
    try {
      await Promise.race([Promise.all(ups), failed]);
    } finally {
      this.startupFailed = undefined;
    }
  }

  /** Resolves when the slot's process is up for the first time (after however many restarts that takes). */
  private launch(slot: Slot): Promise<void> {
    return new Promise((resolve) => {
      const run = () => {
        if (this.stopping) return resolve();
        slot.timer = undefined;
        slot.restartAt = undefined;
        slot.setState('starting');
        const proc = new ServiceProcess(slot.name, {
          execPath: this.opts.execPath,
          bin: this.opts.bin,
          configFd: slot.handover.fd,
          env: this.opts.env,
          onOtherLine: (line) => this.opts.stdout.write(`${slot.name}: ${line}\n`),
        });
        slot.process = proc;
        this.opts.log('info', 'service starting', { service: slot.name, pid: proc.pid, restarts: slot.restarts });
        void proc.ready.then((listeners) => {
          if (slot.process !== proc || !proc.running || this.stopping) return;
          slot.setState('running');
          slot.upSince = Date.now();
          for (const [what, addr] of Object.entries(listeners)) this.opts.stdout.write(`${slot.name} ${what} ${addr}\n`);
          // No log line here: the service logs its own "started" with its listeners once it is up, and "service
          // starting" above said which pid and which restart it is. A line here too said the same thing twice.
          if (slot.pendingDocument !== undefined) {
            const doc = slot.pendingDocument;
            slot.pendingDocument = undefined;
            this.applyDocument(slot, doc);
          }
          resolve();
        });
        void proc.exited.then((exit) => {
          if (slot.process !== proc) return;
          slot.lastExit = { ...exit, at: Date.now() };
          if (this.stopping) return;
          const upFor = slot.state === 'running' ? Date.now() - slot.upSince : 0;
          const fields = { service: slot.name, pid: proc.pid, code: exit.code, signal: exit.signal, upForMs: upFor };
          if (exit.code !== null && CONFIG_EXITS.has(exit.code)) {
            slot.setState('failed');
            if (this.startupFailed) {
              this.opts.log('error', 'service refused its configuration at start-up; stopping every service', fields);
              this.startupFailed(new StartupConfigError(slot.name, exit.code));
            } else {
              this.opts.log('error', 'service refused its configuration; not restarted until a reload (SIGHUP)', fields);
            }
            return;
          }
          const delay = slot.backoff.delayAfter(upFor);
          slot.restarts++;
          slot.setState('waiting');
          slot.restartAt = Date.now() + delay;
          this.opts.log('error', 'service exited; restarting', { ...fields, restartInMs: delay });
          slot.timer = setTimeout(run, delay);
        });
      };
      slot.retry = run;
      run();
    });
  }

  /**
   * SIGHUP. With a new valid configuration (`documents`), each service's handover file is rewritten first; then the
   * services that reload on SIGHUP get it (maps, inbound domains) and a failed service is started again. Without one
   * (the new file is invalid) the old configuration stays, but maps are still reloaded.
   */
  reload(documents: Partial<Record<ServiceName, Record<string, unknown>>> | undefined): void {
    if (this.stopping) return;
    if (documents) {
      for (const name of serviceNames) {
        if (documents[name] && !this.slots.has(name))
          this.opts.log('warn', 'SIGHUP: a service was enabled; restart peergroup serve to start it', { service: name });
        if (!documents[name] && this.slots.has(name))
          this.opts.log('warn', 'SIGHUP: a service was disabled; restart peergroup serve to stop it', { service: name });
      }
    }
    for (const slot of this.slots.values()) {
      const next = documents?.[slot.name] ? JSON.stringify(documents[slot.name]) : slot.document;
      if (slot.state === 'starting') slot.pendingDocument = next;
      else if (slot.state === 'running') this.applyDocument(slot, next);
      else {
        // No process reads the file now: the next start reads the new one.
        this.setDocument(slot, next);
        if (slot.state === 'failed') {
          this.opts.log('info', 'SIGHUP: starting the failed service again', { service: slot.name });
          slot.retry?.();
        }
      }
    }
  }

  private setDocument(slot: Slot, text: string): boolean {
    if (text === slot.document) return false;
    slot.handover.write(text);
    slot.document = text;
    return true;
  }

  private applyDocument(slot: Slot, text: string): void {
    const changed = this.setDocument(slot, text);
    if (serviceCommands[slot.name].reloadsOnHup) {
      slot.process?.signal('SIGHUP');
      this.opts.log('info', 'SIGHUP passed on', { service: slot.name, pid: slot.process?.pid });
    } else if (changed) {
      this.opts.log('warn', 'SIGHUP: this service does not reload; its new configuration applies when it restarts', { service: slot.name });
    }
  }

  /** SIGTERM to every service, SIGKILL to any still there after the stop timeout; resolves when all are gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        if (slot.timer) clearTimeout(slot.timer);
        const proc = slot.process;
        if (!proc?.running) return slot.setState('stopped');
        slot.setState('stopping');
        const { exit, killed } = await proc.stop(this.opts.stopTimeoutMs);
        slot.setState('stopped');
        const fields = { service: slot.name, pid: proc.pid, code: exit.code, signal: exit.signal };
        if (killed) this.opts.log('warn', `service did not stop within ${this.opts.stopTimeoutMs} ms; killed`, fields);
        else this.opts.log('info', 'service stopped', fields);
      }),
    );
    for (const slot of this.slots.values()) slot.handover.close();
  }

  /** A second stop request: kill what is left at once. */
  killNow(): void {
    for (const slot of this.slots.values()) slot.process?.signal('SIGKILL');
  }

  status(): Record<string, ServiceStatus> {
    const out: Record<string, ServiceStatus> = {};
    for (const slot of this.slots.values()) {
      const alive = slot.process?.running ? slot.process : undefined;
      out[slot.name] = {
        state: slot.state,
        ...(alive?.pid !== undefined ? { pid: alive.pid } : {}),
        restarts: slot.restarts,
        since: slot.since,
        listeners: alive && slot.state === 'running' ? { ...alive.listeners } : {},
        ...(slot.lastExit ? { lastExit: slot.lastExit } : {}),
        ...(slot.restartAt ? { restartAt: slot.restartAt } : {}),
      };
    }
    return out;
  }
}
