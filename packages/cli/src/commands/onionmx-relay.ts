import { reportCheck, runService } from '../run-service.ts';
import { checkRoutingConfig, routingStartupError } from '../routing-check.ts';
import { flagOption, stringOption, type Command, type CommandContext, type OptionSpec } from '../command.ts';
import { loadConfig } from '../config.ts';
import { routingOptionsUnder, routingOverrides } from '../routing-flags.ts';
import { sharedRoutingOverride } from '../shared-routing.ts';
import { flagTableOptions, flagTableOverrides, type FlagTable } from '../flag-table.ts';
import { relayConfigSchema, type RelayConfig } from '@peergroup/onionmx/relay';
import { startRelay } from '@peergroup/onionmx/relay';
import { createLogger, createMetricsRegistry } from '@peergroup/service';
import { formatHostPort } from '@peergroup/service';

/** Relay flag → [config key, kind]. Numbers are handed to the schema as numbers so its messages name the key. */
const relayFlags: FlagTable = {
  lmtp: ['lmtp', 'string', { arg: 'IP:PORT', description: 'LMTP listener for the MTA (loopback)', defaultText: 'none' }],
  smtp: ['smtp', 'string', { arg: 'IP:PORT', description: 'SMTP listener for the MTA (loopback)', defaultText: 'none' }],
  socks: ['socks', 'string', { arg: 'IP:PORT', description: "Tor's SocksPort", defaultText: '127.0.0.1:9050' }],
  'helo-name': [
    'heloName',
    'string',
    { arg: 'NAME', description: 'name sent in EHLO to onion MXs', defaultText: 'first routing.ownDomains entry, else localhost' },
  ],
  tls: ['tls', 'string', { arg: 'opportunistic|required|none', description: 'STARTTLS to the far side', defaultText: 'opportunistic' }],
  'max-connections': ['limits.maxConnections', 'number', { arg: 'N', description: 'simultaneous MTA connections', defaultText: '100' }],
  'max-per-destination': [
    'limits.maxPerDestination',
    'number',
    { arg: 'N', description: 'simultaneous deliveries to one onion MX', defaultText: '10' },
  ],
  'destination-wait': [
    'limits.destinationWait',
    'duration-s',
    {
      description: 'how long a transaction at --max-per-destination waits for a connection before 451 (0: answer at once)',
      defaultText: '1m',
    },
  ],
  'max-message-size': [
    'limits.maxMessageSize',
    'number',
    { arg: 'BYTES', description: 'largest message accepted (SIZE)', defaultText: '52428800' },
  ],
  'max-recipients': ['limits.maxRecipients', 'number', { arg: 'N', description: 'recipients per transaction', defaultText: '1000' }],
  'timeout-connect': ['timeouts.connect', 'duration-s', { description: 'Tor connection to the onion MX', defaultText: '2m' }],
  'timeout-greeting': ['timeouts.greeting', 'duration-s', { description: 'far-side 220 greeting', defaultText: '5m' }],
  'timeout-ehlo': ['timeouts.ehlo', 'duration-s', { description: 'EHLO/HELO/STARTTLS reply', defaultText: '5m' }],
  'timeout-mail': ['timeouts.mail', 'duration-s', { description: 'MAIL reply', defaultText: '5m' }],
  'timeout-rcpt': ['timeouts.rcpt', 'duration-s', { description: 'RCPT reply', defaultText: '5m' }],
  'timeout-data-init': ['timeouts.dataInit', 'duration-s', { description: 'DATA 354 reply', defaultText: '2m' }],
  'timeout-data-block': ['timeouts.dataBlock', 'duration-s', { description: 'no progress sending message data', defaultText: '3m' }],
  'timeout-data-end': ['timeouts.dataEnd', 'duration-s', { description: 'reply after the end of data', defaultText: '10m' }],
  'connection-reuse': [
    'connectionReuse',
    'duration-s',
    { description: 'keep an idle connection to an onion MX for the next transaction (0: never)', defaultText: '30s' },
  ],
  'reuse-max-messages': [
    'reuse.maxMessages',
    'int',
    { arg: 'N', description: 'transactions over one connection to an onion MX, then it is closed', defaultText: '1000' },
  ],
  'reuse-max-age': [
    'reuse.maxAge',
    'duration-s',
    { description: 'a connection to an onion MX older than this takes no new transaction', defaultText: '10m' },
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
      'YAML config file; relay settings from its --section, routing from that section or else the top-level "routing" (shared with the router)',
  },
  section: { type: 'string', arg: 'KEY', description: 'key of the relay settings in --config', defaultText: 'relay' },
  'check-config': { type: 'boolean', description: 'validate the configuration and the maps, print the result, exit' },
  ...flagTableOptions(relayFlags),
  ...routingOptionsUnder('routing.'),
};

export function loadRelayConfig(ctx: CommandContext): RelayConfig {
  const file = stringOption(ctx, 'config');
  const section = stringOption(ctx, 'section') ?? 'relay';
  const overrides = { ...sharedRoutingOverride(file, section), ...flagTableOverrides(ctx, relayFlags, routingOverrides(ctx, 'routing.')) };
  return loadConfig(relayConfigSchema, { file, section, overrides });
}

export const command: Command = {
  path: ['onionmx', 'relay'],
  summary: 'Deliver onion-routed mail from the MTA (LMTP/SMTP on loopback) to onion MXs through Tor, synchronously',
  details: [
    'The MTA hands mail for onion-routed domains to the relay (Postfix: the router\'s "relay" reply form, an lmtp',
    "transport). Each recipient is delivered to its onion MX through Tor's SOCKS port, one circuit per recipient",
    "domain. The MTA's DATA is answered only after the far MX answered: the relay never queues, so a crash loses",
    'nothing. Far-side 5xx stays 5xx; far-side 4xx, Tor errors and timeouts become 4xx (the MTA retries).',
    'Example: peergroup onionmx relay --lmtp 127.0.0.1:10024 --socks 127.0.0.1:9050 --map /etc/peergroup/onion.map',
  ].join('\n'),
  options,
  async run(ctx) {
    const config = loadRelayConfig(ctx);
    const logger = createLogger('onionmx-relay');
    if (flagOption(ctx, 'check-config')) {
      const routing = await checkRoutingConfig(config.routing, logger);
      const listeners = (['lmtp', 'smtp'] as const).filter((k) => config[k]).map((k) => `${k} ${formatHostPort(config[k]!)}`);
      return reportCheck(ctx, [...listeners, `socks ${formatHostPort(config.socks)} (tls ${config.tls})`, ...routing]);
    }
    const registry = createMetricsRegistry();
    return runService(ctx, logger, () => startRelay(config, { logger, registry }), routingStartupError);
  },
};
