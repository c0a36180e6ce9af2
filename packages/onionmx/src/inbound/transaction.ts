/**
 * The MX hears of a transaction only at the first recipient the front accepts, so a session that only tries to relay
 * never reaches it; its answer to MAIL is then given to that RCPT (as Postfix's smtpd_delay_reject does).
 */
import type { SMTPServerSession } from 'smtp-server';
import { identity, type InboundContext, type SessionState } from './inbound-context.ts';
import { forwardMailParams, fromReply, smtpError, type SmtpError } from './mail-params.ts';
import { InternalMx } from './mx-session.ts';
import { clientHelo } from './client-helo.ts';

/** The MX session with this transaction's MAIL sent (opened or RSET as needed), or the answer for the RCPT. */
export async function openTransaction(ctx: InboundContext, st: SessionState, session: SMTPServerSession): Promise<InternalMx | SmtpError> {
  const { config } = ctx;
  if (st.mailError) return st.mailError;
  if (st.mx?.broken) st.mx = null;
  if (!st.pendingMail) {
    if (st.mx?.inTransaction) return st.mx;
    return smtpError(451, '4.3.0 transaction state lost; try again');
  }
  if (st.mx?.inTransaction) {
    const r = await st.mx.command('RSET', 'rset');
    st.mx.inTransaction = false;
    if (r.code !== 250) {
      st.mx.abort();
      st.mx = null;
    }
  }
  const helo = clientHelo(session.hostNameAppearsAs, {
    ownNames: [config.hostname],
    domains: ctx.domains,
    neutral: config.forward.clientName,
  });
  st.mx ??= await InternalMx.open({
    mx: config.mx,
    ehloName: config.hostname,
    clientHelo: helo,
    identity: identity(config, session),
    timeouts: ctx.mxTimeouts,
  });
  const mail = st.pendingMail;
  st.pendingMail = null;
  const params = forwardMailParams(mail.params, st.mx.extensions, config.dsn);
  if ('error' in params) {
    st.mailError = params.error;
    return params.error;
  }
  const r = await st.mx.command([`MAIL FROM:<${mail.path}>`, ...params.params].join(' '), 'mail');
  if (r.code !== 250) {
    st.mailError = fromReply(r);
    return st.mailError;
  }
  st.mx.inTransaction = true;
  return st.mx;
}
