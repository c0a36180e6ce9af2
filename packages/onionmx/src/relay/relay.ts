/**
 * The onionmx relay: an LMTP and/or SMTP server on loopback that delivers each recipient to its onion MX through
 * Tor, synchronously. The MTA's DATA is answered only after the far MX answered, so the relay holds no mail:
 * a crash leaves the message in the MTA's queue.
 */
import { setMaxListeners } from 'node:events';
import type { Registry } from 'prom-client';
import type { SMTPServer } from 'smtp-server';
import {
  createMetricsRegistry,
  formatHostPort,
  silentLogger,
  startMetricsServer,
  type HostPort,
  type Logger,
  type RunningService,
} from '@peergroup/service';
import { dialThroughTor, type Dialer } from './onion-dialer.ts';
import type { RelayConfig } from './relay-config.ts';
import { relayMetrics } from './relay-metrics.ts';
import { ConnectionPool } from './connection-pool.ts';
import { dropPending, type RelayContext, type SessionState } from './relay-context.ts';
import { makeServer } from './listener.ts';
import { listenSmtpServer } from '../smtp-server/listen.ts';
import type { RouteResolver } from '../routing/route-decision.ts';
import { createRouteResolver } from '../routing/routing.ts';

export interface RelayDeps {
  logger?: Logger;
  registry?: Registry;
  /** Routing decisions; default: a resolver built from `config.routing` (closed with the relay). */
  resolver?: RouteResolver;
  /** Tor SOCKS dialer by default; benchmarks of the relay itself pass `directDialer`. */
  dialer?: Dialer;
}

export async function startRelay(config: RelayConfig, deps: RelayDeps = {}): Promise<RunningService> {
  const logger = deps.logger ?? silentLogger();
  const registry = deps.registry ?? createMetricsRegistry();
  const ownResolver = deps.resolver ? undefined : await createRouteResolver(config.routing, { logger, registry });
  const resolver: RouteResolver = deps.resolver ?? ownResolver!;
  const metrics = relayMetrics(registry);
  const shutdown = new AbortController();
  // One abort listener per Tor dial in flight; after a Tor restart every waiting transaction dials at once.
  setMaxListeners(0, shutdown.signal);
  const t = config.timeouts;
  const pool = new ConnectionPool(
    {
      dialer: deps.dialer ?? dialThroughTor,
      socks: config.socks,
      heloName: config.heloName,
      tls: config.tls,
      signal: shutdown.signal,
      timeouts: t,
    },
    {
      maxPerDestination: config.limits.maxPerDestination,
      waitMs: config.limits.destinationWait,
      idleMs: config.connectionReuse,
      maxMessages: config.reuse.maxMessages,
      maxAgeMs: config.reuse.maxAge,
    },
    metrics,
  );
  const ctx: RelayContext = { config, logger, metrics, resolver, pool, states: new Map<string, SessionState>() };
  // The MTA is silent while we wait on the far side; smtp-server must not time it out before our own phases do.
  const mtaIdleMs = config.limits.destinationWait + t.connect + t.greeting + t.ehlo * 2 + t.mail + t.rcpt + t.dataInit + t.dataEnd + 60_000;

  const servers: { name: string; server: SMTPServer; addr: HostPort }[] = [];
  let metricsService: RunningService | undefined;
  try {
    for (const mode of ['lmtp', 'smtp'] as const) {
      const at = config[mode];
      if (!at) continue;
      const server = makeServer(ctx, mode, mtaIdleMs);
      servers.push({
        name: mode,
        server,
        addr: await listenSmtpServer(server, at, mode, (err) => logger.error({ err: err.message, listener: mode }, 'listener error')),
      });
    }
    if (config.metrics) metricsService = await startMetricsServer(config.metrics.listen, [registry]);
  } catch (err) {
    for (const s of servers) s.server.close();
    await ownResolver?.close();
    throw err;
  }
  const addresses: Record<string, HostPort> = {};
  for (const s of servers) addresses[s.name] = s.addr;
  if (metricsService?.addresses.http) addresses.metrics = metricsService.addresses.http;
  return {
    name: 'relay',
    addresses,
    summary: { socks: formatHostPort(config.socks), tls: config.tls },
    async close() {
      shutdown.abort();
      pool.close();
      for (const st of ctx.states.values()) dropPending(st);
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))));
      await metricsService?.close();
      await ownResolver?.close();
    },
  };
}
