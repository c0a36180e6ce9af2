/** What the front's handlers share: configuration, metrics, the accepted domains and the per-session state. */
import { isIPv4 } from 'node:net';
import type { Readable } from 'node:stream';
import type { SMTPServerSession } from 'smtp-server';
import type { Logger } from '@peergroup/service';
import { proxyAddresses, xclientAddr } from '@peergroup/mta-codecs';
import { frontTrouble, type SmtpTimeouts } from '@peergroup/smtp-client';
import type { InboundConfig } from './inbound-config.ts';
import type { InboundMetrics } from './inbound-metrics.ts';
import { identityKind, type InternalMx, type MxIdentity } from './mx-session.ts';
import { smtpError, type SmtpError } from './mail-params.ts';
import type { ConnectionInternals } from './raw-command-hook.ts';

export interface SessionState {
  conn: ConnectionInternals;
  /** The raw line of the command being handled: smtp-server normalises addresses (drops source routes, decodes IDNs). */
  lastCommand: string;
  mx: InternalMx | null;
  /** MAIL FROM path and parameters not yet sent to the MX (see onMailFrom). */
  pendingMail: { path: string; params: string } | null;
  /** The MX refused this transaction's MAIL: every RCPT gets its answer. */
  mailError: SmtpError | null;
  utf8: boolean;
  rcpts: number;
  dataStream: Readable | null;
  timers: NodeJS.Timeout[];
  timedOut: boolean;
}

export interface InboundContext {
  config: InboundConfig;
  logger: Logger;
  metrics: InboundMetrics;
  domains: Set<string>;
  states: Map<string, SessionState>;
  /** Towards the MX, from `mxTimeouts` (one "command" limit for EHLO, XCLIENT, MAIL, RCPT and RSET). */
  mxTimeouts: SmtpTimeouts;
}

export function mxTimeoutsOf(config: InboundConfig): SmtpTimeouts {
  const t = config.mxTimeouts;
  return {
    connect: t.connect,
    greeting: t.greeting,
    ehlo: t.command,
    mail: t.command,
    rcpt: t.command,
    dataInit: t.dataInit,
    dataBlock: t.dataBlock,
    dataEnd: t.dataTerm,
  };
}

/** How the MX learns the pseudo client of this session. */
export function identity(config: InboundConfig, session: SMTPServerSession): MxIdentity {
  const f = config.forward;
  if (f.mode === 'xclient') return { mode: 'xclient', attributes: { NAME: f.clientName, ADDR: xclientAddr(f.clientAddress) } };
  if (f.mode === 'none') return { mode: 'none' };
  const dst = f.destinationAddress ?? (isIPv4(f.clientAddress) ? '127.0.0.1' : '::1');
  // The source port is the Tor daemon's ephemeral loopback port: meaningless to the MX, but PROXY needs one.
  // Exim refuses port 0 in a v1 header.
  return { mode: f.mode, addresses: proxyAddresses(f.clientAddress, session.remotePort || 1024, dst, 25) };
}

/** Maps a failure talking to the MX to the Tor-side reply (trouble.ts): always temporary, the client keeps the message. */
export function mxFailure(ctx: InboundContext, err: unknown, st: SessionState | undefined, phase: string): SmtpError {
  st?.mx?.abort();
  if (st) st.mx = null;
  const t = frontTrouble(err, identityKind(ctx.config.forward.mode));
  if (t.label !== 'internal') ctx.metrics.mxErrors.inc({ kind: t.label });
  if (t.misconfigured) {
    ctx.logger.error(
      { err: (err as Error).message, phase },
      'cannot present the pseudo client to the MX; refusing to forward (check smtpd_authorized_xclient_hosts / proxy settings)',
    );
  } else if (t.label === 'internal') {
    ctx.logger.error({ err: (err as Error).message, phase }, 'unexpected inbound failure');
  } else {
    ctx.logger.warn({ err: (err as Error).message, phase }, 'internal MX failure');
  }
  return smtpError(t.reply.code, t.reply.message);
}
