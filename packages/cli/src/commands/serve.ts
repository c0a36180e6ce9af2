import { asStartupError, untilStopped } from '../run-service.ts';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { flagOption, listOption, stringOption, UsageError, type Command, type OptionSpec } from '../command.ts';
import { configFileFor, configFileHelp } from '../config-file.ts';
import { checkConfig, ConfigError, readConfigFile, setDotted, validateConfig, type ConfigProblem } from '../config.ts';
import { createRouteResolver, inboundConfigSchema, relayConfigSchema, routerConfigSchema, routingConfigSchema, startInbound, startRelay, startRouter } from '@peergroup/onionmx';
import { createLogger, formatHostPort, loopbackHostPortSchema, startMetricsServer, type RunningService } from '@peergroup/service';
import { accountsConfigSchema, startAccounts } from '@peergroup/accounts';
import { loadMapFile } from '@peergroup/onionmx';

const serviceNames = ['router', 'relay', 'inbound', 'accounts'] as const;
type ServiceName = (typeof serviceNames)[number];

/**
 * The embedded default: what `npm start` runs with no config file. Every listener is on loopback, data under ./data.
 * The inbound front is off until the operator names the internal MX and the domains it receives for.
 */
const embeddedDefaults: Record<ServiceName, Record<string, unknown>> = {
  router: {
    tcpTable: { listen: '127.0.0.1:23000', reply: 'relay' },
    socketmap: { listen: '127.0.0.1:23001', reply: 'relay' },
    exim: { listen: '127.0.0.1:23002', reply: 'exim-route' },
    relay: { address: '127.0.0.1:10024', protocol: 'lmtp' },
  },
  relay: { lmtp: '127.0.0.1:10024', smtp: '127.0.0.1:10025' },
  inbound: {},
  accounts: { dataDir: './data' },
};
const sectionSchemas = {
  router: routerConfigSchema,
  relay: relayConfigSchema,
  inbound: inboundConfigSchema,
  accounts: accountsConfigSchema,
} satisfies Record<ServiceName, z.ZodType>;

const listenerKeys: Record<ServiceName, string[]> = {
  router: ['tcpTable', 'socketmap', 'exim'],
  relay: ['lmtp', 'smtp'],
  inbound: [],
  accounts: [],
};

const topLevelSchema = z
  .object({
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** One /metrics and /healthz for every service this process runs. */
    metrics: z.object({ listen: loopbackHostPortSchema.prefault('127.0.0.1:9464') }).strict().prefault({}),
    /** Routing (maps, resolver, DNSSEC, own domains) is configured once and shared by router and relay. */
    routing: z.record(z.string(), z.unknown()).optional(),
    ...Object.fromEntries(serviceNames.map((n) => [n, z.record(z.string(), z.unknown()).optional()])),
  })
  .strict();

const options: Record<string, OptionSpec> = {
  config: { type: 'string', arg: 'FILE', description: `YAML config file with sections routing, router, relay, inbound, accounts (${configFileHelp})` },
  set: {
    type: 'string',
    multiple: true,
    arg: 'KEY=VALUE',
    description: 'set any config key, e.g. --set router.tcpTable.listen=127.0.0.1:0 (VALUE is read as YAML)',
  },
  only: { type: 'string', arg: 'LIST', description: 'run only these services (comma-separated: router,relay,inbound,accounts)' },
  data: { type: 'string', arg: 'DIR', description: 'data directory of the accounts service', configKey: 'accounts.dataDir', defaultText: './data' },
  'log-level': { type: 'string', arg: 'LEVEL', description: 'pino log level', configKey: 'logLevel', defaultText: 'info' },
  metrics: { type: 'string', arg: 'IP:PORT', description: 'Prometheus /metrics and /healthz for all services', configKey: 'metrics.listen', defaultText: '127.0.0.1:9464' },
  'check-config': { type: 'boolean', description: 'validate the whole configuration, print what would run, exit' },
};

export interface ServePlan {
  logLevel: string;
  metrics: { host: string; port: number };
  routing: z.output<typeof routingConfigSchema>;
  router?: z.output<typeof routerConfigSchema>;
  relay?: z.output<typeof relayConfigSchema>;
  inbound?: z.output<typeof inboundConfigSchema>;
  accounts?: z.output<typeof accountsConfigSchema>;
}

