import { createRouteResolver, type RoutingConfig } from '@peergroup/onionmx/routing';
import { formatHostPort, type Logger, type RunningService } from '@peergroup/service';
import { MapLoadError } from '@peergroup/onionmx/routing';
import type { CommandContext } from './command.ts';
import { ConfigError } from './config.ts';

/** Resolves when the user asks the process to stop (SIGINT/SIGTERM), at once if that already happened. */
export function untilStopped(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Start-up failures the operator fixes in the configuration (a bad map under strictMaps, a listener that cannot
 * bind) become ConfigError, so they exit 78 with the message instead of a stack trace.
 */
export function asStartupError(err: unknown): unknown {
  if (err instanceof MapLoadError) return new ConfigError(err.message);
  if (['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL'].includes((err as NodeJS.ErrnoException).code ?? ''))
    return new ConfigError((err as Error).message);
  return err;
}

/**
 * The life of a single-service command, the same for every service: on start each listener as `<name> HOST:PORT` on
 * stdout (scripts read the bound port from there when they asked for port 0) and one `started` log line with the
 * service's summary (the services do not log their own start, so it is said once); on stop
 * `stopping`, then `stopped` once every listener is closed, so a supervisor can tell a clean stop from a hang.
 */
export async function runService(ctx: CommandContext, logger: Logger, start: () => Promise<RunningService>): Promise<number> {
  let service: RunningService;
  try {
    service = await start();
  } catch (err) {
    throw asStartupError(err);
  }
  const listeners = Object.fromEntries(Object.entries(service.addresses).map(([name, hp]) => [name, formatHostPort(hp)]));
  for (const [name, addr] of Object.entries(listeners)) ctx.stdout.write(`${name} ${addr}\n`);
  logger.info({ service: service.name, listeners, ...service.summary }, 'started');
  await untilStopped(ctx.stopSignal);
  logger.info({ service: service.name }, 'stopping');
  await service.close();
  logger.info({ service: service.name }, 'stopped');
  return 0;
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
    throw asStartupError(err);
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

/** The `--check-config` answer: "configuration OK" and then, indented, what was loaded. */
export function reportCheck(ctx: CommandContext, lines: string[]): number {
  ctx.stdout.write(`configuration OK\n${lines.map((l) => `  ${l}\n`).join('')}`);
  return 0;
}
