import { reportCheck, runService } from '../run-service.ts';
import { checkRoutingConfig, routingStartupError } from '../routing-check.ts';
import { existsSync } from 'node:fs';
import { UsageError, flagOption, stringOption, type Command, type CommandContext, type OptionSpec } from '../command.ts';
import { loadConfig, readConfigFile } from '../config.ts';
import { routingOptionsUnder, routingOverrides } from '../routing-flags.ts';
import { sharedRoutingOverride } from '../shared-routing.ts';
import { flagTableOptions, flagTableOverrides, type FlagTable } from '../flag-table.ts';
import { routerConfigSchema, type RouterConfig } from '@peergroup/onionmx/router';
import { startRouter } from '@peergroup/onionmx/router';
import { createLogger, createMetricsRegistry } from '@peergroup/service';
import { formatHostPort } from '@peergroup/service';

/** Router flag → [config key, kind, help]. Numbers reach the schema as numbers so its messages name the key. */
const routerFlags: FlagTable = {
  'tcp-table': ['tcpTable.listen', 'string', { arg: 'IP:PORT', description: 'Postfix tcp_table listener (loopback)', defaultText: 'off' }],
  'tcp-table-reply': [
    'tcpTable.reply',
    'string',
    { arg: 'FORM', description: 'reply form on the tcp_table listener', defaultText: 'direct' },
  ],
  socketmap: ['socketmap.listen', 'string', { arg: 'IP:PORT', description: 'Postfix socketmap listener (loopback)', defaultText: 'off' }],
  'socketmap-reply': [
    'socketmap.reply',
    'string',
    { arg: 'FORM', description: 'reply form on the socketmap listener', defaultText: 'direct' },
  ],
  'socketmap-name': [
    'socketmap.name',
    'string',
    { arg: 'NAME', description: 'socketmap name Postfix sends (socketmap:inet:IP:PORT:NAME)', defaultText: 'onionmx' },
  ],
  exim: ['exim.listen', 'string', { arg: 'IP:PORT', description: 'Exim readsocket listener (loopback)', defaultText: 'off' }],
  'exim-reply': ['exim.reply', 'string', { arg: 'FORM', description: 'reply form on the Exim listener', defaultText: 'exim-route' }],
  transport: [
    'transport',
    'string',
    { arg: 'NAME', description: 'Postfix transport in the direct form (smtptor:[onion]:port)', defaultText: 'smtptor' },
  ],
  relay: [
    'relay.address',
    'string',
    { arg: 'IP:PORT', description: "peergroup relay's address for the relay form", defaultText: '127.0.0.1:10024' },
  ],
  'relay-protocol': [
    'relay.protocol',
    'string',
    { arg: 'lmtp|smtp', description: 'protocol the relay form names for Postfix', defaultText: 'lmtp' },
  ],
  'tor-dns': [
    'automap.dns',
    'string',
    { arg: 'IP:PORT', description: "Tor's DNSPort (AutomapHostsOnResolve) for the exim-automap form", defaultText: 'none' },
  ],
  'virtual-network': [
    'automap.network',
    'string',
    { arg: 'CIDR', description: "Tor's VirtualAddrNetworkIPv4; other answers are refused", defaultText: '127.192.0.0/10' },
  ],
  'automap-timeout': ['automap.timeout', 'duration-ms', { description: 'per-try timeout of DNSPort queries', defaultText: '2s' }],
  'automap-retries': ['automap.retries', 'int', { arg: 'N', description: 'extra DNSPort query rounds', defaultText: '1' }],
  'automap-min-ttl': ['automap.minTtl', 'int', { arg: 'SECONDS', description: 'lower bound for reusing a mapping', defaultText: '60' }],
  'automap-max-ttl': ['automap.maxTtl', 'int', { arg: 'SECONDS', description: 'upper bound for reusing a mapping', defaultText: '600' }],
  'max-connections': [
    'limits.maxConnections',
    'int',
    { arg: 'N', description: 'open client connections, all listeners', defaultText: '512' },
  ],
  'idle-timeout': ['limits.idleTimeout', 'duration-ms', { description: 'close idle Postfix connections after', defaultText: '5m' }],
  'request-timeout': [
    'limits.requestTimeout',
    'duration-ms',
    { description: 'an Exim request must be complete within', defaultText: '10s' },
  ],
  'lookup-timeout': [
    'limits.lookupTimeout',
    'duration-ms',
    { description: 'a routing decision taking longer is a tempfail', defaultText: '20s' },
  ],
  'log-summary-interval': [
    'logSummaryInterval',
    'duration-ms',
    { description: 'info-level lookup summary interval (0: off)', defaultText: '1m' },
  ],
  metrics: [
    'metrics.listen',
    'string',
    { arg: 'IP:PORT', description: 'Prometheus /metrics and /healthz (loopback HTTP)', defaultText: 'off' },
  ],
};

