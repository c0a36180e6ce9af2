/** Prometheus metrics of the relay, registered on the registry the daemon is given. */
import { Counter, Gauge } from 'prom-client';
import { metricsPerRegistry } from '@peergroup/service';

export interface RelayMetrics {
  /** Per recipient: result delivered|tempfail|permfail, source map|srv (how the destination was found). */
  deliveries: Counter<'result' | 'source'>;
  bytes: Counter;
  torErrors: Counter<'code'>;
  inboundSessions: Gauge;
  outboundSessions: Gauge;
}

/** Once per registry, so a relay restarted in one process reuses its metrics. */
export const relayMetrics = metricsPerRegistry(
  (registers): RelayMetrics => ({
    deliveries: new Counter({
      name: 'onionmx_relay_deliveries_total',
      help: 'Recipients handled, by result (delivered, tempfail, permfail) and destination class (map, srv, none).',
      labelNames: ['result', 'source'],
      registers,
    }),
    bytes: new Counter({
      name: 'onionmx_relay_bytes_total',
      help: 'Message bytes relayed to onion MXs (before dot-stuffing), counted once per destination.',
      registers,
    }),
    torErrors: new Counter({
      name: 'onionmx_relay_tor_errors_total',
      help: 'Failed Tor connections by SOCKS reply label (onion_desc_not_found, timeout, ...).',
      labelNames: ['code'],
      registers,
    }),
    inboundSessions: new Gauge({ name: 'onionmx_relay_inbound_sessions', help: 'MTA connections open now.', registers }),
    outboundSessions: new Gauge({ name: 'onionmx_relay_outbound_sessions', help: 'Connections to onion MXs open now.', registers }),
  }),
);
