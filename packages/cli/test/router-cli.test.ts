/**
 * `peergroup onionmx router` as an operator runs it: quick start from flags alone, a config file, --check-config,
 * and start-up refusals that name the key. The daemon is a real child process stopped with SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TcpTableClient, SocketmapClient, eximQuery, randomOnion } from '@peergroup/test-support/router-clients';

const bin = fileURLToPath(new URL('../bin/peergroup.js', import.meta.url));

function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

test('quick start from flags: listeners come up, answer, and stop on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-router-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const onion = randomOnion();
  writeFileSync(join(dir, 'onion.map'), `mapped.test ${onion}:2525\n`);
  const child = spawn(
    process.execPath,
    [
      bin,
      'onionmx',
      'router',
      '--map',
      join(dir, 'onion.map'),
      '--no-srv',
      '--tcp-table',
      '127.0.0.1:0',
      '--socketmap',
      '127.0.0.1:0',
      '--exim',
      '127.0.0.1:0',
      '--reply',
      'direct',
      '--transport',
      'torsmtp',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  const ports: Record<string, number> = {};
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      for (const m of out.matchAll(/^(\w+) 127\.0\.0\.1:(\d+)$/gm)) ports[m[1]!] = Number(m[2]);
      if (ports.tcp_table && ports.socketmap && ports.exim) resolve();
    });
    child.once('exit', (code) => reject(new Error(`router exited ${code}`)));
  });
  const c = await TcpTableClient.open(ports.tcp_table!);
  const s = await SocketmapClient.open(ports.socketmap!);
  assert.equal(await c.get('u@mapped.test'), `200 torsmtp:[${onion}]:2525`);
  assert.equal(await s.lookup('onionmx', 'u@mapped.test'), `OK torsmtp:[${onion}]:2525`);
  assert.equal(await eximQuery(ports.exim!, 'mapped.test\n'), `${onion}::2525`, '--reply direct leaves the Exim listener on exim-route');
  c.close();
  s.close();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('config file, --check-config, and refusals naming the key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-router-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'onion.map'), `mapped.test ${randomOnion()}\n`);
  const good = join(dir, 'good.yaml');
  writeFileSync(
    good,
    `router:\n  routing:\n    maps: [{ path: ${join(dir, 'onion.map')} }]\n    srv: false\n  tcpTable: { listen: 127.0.0.1:23000, reply: relay }\n  exim: { listen: 127.0.0.1:23002 }\n`,
  );
  let r = await runCli(['onionmx', 'router', '--config', good, '--check-config']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /configuration OK\n {2}tcpTable 127\.0\.0\.1:23000 \(relay\)\n {2}exim 127\.0\.0\.1:23002 \(exim-route\)/);

  const typo = join(dir, 'typo.yaml');
  writeFileSync(typo, `router:\n  routing: {}\n  tcpTable: { listen: 127.0.0.1:23000, replay: relay }\n`);
  r = await runCli(['onionmx', 'router', '--config', typo, '--check-config']);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /router\.tcpTable\.replay: unknown key/);

  const noRouting = join(dir, 'norouting.yaml');
  writeFileSync(noRouting, `router:\n  tcpTable: { listen: 127.0.0.1:23000 }\n`);
  r = await runCli(['onionmx', 'router', '--config', noRouting, '--check-config']);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /router\.routing: /);

  r = await runCli(['onionmx', 'router', '--exim', '127.0.0.1:0', '--exim-reply', 'exim-automap', '--check-config']);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /automap\.dns: required because exim\.reply is exim-automap/);

  r = await runCli(['onionmx', 'router', '--tcp-table', '127.0.0.1:0', '--map', join(dir, 'missing.map'), '--check-config']);
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, /missing\.map/);

  r = await runCli(['onionmx', 'router', '--tcp-table', '127.0.0.1:0', '--max-connections', 'many']);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /--max-connections must be a whole number/);
});

test('--check-config warns when the direct form is configured and the torsocks library is missing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-router-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'onion.map'), `mapped.test ${randomOnion()}\n`);
  const base = ['onionmx', 'router', '--map', join(dir, 'onion.map'), '--no-srv', '--check-config'];
  const missing = { ...process.env, PEERGROUP_TORSOCKS_LIBRARY: join(dir, 'no-such-libtorsocks.so') };
  let r = await runCli([...base, '--socketmap', '127.0.0.1:23001', '--reply', 'direct'], missing);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /configuration OK\n {2}socketmap 127\.0\.0\.1:23001 \(direct\)/);
  assert.ok(
    r.stderr.includes(
      `warning: socketmap answer with the direct form (smtptor:[onion]:port), which needs torsocks preloaded into Postfix's smtp(8), but ${missing.PEERGROUP_TORSOCKS_LIBRARY} does not exist (Debian package torsocks)`,
    ),
    r.stderr,
  );
  // The relay form does not use torsocks: no warning.
  r = await runCli([...base, '--socketmap', '127.0.0.1:23001', '--reply', 'relay'], missing);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /torsocks/);
  // The library present (any existing file stands in for it): no warning.
  writeFileSync(join(dir, 'libtorsocks.so'), '');
  r = await runCli([...base, '--tcp-table', '127.0.0.1:23000', '--reply', 'direct'], {
    ...process.env,
    PEERGROUP_TORSOCKS_LIBRARY: join(dir, 'libtorsocks.so'),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /torsocks/);
});

test('--help lists every option with its config key', async () => {
  const r = await runCli(['onionmx', 'router', '--help']);
  assert.equal(r.code, 0);
  for (const key of [
    'tcpTable.listen',
    'socketmap.name',
    'exim.reply',
    'automap.dns',
    'limits.maxConnections',
    'metrics.listen',
    'routing.resolver.servers',
    'routing.maps[].path',
  ]) {
    assert.ok(r.stdout.includes(`config: ${key}`), key);
  }
});
