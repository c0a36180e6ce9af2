import { join } from 'node:path';
import { cliPackageDir } from '../package-dir.ts';

/**
 * The services `peergroup serve` runs, each as its own process started with its own command. This module is what the
 * supervisor knows about them — command words and flags, nothing of their code — so the supervisor stays small and
 * the Tor-facing parsers never share an address space with the accounts server secret.
 */
export const serviceNames = ['router', 'relay', 'inbound', 'accounts'] as const;
export type ServiceName = (typeof serviceNames)[number];

export interface ServiceCommand {
  /** Command words after `peergroup`. */
  words: string[];
  /** The flag that puts the service's /metrics on a listener (the supervisor gathers it from there). */
  metricsFlag: string;
  /**
   * Whether SIGHUP is a reload for this service. Router and relay reload their maps, inbound its domains; accounts has
   * no SIGHUP handler, and Node's default for SIGHUP is to exit, so it is not sent one.
   */
  reloadsOnHup: boolean;
}

export const serviceCommands: Record<ServiceName, ServiceCommand> = {
  router: { words: ['onionmx', 'router'], metricsFlag: '--metrics', reloadsOnHup: true },
  relay: { words: ['onionmx', 'relay'], metricsFlag: '--metrics', reloadsOnHup: true },
  inbound: { words: ['onionmx', 'inbound'], metricsFlag: '--metrics', reloadsOnHup: true },
  accounts: { words: ['accounts', 'serve'], metricsFlag: '--metrics', reloadsOnHup: false },
};

/** The CLI entry point children are started through (`process.execPath BIN …`), whether it runs sources or a build. */
export const peergroupBin = join(cliPackageDir(), 'bin/peergroup.js');

/**
 * V8 flags of every service process. Young-generation semi-spaces grow to 16 MiB each while the modules load at
 * start and are never given back at idle; capped at 1 MiB they save 7–12 MB per process (bench/footprint) for a
 * small throughput cost on the allocation-light lookup path (bench/router, docs/deploy.md). The systemd units set the
 * same flag for standalone daemons.
 */
export const daemonNodeFlags: readonly string[] = ['--max-semi-space-size=1'];
