/** Prometheus metrics of the router, registered on the registry the daemon is given. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { metricsPerRegistry } from '@peergroup/service';

export type RouterProtocol = 'tcp_table' | 'socketmap' | 'exim';
export type LookupResult = 'found' | 'notfound' | 'tempfail' | 'error';

export interface RouterMetrics {
  lookups: Counter<'protocol' | 'result'>;
  lookupSeconds: Histogram<'protocol'>;
  openConnections: Gauge<'protocol'>;
  connections: Counter<'protocol'>;
  protocolErrors: Counter<'protocol' | 'reason'>;
  refusedConnections: Counter<'protocol'>;
  automapLookups: Counter<'result'>;
  automapSeconds: Histogram;
  cacheHitRatio: Gauge;
}

/** Sum of a counter's values, or 0 when the metric is not (yet) registered. */
async function counterTotal(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const data = await metric.get();
  return data.values.reduce((a, v) => a + v.value, 0);
}

export const routerMetrics = metricsPerRegistry(
  (registers, registry): RouterMetrics => ({
    lookups: new Counter({
      name: 'onionmx_router_lookups_total',
      help: 'Lookups answered, by protocol and result (found, notfound, tempfail, error = malformed request).',
      labelNames: ['protocol', 'result'],
      registers,
    }),
    lookupSeconds: new Histogram({
      name: 'onionmx_router_lookup_duration_seconds',
      help: 'Time from a complete request to its reply, by protocol.',
      labelNames: ['protocol'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5],
      registers,
    }),
    openConnections: new Gauge({
      name: 'onionmx_router_open_connections',
      help: 'Client connections currently open, by protocol.',
      labelNames: ['protocol'],
      registers,
    }),
    connections: new Counter({
      name: 'onionmx_router_connections_total',
      help: 'Client connections accepted, by protocol.',
      labelNames: ['protocol'],
      registers,
    }),
    protocolErrors: new Counter({
      name: 'onionmx_router_protocol_errors_total',
      help: 'Connections closed because of a malformed request, by protocol and reason.',
      labelNames: ['protocol', 'reason'],
      registers,
    }),
    refusedConnections: new Counter({
      name: 'onionmx_router_refused_connections_total',
      help: 'Connections refused because limits.maxConnections was reached.',
      labelNames: ['protocol'],
      registers,
    }),
    automapLookups: new Counter({
      name: 'onionmx_router_automap_lookups_total',
      help: 'Onion to virtual-address mappings, by result (cached, resolved, failed).',
      labelNames: ['result'],
      registers,
    }),
    automapSeconds: new Histogram({
      name: 'onionmx_router_automap_dns_duration_seconds',
      help: "Latency of A queries to Tor's DNSPort for the exim-automap form.",
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    cacheHitRatio: new Gauge({
      name: 'onionmx_router_srv_cache_hit_ratio',
      help: "Share of SRV lookups answered from the routing core's cache since start (hits / (hits + misses)).",
      registers,
      async collect() {
        const hits = await counterTotal(registry, 'onionmx_route_srv_cache_hits_total');
        const misses = await counterTotal(registry, 'onionmx_route_srv_cache_misses_total');
        this.set(hits + misses === 0 ? 0 : hits / (hits + misses));
      },
    }),
  }),
);
