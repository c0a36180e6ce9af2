/** The state file another process attaches with (`peergroup dev tornet client stop|start`, tests). */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Tornet } from './types.ts';
import { pidAlive } from './tor-process.ts';
import { TornetImpl } from './network.ts';

/** What writeTornetState stores for attachTornet: the network's addresses, and who owns its processes. */
export type TornetState = { version: 1; ownerPid: number } & Pick<
  Tornet,
  'dir' | 'socks' | 'dns' | 'control' | 'clientControl' | 'services' | 'pids'
> &
  Partial<Pick<Tornet, 'processes' | 'exitRelay'>>;

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
    throw new Error(
      `${file}: the tornet it describes is gone (owner ${s.ownerPid}${dead.length ? `, dead tor pids ${dead.join(' ')}` : ''})`,
    );
  }
  const processes = s.processes ?? s.pids.map((pid) => ({ name: 'tor', pid }));
  const net = new TornetImpl(s.dir, s.socks, s.dns, s.control, s.clientControl, true, [], processes, opts.log ?? (() => undefined), true);
  net.services = s.services;
  if (s.exitRelay) net.exitRelay = s.exitRelay;
  return net;
}
