/**
 * The onionmx router daemon: answers Postfix tcp_table, Postfix socketmap and Exim readsocket lookups
 * from the routing decision, each protocol on its own loopback listener.
 *
 * Postfix keeps tcp_table/socketmap connections open and sends one request at a time per connection,
 * from several connections at once; replies on a connection are written strictly in request order.
 */
import type { Socket } from 'node:net';
import type { Registry } from 'prom-client';
import type { StringAnswer } from 'dns-packet';
import type { Logger, RunningService } from '@peergroup/service';
import { startMetricsServer, type HostPort } from '@peergroup/service';
import type { RouteResolver } from '../routing/route-decision.ts';
import { queryDns } from '../routing/dns-client.ts';
import { createRouteResolver } from '../routing/routing.ts';
import type { RouterConfig } from './router-config.ts';
import type { ReplySettings } from './router-reply.ts';
import { createAutomapper, type Automapper } from './automap.ts';
import { routerMetrics, type RouterMetrics } from './router-metrics.ts';
import { LookupEngine } from './lookup-engine.ts';
import { closeServer, startListener, type ConnContext, type Listener } from './router-listener.ts';
import { serveTcpTable } from './tcp-table-listener.ts';
import { serveSocketmap } from './socketmap-listener.ts';
import { serveExim } from './exim-listener.ts';

export interface RouterDeps {
  logger: Logger;
  registry: Registry;
  /** The routing decision; when absent the router builds one from `config.routing` with the routing core. */
  resolver?: RouteResolver & { close?: () => Promise<void> | void };
}

export async function startRouter(config: RouterConfig, deps: RouterDeps): Promise<RunningService> {
  const { logger, registry } = deps;
  const metrics = routerMetrics(registry);
  const resolver: RouteResolver & { close?: () => Promise<void> | void } =
    deps.resolver ?? (await createRouteResolver(config.routing, { logger, registry }));
  const automapper = config.automap.dns ? buildAutomapper(config, metrics) : undefined;
  const settings: ReplySettings = { transport: config.transport, relay: config.relay, ...(automapper ? { automapper } : {}) };
  const engine = new LookupEngine(resolver, settings, metrics, logger, config.limits.lookupTimeout);

  const sockets = new Set<Socket>();
  const listeners: Listener[] = [];
  const refused = new Set<Socket>();
  const connCtx: ConnContext = { config, engine, metrics, logger, sockets, refused };
  let metricsServer: RunningService | undefined;
  try {
    if (config.tcpTable)
      listeners.push(
        await startListener('tcp_table', config.tcpTable.listen, connCtx, (s) => serveTcpTable(s, connCtx, config.tcpTable!.reply)),
      );
    if (config.socketmap) {
      const sm = config.socketmap;
      listeners.push(await startListener('socketmap', sm.listen, connCtx, (s) => serveSocketmap(s, connCtx, sm.reply, sm.name)));
    }
    if (config.exim)
      listeners.push(await startListener('exim', config.exim.listen, connCtx, (s) => serveExim(s, connCtx, config.exim!.reply)));
    metricsServer = config.metrics
      ? await startMetricsServer(config.metrics.listen, [registry], () =>
          listeners.every((l) => l.server.listening) ? [] : ['a listener is down'],
        )
      : undefined;
  } catch (err) {
    // A port in use (or any start-up failure) must not leave half a router running.
    await Promise.all(listeners.map((l) => closeServer(l.server)));
    engine.stop();
    if (!deps.resolver) await resolver.close?.();
    throw err;
  }

  const summary = config.logSummaryInterval > 0 ? setInterval(() => engine.logSummary(), config.logSummaryInterval) : undefined;
  summary?.unref();

  const addresses: Record<string, HostPort> = {};
  for (const l of listeners) addresses[l.protocol] = l.address;
  if (metricsServer) addresses.metrics = metricsServer.addresses.http!;

  let closed: Promise<void> | undefined;
  return {
    name: 'router',
    addresses,
    close() {
      closed ??= (async () => {
        if (summary) clearInterval(summary);
        const done = Promise.all(listeners.map((l) => closeServer(l.server)));
        for (const s of [...sockets, ...refused]) s.destroy();
        await done;
        await metricsServer?.close();
        engine.stop();
        engine.logSummary();
        if (!deps.resolver) await resolver.close?.();
      })();
      return closed;
    },
  };
}

function buildAutomapper(config: RouterConfig, metrics: RouterMetrics): Automapper {
  const dns = config.automap.dns!;
  const inner = createAutomapper({
    network: config.automap.network,
    minTtl: config.automap.minTtl,
    maxTtl: config.automap.maxTtl,
    async lookupA(name) {
      const end = metrics.automapSeconds.startTimer();
      try {
        const res = await queryDns([dns], name, 'A', { timeoutMs: config.automap.timeout, retries: config.automap.retries });
        if (res.rcode !== 'NOERROR') throw new Error(`rcode ${res.rcode}`);
        const a = res.answers.filter((r): r is StringAnswer => r.type === 'A');
        return { addresses: a.map((r) => String(r.data)), ttl: a.length ? Math.min(...a.map((r) => r.ttl ?? 0)) : 0 };
      } finally {
        end();
      }
    },
  });
  return {
    async map(onion) {
      const r = await inner.map(onion);
      metrics.automapLookups.inc({ result: r.ok ? (r.cached ? 'cached' : 'resolved') : 'failed' });
      return r;
    },
  };
}
