/** A running network (started here or attached from a state file): onions, client stop/start, stop. */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { formatHostPort, type HostPort } from '@peergroup/service';
import { socksConnect } from './socks-probe.ts';
import { TorControl } from './tor-control.ts';
import type { Tornet, TornetOnion, TornetProcess, TornetService } from './types.ts';
import { sleep, unstoppedDirs, type TorNode } from './tor-process.ts';
import { connectControlUntil, DescriptorTracker, PROBE_OK, probePort, waitBootstrapped } from './readiness.ts';
import type { TornetState } from './state-file.ts';
import { torTarget } from './torrc.ts';

export class TornetImpl implements Tornet {
  private serviceCtl: Promise<{ control: TorControl; tracker: DescriptorTracker }> | null = null;
  private readonly onions = new Set<string>();
  private stopped = false;
  services: TornetService[] = [];
  exitRelay?: string;

  constructor(
    readonly dir: string,
    readonly socks: HostPort,
    readonly dns: HostPort,
    readonly control: HostPort,
    readonly clientControl: HostPort,
    readonly attached: boolean,
    private readonly nodes: TorNode[],
    private readonly attachedProcesses: TornetProcess[],
    private readonly log: (line: string) => void,
    private readonly keepLogsDefault: boolean,
  ) {}

  get pids(): number[] {
    return this.processes.map((p) => p.pid);
  }

  get processes(): TornetProcess[] {
    if (this.attached) return [...this.attachedProcesses];
    return this.nodes.filter((n) => n.pid !== undefined).map((n) => ({ name: n.name, pid: n.pid! }));
  }

  private get clientNode(): TorNode {
    return this.nodes.find((n) => n.name === 'client')!;
  }

  /** One long-lived control connection per process, subscribed to HS_DESC before any ADD_ONION it issues. */
  serviceControl(deadline = Date.now() + 30_000): Promise<{ control: TorControl; tracker: DescriptorTracker }> {
    this.serviceCtl ??= (async () => {
      const serviceNode = this.nodes.find((n) => n.name === 'service');
      const control = await connectControlUntil(this.control, deadline, () => serviceNode?.running ?? true, 'tor service node');
      const tracker = new DescriptorTracker(control);
      await control.command('SETEVENTS HS_DESC');
      return { control, tracker };
    })();
    this.serviceCtl.catch(() => (this.serviceCtl = null));
    return this.serviceCtl;
  }

