/** Prometheus metrics of the inbound front, registered on the registry the daemon is given. */
import { Counter, Gauge } from 'prom-client';
import { metricsPerRegistry } from '@peergroup/service';

export type RcptResult = 'accepted' | 'syntax' | 'not_local' | 'mx_rejected' | 'tempfail' | 'too_many';
export type MessageResult = 'accepted' | 'mx_rejected' | 'tempfail' | 'too_big' | 'line_too_long' | 'timeout';

export interface InboundMetrics {
  sessions: Counter<'result'>;
  activeSessions: Gauge;
  recipients: Counter<'result'>;
  messages: Counter<'result'>;
  bytes: Counter;
  mxErrors: Counter<'kind'>;
  probes: Counter<'result'>;
}

/** Once per registry, so a re-started front in one process (tests) reuses its metrics. */
export const inboundMetrics = metricsPerRegistry(
  (registers): InboundMetrics => ({
    sessions: new Counter({
      name: 'onionmx_inbound_sessions_total',
      help: 'Tor-side SMTP sessions, by how they ended: closed (by either side), timeout (session or message-transfer limit).',
      labelNames: ['result'],
      registers,
    }),
    activeSessions: new Gauge({ name: 'onionmx_inbound_active_sessions', help: 'Tor-side SMTP sessions open now.', registers }),
    recipients: new Counter({
      name: 'onionmx_inbound_recipients_total',
      help: 'RCPT commands by result: accepted, syntax (strict parser refused), not_local (relay attempt), mx_rejected, tempfail, too_many.',
      labelNames: ['result'],
      registers,
    }),
    messages: new Counter({
      name: 'onionmx_inbound_messages_total',
      help: 'Message transfers by result (accepted = the MX answered 2xx to the end of DATA).',
      labelNames: ['result'],
      registers,
    }),
    bytes: new Counter({ name: 'onionmx_inbound_bytes_total', help: 'Message bytes forwarded to the MX.', registers }),
    mxErrors: new Counter({
      name: 'onionmx_inbound_mx_errors_total',
      help: 'Failures talking to the internal MX, by kind (connect, timeout, closed, protocol, refused, identity).',
      labelNames: ['kind'],
      registers,
    }),
    probes: new Counter({
      name: 'onionmx_inbound_probes_total',
      help: 'Recipient verification probes against the MX, by result (accept, reject, tempfail, cached).',
      labelNames: ['result'],
      registers,
    }),
  }),
);
