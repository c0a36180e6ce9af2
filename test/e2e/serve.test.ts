// `peergroup serve` as an operator runs it: one config file, one process per service under a small supervisor, one
// metrics port. Real processes throughout: the children are found by their pids and killed, stopped and signalled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '@peergroup/test-support/ports';
import { isAlive, killQuietly, sleep } from '@peergroup/test-support/proc';
import { randomOnion, TcpTableClient } from '@peergroup/test-support/router-clients';
import { smtpDialog } from '@peergroup/test-support/smtp-dialog';
import { startSmtpSink } from '@peergroup/test-support/smtp-sink';

const bin = fileURLToPath(new URL('../../packages/cli/bin/peergroup.js', import.meta.url));

async function tcpTableGet(port: number, key: string): Promise<string> {
  const client = await TcpTableClient.open(port);
  try {
    return await client.get(key);
  } finally {
    client.close();
  }
}

interface ServiceStatus {
  state: string;
  pid?: number;
  restarts: number;
  listeners: Record<string, string>;
}

interface Serve {
  child: ChildProcess;
  /** `<service> <listener>` → port, from the stdout lines, the latest line winning. */
  ports: Map<string, number>;
  stderr: () => string;
  exited: Promise<number | null>;
  health: () => Promise<{ status: number; services: Record<string, ServiceStatus> }>;
  /** Polls /healthz until `pred` holds (a generous deadline: a start under tsx on a busy machine takes seconds). */
  until: (what: string, pred: (s: Record<string, ServiceStatus>) => boolean) => Promise<Record<string, ServiceStatus>>;
}

/**
 * serve in a process group of its own, so a failed test can kill the supervisor and every service at once: a
 * SIGKILLed supervisor cannot stop its children (under systemd the unit's cgroup is killed instead).
 */
function spawnServe(t: { after: (fn: () => unknown) => void }, args: string[]): ChildProcess {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  });
  return child;
}

async function startServe(t: { after: (fn: () => unknown) => void }, config: string, args: string[] = []): Promise<Serve> {
  const child = spawnServe(t, ['--config', config, ...args]);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ports = new Map<string, number>();
  let running!: () => void;
  const isRunning = new Promise<void>((resolve) => (running = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const m = /^(\w+) (\S+) 127\.0\.0\.1:(\d+)$/.exec(line);
    if (m) ports.set(`${m[1]} ${m[2]}`, Number(m[3]));
    if (line.startsWith('peergroup: running')) running();
  });
  await Promise.race([isRunning, exited.then((code) => assert.fail(`serve exited ${code} before running; stderr:\n${stderr}`))]);
  const health = async () => {
    const res = await fetch(`http://127.0.0.1:${ports.get('metrics http')}/healthz`);
    const body = (await res.json()) as { services: Record<string, ServiceStatus> };
    return { status: res.status, services: body.services };
  };
  const until = async (what: string, pred: (s: Record<string, ServiceStatus>) => boolean) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { services } = await health();
      if (pred(services)) return services;
      if (Date.now() > deadline) assert.fail(`${what}: not within 60 s; /healthz: ${JSON.stringify(services)}\nstderr:\n${stderr}`);
      await sleep(200);
    }
  };
  return { child, ports, stderr: () => stderr, exited, health, until };
}

/** The JSON log lines of the supervisor itself. */
function supervisorLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.includes('"name":"peergroup-serve"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function lmtpGreeting(port: number): Promise<string> {
  const d = await smtpDialog(port);
  d.destroy();
  return `${d.greeting.code}`;
}

