/**
 * Outbound sessions to onion MXs: an idle one for the same destination and recipient domain when there is one, else
 * a new one within the destination's concurrency limit; at the limit, a transaction waits for one to come back (the
 * MTA's burst of one queue run then rides the connections — and Tor circuits — already open) before it gets 451.
 */
import { SessionCache, type Cached } from '@peergroup/smtp-client';
import { DestinationLimiter } from './limiter.ts';
import type { RelayMetrics } from './relay-metrics.ts';
import { DeliveryFailure, OutboundSession, type OutboundOptions } from './relay-delivery.ts';
import { destinationKey, transactionKey, type OnionDecision } from './recipient-routing.ts';
import { RELAY_REPLIES, relayReply } from './relay-replies.ts';

export type Opened = Cached<OutboundSession> & {
  /** Taken from the idle cache without an RSET (`verify: false`): the caller sends one, pipelined, and retries on a fresh connection when it fails. */
  unverified?: boolean;
};

export interface PoolLimits {
  maxPerDestination: number;
  /** Idle time before a kept connection is closed; 0 closes every connection after its transaction. */
  idleMs: number;
  /** How long a transaction waits for a connection at `maxPerDestination` before the 451. */
  waitMs: number;
  maxMessages: number;
  maxAgeMs: number;
}

export class ConnectionPool {
  private readonly idle: SessionCache<OutboundSession>;
  private readonly limiter: DestinationLimiter;
  /** Transactions waiting for a connection, per destination; woken when one is returned or closed. */
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly uses = new WeakMap<OutboundSession, { count: number; born: number }>();

  constructor(
    private readonly outbound: Omit<OutboundOptions, 'isolationKey'>,
    private readonly limits: PoolLimits,
    private readonly metrics: RelayMetrics,
  ) {
    this.idle = new SessionCache(limits.idleMs);
    this.limiter = new DestinationLimiter(limits.maxPerDestination, metrics.outboundSessions);
  }

  /**
   * A session ready for MAIL (with `verify: false`, one the caller must RSET first when `unverified`), or
   * DeliveryFailure with what the MTA hears. `fresh`: never a cached one (the retry after a stale one).
   */
  async open(decision: OnionDecision, opts: { verify?: boolean; fresh?: boolean } = {}): Promise<Opened> {
    const key = transactionKey(decision);
    const dest = destinationKey(decision);
    const deadline = Date.now() + this.limits.waitMs;
    for (;;) {
      if (!opts.fresh) {
        const reused = await this.idle.take(key, { verify: opts.verify ?? true });
        if (reused) return { ...reused, unverified: opts.verify === false };
      }
      const slot = this.limiter.acquire(dest);
      if (slot) return this.dial(decision, dest, slot);
      // The slots may be held by idle connections of other recipient domains (their own circuits): close one.
      this.idle.dropOne((k) => k.startsWith(`${dest}|`));
      const left = deadline - Date.now();
      if (left <= 0 || this.outbound.signal?.aborted || !(await this.waitFor(dest, left))) {
        throw new DeliveryFailure(relayReply(RELAY_REPLIES.busyDestination, decision.host));
      }
    }
  }

  /** After a transaction: keep the connection for the next one (within its bounds), or close it. */
  finish(decision: OnionDecision, opened: Opened): void {
    const use = this.uses.get(opened.session);
    const worn = use && (++use.count >= this.limits.maxMessages || Date.now() - use.born >= this.limits.maxAgeMs);
    if (worn) {
      void opened.session.quit().finally(opened.release);
      return;
    }
    this.idle.put(transactionKey(decision), opened);
    this.wake(destinationKey(decision));
  }

  /** Shutdown: idle connections are dropped, connections finishing later are closed, waiters get their 451. */
  close(): void {
    this.idle.close();
    for (const set of this.waiters.values()) for (const w of set) w();
    this.waiters.clear();
  }

  private async dial(decision: OnionDecision, dest: string, slot: () => void): Promise<Opened> {
    let freed = false;
    const release = () => {
      if (freed) return;
      freed = true;
      slot();
      this.wake(dest);
    };
    try {
      const session = await OutboundSession.open(decision.targets, { ...this.outbound, isolationKey: decision.domain });
      this.uses.set(session, { count: 0, born: Date.now() });
      return { session, release };
    } catch (err) {
      release();
      if (err instanceof DeliveryFailure && err.outcome.torError) this.metrics.torErrors.inc({ code: err.outcome.torError });
      throw err;
    }
  }

  /** Resolves true when a connection to `dest` was returned or closed within `ms`. */
  private waitFor(dest: string, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const set = this.waiters.get(dest) ?? new Set();
      this.waiters.set(dest, set);
      const timer = setTimeout(() => done(false), ms);
      const wake = () => done(true);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(dest) === set) this.waiters.delete(dest);
        resolve(ok);
      };
      set.add(wake);
    });
  }

  /** One waiter per returned or freed connection: the others keep waiting for theirs. */
  private wake(dest: string): void {
    const set = this.waiters.get(dest);
    const first = set?.values().next().value;
    if (first) first();
  }
}
