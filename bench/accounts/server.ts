// The accounts service in its own process for the benchmark, so the load generator does not share its event loop.
// argv[2]: JSON accounts config. Prints "READY <url> <metrics host:port>" and runs until SIGTERM.
import { collectDefaultMetrics, Registry } from 'prom-client';
import { startAccountsFrom } from '@peergroup/accounts';
import { silentLogger } from '@peergroup/service';

const registry = new Registry();
// Includes nodejs_eventloop_lag_p50/p99_seconds, whose histogram restarts at every scrape.
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 5 });
const svc = await startAccountsFrom(JSON.parse(process.argv[2]!), { logger: silentLogger(), registry });
const m = svc.addresses.metrics!;
process.stdout.write(`READY ${svc.url} ${m.host}:${m.port}\n`);
process.once('SIGTERM', () => {
  void svc.close().then(() => process.exit(0));
});
