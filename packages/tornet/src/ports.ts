/**
 * The network's ports: chosen free, or kept in its directory (tornet-ports.json) so a restart with `reuse` binds the
 * same ones, or fixed by the caller.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { listen } from '@peergroup/service';
import type { TornetPorts } from './types.ts';

export const AUTHORITIES = 3;

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

export class PortTakenError extends Error {
  override name = 'PortTakenError';
}

const NODE_DIR = /^(auth\d+|relay\d+|service|client)$/;

export const PORTS_FILE = 'tornet-ports.json';

/** Every port of a network, kept in its directory so a restart with `reuse` binds the same ones. */
export interface PortPlan {
  version: 1;
  authorities: { orPort: number; dirPort: number }[];
  relays: number[];
  control: number;
  socks: number;
  clientControl: number;
  dns: number;
}

/** Removes the node directories of an earlier network in `dir` (fresh keys, ports and onions every start). */
export function clearNodeDirs(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir))
    if (NODE_DIR.test(name) || name === PORTS_FILE) rmSync(join(dir, name), { recursive: true, force: true });
}

export function readPortPlan(dir: string): PortPlan | undefined {
  try {
    const plan = JSON.parse(readFileSync(join(dir, PORTS_FILE), 'utf8')) as PortPlan;
    return plan.version === 1 && plan.authorities.length === AUTHORITIES ? plan : undefined;
  } catch {
    return undefined;
  }
}

/** The earlier network's ports (when reused), then the fixed ones, then free ones for whatever is left. */
export async function planPorts(dir: string, relays: number, reuse: boolean, fixed: TornetPorts): Promise<PortPlan> {
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
