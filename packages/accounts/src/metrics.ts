import { Counter, Histogram } from 'prom-client';
import { metricsPerRegistry } from '@peergroup/service';

export interface AccountsMetrics {
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'route'>;
  logins: Counter<'result'>;
  rateLimited: Counter<'action'>;
  csrfRejected: Counter;
  mail: Counter<'result'>;
  errors: Counter;
}

/** Once per registry: accounts restarted in one process (tests, `peergroup serve`) reuse their metrics. */
export const createAccountsMetrics = metricsPerRegistry(
  (registers): AccountsMetrics => ({
    requests: new Counter({
      name: 'peergroup_accounts_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    duration: new Histogram({
      name: 'peergroup_accounts_http_request_seconds',
      help: 'HTTP request duration by route (Argon2id dominates login and password routes)',
      labelNames: ['route'],
      buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    logins: new Counter({ name: 'peergroup_accounts_logins_total', help: 'Login attempts by result', labelNames: ['result'], registers }),
    rateLimited: new Counter({
      name: 'peergroup_accounts_rate_limited_total',
      help: 'Requests refused by a rate limit',
      labelNames: ['action'],
      registers,
    }),
    csrfRejected: new Counter({
      name: 'peergroup_accounts_csrf_rejected_total',
      help: 'POSTs refused for a missing or wrong CSRF token',
      registers,
    }),
    mail: new Counter({
      name: 'peergroup_accounts_notifications_total',
      help: 'Notification mails by result',
      labelNames: ['result'],
      registers,
    }),
    errors: new Counter({ name: 'peergroup_accounts_errors_total', help: 'Requests that failed with an internal error', registers }),
  }),
);
