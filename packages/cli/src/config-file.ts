import { existsSync } from 'node:fs';

/** Where packaging/peergroup.example.yaml and the systemd units put the configuration of `peergroup serve`. */
export const DEFAULT_CONFIG_FILE = '/etc/peergroup/peergroup.yaml';

export const configFileHelp = `default: $PEERGROUP_CONFIG, else ${DEFAULT_CONFIG_FILE} if it exists, else the embedded default`;

/**
 * The config file of `serve`, `accounts serve` and `accounts admin …`: --config, else $PEERGROUP_CONFIG, else the
 * system file when it exists. They share one lookup so an admin command run without flags opens the database, and
 * uses the Argon2id cost, that the running service uses; undefined means the embedded default.
 */
export function configFileFor(
  given: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  exists: (path: string) => boolean = existsSync,
): string | undefined {
  if (given !== undefined) return given;
  if (env.PEERGROUP_CONFIG) return env.PEERGROUP_CONFIG;
  return exists(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined;
}
