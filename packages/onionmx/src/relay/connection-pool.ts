/**
 * Outbound sessions to onion MXs: an idle one for the same destination and recipient domain when there is one (RSET
 * first), else a new one within the destination's concurrency limit.
 */
import { SessionCache, type Cached } from '@peergroup/smtp-client';
import { DestinationLimiter } from './limiter.ts';
import type { RelayMetrics } from './relay-metrics.ts';
import { DeliveryFailure, OutboundSession, type OutboundOptions } from './relay-delivery.ts';
import { destinationKey, transactionKey, type OnionDecision } from './recipient-routing.ts';
import { RELAY_REPLIES, relayReply } from './relay-replies.ts';

export type Opened = Cached<OutboundSession>;

export class ConnectionPool {
  private readonly idle: SessionCache<OutboundSession>;
  private readonly limiter: DestinationLimiter;

  constructor(
    private readonly outbound: Omit<OutboundOptions, 'isolationKey'>,
    limits: { maxPerDestination: number; idleMs: number },
    private readonly metrics: RelayMetrics,
  ) {
    this.idle = new SessionCache(limits.idleMs);
    this.limiter = new DestinationLimiter(limits.maxPerDestination, metrics.outboundSessions);
  }

  /** A session ready for MAIL, or DeliveryFailure with what the MTA hears. */
  async open(decision: OnionDecision): Promise<Opened> {
    const reused = await this.idle.take(transactionKey(decision));
    if (reused) return reused;
    const release = this.limiter.acquire(destinationKey(decision));
    if (!release) throw new DeliveryFailure(relayReply(RELAY_REPLIES.busyDestination, decision.host));
    try {
      const session = await OutboundSession.open(decision.targets, { ...this.outbound, isolationKey: decision.domain });
      return { session, release };
    } catch (err) {
      release();
      if (err instanceof DeliveryFailure && err.outcome.torError) this.metrics.torErrors.inc({ code: err.outcome.torError });
      throw err;
    }
  }

  /** After a transaction: keep the connection for the next one, or close it. */
  finish(decision: OnionDecision, opened: Opened): void {
    this.idle.put(transactionKey(decision), opened);
  }

  /** Shutdown: idle connections are dropped, connections finishing later are closed. */
  close(): void {
    this.idle.close();
  }
}
