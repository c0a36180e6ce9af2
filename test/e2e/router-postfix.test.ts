/**
 * The router answering a real Postfix (private instance): tcp_table and socketmap lookups through `postmap`, mail
 * submitted over SMTP routed by the router's answer to a real SMTP sink, and a DNS outage (the real nsd the router
 * asks is stopped) leaving the message deferred in the queue — never delivered over the cleartext default route —
 * and delivered over the onion route once DNS is back. Finally the direct form end to end: Postfix's smtptor with
 * torsocks preloaded delivers through a real Tor network to an onion service in front of a sink, and with the library
 * missing the same setup keeps the message deferred instead of bouncing it (a local fault must never bounce).
 * The main.cf/master.cf lines used here are read from docs/onionmx-router.md and docs/snippets/, what operators copy.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { startRouter } from '@peergroup/onionmx';
import { routerConfigSchema } from '@peergroup/onionmx';
import { silentLogger } from '@peergroup/service';
import type { RunningService } from '@peergroup/service';
import { randomOnion } from '@peergroup/test-support/router-clients';
import { startPostfix, type Postfix } from '@peergroup/test-support/postfix';
import { startSmtpSink, type SmtpSink } from '@peergroup/test-support/smtp-sink';
import { startAuthoritative, type AuthoritativeServer } from '@peergroup/test-support/dns';
import { mainCfFromSnippet, snippet } from '@peergroup/test-support/snippets';
import { requirePrerequisite } from '@peergroup/test-support/prerequisites';
import { run } from '@peergroup/test-support/proc';

const mappedOnion = randomOnion();
const srvOnion = randomOnion();
let dir: string;
let nsd: AuthoritativeServer;
let nsdBack: AuthoritativeServer | undefined;
let relaySink: SmtpSink; // stands in for peergroup's relay (the relay reply form points Postfix at it)
let cleartextSink: SmtpSink; // Postfix's default route: what must never see onion-routed mail
let router: RunningService;
let postfix: Postfix;

// The main.cf/master.cf lines operators copy from docs/onionmx-router.md, with the test's ports.
const docs = readFileSync(fileURLToPath(new URL('../../docs/onionmx-router.md', import.meta.url)), 'utf8');
function documented(line: string): string {
  assert.ok(docs.includes(line), `docs/onionmx-router.md shows "${line}"`);
  return line;
}
const tcpTableMap = (port: number) => documented('tcp:127.0.0.1:23000').replace('23000', String(port));
const socketmapMap = (port: number) => documented('socketmap:inet:127.0.0.1:23001:onionmx').replace('23001', String(port));
const smtptorService = snippet('postfix-torsocks-master.cf').trimEnd().split('\n');
const torsocksLibrary = '/usr/lib/x86_64-linux-gnu/torsocks/libtorsocks.so';

const message = (to: string, subject: string) => `From: a@sender.test\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n`;

const zones = () => [
  { origin: 'srv.test', records: `_onion-mx._tcp 300 IN SRV 0 0 25 ${srvOnion}.\n` },
  { origin: 'outage.test', records: `_onion-mx._tcp 300 IN SRV 0 0 25 ${srvOnion}.\n` },
  { origin: 'plain.test', records: 'www IN A 192.0.2.1\n' },
  // Bounces go back to the sender's domain, which is routed too: it must have an answer (no SRV).
  { origin: 'sender.test', records: 'www IN A 192.0.2.2\n' },
];

function startTestRouter(dns: string, tcpPort: number, socketmapPort: number): Promise<RunningService> {
  return startRouter(
    routerConfigSchema.parse({
      routing: {
        maps: [{ path: join(dir, 'onion.map') }],
        watchMaps: false,
        resolver: { servers: [dns], timeoutMs: 300, retries: 0 },
        dnssec: 'off',
      },
      tcpTable: { listen: `127.0.0.1:${tcpPort}`, reply: 'relay' },
      socketmap: { listen: `127.0.0.1:${socketmapPort}`, reply: 'direct' },
      relay: { address: `127.0.0.1:${relaySink.port}`, protocol: 'smtp' },
      logSummaryInterval: 0,
    }),
    { logger: silentLogger(), registry: new Registry() },
  );
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pg-router-pf-'));
  writeFileSync(join(dir, 'onion.map'), `mapped.test ${mappedOnion}\n`);
  nsd = await startAuthoritative({ zones: zones() });
  relaySink = await startSmtpSink({ name: 'relay-sink.test' });
  cleartextSink = await startSmtpSink({ name: 'cleartext-sink.test' });
  router = await startTestRouter(nsd.address, 0, 0);
  postfix = await startPostfix({
    name: 'pf-router.test',
    mainCf: {
      transport_maps: tcpTableMap(router.addresses.tcp_table!.port),
      // The cleartext route for everything the router does not claim (500).
      default_transport: `smtp:[127.0.0.1]:${cleartextSink.port}`,
    },
    masterCf: smtptorService,
  });
});

after(async () => {
  await postfix?.stop();
  await router?.close();
  await relaySink?.close();
  await cleartextSink?.close();
  await nsd?.stop();
  await nsdBack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('router with real Postfix', () => {
  test('postmap -q through tcp_table and socketmap', async () => {
    const tcp = tcpTableMap(router.addresses.tcp_table!.port);
    const sm = socketmapMap(router.addresses.socketmap!.port);
    let r = await postfix.postmap(['-q', 'User@Mapped.Test', tcp]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `smtp:[127.0.0.1]:${relaySink.port}`);
    r = await postfix.postmap(['-q', 'user@mapped.test', sm]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `smtptor:[${mappedOnion}]:25`);
    r = await postfix.postmap(['-q', 'user@srv.test', sm]);
    assert.equal(r.stdout.trim(), `smtptor:[${srvOnion}]:25`);
    r = await postfix.postmap(['-q', 'user@plain.test', tcp]);
    assert.equal(r.code, 1, 'not found: postmap exits 1 with no output');
    assert.equal(r.stdout, '');
    r = await postfix.postmap(['-q', 'user@plain.test', sm]);
    assert.equal(r.code, 1);
  });

  test('a message to an onion-routed domain goes where the router says; others take the default route', async () => {
    const reply = await postfix.submit('a@sender.test', ['bob@mapped.test'], message('bob@mapped.test', 'onion-routed'));
    assert.match(reply, /^250 /);
    const [got] = await relaySink.waitFor(1, 30_000);
    assert.deepEqual(got!.to, ['bob@mapped.test']);
    assert.match(got!.data.toString(), /Subject: onion-routed/);

    await postfix.submit('a@sender.test', ['carol@plain.test'], message('carol@plain.test', 'cleartext'));
    const [clear] = await cleartextSink.waitFor(1, 30_000);
    assert.deepEqual(clear!.to, ['carol@plain.test']);
    assert.equal(relaySink.messages.length, 1, 'the not-onion domain did not reach the relay');
  });

  test('socketmap with the direct form: Postfix hands the mail to the smtptor transport for [onion]:25', async () => {
    const offset = (await postfix.log()).length;
    await postfix.setMainCf({ transport_maps: socketmapMap(router.addresses.socketmap!.port) });
    await postfix.sendmail('a@sender.test', ['dave@srv.test'], message('dave@srv.test', 'direct'));
    // This test's smtptor is plain smtp(8), not run through torsocks: the onion name cannot resolve, so it fails
    // there — which shows that Postfix used the router's transport and nexthop, and that nothing left in cleartext.
    // The documented status filter makes that failure a deferral.
    const line = await postfix.waitForLog(
      new RegExp(`postfix/smtptor/smtp\\[\\d+\\]: .*to=<dave@srv.test>.*status=(deferred|bounced).*${srvOnion}`),
      30_000,
      offset,
    );
    assert.match(line, /relay=none.*dsn=4\.4\.3, status=deferred/);
    // Deferred, it would be retried by the next test's flush over the relay route: delete it.
    const id = /smtp\[\d+\]: ([0-9A-F]+): /.exec(line)![1]!;
    assert.ok((await postfix.queue()).some((m) => m.queue_id === id && m.queue_name === 'deferred'));
    const del = await run('postsuper', ['-c', postfix.configDir, '-d', id]);
    assert.equal(del.code, 0, del.stderr);
    assert.ok(!cleartextSink.messages.some((m) => m.to.includes('dave@srv.test')), 'nothing for the onion domain on the cleartext route');
    await postfix.setMainCf({ transport_maps: tcpTableMap(router.addresses.tcp_table!.port) });
  });

  test('DNS outage: the router answers 400, Postfix keeps the message deferred, sends nothing in cleartext, and delivers over the onion route once DNS is back', async () => {
    await nsd.stop();
    // Over SMTP, smtpd's recipient check already hits the transport lookup failure: a 4xx the client retries.
    await assert.rejects(
      postfix.submit('a@sender.test', ['erin@outage.test'], message('erin@outage.test', 'outage')),
      (err: Error & { responseCode?: number }) => {
        assert.ok(
          err.responseCode !== undefined && err.responseCode >= 400 && err.responseCode < 500,
          `expected 4xx, got ${err.responseCode}: ${err.message}`,
        );
        return true;
      },
    );
    // Through the pickup path the message is in the queue before routing: it must stay deferred there.
    await postfix.sendmail('a@sender.test', ['erin@outage.test'], message('erin@outage.test', 'outage'));
    const queue = await postfix.waitForQueue(
      (q) => q.some((m) => m.queue_name === 'deferred' && m.recipients.some((r) => r.address === 'erin@outage.test' && r.delay_reason)),
      30_000,
    );
    const entry = queue.find((m) => m.recipients.some((r) => r.address === 'erin@outage.test'))!;
    const reason = entry.recipients[0]!.delay_reason!;
    assert.match(reason, /address resolver failure|lookup/i, reason);
    await postfix.flush();
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(
      (await postfix.queue()).some((m) => m.recipients.some((r) => r.address === 'erin@outage.test')),
      'still queued after a flush',
    );
    assert.ok(!cleartextSink.messages.some((m) => m.to.includes('erin@outage.test')), 'never delivered over the cleartext default route');
    assert.ok(!relaySink.messages.some((m) => m.to.includes('erin@outage.test')));

    // DNS comes back (a new nsd; the router restarted with it on the same ports, Postfix reconnects): the
    // deferred message is retried and now goes the onion route.
    nsdBack = await startAuthoritative({ zones: zones() });
    const ports = [router.addresses.tcp_table!.port, router.addresses.socketmap!.port] as const;
    await router.close();
    router = await startTestRouter(nsdBack.address, ...ports);
    // qmgr's resolve client keeps its last answer (this recipient's failure) for 30 s; a reload starts a fresh qmgr
    // instead of waiting that out. Nothing else is reset: the message is still in the deferred queue.
    await postfix.reload();
    await postfix.flush();
    const delivered = await relaySink.waitFor(2, 30_000);
    assert.deepEqual(delivered[1]!.to, ['erin@outage.test']);
    assert.ok(!cleartextSink.messages.some((m) => m.to.includes('erin@outage.test')));
  });
});

/** Router (direct form, map: tor.test → a fresh onion of the shared Tor network in front of a sink) and a Postfix
 * configured with the documented torsocks lines, the preload library path replaced by `library`. */