test('peergroup serve runs router, relay and accounts from one config file, each in its own process, and stops cleanly on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pg-serve-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const onion = randomOnion();
  await writeFile(join(dir, 'onion.map'), `peer.example ${onion}\n`);
  await writeFile(
    join(dir, 'peergroup.yaml'),
    [
      'logLevel: warn',
      'metrics: { listen: "127.0.0.1:0" }',
      'routing:',
      `  maps: [{ path: "${join(dir, 'onion.map')}" }]`,
      '  srv: false',
      '  ownDomains: [our.example]',
      'router:',
      '  tcpTable: { listen: "127.0.0.1:0", reply: direct }',
      'relay:',
      '  lmtp: "127.0.0.1:0"',
      'accounts:',
      '  listen: "127.0.0.1:0"',
      `  dataDir: "${join(dir, 'data')}"`,
      '',
    ].join('\n'),
  );
  const serve = await startServe(t, join(dir, 'peergroup.yaml'));
  const { ports } = serve;
  assert.ok(ports.get('router tcp_table'), `router listener printed; stderr: ${serve.stderr()}`);
  assert.ok(ports.get('relay lmtp'), 'relay listener printed');
  assert.ok(ports.get('accounts http'), 'accounts listener printed');
  assert.ok(ports.get('metrics http'), 'metrics listener printed');
  assert.ok(!ports.has('inbound smtp'), 'inbound stays off without an inbound section');

  assert.equal(await tcpTableGet(ports.get('router tcp_table')!, 'someone@Peer.Example'), `200 smtptor:[${onion}]:25`);
  assert.match(await tcpTableGet(ports.get('router tcp_table')!, 'me@our.example'), /^500 /);

  const page = await fetch(`http://127.0.0.1:${ports.get('accounts http')}/login`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<form/i);

  const health = await serve.health();
  assert.equal(health.status, 200);
  const pids = Object.values(health.services).map((s) => s.pid);
  assert.deepEqual(Object.keys(health.services), ['router', 'relay', 'accounts']);
  assert.equal(
    new Set([...pids, serve.child.pid]).size,
    4,
    `one process per service, none the supervisor: ${JSON.stringify(health.services)}`,
  );

  const metrics = await (await fetch(`http://127.0.0.1:${ports.get('metrics http')}/metrics`)).text();
  // One endpoint carries every service's metrics, each sample labelled with its service, each family once.
  assert.match(metrics, /^onionmx_router_\w+\{service="router"/m);
  assert.match(metrics, /^onionmx_relay_\w+\{service="relay"/m);
  assert.match(metrics, /^peergroup_accounts_\w+\{service="accounts"/m);
  // Router and relay each resolve routes in their own process, so both report the same routing families.
  assert.equal(metrics.match(/^# TYPE onionmx_route_srv_cache_hits_total /gm)?.length, 1, 'a family two services share is written once');
  assert.match(metrics, /^onionmx_route_srv_cache_hits_total\{service="router"/m);
  assert.match(metrics, /^onionmx_route_srv_cache_hits_total\{service="relay"/m);
  assert.match(metrics, /^peergroup_service_up\{service="relay"\} 1$/m);

  serve.child.kill('SIGTERM');
  assert.equal(await serve.exited, 0, serve.stderr());
  for (const pid of pids) assert.ok(!isAlive(pid!), `service process ${pid} is gone after serve stopped`);
});

test('a killed service comes back after the back-off while the others keep answering; SIGHUP reaches the services; SIGTERM leaves none (a stuck one killed)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pg-serve-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sink = await startSmtpSink({ useXClient: true });
  t.after(() => sink.close());
  const [first, second] = [randomOnion(), randomOnion()];
  const map = join(dir, 'onion.map');
  await writeFile(map, `peer.example ${first}\n`);
  const config = join(dir, 'peergroup.yaml');
  const configText = (domains: string[]) =>
    [
      'logLevel: warn',
      'metrics: { listen: "127.0.0.1:0" }',
      'routing:',
      // No file watching: only a SIGHUP can make the router see the map change below.
      `  maps: [{ path: "${map}" }]`,
      '  watchMaps: false',
      '  srv: false',
      'router:',
      '  tcpTable: { listen: "127.0.0.1:0", reply: direct }',
      'relay:',
      '  lmtp: "127.0.0.1:0"',
      'inbound:',
      '  listen: "127.0.0.1:0"',
      `  mx: "127.0.0.1:${sink.port}"`,
      `  domains: [${domains.join(', ')}]`,
      'accounts:',
      '  listen: "127.0.0.1:0"',
      `  dataDir: "${join(dir, 'data')}"`,
      '',
    ].join('\n');
  await writeFile(config, configText(['our.example']));
  const serve = await startServe(t, config, ['--stop-timeout', '2s']);
  const before = (await serve.health()).services;
  for (const s of ['router', 'relay', 'inbound', 'accounts']) assert.equal(before[s]?.state, 'running', JSON.stringify(before));

  await t.test('kill -9 of the router: relay, inbound and accounts keep answering, the router is back within the back-off', async () => {
    const routerPid = before.router!.pid!;
    process.kill(routerPid, 'SIGKILL');
    const down = await serve.until('router seen down', (s) => s.router!.state !== 'running');
    assert.equal((await serve.health()).status === 200, down.router!.state === 'running', '/healthz is 503 while a service is down');
    assert.equal(await lmtpGreeting(serve.ports.get('relay lmtp')!), '220');
    assert.equal(await lmtpGreeting(serve.ports.get('inbound smtp')!), '220');
    assert.equal((await fetch(`http://127.0.0.1:${serve.ports.get('accounts http')}/login`)).status, 200);

    const back = await serve.until('router restarted', (s) => s.router!.state === 'running' && s.router!.pid !== routerPid);
    assert.equal(back.router!.restarts, 1);
    assert.ok(!isAlive(routerPid));
    // Listening on port 0 again: the new port is printed and in /healthz, and lookups are answered there.
    const port = Number(back.router!.listeners.tcp_table!.split(':')[1]);
    assert.equal(serve.ports.get('router tcp_table'), port);
    assert.equal(await tcpTableGet(port, 'a@peer.example'), `200 smtptor:[${first}]:25`);
    for (const s of ['relay', 'inbound', 'accounts']) assert.equal(back[s]!.pid, before[s]!.pid, `${s} was not restarted`);
    const exit = supervisorLines(serve.stderr()).find((l) => l.msg === 'service exited; restarting');
    assert.deepEqual(
      { service: exit?.service, pid: exit?.pid, signal: exit?.signal, restartInMs: exit?.restartInMs },
      { service: 'router', pid: routerPid, signal: 'SIGKILL', restartInMs: 1000 },
    );
  });

  await t.test('SIGHUP: the router reloads its map, inbound its domains from the re-read config file, accounts is left alone', async () => {
    const port = serve.ports.get('router tcp_table')!;
    await writeFile(map, `peer.example ${second}\n`);
    await writeFile(config, configText(['our.example', 'new.example']));
    const rcpt = async (to: string) => {
      const d = await smtpDialog(serve.ports.get('inbound smtp')!);
      try {
        await d.command('EHLO far.example');
        await d.command('MAIL FROM:<a@far.example>');
        return (await d.command(`RCPT TO:<${to}>`)).code;
      } finally {
        d.destroy();
      }
    };
    assert.equal(await rcpt('b@new.example'), 554, 'not ours before the reload');
    // The map was rewritten without a SIGHUP: with watchMaps off the router still answers with the old onion.
    assert.equal(await tcpTableGet(port, 'a@peer.example'), `200 smtptor:[${first}]:25`);
    const pids = Object.fromEntries(Object.entries((await serve.health()).services).map(([s, st]) => [s, st.pid]));
    serve.child.kill('SIGHUP');
    const deadline = Date.now() + 60_000;
    while ((await tcpTableGet(port, 'a@peer.example')) !== `200 smtptor:[${second}]:25`) {
      assert.ok(Date.now() < deadline, `the router did not reload its map after SIGHUP; stderr:\n${serve.stderr()}`);
      await sleep(200);
    }
    while ((await rcpt('b@new.example')) !== 250) {
      assert.ok(Date.now() < deadline, `inbound did not take the new domain after SIGHUP; stderr:\n${serve.stderr()}`);
      await sleep(200);
    }
    const after = (await serve.health()).services;
    for (const s of Object.keys(pids)) {
      assert.equal(after[s]!.pid, pids[s], `${s} reloaded in place, not restarted`);
      assert.equal(after[s]!.state, 'running');
    }
  });

  await t.test('SIGTERM stops every service; one that does not stop (SIGSTOP) is killed after --stop-timeout', async () => {
    const services = (await serve.health()).services;
    const pids = Object.values(services).map((s) => s.pid!);
    process.kill(services.relay!.pid!, 'SIGSTOP');
    t.after(() => killQuietly(services.relay!.pid!, 'SIGKILL'));
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0, serve.stderr());
    for (const pid of pids) assert.ok(!isAlive(pid), `service process ${pid} is gone`);
    const killed = supervisorLines(serve.stderr()).find((l) => typeof l.msg === 'string' && l.msg.includes('did not stop within 2000 ms'));
    assert.equal(killed?.service, 'relay');
    assert.equal(killed?.signal, 'SIGKILL');
  });
});

test('SIGKILL of the supervisor (outside systemd, nothing kills the children): every service stops on its own, cleanly, within seconds', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pg-serve-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const serveArgs = [
    '--data',
    dir,
    '--metrics',
    '127.0.0.1:0',
    '--only',
    'router,relay,accounts',
    '--log-level',
    'info',
    '--set',
    'routing.srv=false',
  ];
  for (const key of ['router.tcpTable.listen', 'relay.lmtp', 'accounts.listen']) serveArgs.push('--set', `${key}=127.0.0.1:0`);
  const child = spawnServe(t, serveArgs);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let metricsPort = 0;
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^metrics http 127\.0\.0\.1:(\d+)$/.exec(line);
      if (m) metricsPort = Number(m[1]);
      if (line.startsWith('peergroup: running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code} before running:\n${stderr}`)));
  });
  const { services } = (await (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).json()) as {
    services: Record<string, ServiceStatus>;
  };
  const pids = Object.values(services).map((s) => s.pid!);
  assert.equal(pids.length, 3, JSON.stringify(services));
  for (const pid of pids) assert.ok(isAlive(pid), `service process ${pid} runs`);

  child.kill('SIGKILL');
  const deadline = Date.now() + 5000;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids) assert.ok(!isAlive(pid), `service process ${pid} is gone within 5 s of its supervisor's death\n${stderr}`);
  // They stopped as on SIGTERM (their listeners closed), not through the hard exit that bounds a hanging stop.
  const stopped = stderr
    .split('\n')
    .filter((l) => l.includes('"msg":"stopped"'))
    .map((l) => (JSON.parse(l) as { service: string }).service);
  assert.deepEqual(stopped.sort(), ['accounts', 'relay', 'router'], stderr);
});

test('a service that refuses its configuration at start-up (port in use, exit 78) stops serve with 78 and leaves no process', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pg-serve-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const port = (taken.address() as AddressInfo).port;
  const child = spawnServe(t, [
    '--set',
    `router.tcpTable.listen=127.0.0.1:${port}`,
    '--set',
    'relay.lmtp=127.0.0.1:0',
    '--set',
    'routing.srv=false',
    '--only',
    'router,relay',
    '--metrics',
    '127.0.0.1:0',
  ]);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 78, stderr);
  assert.match(stderr, /peergroup onionmx router: .*in use/i, 'the router says why');
  const lines = supervisorLines(stderr);
  assert.ok(
    lines.some((l) => l.msg === 'service refused its configuration at start-up; stopping every service' && l.service === 'router'),
    stderr,
  );
  const started = lines.filter((l) => l.msg === 'service starting').map((l) => l.pid as number);
  assert.equal(started.length, 2, 'router and relay were started once each, never restarted');
  for (const pid of started) assert.ok(!isAlive(pid), `service process ${pid} is gone`);
});

