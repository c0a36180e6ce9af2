/** Concurrent outbound transactions per onion destination: over the limit the MTA gets 451 4.4.5 and retries. */
import type { Gauge } from 'prom-client';

export class DestinationLimiter {
  private readonly open = new Map<string, number>();

  constructor(
    private readonly max: number,
    /** Outbound sessions open now, across destinations. */
    private readonly gauge: Gauge,
  ) {}

  /** A slot for `key` and the function that frees it (idempotent), or undefined when `key` is at its limit. */
  acquire(key: string): (() => void) | undefined {
    const n = this.open.get(key) ?? 0;
    if (n >= this.max) return undefined;
    this.open.set(key, n + 1);
    this.gauge.inc();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.gauge.dec();
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    };
  }
}
