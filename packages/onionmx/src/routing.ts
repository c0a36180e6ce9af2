// What every onionmx service and the routing commands share: onion addresses, DNS (direct and through Tor), the
// routing config, maps (files and fetched), SRV discovery. Each service's entry adds its own code on top of this, so
// a process loads only the service it runs (the router no SMTP server, the relay no router).
export type { RouteDecision, RouteResolver, OnionTarget } from './routing/route-decision.ts';
export {
  parseOnionAddress,
  normaliseOnionAddress,
  isValidOnionAddress,
  onionFromPublicKey,
  OnionAddressError,
  type ParsedOnion,
  type OnionRefusal,
  type OnionParseResult,
} from './routing/onion-address.ts';
export {
  queryDns,
  queryServer,
  DnsError,
  type DnsResponse,
  type DnsQueryOptions,
  type DnsErrorKind,
  type DnsUpstream,
  type DnsServer,
} from './routing/dns-client.ts';
export { TorDnsUpstream, dnsIsolationKey, type TorDnsUpstreamOptions } from './routing/dns-over-tor.ts';
export {
  routingConfigSchema,
  routingConfig,
  systemResolvers,
  mapFormatSchema,
  type RoutingConfig,
  type RoutingConfigInput,
  type MapFormat,
} from './routing/routing-config.ts';
export { createRouteResolver, type RoutingResolver, type RouteResolverOptions } from './routing/routing.ts';
export { parseMap, inferMapFormat, type MapEntry, type MapRefusal, type ParsedMap } from './routing/map-formats.ts';
export { MapStore, MapLoadError, loadMaps, loadMapFile } from './routing/map-store.ts';
export { OnionMap } from './routing/onion-map.ts';
export { SrvDiscovery, orderSrvRecords, classifySrvTargets, type SrvLookup } from './routing/srv-discovery.ts';
export {
  fetchMap,
  startMapFetcher,
  MapFetchError,
  signatureFileOf,
  type MapFetchResult,
  type MapFetchOptions,
} from './map-fetch/map-fetch.ts';
export { mapFetchSchema, type MapFetchConfig, type MapFetchInput } from './map-fetch/map-fetch-config.ts';
export { parsePublicKey, verifyMinisign, signedTimestamp, MinisignError } from './map-fetch/minisign.ts';
