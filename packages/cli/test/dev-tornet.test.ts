// `peergroup dev tornet`: option parsing and a real run (starts its own tor network, checks an onion, Ctrl-C stops it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createConnection, createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, devTornetConfigSchema, parseServiceFlag } from '../src/commands/dev-tornet.ts';
import { commandHelp } from '../src/main.ts';
import { ConfigError } from '../src/config.ts';
import type { CommandContext } from '../src/command.ts';
import { socksConnect } from '@peergroup/tornet';
import { parseHostPort } from '@peergroup/service';
import { isAlive } from '@peergroup/test-support/proc';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function context(values: CommandContext['values'], signal: AbortSignal): CommandContext {
  const out = new PassThrough();
  out.resume();
  const err = new PassThrough();
  err.resume();
  return { values, positionals: [], stdout: out, stderr: err, stopSignal: signal };
}

test('--services takes NAME=HOST:PORT or NAME:VPORT=HOST:PORT', () => {
  assert.deepEqual(parseServiceFlag('mx=127.0.0.1:2525'), { name: 'mx', target: { host: '127.0.0.1', port: 2525 } });
  assert.deepEqual(parseServiceFlag('web:80=[::1]:8080'), { name: 'web', target: { host: '::1', port: 8080 }, virtualPort: 80 });
  assert.throws(() => parseServiceFlag('127.0.0.1:25'), /NAME=HOST:PORT/);
  assert.throws(() => parseServiceFlag('mx:0=127.0.0.1:25'), /out of range/);
});

test('config: unknown keys, bad services and duplicate names fail naming the key', () => {
  assert.equal(devTornetConfigSchema.safeParse({ relay: 3 }).success, false);
  const bad = devTornetConfigSchema.safeParse({ services: ['mx=nowhere'] });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0]?.path, ['services', 0]);
  assert.equal(devTornetConfigSchema.safeParse({ services: ['a=127.0.0.1:1', { name: 'a', target: '127.0.0.1:2' }] }).success, false);
  const ok = devTornetConfigSchema.parse({ services: [{ name: 'mx', target: '127.0.0.1:25', virtualPort: 25 }] });
  assert.deepEqual(ok.services, [{ name: 'mx', target: { host: '127.0.0.1', port: 25 }, virtualPort: 25 }]);
  assert.equal(ok.relays, 2);
});

test('flags are validated once at start-up, before any tor starts', async () => {
  const ctx = context({ relays: 'many' }, new AbortController().signal);
  await assert.rejects(command.run(ctx), (err: unknown) => err instanceof ConfigError && /relays/.test(err.message));
});

test('--help names every config key', () => {
  const help = commandHelp(command);
  for (const key of ['dir', 'services', 'state', 'relays', 'readyTimeout', 'keepLogs']) assert.match(help, new RegExp(`config: ${key}\\b`));
});

