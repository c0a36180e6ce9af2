/**
 * Exim end to end with real Tor (private network), using the snippets in docs/snippets/ (only ports changed):
 *  - Exim's own way: Exim → router (exim-automap: the IPv4 address Tor's DNSPort maps the onion to) → Exim's smtp
 *    transport with socks_proxy → Tor SocksPort → onion service → far MX.
 *  - The relay way: Exim → router (relay form) → smtp transport with protocol=lmtp → relay → Tor → onion → far MX.
 * A final router turns anything that would go out in cleartext into a bounce the test can see.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { routerConfigSchema } from '@peergroup/onionmx';
import { startRouter } from '@peergroup/onionmx';
import { relayConfigSchema } from '@peergroup/onionmx';
import { startRelay } from '@peergroup/onionmx';
import { createLogger, silentLogger } from '@peergroup/service';
import type { RunningService } from '@peergroup/service';
import { sharedTornet, type Tornet } from '@peergroup/test-support/tornet';
import { startExim, eximConfig, type Exim } from '@peergroup/test-support/exim';
import { startSmtpSink, type SmtpSink } from '@peergroup/test-support/smtp-sink';

const root = new URL('../../', import.meta.url).pathname;
const snippet = (name: string, ports: Record<string, string>) => {
  let t = readFileSync(join(root, 'docs/snippets', name), 'utf8');
  for (const [from, to] of Object.entries(ports)) {
    assert.ok(t.includes(from), `${name} mentions ${from}`);
    t = t.split(from).join(to);
  }
  return t;
};

let net: Tornet;
let dir: string;
let sink: SmtpSink;
let automapRouter: RunningService;
let relayRouter: RunningService;
let relay: RunningService;
let exim: Exim;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-exim-'));
  sink = await startSmtpSink({
    behaviour: { onRcptTo: (a) => (a.startsWith('perm') ? { code: 550, message: '5.1.1 no such user here' } : undefined) },
  });
  net = await sharedTornet();
  const onion = await net.addOnion({ host: '127.0.0.1', port: sink.port });
  const mapFile = join(dir, 'onion.map');
  writeFileSync(mapFile, `peer.example ${onion.hostname}\nviarelay.example ${onion.hostname}\n`);
  const routing = { srv: false, maps: [{ path: mapFile }] };

  relay = await startRelay(relayConfigSchema.parse({ lmtp: '127.0.0.1:0', socks: `${net.socks.host}:${net.socks.port}`, routing }));
  const doc = parseYaml(snippet('router-exim.yaml', {})) as { router: Record<string, unknown> };
  automapRouter = await startRouter(
    routerConfigSchema.parse({
      ...doc.router,
      exim: { ...(doc.router.exim as object), listen: '127.0.0.1:0' },
      automap: { ...(doc.router.automap as object), dns: `${net.dns.host}:${net.dns.port}` },
      routing: { ...routing, ignore: ['viarelay.example'] },
    }),
    { logger: process.env.RELAY_TEST_DEBUG ? createLogger('router', 'debug') : silentLogger(), registry: new Registry() },
  );
  relayRouter = await startRouter(
    routerConfigSchema.parse({
      exim: { listen: '127.0.0.1:0', reply: 'relay' },
      relay: { address: `127.0.0.1:${relay.addresses.lmtp!.port}`, protocol: 'lmtp' },
      routing: { ...routing, ignore: ['peer.example'] },
    }),
    { logger: silentLogger(), registry: new Registry() },
  );
  const ports = {
    '127.0.0.1:23002': `127.0.0.1:${automapRouter.addresses.exim!.port}`,
    '127.0.0.1:23003': `127.0.0.1:${relayRouter.addresses.exim!.port}`,
    '127.0.0.1 port=9050': `${net.socks.host} port=${net.socks.port}`,
  };
  exim = await startExim({
    config: (ctx) =>
      eximConfig(ctx, {
        main: 'domainlist local_domains =',
        routers: [
          snippet('exim-socks-routers.conf', { '127.0.0.1:23002': ports['127.0.0.1:23002'] }),
          snippet('exim-relay-routers.conf', { '127.0.0.1:23003': ports['127.0.0.1:23003'] }),
          'cleartext:',
          '  driver = redirect',
          '  allow_fail',
          '  data = :fail: would have gone out in cleartext',
        ].join('\n'),
        transports: [
          snippet('exim-socks-transports.conf', { '127.0.0.1 port=9050': ports['127.0.0.1 port=9050'] }),
          snippet('exim-relay-transports.conf', {}),
        ].join('\n'),
      }),
  });
  // The first automap answer needs Tor's DNSPort; wait until the router answers (not DEFER) before Exim routes for
  // real, so a slow first lookup cannot put the domain into Exim's retry database.
  for (let i = 0; i < 20; i++) {
    const bt = await exim.run(['-bt', 'probe@peer.example']);
    if (/router = onionmx_socks/.test(bt.stdout)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
});

after(async () => {
  await exim?.stop();
  await automapRouter?.close();
  await relayRouter?.close();
  await relay?.close();
  await sink?.close();
  rmSync(dir, { recursive: true, force: true });
});

const message = (tag: string) =>
  `From: s@ex.test\r\nTo: x@peer.example\r\nSubject: ${tag}\r\nMessage-ID: <${tag}@ex.test>\r\n\r\nover Tor, ${tag}\r\n`;

describe('Exim end to end through Tor', () => {
  test('routing: onion domains to the automap address or the relay, everything else refused', async () => {
    const bt = await exim.run(['-bt', 'alice@peer.example']);
    assert.match(bt.stdout, /router = onionmx_socks, transport = onionmx_socks_smtp/);
    assert.match(
      bt.stdout,
      /host 127\.(19[2-9]|2[0-5][0-9])\.\d+\.\d+ \[127\.\d+\.\d+\.\d+\] port=25/,
      'an automap address in 127.192.0.0/10',
    );
    const br = await exim.run(['-bt', 'bob@viarelay.example']);
    assert.match(br.stdout, /router = onionmx_relay, transport = onionmx_relay_lmtp/);
    const plain = await exim.run(['-bt', 'carol@plain.example']);
    assert.match(plain.stdout, /would have gone out in cleartext/);
  });

  test("Exim's socks_proxy path delivers through Tor to the onion MX exactly once", async () => {
    const offset = (await exim.mainlog()).length;
    const id = /id=(\S+)/.exec(await exim.submit('s@ex.test', ['alice@peer.example'], message('exim-socks')))?.[1];
    assert.ok(id, 'Exim reports the message id');
    const got = await sink.waitFor(sink.messages.length + 1, 90_000);
    const m = got.find((x) => x.data.includes('Subject: exim-socks'));
    assert.ok(m, 'the far MX got the message');
    assert.deepEqual(m.to, ['alice@peer.example']);
    const line = await exim.waitForLog(/=> alice@peer\.example .*R=onionmx_socks T=onionmx_socks_smtp/, 30_000, offset);
    assert.match(line, /H=127\.\d+\.\d+\.\d+ \[127\.\d+\.\d+\.\d+\]/);
    await exim.waitForLog(new RegExp(`${id} Completed`), 30_000, offset);
    // Exactly once: Exim saw the MX's reply to the message (no "Remote host closed connection in response to end of
    // data", no defer), so the message left the queue; a forced queue run then has nothing to send again.
    const log = (await exim.mainlog()).slice(offset);
    assert.doesNotMatch(log, /Remote host closed connection/);
    assert.doesNotMatch(log, /== alice@peer\.example/);
    assert.doesNotMatch(await exim.queue(), new RegExp(id));
    await exim.queueRun();
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(sink.messages.filter((x) => x.data.includes('Message-ID: <exim-socks@ex.test>')).length, 1, 'delivered exactly once');
    assert.deepEqual(await exim.panics(), []);
  });

  test('relay path: Exim (LMTP over TCP) → relay → Tor → onion MX, 5xx recipient bounced with the far text', async () => {
    const offset = (await exim.mainlog()).length;
    const before = sink.messages.length;
    await exim.submit('s@ex.test', ['dave@viarelay.example', 'perm-erin@viarelay.example'], message('exim-relay'));
    const got = await sink.waitFor(before + 1, 90_000);
    const m = got.find((x) => x.data.includes('Subject: exim-relay'));
    assert.ok(m);
    assert.deepEqual(m.to, ['dave@viarelay.example']);
    await exim.waitForLog(/=> dave@viarelay\.example .*R=onionmx_relay T=onionmx_relay_lmtp/, 30_000, offset);
    const bounced = await exim.waitForLog(/\*\* perm-erin@viarelay\.example .*550/, 30_000, offset);
    assert.match(bounced, /no such user here/);
    // The relay answered each recipient (no half-close trouble on the LMTP hop): nothing left to send again.
    await exim.queueRun();
    assert.equal(sink.messages.filter((x) => x.data.includes('Message-ID: <exim-relay@ex.test>')).length, 1, 'delivered exactly once');
    assert.doesNotMatch((await exim.mainlog()).slice(offset), /== dave@viarelay\.example/);
  });
});