  /** Polls SOCKS CONNECTs until the onion answers; each probe uses its own SOCKS username (its own circuits). */
  async waitReachable(hostname: string, virtualPort: number, deadline: number): Promise<void> {
    const serviceId = hostname.replace(/\.onion$/, '');
    const { tracker } = await this.serviceControl(deadline);
    if (!(await tracker.waitUploaded(serviceId, deadline))) {
      this.log(`${hostname}: no HS_DESC UPLOADED seen; probing anyway`);
    }
    let lastReply = 'none';
    let f0 = 0;
    for (let attempt = 1; ; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`onion ${hostname} not reachable through ${formatHostPort(this.socks)} in time (last SOCKS reply: ${lastReply})`);
      try {
        const res = await socksConnect(
          this.socks,
          { host: hostname, port: probePort(virtualPort) },
          {
            credentials: { username: `tornet-probe-${randomBytes(4).toString('hex')}`, password: 'probe' },
            timeoutMs: Math.min(left, 30_000),
          },
        );
        const code = res.ok ? 0 : res.reply;
        if (res.ok) res.socket.destroy();
        lastReply = `0x${code.toString(16).padStart(2, '0')}`;
        if (PROBE_OK.has(code)) return;
        if (code === 0xf0 && ++f0 % 3 === 0) {
          // The client stops asking HSDirs that answered 404 for 15 minutes; NEWNYM purges that client-side state.
          await this.signalClient('NEWNYM').catch(() => undefined);
        }
      } catch (err) {
        lastReply = (err as Error).message;
      }
      this.log(`${hostname}: probe ${attempt} → ${lastReply}, retrying`);
      await sleep(Math.min(1_500, Math.max(0, deadline - Date.now())));
    }
  }

  private async signalClient(signal: string): Promise<void> {
    const c = await TorControl.connect(this.clientControl);
    try {
      await c.command(`SIGNAL ${signal}`);
    } finally {
      c.close();
    }
  }

  async addOnion(target: HostPort, opts: { virtualPort?: number; waitReachable?: boolean } = {}): Promise<TornetOnion> {
    if (this.stopped) throw new Error('tornet is stopped');
    const virtualPort = opts.virtualPort ?? 25;
    const started = Date.now();
    const { control } = await this.serviceControl();
    // Detach: the onion outlives this control connection (attached test files share the service node);
    // DiscardPK: nobody needs the key of a throw-away address.
    const reply = await control.command(`ADD_ONION NEW:ED25519-V3 Flags=Detach,DiscardPK Port=${virtualPort},${torTarget(target)}`);
    const serviceId = reply.lines.map((l) => /^ServiceID=(\S+)$/.exec(l)?.[1]).find(Boolean);
    if (!serviceId) throw new Error(`ADD_ONION reply without ServiceID: ${reply.lines.join(' / ')}`);
    const hostname = `${serviceId}.onion`;
    this.onions.add(serviceId);
    const remove = async (): Promise<void> => {
      if (!this.onions.delete(serviceId)) return;
      const { control: c } = await this.serviceControl();
      await c.command(`DEL_ONION ${serviceId}`);
    };
    if (opts.waitReachable ?? true) {
      try {
        await this.waitReachable(hostname, virtualPort, Date.now() + 120_000);
      } catch (err) {
        await remove().catch(() => undefined);
        throw err;
      }
      this.log(`${hostname} → ${formatHostPort(target)} reachable after ${Date.now() - started} ms`);
    }
    return { hostname, remove };
  }

  async stopClient(): Promise<void> {
    if (this.attached) {
      throw new Error(
        'stopClient() on an attached tornet would break every other test file using it; start a private network with startTornet() for fault tests',
      );
    }
    await this.clientNode.stop();
    this.log('client stopped');
  }

  async startClient(): Promise<void> {
    if (this.attached) throw new Error('startClient() is not allowed on an attached tornet');
    const node = this.clientNode;
    if (node.running) return;
    node.start();
    const deadline = Date.now() + 60_000;
    const ctl = await connectControlUntil(this.clientControl, deadline, () => node.running, 'tor client');
    try {
      await waitBootstrapped(ctl, deadline, 'client', () => node.running, this.log);
    } finally {
      ctl.close();
    }
  }

  async stop(opts: { keepLogs?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    unstoppedDirs.delete(this.dir);
    if (this.attached) {
      // Leave the shared network running, but take back the onions this process published.
      if (this.serviceCtl) {
        const { control } = await this.serviceCtl.catch(() => ({ control: null }));
        if (control) {
          for (const id of this.onions) await control.command(`DEL_ONION ${id}`).catch(() => undefined);
          control.close();
        }
      }
      this.onions.clear();
      return;
    }
    if (this.serviceCtl) {
      const { control } = await this.serviceCtl.catch(() => ({ control: null }));
      control?.close();
    }
    await Promise.all(this.nodes.map((n) => n.stop()));
    const keep = opts.keepLogs ?? this.keepLogsDefault;
    if (keep) this.log(`tor logs kept in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }

  state(): TornetState {
    return {
      version: 1,
      ownerPid: process.pid,
      dir: this.dir,
      socks: this.socks,
      dns: this.dns,
      control: this.control,
      clientControl: this.clientControl,
      ...(this.exitRelay ? { exitRelay: this.exitRelay } : {}),
      services: this.services,
      pids: this.pids,
      processes: this.processes,
    };
  }
}

/** A node could not bind a port chosen for it: another process took it between our check and tor's bind. */
