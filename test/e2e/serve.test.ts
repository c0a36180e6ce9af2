// `peergroup serve` as an operator runs it: one config file, every service in one process, one metrics port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { onionFromPublicKey } from '@peergroup/onionmx';
import sodium from 'sodium-native';

const bin = fileURLToPath(new URL('../../packages/cli/bin/peergroup.js', import.meta.url));

function randomOnion(): string {
  const pk = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
  const sk = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES);
  sodium.crypto_sign_keypair(pk, sk);
  return onionFromPublicKey(pk);
}

function tcpTableGet(port: number, key: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(`get ${key}\n`));
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.endsWith('\n')) {
        sock.end();
        resolve(buf.trimEnd());
      }
    });
    sock.on('error', reject);
  });
}

test('peergroup serve runs router, relay and accounts from one config file and stops cleanly on SIGTERM', async (t) => {
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
  const child = spawn(process.execPath, [bin, 'serve', '--config', join(dir, 'peergroup.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));

  const addresses = new Map<string, number>();
  for await (const line of createInterface({ input: child.stdout })) {
    const m = /^(\w+) (\S+) 127\.0\.0\.1:(\d+)$/.exec(line);
    if (m) addresses.set(`${m[1]} ${m[2]}`, Number(m[3]));
    if (line.startsWith('peergroup: running')) break;
  }
  assert.ok(addresses.get('router tcp_table'), `router listener printed; stderr: ${stderr}`);
  assert.ok(addresses.get('relay lmtp'), 'relay listener printed');
  assert.ok(addresses.get('accounts http'), 'accounts listener printed');
  assert.ok(addresses.get('metrics http'), 'metrics listener printed');
  assert.ok(!addresses.has('inbound smtp'), 'inbound stays off without an inbound section');

  assert.equal(await tcpTableGet(addresses.get('router tcp_table')!, 'someone@Peer.Example'), `200 smtptor:[${onion}]:25`);
  assert.match(await tcpTableGet(addresses.get('router tcp_table')!, 'me@our.example'), /^500 /);

  const page = await fetch(`http://127.0.0.1:${addresses.get('accounts http')}/login`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<form/i);

  const health = await fetch(`http://127.0.0.1:${addresses.get('metrics http')}/healthz`);
  assert.equal(health.status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${addresses.get('metrics http')}/metrics`)).text();
  // One endpoint carries every service's metrics.
  assert.match(metrics, /router/);
  assert.match(metrics, /relay/);
  assert.match(metrics, /accounts/);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
});

test('peergroup serve --check-config names every bad key of every section at once (exit 78)', async () => {
  const run = promisify(execFile);
  await assert.rejects(
    run(process.execPath, [bin, 'serve', '--set', 'router.bogus=1', '--set', 'relay.tls=maybe', '--set', 'routing.dnssec=sometimes', '--check-config']),
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

test('the shipped example config (packaging/peergroup.example.yaml) validates and enables every service', async () => {
  const run = promisify(execFile);
  const example = fileURLToPath(new URL('../../packaging/peergroup.example.yaml', import.meta.url));
  const { stdout } = await run(process.execPath, [bin, 'serve', '--config', example, '--check-config']);
  assert.match(stdout, /would run: router, relay, inbound, accounts/);
});
