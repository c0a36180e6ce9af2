/** MAIL and RCPT from the Tor-side client: strict syntax on the raw line, our domains (or a probe), then the MX's word. */
import type { SMTPServerSession } from 'smtp-server';
import { mxFailure, type InboundContext } from './inbound-context.ts';
import { ALL_EXTENSIONS, forwardMailParams, forwardRcptParams, fromReply, smtpError, type SmtpError } from './mail-params.ts';
import { InternalMx } from './mx-session.ts';
import { parseRcptArgument, splitPathArgument } from './recipient-address.ts';
import type { RecipientProbe } from './recipient-probe.ts';
import { openTransaction } from './transaction.ts';

export function onMailFrom(ctx: InboundContext, session: SMTPServerSession): SmtpError | undefined {
  const st = ctx.states.get(session.id);
  if (!st) return smtpError(421, '4.3.0 session state lost');
  const m = /^MAIL[ \t]+FROM:(.*)$/is.exec(st.lastCommand);
  const split = m ? splitPathArgument(m[1]!) : null;
  if (!split) return smtpError(501, '5.5.4 MAIL FROM:<address> expected');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(split.path)) return smtpError(501, '5.1.7 control characters in the sender address');
  // Checked against what any MX could take now; against this MX's extensions when the MAIL is sent.
  const check = forwardMailParams(split.params, ALL_EXTENSIONS, ctx.config.dsn);
  if ('error' in check) return check.error;
  // The MX only hears of the transaction at the first recipient we accept (transaction.ts).
  st.pendingMail = split;
  st.mailError = null;
  st.utf8 = check.utf8;
  st.rcpts = 0;
  return undefined;
}

export async function onRcptTo(ctx: InboundContext, probe: RecipientProbe, session: SMTPServerSession): Promise<SmtpError | undefined> {
  const { config, metrics, logger, domains } = ctx;
  const st = ctx.states.get(session.id);
  if (!st) return smtpError(421, '4.3.0 session state lost');
  const m = /^RCPT[ \t]+TO:(.*)$/is.exec(st.lastCommand);
  if (!m) {
    metrics.recipients.inc({ result: 'syntax' });
    return smtpError(501, '5.5.4 RCPT TO:<address> expected');
  }
  const parsed = parseRcptArgument(m[1]!, { utf8: st.utf8 });
  if (!parsed.ok) {
    metrics.recipients.inc({ result: 'syntax' });
    logger.info({ session: session.id, reason: parsed.reason }, 'recipient refused (syntax)');
    return smtpError(550, `5.1.3 recipient refused: ${parsed.reason}`);
  }
  if (st.rcpts >= config.limits.recipients) {
    metrics.recipients.inc({ result: 'too_many' });
    return smtpError(452, '4.5.3 too many recipients');
  }
  if (parsed.domain === null) {
    // RFC 5321 §4.1.1.3: <postmaster> must be accepted unqualified. Passed on as it is, the MX would qualify it with
    // its $myorigin, which need not be one of our domains (then it relays it off-host): it is ours, so our first domain.
    const [first] = domains;
    if (first === undefined) {
      metrics.recipients.inc({ result: 'not_local' });
      return smtpError(550, '5.1.1 no domain is configured for an unqualified postmaster: write postmaster@<domain>');
    }
    parsed.address = `postmaster@${first}`;
    parsed.domain = first;
  } else if (!domains.has(parsed.domain)) {
    const refusal =
      config.recipientCheck === 'probe'
        ? await probe.check(parsed.address, session)
        : smtpError(554, `5.7.1 relay access denied: this onion accepts mail for ${[...domains].join(', ')} only`);
    if (refusal) {
      metrics.recipients.inc({ result: refusal.responseCode < 500 ? 'tempfail' : 'not_local' });
      logger.info({ session: session.id, domain: parsed.domain, code: refusal.responseCode }, 'recipient refused (not ours)');
      return refusal;
    }
  }
  try {
    const mx = await openTransaction(ctx, st, session);
    if (!(mx instanceof InternalMx)) {
      metrics.recipients.inc({ result: mx.responseCode >= 500 ? 'mx_rejected' : 'tempfail' });
      return mx;
    }
    const params = forwardRcptParams(parsed.params, mx.extensions, config.dsn);
    if (!Array.isArray(params)) return params;
    const r = await mx.command([`RCPT TO:<${parsed.address}>`, ...params].join(' '), 'rcpt');
    if (r.code !== 250 && r.code !== 251) {
      metrics.recipients.inc({ result: r.code >= 500 ? 'mx_rejected' : 'tempfail' });
      return fromReply(r);
    }
    st.rcpts++;
    metrics.recipients.inc({ result: 'accepted' });
    return undefined;
  } catch (err) {
    metrics.recipients.inc({ result: 'tempfail' });
    return mxFailure(ctx, err, st, 'RCPT');
  }
}
