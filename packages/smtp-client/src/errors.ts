/**
 * The client's one error type: where the dialogue was (`phase`) and what went wrong (`kind`). Every failure the
 * session meets is one of these, so callers map failures to replies in one place (trouble.ts), never by message text.
 */
import type { SmtpReply } from '@peergroup/mta-codecs';

/** Steps of the dialogue, in order. `message` is the transfer of the message data between DATA's 354 and the dot. */
export type SmtpPhase =
  | 'connect'
  | 'greeting'
  | 'ehlo'
  | 'helo'
  | 'starttls'
  | 'tls'
  | 'xclient'
  | 'mail'
  | 'rcpt'
  | 'data'
  | 'message'
  | 'dataEnd'
  | 'rset'
  | 'quit';

/**
 * connect: no stream (TCP, or the dial function's own verdict in `dial`); timeout: a phase's time ran out; closed: the
 * peer or the caller ended the connection; tls: STARTTLS impossible or failed; protocol: the peer broke SMTP (a
 * malformed reply) or a capability the caller needs is missing; reply: the peer answered with a refusal that ends
 * the session set-up (greeting, EHLO, XCLIENT).
 */
export type SmtpErrorKind = 'connect' | 'timeout' | 'closed' | 'tls' | 'protocol' | 'reply';

/** What a dial function knows about why it got no stream (Tor's SOCKS reply, for instance), in reply terms. */
export interface DialVerdict {
  code: number;
  enhanced: string;
  reason: string;
  /** Stable label for logs and metrics, e.g. `onion_desc_not_found`. */
  label: string;
}

/** Phase names as a log line or a reply text shows them. */
export const PHASE_LABEL: Readonly<Record<SmtpPhase, string>> = {
  connect: 'connect',
  greeting: 'greeting',
  ehlo: 'EHLO',
  helo: 'HELO',
  starttls: 'STARTTLS',
  tls: 'TLS handshake',
  xclient: 'XCLIENT',
  mail: 'MAIL',
  rcpt: 'RCPT',
  data: 'DATA',
  message: 'message transfer',
  dataEnd: 'end of DATA',
  rset: 'RSET',
  quit: 'QUIT',
};

export class SmtpClientError extends Error {
  override name = 'SmtpClientError';
  /** The reply that ended the set-up (kind 'reply'), or the refused STARTTLS (kind 'tls'). */
  readonly reply: SmtpReply | undefined;
  readonly dial: DialVerdict | undefined;

  constructor(
    readonly phase: SmtpPhase,
    readonly kind: SmtpErrorKind,
    /** Why, without the phase: `timeout`, `connection closed by the far side`, the TLS library's message, ... */
    readonly detail: string,
    extra: { reply?: SmtpReply | undefined; dial?: DialVerdict | undefined; cause?: unknown } = {},
  ) {
    super(`${detail} during ${PHASE_LABEL[phase]}`, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.reply = extra.reply;
    this.dial = extra.dial;
  }
}

/** Any thrown value as a client error of `phase` (a non-client error is a protocol failure of that phase). */
export function asClientError(err: unknown, phase: SmtpPhase): SmtpClientError {
  if (err instanceof SmtpClientError) return err;
  return new SmtpClientError(phase, 'protocol', (err as Error)?.message ?? String(err), { cause: err });
}
