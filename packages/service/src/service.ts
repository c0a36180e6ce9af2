import type { HostPort } from './host-port.ts';

/** A started daemon. `addresses` holds the bound addresses (useful when a port 0 was configured). */
export interface RunningService {
  name: string;
  addresses: Record<string, HostPort>;
  /** The UNIX sockets it listens on, by the same kind of name. */
  sockets?: Record<string, string>;
  /**
   * What the one start-up log line says besides the listeners (the relay's SOCKS port, the accounts database): the
   * service does not log its own start, whoever runs it does, once.
   */
  summary?: Record<string, unknown>;
  close(): Promise<void>;
}