/** File + --set overrides + embedded defaults → one validated plan; every error names its dotted key. */
export function planServe(raw: Record<string, unknown>, source: string, only?: ServiceName[]): ServePlan {
  const top = validateConfig(topLevelSchema, raw, source);
  const routingRaw = top.routing ?? {};
  const problems: ConfigProblem[] = [];
  const routing = checkConfig(routingConfigSchema, routingRaw, 'routing');
  if (!routing.ok) problems.push(...routing.problems);
  const plan: ServePlan = { logLevel: top.logLevel, metrics: top.metrics.listen, routing: routing.ok ? routing.data : routingConfigSchema.parse({}) };
  for (const name of serviceNames) {
    const section = structuredClone((top as Record<string, unknown>)[name] as Record<string, unknown> | undefined);
    const { enabled, ...rest } = section ?? {};
    if (enabled !== undefined && typeof enabled !== 'boolean') problems.push({ key: `${name}.enabled`, path: `${name}.enabled`, message: 'must be true or false' });
    const on = only ? only.includes(name) : enabled === false ? false : enabled === true || name !== 'inbound' || section !== undefined;
    if (!on) continue;
    if ('routing' in rest) problems.push({ key: `${name}.routing`, path: `${name}.routing`, message: 'under peergroup serve, routing is set once at the top level ("routing:")' });
    if ('metrics' in rest) problems.push({ key: `${name}.metrics`, path: `${name}.metrics`, message: 'under peergroup serve, metrics are served for all services at "metrics.listen"' });
    const defaults = embeddedDefaults[name];
    const hasListener = listenerKeys[name].some((k) => k in rest);
    const merged: Record<string, unknown> = { ...defaults, ...rest };
    if (hasListener) for (const k of listenerKeys[name]) if (!(k in rest)) delete merged[k];
    delete merged.metrics; // reported above; the service schema would only repeat it
    if (name === 'router' || name === 'relay') merged.routing = routingRaw;
    const checked = checkConfig(sectionSchemas[name], merged, name);
    if (checked.ok) (plan as Record<ServiceName, unknown>)[name] = checked.data;
    // Routing problems were reported once above, not again under each service that embeds routing.
    else problems.push(...checked.problems.filter((p) => p.key !== `${name}.routing` && !p.key.startsWith(`${name}.routing.`)));
  }
  if (problems.length) throw new ConfigError('', { source, problems });
  return plan;
}

/** What --check-config loaded, one line per listener and map, so "OK" can be compared with what was meant. */
async function describePlan(plan: ServePlan): Promise<string[]> {
  const lines: string[] = [];
  const hp = (x: { host: string; port: number }) => formatHostPort(x);
  if (plan.router) {
    for (const k of ['tcpTable', 'socketmap', 'exim'] as const) {
      const l = plan.router[k];
      if (l) lines.push(`router ${k} ${hp(l.listen)} (${l.reply})`);
    }
  }
  if (plan.relay) {
    for (const k of ['lmtp', 'smtp'] as const) if (plan.relay[k]) lines.push(`relay ${k} ${hp(plan.relay[k])}`);
    lines.push(`relay socks ${hp(plan.relay.socks)} (tls ${plan.relay.tls})`);
  }
  if (plan.inbound) lines.push(`inbound smtp ${hp(plan.inbound.listen)} -> mx ${hp(plan.inbound.mx)} (domains: ${plan.inbound.domains.join(', ') || 'none'})`);
  if (plan.accounts) lines.push(`accounts http ${hp(plan.accounts.listen)} (data ${plan.accounts.dataDir})`);
  lines.push(`metrics ${hp(plan.metrics)}`);
  if (plan.router || plan.relay) {
    const r = plan.routing;
    for (const m of r.maps) {
      // Read here without failing: the settings are valid, and the operator learns what start-up would trip over.
      const parsed = await loadMapFile(m).then(
        (p) => `${p.entries.length} ${p.entries.length === 1 ? 'entry' : 'entries'}${p.refused.length ? `, ${p.refused.length} skipped as invalid` : ''}`,
        (err: Error) => `${err.message.replace(`${m.path}: `, '')} (router and relay would not start)`,
      );
      lines.push(`routing map ${m.path}: ${parsed}`);
    }
    if (r.maps.length === 0) lines.push('routing maps: none');
    lines.push(`routing srv ${r.srv ? `on (resolver ${r.resolver.servers.map(hp).join(', ')}, dnssec ${r.dnssec})` : 'off'}`);
  }
  return lines;
}