test('a service that refuses its configuration after a restart (its port taken) is marked failed, the others keep serving, SIGHUP retries it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pg-serve-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const config = join(dir, 'peergroup.yaml');
  await writeFile(
    config,
    [
      'logLevel: warn',
      'metrics: { listen: "127.0.0.1:0" }',
      'routing: { srv: false }',
      `router: { tcpTable: { listen: "127.0.0.1:${port}", reply: direct } }`,
      'relay: { lmtp: "127.0.0.1:0" }',
      'accounts: { enabled: false }',
      '',
    ].join('\n'),
  );
  const serve = await startServe(t, config);
  const before = (await serve.health()).services;
  process.kill(before.router!.pid!, 'SIGKILL');
  // Take the router's port while it waits out its back-off: its next start fails with exit 78.
  const squatter = createServer();
  for (;;) {
    const bound = await new Promise<boolean>((resolve) => {
      squatter.once('error', () => resolve(false));
      squatter.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) break;
    await sleep(20);
  }
  t.after(() => squatter.close());
  const failed = await serve.until('router failed', (s) => s.router!.state === 'failed');
  assert.equal((await serve.health()).status, 503);
  assert.equal(failed.relay!.state, 'running');
  assert.equal(failed.relay!.pid, before.relay!.pid);
  assert.equal(await lmtpGreeting(serve.ports.get('relay lmtp')!), '220');
  await sleep(3000);
  assert.equal((await serve.health()).services.router!.restarts, 1, 'not restarted again while its configuration fails');
  assert.ok(
    supervisorLines(serve.stderr()).some(
      (l) => l.msg === 'service refused its configuration; not restarted until a reload (SIGHUP)' && l.service === 'router',
    ),
  );

  await new Promise<void>((resolve) => squatter.close(() => resolve()));
  serve.child.kill('SIGHUP');
  const back = await serve.until('router started again after SIGHUP', (s) => s.router!.state === 'running');
  assert.match(await tcpTableGet(port, 'a@nowhere.example'), /^500 /);
  assert.equal(back.relay!.pid, before.relay!.pid);
  serve.child.kill('SIGTERM');
  assert.equal(await serve.exited, 0, serve.stderr());
});

