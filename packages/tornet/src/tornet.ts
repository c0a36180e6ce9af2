// A private Tor network on loopback (TestingTorNetwork 1): 3 directory authorities, relays, a "service" node that hosts
// onion services (HiddenServiceDir ones and ADD_ONION ones) and a "client" node with the SocksPort/DNSPort that
// peergroup talks to. Used by the test suite (test/support/tornet.ts) and `peergroup dev tornet`.
//
// The client and the service node are separate processes so that a test can stop the client ("Tor is down") while
// the onion services stay published, and so that the client reaches onions the way a remote peer's tor would.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { formatHostPort, listen, type HostPort } from '@peergroup/service';
import { socksConnect } from './socks-probe.ts';
import { TorControl } from './tor-control.ts';

export interface TornetServiceSpec {
  name: string;
  target: HostPort;
  /** Onion-side port; default 25. */
  virtualPort?: number;
}

export interface TornetOptions {
  /**
   * Working directory for every node's DataDirectory, torrc and log; default: a fresh mkdtemp under os.tmpdir().
   * Node directories of an earlier network in it are replaced (new keys, ports and onion names every start) unless
   * `reuse` is set.
   */
  dir?: string;
  /**
   * Start the network that ran in `dir` before, with its keys (authorities, relays, HiddenServiceDir onions) and its
   * ports (kept in `dir`/tornet-ports.json), so onion names and the SOCKS port survive a restart; a new network when
   * `dir` holds none. Needs `dir`.
   */
  reuse?: boolean;
  /** Fixed ports instead of free ones chosen at start (they win over the ports a reused network had). */
  ports?: TornetPorts;
  /** Relays besides the 3 authorities; default 2. */
  relays?: number;
  /** HiddenServiceDir-based services, known at start. */
  services?: TornetServiceSpec[];
  /** Fail hard when the network is not usable after this long; default 120_000. */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
  /** Keep `dir` (node logs) after stop(); default: kept when `dir` was given or PEERGROUP_KEEP_TOR_LOGS=1. */
  keepLogs?: boolean;
  /** Executable; default `tor` from PATH (or PEERGROUP_TOR). */
  torBinary?: string;
  /**
   * Install SIGINT/SIGTERM/SIGHUP handlers that SIGTERM the tor processes and then end the process with the same
   * signal; default true. Programs with their own graceful shutdown (the CLI, the test runner) pass false and call
   * stop(). Tor is SIGTERMed at process exit either way.
   */
  handleSignals?: boolean;
  /**
   * Aborting stops the nodes started so far and rejects startTornet (Ctrl-C during start-up); once aborted, tor
   * processes that end are no longer reported as dead through `log`.
   */
  signal?: AbortSignal;
}

export interface TornetPorts {
  socks?: number;
  /** UDP. */
  dns?: number;
  /** Service node control port. */
  control?: number;
  clientControl?: number;
}

/** One tor process of the network, by node name (auth0, relay0, service, client). */
export interface TornetProcess {
  name: string;
  pid: number;
}

export interface TornetService {
  name: string;
  hostname: string;
  target: HostPort;
  hiddenServiceDir: string;
}

export interface TornetOnion {
  hostname: string;
  remove(): Promise<void>;
}

