import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { UsageError, listOption, numberOption, stringOption, type CommandContext } from './command.ts';
import { configFileFor } from './config-file.ts';
import { checkConfig, ConfigError, readConfigFile, setDotted, type ConfigProblem } from './config.ts';
import { inboundConfigSchema, loadMapFile, relayConfigSchema, routerConfigSchema, routingConfigSchema } from '@peergroup/onionmx';
import { duration, formatHostPort, loopbackHostPortSchema } from '@peergroup/service';
import { accountsConfigSchema } from '@peergroup/accounts';
import { serviceNames, type ServiceName } from './supervisor/services.ts';

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
    /** How long a service may take to stop after SIGTERM before it is killed. */
    stopTimeout: duration({ unit: 's', min: 0, max: 600_000 }).prefault('10s'),
    /** One /metrics and /healthz for every service serve runs (the supervisor gathers the children's). */
    metrics: z
      .object({ listen: loopbackHostPortSchema.prefault('127.0.0.1:9464') })
      .strict()
      .prefault({}),
    /** Routing (maps, resolver, DNSSEC, own domains) is configured once and shared by router and relay. */
    routing: z.record(z.string(), z.unknown()).optional(),
    ...Object.fromEntries(serviceNames.map((n) => [n, z.record(z.string(), z.unknown()).optional()])),
  })
  .strict();

export interface ServePlan {
  /** The config file, or "embedded default": what problems found later (in the maps) are reported against. */
  source: string;
  logLevel: string;
  stopTimeoutMs: number;
  metrics: { host: string; port: number };
  routing: z.output<typeof routingConfigSchema>;
  router?: z.output<typeof routerConfigSchema>;
  relay?: z.output<typeof relayConfigSchema>;
  inbound?: z.output<typeof inboundConfigSchema>;
  accounts?: z.output<typeof accountsConfigSchema>;
  /**
   * Per enabled service, the config document its own process reads (`--config`): its section as validated here
   * (defaults merged, `enabled` dropped) and, for router and relay, the top-level routing. Only the input that
   * passed validation, never the parsed output, so the child's schema reads exactly what was checked.
   */
  documents: Partial<Record<ServiceName, Record<string, unknown>>>;
}

/** File + --set overrides + embedded defaults → one validated plan; every error names its dotted key. */
export function planServe(raw: Record<string, unknown>, source: string, only?: ServiceName[]): ServePlan {
  const problems: ConfigProblem[] = [];
  const checkedTop = checkConfig(topLevelSchema, raw);
  let top: z.output<typeof topLevelSchema>;
  if (checkedTop.ok) top = checkedTop.data;
  else {
    // Every problem at once: go on without the top-level keys that have one, so the sections are checked too.
    problems.push(...checkedTop.problems);
    const bad = new Set(checkedTop.problems.map((p) => p.path.split('.')[0]));
    const rest = topLevelSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([k]) => !bad.has(k))));
    top = rest.success ? rest.data : topLevelSchema.parse({});
  }
  const routingRaw = top.routing ?? {};
  const routing = checkConfig(routingConfigSchema, routingRaw, 'routing');
  if (!routing.ok) problems.push(...routing.problems);
  const plan: ServePlan = {
    source,
    logLevel: top.logLevel,
    stopTimeoutMs: top.stopTimeout,
    metrics: top.metrics.listen,
    routing: routing.ok ? routing.data : routingConfigSchema.parse({}),
    documents: {},
  };
  for (const name of serviceNames) {
    const section = structuredClone((top as Record<string, unknown>)[name] as Record<string, unknown> | undefined);
    const { enabled, ...rest } = section ?? {};
    if (enabled !== undefined && typeof enabled !== 'boolean')
      problems.push({ key: `${name}.enabled`, path: `${name}.enabled`, message: 'must be true or false' });
    const on = only ? only.includes(name) : enabled === false ? false : enabled === true || name !== 'inbound' || section !== undefined;
    if (!on) continue;
    if ('routing' in rest)
      problems.push({
        key: `${name}.routing`,
        path: `${name}.routing`,
        message: 'under peergroup serve, routing is set once at the top level ("routing:")',
      });
    if ('metrics' in rest)
      problems.push({
        key: `${name}.metrics`,
        path: `${name}.metrics`,
        message: 'under peergroup serve, metrics are served for all services at "metrics.listen"',
      });
    const defaults = embeddedDefaults[name];
    const hasListener = listenerKeys[name].some((k) => k in rest);
    const merged: Record<string, unknown> = { ...defaults, ...rest };
    if (hasListener) for (const k of listenerKeys[name]) if (!(k in rest)) delete merged[k];
    delete merged.metrics; // reported above; the service schema would only repeat it
    const routes = name === 'router' || name === 'relay';
    const checked = checkConfig(sectionSchemas[name], routes ? { ...merged, routing: routingRaw } : merged, name);
    if (checked.ok) {
      (plan as unknown as Record<ServiceName, unknown>)[name] = checked.data;
      plan.documents[name] = { ...(routes ? { routing: routingRaw } : {}), [name]: merged };
    }
    // Routing problems were reported once above, not again under each service that embeds routing.
    else problems.push(...checked.problems.filter((p) => p.key !== `${name}.routing` && !p.key.startsWith(`${name}.routing.`)));
  }
  if (problems.length) throw new ConfigError('', { source, problems });
  return plan;
}