async function torsocksSetup(t: TestContext, library: string) {
  const { sharedTornet } = await import('@peergroup/test-support/tornet');
  const tor = await sharedTornet();
  const onionSink = await startSmtpSink({ name: 'onion-sink.test' });
  t.after(() => onionSink.close());
  const onion = await tor.addOnion({ host: '127.0.0.1', port: onionSink.port });
  t.after(() => onion.remove());
  const torDir = mkdtempSync(join(tmpdir(), 'pg-router-torsocks-'));
  t.after(() => rmSync(torDir, { recursive: true, force: true }));
  writeFileSync(join(torDir, 'onion.map'), `tor.test ${onion.hostname}\n`);
  const torsocksConf = snippet('torsocks.conf');
  assert.match(torsocksConf, /^TorAddress 127\.0\.0\.1\nTorPort 9050\n/);
  writeFileSync(join(torDir, 'torsocks.conf'), torsocksConf.replace('127.0.0.1', tor.socks.host).replace('9050', String(tor.socks.port)));
  const svc = await startRouter(
    routerConfigSchema.parse({
      routing: { maps: [{ path: join(torDir, 'onion.map') }], watchMaps: false, srv: false },
      socketmap: { listen: '127.0.0.1:0', reply: 'direct' },
      logSummaryInterval: 0,
    }),
    { logger: silentLogger(), registry: new Registry() },
  );
  t.after(() => svc.close());
  // The howtos' setup: Postfix's processes run with torsocks preloaded, so smtp(8) resolves the onion through Tor
  // and connects through Tor's SOCKS port. The master passes import_environment overrides to every child it execs.
  const torsocksMain = mainCfFromSnippet(snippet('postfix-torsocks-main.cf'), {
    '/etc/peergroup/torsocks.conf': join(torDir, 'torsocks.conf'),
  });
  assert.ok(torsocksMain.import_environment?.includes(`LD_PRELOAD=${torsocksLibrary} `), 'the snippet preloads the Debian library path');
  const pf = await startPostfix({
    name: 'pf-torsocks.test',
    smtpd: false,
    mainCf: {
      transport_maps: socketmapMap(svc.addresses.socketmap!.port),
      default_transport: 'error:no cleartext route in this test',
      ...torsocksMain,
      import_environment: torsocksMain.import_environment!.replace(torsocksLibrary, library),
    },
    masterCf: smtptorService,
  });
  t.after(() => pf.stop());
  return { pf, onion, onionSink };
}

