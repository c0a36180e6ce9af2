/**
 * What every router listener shares: accepting connections within limits.maxConnections (a tempfail reply in the
 * protocol's own words past it), connection accounting, idle timeouts, protocol-error reporting, and replies written
 * in request order.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '@peergroup/service';
import { listen, type HostPort } from '@peergroup/service';
import { encodeSocketmapReply, formatEximReply } from '@peergroup/mta-codecs';
import type { RouterConfig } from './router-config.ts';
import type { LookupEngine } from './lookup-engine.ts';
import type { RouterMetrics, RouterProtocol } from './router-metrics.ts';

export interface Listener {
  protocol: RouterProtocol;
  server: Server;
  address: HostPort;
}

export interface ConnContext {
  config: RouterConfig;
  engine: LookupEngine;
  metrics: RouterMetrics;
  logger: Logger;
  sockets: Set<Socket>;
  /** Connections turned away at the limit, still draining; not counted against it. */
  refused: Set<Socket>;
}

export async function startListener(
  protocol: RouterProtocol,
  at: HostPort,
  ctx: ConnContext,
  handle: (s: Socket) => void,
): Promise<Listener> {
  const server = createServer({ allowHalfOpen: protocol === 'exim', noDelay: true }, (socket) => {
    if (ctx.sockets.size >= ctx.config.limits.maxConnections) {
      ctx.metrics.refusedConnections.inc({ protocol });
      ctx.logger.warn({ protocol, limit: ctx.config.limits.maxConnections }, 'connection refused: limits.maxConnections reached');
      // A tempfail the MTA understands, so it retries instead of treating the table as broken.
      socket.on('error', () => {});
      // Read and discard what the client sends, so its FIN is seen and the socket really closes.
      socket.resume();
      socket.setTimeout(5000, () => socket.destroy());
      ctx.refused.add(socket);
      socket.once('close', () => ctx.refused.delete(socket));
      socket.end(
        protocol === 'tcp_table'
          ? '400 too many connections\n'
          : protocol === 'socketmap'
            ? encodeSocketmapReply({ status: 'TEMP', text: 'too many connections' })
            : formatEximReply({ kind: 'tempfail', reason: 'too many connections' }),
      );
      return;
    }
    ctx.sockets.add(socket);
    ctx.metrics.connections.inc({ protocol });
    ctx.metrics.openConnections.inc({ protocol });
    socket.once('close', () => {
      ctx.sockets.delete(socket);
      ctx.metrics.openConnections.dec({ protocol });
    });
    socket.on('error', (err) => ctx.logger.debug({ protocol, err: err.message }, 'client connection error'));
    handle(socket);
  });
  const configKey = { tcp_table: 'tcpTable.listen', socketmap: 'socketmap.listen', exim: 'exim.listen' }[protocol];
  const address = await listen(server, at, configKey);
  server.on('error', (err) => ctx.logger.error({ protocol, err: err.message }, 'listener error'));
  return { protocol, server, address };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

export function protocolError(
  ctx: ConnContext,
  socket: Socket,
  protocol: RouterProtocol,
  reason: string,
  code: string,
  closing = false,
): void {
  ctx.metrics.protocolErrors.inc({ protocol, reason: code });
  ctx.engine.count(protocol, 'error');
  ctx.logger.warn(
    { protocol, remote: `${socket.remoteAddress}:${socket.remotePort}`, reason, closing },
    closing ? 'malformed request, closing the connection' : 'malformed request',
  );
}

export function armIdle(socket: Socket, ctx: ConnContext, protocol: RouterProtocol): void {
  socket.setTimeout(ctx.config.limits.idleTimeout, () => {
    ctx.logger.debug({ protocol }, 'closing idle connection');
    socket.end();
  });
}
