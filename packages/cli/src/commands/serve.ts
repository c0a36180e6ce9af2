import { spawn } from 'node:child_process';
import { flagOption, type Command, type CommandContext, type OptionSpec } from '../command.ts';
import { configFileHelp } from '../config-file.ts';
import { supervisorLog } from '../supervisor/json-log.ts';
import { peergroupBin, type ServiceName } from '../supervisor/services.ts';
import { startStatusServer } from '../supervisor/status-http.ts';
import { StartupConfigError, Supervisor } from '../supervisor/supervisor.ts';

// Only light modules above (not even run-service.ts, which brings @peergroup/service): the supervisor loads none of the
// services' code nor their schemas. Validation is in serve-plan.ts, imported by --check-config/--print-config,
// which the supervisor runs as a short-lived process of its own.

const options: Record<string, OptionSpec> = {
  config: {
    type: 'string',
    arg: 'FILE',
    description: `YAML config file with sections routing, router, relay, inbound, accounts (${configFileHelp})`,
  },
  set: {
    type: 'string',
    multiple: true,
    arg: 'KEY=VALUE',
    description: 'set any config key, e.g. --set router.tcpTable.listen=127.0.0.1:0 (VALUE is read as YAML)',
  },
  only: { type: 'string', arg: 'LIST', description: 'run only these services (comma-separated: router,relay,inbound,accounts)' },
  data: {
    type: 'string',
    arg: 'DIR',
    description: 'data directory of the accounts service',
    configKey: 'accounts.dataDir',
    defaultText: './data',
  },
  'log-level': { type: 'string', arg: 'LEVEL', description: 'pino log level', configKey: 'logLevel', defaultText: 'info' },
  metrics: {
    type: 'string',
    arg: 'IP:PORT',
    description: 'Prometheus /metrics of all services and /healthz of each',
    configKey: 'metrics.listen',
    defaultText: '127.0.0.1:9464',
  },
  'stop-timeout': {
    type: 'string',
    arg: 'DURATION',
    description: 'after SIGTERM, kill a service that has not stopped within',
    configKey: 'stopTimeout',
    defaultText: '10s',
    durationUnit: 's',
  },
  'check-config': { type: 'boolean', description: 'validate the whole configuration, print what would run, exit' },
  'print-config': {
    type: 'boolean',
    description: 'validate, then print as JSON the configuration each service process is started with, exit',
  },
};

/** What --print-config prints and the supervisor reads. */
interface ResolvedServe {
  logLevel: string;
  stopTimeoutMs: number;
  metrics: { host: string; port: number };
  documents: Partial<Record<ServiceName, Record<string, unknown>>>;
}

/** serve's own flags as given, for the validating process. */
function argvOf(values: CommandContext['values']): string[] {
  const argv: string[] = [];
  for (const [name, v] of Object.entries(values)) {
    if (name === 'check-config' || name === 'print-config' || v === undefined || v === false) continue;
    for (const one of Array.isArray(v) ? v : [v]) argv.push(`--${name}`, ...(one === true ? [] : [String(one)]));
  }
  return argv;
}

/**
 * Validates the configuration in a process of its own (`serve … --print-config`): every section's problems are
 * reported at once, on stderr, before any service starts — and the schemas, with the service code they come with,
 * leave memory when it exits. An exit code instead of the result when the configuration is refused.
 */
function resolveConfig(ctx: CommandContext): Promise<ResolvedServe | number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [peergroupBin, 'serve', ...argvOf(ctx.values), '--print-config'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', (err) => {
      ctx.stderr.write(`peergroup serve: cannot start ${process.execPath}: ${err.message}\n`);
      resolve(70);
    });
    child.once('close', (code) => {
      if (code !== 0) return resolve(code ?? 70);
      try {
        resolve(JSON.parse(out) as ResolvedServe);
      } catch {
        ctx.stderr.write('peergroup serve: the configuration check printed no configuration\n');
        resolve(70);
      }
    });
  });
}

/** How often serve under an npm script looks whether npm is still its parent. */
const PARENT_POLL_MS = 1000;

/**
 * Under `npm start` the parent is npm (or the shell it ran the script in), and npm does not pass a SIGTERM on: it
 * exits and serve, reparented, would keep every service and port. So when run by an npm script, serve stops as on
 * SIGTERM once its parent changes. Only then: under systemd or a shell the parent's exit means nothing to serve.
 */
