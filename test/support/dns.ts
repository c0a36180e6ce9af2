/**
 * Real DNS servers for tests: nsd (authoritative, optionally serving a zone signed at test time with ldnsutils)
 * and unbound (a validating resolver with that zone's trust anchor), both on free loopback ports. Plus two
 * misbehaving servers that cannot be had from a real daemon on demand: one that never answers (a UDP socket that
 * reads and drops) and a FAKE one that answers SERVFAIL to everything.
 *
 * Every daemon is stopped by stop(), and killed at process exit if a test forgot or crashed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { queryServer } from '@peergroup/onionmx';
import { freePort } from './ports.ts';
import { requirePrerequisite } from './prerequisites.ts';
import { killQuietly, onProcessExit, removeTestDir, run, sleep } from './proc.ts';

export interface ZoneSpec {
  /** Zone apex, e.g. `signed.test` (a trailing dot is optional). */
  origin: string;
  /**
   * Zone file body, relative to the origin (`$ORIGIN` is set), e.g. `_onion-mx._tcp 300 IN SRV 0 0 25 x.onion.`.
   * An SOA, NS and the NS's A record are added unless the body has its own SOA.
   */
  records: string;
  /** Sign with ldns-signzone (ECDSA P-256 KSK + ZSK); the KSK's DS is returned in trustAnchors. */
  sign?: boolean;
  /** Edits the signed zone text before nsd loads it (e.g. change signed data so validation fails). */
  tamper?: (signedZone: string) => string;
  /** SOA MINIMUM (and SOA TTL), i.e. the negative-caching TTL. Default 300. */
  negativeTtl?: number;
  /** Default $TTL. Default 300. */
  ttl?: number;
}

export interface DnsServer {
  host: string;
  port: number;
  /** `host:port`, as resolver flags and config take it. */
  address: string;
  stop(): Promise<void>;
}

export interface AuthoritativeServer extends DnsServer {
  /** DS records (one line each) of the signed zones, for unbound's `trust-anchor:`. */
  trustAnchors: string[];
  dir: string;
}

export interface ResolverServer extends DnsServer {
  dir: string;
  /** Query log lines (unbound `log-queries`) mentioning `name`; counts what really reached the resolver. */
  queriesFor(name: string): number;
}

const abs = (origin: string) => (origin.endsWith('.') ? origin : `${origin}.`);

interface Daemon {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

function startDaemon(cmd: string, args: string[], dir: string): Daemon {
  // Own process group: nsd forks server and xfrd children, and a crash clean-up must take them all.
  const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // group already gone
    }
  };
  const unregister = onProcessExit(() => {
    killGroup();
    removeTestDir(dir);
  });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        killQuietly(child.pid, 'SIGTERM');
        const timer = setTimeout(() => killQuietly(child.pid, 'SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      killGroup();
      unregister();
      removeTestDir(dir);
    })());
  return { child, output: () => out, stop };
}

/** Polls with a real query until the server answers anything (any rcode), or fails with the daemon's output. */
async function waitForDns(d: Daemon, host: string, port: number, name: string, type: string, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (d.child.exitCode !== null || d.child.signalCode !== null) {
      throw new Error(`${what} exited (${d.child.exitCode ?? d.child.signalCode}) before serving:\n${d.output()}`);
    }
    try {
      await queryServer({ host, port }, name, type, { timeoutMs: 300, recursionDesired: false });
      return;
    } catch {
      if (Date.now() > deadline) {
        await d.stop();
        throw new Error(`${what} on ${host}:${port} did not answer within 15 s:\n${d.output()}`);
      }
      await sleep(50);
    }
  }
}

function zoneText(z: ZoneSpec): string {
  const origin = abs(z.origin);
  const neg = z.negativeTtl ?? 300;
  const head = [`$ORIGIN ${origin}`, `$TTL ${z.ttl ?? 300}`];
  if (!/\bSOA\b/.test(z.records)) {
    head.push(`@ ${neg} IN SOA ns1.${origin} hostmaster.${origin} 1 3600 600 86400 ${neg}`, `@ IN NS ns1.${origin}`, `ns1 IN A 127.0.0.1`);
  }
  return `${head.join('\n')}\n${z.records.trim()}\n`;
}

