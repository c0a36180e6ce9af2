// A private Tor network on loopback (TestingTorNetwork 1): 3 directory authorities, relays, a "service" node that hosts
// onion services (HiddenServiceDir ones and ADD_ONION ones) and a "client" node with the SocksPort/DNSPort that
// peergroup talks to. Used by the test suite (test/support/tornet.ts) and `peergroup dev tornet`.
//
// The client and the service node are separate processes so that a test can stop the client ("Tor is down") while
// the onion services stay published, and so that the client reaches onions the way a remote peer's tor would.
// This module assembles the network (authorities, relays, the service node, the client); torrc.ts writes each node's
// configuration, tor-process.ts runs it, ports.ts and authority-keys.ts keep what a restart reuses.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostPort } from '@peergroup/service';
import type { Tornet, TornetOptions, TornetService } from './types.ts';
import { buildTorrc, type NodeRole } from './torrc.ts';
import { installExitHandlers, sleep, tail, TorNode, unstoppedDirs } from './tor-process.ts';
import { AUTHORITIES, clearNodeDirs, planPorts, PortTakenError, PORTS_FILE, readPortPlan } from './ports.ts';
import { makeAuthority } from './authority-keys.ts';
import { connectControlUntil, waitBootstrapped, waitWholeConsensus } from './readiness.ts';
import { TornetImpl } from './network.ts';

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
        throw new Error(
          `${err.message}: the ports are fixed (flags, or kept in ${join(dir, PORTS_FILE)} for this directory); free the port or pick others`,
          { cause: err },
        );
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
    if (!/^[A-Za-z0-9_-]+$/.test(s.name) || names.has(s.name))
      throw new Error(`tornet service name "${s.name}" must be unique and [A-Za-z0-9_-]+`);
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
  if (opts.exitRelay && relays < 1) throw new Error('tornet: exitRelay needs at least one relay');
  const exitName = opts.exitRelay ? `relay${relays - 1}` : undefined;
  const roles: { name: string; role: NodeRole }[] = authorities.map((a) => ({
    name: a.nickname,
    role: { kind: 'authority', orPort: a.orPort, dirPort: a.dirPort, ...(exitName ? { exits: [exitName] } : {}) },
  }));
  for (let i = 0; i < relays; i++)
    roles.push({ name: `relay${i}`, role: { kind: `relay${i}` === exitName ? 'exit' : 'relay', orPort: plan.relays[i]! } });
  const serviceDir = nodeDir('service');
  const hsDirs = specs.map((s) => ({ spec: s, dir: join(serviceDir, `hs-${s.name}`) }));
  const control: HostPort = { host: '127.0.0.1', port: plan.control };
  roles.push({
    name: 'service',
    role: {
      kind: 'service',
      controlPort: control.port,
      services: hsDirs.map((h) => ({ dir: h.dir, virtualPort: h.spec.virtualPort ?? 25, target: h.spec.target })),
    },
  });
  const socks: HostPort = { host: '127.0.0.1', port: plan.socks };
  const clientControl: HostPort = { host: '127.0.0.1', port: plan.clientControl };
  const dns: HostPort = { host: '127.0.0.1', port: plan.dns };
  roles.push({
    name: 'client',
    role: {
      kind: 'client',
      socksPort: socks.port,
      dnsPort: dns.port,
      controlPort: clientControl.port,
      ...(exitName ? { fullDescriptors: true } : {}),
    },
  });

  const nodes = roles.map(({ name, role }) => {
    const d = nodeDir(name);
    const torrc = join(d, 'torrc');
    writeFileSync(
      torrc,
      buildTorrc({
        nickname: name,
        dataDir: d,
        role,
        authorities,
        ownerPid: process.pid,
        debugLog: process.env.PEERGROUP_TORNET_DEBUG === '1',
      }),
    );
    return new TorNode(name, d, torrc, torBinary);
  });

  installExitHandlers(opts.handleSignals ?? true);
  const net = new TornetImpl(dir, socks, dns, control, clientControl, false, nodes, [], log, keepLogs);
  if (exitName) net.exitRelay = exitName;
  // A node that dies while the network runs is said at once: otherwise the first sign is an odd SOCKS error.
  for (const n of nodes) {
    // After an abort of `signal` the owner is shutting down, and a terminal's Ctrl-C reaches tor too: not a death.
    n.onDeath = (node) =>
      void (opts.signal?.aborted || log(`tornet: ${node.describeDeath()}\n--- last lines of ${node.logFile}:\n${tail(node.logFile, 5)}`));
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
    // Every node that lost its port is named: a real race on one node and the arranged one on another can meet.
    const taken = nodes.filter((n) => /Address already in use/.test(tail(join(n.dataDir, 'stdout.log'), 40) + tail(n.logFile, 40)));
    if (taken.length > 0) throw new PortTakenError(portTakenMessage(taken.map((n) => n.name)), { cause: err });
    const logs = nodes.map((n) => `--- ${n.name} (${n.logFile})\n${tail(n.logFile, 6)}`).join('\n');
    throw new Error(`tornet failed to start: ${(err as Error).message}\nlogs kept in ${dir}\n${logs}`, { cause: err });
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

function portTakenMessage(names: string[]): string {
  if (names.length === 1) return `tor node ${names[0]} could not bind its port`;
  return `tor nodes ${names.slice(0, -1).join(', ')} and ${names.at(-1)} could not bind their ports`;
}

// The package's entry (and scripts/run-tests.mjs, which starts the shared network before any test) import from here.
export * from './types.ts';
export { buildTorrc, dirAuthorityLine, torTarget, type AuthorityInfo, type NodeRole } from './torrc.ts';
export { writeTornetState, attachTornet } from './state-file.ts';
