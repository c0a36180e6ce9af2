import { readConfigFile, validateConfig, ConfigError } from '../config.ts';
import { setDotted } from '../config.ts';
import { UsageError, flagOption, stringOption, type Command, type CommandContext } from '../command.ts';
import { routingOptions, routingOverrides } from '../routing-flags.ts';
import { routingConfigSchema, type RoutingConfig } from '@peergroup/onionmx/routing';
import { createRouteResolver } from '@peergroup/onionmx/routing';
import { MapLoadError } from '@peergroup/onionmx/routing';
import { terminalLogger } from '../terminal-log.ts';
import type { RouteDecision } from '@peergroup/onionmx/routing';

export const EXIT_ONION = 0;
export const EXIT_NONE = 1;
export const EXIT_TEMPFAIL = 75; // EX_TEMPFAIL, as an MTA would treat it

/** Reads the routing section (a dotted key, e.g. `routing` or `router.routing`) of a config file, applies flags, validates. */
export function loadRoutingConfig(ctx: CommandContext): RoutingConfig {
  const file = stringOption(ctx, 'config');
  const section = stringOption(ctx, 'section') ?? 'routing';
  let raw: Record<string, unknown> = {};
  if (file) {
    let node: unknown = readConfigFile(file);
    for (const key of section.split('.')) {
      node = node && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined;
    }
    if (node !== undefined && (typeof node !== 'object' || node === null || Array.isArray(node))) {
      throw new ConfigError(`${file}: ${section}: must be a mapping`);
    }
    raw = structuredClone((node as Record<string, unknown> | undefined) ?? {});
  }
  for (const [key, value] of Object.entries(routingOverrides(ctx))) setDotted(raw, key, value);
  return validateConfig(routingConfigSchema, raw, file ?? 'command line', file ? section : '');
}

export function formatDecision(d: RouteDecision): string {
  const lines: string[] = [];
  switch (d.kind) {
    case 'onion':
      lines.push(`${d.domain}: onion ${d.host}:${d.port}`);
      lines.push(`  source   ${d.source === 'map' ? 'curated map' : 'SRV record'}`);
      for (const t of d.targets) lines.push(`  target   ${t.host}:${t.port}`);
      lines.push(`  dnssec   ${d.dnssec ? 'validated (AD bit from the resolver)' : 'not validated'}`);
      lines.push(`  ttl      ${d.ttl} s`);
      break;
    case 'none':
      lines.push(`${d.domain}: none (no onion route; the mail goes the usual way)`);
      lines.push(`  ttl      ${d.ttl} s`);
      break;
    case 'tempfail':
      lines.push(`${d.domain}: tempfail (no decision now; the MTA keeps the mail queued and retries)`);
      break;
  }
  lines.push(`  why      ${d.reason}`);
  return lines.join('\n') + '\n';
}

export const command: Command = {
  path: ['onionmx', 'route'],
  summary: 'Show where mail for an address or domain would go (onion, none or tempfail) and why',
  usage: '<address|domain>',
  details: [
    'Makes the same routing decision as the router and relay: own domains and the ignore list give "none",',
    'then the curated maps, then the _onion-mx._tcp SRV record (with the --dnssec policy).',
    'Exit status: 0 onion, 1 none, 75 tempfail (DNS timeout, SERVFAIL, bogus DNSSEC), 64 usage, 78 configuration.',
  ].join('\n'),
  options: {
    config: { type: 'string', arg: 'FILE', description: 'YAML config file; routing settings are read from its --section' },
    section: { type: 'string', arg: 'KEY', description: 'dotted key of the routing settings in --config', defaultText: 'routing' },
    ...routingOptions,
    // One lookup and exit: the daemons' wording ("refuse to start or reload", file watching) would not fit.
    'strict-maps': {
      ...routingOptions['strict-maps']!,
      description: 'exit 78 when a map has an invalid entry (what would stop the router and relay from starting)',
    },
    'no-watch-maps': { ...routingOptions['no-watch-maps']!, hidden: true },
    json: { type: 'boolean', description: 'print the decision as one JSON object' },
  },
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UsageError('give exactly one recipient address or domain');
    const config = { ...loadRoutingConfig(ctx), watchMaps: false };
    const logger = terminalLogger(ctx, 'onionmx-route');
    let resolver;
    try {
      resolver = await createRouteResolver(config, { logger, sighup: false });
    } catch (err) {
      if (err instanceof MapLoadError) throw new ConfigError(err.message);
      throw err;
    }
    try {
      const decision = await resolver.decide(ctx.positionals[0]!);
      ctx.stdout.write(flagOption(ctx, 'json') ? JSON.stringify(decision) + '\n' : formatDecision(decision));
      return decision.kind === 'onion' ? EXIT_ONION : decision.kind === 'none' ? EXIT_NONE : EXIT_TEMPFAIL;
    } finally {
      await resolver.close();
    }
  },
};