describe('direct form end to end over a real Tor network', () => {
  test('Postfix smtptor through torsocks delivers to the onion the router names', async (t) => {
    requirePrerequisite('torsocks library');
    const { pf, onion, onionSink } = await torsocksSetup(t, torsocksLibrary);
    await pf.sendmail('a@sender.test', ['grace@tor.test'], message('grace@tor.test', 'direct over tor'));
    const [got] = await onionSink.waitFor(1, 40_000).catch(async (err: Error) => {
      throw new Error(`${err.message}\nmaillog:\n${(await pf.log()).split('\n').slice(-15).join('\n')}`);
    });
    assert.deepEqual(got!.to, ['grace@tor.test']);
    assert.match(got!.data.toString(), /Subject: direct over tor/);
    assert.match(
      await pf.waitForLog(/postfix\/smtptor\/smtp\[\d+\]: .*to=<grace@tor.test>.*status=sent/, 30_000),
      new RegExp(onion.hostname.slice(0, 16)),
    );
  });

  test('with the torsocks library missing, the message stays deferred in the queue and nothing bounces', async (t) => {
    const missing = '/nonexistent/torsocks/libtorsocks.so';
    const { pf, onion, onionSink } = await torsocksSetup(t, missing);
    await pf.sendmail('a@sender.test', ['heidi@tor.test'], message('heidi@tor.test', 'no torsocks'));
    const line = await pf.waitForLog(/postfix\/smtptor\/smtp\[\d+\]: .*to=<heidi@tor.test>.*status=/, 30_000);
    assert.match(
      line,
      /dsn=4\.4\.3, status=deferred \(unable to look up host [a-z2-7]{56}\.onion: .* \(torsocks not preloaded\?\)\)/,
      line,
    );
    const queue = await pf.waitForQueue((q) => q.some((m) => m.queue_name === 'deferred'), 10_000);
    const entry = queue.find((m) => m.recipients.some((r) => r.address === 'heidi@tor.test'));
    assert.equal(entry?.queue_name, 'deferred', JSON.stringify(queue));
    assert.match(entry!.recipients[0]!.delay_reason ?? '', new RegExp(`${onion.hostname}.*torsocks not preloaded`));
    // A retry meets the same local fault: still deferred, still no bounce.
    const offset = (await pf.log()).length;
    await pf.flush();
    await pf.waitForLog(/to=<heidi@tor.test>.*status=deferred/, 30_000, offset);
    const log = await pf.log();
    assert.doesNotMatch(log, /status=bounced|sender non-delivery notification/, 'nothing bounced');
    assert.equal((await pf.queue()).length, 1, 'no bounce message was queued either');
    assert.equal(onionSink.messages.length, 0);
  });
});