test('runs a network with a HiddenServiceDir service until SIGINT, then leaves no tor behind', { timeout: 240_000 }, async () => {
  const sink = createServer((s) => s.end('220 cli-sink\r\n'));
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const sinkPort = (sink.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'dev-tornet-test-'));
  const stateFile = join(dir, 'state.json');
  // A process of its own, wired like src/main.ts (SIGINT aborts stopSignal), without loading every other command:
  // it proves the command keeps itself alive while tor runs and stops everything on Ctrl-C.
  const script = join(dir, 'run.mts');
  writeFileSync(
    script,
    [
      `import { command } from ${JSON.stringify(fileURLToPath(new URL('../src/commands/dev-tornet.ts', import.meta.url)))};`,
      'const ac = new AbortController();',
      "process.once('SIGINT', () => ac.abort());",
      'process.exitCode = await command.run({ values: JSON.parse(process.argv[2]), positionals: [], stdout: process.stdout, stderr: process.stderr, stopSignal: ac.signal });',
      '',
    ].join('\n'),
  );
  const values = { services: [`mx=127.0.0.1:${sinkPort}`], state: stateFile };
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, JSON.stringify(values)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    while (!stdout.includes('Running;')) {
      if (child.exitCode !== null) assert.fail(`command ended early (${child.exitCode}):\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const socks = parseHostPort(/^socks\s+(\S+)/m.exec(stdout)![1]!);
    const onion = /^service\s+mx\s+([a-z2-7]{56}\.onion)\s+-> 127\.0\.0\.1:(\d+)$/m.exec(stdout);
    assert.ok(onion, stdout);
    assert.equal(Number(onion[2]), sinkPort);
    const netDir = /^dir\s+(\S+)$/m.exec(stdout)![1]!;
    const pids = /^pids\s+(.+)$/m.exec(stdout)![1]!.split(' ').map(Number);
    assert.equal(pids.length, 7);
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { socks: unknown; pids: number[] };
    assert.deepEqual(state.socks, socks);
    assert.deepEqual(state.pids, pids);

    // Still running a moment later (nothing lets the event loop run dry).
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(child.exitCode, null, stderr);
    const res = await socksConnect(socks, { host: onion[1]!, port: 25 }, { timeoutMs: 60_000 });
    assert.ok(res.ok, `SOCKS reply ${res.ok ? 0 : res.reply}`);
    const banner = await new Promise<string>((resolve) => {
      let b = '';
      res.socket.on('data', (d: Buffer) => (b += d.toString()));
      res.socket.on('end', () => resolve(b));
    });
    assert.equal(banner, '220 cli-sink\r\n');

    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    assert.deepEqual(pids.filter(isAlive), []);
    assert.equal(existsSync(stateFile), false, 'state file removed');
    assert.equal(existsSync(netDir), false, 'temporary node directory removed');
  } finally {
    if (child.exitCode === null) child.kill('SIGINT');
    await exited;
    sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs `dev tornet` in a process of its own, wired like src/main.ts, and collects its output. */
function startDevTornet(dir: string, values: CommandContext['values']) {
  const script = join(dir, 'run.mts');
  writeFileSync(
    script,
    [
      `import { command } from ${JSON.stringify(fileURLToPath(new URL('../src/commands/dev-tornet.ts', import.meta.url)))};`,
      'const ac = new AbortController();',
      "process.once('SIGINT', () => ac.abort());",
      'process.exitCode = await command.run({ values: JSON.parse(process.argv[2]), positionals: [], stdout: process.stdout, stderr: process.stderr, stopSignal: ac.signal });',
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, JSON.stringify(values)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const io = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (io.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (io.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = async (pred: () => boolean, what: string, ms = 180_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (child.exitCode !== null)
        assert.fail(`dev tornet ended early (${child.exitCode}) waiting for ${what}:\n${io.stdout}\n${io.stderr}`);
      if (Date.now() > deadline) assert.fail(`no ${what} in time:\n${io.stdout}\n${io.stderr}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  return { child, io, exited, until };
}

/** `peergroup dev tornet client stop|start` through the real binary, as an operator types it. */
function clientCommand(action: string, dir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = fileURLToPath(new URL('../bin/peergroup.js', import.meta.url));
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, 'dev', 'tornet', 'client', action, '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function tcpConnects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function bannerThrough(socks: { host: string; port: number }, onion: string): Promise<string> {
  const res = await socksConnect(
    socks,
    { host: onion, port: 25 },
    { timeoutMs: 60_000, credentials: { username: `t-${Date.now()}`, password: 'x' } },
  );
  assert.ok(res.ok, `SOCKS reply ${res.ok ? 0 : res.reply}`);
  return new Promise<string>((resolve) => {
    let b = '';
    res.socket.on('data', (d: Buffer) => (b += d.toString()));
    res.socket.on('end', () => resolve(b));
  });
}

test('--dir: client stop/start from the command line, a killed node is reported, a restart keeps onion names and ports', {
  timeout: 480_000,
}, async () => {
  const sink = createServer((s) => s.end('220 keep-sink\r\n'));
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const sinkPort = (sink.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'dev-tornet-keep-'));
  const netDir = join(dir, 'net');
  const values = { dir: netDir, services: [`mx=127.0.0.1:${sinkPort}`] };
  let run = startDevTornet(dir, values);
  try {
    await run.until(() => run.io.stdout.includes('Running;'), 'start');
    const socks = parseHostPort(/^socks\s+(\S+)/m.exec(run.io.stdout)![1]!);
    const onion = /^service\s+mx\s+([a-z2-7]{56}\.onion)\s/m.exec(run.io.stdout)![1]!;
    const hsDir = /^hs-dir\s+mx\s+(\S+)/m.exec(run.io.stdout)![1]!;
    assert.equal(readFileSync(join(hsDir, 'hostname'), 'utf8').trim(), onion, 'hs-dir is the HiddenServiceDir of the onion');
    const nodes = Object.fromEntries([...run.io.stdout.matchAll(/^node\s+(\S+)\s+pid (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
    assert.deepEqual(Object.keys(nodes).sort(), ['auth0', 'auth1', 'auth2', 'client', 'relay0', 'relay1', 'service']);

    // Tor down: the client node stops, SOCKS refuses; back: same port, the onion answers again.
    const stopped = await clientCommand('stop', netDir);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /client stopped/);
    assert.equal(isAlive(nodes.client!), false, 'client tor process gone');
    assert.equal(await tcpConnects(socks.port), false, 'SOCKS refuses while the client is stopped');
    const started = await clientCommand('start', netDir);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, new RegExp(`client running .*SOCKS ${socks.host}:${socks.port}`));
    assert.equal(await bannerThrough(socks, onion), '220 keep-sink\r\n');

    // A node that dies on its own is said on stderr, naming node and pid.
    process.kill(nodes.relay1!, 'SIGKILL');
    await run.until(() => new RegExp(`tor node relay1 \\(pid ${nodes.relay1}\\) exited`).test(run.io.stderr), 'death report', 15_000);

    run.child.kill('SIGINT');
    assert.equal(await run.exited, 0, run.io.stderr);
    assert.doesNotMatch(run.io.stderr, /tor node (auth|client|service|relay0)\S* \(pid \d+\) exited/, 'a requested stop is no death');
    const noOne = await clientCommand('stop', netDir);
    assert.equal(noOne.code, 69);
    assert.match(noOne.stderr, /no "peergroup dev tornet" is running/);

    // Same --dir again: the same network, so the relay's map and torrc stay valid.
    run = startDevTornet(dir, values);
    await run.until(() => run.io.stdout.includes('Running;'), 'restart');
    assert.match(run.io.stderr, /same keys and ports/);
    assert.equal(/^socks\s+(\S+)/m.exec(run.io.stdout)![1], `${socks.host}:${socks.port}`);
    assert.equal(/^service\s+mx\s+([a-z2-7]{56}\.onion)\s/m.exec(run.io.stdout)![1], onion);
    assert.equal(await bannerThrough(socks, onion), '220 keep-sink\r\n');
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 0, run.io.stderr);
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGINT');
    await run.exited;
    sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
