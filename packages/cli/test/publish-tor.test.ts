/**
 * `peergroup onionmx publish` on a HiddenServiceDir that a real tor wrote (the private network's service node), not
 * a hand-written hostname file: the SRV record it prints names the onion tor publishes, that onion reaches the
 * HiddenServicePort target, and `--verify` accepts the record once nsd serves it signed. Own network: the test needs
 * a HiddenServiceDir service, which the suite's shared network has not.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { socksConnect, startTornet, type Tornet, type TornetService } from '@peergroup/tornet';
import { startAuthoritative, startValidatingResolver, type AuthoritativeServer, type ResolverServer } from '@peergroup/test-support/dns';
import { main } from '../src/main.ts';
import { runMain } from '@peergroup/test-support/cli-capture';

const cli = (args: string[]) => runMain(main, args);

let front: Server;
let frontPort: number;
let net: Tornet;
let svc: TornetService;
let nsd: AuthoritativeServer | undefined;
let unbound: ResolverServer | undefined;

before(async () => {
  // Stands where the inbound front listens: what answers on the onion's port 25.
  front = createServer((s) => s.end('220 front behind the onion\r\n'));
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
  frontPort = (front.address() as { port: number }).port;
  net = await startTornet({ services: [{ name: 'mx', target: { host: '127.0.0.1', port: frontPort } }] });
  svc = net.services[0]!;
});
after(async () => {
  await unbound?.stop();
  await nsd?.stop();
  await net?.stop();
  front?.close();
});

test("publish reads the onion from tor's own HiddenServiceDir; the record it prints reaches the service", async () => {
  const hs = svc.hiddenServiceDir;
  // What tor leaves there (keys, hostname; mode 0700), i.e. not a directory a test wrote.
  assert.ok(readdirSync(hs).includes('hs_ed25519_secret_key'), readdirSync(hs).join(' '));
  assert.equal(statSync(hs).mode & 0o777, 0o700);
  const r = await cli(['onionmx', 'publish', '--hidden-service-dir', hs, '--domain', 'ours.test', '--target', `127.0.0.1:${frontPort}`]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.ok(lines.includes(`HiddenServiceDir ${hs}`));
  assert.ok(lines.includes(`HiddenServicePort 25 127.0.0.1:${frontPort}`));
  const srv = lines.filter((l) => l.startsWith('_onion-mx._tcp.'));
  assert.deepEqual(srv, [`_onion-mx._tcp.ours.test. 3600 IN SRV 0 5 25 ${svc.hostname}.`]);

  // The onion in the record is the one tor publishes: a peer's tor reaches the front through it.
  const onion = /SRV \d+ \d+ (\d+) (\S+)\.$/.exec(srv[0]!)!;
  const res = await socksConnect(net.socks, { host: onion[2]!, port: Number(onion[1]) }, { timeoutMs: 60_000 });
  assert.ok(res.ok, `SOCKS reply ${res.ok ? 0 : res.reply}`);
  const banner = await new Promise<string>((resolve) => {
    let text = '';
    res.socket.on('data', (b: Buffer) => (text += b.toString()));
    res.socket.on('close', () => resolve(text));
  });
  assert.equal(banner, '220 front behind the onion\r\n');

  // The printed record, served signed, is what --verify expects.
  nsd = await startAuthoritative({ zones: [{ origin: 'ours.test', sign: true, records: srv.join('\n') }] });
  unbound = await startValidatingResolver({ stubs: [{ zone: 'ours.test', server: nsd }], trustAnchors: nsd.trustAnchors });
  const v = await cli([
    'onionmx',
    'publish',
    '--hidden-service-dir',
    hs,
    '--domain',
    'ours.test',
    '--verify',
    '--resolver',
    unbound.address,
    '--dnssec',
    'require',
  ]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /ours\.test: ok/);
  assert.ok(v.stdout.includes(`published  ${svc.hostname}:25`), v.stdout);
});
