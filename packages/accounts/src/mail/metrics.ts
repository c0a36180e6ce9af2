import { Counter, Histogram, type Registry } from 'prom-client';

export interface MailMetrics {
  lookups: Counter<'protocol' | 'map' | 'result'>;
  duration: Histogram<'protocol' | 'map'>;
}

export function createMailMetrics(registry: Registry): MailMetrics {
  return {
    lookups: new Counter({
      name: 'peergroup_mail_lookups_total',
      help: 'Dovecot dict and Postfix socketmap lookups by map and result (found, notfound, temp)',
      labelNames: ['protocol', 'map', 'result'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'peergroup_mail_lookup_seconds',
      help: 'Time to answer a Dovecot dict or Postfix socketmap lookup',
      labelNames: ['protocol', 'map'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
  };
}
