/**
 * torrc generation (pure): one function per node role, so a new kind of node (an exit relay, say) is one more case
 * of NodeRole and of buildTorrc.
 */
import { join } from 'node:path';
import { formatHostPort, type HostPort } from '@peergroup/service';

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
  /** `exits`: nicknames voted the Exit flag whatever their policy (a loopback-only exit would not earn it). */
  | { kind: 'authority'; orPort: number; dirPort: number; exits?: string[] }
  | { kind: 'relay'; orPort: number }
  /** A relay that also exits, to 127.0.0.1 only. */
  | { kind: 'exit'; orPort: number }
  | { kind: 'service'; controlPort: number; services: { dir: string; virtualPort: number; target: HostPort }[] }
  /** `fullDescriptors`: with an exit in the network (see case 'exit'). */
  | { kind: 'client'; socksPort: number; dnsPort: number; controlPort: number; fullDescriptors?: boolean };

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
        ...(r.exits?.length ? [`TestingDirAuthVoteExit ${r.exits.join(',')}`] : []),
      );
      break;
    case 'relay':
      // Without AssumeReachable about 1 start in 5 sticks at "Bootstrapped 95%" (too few Stable nodes to finish
      // the reachability self-test).
      lines.push('Address 127.0.0.1', `ORPort 127.0.0.1:${r.orPort}`, 'AssumeReachable 1', 'ContactInfo tornet@localhost');
      break;
    case 'exit':
      lines.push(
        'Address 127.0.0.1',
        `ORPort 127.0.0.1:${r.orPort}`,
        'AssumeReachable 1',
        'ContactInfo tornet@localhost',
        'ExitRelay 1',
        // Loopback only: the exit must never carry a test's stream anywhere else. TestingTorNetwork already sets
        // ExitPolicyRejectPrivate 0; both are said here so the policy does not depend on that.
        'ExitPolicyRejectPrivate 0',
        'ExitPolicyRejectLocalInterfaces 0',
        'ExitPolicy accept 127.0.0.1:*',
        'ExitPolicy reject *:*',
      );
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
        // A microdescriptor carries only a policy summary, which ignores accept rules narrower than *:*, so a
        // loopback-only exit looks like no exit at all (tor #11264): with microdescriptors the client logs "Application
        // request when we haven't received a consensus with exits" and the stream never opens. Full descriptors
        // carry the policy itself.
        ...(r.fullDescriptors ? ['UseMicrodescriptors 0'] : []),
      );
      break;
  }
  return lines.join('\n') + '\n';
}
