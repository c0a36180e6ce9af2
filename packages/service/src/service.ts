import type { HostPort } from './host-port.ts';

/** A started daemon. `addresses` holds the bound addresses (useful when a port 0 was configured). */
export interface RunningService {
  name: string;
  addresses: Record<string, HostPort>;
  close(): Promise<void>;
}
