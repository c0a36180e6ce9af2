/**
 * Failure-counting limits that slow guessing down without handing anyone a lock-out button (issue #13.7).
 *
 * Only failures count (a wrong password, an unknown reset or invite code, a help-reset that recorded nothing); a
 * successful attempt costs nothing. A bucket forgets its failures once a whole window passes without one, so a
 * steady guesser stays slowed down. A bucket whose failures reach its limit stops admitting at will and admits one
 * attempt at a time instead:
 *
 * - a *private* bucket (one browser, one logged-in user) waits window / limit after reaching the limit and twice as
 *   long after every further failure, up to the window: the guessing browser is slowed down hard;
 * - a *shared* bucket (an account name, a client address: things a stranger shares with the owner) only spaces
 *   attempts window / limit apart, whoever makes them. It caps guessing on one account at limit per window
 *   after the first limit, yet never refuses anyone for longer than window / limit.
 *
 * The state lives in the database (rate-limit-store.ts): every instance on one PostgreSQL sees the same buckets, and
 * the next admission of a slowed bucket is taken by one atomic update, so parallel instances cannot each let one
 * through.
 */
import type { RateLimitStore } from './rate-limit-store.ts';

export interface Bucket {
  key: string;
  limit: number;
  shared: boolean;
}

export interface LimitResult {
  allowed: boolean;
  /** Seconds until the refusing bucket admits again (0 when allowed). */
  retryAfter: number;
}

export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    /** Keeps the buckets of different actions apart (login, reset, …). */
    private readonly scope: string,
    private readonly windowMs: number,
  ) {}

  /** Wait after a failure that leaves `failures` in the window (0 below the limit). */
  delayAfter(b: Bucket, failures: number): number {
    if (failures < b.limit) return 0;
    const spacing = Math.ceil(this.windowMs / b.limit);
    if (b.shared) return spacing;
    return Math.min(this.windowMs, spacing * 2 ** Math.min(failures - b.limit, 30));
  }

  /**
   * Whether an attempt may go ahead now. A bucket at its limit is claimed (its next admission moves on), so of
   * several instances asking at once only one gets it.
   */
  async admit(buckets: Bucket[]): Promise<LimitResult> {
    const now = this.store.now();
    const ids = buckets.map((b) => this.store.id(this.scope, b.key));
    const states = await this.store.read(ids);
    let wait = 0;
    for (const id of ids) {
      const s = states.get(id);
      if (s && s.nextAt > now) wait = Math.max(wait, s.nextAt - now);
    }
    if (wait > 0) return { allowed: false, retryAfter: Math.ceil(wait / 1000) };
    for (const [i, b] of buckets.entries()) {
      const s = states.get(ids[i]!);
      if (!s || s.lastFailure + this.windowMs <= now || s.failures < b.limit) continue;
      const delay = this.delayAfter(b, s.failures);
      if (!(await this.store.claim(ids[i]!, now, now + delay))) {
        return { allowed: false, retryAfter: Math.max(1, Math.ceil(delay / 1000)) };
      }
    }
    return { allowed: true, retryAfter: 0 };
  }

  /** Counts a failed attempt in every bucket. */
  async fail(buckets: Bucket[]): Promise<void> {
    const now = this.store.now();
    const ids = buckets.map((b) => this.store.id(this.scope, b.key));
    const after = await this.store.addFailures(ids, now, this.windowMs);
    for (const [i, b] of buckets.entries()) {
      const s = after.get(ids[i]!);
      if (!s) throw new Error('rate limit: a counted bucket was not returned');
      const delay = this.delayAfter(b, s.failures);
      if (delay > 0) await this.store.delayUntil(ids[i]!, now + delay);
    }
  }

  /** Forgets buckets (a browser that just proved the password starts clean). */
  async clear(buckets: Bucket[]): Promise<void> {
    await this.store.remove(buckets.map((b) => this.store.id(this.scope, b.key)));
  }
}
