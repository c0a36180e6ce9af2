/**
 * Strict mode (`resolver.transport: tor`) with real Postfix mail: the router answers Postfix's tcp_table from SRV
 * records it looks up through a private Tor network at a validating unbound that is reachable only as an onion
 * service. Two DNS query RECORDERS stand where cleartext DNS would go — the resolver named in `resolver.servers`,
 * and the system resolver (the router runs in a mount namespace whose /etc/resolv.conf names the second recorder)
 * — and must see zero queries, also while the Tor client is stopped (then the router answers 400 and Postfix keeps
 * the mail queued; it is delivered once Tor is back). Own Tor network: the test stops the client.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTornet, type Tornet, type TornetOnion } from '@peergroup/tornet';
import { startAuthoritative, startValidatingResolver, type AuthoritativeServer, type ResolverServer } from '@peergroup/test-support/dns';
import { startDnsRecorder, type DnsRecorder } from '@peergroup/test-support/dns-recorder';
import { startPostfix, type Postfix } from '@peergroup/test-support/postfix';
import { startSmtpSink, type SmtpSink } from '@peergroup/test-support/smtp-sink';
import { randomOnion } from '@peergroup/test-support/router-clients';
import { requirePrerequisite } from '@peergroup/test-support/prerequisites';
import { run } from '@peergroup/test-support/proc';

const asRoot = process.getuid?.() === 0;
const onion = randomOnion();
const srv = `_onion-mx._tcp 300 IN SRV 0 0 25 ${onion}.\n`;
const message = (to: string, subject: string) => `From: a@sender.test\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n`;

let dir: string;
let net: Tornet;
let nsd: AuthoritativeServer;
let unbound: ResolverServer;
let resolverOnion: TornetOnion;
let systemRecorder: DnsRecorder;
let configuredRecorder: DnsRecorder;
let relaySink: SmtpSink;
let cleartextSink: SmtpSink;
let router: ChildProcess;
let routerLog = '';
let postfix: Postfix;

/** Runs argv in a private mount namespace where /etc/resolv.conf is `resolvConf`; nothing outside sees the mount. */
function inResolverNamespace(resolvConf: string, argv: string[]): ChildProcess {
  return spawn(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolvConf, ...argv],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

function recorded(): string {
  return [...systemRecorder.queries, ...configuredRecorder.queries]
    .map((q) => `${q.transport} ${q.name} ${q.type} from ${q.from}`)
    .join('\n');
}

describe('strict DNS over Tor with real Postfix: no cleartext routing query', {
  skip: asRoot ? false : 'needs root: the system resolver is replaced in a mount namespace and the recorder binds port 53',
}, () => {
  before(async () => {
    requirePrerequisite('postfix');
    dir = mkdtempSync(join(tmpdir(), 'pg-dns-strict-'));
    nsd = await startAuthoritative({
      zones: [
        { origin: 'strict.test', sign: true, records: srv },
        { origin: 'later.test', sign: true, records: srv },
        { origin: 'sender.test', sign: true, records: 'www IN A 192.0.2.2\n' },
      ],
    });
    unbound = await startValidatingResolver({
      stubs: ['strict.test', 'later.test', 'sender.test'].map((zone) => ({ zone, server: nsd })),
      trustAnchors: nsd.trustAnchors,
    });
    net = await startTornet();
    resolverOnion = await net.addOnion({ host: unbound.host, port: unbound.port }, { virtualPort: 53 });
    // A loopback address of its own, so the recorder on port 53 cannot collide with a local resolver (127.0.0.53).
    systemRecorder = await startDnsRecorder({ host: `127.53.${randomInt(1, 255)}.${randomInt(1, 255)}`, port: 53 });
    configuredRecorder = await startDnsRecorder();
    relaySink = await startSmtpSink({ name: 'relay-sink.test' });
    cleartextSink = await startSmtpSink({ name: 'cleartext-sink.test' });
    const resolvConf = join(dir, 'resolv.conf');
    writeFileSync(resolvConf, `nameserver ${systemRecorder.host}\n`);
    const config = {
      routing: {
        dnssec: 'require',
        resolver: {
          servers: [configuredRecorder.address],
          transport: 'tor',
          retries: 0,
          tor: { socks: `${net.socks.host}:${net.socks.port}`, servers: [{ address: `${resolverOnion.hostname}:53` }], timeout: '15s' },
        },
      },
      tcpTable: { listen: '127.0.0.1:0', reply: 'relay' },
      relay: { address: `127.0.0.1:${relaySink.port}`, protocol: 'smtp' },
    };
    const child = fileURLToPath(new URL('./fixtures/strict-router-child.ts', import.meta.url));
    router = inResolverNamespace(resolvConf, [process.execPath, '--conditions=source', '--import', 'tsx', child, JSON.stringify(config)]);
    let out = '';
    router.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    router.stderr!.on('data', (b: Buffer) => (routerLog += b.toString()));
    const deadline = Date.now() + 60_000;
    while (!out.includes('\n')) {
      if (router.exitCode !== null || Date.now() > deadline)
        throw new Error(`router did not start (exit ${router.exitCode}):\n${routerLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const { tcpTable } = JSON.parse(out) as { tcpTable: number };
    postfix = await startPostfix({
      name: 'pf-strict.test',
      mainCf: { transport_maps: `tcp:127.0.0.1:${tcpTable}`, default_transport: `smtp:[127.0.0.1]:${cleartextSink.port}` },
    });
  });

  after(async () => {
    await postfix?.stop();
    if (router && router.exitCode === null) {
      const exited = new Promise((r) => router.once('exit', r));
      router.kill('SIGTERM');
      await exited;
    }
    await Promise.all([relaySink?.close(), cleartextSink?.close(), systemRecorder?.stop(), configuredRecorder?.stop()]);
    await resolverOnion?.remove().catch(() => undefined);
    await net?.stop();
    await Promise.all([unbound?.stop(), nsd?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the recorder really is the system resolver inside the namespace', async () => {
    const probe = inResolverNamespace(join(dir, 'resolv.conf'), ['getent', 'ahosts', 'leak-probe.example']);
    await new Promise((r) => probe.once('exit', r));
    assert.ok(
      systemRecorder.queries.some((q) => q.name === 'leak-probe.example'),
      `a lookup through the system resolver reaches the recorder; it saw: ${recorded() || 'nothing'}`,
    );
    systemRecorder.clear();
  });

  test('mail to an SRV-routed domain goes the onion route; neither recorder sees a query', async () => {
    const reply = await postfix.submit('a@sender.test', ['bob@strict.test'], message('bob@strict.test', 'strict'));
    assert.match(reply, /^250 /);
    const [got] = await relaySink.waitFor(1, 60_000);
    assert.deepEqual(got!.to, ['bob@strict.test']);
    assert.equal(cleartextSink.messages.length, 0);
    assert.ok(unbound.queriesFor('_onion-mx._tcp.strict.test') >= 1, 'the SRV query reached the resolver behind the onion');
    assert.equal(recorded(), '', 'no DNS query in cleartext');
  });

  test('Tor client stopped: the router answers 400, Postfix keeps the mail queued, still no cleartext query; delivered once Tor is back', async () => {
    await net.stopClient();
    await assert.rejects(
      postfix.submit('a@sender.test', ['carol@later.test'], message('carol@later.test', 'tor down')),
      (err: Error & { responseCode?: number }) => {
        assert.ok(
          err.responseCode !== undefined && err.responseCode >= 400 && err.responseCode < 500,
          `expected 4xx, got ${err.responseCode}: ${err.message}`,
        );
        return true;
      },
    );
    await postfix.sendmail('a@sender.test', ['carol@later.test'], message('carol@later.test', 'tor down'));
    await postfix.waitForQueue(
      (q) => q.some((m) => m.queue_name === 'deferred' && m.recipients.some((r) => r.address === 'carol@later.test' && r.delay_reason)),
      60_000,
    );
    assert.ok(!cleartextSink.messages.some((m) => m.to.includes('carol@later.test')), 'never delivered over the cleartext default route');
    assert.equal(recorded(), '', 'no cleartext fallback while Tor is down');
    assert.match(routerLog, /Tor SOCKS port \S+ unreachable.*"msg":"SRV lookup failed"/);

    await net.startClient();
    // qmgr's resolve client keeps the failure for a while; a reload starts a fresh one.
    await postfix.reload();
    await postfix.flush();
    const delivered = await relaySink.waitFor(2, 90_000);
    assert.ok(delivered.some((m) => m.to.includes('carol@later.test')));
    assert.equal(recorded(), '');
    const flushed = await run('postqueue', ['-c', postfix.configDir, '-j']);
    assert.equal(flushed.stdout.trim(), '', 'nothing left in the queue');
  });
});
