/**
 * LMTP (RFC 2033): recipients are only routed at RCPT; after DATA every destination gets its own transaction, all in
 * parallel, and each recipient its own reply.
 */
import type { Readable } from 'node:stream';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import { countDelivery, mailFrom, mailParams, stateOf, type RelayContext } from './relay-context.ts';
import { DeliveryFailure, type Outcome } from './relay-delivery.ts';
import type { Opened } from './connection-pool.ts';
import { streamTo, type Sink } from './fan-out.ts';
import { transactionKey, type OnionDecision, type Recipient } from './recipient-routing.ts';
import { errorWithCode, RELAY_REPLIES, relayReply } from './relay-replies.ts';
import { replyOf, TROUBLE } from '@peergroup/smtp-client';

export function lmtpRcpt(ctx: RelayContext, address: SMTPServerAddress, session: SMTPServerSession, rcpt: Recipient): void {
  stateOf(ctx, session).recipients.set(address.address.toLowerCase(), rcpt);
}

export async function lmtpData(ctx: RelayContext, stream: Readable, session: SMTPServerSession): Promise<(string | Error)[]> {
  const s = stateOf(ctx, session);
  const rcpts = session.envelope.rcptTo.map((a) => s.recipients.get(a.address.toLowerCase()));
  const results: Outcome[] = rcpts.map(() => relayReply(RELAY_REPLIES.stateLost));
  const groups = new Map<string, number[]>();
  rcpts.forEach((r, i) => {
    if (!r) return;
    const key = transactionKey(r.decision);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const from = mailFrom(session);
  const params = mailParams(session);
  type Ready = Opened & Sink & { decision: OnionDecision; indexes: number[] };
  const ready: Ready[] = [];
  // Destinations are prepared in parallel: a slow onion does not hold up a fast one's dial.
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const decision = rcpts[indexes[0]!]!.decision;
      const envelope = indexes.map((i) => ({ address: rcpts[i]!.address, params: rcpts[i]!.params }));
      let opened: Opened | undefined;
      let env: Awaited<ReturnType<Opened['session']['transaction']>> | undefined;
      // An idle connection is taken without its own RSET round trip; one that died while idle costs a new dial.
      for (const fresh of [false, true]) {
        try {
          opened = await ctx.pool.open(decision, { verify: false, fresh });
        } catch (err) {
          const outcome = err instanceof DeliveryFailure ? err.outcome : relayReply(RELAY_REPLIES.internal, (err as Error).message);
          for (const i of indexes) results[i] = outcome;
          return;
        }
        const refusal = opened.session.refusal(params);
        if (refusal) {
          for (const i of indexes) results[i] = refusal;
          // nothing was sent on it: the connection stays good for the next message
          ctx.pool.finish(decision, opened);
          return;
        }
        env = await opened.session.transaction(from, params, envelope, { rset: opened.unverified === true });
        if (!env.stale) break;
        opened.release();
      }
      if (!opened || !env || env.stale) return;
      const accepted: number[] = [];
      env.rcpts.forEach((o, j) => {
        const i = indexes[j]!;
        if (o.code >= 400) results[i] = o;
        else accepted.push(i);
      });
      const data = env.data;
      if (accepted.length === 0 || !data) {
        if (opened.session.reusable) ctx.pool.finish(decision, opened);
        else opened.release();
        return;
      }
      if (data.code !== 354) {
        for (const i of accepted) results[i] = data.code < 400 ? replyOf(TROUBLE.relayUnexpectedData, opened.session.who, data) : data;
        opened.session.destroy();
        opened.release();
        return;
      }
      ready.push({ ...opened, decision, indexes: accepted });
    }),
  );
  try {
    const bytes = await streamTo(stream, ready, ctx.config.limits.maxMessageSize);
    await Promise.all(
      ready.map(async (r) => {
        const o = r.failed ?? (await r.session.finish());
        for (const i of r.indexes) results[i] = o;
        if (o.code < 400) ctx.metrics.bytes.inc(bytes);
      }),
    );
  } catch (err) {
    // The MTA went away or the message was too big: the far sides must not see an end-of-data mark.
    for (const r of ready) r.session.destroy();
    throw err;
  } finally {
    for (const r of ready) ctx.pool.finish(r.decision, r);
  }
  rcpts.forEach((r, i) => {
    countDelivery(ctx, results[i]!, r?.decision.source ?? 'none');
    ctx.logger.info({ rcpt: r?.address, domain: r?.decision.domain, code: results[i]!.code, reply: results[i]!.message }, 'lmtp delivery');
  });
  return results.map((o) => (o.code < 400 ? o.message : errorWithCode(o)));
}