export interface Tornet {
  dir: string;
  /** Client SocksPort with ExtendedErrors (IsolateSOCKSAuth on, tor's default). */
  socks: HostPort;
  /** Client DNSPort (UDP) with AutomapHostsOnResolve 1 (VirtualAddrNetworkIPv4 default 127.192.0.0/10). */
  dns: HostPort;
  /** Control port of the service node (hosts HiddenServiceDir services and ADD_ONION onions); no authentication. */
  control: HostPort;
  /** Control port of the client node (GETINFO circuit-status / stream-status); no authentication. */
  clientControl: HostPort;
  services: TornetService[];
  pids: number[];
  /** Which pid is which node; the client's pid changes with stopClient()/startClient(). */
  processes: TornetProcess[];
  /** True when this object attached to a network another process started: stop() then leaves the network running. */
  attached: boolean;
  /** Ephemeral onion service via ADD_ONION (Flags=Detach) on the service node, pointing virtualPort (default 25) at target; resolves once reachable through the client SOCKS port. */
  addOnion(target: HostPort, opts?: { virtualPort?: number; waitReachable?: boolean }): Promise<TornetOnion>;
  /** Stop the client tor process (for "Tor stopped" fault tests) and start it again with the same config and ports. Not allowed on an attached network. */
  stopClient(): Promise<void>;
  startClient(): Promise<void>;
  /** SIGTERM every pid, wait for exit, SIGKILL after a grace period; removes `dir` unless logs are kept. Attached: removes this process's onions only. */
  stop(opts?: { keepLogs?: boolean }): Promise<void>;
}

const AUTHORITIES = 3;
const STOP_GRACE_MS = 5_000;
const POLL_MS = 1_000;

// ---------------------------------------------------------------------------------------------------------------
// torrc generation (pure)

export interface AuthorityInfo {
  nickname: string;
  orPort: number;
  dirPort: number;
  /** v3 identity: the `fingerprint` line of the authority certificate. */
  v3ident: string;
  /** Relay identity fingerprint (40 hex). */
  fingerprint: string;
}

export type NodeRole =
  | { kind: 'authority'; orPort: number; dirPort: number }
  | { kind: 'relay'; orPort: number }
  | { kind: 'service'; controlPort: number; services: { dir: string; virtualPort: number; target: HostPort }[] }
  | { kind: 'client'; socksPort: number; dnsPort: number; controlPort: number };

/** Tor wants an IP literal as an onion service target; "localhost" is the one name tests use. */
export function torTarget(target: HostPort): string {
  return formatHostPort(target.host === 'localhost' ? { host: '127.0.0.1', port: target.port } : target);
}

export function dirAuthorityLine(a: AuthorityInfo): string {
  return `DirAuthority ${a.nickname} orport=${a.orPort} no-v2 v3ident=${a.v3ident} 127.0.0.1:${a.dirPort} ${a.fingerprint}`;
}