/**
 * What --check-config loaded, one line per listener and map, so "OK" can be compared with what was meant. A map the
 * router and relay would refuse at start (unreadable, or invalid entries under strictMaps) is a ConfigError here too:
 * the check must not pass a file that serve then refuses (the hardened unit runs it as ExecStartPre).
 */
export async function describePlan(plan: ServePlan): Promise<string[]> {
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
  if (plan.inbound)
    lines.push(
      `inbound smtp ${hp(plan.inbound.listen)} -> mx ${hp(plan.inbound.mx)} (domains: ${plan.inbound.domains.join(', ') || 'none'})`,
    );
  if (plan.accounts) lines.push(`accounts http ${hp(plan.accounts.listen)} (data ${plan.accounts.dataDir})`);
  lines.push(`metrics ${hp(plan.metrics)}`);
  if (plan.router || plan.relay) {
    const r = plan.routing;
    const problems: ConfigProblem[] = [];
    for (const [i, m] of r.maps.entries()) {
      const at = { key: `routing.maps.${i}.path`, path: `routing.maps.${i}.path` };
      try {
        const p = await loadMapFile(m);
        lines.push(
          `routing map ${m.path}: ${p.entries.length} ${p.entries.length === 1 ? 'entry' : 'entries'}${p.refused.length ? `, ${p.refused.length} skipped as invalid` : ''}`,
        );
        if (r.strictMaps && p.refused.length) {
          const which = p.refused.map((x) => `line ${x.line}: ${x.reason}`).join('; ');
          problems.push({ ...at, message: `${m.path}: invalid entries (strictMaps is on; router and relay would not start): ${which}` });
        }
      } catch (err) {
        problems.push({ ...at, message: `${(err as Error).message} (router and relay would not start)` });
      }
    }
    if (problems.length) throw new ConfigError('', { source: plan.source, problems });
    if (r.maps.length === 0) lines.push('routing maps: none');
    lines.push(`routing srv ${r.srv ? `on (resolver ${r.resolver.servers.map(hp).join(', ')}, dnssec ${r.dnssec})` : 'off'}`);
  }
  return lines;
}

function parseOnly(text: string | undefined): ServiceName[] | undefined {
  if (text === undefined) return undefined;
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(serviceNames as readonly string[]).includes(n))
      throw new UsageError(`--only: unknown service "${n}" (known: ${serviceNames.join(', ')})`);
  }
  return names as ServiceName[];
}

/** serve's flags and config file (or the embedded default) → the validated plan. */
export function planFromOptions(ctx: CommandContext): ServePlan {
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
  setDotted(raw, 'stopTimeout', numberOption(ctx, 'stop-timeout'));
  return planServe(raw, file ?? 'embedded default', parseOnly(stringOption(ctx, 'only')));
}
