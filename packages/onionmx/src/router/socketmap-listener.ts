/** Postfix socketmap_table(5): netstring requests naming a map, netstring replies, on a kept-open connection. */
import type { Socket } from 'node:net';
import {
  NetstringDecoder,
  type NetstringError,
  formatSocketmapReply,
  parseSocketmapRequest,
  SOCKETMAP_MAX_REQUEST,
} from '@peergroup/mta-codecs';
import type { ReplyFormName } from './router-reply.ts';
import { OrderedWriter } from '@peergroup/service';
import { armIdle, protocolError, type ConnContext } from './router-listener.ts';

export function serveSocketmap(socket: Socket, ctx: ConnContext, form: ReplyFormName, mapName: string): void {
  armIdle(socket, ctx, 'socketmap');
  const decoder = new NetstringDecoder(SOCKETMAP_MAX_REQUEST);
  const out = new OrderedWriter(socket);
  socket.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      // Without framing the stream cannot be resynchronised: drop this connection only.
      protocolError(ctx, socket, 'socketmap', (err as NetstringError).message, 'bad_netstring', true);
      socket.pause();
      out.afterWritten(() => socket.destroy());
      return;
    }
    for (const frame of frames) {
      const req = parseSocketmapRequest(frame);
      if (!req.ok) {
        protocolError(ctx, socket, 'socketmap', req.reason, 'bad_request');
        out.push(formatSocketmapReply({ status: 'PERM', text: `bad request: ${req.reason}` }));
        continue;
      }
      if (req.name !== mapName) {
        protocolError(ctx, socket, 'socketmap', `unknown map name "${req.name}"`, 'unknown_map');
        out.push(formatSocketmapReply({ status: 'PERM', text: `unknown map name "${req.name}", this router serves "${mapName}"` }));
        continue;
      }
      const reply = out.reserve();
      ctx.engine.lookup('socketmap', req.key, form, 'postfix', (a) =>
        reply(
          formatSocketmapReply(
            a.kind === 'found'
              ? { status: 'OK', text: a.data }
              : a.kind === 'notfound'
                ? { status: 'NOTFOUND', text: '' }
                : { status: 'TEMP', text: a.reason },
          ),
        ),
      );
    }
  });
}
