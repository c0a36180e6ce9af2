/** What the relay's handlers share: configuration, routing, the connection pool and the per-MTA-connection state. */
import type { SMTPServerSession } from 'smtp-server';
import type { Logger } from '@peergroup/service';
import type { RelayConfig } from './relay-config.ts';
import type { RelayMetrics } from './relay-metrics.ts';
import type { ConnectionPool, Opened } from './connection-pool.ts';
import type { MailParams, Outcome } from './relay-delivery.ts';
import type { OnionDecision, Recipient } from './recipient-routing.ts';
import type { RouteResolver } from '../routing/route-decision.ts';

/** Per-MTA-connection state beyond what smtp-server keeps. */
export interface SessionState {
  recipients: Map<string, Recipient>;
  /** SMTP mode: the one destination of this transaction, opened at the first RCPT. */
  pending?: Opened & { key: string; decision: OnionDecision };
}

export interface RelayContext {
  config: RelayConfig;
  logger: Logger;
  metrics: RelayMetrics;
  resolver: RouteResolver;
  pool: ConnectionPool;
  states: Map<string, SessionState>;
}

export function stateOf(ctx: RelayContext, session: SMTPServerSession): SessionState {
  let s = ctx.states.get(session.id);
  if (!s) {
    s = { recipients: new Map() };
    ctx.states.set(session.id, s);
  }
  return s;
}

/** Drops the SMTP-mode transaction's open far-side session (new MAIL, RSET, the MTA left, shutdown). */
export function dropPending(s: SessionState): void {
  if (!s.pending) return;
  s.pending.session.destroy();
  s.pending.release();
  delete s.pending;
}

export function countDelivery(ctx: RelayContext, outcome: Outcome, source: string): void {
  ctx.metrics.deliveries.inc({ result: outcome.code < 400 ? 'delivered' : outcome.code < 500 ? 'tempfail' : 'permfail', source });
}

/** The MTA's MAIL FROM parameters as smtp-server parsed them. */
export function mailParams(session: SMTPServerSession): MailParams {
  const mf = session.envelope.mailFrom;
  const args = (mf ? mf.args : {}) as Record<string, string | boolean | undefined>;
  const env = session.envelope as typeof session.envelope & { dsn?: { ret: string | null; envid: string | null } };
  return {
    size: typeof args.SIZE === 'string' ? Number(args.SIZE) : undefined,
    body: typeof args.BODY === 'string' ? args.BODY.toLowerCase() : undefined,
    smtputf8: args.SMTPUTF8 === true,
    ret: env.dsn?.ret ?? undefined,
    envid: env.dsn?.envid ?? undefined,
  };
}

export const mailFrom = (session: SMTPServerSession): string => (session.envelope.mailFrom ? session.envelope.mailFrom.address : '');
