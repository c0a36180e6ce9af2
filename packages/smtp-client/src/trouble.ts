/**
 * What a failure of the client means for whoever is waiting on the other side of the daemon (Postfix's
 * smtp_trouble.c): from an SmtpClientError (or a Tor SOCKS failure, which arrives as its `dial` verdict) and its phase to
 * the one-line reply the relay gives its MTA or the inbound front gives its Tor-side client. Every such reply is a row
 * of TROUBLE, so documentation tests can enumerate them.
 *
 * The two voices differ on purpose: the relay names the far MX and passes its words on (the MTA's log should say who
 * refused and why); the front never names its internal MX and turns every MX failure into a 4xx, because a fault of
 * ours must not bounce a peer's mail.
 */
import { relayedReplyLine, replyText, type SmtpReply } from '@peergroup/mta-codecs';
import { PHASE_LABEL, SmtpClientError } from './errors.ts';

/** A one-line reply: `message` starts with its enhanced status code. */
export interface Reply {
  code: number;
  message: string;
}

/** A reply the daemon gives, with a fixed code and enhanced code and a text built from the case. */
export interface ReplyRow<A extends unknown[] = never[]> {
  code: number;
  enhanced: string;
  /** Who gives it: the relay (to its MTA) or the inbound front (to its Tor-side client). */
  voice: 'relay' | 'front';
  text: (...args: A) => string;
}

const row = <A extends unknown[]>(voice: ReplyRow['voice'], code: number, enhanced: string, text: (...args: A) => string): ReplyRow<A> => ({
  voice,
  code,
  enhanced,
  text,
});

/** The reply of `r` for this case. */
export function replyOf<A extends unknown[]>(r: ReplyRow<A>, ...args: A): Reply {
  return { code: r.code, message: `${r.enhanced} ${r.text(...args)}` };
}

export const TROUBLE = {
  /** A phase timed out, the far side closed or broke the connection, or the TLS handshake failed. */
  relayLost: row(
    'relay',
    451,
    '4.4.2',
    (err: SmtpClientError, who: string) => `${err.detail} during ${PHASE_LABEL[err.phase]} with ${who}`,
  ),
  /** The session was already gone when the next step came. */
  relayGone: row('relay', 451, '4.4.2', (phase: string, who: string) => `connection to ${who} already closed before ${phase}`),
  relayTlsMissing: row('relay', 451, '4.7.0', (who: string) => `TLS required but ${who} does not offer STARTTLS`),
  relayTlsRefused: row(
    'relay',
    451,
    '4.7.0',
    (who: string, r: SmtpReply) => `TLS required but ${who} refused STARTTLS: ${r.code} ${replyText(r)}`,
  ),
  relayUnexpectedData: row('relay', 451, '4.5.0', (who: string, r: Reply) => `unexpected DATA reply from ${who}: ${r.message}`),
  /** Anything else: a dial function without a verdict, a bug. */
  relayOther: row('relay', 451, '4.4.0', (who: string, why: string) => `error talking to ${who}: ${why}`),
  relayNoTarget: row('relay', 451, '4.4.0', () => 'no onion MX target'),
  /** Checked before MAIL: a message the far side cannot take is refused, never downgraded. */
  relayTooBig: row(
    'relay',
    552,
    '5.3.4',
    (size: number, limit: number, who: string) => `message of ${size} bytes exceeds the ${limit} byte limit of ${who}`,
  ),
  relayNo8bit: row('relay', 554, '5.6.3', (who: string) => `${who} does not support 8BITMIME and the relay does not convert 8bit messages`),
  relayNoUtf8: row('relay', 553, '5.6.7', (who: string) => `${who} does not support SMTPUTF8`),
  /** XCLIENT or PROXY did not take: the MX would judge the session by the front's own, trusted, address. */
  frontIdentity: row('front', 451, '4.3.5', () => 'the onion front is misconfigured; try again later'),
  frontMx: row('front', 451, '4.4.1', (label: string) => `internal mail server unavailable (${label}); try again later`),
  frontProbe: row('front', 451, '4.4.1', () => 'cannot verify the recipient now; try again later'),
  frontInternal: row('front', 451, '4.3.0', () => 'internal error; try again later'),
} as const;

/** The relay's answer for a far-side reply: its code and words, naming `who`; 421 becomes 451. */
export function relayedReply(reply: SmtpReply, who: string): Reply {
  const o = relayedReplyLine(reply, who);
  // 421 closes the MTA's connection (smtp-server does so, and LMTP would lose the other recipients' replies);
  // for the MTA it is just a temporary failure of this delivery.
  return o.code === 421 ? { ...o, code: 451 } : o;
}

/** The relay's answer when talking to the far MX `who` failed. `torError` labels a dial (Tor) failure. */
export function relayTrouble(err: unknown, who: string): Reply & { torError?: string } {
  if (!(err instanceof SmtpClientError)) return replyOf(TROUBLE.relayOther, who, (err as Error)?.message ?? String(err));
  if (err.dial) return { code: err.dial.code, message: `${err.dial.enhanced} ${err.dial.reason} (${who})`, torError: err.dial.label };
  switch (err.kind) {
    case 'reply':
      // A refused greeting or EHLO is the MX's own verdict.
      return err.reply ? relayedReply(err.reply, who) : replyOf(TROUBLE.relayOther, who, err.message);
    case 'tls':
      if (err.phase === 'starttls')
        return err.reply ? replyOf(TROUBLE.relayTlsRefused, who, err.reply) : replyOf(TROUBLE.relayTlsMissing, who);
      return replyOf(TROUBLE.relayLost, err, who);
    case 'connect':
      return replyOf(TROUBLE.relayOther, who, err.detail);
    default:
      return replyOf(TROUBLE.relayLost, err, who);
  }
}

/** How the front presents its pseudo client to the MX: a failure of that step is a misconfiguration. */
export type FrontIdentity = 'xclient' | 'proxy' | 'none';

/**
 * The front's answer when talking to its internal MX failed, with the metric label of the failure (`identity` when
 * the MX is not set up for XCLIENT/PROXY) and whether it is that misconfiguration.
 */
export function frontTrouble(err: unknown, identity: FrontIdentity): { reply: Reply; label: string; misconfigured: boolean } {
  if (!(err instanceof SmtpClientError)) return { reply: replyOf(TROUBLE.frontInternal), label: 'internal', misconfigured: false };
  // A PROXY header sent to an MX that does not expect one is read as a bogus command: its error is then the reply
  // to EHLO. Never go on then: the MX would judge the session by our own (trusted) address.
  if (err.phase === 'xclient' || (identity === 'proxy' && err.phase === 'ehlo' && err.kind === 'reply')) {
    return { reply: replyOf(TROUBLE.frontIdentity), label: 'identity', misconfigured: true };
  }
  // Even a 5xx while setting up the session is our MX's problem, not the sender's: tempfail so the peer retries.
  const label = err.kind === 'reply' ? 'refused' : err.kind;
  return { reply: replyOf(TROUBLE.frontMx, label), label, misconfigured: false };
}
