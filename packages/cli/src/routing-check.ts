import { createRouteResolver, MapLoadError, type RoutingConfig } from '@peergroup/onionmx/routing';
import { formatHostPort, type Logger } from '@peergroup/service';
import { ConfigError } from './config.ts';
import { asStartupError } from './run-service.ts';

/** asStartupError for the services that load maps: a bad map under strictMaps is the operator's to fix too (exit 78). */
export function routingStartupError(err: unknown): unknown {
  if (err instanceof MapLoadError) return new ConfigError(err.message);
  return asStartupError(err);
}

/**
 * `--check-config` for services that route: loads the maps (and fails on them under strictMaps) without serving, and
 * returns what it loaded as lines for the operator, so "OK" can be checked against what they meant to configure.
 */
export async function checkRoutingConfig(routing: RoutingConfig, logger: Logger): Promise<string[]> {
  let resolver;
  try {
    resolver = await createRouteResolver({ ...routing, watchMaps: false }, { logger, sighup: false });
  } catch (err) {
    throw routingStartupError(err);
  }
  try {
    const map = resolver.maps.current;
    const lines = routing.maps.map((m) => {
      const entries = map.entries.filter((e) => e.file === m.path).length;
      const refused = map.refused.filter((r) => r.file === m.path).length;
      return `map ${m.path}: ${entries} ${entries === 1 ? 'entry' : 'entries'}${refused ? `, ${refused} skipped as invalid` : ''}`;
    });
    if (routing.maps.length === 0) lines.push('maps: none');
    lines.push(
      `srv ${routing.srv ? `on (resolver ${routing.resolver.servers.map(formatHostPort).join(', ')}, dnssec ${routing.dnssec})` : 'off'}`,
    );
    if (routing.ownDomains.length) lines.push(`own domains: ${routing.ownDomains.join(', ')}`);
    if (routing.ignore.length) lines.push(`ignored domains: ${routing.ignore.join(', ')}`);
    return lines;
  } finally {
    await resolver.close();
  }
}