async function must(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, { cwd, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

/** Signs `file` in `dir`; returns the signed file name and the KSK's DS record. */
async function signZone(dir: string, origin: string, file: string): Promise<{ signed: string; ds: string }> {
  const ksk = await must('ldns-keygen', ['-a', 'ECDSAP256SHA256', '-k', origin], dir);
  const zsk = await must('ldns-keygen', ['-a', 'ECDSAP256SHA256', origin], dir);
  // Inception an hour back, so a resolver whose clock runs slightly behind still accepts the signatures.
  const inception = new Date(Date.now() - 3600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  await must('ldns-signzone', ['-i', inception, '-o', origin, '-f', `${file}.signed`, file, ksk, zsk], dir);
  const dsFile = join(dir, `${ksk}.ds`);
  const ds = existsSync(dsFile) ? readFileSync(dsFile, 'utf8').trim() : await must('ldns-key2ds', ['-n', '-2', `${ksk}.key`], dir);
  return { signed: `${file}.signed`, ds: ds.split('\n')[0]!.trim() };
}

/**
 * `server:` lines that let nsd run as the test user with all its state in `dir` (a system install uses /run/nsd and
 * /var/lib/nsd and drops to the nsd user). Config files that follow may add their own `server:` clause.
 */
export function nsdRunInDir(dir: string): string {
  return `server:
  username: ""
  chroot: ""
  database: ""
  zonelistfile: "${dir}/zone.list"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  logfile: "${dir}/nsd.log"
  server-count: 1
  tcp-count: 20
  verbosity: 1
`;
}

/** The same for unbound: foreground, no setuid or chroot, state and log in `dir`, small on a shared machine. */
export function unboundRunInDir(dir: string): string {
  return `server:
  do-daemonize: no
  use-syslog: no
  logfile: "${dir}/unbound.log"
  verbosity: 1
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  do-ip6: no
  num-threads: 1
  so-reuseport: no
  outgoing-range: 64
  # The test's authoritative servers listen on loopback, which unbound never asks unless told to.
  do-not-query-localhost: no
`;
}

export interface ConfiguredServer extends DnsServer {
  dir: string;
  /** The daemon's stdout/stderr and its log file so far, for assertion messages. */
  output(): string;
}

const readIf = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/**
 * nsd started from a config the caller writes for a free port (e.g. a documented snippet with its address
 * swapped), after nsdRunInDir's lines; waits until it serves `zone`'s SOA. `dir` is removed when it stops.
 */
export async function startNsdWithConfig(opts: { dir: string; zone: string; config: (port: number) => string }): Promise<ConfiguredServer> {
  requirePrerequisite('nsd');
  const { dir } = opts;
  const log = () => readIf(join(dir, 'nsd.log'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'nsd.conf');
    writeFileSync(conf, nsdRunInDir(dir) + opts.config(port));
    const d = startDaemon('nsd', ['-d', '-c', conf, '-P', join(dir, 'nsd.pid')], dir);
    try {
      await waitForDns(d, '127.0.0.1', port, abs(opts.zone), 'SOA', 'nsd');
    } catch (err) {
      if (attempt < 3 && /address already in use/i.test(d.output() + log())) continue;
      await d.stop();
      throw new Error(`${(err as Error).message}\n${log()}`);
    }
    return { host: '127.0.0.1', port, address: `127.0.0.1:${port}`, dir, stop: d.stop, output: () => d.output() + log() };
  }
}

/**
 * unbound started from a config the caller writes for a free port, after unboundRunInDir's lines; waits until it
 * answers (its built-in `localhost` zone needs no upstream). `dir` is removed when it stops.
 */
export async function startUnboundWithConfig(opts: { dir: string; config: (port: number) => string }): Promise<ConfiguredServer> {
  requirePrerequisite('unbound');
  const { dir } = opts;
  const log = () => readIf(join(dir, 'unbound.log'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'unbound.conf');
    writeFileSync(conf, unboundRunInDir(dir) + opts.config(port));
    const d = startDaemon('unbound', ['-d', '-c', conf], dir);
    try {
      await waitForDns(d, '127.0.0.1', port, 'localhost', 'A', 'unbound');
    } catch (err) {
      if (attempt < 3 && /address already in use|could not open ports/i.test(d.output() + log())) continue;
      await d.stop();
      throw new Error(`${(err as Error).message}\n${log()}`);
    }
    return { host: '127.0.0.1', port, address: `127.0.0.1:${port}`, dir, stop: d.stop, output: () => d.output() + log() };
  }
}

/** nsd serving `zones` on 127.0.0.1 (UDP and TCP). */
export async function startAuthoritative(opts: { zones: ZoneSpec[] }): Promise<AuthoritativeServer> {
  if (opts.zones.some((z) => z.sign)) requirePrerequisite('ldns tools');
  requirePrerequisite('nsd');
  const dir = mkdtempSync(join(tmpdir(), 'pg-nsd-'));
  const trustAnchors: string[] = [];
  const zoneConf: string[] = [];
  try {
    for (const z of opts.zones) {
      const origin = abs(z.origin);
      const file = `${origin}zone`;
      writeFileSync(join(dir, file), zoneText(z));
      let served = file;
      if (z.sign) {
        const { signed, ds } = await signZone(dir, origin, file);
        trustAnchors.push(ds);
        served = signed;
        if (z.tamper) writeFileSync(join(dir, served), z.tamper(readFileSync(join(dir, served), 'utf8')));
      }
      zoneConf.push(`zone:\n  name: "${origin}"\n  zonefile: "${join(dir, served)}"\n`);
    }
  } catch (err) {
    removeTestDir(dir);
    throw err;
  }
  const server = await startNsdWithConfig({
    dir,
    zone: opts.zones[0]?.origin ?? 'invalid',
    config: (port) => `server:
  ip-address: 127.0.0.1@${port}
  port: ${port}
  ip4-only: yes
  zonesdir: "${dir}"
  hide-version: yes
remote-control:
  control-enable: no
${zoneConf.join('')}`,
  });
  return { host: server.host, port: server.port, address: server.address, trustAnchors, dir, stop: server.stop };
}

/**
 * unbound on 127.0.0.1 resolving `stubs` (zone → authoritative server) and validating with `trustAnchors`
 * (zones under no anchor are insecure, as on the Internet for an unsigned zone). Queries are logged so tests
 * can count what reached the resolver.
 */
export async function startValidatingResolver(opts: {
  stubs: { zone: string; server: { host: string; port: number } }[];
  trustAnchors?: string[];
  /** Upper bound for unbound's own cache, so TTL tests are not masked by it. */
  cacheMaxTtl?: number;
}): Promise<ResolverServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-unbound-'));
  const anchors = (opts.trustAnchors ?? []).map((a) => `  trust-anchor: "${a.replace(/\s+/g, ' ')}"\n`).join('');
  const stubs = opts.stubs.map((s) => `stub-zone:\n  name: "${abs(s.zone)}"\n  stub-addr: ${s.server.host}@${s.server.port}\n`).join('');
  // unbound answers RFC 6761 names (test., invalid., ...) locally by default; let the stubs through.
  const tlds = [...new Set(opts.stubs.map((s) => abs(s.zone).split('.').slice(-2)[0]))];
  const nodefault = tlds.map((t) => `  local-zone: "${t}." nodefault\n`).join('');
  const server = await startUnboundWithConfig({
    dir,
    config: (port) => `server:
  interface: 127.0.0.1
  port: ${port}
  log-queries: yes
  val-log-level: 2
  access-control: 127.0.0.0/8 allow
  module-config: "validator iterator"
  qname-minimisation: no
  prefetch: no
  serve-expired: no
  cache-max-ttl: ${opts.cacheMaxTtl ?? 86400}
  cache-max-negative-ttl: ${opts.cacheMaxTtl ?? 3600}
${anchors}${nodefault}remote-control:
  control-enable: no
${stubs}`,
  });
  const logFile = join(dir, 'unbound.log');
  return {
    host: server.host,
    port: server.port,
    address: server.address,
    dir,
    stop: server.stop,
    queriesFor(name: string) {
      const needle = ` ${abs(name).toLowerCase()} `;
      return readIf(logFile)
        .split('\n')
        .filter((l) => l.toLowerCase().includes(needle) && / info: 127\.0\.0\.1 /.test(l)).length;
    },
  };
}

async function bindUdp(onMessage: (socket: Socket, msg: Buffer, rinfo: { address: string; port: number }) => void): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => onMessage(socket, msg, rinfo));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  return socket;
}

