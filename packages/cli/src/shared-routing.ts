import { routingConfigSchema } from '@peergroup/onionmx/routing';
import { readConfigFile, validateConfig } from './config.ts';

/**
 * A standalone router or relay whose own section has no `routing` takes the file's top-level `routing:` section,
 * as `peergroup serve` does. One file then gives the router (which tells the MTA what is onion-routed) and the
 * relay (which refuses what is not) the same answer; two copies that drift apart defer mail at the relay.
 * Returned as a `routing` override that goes before the routing flags, so the flags still win.
 */
export function sharedRoutingOverride(file: string | undefined, section: string): Record<string, unknown> {
  if (!file) return {};
  const doc = readConfigFile(file);
  const own = doc[section];
  if (typeof own === 'object' && own !== null && 'routing' in own) return {};
  if (doc.routing === undefined) return {};
  // Validated here too, so a mistake is named where it is written ("routing.x"), not as "<section>.routing.x".
  validateConfig(routingConfigSchema, doc.routing, file, 'routing');
  return { routing: structuredClone(doc.routing) };
}
