// The lookups' counter and latency histogram, kept in plain numbers and read by prom-client when /metrics is
// scraped. prom-client's own Counter and Histogram validate and hash the label set on every call, which cost about a
// tenth of a socketmap lookup's CPU (bench/mail-auth); here a server binds each label set once (series()) and a
// lookup adds to that series' numbers. The exposition is prom-client's (Registry formats it); only the bookkeeping
// is ours: a histogram's buckets are cumulative, with +Inf, _sum and _count, as the Prometheus text format says.
import type { Registry } from 'prom-client';

export type LookupProtocol = 'socketmap' | 'dict' | 'http';
export type LookupResult = 'found' | 'notfound' | 'temp';

const RESULTS: readonly LookupResult[] = ['found', 'notfound', 'temp'];
const BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];
const COUNTER = 'peergroup_mail_lookups_total';
const HISTOGRAM = 'peergroup_mail_lookup_seconds';

/** One label set (protocol, map): its counts by result and the latencies of its answered lookups. */
export class LookupSeries {
  readonly results: Record<LookupResult, number> = { found: 0, notfound: 0, temp: 0 };
  /** Per bucket, the answers that took at most its bound and more than the one before (made cumulative when read). */
  readonly buckets = new Array<number>(BUCKETS.length + 1).fill(0);
  sum = 0;
  count = 0;
  constructor(
    readonly protocol: LookupProtocol,
    readonly map: string,
  ) {}

  /** Back to zero in place: the servers keep the series they bound. */
  reset(): void {
    for (const r of RESULTS) this.results[r] = 0;
    this.buckets.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  /** A lookup's outcome; `seconds` when it was answered (found or not found), as prom-client's histogram had it. */
  record(result: LookupResult, seconds?: number): void {
    this.results[result]++;
    if (seconds === undefined) return;
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

export class MailMetrics {
  private readonly all = new Map<string, LookupSeries>();

  constructor(registry: Registry) {
    const metric = (name: string, help: string, type: 'counter' | 'histogram', values: () => unknown[]) => ({
      name,
      help,
      type,
      aggregator: 'sum' as const,
      get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
      reset: () => {
        for (const s of this.all.values()) s.reset();
      },
    });
    const series = () => [...this.all.values()];
    // prom-client's Registry formats any object with name, help, type and get() (it calls get() on every scrape);
    // its TypeScript type names only its own classes, hence the casts. packages/accounts/test/mail-metrics.test.ts compares the output
    // with prom-client's own Counter and Histogram, so an upgrade that changes this shows there.
    registry.registerMetric(
      metric(COUNTER, 'Dovecot dict and Postfix socketmap lookups by map and result (found, notfound, temp)', 'counter', () =>
        series().flatMap((s) =>
          RESULTS.filter((r) => s.results[r] > 0).map((result) => ({
            value: s.results[result],
            labels: { protocol: s.protocol, map: s.map, result },
          })),
        ),
      ) as never,
    );
    registry.registerMetric(
      metric(HISTOGRAM, 'Time to answer a Dovecot dict or Postfix socketmap lookup', 'histogram', () =>
        series()
          .filter((s) => s.count > 0)
          .flatMap((s) => {
            const labels = { protocol: s.protocol, map: s.map };
            let below = 0;
            const buckets = [...BUCKETS, '+Inf' as const].map((le, i) => {
              below += s.buckets[i]!;
              return { metricName: `${HISTOGRAM}_bucket`, labels: { le, ...labels }, value: below };
            });
            return [
              ...buckets,
              { metricName: `${HISTOGRAM}_sum`, labels, value: s.sum },
              { metricName: `${HISTOGRAM}_count`, labels, value: s.count },
            ];
          }),
      ) as never,
    );
  }

  /** The series of one label set, made once; a server keeps it and records into it per lookup. */
  series(protocol: LookupProtocol, map: string): LookupSeries {
    const key = `${protocol}\u0000${map}`;
    let s = this.all.get(key);
    if (!s) this.all.set(key, (s = new LookupSeries(protocol, map)));
    return s;
  }
}

/** Seconds since `started` (process.hrtime.bigint()). */
export function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}
