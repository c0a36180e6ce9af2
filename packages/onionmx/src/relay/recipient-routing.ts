/** Where a recipient goes: an onion decision, or the deferral the MTA gets at RCPT. */
import type { RouteDecision, RouteResolver } from '../routing/route-decision.ts';
import type { Outcome, RcptParams } from './relay-delivery.ts';
import { RELAY_REPLIES, relayReply } from './relay-replies.ts';

export type OnionDecision = Extract<RouteDecision, { kind: 'onion' }>;

export interface Recipient {
  address: string;
  params: RcptParams;
  decision: OnionDecision;
}

/** Destination key: the ordered target list, so domains sharing onion MXs share limits. */
export const destinationKey = (d: OnionDecision) => d.targets.map((t) => `${t.host}:${t.port}`).join(',');

/** One transaction (and idle connection) per onion MX and recipient domain: each domain has its own Tor circuit. */
export const transactionKey = (d: OnionDecision) => `${destinationKey(d)}|${d.domain}`;

export async function decideRecipient(resolver: RouteResolver, address: string): Promise<OnionDecision | Outcome> {
  let decision: RouteDecision;
  try {
    decision = await resolver.decide(address);
  } catch (err) {
    return relayReply(RELAY_REPLIES.routingFailed, (err as Error).message);
  }
  if (decision.kind === 'tempfail') return relayReply(RELAY_REPLIES.cannotRoute, decision.domain, decision.reason);
  if (decision.kind === 'none') return relayReply(RELAY_REPLIES.notOnionRouted, decision.domain, decision.reason);
  return decision;
}
