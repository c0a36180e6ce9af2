/** The public shape of a private Tor network: what startTornet takes and what it returns. */
import type { HostPort } from '@peergroup/service';

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
  /**
   * The last relay is also an exit, to 127.0.0.1 only (ExitPolicy accept 127.0.0.1:*, reject *:*): a clearnet
   * server reached through Tor is then one on loopback. Needs at least one relay. Its name is in `exitRelay`.
   */
  exitRelay?: boolean;
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
  /** Nickname of the exit relay when started with `exitRelay`. */
  exitRelay?: string;
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
