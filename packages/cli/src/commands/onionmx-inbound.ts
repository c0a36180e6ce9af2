import { reportCheck, runService } from '../run-service.ts';
import { loadConfig } from '../config.ts';
import { flagTableOptions, flagTableOverrides, type FlagTable } from '../flag-table.ts';
import { UsageError, flagOption, listOption, stringOption, type Command, type CommandContext, type OptionSpec } from '../command.ts';
import { inboundConfigSchema, type InboundConfig } from '@peergroup/onionmx/inbound';
import { startInbound, type InboundService } from '@peergroup/onionmx/inbound';
import { createLogger, createMetricsRegistry, type Logger } from '@peergroup/service';
import { formatHostPort } from '@peergroup/service';

/** Inbound flag → [config key, kind, help]; numbers and durations reach the schema so its messages name the key. */
const inboundFlags: FlagTable = {
  'probe-cache': [
    'probeCache',
    'duration-s',
    { description: 'how long a recipient probe result is cached (4xx never)', defaultText: '5m' },
  ],
  'probe-cache-seconds': ['probeCacheSeconds', 'duration-s', { description: 'older name of --probe-cache' }],
  'max-message-size': ['limits.messageSize', 'number', { arg: 'BYTES', description: 'message size limit (SIZE)', defaultText: '26214400' }],
  'max-recipients': ['limits.recipients', 'number', { arg: 'N', description: 'recipients per message', defaultText: '100' }],
  'max-sessions': ['limits.sessions', 'number', { arg: 'N', description: 'concurrent sessions; more get 421', defaultText: '100' }],
  'max-line-length': [
    'limits.lineLength',
    'number',
    { arg: 'BYTES', description: 'longest message line, CRLF included', defaultText: '16384' },
  ],
  'max-command-length': ['limits.commandLength', 'number', { arg: 'BYTES', description: 'longest command line', defaultText: '2048' }],
  'command-timeout': ['timeouts.command', 'duration-s', { description: 'how long a client may idle between commands', defaultText: '2m' }],
  'data-timeout': ['timeouts.data', 'duration-s', { description: 'time allowed for one message transfer', defaultText: '10m' }],
  'session-timeout': ['timeouts.session', 'duration-s', { description: 'how long a whole session may last', defaultText: '30m' }],
  'mx-connect-timeout': ['mxTimeouts.connect', 'duration-s', { description: 'connecting to the MX', defaultText: '30s' }],
  'mx-greeting-timeout': ['mxTimeouts.greeting', 'duration-s', { description: 'waiting for the MX greeting', defaultText: '5m' }],
  'mx-command-timeout': ['mxTimeouts.command', 'duration-s', { description: 'waiting for the MX reply to a command', defaultText: '5m' }],
  'mx-data-init-timeout': ['mxTimeouts.dataInit', 'duration-s', { description: 'waiting for the MX 354', defaultText: '2m' }],
  'mx-data-block-timeout': [
    'mxTimeouts.dataBlock',
    'duration-s',
    { description: 'how long the MX may stall reading data', defaultText: '3m' },
  ],
  'mx-data-term-timeout': [
    'mxTimeouts.dataTerm',
    'duration-s',
    { description: 'waiting for the MX reply to the end of data', defaultText: '10m' },
  ],
};

const options: Record<string, OptionSpec> = {
  config: { type: 'string', arg: 'FILE', description: 'YAML config file; settings are read from its --section' },
  section: { type: 'string', arg: 'KEY', description: 'key of the inbound settings in --config', defaultText: 'inbound' },
  'check-config': { type: 'boolean', description: 'validate the configuration, print what it would run with, exit' },
  listen: {
    type: 'string',
    arg: 'HOST:PORT',
    description: 'where torrc HiddenServicePort 25 points',
    defaultText: '127.0.0.1:2525',
    configKey: 'listen',
  },
  mx: { type: 'string', arg: 'HOST:PORT', description: 'the internal MX every transaction is forwarded to (required)', configKey: 'mx' },
  hostname: {
    type: 'string',
    arg: 'NAME',
    description: 'our name in the banner and towards the MX',
    defaultText: 'localhost',
    configKey: 'hostname',
  },
  domain: { type: 'string', multiple: true, arg: 'DOMAIN', description: 'a domain we accept mail for', configKey: 'domains' },
  domains: { type: 'string', arg: 'LIST', description: 'the same as --domain, comma-separated', configKey: 'domains' },
  'recipient-check': {
    type: 'string',
    arg: 'domains|probe',
    description: 'domains: the --domain list only; probe: also what the MX accepts in a probe',
    defaultText: 'domains',
    configKey: 'recipientCheck',
  },
  dsn: {
    type: 'string',
    arg: 'failure-only|strip|pass',
    description: 'delivery report requests passed on: failure-only drops NOTIFY=SUCCESS/DELAY and sends RET=FULL as HDRS',
    defaultText: 'failure-only',
    configKey: 'dsn',
  },
  xclient: { type: 'boolean', description: 'present the pseudo client with Postfix XCLIENT (the default)', configKey: 'forward.mode' },
  'proxy-protocol': {
    type: 'string',
    arg: 'v1|v2',
    description: 'present the pseudo client with a PROXY protocol header instead',
    configKey: 'forward.mode',
  },
  'forward-mode': {
    type: 'string',
    arg: 'xclient|proxy-v1|proxy-v2|none',
    description: 'the same as --xclient / --proxy-protocol; none only for an MX on another host',
    configKey: 'forward.mode',
  },
  'client-name': {
    type: 'string',
    arg: 'NAME',
    description: 'XCLIENT NAME of the pseudo client',
    defaultText: 'onion',
    configKey: 'forward.clientName',
  },
  'client-address': {
    type: 'string',
    arg: 'IP',
    description: 'address of the pseudo client (XCLIENT ADDR / PROXY source)',
    defaultText: '192.0.2.1',
    configKey: 'forward.clientAddress',
  },
  'proxy-destination': {
    type: 'string',
    arg: 'IP',
    description: 'PROXY destination address',
    defaultText: '127.0.0.1 or ::1',
    configKey: 'forward.destinationAddress',
  },
  ...flagTableOptions(inboundFlags),
  metrics: {
    type: 'string',
    arg: 'HOST:PORT',
    description: 'serve Prometheus /metrics and /healthz here (loopback)',
    configKey: 'metrics.listen',
  },
};

