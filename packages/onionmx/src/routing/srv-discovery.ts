import type { Answer, SoaAnswer, SrvAnswer } from 'dns-packet';
import { Counter, Histogram, type Registry } from 'prom-client';
import { DnsError, queryDns, type DnsServer } from './dns-client.ts';
import type { Logger } from '@peergroup/service';
import { silentLogger } from '@peergroup/service';
import { parseOnionAddress } from './onion-address.ts';
import type { OnionTarget } from './route-decision.ts';

/**
 * `_onion-mx._tcp.<domain>` SRV discovery: RFC 2782 ordering, v3-onion filtering, a TTL cache with
 * negative caching (RFC 2308) and coalescing of concurrent lookups of one name.
 */

export const SRV_PREFIX = '_onion-mx._tcp.';

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface RejectedTarget {
  target: string;
  port: number;
  reason: string;
}

export type SrvLookup =
  | {
      kind: 'found';
      domain: string;
      /** Usable onion targets in the order to try them (re-shuffled by weight on every lookup). */
      targets: OnionTarget[];
      rejected: RejectedTarget[];
      dnssec: boolean;
      /** Remaining cache lifetime, seconds. */
      ttl: number;
      cached: boolean;
    }
  | { kind: 'none'; domain: string; reason: string; dnssec: boolean; ttl: number; cached: boolean }
  | { kind: 'tempfail'; domain: string; reason: string };

export type DnssecPolicy = 'off' | 'prefer' | 'require';

export interface SrvDiscoveryOptions {
  /** Resolvers: IP:PORT (UDP, TCP fallback) or upstreams such as TorDnsUpstream. */
  servers: readonly DnsServer[];
  /** Resolvers for one domain when they differ from `servers` (domains whose lookups must go through Tor). */
  serversFor?: (domain: string) => readonly DnsServer[];
  timeoutMs: number;
  retries: number;
  tcpFallback: boolean;
  dnssec: DnssecPolicy;
  minTtl: number;
  maxTtl: number;
  negativeTtl: number;
  maxEntries: number;
  registry?: Registry;
  logger?: Logger;
  /** For RFC 2782 weighted selection; injectable so ordering tests are deterministic. */
  random?: () => number;
}

/** Orders SRV records per RFC 2782: ascending priority, then weighted random selection within a priority. */
export function orderSrvRecords<T extends { priority: number; weight: number }>(
  records: readonly T[],
  random: () => number = Math.random,
): T[] {
  const byPriority = new Map<number, T[]>();
  for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  const out: T[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    // Weight-0 records first, so they are chosen only rarely when others exist (RFC 2782 "Usage rules").
    const pool = [...byPriority.get(priority)!].sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (pool.length > 0) {
      const total = pool.reduce((s, r) => s + r.weight, 0);
      // An integer in [0, total] inclusive, as RFC 2782 specifies; a weight-0 record at the front wins only on 0.
      const pick = Math.min(total, Math.floor(random() * (total + 1)));
      let running = 0;
      let index = pool.length - 1;
      for (let i = 0; i < pool.length; i++) {
        running += pool[i]!.weight;
        if (running >= pick) {
          index = i;
          break;
        }
      }
      out.push(pool.splice(index, 1)[0]!);
    }
  }
  return out;
}

/** Splits SRV records into usable onion targets and rejected ones. Pure. */
export function classifySrvTargets(records: readonly SrvRecord[]): { usable: SrvRecord[]; rejected: RejectedTarget[] } {
  const usable: SrvRecord[] = [];
  const rejected: RejectedTarget[] = [];
  for (const r of records) {
    if (r.target === '.' || r.target === '') {
      rejected.push({ target: '.', port: r.port, reason: 'target "." means no service' });
      continue;
    }
    if (r.port < 1) {
      rejected.push({ target: r.target, port: r.port, reason: 'port 0 is not a usable SMTP port' });
      continue;
    }
    const onion = parseOnionAddress(r.target);
    if (!onion.ok) {
      rejected.push({ target: r.target, port: r.port, reason: onion.reason });
      continue;
    }
    usable.push({ ...r, target: onion.host });
  }
  return { usable, rejected };
}

type CacheValue =
  | { kind: 'found'; records: SrvRecord[]; rejected: RejectedTarget[]; dnssec: boolean }
  | { kind: 'none'; reason: string; dnssec: boolean };