function udpServer(socket: Socket, counter: { received: number }): DnsServer & { readonly received: number } {
  const { port } = socket.address();
  let closed = false;
  const unregister = onProcessExit(() => socket.close());
  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    get received() {
      return counter.received;
    },
    stop: async () => {
      if (closed) return;
      closed = true;
      unregister();
      await new Promise<void>((r) => socket.close(() => r()));
    },
  };
}

/** A DNS "server" that reads every query and never answers: what a dead or firewalled resolver looks like. */
export async function startSilentServer(): Promise<DnsServer & { readonly received: number }> {
  const counter = { received: 0 };
  const socket = await bindUdp(() => counter.received++);
  return udpServer(socket, counter);
}

/**
 * FAKE server answering SERVFAIL to every query (a real resolver does so only after its upstream timeouts or a
 * validation failure; this gives the same wire answer at once).
 */
export async function startServfailServer(): Promise<DnsServer & { readonly received: number }> {
  const counter = { received: 0 };
  const socket = await bindUdp((s, msg, rinfo) => {
    counter.received++;
    let q: dnsPacket.DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const servfail = 2;
    const reply = dnsPacket.encode({
      type: 'response',
      id: q.id ?? 0,
      flags:
        (q.flags ?? 0) & dnsPacket.RECURSION_DESIRED ? dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | servfail : servfail,
      questions: q.questions ?? [],
    });
    s.send(reply, rinfo.port, rinfo.address);
  });
  return udpServer(socket, counter);
}

/** The DS lines of the KSKs in an nsd test dir (when a caller needs them again). */
export function dsRecordsIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ds'))
    .map((f) => readFileSync(join(dir, f), 'utf8').trim());
}
