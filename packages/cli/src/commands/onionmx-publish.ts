import { loadConfig } from '../config.ts';
import { numberOption, UsageError, flagOption, listOption, stringOption, type Command } from '../command.ts';
import {
  publishConfigSchema,
  readHiddenServiceHostname,
  torrcLines,
  srvRecordLine,
  verifyPublished,
  formatFindings,
  PublishError,
} from '@peergroup/onionmx/publish';
import { SrvDiscovery } from '@peergroup/onionmx/routing';
import { terminalLogger } from '../terminal-log.ts';

export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
/** EX_NOINPUT: the HiddenServiceDir has no usable hostname file. */
export const EXIT_NO_HOSTNAME = 66;

export const command: Command = {
  path: ['onionmx', 'publish'],
  summary: 'Print the torrc lines and the _onion-mx._tcp SRV records for our onion MX; --verify checks DNS',
  details: [
    'Reads the onion address from <hidden-service-dir>/hostname and prints, in zone-file syntax, for each --domain:',
    '  _onion-mx._tcp.<domain>. 3600 IN SRV 0 5 25 <onion>.',
    "With --verify, looks the records up with the router's SRV discovery (AD bit = DNSSEC-validated) and reports",
    'what is missing or wrong. Exit status: 0 ok, 1 problems found by --verify, 66 no hostname file, 64 usage, 78 configuration.',
  ].join('\n'),
  options: {
    config: { type: 'string', arg: 'FILE', description: 'YAML config file; settings are read from its "publish" section' },
    'hidden-service-dir': {
      type: 'string',
      arg: 'DIR',
      description: 'the HiddenServiceDir of our onion MX (required)',
      configKey: 'hiddenServiceDir',
    },
    domain: {
      type: 'string',
      multiple: true,
      arg: 'DOMAIN',
      description: 'a mail domain served by this onion (required)',
      configKey: 'domains',
    },
    target: {
      type: 'string',
      arg: 'HOST:PORT',
      description: 'the inbound front the onion service forwards to',
      defaultText: '127.0.0.1:2525',
      configKey: 'target',
    },
    port: { type: 'string', arg: 'N', description: 'onion-side port, also the SRV port', defaultText: '25', configKey: 'port' },
    ttl: { type: 'string', arg: 'SECONDS', description: 'TTL of the SRV records', defaultText: '3600', configKey: 'ttl' },
    priority: { type: 'string', arg: 'N', description: 'SRV priority', defaultText: '0', configKey: 'priority' },
    weight: { type: 'string', arg: 'N', description: 'SRV weight', defaultText: '5', configKey: 'weight' },
    verify: { type: 'boolean', description: 'look the records up and report what is missing or wrong' },
    resolver: {
      type: 'string',
      multiple: true,
      arg: 'IP:PORT',
      description: 'DNS resolver for --verify (validating, for DNSSEC status)',
      defaultText: 'first nameserver in /etc/resolv.conf',
      configKey: 'verify.servers',
    },
    'dns-timeout': {
      type: 'string',
      arg: 'DURATION',
      description: 'per-try DNS timeout for --verify',
      defaultText: '2s',
      configKey: 'verify.timeout',
      durationUnit: 'ms',
    },
    dnssec: {
      type: 'string',
      arg: 'off|prefer|require',
      description: 'require: an unsigned record is reported as a problem',
      defaultText: 'prefer',
      configKey: 'verify.dnssec',
    },
  },
  async run(ctx) {
    if (ctx.positionals.length) throw new UsageError(`unexpected argument "${ctx.positionals[0]}"`);
    const config = loadConfig(publishConfigSchema, {
      file: stringOption(ctx, 'config'),
      section: 'publish',
      overrides: {
        hiddenServiceDir: stringOption(ctx, 'hidden-service-dir'),
        domains: listOption(ctx, 'domain'),
        target: stringOption(ctx, 'target'),
        port: numberOption(ctx, 'port'),
        ttl: numberOption(ctx, 'ttl'),
        priority: numberOption(ctx, 'priority'),
        weight: numberOption(ctx, 'weight'),
        'verify.servers': listOption(ctx, 'resolver'),
        'verify.timeout': numberOption(ctx, 'dns-timeout'),
        'verify.dnssec': stringOption(ctx, 'dnssec'),
      },
    });
    // tor refuses a relative HiddenServiceDir: a relative one is resolved here, from the current directory for the
    // flag and from the config file's directory for the file's key, so the printed torrc line can be pasted as is.
    const { dirname, isAbsolute, resolve } = await import('node:path');
    if (!isAbsolute(config.hiddenServiceDir)) {
      const file = stringOption(ctx, 'config');
      const base = stringOption(ctx, 'hidden-service-dir') === undefined && file ? dirname(resolve(file)) : process.cwd();
      config.hiddenServiceDir = resolve(base, config.hiddenServiceDir);
    }
    let onion: string;
    try {
      onion = readHiddenServiceHostname(config.hiddenServiceDir);
    } catch (err) {
      if (!(err instanceof PublishError)) throw err;
      ctx.stderr.write(`peergroup onionmx publish: ${err.message}\n`);
      return EXIT_NO_HOSTNAME;
    }
    const out: string[] = ['# torrc', ...torrcLines(config), '', '# DNS (zone-file syntax; sign the zone with DNSSEC)'];
    for (const domain of config.domains) out.push(srvRecordLine(domain, onion, config));
    ctx.stdout.write(out.join('\n') + '\n');
    if (!flagOption(ctx, 'verify')) return EXIT_OK;
    const srv = new SrvDiscovery({
      servers: config.verify.servers,
      timeoutMs: config.verify.timeout,
      retries: 1,
      tcpFallback: true,
      dnssec: config.verify.dnssec === 'require' ? 'prefer' : config.verify.dnssec,
      minTtl: 0,
      maxTtl: 0,
      negativeTtl: 0,
      maxEntries: 100,
      logger: terminalLogger(ctx, 'onionmx-publish'),
    });
    const findings = await verifyPublished(onion, config, (d) => srv.lookup(d));
    ctx.stdout.write('\n# verify\n' + formatFindings(findings));
    return findings.every((f) => f.ok) ? EXIT_OK : EXIT_PROBLEMS;
  },
};