function domainList(ctx: CommandContext): string[] | undefined {
  const list = [...(listOption(ctx, 'domain') ?? []), ...(stringOption(ctx, 'domains')?.split(',') ?? [])]
    .map((d) => d.trim())
    .filter(Boolean);
  return ctx.values.domain === undefined && ctx.values.domains === undefined ? undefined : list;
}

export function loadInboundConfig(ctx: CommandContext): InboundConfig {
  const modeFlags = [
    flagOption(ctx, 'xclient') ? 'xclient' : undefined,
    stringOption(ctx, 'proxy-protocol'),
    stringOption(ctx, 'forward-mode'),
  ].filter(Boolean);
  if (modeFlags.length > 1) throw new UsageError('give only one of --xclient, --proxy-protocol, --forward-mode');
  let mode: string | undefined = stringOption(ctx, 'forward-mode');
  if (flagOption(ctx, 'xclient')) mode = 'xclient';
  const proxy = stringOption(ctx, 'proxy-protocol');
  if (proxy !== undefined) {
    if (proxy !== 'v1' && proxy !== 'v2') throw new UsageError('--proxy-protocol takes v1 or v2');
    mode = `proxy-${proxy}`;
  }
  const overrides: Record<string, unknown> = {
    listen: stringOption(ctx, 'listen'),
    mx: stringOption(ctx, 'mx'),
    hostname: stringOption(ctx, 'hostname'),
    domains: domainList(ctx),
    recipientCheck: stringOption(ctx, 'recipient-check'),
    dsn: stringOption(ctx, 'dsn'),
    'forward.mode': mode,
    'forward.clientName': stringOption(ctx, 'client-name'),
    'forward.clientAddress': stringOption(ctx, 'client-address'),
    'forward.destinationAddress': stringOption(ctx, 'proxy-destination'),
    'metrics.listen': stringOption(ctx, 'metrics'),
  };
  flagTableOverrides(ctx, inboundFlags, overrides);
  return loadConfig(inboundConfigSchema, {
    file: stringOption(ctx, 'config'),
    section: stringOption(ctx, 'section') ?? 'inbound',
    overrides,
  });
}

/**
 * SIGHUP re-reads the configuration and applies `domains` (a set swap, safe mid-session); everything else binds
 * sockets or shapes sessions already running, so it is only named as needing a restart. A bad file keeps the old
 * domains: a reload must never leave the front accepting nothing, or everything.
 */
function reloadDomainsOnHup(ctx: CommandContext, config: InboundConfig, service: InboundService, logger: Logger): InboundService {
  const onHup = () => {
    let next: InboundConfig;
    try {
      next = loadInboundConfig(ctx);
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'SIGHUP: configuration not reloaded, keeping the previous domains');
      return;
    }
    service.setDomains(next.domains);
    const restartFor = (Object.keys(next) as (keyof InboundConfig)[]).filter(
      (k) => k !== 'domains' && JSON.stringify(next[k]) !== JSON.stringify(config[k]),
    );
    logger.info({ domains: next.domains, ...(restartFor.length ? { restartFor } : {}) }, 'SIGHUP: domains reloaded');
  };
  process.on('SIGHUP', onHup);
  return { ...service, close: () => (process.off('SIGHUP', onHup), service.close()) };
}

export const command: Command = {
  path: ['onionmx', 'inbound'],
  summary: 'SMTP front of our onion MX: accepts mail for our domains only and forwards it to the internal MX',
  details: [
    'Point torrc at it: HiddenServicePort 25 <--listen>. Every RCPT is parsed strictly (no source routes, % hacks,',
    '! paths, quoted @, literals, trailing dots) and must be for a --domain. Each transaction is forwarded to --mx',
    'synchronously (250 only after the MX said 250); the MX sees the pseudo client (XCLIENT or PROXY protocol),',
    'never the loopback address. No AUTH, no STARTTLS (the onion service encrypts). Logs are JSON on stderr.',
  ].join('\n'),
  options,
  async run(ctx) {
    if (ctx.positionals.length) throw new UsageError(`unexpected argument "${ctx.positionals[0]}"`);
    const config = loadInboundConfig(ctx);
    const logger = createLogger('onionmx-inbound');
    if (flagOption(ctx, 'check-config')) {
      return reportCheck(ctx, [
        `smtp ${formatHostPort(config.listen)}`,
        `mx ${formatHostPort(config.mx)} (${config.forward.mode === 'none' ? 'no pseudo client' : config.forward.mode})`,
        `domains: ${config.domains.join(', ') || 'none'}`,
        `recipient check: ${config.recipientCheck}`,
        ...(config.metrics ? [`metrics ${formatHostPort(config.metrics.listen)}`] : []),
      ]);
    }
    const registry = createMetricsRegistry();
    return runService(ctx, logger, async () => reloadDomainsOnHup(ctx, config, await startInbound(config, { logger, registry }), logger));
  },
};
