import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A registry for one process's metrics, with prom-client's process and Node.js metrics (CPU, memory, event-loop
 * lag, open handles) already on it: every daemon exports those, so every daemon's registry starts here.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Wraps a module's metric definitions so they are created once per registry. prom-client refuses a second metric
 * of the same name on a registry, and a service restarted in one process (tests, `peergroup serve` reloads) is
 * handed the registry it registered on before; it gets the same metric objects back.
 */
export function metricsPerRegistry<T>(define: (registers: Registry[], registry: Registry) => T): (registry: Registry) => T {
  const made = new WeakMap<Registry, T>();
  return (registry) => {
    let metrics = made.get(registry);
    if (metrics === undefined) {
      metrics = define([registry], registry);
      made.set(registry, metrics);
    }
    return metrics;
  };
}
