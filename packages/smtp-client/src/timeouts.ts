/**
 * Per-phase time limits of a client session, in milliseconds (config keys go through `duration()` and arrive in ms).
 * RFC 5321 §4.5.3.2 names the phases; a daemon with fewer knobs (one "command" limit) fills several fields with it.
 */
import type { SmtpPhase } from './errors.ts';

export interface SmtpTimeouts {
  /** Getting a stream: TCP connect, or a whole Tor dial including descriptor fetch and rendezvous. */
  connect: number;
  greeting: number;
  /** EHLO/HELO/LHLO, STARTTLS with its handshake, XCLIENT. */
  ehlo: number;
  /** MAIL and RSET. */
  mail: number;
  rcpt: number;
  /** DATA until its 354. */
  dataInit: number;
  /** No progress writing message data for this long fails the transfer. */
  dataBlock: number;
  /** The reply to the end-of-data mark. */
  dataEnd: number;
  /** QUIT; the transaction is over either way, so short by default. */
  quit?: number;
}

/** RFC 5321 §4.5.3.2's minimums, the defaults of the relay and the inbound front. */
export const RFC5321_TIMEOUTS: Readonly<Required<SmtpTimeouts>> = {
  connect: 120_000,
  greeting: 300_000,
  ehlo: 300_000,
  mail: 300_000,
  rcpt: 300_000,
  dataInit: 120_000,
  dataBlock: 180_000,
  dataEnd: 600_000,
  quit: 5_000,
};

/** The limit that applies to waiting in `phase`. */
export function timeoutFor(t: SmtpTimeouts, phase: SmtpPhase): number {
  switch (phase) {
    case 'connect':
      return t.connect;
    case 'greeting':
      return t.greeting;
    case 'ehlo':
    case 'helo':
    case 'starttls':
    case 'tls':
    case 'xclient':
      return t.ehlo;
    case 'mail':
    case 'rset':
      return t.mail;
    case 'rcpt':
      return t.rcpt;
    case 'data':
      return t.dataInit;
    case 'message':
      return t.dataBlock;
    case 'dataEnd':
      return t.dataEnd;
    case 'quit':
      return t.quit ?? RFC5321_TIMEOUTS.quit;
  }
}