interface CacheEntry {
  value: CacheValue;
  expiresAt: number;
}

type Fetched = { value: CacheValue; ttl: number } | { kind: 'tempfail'; reason: string };

export interface SrvStats {
  queries: number;
  cacheHits: number;
  cacheMisses: number;
  coalesced: number;
}

function metric<T>(registry: Registry | undefined, name: string, make: (registers: Registry[]) => T): T {
  const existing = registry?.getSingleMetric(name);
  return (existing as T | undefined) ?? make(registry ? [registry] : []);
}

export class SrvDiscovery {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<Fetched>>();
  private readonly logger: Logger;
  private readonly random: () => number;
  readonly stats: SrvStats = { queries: 0, cacheHits: 0, cacheMisses: 0, coalesced: 0 };
  private readonly m: {
    hits: Counter;
    misses: Counter;
    coalesced: Counter;
    latency: Histogram<'outcome'>;
  };

  constructor(private readonly opts: SrvDiscoveryOptions) {
    this.logger = opts.logger ?? silentLogger();
    this.random = opts.random ?? Math.random;
    const r = opts.registry;
    this.m = {
      hits: metric(
        r,
        'onionmx_route_srv_cache_hits_total',
        (registers) => new Counter({ name: 'onionmx_route_srv_cache_hits_total', help: 'SRV lookups answered from the cache', registers }),
      ),
      misses: metric(
        r,
        'onionmx_route_srv_cache_misses_total',
        (registers) => new Counter({ name: 'onionmx_route_srv_cache_misses_total', help: 'SRV lookups not in the cache', registers }),
      ),
      coalesced: metric(
        r,
        'onionmx_route_srv_coalesced_total',
        (registers) =>
          new Counter({ name: 'onionmx_route_srv_coalesced_total', help: 'SRV lookups that joined a query already in flight', registers }),
      ),
      latency: metric(
        r,
        'onionmx_route_dns_duration_seconds',
        (registers) =>
          new Histogram({
            name: 'onionmx_route_dns_duration_seconds',
            help: 'DNS SRV query latency by outcome (rcode, or timeout/network/malformed)',
            labelNames: ['outcome'],
            buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
            registers,
          }),
      ),
    };
  }

  /** `domain` must already be normalised (lower case, no trailing dot). */
  async lookup(domain: string): Promise<SrvLookup> {
    const now = Date.now();
    const hit = this.cache.get(domain);
    if (hit && hit.expiresAt > now) {
      // Refresh LRU position.
      this.cache.delete(domain);
      this.cache.set(domain, hit);
      this.stats.cacheHits++;
      this.m.hits.inc();
      return this.present(domain, hit.value, Math.max(0, Math.ceil((hit.expiresAt - now) / 1000)), true);
    }
    if (hit) this.cache.delete(domain);
    this.stats.cacheMisses++;
    this.m.misses.inc();
    let pending = this.inflight.get(domain);
    if (pending) {
      this.stats.coalesced++;
      this.m.coalesced.inc();
    } else {
      pending = this.fetch(domain).finally(() => this.inflight.delete(domain));
      this.inflight.set(domain, pending);
    }
    const fetched = await pending;
    if ('kind' in fetched) return { kind: 'tempfail', domain, reason: fetched.reason };
    return this.present(domain, fetched.value, fetched.ttl, false);
  }