export function buildTorrc(p: {
  nickname: string;
  dataDir: string;
  role: NodeRole;
  authorities: AuthorityInfo[];
  ownerPid: number;
  debugLog?: boolean;
}): string {
  const lines = [
    'TestingTorNetwork 1',
    `DataDirectory ${p.dataDir}`,
    `Nickname ${p.nickname}`,
    `Log notice file ${join(p.dataDir, 'notice.log')}`,
    // PEERGROUP_TORNET_DEBUG=1: why circuits fail, for the nodes that build onion circuits.
    ...(p.debugLog && (p.role.kind === 'client' || p.role.kind === 'service') ? [`Log info file ${join(p.dataDir, 'info.log')}`] : []),
    'SafeLogging 0',
    'ShutdownWaitLength 0',
    // Tor exits on its own when the process that started the network dies without cleaning up (e.g. SIGKILL).
    `__OwningControllerProcess ${p.ownerPid}`,
    ...p.authorities.map(dirAuthorityLine),
  ];
  const r = p.role;
  // Every node but the client must say SocksPort 0, otherwise they all try to bind 9050.
  if (r.kind !== 'client') lines.push('SocksPort 0');
  // Vanguards-lite pins a few layer-2 nodes chosen from the first consensus; in a 5-relay network that set can hold
  // no usable node (early consensuses lack Fast/Stable flags) and internal circuits then fail with "Failed to find node
  // for hop #2" — measured here: 3 of about 12 starts under load stuck at "Bootstrapped 95%" for minutes. Tests gain
  // nothing from vanguards, so the nodes that build onion circuits turn them off.
  // Likewise entry guards: with a one-guard sample the client kept building guard → middle → same guard as last hop
  // (rejected by the middle) once a second, for a minute and more, at "Bootstrapped 95%" (info log).
  if (r.kind === 'client' || r.kind === 'service') lines.push('VanguardsLiteEnabled 0', 'UseEntryGuards 0');
  switch (r.kind) {
    case 'authority':
      lines.push(
        'Address 127.0.0.1',
        `ORPort 127.0.0.1:${r.orPort}`,
        `DirPort 127.0.0.1:${r.dirPort}`,
        'AssumeReachable 1',
        'AuthoritativeDirectory 1',
        'V3AuthoritativeDirectory 1',
        'ContactInfo tornet@localhost',
        'TestingV3AuthInitialVotingInterval 10',
        'TestingV3AuthInitialVoteDelay 2',
        'TestingV3AuthInitialDistDelay 2',
        'V3AuthVotingInterval 10',
        'V3AuthVoteDelay 2',
        'V3AuthDistDelay 2',
        'TestingDirAuthVoteGuard *',
        'TestingDirAuthVoteHSDir *',
        // Every relay Stable from the first vote. Onion circuits need Stable hops; when an early consensus had one
        // Stable node, the client kept picking it as both first and last hop and stayed at "Bootstrapped 95%" for
        // a minute or more (seen in the info log with 6 networks starting at once).
        'AuthDirVoteStableGuaranteeMinUptime 0',
      );
      break;
    case 'relay':
      // Without AssumeReachable about 1 start in 5 sticks at "Bootstrapped 95%" (too few Stable nodes to finish
      // the reachability self-test).
      lines.push('Address 127.0.0.1', `ORPort 127.0.0.1:${r.orPort}`, 'AssumeReachable 1', 'ContactInfo tornet@localhost');
      break;
    case 'service':
      lines.push(`ControlPort 127.0.0.1:${r.controlPort}`);
      for (const s of r.services) lines.push(`HiddenServiceDir ${s.dir}`, `HiddenServicePort ${s.virtualPort} ${torTarget(s.target)}`);
      break;
    case 'client':
      lines.push(
        `SocksPort 127.0.0.1:${r.socksPort} ExtendedErrors`,
        `DNSPort 127.0.0.1:${r.dnsPort}`,
        'AutomapHostsOnResolve 1',
        `ControlPort 127.0.0.1:${r.controlPort}`,
      );
      break;
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------------
// process bookkeeping: no tor may outlive the process that started it

const liveChildren = new Set<ChildProcess>();
/** Working directories of started networks whose stop() has not run and whose logs are not to be kept anyway. */
const unstoppedDirs = new Set<string>();
let exitHandlerInstalled = false;
let signalHandlersInstalled = false;

function killAllChildren(): void {
  for (const c of liveChildren) {
    try {
      c.kill('SIGTERM');
    } catch {
      /* already gone */
    }
  }
}

function installExitHandlers(signals: boolean): void {
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

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

class TorNode {
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
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      // A ref'd timer keeps the process alive until tor has really exited.
      timer = setTimeout(() => {
        if (this.running) c.kill('SIGKILL');
        resolve();
      }, STOP_GRACE_MS);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

/** Distinct free loopback ports: all listeners are held open until every port is chosen, so none repeats. */
async function freePorts(tcp: number, udp: number): Promise<{ tcp: number[]; udp: number[] }> {
  const servers: Server[] = [];
  const sockets: ReturnType<typeof createSocket>[] = [];
  try {
    const tcpPorts: number[] = [];
    for (let i = 0; i < tcp; i++) {
      const s = createServer();
      servers.push(s);
      tcpPorts.push((await listen(s, { host: '127.0.0.1', port: 0 }, 'free port')).port);
    }
    const udpPorts: number[] = [];
    for (let i = 0; i < udp; i++) {
      const s = createSocket('udp4');
      sockets.push(s);
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.bind(0, '127.0.0.1', () => res());
      });
      udpPorts.push(s.address().port);
    }
    return { tcp: tcpPorts, udp: udpPorts };
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const s of sockets) s.close();
  }
}

function run(cmd: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${out}`))));
    child.stdin.end(input);
  });
}

/** Authority keys: tor-gencert for the v3 identity, then `--list-fingerprint` for the relay identity. */
async function makeAuthority(torBinary: string, dataDir: string, nickname: string, orPort: number, dirPort: number, reuse: boolean): Promise<AuthorityInfo> {
  const keys = join(dataDir, 'keys');
  const known = authorityIdentity(dataDir);
  // The certificate names the DirPort; a reused network keeps its ports, so the authority keeps its identity.
  if (reuse && known) return { nickname, orPort, dirPort, ...known };
  mkdirSync(keys, { recursive: true, mode: 0o700 });
  // --passphrase-fd 0 with an empty line: an unencrypted identity key, which is fine for a throw-away test network.
  await run(
    'tor-gencert',
    [
      '--create-identity-key', '--passphrase-fd', '0', '-m', '12', '-a', `127.0.0.1:${dirPort}`,
      '-i', join(keys, 'authority_identity_key'), '-s', join(keys, 'authority_signing_key'), '-c', join(keys, 'authority_certificate'),
    ],
    '\n',
  );
  await run(torBinary, ['--ignore-missing-torrc', '-f', '/dev/null', '--datadirectory', dataDir, '--orport', '1', '--list-fingerprint'], '');
  const id = authorityIdentity(dataDir);
  if (!id) throw new Error(`could not read the identity of authority ${nickname} in ${dataDir}`);
  return { nickname, orPort, dirPort, ...id };
}

function authorityIdentity(dataDir: string): { v3ident: string; fingerprint: string } | undefined {
  try {
    const cert = readFileSync(join(dataDir, 'keys', 'authority_certificate'), 'utf8');
    const v3 = /^fingerprint ([0-9A-F]{40})$/m.exec(cert)?.[1];
    const fp = /^\S+ ([0-9A-F]{40})\s*$/m.exec(readFileSync(join(dataDir, 'fingerprint'), 'utf8'))?.[1];
    return v3 && fp ? { v3ident: v3, fingerprint: fp } : undefined;
  } catch {
    return undefined;
  }
}

async function connectControlUntil(addr: HostPort, deadline: number, alive: () => boolean, what: string): Promise<TorControl> {
  for (;;) {
    try {
      return await TorControl.connect(addr);
    } catch (err) {
      if (!alive()) throw new Error(`${what} died before its control port came up`);
      if (Date.now() > deadline) throw new Error(`${what}: control port ${formatHostPort(addr)} not up: ${(err as Error).message}`);
      await sleep(200);
    }
  }
}

async function waitBootstrapped(control: TorControl, deadline: number, what: string, alive: () => boolean, log: (l: string) => void): Promise<void> {
  let last = -1;
  for (;;) {
    if (!alive()) throw new Error(`${what} died while bootstrapping`);
    const phase = await control.getinfo('status/bootstrap-phase');
    const progress = Number(/PROGRESS=(\d+)/.exec(phase)?.[1] ?? -1);
    if (progress !== last) {
      log(`${what}: bootstrapped ${progress}%`);
      last = progress;
    }
    if (progress === 100) return;
    if (Date.now() > deadline) throw new Error(`${what} did not bootstrap in time (last: ${phase})`);
    await sleep(POLL_MS / 2);
  }
}

/**
 * Waits until the client's consensus lists every relay as Running, Valid, Fast and Stable (the flags onion circuits
 * select on). Soft: at `until` it logs and returns, and the readiness probes decide.
 */
async function waitWholeConsensus(control: TorControl, expected: number, until: number, alive: () => boolean, log: (l: string) => void): Promise<void> {
  let usable = 0;
  for (;;) {
    if (!alive()) throw new Error('a tor node died while the network formed');
    const ns = await control.getinfo('ns/all').catch(() => '');
    usable = ns.split('\n').filter((l) => l.startsWith('s ') && ['Running', 'Valid', 'Fast', 'Stable'].every((f) => l.split(' ').includes(f))).length;
    if (usable >= expected) return;
    if (Date.now() > until) {
      log(`tornet: consensus lists ${usable} of ${expected} relays as usable; going on`);
      return;
    }
    await sleep(POLL_MS);
  }
}

/** SOCKS replies that prove the onion service answered (descriptor fetched, rendezvous done). */
const PROBE_OK = new Set([0x00, 0x05]);

/** Onion-side port the readiness probe asks for: one the service does not map, so the target never sees the probe. */
function probePort(virtualPort: number): number {
  return virtualPort === 1 ? 2 : 1;
}

interface UploadCount {
  upload: number;
  uploaded: number;
  failed: number;
}

/** Follows HS_DESC events of the service node so addOnion knows when a descriptor reached the HSDirs. */
class DescriptorTracker {
  readonly counts = new Map<string, UploadCount>();
  constructor(control: TorControl) {
    control.onEvent((line) => {
      // HS_DESC Action HSAddress AuthType HsDir ...
      const m = /^HS_DESC (UPLOAD|UPLOADED|FAILED) (\S+) /.exec(line);
      if (!m) return;
      const addr = m[2]!;
      let c = this.counts.get(addr);
      if (!c) this.counts.set(addr, (c = { upload: 0, uploaded: 0, failed: 0 }));
      if (m[1] === 'UPLOAD') c.upload++;
      else if (m[1] === 'UPLOADED') c.uploaded++;
      else c.failed++;
    });
  }

  /** At least one HSDir holds the descriptor and no upload is still in flight (so the client's pick is unlikely to 404). */
  async waitUploaded(serviceId: string, deadline: number): Promise<boolean> {
    for (;;) {
      const c = this.counts.get(serviceId);
      if (c && c.uploaded > 0 && c.upload <= c.uploaded + c.failed) return true;
      if (Date.now() > deadline) return false;
      await sleep(200);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// the network

/** What writeTornetState stores for attachTornet: the network's addresses, and who owns its processes. */
type TornetState = { version: 1; ownerPid: number } & Pick<Tornet, 'dir' | 'socks' | 'dns' | 'control' | 'clientControl' | 'services' | 'pids'> &
  Partial<Pick<Tornet, 'processes'>>;

class TornetImpl implements Tornet {
  private serviceCtl: Promise<{ control: TorControl; tracker: DescriptorTracker }> | null = null;
  private readonly onions = new Set<string>();
  private stopped = false;
  services: TornetService[] = [];

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
      if (left <= 0) throw new Error(`onion ${hostname} not reachable through ${formatHostPort(this.socks)} in time (last SOCKS reply: ${lastReply})`);
      try {
        const res = await socksConnect(
          this.socks,
          { host: hostname, port: probePort(virtualPort) },
          { credentials: { username: `tornet-probe-${randomBytes(4).toString('hex')}`, password: 'probe' }, timeoutMs: Math.min(left, 30_000) },
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
    const reply = await control.command(
      `ADD_ONION NEW:ED25519-V3 Flags=Detach,DiscardPK Port=${virtualPort},${torTarget(target)}`,
    );
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
      throw new Error('stopClient() on an attached tornet would break every other test file using it; start a private network with startTornet() for fault tests');
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
      services: this.services,
      pids: this.pids,
      processes: this.processes,
    };
  }
}

/** A node could not bind a port chosen for it: another process took it between our check and tor's bind. */
class PortTakenError extends Error {
  override name = 'PortTakenError';
}

const NODE_DIR = /^(auth\d+|relay\d+|service|client)$/;

const PORTS_FILE = 'tornet-ports.json';

/** Every port of a network, kept in its directory so a restart with `reuse` binds the same ones. */
interface PortPlan {
  version: 1;
  authorities: { orPort: number; dirPort: number }[];
  relays: number[];
  control: number;
  socks: number;
  clientControl: number;
  dns: number;
}

/** Removes the node directories of an earlier network in `dir` (fresh keys, ports and onions every start). */
function clearNodeDirs(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) if (NODE_DIR.test(name) || name === PORTS_FILE) rmSync(join(dir, name), { recursive: true, force: true });
}

function readPortPlan(dir: string): PortPlan | undefined {
  try {
    const plan = JSON.parse(readFileSync(join(dir, PORTS_FILE), 'utf8')) as PortPlan;
    return plan.version === 1 && plan.authorities.length === AUTHORITIES ? plan : undefined;
  } catch {
    return undefined;
  }
}

/** The earlier network's ports (when reused), then the fixed ones, then free ones for whatever is left. */
async function planPorts(dir: string, relays: number, reuse: boolean, fixed: TornetPorts): Promise<PortPlan> {
  const old = reuse ? readPortPlan(dir) : undefined;
  const fixedSet = new Set(Object.values(fixed).filter((p): p is number => p !== undefined));
  const needTcp = AUTHORITIES * 2 + relays + 3;
  const free = await freePorts(needTcp + fixedSet.size, 1 + fixedSet.size);
  // A free port the OS happens to hand out may be one of the fixed ports; it must not be given twice.
  const tcp = free.tcp.filter((p) => !fixedSet.has(p));
  const udp = free.udp.filter((p) => !fixedSet.has(p));
  const take = (): number => tcp.shift()!;
  return {
    version: 1,
    authorities: Array.from({ length: AUTHORITIES }, (_, i) => old?.authorities[i] ?? { orPort: take(), dirPort: take() }),
    relays: Array.from({ length: relays }, (_, i) => old?.relays[i] ?? take()),
    control: fixed.control ?? old?.control ?? take(),
    socks: fixed.socks ?? old?.socks ?? take(),
    clientControl: fixed.clientControl ?? old?.clientControl ?? take(),
    dns: fixed.dns ?? old?.dns ?? udp[0]!,
  };
}

export async function startTornet(opts: TornetOptions = {}): Promise<Tornet> {
  if (opts.reuse && opts.dir === undefined) throw new Error('startTornet: reuse needs a dir');
  const pinned = opts.reuse === true || Object.values(opts.ports ?? {}).some((p) => p !== undefined);
  // Ports are chosen free but handed to tor a moment later; on this shared machine another process can win the race.
  for (let attempt = 1; ; attempt++) {
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'tornet-'));
    if (!opts.reuse) clearNodeDirs(dir);
    try {
      return await startTornetIn(dir, opts);
    } catch (err) {
      if (err instanceof PortTakenError && pinned) {
        // Other ports would mean other onion keys' published ports, a new map for the relay: say so instead.
        throw new Error(`${err.message}: the ports are fixed (flags, or kept in ${join(dir, PORTS_FILE)} for this directory); free the port or pick others`, { cause: err });
      }
      if (!(err instanceof PortTakenError) || attempt >= 3) throw err;
      opts.log?.(`tornet: ${err.message}; starting again with other ports`);
      if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function startTornetIn(dir: string, opts: TornetOptions): Promise<Tornet> {
  const log = opts.log ?? (() => undefined);
  const torBinary = opts.torBinary ?? process.env.PEERGROUP_TOR ?? 'tor';
  const relays = opts.relays ?? 2;
  const specs = opts.services ?? [];
  const names = new Set<string>();
  for (const s of specs) {
    if (!/^[A-Za-z0-9_-]+$/.test(s.name) || names.has(s.name)) throw new Error(`tornet service name "${s.name}" must be unique and [A-Za-z0-9_-]+`);
    names.add(s.name);
  }
  const started = Date.now();
  const deadline = started + (opts.readyTimeoutMs ?? 120_000);
  mkdirSync(dir, { recursive: true });
  const keepLogs = opts.keepLogs ?? (opts.dir !== undefined || process.env.PEERGROUP_KEEP_TOR_LOGS === '1');

  // Without the port plan of the earlier network its keys are of no use (the authority certificates name its ports).
  const reuse = opts.reuse === true && readPortPlan(dir) !== undefined;
  if (opts.reuse && !reuse) clearNodeDirs(dir);
  if (reuse) log(`tornet: starting the network kept in ${dir} again (same keys and ports)`);
  const plan = await planPorts(dir, relays, reuse, opts.ports ?? {});
  writeFileSync(join(dir, PORTS_FILE), JSON.stringify(plan, null, 2) + '\n');
  const nodeDir = (name: string): string => {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    chmodSync(d, 0o700);
    return d;
  };

  const authorities = await Promise.all(
    plan.authorities.map((a, i) => makeAuthority(torBinary, nodeDir(`auth${i}`), `auth${i}`, a.orPort, a.dirPort, reuse)),
  );
  const roles: { name: string; role: NodeRole }[] = authorities.map((a) => ({
    name: a.nickname,
    role: { kind: 'authority', orPort: a.orPort, dirPort: a.dirPort },
  }));
  for (let i = 0; i < relays; i++) roles.push({ name: `relay${i}`, role: { kind: 'relay', orPort: plan.relays[i]! } });
  const serviceDir = nodeDir('service');
  const hsDirs = specs.map((s) => ({ spec: s, dir: join(serviceDir, `hs-${s.name}`) }));
  const control: HostPort = { host: '127.0.0.1', port: plan.control };
  roles.push({
    name: 'service',
    role: { kind: 'service', controlPort: control.port, services: hsDirs.map((h) => ({ dir: h.dir, virtualPort: h.spec.virtualPort ?? 25, target: h.spec.target })) },
  });
  const socks: HostPort = { host: '127.0.0.1', port: plan.socks };
  const clientControl: HostPort = { host: '127.0.0.1', port: plan.clientControl };
  const dns: HostPort = { host: '127.0.0.1', port: plan.dns };
  roles.push({ name: 'client', role: { kind: 'client', socksPort: socks.port, dnsPort: dns.port, controlPort: clientControl.port } });

  const nodes = roles.map(({ name, role }) => {
    const d = nodeDir(name);
    const torrc = join(d, 'torrc');
    writeFileSync(torrc, buildTorrc({ nickname: name, dataDir: d, role, authorities, ownerPid: process.pid, debugLog: process.env.PEERGROUP_TORNET_DEBUG === '1' }));
    return new TorNode(name, d, torrc, torBinary);
  });

  installExitHandlers(opts.handleSignals ?? true);
  const net = new TornetImpl(dir, socks, dns, control, clientControl, false, nodes, [], log, keepLogs);
  // A node that dies while the network runs is said at once: otherwise the first sign is an odd SOCKS error.
  for (const n of nodes) {
    // After an abort of `signal` the owner is shutting down, and a terminal's Ctrl-C reaches tor too: not a death.
    n.onDeath = (node) => void (opts.signal?.aborted || log(`tornet: ${node.describeDeath()}\n--- last lines of ${node.logFile}:\n${tail(node.logFile, 5)}`));
  }
  if (!keepLogs) unstoppedDirs.add(dir);
  const ready = async (): Promise<Tornet> => {
    const serviceNode = nodes.find((n) => n.name === 'service')!;
    // The service node starts once the network is whole: an onion service that meets a thin early consensus fails
    // its introduction circuits ("Failed to find node for hop #3") and tor then stops launching them for minutes
    // (per-service rate limit) — seen under load as an onion that never got a descriptor within 120 s.
    for (const n of nodes) if (n !== serviceNode) n.start();
    log(`tornet: started ${nodes.length - 1} tor processes in ${dir}`);
    const anyDead = (): TorNode | undefined => nodes.find((n) => n.child !== null && !n.running);
    const allAlive = (): boolean => anyDead() === undefined;
    const clientCtl = await connectControlUntil(clientControl, deadline, allAlive, 'tor client');
    try {
      await waitBootstrapped(clientCtl, deadline, 'client', allAlive, log);
      await waitWholeConsensus(clientCtl, AUTHORITIES + relays, Math.min(deadline, Date.now() + 30_000), allAlive, log);
    } finally {
      clientCtl.close();
    }
    serviceNode.start();
    log(`tornet: client bootstrapped after ${Date.now() - started} ms; service node started`);
    // Subscribe to HS_DESC before the service node can publish anything (it has not bootstrapped yet).
    const { control: serviceCtl } = await net.serviceControl(deadline);
    const services: TornetService[] = [];
    for (const { spec, dir: hsDir } of hsDirs) {
      const file = join(hsDir, 'hostname');
      while (!existsSync(file)) {
        if (!allAlive()) throw new Error(anyDead()!.describeDeath());
        if (Date.now() > deadline) throw new Error(`onion service ${spec.name}: ${file} did not appear`);
        await sleep(100);
      }
      services.push({ name: spec.name, hostname: readFileSync(file, 'utf8').trim(), target: spec.target, hiddenServiceDir: hsDir });
    }
    net.services = services;
    await waitBootstrapped(serviceCtl, deadline, 'service node', allAlive, log);
    log(`tornet: service node bootstrapped after ${Date.now() - started} ms`);
    for (const s of services) {
      await net.waitReachable(s.hostname, specs.find((x) => x.name === s.name)!.virtualPort ?? 25, deadline);
      log(`tornet: ${s.name} ${s.hostname} reachable after ${Date.now() - started} ms`);
    }
    if (!allAlive()) throw new Error(anyDead()!.describeDeath());
    log(`tornet: ready after ${Date.now() - started} ms`);
    return net;
  };
  const signal = opts.signal;
  let onAbort: (() => void) | undefined;
  try {
    if (signal?.aborted) throw new Error('start-up aborted');
    const starting = ready();
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Error('start-up aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // After an abort the readiness checks keep failing against stopped nodes; nobody waits for them any more.
    starting.catch(() => undefined);
    return await Promise.race([starting, aborted]);
  } catch (err) {
    if (signal?.aborted) {
      await net.stop({ keepLogs: opts.keepLogs ?? false });
      throw new Error('tornet start-up aborted', { cause: err });
    }
    await net.stop({ keepLogs: true });
    const taken = nodes.find((n) => /Address already in use/.test(tail(join(n.dataDir, 'stdout.log'), 40) + tail(n.logFile, 40)));
    if (taken) throw new PortTakenError(`tor node ${taken.name} could not bind its port`, { cause: err });
    const logs = nodes.map((n) => `--- ${n.name} (${n.logFile})\n${tail(n.logFile, 6)}`).join('\n');
    throw new Error(`tornet failed to start: ${(err as Error).message}\nlogs kept in ${dir}\n${logs}`, { cause: err });
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

export function writeTornetState(t: Tornet, file: string): void {
  if (!(t instanceof TornetImpl)) throw new Error('writeTornetState: not a tornet from startTornet()');
  writeFileSync(file, JSON.stringify(t.state(), null, 2) + '\n', { mode: 0o600 });
}

/** Attaches to a network another process started; throws when that process or its tor nodes are gone. */
export function attachTornet(file: string, opts: { log?: (line: string) => void } = {}): Tornet {
  const s = JSON.parse(readFileSync(file, 'utf8')) as TornetState;
  if (s.version !== 1) throw new Error(`${file}: unknown tornet state version ${String(s.version)}`);
  const dead = s.pids.filter((p) => !pidAlive(p));
  if (!pidAlive(s.ownerPid) || dead.length > 0) {
    throw new Error(`${file}: the tornet it describes is gone (owner ${s.ownerPid}${dead.length ? `, dead tor pids ${dead.join(' ')}` : ''})`);
  }
  const processes = s.processes ?? s.pids.map((pid) => ({ name: 'tor', pid }));
  const net = new TornetImpl(s.dir, s.socks, s.dns, s.control, s.clientControl, true, [], processes, opts.log ?? (() => undefined), true);
  net.services = s.services;
  return net;
}
