/**
 * Fixed-window attempt counters kept in memory. A restart resets them, which is acceptable: the Argon2id cost of
 * every password check bounds guessing anyway; the limits stop online guessing and reset-request flooding.
 */
export interface LimitResult {
  allowed: boolean;
  /** Seconds until the window of the blocking key ends (0 when allowed). */
  retryAfter: number;
}

interface Window {
  start: number;
  count: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt for every key; refused when any key is over its limit (the attempt is still counted). */
  hit(keys: { key: string; limit: number }[]): LimitResult {
    const now = this.now();
    let retryAfter = 0;
    for (const { key, limit } of keys) {
      let w = this.windows.get(key);
      if (!w || now - w.start >= this.windowMs) {
        if (!w && this.windows.size >= this.maxKeys) this.sweep(now);
        w = { start: now, count: 0 };
        this.windows.set(key, w);
      }
      w.count++;
      if (w.count > limit) retryAfter = Math.max(retryAfter, Math.ceil((w.start + this.windowMs - now) / 1000));
    }
    return { allowed: retryAfter === 0, retryAfter };
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
    // Still full: drop the oldest half rather than grow without bound under a flood of distinct keys.
    if (this.windows.size >= this.maxKeys) {
      let n = Math.floor(this.maxKeys / 2);
      for (const k of this.windows.keys()) {
        if (n-- <= 0) break;
        this.windows.delete(k);
      }
    }
  }

  get size(): number {
    return this.windows.size;
  }
}
