import type { CommandContext, OptionSpec } from './command.ts';
import { UsageError, flagOption, listOption, numberOption, stringOption } from './command.ts';

/**
 * Routing flags shared by every command that makes routing decisions (route, router, relay). Keys are
 * relative to the routing config section; pass `prefix` to routingOverrides when it is nested deeper.
 */
export const routingOptions: Record<string, OptionSpec> = {
  map: { type: 'string', multiple: true, arg: 'FILE', description: 'curated onion map file', configKey: 'maps[].path' },
  'map-format': {
    type: 'string',
    arg: 'native|yaml|postfix',
    description: 'format of the --map files',
    defaultText: 'yaml for *.yml/*.yaml, else read from the file',
    configKey: 'maps[].format',
  },
  'strict-maps': { type: 'boolean', description: 'refuse to start or reload when a map has an invalid entry', configKey: 'strictMaps' },
  'no-watch-maps': {
    type: 'boolean',
    description: 'do not reload maps when the files change (SIGHUP still reloads)',
    configKey: 'watchMaps',
  },
  'no-srv': { type: 'boolean', description: 'do not look up _onion-mx._tcp SRV records; maps only', configKey: 'srv' },
  resolver: {
    type: 'string',
    multiple: true,
    arg: 'IP:PORT',
    description: 'DNS resolver for SRV lookups (validating, for --dnssec require)',
    defaultText: 'first nameserver in /etc/resolv.conf',
    configKey: 'resolver.servers',
  },
  'dns-timeout': {
    type: 'string',
    arg: 'DURATION',
    description: 'per-try DNS timeout',
    defaultText: '2s',
    configKey: 'resolver.timeout',
    durationUnit: 'ms',
  },
  'dns-retries': {
    type: 'string',
    arg: 'N',
    description: 'extra rounds over the resolver list',
    defaultText: '1',
    configKey: 'resolver.retries',
  },
  'no-tcp-fallback': { type: 'boolean', description: 'do not retry truncated DNS answers over TCP', configKey: 'resolver.tcpFallback' },
  'dns-transport': {
    type: 'string',
    arg: 'udp|tor',
    description: 'tor: every routing query through Tor to --dns-tor-resolver, none in cleartext',
    defaultText: 'udp',
    configKey: 'resolver.transport',
  },
  'dns-tor-resolver': {
    type: 'string',
    multiple: true,
    arg: 'ONION:PORT|IP:PORT#NAME',
    description: 'resolver reached through Tor: its onion service, or DNS over TLS through an exit to a certificate for NAME',
    configKey: 'resolver.tor.servers[].address',
  },
  'dns-tor-ca': {
    type: 'string',
    arg: 'FILE',
    description: 'PEM CA certificates for the --dns-tor-resolver TLS certificates',
    defaultText: "the system's CAs",
    configKey: 'resolver.tor.servers[].tls.ca',
  },
  'dns-tor-socks': {
    type: 'string',
    arg: 'HOST:PORT',
    description: "Tor's SocksPort for DNS through Tor",
    defaultText: '127.0.0.1:9050',
    configKey: 'resolver.tor.socks',
  },
  'dns-tor-timeout': {
    type: 'string',
    arg: 'DURATION',
    description: 'one DNS query through Tor, opening its stream included',
    defaultText: '15s',
    configKey: 'resolver.tor.timeout',
    durationUnit: 's',
  },
  'dns-tor-idle-timeout': {
    type: 'string',
    arg: 'DURATION',
    description: 'close the DNS stream through Tor after this long unused',
    defaultText: '5m',
    configKey: 'resolver.tor.idleTimeout',
    durationUnit: 's',
  },
  'tor-domain': {
    type: 'string',
    multiple: true,
    arg: 'DOMAIN',
    description: 'with --dns-transport udp: look up this domain (*.domain for subdomains) only through Tor',
    configKey: 'resolver.torDomains',
  },
  dnssec: {
    type: 'string',
    arg: 'off|prefer|require',
    description: 'require: use SRV answers only when the resolver validated them (AD bit)',
    defaultText: 'prefer',
    configKey: 'dnssec',
  },
  'cache-min-ttl': {
    type: 'string',
    arg: 'SECONDS',
    description: 'lower bound for cached DNS answers',
    defaultText: '60',
    configKey: 'cache.minTtl',
  },
  'cache-max-ttl': {
    type: 'string',
    arg: 'SECONDS',
    description: 'upper bound for cached DNS answers',
    defaultText: '86400',
    configKey: 'cache.maxTtl',
  },
  'negative-ttl': {
    type: 'string',
    arg: 'SECONDS',
    description: 'cache time for negative answers without an SOA',
    defaultText: '300',
    configKey: 'cache.negativeTtl',
  },
  'cache-size': {
    type: 'string',
    arg: 'N',
    description: 'maximum number of cached domains',
    defaultText: '10000',
    configKey: 'cache.maxEntries',
  },
  'own-domain': {
    type: 'string',
    multiple: true,
    arg: 'DOMAIN',
    description: 'our own mail domain (never routed over onion)',
    configKey: 'ownDomains',
  },
  ignore: {
    type: 'string',
    multiple: true,
    arg: 'DOMAIN',
    description: 'domain never routed over onion (*.domain for subdomains)',
    configKey: 'ignore',
  },
  'srv-check': { type: 'boolean', description: 'warn when a map entry differs from the published SRV record', configKey: 'srvCheck' },
};

