import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mergeExpositions } from './metrics-merge.ts';
import type { ServiceStatus } from './supervisor.ts';

export interface StatusSource {
  status(): Record<string, ServiceStatus>;
}

/** How long one service's /metrics may take before the scrape goes on without it. */
const SCRAPE_TIMEOUT_MS = 2000;

function get(hostPort: string, path: string): Promise<string> {
  const m = /^\[?([^\]]+)\]?:(\d+)$/.exec(hostPort);
  if (!m) return Promise.reject(new Error(`not HOST:PORT: ${hostPort}`));
  return new Promise((resolve, reject) => {
    const req = request({ host: m[1], port: Number(m[2]), path, timeout: SCRAPE_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

function supervisorMetrics(status: Record<string, ServiceStatus>, scraped: Record<string, boolean>): string {
  const rows = Object.entries(status);
  const lines = [
    "# HELP peergroup_service_up Whether the service's process is running and has its listeners open.",
    '# TYPE peergroup_service_up gauge',
    ...rows.map(([s, st]) => `peergroup_service_up{service="${s}"} ${st.state === 'running' ? 1 : 0}`),
    "# HELP peergroup_service_restarts_total Restarts of the service's process since peergroup serve started.",
    '# TYPE peergroup_service_restarts_total counter',
    ...rows.map(([s, st]) => `peergroup_service_restarts_total{service="${s}"} ${st.restarts}`),
    "# HELP peergroup_service_scrape_ok Whether this scrape included the service's own metrics.",
    '# TYPE peergroup_service_scrape_ok gauge',
    ...rows.map(([s]) => `peergroup_service_scrape_ok{service="${s}"} ${scraped[s] ? 1 : 0}`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * serve's one /metrics and /healthz. /metrics gathers each running service's own /metrics (on its internal loopback
 * port) into one exposition, every sample labelled with its service, plus the supervisor's gauges; Prometheus keeps
 * scraping one target however many processes there are. /healthz is 200 when every service is up, else 503, with
 * each service's state, pid, restarts and last exit as JSON.
 */
export async function startStatusServer(
  at: { host: string; port: number },
  source: StatusSource,
): Promise<{ server: Server; address: string }> {
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/healthz') {
        const services = source.status();
        const ok = Object.values(services).every((s) => s.state === 'running');
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify({ status: ok ? 'ok' : 'degraded', services })}\n`);
      } else if (req.method === 'GET' && req.url === '/metrics') {
        const status = source.status();
        const scraped: Record<string, boolean> = {};
        const bodies = await Promise.all(
          Object.entries(status).map(async ([service, st]) => {
            const at = st.listeners.metrics;
            const text = at ? await get(at, '/metrics').catch(() => undefined) : undefined;
            scraped[service] = text !== undefined;
            return text === undefined ? undefined : { service, text };
          }),
        );
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(supervisorMetrics(status, scraped) + mergeExpositions(bodies.filter((b) => b !== undefined)));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
      }
    })().catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`error: ${(err as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return { server, address: a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}` };
}
