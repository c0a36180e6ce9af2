/**
 * SMTP: one reply per message, so each RCPT is relayed to the far side while the MTA waits — a far-side refusal of
 * one recipient is then that recipient's RCPT reply, never a partial delivery behind a single 250 — and a
 * transaction has one destination (recipients for another get 452 and come again).
 */
import type { Readable } from 'node:stream';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import { replyOf, TROUBLE } from '@peergroup/smtp-client';
import { countDelivery, mailFrom, mailParams, stateOf, type RelayContext } from './relay-context.ts';
import { DeliveryFailure, type Outcome } from './relay-delivery.ts';
import type { Opened } from './connection-pool.ts';
import { streamTo, type Sink } from './fan-out.ts';
import { transactionKey, type Recipient } from './recipient-routing.ts';
import { errorWithCode, RELAY_REPLIES, relayReply } from './relay-replies.ts';

export async function smtpRcpt(ctx: RelayContext, address: SMTPServerAddress, session: SMTPServerSession, rcpt: Recipient): Promise<void> {
  const s = stateOf(ctx, session);
  const routed = rcpt.decision;
  const key = transactionKey(routed);
  if (s.pending && s.pending.key !== key) throw errorWithCode(relayReply(RELAY_REPLIES.otherDestination));
  if (!s.pending) {
    const params = mailParams(session);
    // An idle connection is taken without its own RSET round trip: with PIPELINING, `RSET, MAIL, RCPT` go in one
    // write (one round trip over Tor instead of three); one that died while idle costs a new dial.
    for (const fresh of [false, true]) {
      let opened: Opened;
      try {
        opened = await ctx.pool.open(routed, { verify: false, fresh });
      } catch (err) {
        if (err instanceof DeliveryFailure) {
          countDelivery(ctx, err.outcome, routed.source);
          throw errorWithCode(err.outcome);
        }
        throw err;
      }
      const refusal = opened.session.refusal(params);
      if (refusal) {
        // nothing was sent on it: the connection stays good for the next message
        ctx.pool.finish(routed, opened);
        countDelivery(ctx, refusal, routed.source);
        throw errorWithCode(refusal);
      }
      const env = await opened.session.transaction(mailFrom(session), params, [{ address: address.address, params: rcpt.params }], {
        rset: opened.unverified === true,
        data: false,
      });
      if (env.stale) {
        opened.release();
        continue;
      }
      if (env.mail.code >= 400) {
        opened.session.destroy();
        opened.release();
        countDelivery(ctx, env.mail, routed.source);
        throw errorWithCode(env.mail);
      }
      s.pending = { ...opened, key, decision: routed };
      const r = env.rcpts[0]!;
      if (r.code >= 400) {
        countDelivery(ctx, r, routed.source);
        throw errorWithCode(r);
      }
      s.recipients.set(address.address.toLowerCase(), rcpt);
      return;
    }
    // a fresh connection is never stale: not reached
    throw errorWithCode(relayReply(RELAY_REPLIES.noOpenDelivery));
  }
  const r = await s.pending.session.rcpt(address.address, rcpt.params);
  if (r.code >= 400) {
    countDelivery(ctx, r, routed.source);
    throw errorWithCode(r);
  }
  s.recipients.set(address.address.toLowerCase(), rcpt);
}

export async function smtpData(ctx: RelayContext, stream: Readable, session: SMTPServerSession): Promise<string> {
  const s = stateOf(ctx, session);
  const p = s.pending;
  if (!p) throw errorWithCode(relayReply(RELAY_REPLIES.noOpenDelivery));
  delete s.pending;
  const sink: Sink = { session: p.session };
  let outcome: Outcome;
  try {
    const data = await p.session.dataStart();
    if (data.code !== 354) {
      p.session.destroy();
      outcome = data.code < 400 ? replyOf(TROUBLE.relayUnexpectedData, p.session.who, data) : data;
      stream.resume();
    } else {
      const bytes = await streamTo(stream, [sink], ctx.config.limits.maxMessageSize);
      outcome = sink.failed ?? (await p.session.finish());
      if (outcome.code < 400) ctx.metrics.bytes.inc(bytes);
    }
  } catch (err) {
    p.session.destroy();
    throw err;
  } finally {
    ctx.pool.finish(p.decision, p);
  }
  for (const r of s.recipients.values()) countDelivery(ctx, outcome, r.decision.source);
  ctx.logger.info(
    { rcpts: [...s.recipients.keys()], domain: p.decision.domain, code: outcome.code, reply: outcome.message },
    'smtp delivery',
  );
  if (outcome.code >= 400) throw errorWithCode(outcome);
  return outcome.message;
}
