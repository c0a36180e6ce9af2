import { Counter, type Registry } from 'prom-client';
import { domainOfRecipient, matchesDomainPattern, normaliseDomain } from './domain-name.ts';
import type { Logger } from '@peergroup/service';
import { silentLogger } from '@peergroup/service';
import { DEFAULT_SMTP_PORT, type MapEntry } from './map-formats.ts';
import { MapStore } from './map-store.ts';
import { parseOnionAddress } from './onion-address.ts';
import type { RouteDecision, RouteResolver } from './route-decision.ts';
import type { RoutingConfig } from './routing-config.ts';
import { SrvDiscovery, type SrvLookup } from './srv-discovery.ts';
import { existsSync, readFileSync } from 'node:fs';
import { startMapFetcher } from '../map-fetch/map-fetch.ts';
import { TorDnsUpstream } from './dns-over-tor.ts';

export interface RouteResolverOptions {
  logger?: Logger;
  registry?: Registry;
  /** Reload maps on SIGHUP (default true). Library users embedding several resolvers may turn it off. */
  sighup?: boolean;
}

export interface RoutingResolver extends RouteResolver {
  close(): Promise<void>;
  /** The currently loaded maps (swapped atomically on reload). */
  readonly maps: MapStore;
  readonly srv: SrvDiscovery;
}

/**
 * Builds the one routing decision every onionmx service uses. Order: input syntax, own domains, ignore list,
 * curated maps, SRV discovery. Anything uncertain is `tempfail`, because `none` may send mail in cleartext.
 */
