/**
 * DATA: the message goes to the MX as it arrives, with the size and line-length limits applied on the way; the
 * client's final 250 is the MX's own, given only after the MX took the message.
 */
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { SmtpClientError } from '@peergroup/smtp-client';
import { mxFailure, type InboundContext, type SessionState } from './inbound-context.ts';
import { LineLengthGuard } from './line-length-guard.ts';
import { fromReply, replyLine, smtpError, type SmtpError } from './mail-params.ts';

/** Ends a session from our side (a time limit): the MX connection is dropped, the client told why. */
export function kill(ctx: InboundContext, st: SessionState, code: number, text: string): void {
  if (!st.timedOut) ctx.metrics.sessions.inc({ result: 'timeout' });
  st.timedOut = true;
  st.mx?.abort();
  st.mx = null;
  st.dataStream?.destroy();
  try {
    st.conn.send(code, text);
    st.conn.close();
  } catch {
    /* already gone */
  }
}

/** The final reply text on success, or the refusal. */
export async function onData(
  ctx: InboundContext,
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
): Promise<{ ok: string } | { error: SmtpError }> {
  const { config, metrics, logger } = ctx;
  const st = ctx.states.get(session.id);
  const drain = async () => {
    for await (const _ of stream) void _;
  };
  if (!st || !st.mx || st.mx.broken || !st.mx.inTransaction) {
    await drain().catch(() => undefined);
    metrics.messages.inc({ result: 'tempfail' });
    return { error: mxFailure(ctx, new SmtpClientError('data', 'closed', 'no open transaction at the MX'), st, 'DATA') };
  }
  const mx = st.mx;
  st.dataStream = stream;
  const dataTimer = setTimeout(() => {
    logger.info({ session: session.id }, 'message transfer time limit reached');
    metrics.messages.inc({ result: 'timeout' });
    kill(ctx, st, 421, '4.4.2 message transfer took too long, closing');
  }, config.timeouts.data);
  try {
    const r = await mx.command('DATA', 'data');
    if (r.code !== 354) {
      await drain();
      metrics.messages.inc({ result: r.code >= 500 ? 'mx_rejected' : 'tempfail' });
      return { error: fromReply(r) };
    }
    const guard = new LineLengthGuard(config.limits.lineLength);
    const result = await mx.sendData(stream, (chunk) => {
      if (stream.sizeExceeded) return 'size';
      if (chunk && guard.exceeded(chunk)) return 'line';
      return null;
    });
    st.mx = mx.broken ? null : mx;
    if ('aborted' in result) {
      if (result.aborted === 'size') {
        metrics.messages.inc({ result: 'too_big' });
        return { error: smtpError(552, `5.3.4 message exceeds the maximum size of ${config.limits.messageSize} bytes`) };
      }
      metrics.messages.inc({ result: 'line_too_long' });
      return { error: smtpError(554, `5.6.0 message has a line longer than ${config.limits.lineLength} bytes`) };
    }
    metrics.bytes.inc(stream.byteLength ?? 0);
    if (result.reply.code !== 250) {
      metrics.messages.inc({ result: result.reply.code >= 500 ? 'mx_rejected' : 'tempfail' });
      return { error: fromReply(result.reply) };
    }
    metrics.messages.inc({ result: 'accepted' });
    logger.info({ session: session.id, bytes: stream.byteLength, rcpts: st.rcpts, mx: replyLine(result.reply) }, 'message forwarded');
    return { ok: replyLine(result.reply) };
  } catch (err) {
    await drain().catch(() => undefined);
    if (!st.timedOut) metrics.messages.inc({ result: 'tempfail' });
    return { error: mxFailure(ctx, err, st, 'DATA') };
  } finally {
    clearTimeout(dataTimer);
    st.dataStream = null;
  }
}