function parseOnly(text: string | undefined): ServiceName[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(serviceNames as readonly string[]).includes(n)) throw new UsageError(`--only: unknown service "${n}" (known: ${serviceNames.join(', ')})`);
  }
  return names as ServiceName[];
}

export const command: Command = {
  path: ['serve'],
  summary: 'Run every service (router, relay, inbound, accounts) from one config file — or the embedded default',
  details: [
    'Config file: --config, else $PEERGROUP_CONFIG, else /etc/peergroup/peergroup.yaml if it exists (accounts admin reads the same).',
    'Without one this runs the embedded default: router (tcp_table 127.0.0.1:23000, socketmap :23001,',
    'Exim readsocket :23002, answering with the relay), relay (LMTP 127.0.0.1:10024, SMTP :10025, Tor at',
    '127.0.0.1:9050), accounts (http://127.0.0.1:8080, SQLite under ./data), metrics at 127.0.0.1:9464.',
    'The inbound front runs once the config has an "inbound" section (it needs mx and domains).',
    'A section with "enabled: false" is not run. Each service also runs alone: peergroup onionmx router, ...',
  ].join('\n'),
  options,
  async run(ctx) {
    const file = configFileFor(stringOption(ctx, 'config'));
    const raw: Record<string, unknown> = file ? readConfigFile(file) : {};
    for (const assignment of listOption(ctx, 'set') ?? []) {
      const eq = assignment.indexOf('=');
      if (eq <= 0) throw new UsageError(`--set takes KEY=VALUE, got "${assignment}"`);
      setDotted(raw, assignment.slice(0, eq), parseYaml(assignment.slice(eq + 1)) ?? '');
    }
    setDotted(raw, 'accounts.dataDir', stringOption(ctx, 'data'));
    setDotted(raw, 'logLevel', stringOption(ctx, 'log-level'));
    setDotted(raw, 'metrics.listen', stringOption(ctx, 'metrics'));
    const plan = planServe(raw, file ?? 'embedded default', parseOnly(stringOption(ctx, 'only')));

    if (flagOption(ctx, 'check-config')) {
      const running = serviceNames.filter((n) => plan[n]);
      ctx.stdout.write(`configuration OK; would run: ${running.join(', ') || 'nothing'}\n`);
      for (const line of await describePlan(plan)) ctx.stdout.write(`  ${line}\n`);
      return 0;
    }

    const logger = createLogger('peergroup', plan.logLevel);
    const registry = new Registry();
    const started: RunningService[] = [];
    const stopAll = async () => {
      for (const s of started.reverse()) await s.close().catch((err: unknown) => logger.error({ err, service: s.name }, 'close failed'));
    };
    try {
      // One resolver (one cache, one set of metrics) serves router and relay alike.
      const resolver = plan.router || plan.relay ? await createRouteResolver(plan.routing, { logger, registry }) : undefined;
      if (resolver) started.push({ name: 'routing', addresses: {}, close: () => resolver.close() });
      if (plan.router) started.push(await startRouter(plan.router, { logger: logger.child({ svc: 'router' }), registry, ...(resolver ? { resolver } : {}) }));
      if (plan.relay) started.push(await startRelay(plan.relay, { logger: logger.child({ svc: 'relay' }), registry, ...(resolver ? { resolver } : {}) }));
      if (plan.inbound) started.push(await startInbound(plan.inbound, { logger: logger.child({ svc: 'inbound' }), registry }));
      if (plan.accounts) started.push(await startAccounts(plan.accounts, { logger: logger.child({ svc: 'accounts' }), registry }));
      if (started.length === 0) throw new ConfigError('nothing to run: every service is disabled');
      started.push(await startMetricsServer(plan.metrics, [registry]));
    } catch (err) {
      await stopAll();
      throw asStartupError(err);
    }
    for (const s of started) {
      for (const [what, addr] of Object.entries(s.addresses)) ctx.stdout.write(`${s.name} ${what} ${formatHostPort(addr)}\n`);
    }
    ctx.stdout.write('peergroup: running; Ctrl-C stops\n');
    await untilStopped(ctx.stopSignal);
    await stopAll();
    return 0;
  },
};
