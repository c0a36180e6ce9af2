/**
 * End to end through the private Tor network, with every piece real:
 *   peer Postfix → router (socketmap, SRV discovery, DNSSEC required) → relay (LMTP) → Tor → our onion service →
 *   `peergroup onionmx inbound` (the CLI process, configured from docs/snippets/inbound.yaml) → internal Postfix
 *   (configured from docs/snippets/postfix-inbound-main.cf, XCLIENT) → Maildir.
 * The SRV record the peer finds is the one `peergroup onionmx publish` printed, served by nsd from a signed zone and
 * validated by unbound; `publish --verify` checks it too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect } from 'node:net';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { routerConfigSchema } from '@peergroup/onionmx';
import { startRouter } from '@peergroup/onionmx';
import { relayConfigSchema } from '@peergroup/onionmx';
import { startRelay } from '@peergroup/onionmx';
import { silentLogger } from '@peergroup/service';
import type { RunningService } from '@peergroup/service';
import { main } from '@peergroup/cli';
import { sharedTornet, type Tornet } from '@peergroup/test-support/tornet';
import { mainCfFromSnippet, snippet, yamlFromSnippet } from '@peergroup/test-support/snippets';
import { startPostfix, type Postfix } from '@peergroup/test-support/postfix';
import { startAuthoritative, startValidatingResolver, type AuthoritativeServer, type ResolverServer } from '@peergroup/test-support/dns';
import { freePort, waitForPort } from '@peergroup/test-support/ports';
import { onProcessExit, killQuietly, sleep } from '@peergroup/test-support/proc';

const root = new URL('../../', import.meta.url).pathname;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let out = '';
  let err = '';
  const w = (f: (s: string) => void) => new Writable({ write: (c: Buffer, _e, cb) => (f(c.toString()), cb()) });
  const code = await main(args, {
    stdout: w((s) => (out += s)) as unknown as typeof process.stdout,
    stderr: w((s) => (err += s)) as unknown as typeof process.stderr,
  });
  return { code, stdout: out, stderr: err };
}

let net: Tornet;
let dir: string;
let mx: Postfix;
let peer: Postfix;
let front: ChildProcess;
let frontLog = '';
let frontPort: number;
let metricsPort: number;
let onion: string;
let nsd: AuthoritativeServer;
let unbound: ResolverServer;
let router: RunningService;
let relay: RunningService;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'inbound-tor-'));
  mx = await startPostfix({
    name: 'mx.ours.example',
    mailbox: { domains: ['ours.example'] },
    mainCf: mainCfFromSnippet(snippet('postfix-inbound-main.cf')),
  });

  // The front as operators run it: the CLI, the documented config file, flags for this machine's ports.
  frontPort = await freePort();
  metricsPort = await freePort();
  front = spawn(
    process.execPath,
    [
      join(root, 'packages/cli/bin/peergroup.js'),
      'onionmx',
      'inbound',
      '--config',
      join(root, 'docs/snippets/inbound.yaml'),
      '--listen',
      `127.0.0.1:${frontPort}`,
      '--mx',
      `127.0.0.1:${mx.smtpPort}`,
      '--domain',
      'ours.example',
      '--metrics',
      `127.0.0.1:${metricsPort}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const unregister = onProcessExit(() => killQuietly(front.pid, 'SIGKILL'));
  front.once('exit', unregister);
  front.stderr!.on('data', (b: Buffer) => (frontLog += b.toString()));
  await waitForPort(frontPort, '127.0.0.1', 20_000);

  net = await sharedTornet();
  onion = (await net.addOnion({ host: '127.0.0.1', port: frontPort })).hostname;
  // Tor writes `<onion>\n` into HiddenServiceDir/hostname; the ADD_ONION service of the shared network has no
  // directory, so its hostname is written the same way for `publish`.
  const hs = join(dir, 'hs');
  mkdirSync(hs, { mode: 0o700 });
  writeFileSync(join(hs, 'hostname'), `${onion}\n`);
  const published = await cli([
    'onionmx',
    'publish',
    '--hidden-service-dir',
    hs,
    '--domain',
    'ours.example',
    '--target',
    `127.0.0.1:${frontPort}`,
  ]);
  assert.equal(published.code, 0, published.stderr);
  const srv = published.stdout.split('\n').filter((l) => l.startsWith('_onion-mx._tcp.'));
  assert.equal(srv.length, 1);
  // Someone points a foreign domain at our onion, hoping we relay for it.
  const hostile = `_onion-mx._tcp.victim.test. 300 IN SRV 0 5 25 ${onion}.`;
  nsd = await startAuthoritative({
    zones: [
      { origin: 'ours.example', sign: true, records: srv.join('\n') },
      { origin: 'victim.test', sign: true, records: hostile },
    ],
  });
  unbound = await startValidatingResolver({
    stubs: ['ours.example', 'victim.test'].map((zone) => ({ zone, server: nsd })),
    trustAnchors: nsd.trustAnchors,
  });

  // docs/snippets/routing.yaml with this test's resolver, an empty map and the peer's own domain; DNSSEC required
  // here so the onion is only reached through the signed record.
  writeFileSync(join(dir, 'onion.map'), '');
  const { routing: documented } = yamlFromSnippet('routing.yaml', {
    '/etc/peergroup/onion.map': join(dir, 'onion.map'),
    '127.0.0.1:53': unbound.address,
    'example.org': 'peer.test',
  });
  const routing = { ...documented, dnssec: 'require' };
  const relayPort = await freePort();
  relay = await startRelay(
    relayConfigSchema.parse({ lmtp: `127.0.0.1:${relayPort}`, socks: `${net.socks.host}:${net.socks.port}`, routing }),
    { registry: new Registry() },
  );
  const doc = parseYaml(snippet('router-relay.yaml')) as { router: Record<string, unknown> };
  router = await startRouter(
    routerConfigSchema.parse({
      ...doc.router,
      socketmap: { ...(doc.router.socketmap as object), listen: '127.0.0.1:0' },
      relay: { ...(doc.router.relay as object), address: `127.0.0.1:${relayPort}` },
      routing,
    }),
    { logger: silentLogger(), registry: new Registry() },
  );
  peer = await startPostfix({
    name: 'mail.peer.test',
    mainCf: mainCfFromSnippet(snippet('postfix-relay-main.cf'), {
      '127.0.0.1:23001': `127.0.0.1:${router.addresses.socketmap!.port}`,
      '127.0.0.1:10024': `127.0.0.1:${relayPort}`,
    }),
  });
});

after(async () => {
  if (front && front.exitCode === null) {
    front.kill('SIGTERM');
    await Promise.race([new Promise((r) => front.once('exit', r)), sleep(5000)]);
    killQuietly(front.pid, 'SIGKILL');
  }
  await relay?.close();
  await router?.close();
  await peer?.stop();
  await mx?.stop();
  await unbound?.stop();
  await nsd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('peer MTA → router → relay → Tor → our onion → inbound → internal Postfix', () => {
  test('publish --verify finds the published record, DNSSEC-validated', async () => {
    const hs = join(dir, 'hs');
    const r = await cli([
      'onionmx',
      'publish',
      '--hidden-service-dir',
      hs,
      '--domain',
      'ours.example',
      '--verify',
      '--resolver',
      unbound.address,
      '--dnssec',
      'require',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ours\.example: ok\n {2}dnssec {5}validated/);
  });

  test('a message from the peer arrives in our mailbox; our MX saw the pseudo client, not localhost', async () => {
    const msg = `From: sender@peer.test\r\nTo: alice@ours.example\r\nSubject: over tor\r\nMessage-ID: <tor-e2e@peer.test>\r\n\r\n.leading dot\r\nGr\u00fc\u00dfe \u00fcber Tor\r\n`;
    await peer.submit('sender@peer.test', ['alice@ours.example'], msg);
    const deadline = Date.now() + 120_000;
    let box: string[] = [];
    while (Date.now() < deadline) {
      box = (await mx.mailboxes())['alice@ours.example'] ?? [];
      if (box.length) break;
      await sleep(500);
    }
    assert.equal(
      box.length,
      1,
      `not delivered; peer log:\n${(await peer.log()).split('\n').slice(-15).join('\n')}\nfront log:\n${frontLog.slice(-2000)}`,
    );
    const got = box[0]!;
    // Our MX's own Received line: the HELO is the peer relay's, the client is the configured pseudo client.
    const ours = /^Received: from [^\n]*\n(\s[^\n]*\n)*/m.exec(got)![0];
    // (The HELO name is whatever the peer's relay said; the part in parentheses is who our MX believes connected.)
    assert.match(ours, /^Received: from \S+ \(onion \[192\.0\.2\.1\]\)\n\s+by mx\.ours\.example \(Postfix\)/);
    assert.doesNotMatch(/\([^)]*\)/.exec(ours)![0], /127\.0\.0\.1|localhost/);
    assert.ok(got.endsWith('\n\n.leading dot\nGr\u00fc\u00dfe \u00fcber Tor\n'), got);
    await peer.waitForLog(/to=<alice@ours\.example>.*status=sent/, 30_000);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /onionmx_inbound_messages_total\{result="accepted"\} 1/);
  });

  test('a foreign domain pointed at our onion is refused by the front and bounced by the peer; our MX never hears of it', async () => {
    const offset = (await mx.log()).length;
    await peer.submit('sender@peer.test', ['user@victim.test'], 'Subject: relay me\r\n\r\nplease\r\n');
    const bounced = await peer.waitForLog(/to=<user@victim\.test>.*status=bounced/, 120_000);
    assert.match(bounced, /554 5\.7\.1 \S+\.onion:25 said: 554 relay access denied: this onion accepts mail for ours\.example only/);
    await sleep(500);
    assert.doesNotMatch((await mx.log()).slice(offset), /victim|connect from/);
  });

  test('SIGTERM stops the front process cleanly (exit 0, port closed)', async () => {
    const exited = new Promise<number | null>((r) => front.once('exit', (code) => r(code)));
    front.kill('SIGTERM');
    assert.equal(await exited, 0, frontLog.slice(-1000));
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const s = connect({ port: frontPort, host: '127.0.0.1' }, () => (s.destroy(), resolve()));
        s.once('error', reject);
      }),
      /ECONNREFUSED/,
    );
  });
});