function stopWhenNpmExits(): () => void {
  if (!process.env.npm_lifecycle_event) return () => {};
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, PARENT_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

async function supervise(ctx: CommandContext): Promise<number> {
  const stopWatching = stopWhenNpmExits();
  let supervisor: Supervisor | undefined;
  let stopping = false;
  let reloads = Promise.resolve();
  // Installed before anything starts: Node's default for SIGHUP would end the supervisor and orphan its children.
  const onHup = () => {
    const sup = supervisor;
    if (!sup) return;
    reloads = reloads.then(async () => {
      const next = await resolveConfig(ctx);
      sup.reload(typeof next === 'number' ? undefined : next.documents);
    });
  };
  // main() stops on the first SIGINT/SIGTERM; a second one, while services are still stopping, kills them at once.
  const onSecondStop = () => {
    if (stopping) supervisor?.killNow();
  };
  process.on('SIGHUP', onHup);
  process.on('SIGINT', onSecondStop);
  process.on('SIGTERM', onSecondStop);
  try {
    const resolved = await resolveConfig(ctx);
    if (typeof resolved === 'number') return resolved;
    const log = supervisorLog(resolved.logLevel);
    if (Object.keys(resolved.documents).length === 0) {
      ctx.stderr.write('peergroup serve: nothing to run: every service is disabled\n');
      return 78;
    }
    const sup = new Supervisor({
      execPath: process.execPath,
      bin: peergroupBin,
      documents: resolved.documents,
      env: { ...process.env, PEERGROUP_LOG_LEVEL: resolved.logLevel },
      log,
      stdout: ctx.stdout,
      stopTimeoutMs: resolved.stopTimeoutMs,
    });
    let status;
    try {
      status = await startStatusServer(resolved.metrics, sup);
    } catch (err) {
      ctx.stderr.write(`peergroup serve: metrics.listen ${resolved.metrics.host}:${resolved.metrics.port}: ${(err as Error).message}\n`);
      return 78;
    }
    supervisor = sup;
    ctx.stdout.write(`metrics http ${status.address}\n`);
    const stopRequested = new Promise<'stop'>((resolve) => {
      if (ctx.stopSignal.aborted) resolve('stop');
      else ctx.stopSignal.addEventListener('abort', () => resolve('stop'), { once: true });
    });
    const started = sup.start().then(
      () => 'up' as const,
      (err: unknown) => err,
    );
    let code = 0;
    const first = await Promise.race([started, stopRequested]);
    if (first === 'up') {
      ctx.stdout.write(`peergroup: running ${sup.services.join(', ')}; Ctrl-C stops\n`);
      log('info', 'every service is up', { pid: process.pid, services: sup.services });
      await stopRequested;
    } else if (first instanceof StartupConfigError) {
      code = first.code;
    } else if (first !== 'stop') {
      throw first;
    }
    stopping = true;
    log('info', 'stopping every service', { pid: process.pid });
    await sup.stop();
    status.server.closeAllConnections();
    await new Promise<void>((resolve) => status.server.close(() => resolve()));
    log('info', 'stopped', { pid: process.pid });
    return code;
  } finally {
    stopWatching();
    process.off('SIGHUP', onHup);
    process.off('SIGINT', onSecondStop);
    process.off('SIGTERM', onSecondStop);
  }
}

export const command: Command = {
  path: ['serve'],
  summary: 'Run every service (router, relay, inbound, accounts) from one config file — or the embedded default',
  details: [
    'Config file: --config, else $PEERGROUP_CONFIG, else /etc/peergroup/peergroup.yaml if it exists (accounts admin reads the same).',
    'Without one this runs the embedded default: router (tcp_table 127.0.0.1:23000, socketmap :23001,',
    'Exim readsocket :23002, answering with the relay), relay (LMTP 127.0.0.1:10024, SMTP :10025, Tor at',
    '127.0.0.1:9050), accounts (http://127.0.0.1:8080, SQLite under ./data), metrics at 127.0.0.1:9464.',
    'The inbound front runs once the config has an "inbound" section (it needs mx and domains).',
    'A section with "enabled: false" is not run. Each service runs as its own process (its own command, e.g.',
    'peergroup onionmx router), restarted after a crash (1 s doubling to 60 s); SIGHUP reloads, SIGTERM stops all.',
    'See docs/deploy.md.',
  ].join('\n'),
  options,
  async run(ctx) {
    if (flagOption(ctx, 'check-config') || flagOption(ctx, 'print-config')) {
      const { describePlan, planFromOptions } = await import('../serve-plan.ts');
      const plan = planFromOptions(ctx);
      if (flagOption(ctx, 'print-config')) {
        const resolved: ResolvedServe = {
          logLevel: plan.logLevel,
          stopTimeoutMs: plan.stopTimeoutMs,
          metrics: plan.metrics,
          documents: plan.documents,
        };
        ctx.stdout.write(`${JSON.stringify(resolved, null, 2)}\n`);
        return 0;
      }
      const running = Object.keys(plan.documents);
      const lines = await describePlan(plan);
      ctx.stdout.write(`configuration OK; would run: ${running.join(', ') || 'nothing'}\n`);
      for (const line of lines) ctx.stdout.write(`  ${line}\n`);
      return 0;
    }
    return supervise(ctx);
  },
};
