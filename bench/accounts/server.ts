// The accounts service in its own process for the benchmark, so the load generator does not share its event loop.
// argv[2]: JSON accounts config. argv[3] (optional, JSON): { root, users } — `root` is the source tree whose
// packages/accounts and packages/service are loaded (another commit's tree for pages.ts's baseline; default: this
// one), `users` are created through that tree's own store before the service starts (name, password, trustees).
// Prints "READY <url> <metrics host:port>" and runs until SIGTERM. With an IPC channel it answers "cpu" with the
// process's CPU time in microseconds, so the load generator can charge each slice of requests to this process alone.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { collectDefaultMetrics, Registry } from 'prom-client';

interface Options {
  root?: string;
  users?: { name: string; password: string; trustees?: string[] }[];
}
const opts: Options = process.argv[3] ? JSON.parse(process.argv[3]) : {};
const root = resolve(opts.root ?? join(import.meta.dirname, '../..'));
// By path rather than by package name, so that the tree's own sources run (and resolve their imports in that tree).
type AccountsModule = typeof import('@peergroup/accounts');
type ServiceModule = typeof import('@peergroup/service');
const accounts: AccountsModule = await import(pathToFileURL(join(root, 'packages/accounts/src/index.ts')).href);
const service: ServiceModule = await import(pathToFileURL(join(root, 'packages/service/src/index.ts')).href);

const registry = new Registry();
// Includes nodejs_eventloop_lag_p50/p99_seconds, whose histogram restarts at every scrape.
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 5 });
const svc = await accounts.startAccountsFrom(JSON.parse(process.argv[2]!), { logger: service.silentLogger(), registry });
// Trustees first, so that every name a user trusts exists when it is added (the data directory is fresh).
const created = new Map<string, Awaited<ReturnType<typeof svc.context.store.createUser>>>();
for (const u of opts.users ?? []) created.set(u.name, await svc.context.store.createUser(u.name, u.password));
for (const u of opts.users ?? []) for (const t of u.trustees ?? []) await svc.context.store.addTrustee(created.get(u.name)!, t);
const m = svc.addresses.metrics!;
process.stdout.write(`READY ${svc.url} ${m.host}:${m.port}\n`);
process.on('message', (msg) => {
  if (msg === 'cpu') {
    const u = process.cpuUsage();
    process.send?.({ cpu: u.user + u.system });
  }
});
process.once('SIGTERM', () => {
  void svc.close().then(() => process.exit(0));
});