function intOption(ctx: CommandContext, name: string): number | undefined {
  const v = stringOption(ctx, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got "${v}"`);
  return Number(v);
}

/**
 * --dns-tor-resolver entries as resolver.tor.servers: `ADDRESS#NAME` (unbound's forward-addr spelling) is DNS over TLS
 * with a certificate for NAME, checked against --dns-tor-ca when given. The schema refuses a clearnet one without NAME.
 */
function torResolvers(ctx: CommandContext): Record<string, unknown>[] | undefined {
  const list = listOption(ctx, 'dns-tor-resolver');
  const ca = stringOption(ctx, 'dns-tor-ca');
  if (ca !== undefined && !list?.some((r) => r.includes('#')))
    throw new UsageError('--dns-tor-ca applies to --dns-tor-resolver ADDRESS#NAME (DNS over TLS); give one');
  return list?.map((entry) => {
    const hash = entry.indexOf('#');
    if (hash < 0) return { address: entry };
    const name = entry.slice(hash + 1);
    if (name === '') throw new UsageError(`--dns-tor-resolver ${entry}: the name after # is empty`);
    return { address: entry.slice(0, hash), tls: { name, ...(ca !== undefined ? { ca } : {}) } };
  });
}

/**
 * Flags given on the command line → dotted config keys (under `prefix`, e.g. 'routing.'). Absent flags map to
 * nothing, so the config file's values stay. Values are left for the zod schema to validate and to name the key.
 */
export function routingOverrides(ctx: CommandContext, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) out[prefix + key] = value;
  };
  const maps = listOption(ctx, 'map');
  const format = stringOption(ctx, 'map-format');
  if (format !== undefined && !maps) throw new UsageError('--map-format applies to --map files; give at least one --map');
  // Without --map-format each file's format is inferred when it is loaded, as for maps in a config file.
  set(
    'maps',
    maps?.map((path) => (format === undefined ? { path } : { path, format })),
  );
  if (flagOption(ctx, 'strict-maps')) set('strictMaps', true);
  if (flagOption(ctx, 'no-watch-maps')) set('watchMaps', false);
  if (flagOption(ctx, 'no-srv')) set('srv', false);
  set('resolver.servers', listOption(ctx, 'resolver'));
  set('resolver.timeout', numberOption(ctx, 'dns-timeout'));
  set('resolver.retries', intOption(ctx, 'dns-retries'));
  if (flagOption(ctx, 'no-tcp-fallback')) set('resolver.tcpFallback', false);
  set('resolver.transport', stringOption(ctx, 'dns-transport'));
  set('resolver.tor.servers', torResolvers(ctx));
  set('resolver.tor.socks', stringOption(ctx, 'dns-tor-socks'));
  set('resolver.tor.timeout', numberOption(ctx, 'dns-tor-timeout'));
  set('resolver.tor.idleTimeout', numberOption(ctx, 'dns-tor-idle-timeout'));
  set('resolver.torDomains', listOption(ctx, 'tor-domain'));
  set('dnssec', stringOption(ctx, 'dnssec'));
  set('cache.minTtl', intOption(ctx, 'cache-min-ttl'));
  set('cache.maxTtl', intOption(ctx, 'cache-max-ttl'));
  set('cache.negativeTtl', intOption(ctx, 'negative-ttl'));
  set('cache.maxEntries', intOption(ctx, 'cache-size'));
  set('ownDomains', listOption(ctx, 'own-domain'));
  set('ignore', listOption(ctx, 'ignore'));
  if (flagOption(ctx, 'srv-check')) set('srvCheck', true);
  return out;
}

/** The routing flags of a service whose config embeds routing under `prefix` (e.g. 'routing.'), for --help. */
export function routingOptionsUnder(prefix: string): Record<string, OptionSpec> {
  return Object.fromEntries(
    Object.entries(routingOptions).map(([flag, spec]) => [
      flag,
      { ...spec, ...(spec.configKey ? { configKey: prefix + spec.configKey } : {}) },
    ]),
  );
}
