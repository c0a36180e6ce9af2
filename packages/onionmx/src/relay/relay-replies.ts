/**
 * The replies the relay gives its MTA on its own account (routing, limits, lost state), as rows like
 * @peergroup/smtp-client's TROUBLE table (failures talking to the onion MX) so that docs/postfix.md's failure table can
 * be checked against both. A reply code written anywhere else in the relay fails relay-replies-docs.test.ts.
 */
import { replyOf, type ReplyRow } from '@peergroup/smtp-client';
import type { Outcome } from './relay-delivery.ts';

const row = <A extends unknown[]>(code: number, enhanced: string, text: (...args: A) => string): ReplyRow<A> => ({
  voice: 'relay',
  code,
  enhanced,
  text,
});

export const RELAY_REPLIES = {
  routingFailed: row(451, '4.4.3', (why: string) => `routing failed: ${why}`),
  cannotRoute: row(451, '4.4.3', (domain: string, why: string) => `cannot route ${domain} now: ${why}`),
  // Not ours to deliver, but the router sent it here: defer rather than bounce, so the MTA asks its router again on
  // retry. Never a cleartext fallback.
  notOnionRouted: row(
    451,
    '4.3.0',
    (domain: string, why: string) => `${domain} is not onion-routed (${why}); this relay delivers only over Tor`,
  ),
  busyDestination: row(451, '4.4.5', (host: string) => `too many concurrent deliveries to ${host}, try again later`),
  tooManyRecipients: row(452, '4.5.3', () => 'too many recipients'),
  otherDestination: row(452, '4.5.3', () => 'recipient for another onion MX or domain: send it in a new transaction'),
  tooBig: row(552, '5.3.4', (limit: number) => `message exceeds the relay's limit of ${limit} bytes`),
  stateLost: row(451, '4.3.0', () => 'recipient state lost'),
  noOpenDelivery: row(451, '4.3.0', () => 'no open delivery for this transaction'),
  internal: row(451, '4.3.0', (why: string) => `internal error: ${why}`),
  aborted: row(451, '4.3.0', (why: string) => why),
} as const;

export const relayReply = replyOf;

/** An Outcome as the Error smtp-server turns into a reply. */
export const errorWithCode = (o: Outcome): Error & { responseCode: number } =>
  Object.assign(new Error(o.message), { responseCode: o.code });
