/**
 * recipientCheck 'probe': a recipient outside our domains is accepted when the MX accepts it for the pseudo client in
 * a probe session (MAIL FROM:<> RCPT). Accepts and 5xx are cached for `probeCache`; 4xx never.
 */
import type { SMTPServerSession } from 'smtp-server';
import { frontTrouble, replyOf, SmtpClientError, TROUBLE } from '@peergroup/smtp-client';
import { identity, mxTimeoutsOf, type InboundContext } from './inbound-context.ts';
import { fromReply, replyLine, smtpError, type SmtpError } from './mail-params.ts';
import { identityKind, InternalMx } from './mx-session.ts';

interface ProbeResult {
  until: number;
  error: SmtpError | null;
}

const MAX_CACHED = 10_000;

export class RecipientProbe {
  private readonly cache = new Map<string, ProbeResult>();

  constructor(private readonly ctx: InboundContext) {}

  /** Null when the MX accepts `address`, else the refusal the Tor-side client gets. */
  async check(address: string, session: SMTPServerSession): Promise<SmtpError | null> {
    const { config, metrics, logger } = this.ctx;
    const key = address.toLowerCase();
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) {
      metrics.probes.inc({ result: 'cached' });
      return hit.error;
    }
    let mx: InternalMx | null = null;
    try {
      mx = await InternalMx.open({
        mx: config.mx,
        ehloName: config.hostname,
        clientHelo: config.forward.clientName,
        identity: identity(config, session),
        timeouts: mxTimeoutsOf(config),
      });
      const mail = await mx.command('MAIL FROM:<>', 'mail');
      if (mail.code !== 250)
        throw new SmtpClientError('mail', 'reply', `probe MAIL FROM:<> refused: ${mail.code} ${replyLine(mail)}`, { reply: mail });
      const r = await mx.command(`RCPT TO:<${address}>`, 'rcpt');
      await mx.quit();
      if (r.code >= 400 && r.code < 500) {
        metrics.probes.inc({ result: 'tempfail' });
        return fromReply(r);
      }
      const error = r.code >= 500 ? fromReply(r) : null;
      metrics.probes.inc({ result: error ? 'reject' : 'accept' });
      if (config.probeCache > 0) {
        if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(key, { until: Date.now() + config.probeCache, error });
      }
      return error;
    } catch (err) {
      mx?.abort();
      metrics.probes.inc({ result: 'tempfail' });
      const t = frontTrouble(err, identityKind(config.forward.mode));
      if (t.label !== 'internal') metrics.mxErrors.inc({ kind: t.label });
      logger.warn({ err: (err as Error).message }, 'recipient probe failed');
      const reply = replyOf(TROUBLE.frontProbe);
      return smtpError(reply.code, reply.message);
    }
  }
}
