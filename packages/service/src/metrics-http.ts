import { createServer } from 'node:http';
import type { Registry } from 'prom-client';
import * as z from 'zod';
import { loopbackHostPortSchema, type HostPort } from './host-port.ts';
import type { RunningService } from './service.ts';
import { listen } from './listen.ts';

/**
 * Every service's `metrics` key: `metrics: { listen: 127.0.0.1:9464 }`. The released relay and inbound took the
 * address itself (`metrics: 127.0.0.1:9464`); that spelling is read as the same.
 */
export const metricsConfigSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { listen: value } : value),
  z.object({ listen: loopbackHostPortSchema }).strict(),
);

/** Prometheus `/metrics` and `/healthz` on a (loopback) HTTP port. `health` returns problems; none means healthy. */
export async function startMetricsServer(
  at: HostPort,
  registries: Registry[],
  health: () => Promise<string[]> | string[] = () => [],
): Promise<RunningService> {
  const server = createServer((req, res) => {
    void (async () => {
      try {
        if (req.method === 'GET' && req.url === '/metrics') {
          const bodies = await Promise.all(registries.map((r) => r.metrics()));
          res.writeHead(200, { 'content-type': registries[0]?.contentType ?? 'text/plain; version=0.0.4' });
          res.end(bodies.join('\n'));
        } else if (req.method === 'GET' && req.url === '/healthz') {
          const problems = await health();
          res.writeHead(problems.length ? 503 : 200, { 'content-type': 'text/plain' });
          res.end(problems.length ? problems.join('\n') + '\n' : 'ok\n');
        } else {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('not found\n');
        }
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`error: ${(err as Error).message}\n`);
      }
    })();
  });
  const http = await listen(server, at, 'metrics.listen');
  return {
    name: 'metrics',
    addresses: { http },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
