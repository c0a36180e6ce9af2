import { formatHostPort, type Logger, type RunningService } from '@peergroup/service';
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
 * Start-up failures the operator fixes in the configuration (a listener that cannot bind) become ConfigError, so they
 * exit 78 with the message instead of a stack trace. The services that load maps add theirs (routingStartupError in
 * routing-check.ts): this module is in every daemon, and onionmx's routing is not (accounts has no maps).
 */
export function asStartupError(err: unknown): unknown {
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
export async function runService(
  ctx: CommandContext,
  logger: Logger,
  start: () => Promise<RunningService>,
  startupError: (err: unknown) => unknown = asStartupError,
): Promise<number> {
  let service: RunningService;
  try {
    service = await start();
  } catch (err) {
    throw startupError(err);
  }
  // The UNIX sockets first: serve's supervisor takes the process as up at the metrics line, the last address.
  const listeners = {
    ...service.sockets,
    ...Object.fromEntries(Object.entries(service.addresses).map(([name, hp]) => [name, formatHostPort(hp)])),
  };
  for (const [name, addr] of Object.entries(listeners)) ctx.stdout.write(`${name} ${addr}\n`);
  logger.info({ service: service.name, listeners, ...service.summary }, 'started');
  await untilStopped(ctx.stopSignal);
  logger.info({ service: service.name }, 'stopping');
  await service.close();
  logger.info({ service: service.name }, 'stopped');
  return 0;
}

/** The `--check-config` answer: "configuration OK" and then, indented, what was loaded. */
export function reportCheck(ctx: CommandContext, lines: string[]): number {
  ctx.stdout.write(`configuration OK\n${lines.map((l) => `  ${l}\n`).join('')}`);
  return 0;
}
