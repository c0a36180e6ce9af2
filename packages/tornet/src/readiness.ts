/** Waiting until the network is usable: control connections, bootstrap, a whole consensus, descriptors uploaded. */
import { formatHostPort, type HostPort } from '@peergroup/service';
import { TorControl } from './tor-control.ts';
import { sleep } from './tor-process.ts';

const POLL_MS = 1_000;

export async function connectControlUntil(addr: HostPort, deadline: number, alive: () => boolean, what: string): Promise<TorControl> {
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

export async function waitBootstrapped(
  control: TorControl,
  deadline: number,
  what: string,
  alive: () => boolean,
  log: (l: string) => void,
): Promise<void> {
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
export async function waitWholeConsensus(
  control: TorControl,
  expected: number,
  until: number,
  alive: () => boolean,
  log: (l: string) => void,
): Promise<void> {
  let usable = 0;
  for (;;) {
    if (!alive()) throw new Error('a tor node died while the network formed');
    const ns = await control.getinfo('ns/all').catch(() => '');
    usable = ns
      .split('\n')
      .filter((l) => l.startsWith('s ') && ['Running', 'Valid', 'Fast', 'Stable'].every((f) => l.split(' ').includes(f))).length;
    if (usable >= expected) return;
    if (Date.now() > until) {
      log(`tornet: consensus lists ${usable} of ${expected} relays as usable; going on`);
      return;
    }
    await sleep(POLL_MS);
  }
}

/** SOCKS replies that prove the onion service answered (descriptor fetched, rendezvous done). */
export const PROBE_OK = new Set([0x00, 0x05]);

/** Onion-side port the readiness probe asks for: one the service does not map, so the target never sees the probe. */
export function probePort(virtualPort: number): number {
  return virtualPort === 1 ? 2 : 1;
}

interface UploadCount {
  upload: number;
  uploaded: number;
  failed: number;
}

/** Follows HS_DESC events of the service node so addOnion knows when a descriptor reached the HSDirs. */
export class DescriptorTracker {
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
