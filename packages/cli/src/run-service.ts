import { createRouteResolver, formatHostPort, type Logger, type RoutingConfig, type RunningService } from '@peergroup/onionmx';
import { MapLoadError } from '../../onionmx/src/map-store.ts';
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
  if (['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL'].includes((err as NodeJS.ErrnoException).code ?? '')) return new ConfigError((err as Error).message);
  return err;
}

/** The life of a single-service command: start, print the bound addresses, run until stopped, close. */
export async function runService(ctx: CommandContext, logger: Logger, start: () => Promise<RunningService>): Promise<number> {
  let service: RunningService;
  try {
    service = await start();
  } catch (err) {
    throw asStartupError(err);
  }
  for (const [name, hp] of Object.entries(service.addresses)) ctx.stdout.write(`${name} ${formatHostPort(hp)}\n`);
  await untilStopped(ctx.stopSignal);
  logger.info('stopping');
  await service.close();
  return 0;
}

/** `--check-config` for services that route: loads the maps (and fails on them under strictMaps) without serving. */
export async function checkRoutingConfig(routing: RoutingConfig, logger: Logger): Promise<void> {
  try {
    const resolver = await createRouteResolver({ ...routing, watchMaps: false }, { logger, sighup: false });
    await resolver.close();
  } catch (err) {
    throw asStartupError(err);
  }
}
