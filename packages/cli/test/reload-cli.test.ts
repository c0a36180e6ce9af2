/**
 * What the standalone daemons pick up without a restart, as operators run them (child processes of the CLI):
 * SIGHUP reloads the router's maps with file watching off, survives a router without maps, reloads the inbound
 * front's domains; and a router and a relay started from one file share its top-level routing section.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SocketmapClient, randomOnion } from '@peergroup/test-support/router-clients';
import { TestClient } from '@peergroup/test-support/relay-client';
import { freePort } from '@peergroup/test-support/ports';

const bin = fileURLToPath(new URL('../bin/peergroup.js', import.meta.url));

/** Starts `peergroup <args>` and resolves with its child and the `<name> <ip>:<port>` lines it printed. */
async function daemon(
  t: { after(fn: () => void): void },
  args: string[],
  names: string[],
): Promise<{ child: ChildProcess; ports: Record<string, number>; log: () => string }> {
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PEERGROUP_LOG_LEVEL: 'info' },
  });
  t.after(() => child.kill('SIGKILL'));
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const ports: Record<string, number> = {};
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      for (const m of out.matchAll(/^(\w+) 127\.0\.0\.1:(\d+)$/gm)) ports[m[1]!] = Number(m[2]);
      if (names.every((n) => ports[n])) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${err}`)));
  });
  return { child, ports, log: () => err };
}

async function eventually<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('router: SIGHUP reloads a map with watching off; the top-level routing section is used', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [first, second] = [randomOnion(), randomOnion()];
  const map = join(dir, 'onion.map');
  writeFileSync(map, `peer.test ${first}\n`);
  const file = join(dir, 'peergroup.yaml');
  writeFileSync(
    file,
    `routing:\n  maps: [{ path: ${map} }]\n  watchMaps: false\n  srv: false\nrouter:\n  socketmap: { listen: 127.0.0.1:0, reply: direct }\n`,
  );
  const { child, ports } = await daemon(t, ['onionmx', 'router', '--config', file], ['socketmap']);
  const s = await SocketmapClient.open(ports.socketmap!);
  t.after(() => s.close());
  assert.equal(
    await s.lookup('onionmx', 'peer.test'),
    `OK smtptor:[${first}]:25`,
    'the top-level routing section routes the standalone router',
  );

  writeFileSync(map, `peer.test ${second}\n`);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await s.lookup('onionmx', 'peer.test'), `OK smtptor:[${first}]:25`, 'watchMaps: false, so nothing changes before SIGHUP');
  child.kill('SIGHUP');
  const after = await eventually(
    'reload',
    () => s.lookup('onionmx', 'peer.test'),
    (v) => v.includes(second),
  );
  assert.equal(after, `OK smtptor:[${second}]:25`);
});

test('router without maps: SIGHUP does not stop it', async (t) => {
  const { child, ports } = await daemon(t, ['onionmx', 'router', '--no-srv', '--socketmap', '127.0.0.1:0'], ['socketmap']);
  child.kill('SIGHUP');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(child.exitCode, null, 'still running after SIGHUP');
  assert.equal(child.signalCode, null);
  const s = await SocketmapClient.open(ports.socketmap!);
  assert.equal(await s.lookup('onionmx', 'peer.test'), 'NOTFOUND ');
  s.close();
});

test('relay from the same file: routes with the top-level section (own domain → not onion-routed)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'peergroup.yaml');
  writeFileSync(file, `routing:\n  srv: false\n  ownDomains: [ours.test]\nrelay:\n  lmtp: 127.0.0.1:0\n`);
  const { ports } = await daemon(t, ['onionmx', 'relay', '--config', file], ['lmtp']);
  const { client } = await TestClient.connect(ports.lmtp!);
  await client.cmd('LHLO mta.test');
  await client.cmd('MAIL FROM:<s@elsewhere.test>');
  const r = await client.cmd('RCPT TO:<u@ours.test>');
  client.close();
  assert.equal(r.code, 451);
  assert.match(r.lines.join(' '), /4\.3\.0 ours\.test is not onion-routed \(.*own/);
});

test('inbound: SIGHUP reloads domains from the file; a broken file keeps them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'peergroup.yaml');
  // Nothing listens on the MX port: an accepted domain gets the front's 451 for an unreachable MX, a refused one 554.
  const mx = await freePort();
  const write = (domains: string) =>
    writeFileSync(file, `inbound:\n  listen: 127.0.0.1:0\n  mx: 127.0.0.1:${mx}\n  domains: [${domains}]\n`);
  write('a.test');
  const { child, ports, log } = await daemon(t, ['onionmx', 'inbound', '--config', file], ['smtp']);
  const rcpt = async (to: string) => {
    const { client } = await TestClient.connect(ports.smtp!);
    await client.cmd('EHLO peer.test');
    await client.cmd('MAIL FROM:<s@peer.test>');
    const r = await client.cmd(`RCPT TO:<${to}>`);
    client.close();
    return r;
  };
  assert.equal((await rcpt('u@b.test')).code, 554);
  write('a.test, b.test');
  child.kill('SIGHUP');
  const r = await eventually(
    'reload',
    () => rcpt('u@b.test'),
    (v) => v.code !== 554,
  );
  assert.equal(r.code, 451, `b.test accepted after SIGHUP, then the unreachable MX: ${r.lines.join(' ')}`);

  writeFileSync(file, 'inbound: [not, a, mapping]\n');
  child.kill('SIGHUP');
  await eventually(
    'error logged',
    async () => log(),
    (l) => l.includes('configuration not reloaded'),
  );
  assert.match(log(), /configuration not reloaded/);
  assert.equal((await rcpt('u@b.test')).code, 451, 'still accepted');
  assert.equal(child.exitCode, null);
});
