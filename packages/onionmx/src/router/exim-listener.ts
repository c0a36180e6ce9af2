/** Exim `${readsocket{inet:HOST:PORT}...}`: one request per connection, answered and closed. */
import type { Socket } from 'node:net';
import { formatDuration } from '@peergroup/service';
import { EXIM_MAX_REQUEST, eximRequestComplete, formatEximReply, parseEximRequest } from '@peergroup/mta-codecs';
import type { ReplyFormName } from './router-reply.ts';
import { protocolError, type ConnContext } from './router-listener.ts';

export function serveExim(socket: Socket, ctx: ConnContext, form: ReplyFormName): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let answered = false;
  const timer = setTimeout(() => {
    if (answered) return;
    answered = true;
    protocolError(ctx, socket, 'exim', `no complete request within ${formatDuration(ctx.config.limits.requestTimeout)}`, 'timeout', true);
    socket.destroy();
  }, ctx.config.limits.requestTimeout);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  // After the reply our side is closed; a client that never closes its side is dropped once idle.
  socket.setTimeout(ctx.config.limits.requestTimeout, () => socket.destroy());

  const answer = () => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    const req = parseEximRequest(Buffer.concat(chunks, size));
    if (!req.ok) {
      protocolError(ctx, socket, 'exim', req.reason, 'bad_request', true);
      socket.end(formatEximReply({ kind: 'tempfail', reason: `bad request: ${req.reason}` }));
      return;
    }
    ctx.engine.lookup('exim', req.key, form, 'exim', (a) => {
      if (!socket.destroyed) socket.end(formatEximReply(a));
    });
  };
  socket.on('data', (chunk: Buffer) => {
    if (answered) return;
    chunks.push(chunk);
    size += chunk.length;
    if (size > EXIM_MAX_REQUEST) {
      answered = true;
      clearTimeout(timer);
      protocolError(ctx, socket, 'exim', `request longer than ${EXIM_MAX_REQUEST} bytes`, 'too_long', true);
      socket.end(formatEximReply({ kind: 'tempfail', reason: 'request too long' }));
      return;
    }
    if (eximRequestComplete(chunk)) answer();
  });
  // Exim half-closes after writing; a request ended by EOF alone is complete too.
  socket.on('end', answer);
}