test('peergroup serve --check-config names every bad key of every section at once (exit 78)', async () => {
  const run = promisify(execFile);
  await assert.rejects(
    run(process.execPath, [
      bin,
      'serve',
      '--set',
      'router.bogus=1',
      '--set',
      'relay.tls=maybe',
      '--set',
      'routing.dnssec=sometimes',
      '--check-config',
    ]),
    (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 78);
      assert.match(err.stderr, /router\.bogus: unknown key/);
      assert.match(err.stderr, /relay\.tls:/);
      assert.match(err.stderr, /routing\.dnssec:/);
      return true;
    },
  );
  await assert.rejects(
    run(process.execPath, [bin, 'serve', '--set', 'router.metrics.listen=127.0.0.1:0', '--set', 'relay.enabled=3', '--check-config']),
    (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 78);
      // Each problem once, even where the service schema would also refuse the key.
      assert.equal(err.stderr.match(/router\.metrics/g)?.length, 1);
      assert.match(err.stderr, /relay\.enabled: must be true or false/);
      return true;
    },
  );
  const ok = await run(process.execPath, [bin, 'serve', '--check-config']);
  assert.match(ok.stdout, /would run: router, relay, accounts/);
});

test('serve without --check-config refuses a bad configuration before starting any service (exit 78, every problem)', async () => {
  const run = promisify(execFile);
  await assert.rejects(
    run(process.execPath, [bin, 'serve', '--set', 'router.bogus=1', '--set', 'accounts.listen=nowhere', '--log-level', 'info']),
    (err: { code: number; stderr: string; stdout: string }) => {
      assert.equal(err.code, 78);
      assert.match(err.stderr, /router\.bogus: unknown key/);
      assert.match(err.stderr, /accounts\.listen:/);
      assert.doesNotMatch(err.stderr, /service starting/, 'no service was started');
      assert.equal(err.stdout, '');
      return true;
    },
  );
});