const options: Record<string, OptionSpec> = {
  config: {
    type: 'string',
    arg: 'FILE',
    description:
      'YAML config file; router settings from its --section, routing from that section or else the top-level "routing" (shared with the relay)',
  },
  section: { type: 'string', arg: 'KEY', description: 'key of the router settings in --config', defaultText: 'router' },
  'check-config': { type: 'boolean', description: 'validate the configuration and load the maps, print the result, exit' },
  reply: {
    type: 'string',
    arg: 'FORM',
    description: 'reply form for every listener it fits: direct (Postfix listeners), exim-route/exim-automap (Exim listener), relay (all)',
    configKey: 'tcpTable.reply, socketmap.reply, exim.reply',
  },
  ...flagTableOptions(routerFlags),
  ...routingOptionsUnder('routing.'),
};

const postfixForms = new Set(['direct', 'relay']);
const eximForms = new Set(['exim-route', 'exim-automap', 'relay']);

export function loadRouterConfig(ctx: CommandContext): RouterConfig {
  const file = stringOption(ctx, 'config');
  const section = stringOption(ctx, 'section') ?? 'router';
  const overrides = { ...sharedRoutingOverride(file, section), ...flagTableOverrides(ctx, routerFlags, routingOverrides(ctx, 'routing.')) };
  const reply = stringOption(ctx, 'reply');
  if (reply !== undefined) {
    if (!postfixForms.has(reply) && !eximForms.has(reply))
      throw new UsageError(`--reply must be direct, relay, exim-route or exim-automap, got "${reply}"`);
    const fromFile = file ? readConfigFile(file)[section] : undefined;
    const inFile = (k: string) => typeof fromFile === 'object' && fromFile !== null && k in fromFile;
    // Only listeners that exist (by flag or in the file) get the shorthand; per-listener flags win over it.
    const apply = (listener: string, fits: Set<string>) => {
      if (fits.has(reply) && (overrides[`${listener}.listen`] !== undefined || inFile(listener))) overrides[`${listener}.reply`] ??= reply;
    };
    apply('tcpTable', postfixForms);
    apply('socketmap', postfixForms);
    apply('exim', eximForms);
  }
  // Without a file the flags are the whole configuration: routing runs on its defaults plus the routing flags.
  if (!file && !Object.keys(overrides).some((k) => k.startsWith('routing.'))) overrides['routing'] = {};
  return loadConfig(routerConfigSchema, { file, section, overrides });
}

// The path docs/onionmx-router.md preloads; PEERGROUP_TORSOCKS_LIBRARY names another (other architectures).
const TORSOCKS_LIBRARY = '/usr/lib/x86_64-linux-gnu/torsocks/libtorsocks.so';

/**
 * The direct form only works while Postfix's smtptor runs with torsocks preloaded, and a missing library is silent
 * (the loader ignores it): the mail then sits deferred. Say so while the operator is looking.
 */
export function directFormWarnings(config: RouterConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const direct = (['tcpTable', 'socketmap'] as const).filter((k) => config[k]?.reply === 'direct');
  const library = env.PEERGROUP_TORSOCKS_LIBRARY || TORSOCKS_LIBRARY;
  if (direct.length === 0 || existsSync(library)) return [];
  return [
    `${direct.join(' and ')} answer with the direct form (${config.transport}:[onion]:port), which needs torsocks preloaded into Postfix's smtp(8), ` +
      `but ${library} does not exist (Debian package torsocks): mail to onion-routed domains will stay deferred`,
  ];
}

export const command: Command = {
  path: ['onionmx', 'router'],
  summary: 'Answer Postfix (tcp_table, socketmap) and Exim (readsocket) lookups: where mail for a domain goes',
  details: [
    'One daemon, each protocol on its own loopback listener. Reply forms: direct (smtptor:[onion]:port), relay',
    '(the peergroup relay for every onion-routed domain), exim-route (onion::port for a manualroute route_data),',
    "exim-automap (the virtual IPv4 Tor's DNSPort maps the onion to, for Exim's SOCKS client). A DNS outage is",
    'always a temporary failure (400 / TEMP / DEFER): the MTA retries, mail never falls back to cleartext.',
    'Example: peergroup onionmx router --map /etc/peergroup/onion.map --resolver 127.0.0.1:53 \\',
    '           --tcp-table 127.0.0.1:23000 --socketmap 127.0.0.1:23001 --exim 127.0.0.1:23002 --reply direct',
  ].join('\n'),
  options,
  async run(ctx) {
    const config = loadRouterConfig(ctx);
    const logger = createLogger('onionmx-router');
    if (flagOption(ctx, 'check-config')) {
      for (const w of directFormWarnings(config)) ctx.stderr.write(`warning: ${w}\n`);
      const routing = await checkRoutingConfig(config.routing, logger);
      const listeners = (['tcpTable', 'socketmap', 'exim'] as const)
        .filter((k) => config[k])
        .map((k) => `${k} ${formatHostPort(config[k]!.listen)} (${config[k]!.reply})`);
      return reportCheck(ctx, [...listeners, ...routing]);
    }
    const registry = createMetricsRegistry();
    return runService(ctx, logger, () => startRouter(config, { logger, registry }), routingStartupError);
  },
};
