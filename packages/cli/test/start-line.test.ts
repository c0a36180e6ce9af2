// A service's start is logged once. The daemons used to log their own "... listening" line, runService its "started",
// and under serve the supervisor a "service started" as well: three lines for one event. Now the service hands its
// details to runService as a summary, and the supervisor only says which pid and which restart it started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { capture } from '@peergroup/test-support/cli-capture';
import { createLogger, createMetricsRegistry, type RunningService } from '@peergroup/service';
import { routerConfigSchema, startRouter } from '@peergroup/onionmx/router';
import { relayConfigSchema, startRelay } from '@peergroup/onionmx/relay';
import { inboundConfigSchema, startInbound } from '@peergroup/onionmx/inbound';
import { accountsConfigSchema, startAccounts } from '@peergroup/accounts';
import { runService } from '../src/run-service.ts';
import type { CommandContext } from '../src/command.ts';

type Line = { level: number; msg: string; service?: string; listeners?: Record<string, string> } & Record<string, unknown>;

const lines = (text: string): Line[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

/** runService as a command runs it, the log on a captured stream; stopped once "started" was logged. */
async function startAndStop(name: string, start: (logger: ReturnType<typeof createLogger>) => Promise<RunningService>): Promise<Line[]> {
  const log = capture();
  const logger = createLogger(name, 'info', { stream: log.stream });
  const stop = new AbortController();
  const ctx: CommandContext = {
    values: {},
    positionals: [],
    stdout: new Writable({ write: (_c, _e, cb) => cb() }),
    stderr: log.stream,
    stopSignal: stop.signal,
  };
  const ran = runService(ctx, logger, () => start(logger));
  const deadline = Date.now() + 20_000;
  while (!lines(log.text()).some((l) => l.msg === 'started')) {
    if (Date.now() > deadline) assert.fail(`${name} did not log "started":\n${log.text()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  stop.abort();
  assert.equal(await ran, 0);
  return lines(log.text());
}

/** The lines up to "stopping" that say the service is up: exactly one, "started". */
function assertOneStartLine(name: string, log: Line[]): Line {
  const upToStop = log.slice(
    0,
    log.findIndex((l) => l.msg === 'stopping'),
  );
  const about = upToStop.filter((l) => /listen|start/i.test(l.msg) || l.listeners !== undefined || l.addresses !== undefined);
  assert.deepEqual(
    about.map((l) => l.msg),
    ['started'],
    `${name}: one start line\n${JSON.stringify(log, null, 1)}`,
  );
  return about[0]!;
}

const routing = { srv: false, watchMaps: false };

test('router, relay, inbound and accounts each log their start once: "started" with the listeners and what the service adds', async () => {
  const router = await startAndStop('onionmx-router', (logger) =>
    startRouter(routerConfigSchema.parse({ tcpTable: { listen: '127.0.0.1:0' }, routing }), { logger, registry: createMetricsRegistry() }),
  );
  assert.deepEqual(Object.keys(assertOneStartLine('router', router).listeners!), ['tcp_table']);

  const relay = await startAndStop('onionmx-relay', (logger) =>
    startRelay(relayConfigSchema.parse({ lmtp: '127.0.0.1:0', socks: '127.0.0.1:9150', routing }), { logger }),
  );
  const relayStarted = assertOneStartLine('relay', relay);
  assert.deepEqual(Object.keys(relayStarted.listeners!), ['lmtp']);
  assert.equal(relayStarted.socks, '127.0.0.1:9150');

  const inbound = await startAndStop('onionmx-inbound', (logger) =>
    startInbound(inboundConfigSchema.parse({ listen: '127.0.0.1:0', mx: '127.0.0.1:1', domains: ['example.org'] }), {
      logger,
      registry: createMetricsRegistry(),
    }),
  );
  const inboundStarted = assertOneStartLine('inbound', inbound);
  assert.deepEqual(Object.keys(inboundStarted.listeners!), ['smtp']);
  assert.equal(inboundStarted.mx, '127.0.0.1:1');
  assert.deepEqual(inboundStarted.domains, ['example.org']);

  const data = mkdtempSync(join(tmpdir(), 'start-line-accounts-'));
  try {
    const accounts = await startAndStop('accounts', (logger) =>
      startAccounts(accountsConfigSchema.parse({ listen: '127.0.0.1:0', dataDir: data }), { logger }),
    );
    const accountsStarted = assertOneStartLine('accounts', accounts);
    assert.deepEqual(Object.keys(accountsStarted.listeners!), ['http']);
    assert.equal(accountsStarted.database, 'sqlite');
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('under serve each service start is logged once (the child\'s "started"); the supervisor says "service starting" with its pid', async () => {
  const bin = fileURLToPath(new URL('../bin/peergroup.js', import.meta.url));
  const data = mkdtempSync(join(tmpdir(), 'start-line-serve-'));
  const listeners = [
    'router.tcpTable.listen',
    'router.socketmap.listen',
    'router.exim.listen',
    'relay.lmtp',
    'relay.smtp',
    'accounts.listen',
  ];
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--data',
      data,
      '--metrics',
      '127.0.0.1:0',
      ...listeners.flatMap((k) => ['--set', `${k}=127.0.0.1:0`]),
      '--set',
      'routing.srv=false',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PEERGROUP_LOG_LEVEL: 'info', PEERGROUP_LOG_FORMAT: 'json', PEERGROUP_CONFIG: '' },
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  try {
    const deadline = Date.now() + 60_000;
    while (!lines(stderr).some((l) => l.msg === 'every service is up')) {
      if (child.exitCode !== null || Date.now() > deadline) assert.fail(`serve did not come up:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    const log = lines(stderr);
    for (const service of ['router', 'relay', 'accounts']) {
      const about = log.filter((l) => l.service === service && (/start|listen/i.test(l.msg) || l.listeners !== undefined));
      assert.deepEqual(
        about.map((l) => `${l.name as string}: ${l.msg}`),
        [`peergroup-serve: service starting`, `${service === 'accounts' ? 'accounts' : `onionmx-${service}`}: started`],
        `${service}\n${stderr}`,
      );
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(data, { recursive: true, force: true });
  }
});
