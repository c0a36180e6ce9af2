/** Postfix tcp_table(5): one request line, one reply line, on a connection Postfix keeps open. */
import type { Socket } from 'node:net';
import { LineSplitter, formatTcpTableReply, parseTcpTableRequest, TCP_TABLE_MAX_REPLY } from '@peergroup/mta-codecs';
import type { ReplyFormName } from './router-reply.ts';
import { OrderedWriter } from '@peergroup/service';
import { armIdle, protocolError, type ConnContext } from './router-listener.ts';

export function serveTcpTable(socket: Socket, ctx: ConnContext, form: ReplyFormName): void {
  armIdle(socket, ctx, 'tcp_table');
  const splitter = new LineSplitter(TCP_TABLE_MAX_REPLY);
  const out = new OrderedWriter(socket);
  socket.on('data', (chunk: Buffer) => {
    const { lines, overflow } = splitter.push(chunk);
    for (const line of lines) {
      const req = parseTcpTableRequest(line);
      if (!req.ok) {
        protocolError(ctx, socket, 'tcp_table', req.reason, 'bad_request');
        // tcp_table has no framing to lose: answer this request with 400 and keep the connection.
        out.push(formatTcpTableReply({ status: 400, text: `bad request: ${req.reason}` }));
        continue;
      }
      const reply = out.reserve();
      ctx.engine.lookup('tcp_table', req.key, form, 'postfix', (a) =>
        reply(
          formatTcpTableReply(
            a.kind === 'found'
              ? { status: 200, text: a.data }
              : a.kind === 'notfound'
                ? { status: 500, text: a.reason }
                : { status: 400, text: a.reason },
          ),
        ),
      );
    }
    if (overflow) {
      protocolError(ctx, socket, 'tcp_table', `request line longer than ${TCP_TABLE_MAX_REPLY} bytes`, 'line_too_long', true);
      socket.pause();
      out.push(formatTcpTableReply({ status: 400, text: 'request too long' }));
      out.afterWritten(() => socket.end());
    }
  });
}