  /** Drops every cached answer (e.g. after the resolver changed). */
  clear(): void {
    this.cache.clear();
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  private present(domain: string, value: CacheValue, ttl: number, cached: boolean): SrvLookup {
    if (value.kind === 'none') return { kind: 'none', domain, reason: value.reason, dnssec: value.dnssec, ttl, cached };
    const ordered = orderSrvRecords(value.records, this.random);
    return {
      kind: 'found',
      domain,
      targets: ordered.map((r) => ({ host: r.target, port: r.port })),
      rejected: value.rejected,
      dnssec: value.dnssec,
      ttl,
      cached,
    };
  }

  private clamp(ttl: number): number {
    return Math.min(this.opts.maxTtl, Math.max(this.opts.minTtl, ttl));
  }

  private store(domain: string, value: CacheValue, ttl: number): void {
    if (ttl <= 0) return;
    this.cache.set(domain, { value, expiresAt: Date.now() + ttl * 1000 });
    while (this.cache.size > this.opts.maxEntries) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }

  private negativeTtl(authorities: Answer[]): number {
    const soa = authorities.find((a): a is SoaAnswer => a.type === 'SOA');
    // RFC 2308 §5: the negative TTL is the smaller of the SOA's own TTL and its MINIMUM field.
    if (soa && soa.ttl !== undefined && soa.data.minimum !== undefined) return this.clamp(Math.min(soa.ttl, soa.data.minimum));
    return this.clamp(this.opts.negativeTtl);
  }

  private async fetch(domain: string): Promise<Fetched> {
    const name = SRV_PREFIX + domain;
    const dnssec = this.opts.dnssec !== 'off';
    const started = process.hrtime.bigint();
    this.stats.queries++;
    let res;
    try {
      res = await queryDns(this.opts.serversFor?.(domain) ?? this.opts.servers, name, 'SRV', {
        timeoutMs: this.opts.timeoutMs,
        retries: this.opts.retries,
        tcpFallback: this.opts.tcpFallback,
        dnssec,
      });
    } catch (err) {
      if (!(err instanceof DnsError)) throw err;
      this.m.latency.observe({ outcome: err.kind }, Number(process.hrtime.bigint() - started) / 1e9);
      this.logger.warn({ domain, kind: err.kind, err: err.message }, 'SRV lookup failed');
      return { kind: 'tempfail', reason: `DNS ${err.kind === 'timeout' ? 'timeout' : `${err.kind} error`}: ${err.message}` };
    }
    this.m.latency.observe({ outcome: res.rcode }, Number(process.hrtime.bigint() - started) / 1e9);
    const authenticated = dnssec && res.authenticated;
    if (res.rcode === 'NXDOMAIN') {
      const value: CacheValue = { kind: 'none', reason: `${name} does not exist (NXDOMAIN)`, dnssec: authenticated };
      const ttl = this.negativeTtl(res.authorities);
      this.store(domain, value, ttl);
      return { value, ttl };
    }
    if (res.rcode !== 'NOERROR') {
      return { kind: 'tempfail', reason: `DNS server ${res.server.host}:${res.server.port} answered ${res.rcode} for ${name} SRV` };
    }
    if (res.truncated) {
      return { kind: 'tempfail', reason: `the SRV answer for ${name} was truncated and could not be fetched over TCP` };
    }
    const srv = res.answers.filter((a): a is SrvAnswer => a.type === 'SRV');
    if (srv.length === 0) {
      const value: CacheValue = { kind: 'none', reason: `${name} has no SRV record (NODATA)`, dnssec: authenticated };
      const ttl = this.negativeTtl(res.authorities);
      this.store(domain, value, ttl);
      return { value, ttl };
    }
    const ttl = this.clamp(Math.min(...srv.map((a) => a.ttl ?? 0)));
    if (this.opts.dnssec === 'require' && !res.authenticated) {
      // Unvalidated data is not trusted for routing; it is the same as having no record (a `none`, not a tempfail:
      // an insecure zone stays insecure, retrying would not help). Bogus data never gets here: the resolver SERVFAILs.
      const value: CacheValue = {
        kind: 'none',
        reason: `${name} SRV answer is not DNSSEC-validated (AD bit not set) and dnssec is "require"`,
        dnssec: false,
      };
      this.store(domain, value, ttl);
      return { value, ttl };
    }
    const records: SrvRecord[] = srv.map((a) => ({
      priority: a.data.priority ?? 0,
      weight: a.data.weight ?? 0,
      port: a.data.port,
      target: a.data.target.toLowerCase().replace(/\.$/, '') || '.',
    }));
    const { usable, rejected } = classifySrvTargets(records);
    for (const r of rejected) this.logger.info({ domain, target: r.target, port: r.port }, `SRV target skipped: ${r.reason}`);
    let value: CacheValue;
    if (usable.length > 0) value = { kind: 'found', records: usable, rejected, dnssec: authenticated };
    else if (records.length === 1 && rejected[0]?.target === '.')
      value = { kind: 'none', reason: `${name} SRV target is "." (the domain publishes that it has no onion MX)`, dnssec: authenticated };
    else
      value = {
        kind: 'none',
        reason: `${name} SRV has no usable v3 onion target: ${rejected.map((r) => `${r.target} (${r.reason})`).join('; ')}`,
        dnssec: authenticated,
      };
    this.store(domain, value, ttl);
    return { value, ttl };
  }
}