test('the shipped example config (packaging/peergroup.example.yaml) validates and enables every service', async () => {
  const run = promisify(execFile);
  const example = fileURLToPath(new URL('../../packaging/peergroup.example.yaml', import.meta.url));
  // The map it names is the operator's to write; --check-config reads it (serve would refuse to start without it).
  const dir = await mkdtemp(join(tmpdir(), 'pg-example-'));
  try {
    const map = join(dir, 'onion.map');
    await writeFile(map, `peer.example ${randomOnion()}\n`);
    const text = (await readFile(example, 'utf8')).replace('path: /etc/peergroup/onion.map ', `path: ${map} `);
    assert.ok(text.includes(map), 'the example still names /etc/peergroup/onion.map');
    const config = join(dir, 'peergroup.yaml');
    await writeFile(config, text);
    const { stdout } = await run(process.execPath, [bin, 'serve', '--config', config, '--check-config']);
    assert.match(stdout, /would run: router, relay, inbound, accounts/);
    assert.ok(stdout.includes(`  routing map ${map}: 1 entry\n`), stdout);
    // As shipped, pointing at a map that is not there, it is refused like serve refuses it.
    await assert.rejects(
      run(process.execPath, [bin, 'serve', '--config', example, '--check-config']),
      (err: { code: number; stderr: string }) => {
        assert.equal(err.code, 78);
        assert.match(err.stderr, /routing\.maps\.0\.path: \/etc\/peergroup\/onion\.map: cannot read map: ENOENT/);
        return true;
      },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