export async function createRouteResolver(config: RoutingConfig, opts: RouteResolverOptions = {}): Promise<RoutingResolver> {
  const logger = opts.logger ?? silentLogger();
  const torServers = torUpstreams(config);
  let store: MapStore | undefined;
  const fetched = config.maps.flatMap((m) =>
    m.fetch
      ? [
          {
            path: m.path,
            fetcher: startMapFetcher(m, m.fetch, { logger, onReplaced: () => void (config.watchMaps ? undefined : store?.reload()) }),
          },
        ]
      : [],
  );
  const fetchers = fetched.map((f) => f.fetcher);
  // A fetched map not on disk yet is fetched once before start; a failure is logged and the map starts empty.
  await Promise.all(fetched.filter((f) => !existsSync(f.path)).map((f) => f.fetcher.runNow()));
  const maps = await MapStore.open(config.maps, {
    strict: config.strictMaps,
    watch: config.watchMaps,
    sighup: opts.sighup ?? true,
    logger,
  });
  store = maps;
  const torDomains = config.resolver.torDomains;
  const srv = new SrvDiscovery({
    // transport tor: the cleartext servers are never handed to the DNS client at all, so nothing can fall back to them.
    servers: config.resolver.transport === 'tor' ? torServers : config.resolver.servers,
    ...(torDomains.length > 0
      ? { serversFor: (d: string) => (torDomains.some((p) => matchesDomainPattern(d, p)) ? torServers : config.resolver.servers) }
      : {}),
    timeoutMs: config.resolver.timeout,
    retries: config.resolver.retries,
    tcpFallback: config.resolver.tcpFallback,
    dnssec: config.dnssec,
    minTtl: config.cache.minTtl,
    maxTtl: config.cache.maxTtl,
    negativeTtl: config.cache.negativeTtl,
    maxEntries: config.cache.maxEntries,
    logger,
    ...(opts.registry ? { registry: opts.registry } : {}),
  });
  if (config.dnssec === 'require' && config.resolver.transport === 'udp') {
    const remote = config.resolver.servers.filter((s) => !(s.host === '::1' || s.host === 'localhost' || /^127\./.test(s.host)));
    // The AD bit is only as trustworthy as the path to the resolver (RFC 6840 §5.8): on-path attackers can set it.
    if (remote.length > 0) {
      logger.warn(
        { servers: remote.map((s) => `${s.host}:${s.port}`) },
        'dnssec is "require" but the resolver is not on loopback; its AD bit can be forged on the way',
      );
    }
  }
  const registers = opts.registry ? [opts.registry] : [];
  const decisions =
    (opts.registry?.getSingleMetric('onionmx_route_decisions_total') as Counter<'kind' | 'source'> | undefined) ??
    new Counter({
      name: 'onionmx_route_decisions_total',
      help: 'Routing decisions by kind and source',
      labelNames: ['kind', 'source'],
      registers,
    });
  const disagreements =
    (opts.registry?.getSingleMetric('onionmx_route_srv_disagreements_total') as Counter | undefined) ??
    new Counter({
      name: 'onionmx_route_srv_disagreements_total',
      help: 'Map entries whose domain publishes a different SRV target (srvCheck)',
      registers,
    });

  /** Only a published, differing SRV record is a disagreement: no record or a DNS failure says nothing. */
  async function srvCheck(domain: string, entry: MapEntry): Promise<string> {
    const found = await srv.lookup(domain);
    if (found.kind === 'tempfail') return ` (SRV check skipped: ${found.reason})`;
    if (found.kind === 'none') return '';
    if (found.targets.some((t) => t.host === entry.onion && t.port === entry.port)) return '';
    disagreements.inc();
    const published = found.targets.map((t) => `${t.host}:${t.port}`).join(', ');
    logger.warn(
      { domain, map: `${entry.onion}:${entry.port}`, at: `${entry.file}:${entry.line}`, srv: published },
      'map entry disagrees with the published SRV record',
    );
    return `; WARNING: ${domain} publishes SRV ${published}, which differs from the map`;
  }

  async function decide(input: string): Promise<RouteDecision> {
    const rawDomain = typeof input === 'string' ? domainOfRecipient(input) : '';
    const checked = normaliseDomain(rawDomain);
    if (!checked.ok) return { kind: 'none', domain: rawDomain.toLowerCase(), reason: `not a routable domain: ${checked.reason}`, ttl: 0 };
    const domain = checked.domain;
    const staticTtl = config.cache.maxTtl;
    if (config.ownDomains.some((p) => matchesDomainPattern(domain, p))) {
      return { kind: 'none', domain, reason: `${domain} is one of our own domains`, ttl: staticTtl };
    }
    const ignored = config.ignore.find((p) => matchesDomainPattern(domain, p));
    if (ignored) return { kind: 'none', domain, reason: `${domain} is on the ignore list (${ignored})`, ttl: staticTtl };
    if (domain.endsWith('.onion')) {
      // RFC 7686: .onion names never go to DNS. A valid v3 recipient domain is its own onion MX (port 25), as if
      // mapped to itself; anything else there cannot be delivered at all, and saying `none` at least does not leak.
      const onion = parseOnionAddress(domain);
      if (!onion.ok) return { kind: 'none', domain, reason: `invalid onion recipient domain: ${onion.reason}`, ttl: staticTtl };
      return {
        kind: 'onion',
        domain,
        host: onion.host,
        port: DEFAULT_SMTP_PORT,
        targets: [{ host: onion.host, port: DEFAULT_SMTP_PORT }],
        source: 'map',
        dnssec: false,
        ttl: staticTtl,
        reason: `${domain} is itself a v3 onion address: delivered to it directly (no DNS lookup for .onion names)`,
      };
    }
    const entry = maps.current.lookup(domain);
    if (entry) {
      const warning = config.srvCheck && config.srv ? await srvCheck(domain, entry) : '';
      return {
        kind: 'onion',
        domain,
        host: entry.onion,
        port: entry.port,
        targets: [{ host: entry.onion, port: entry.port }],
        source: 'map',
        dnssec: false,
        // Map entries change only on reload; a short TTL makes a reload visible to callers that cache decisions.
        ttl: config.cache.minTtl,
        reason: `curated map ${entry.file}:${entry.line} (${entry.domain})${warning}`,
      };
    }
    if (!config.srv)
      return { kind: 'none', domain, reason: `${domain} is not in any map and SRV discovery is off`, ttl: config.cache.minTtl };
    const found: SrvLookup = await srv.lookup(domain);
    switch (found.kind) {
      case 'tempfail':
        return { kind: 'tempfail', domain, reason: found.reason };
      case 'none':
        return { kind: 'none', domain, reason: found.reason + (found.cached ? ' (cached)' : ''), ttl: found.ttl };
      case 'found': {
        const first = found.targets[0]!;
        const skipped = found.rejected.length ? `; skipped ${found.rejected.map((r) => `${r.target} (${r.reason})`).join('; ')}` : '';
        return {
          kind: 'onion',
          domain,
          host: first.host,
          port: first.port,
          targets: found.targets,
          source: 'srv',
          dnssec: found.dnssec,
          ttl: found.ttl,
          reason: `SRV _onion-mx._tcp.${domain}${found.dnssec ? ', DNSSEC-validated' : ', not DNSSEC-validated'}${found.cached ? ' (cached)' : ''}${skipped}`,
        };
      }
    }
  }

  return {
    maps,
    srv,
    async decide(input: string): Promise<RouteDecision> {
      let d: RouteDecision;
      try {
        d = await decide(input);
      } catch (err) {
        // Never let a bug turn into `none` (cleartext): the MTA retries a tempfail.
        logger.error({ err: (err as Error).message }, 'routing decision failed');
        d = { kind: 'tempfail', domain: String(input), reason: `internal error: ${(err as Error).message}` };
      }
      decisions.inc({ kind: d.kind, source: d.kind === 'onion' ? d.source : '' });
      return d;
    },
    async close() {
      maps.close();
      for (const u of torServers) u.close();
      for (const f of fetchers) f.close();
    },
  };
}

/** The Tor resolvers of `resolver.tor`, one stream each (opened on first use). */
function torUpstreams(config: RoutingConfig): TorDnsUpstream[] {
  const tor = config.resolver.tor;
  if (!tor) return [];
  return tor.servers.map((r, i) => {
    let ca: Buffer | undefined;
    if (r.tls?.ca) {
      try {
        ca = readFileSync(r.tls.ca);
      } catch (err) {
        throw new Error(
          `resolver.tor.servers[${i}].tls.ca: cannot read ${r.tls.ca}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
    }
    return new TorDnsUpstream({
      socks: tor.socks,
      server: r.address,
      tls: r.tls ? { servername: r.tls.name, ca } : undefined,
      timeoutMs: tor.timeout,
      idleTimeoutMs: tor.idleTimeout,
    });
  });
}
