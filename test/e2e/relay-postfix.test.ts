/**
 * Postfix → router (socketmap, relay reply form) → relay (LMTP) → Tor → onion service → far MX, with real Postfix,
 * real Tor (private network) and the Postfix lines from docs/snippets/postfix-relay-main.cf (only ports changed).
 * Also: the relay process killed mid-transaction loses nothing (the message stays in Postfix's queue) and is
 * delivered exactly once after the relay is back and the queue is flushed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { routerConfigSchema } from '@peergroup/onionmx';
import { startRouter } from '@peergroup/onionmx';
import { relayConfigSchema } from '@peergroup/onionmx';
import { startRelay } from '@peergroup/onionmx';
import { silentLogger } from '@peergroup/service';
import type { RunningService } from '@peergroup/service';
import { sharedTornet, type Tornet } from '@peergroup/test-support/tornet';
import { mainCfFromSnippet, snippet, yamlFromSnippet } from '@peergroup/test-support/snippets';
import { startPostfix, type Postfix } from '@peergroup/test-support/postfix';
import { startSmtpSink, type SmtpSink, type SinkBehaviour } from '@peergroup/test-support/smtp-sink';
import { freePort } from '@peergroup/test-support/ports';
import { onProcessExit, killQuietly } from '@peergroup/test-support/proc';

const root = new URL('../../', import.meta.url).pathname;

const scripted: SinkBehaviour = {
  onRcptTo: (address) =>
    address.startsWith('temp')
      ? { code: 451, message: '4.2.1 mailbox busy, try later' }
      : address.startsWith('perm')
        ? { code: 550, message: '5.1.1 no such user here' }
        : undefined,
};

let net: Tornet;
let dir: string;
let sink: SmtpSink;
let postfix: Postfix;
let router: RunningService;
let relay: RunningService | undefined;
let relayChild: ChildProcess | undefined;
let relayPort: number;
let mapFile: string;
let deadResolver: number;

async function spawnRelay(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      join(root, 'packages/cli/bin/peergroup.js'),
      'onionmx',
      'relay',
      '--lmtp',
      `127.0.0.1:${relayPort}`,
      '--socks',
      `${net.socks.host}:${net.socks.port}`,
      '--map',
      mapFile,
      '--no-srv',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PEERGROUP_LOG_LEVEL: 'warn' } },
  );
  const unregister = onProcessExit(() => killQuietly(child.pid, 'SIGKILL'));
  child.once('exit', unregister);
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes(`lmtp 127.0.0.1:${relayPort}`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`relay exited ${code}: ${err}`)));
  });
  return child;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-postfix-'));
  sink = await startSmtpSink({ behaviour: scripted });
  net = await sharedTornet();
  const onion = await net.addOnion({ host: '127.0.0.1', port: sink.port });
  mapFile = join(dir, 'onion.map');
  writeFileSync(mapFile, `peer.example ${onion.hostname}\n`);
  relayPort = await freePort();
  // The documented peergroup.yaml (routing.yaml + router-relay.yaml + relay.yaml), with test ports and map. Nothing
  // answers on the resolver's port: own domains must still be answered, and mapped domains need no DNS.
  deadResolver = await freePort();
  const { routing } = yamlFromSnippet('routing.yaml', {
    '/etc/peergroup/onion.map': mapFile,
    '127.0.0.1:53': `127.0.0.1:${deadResolver}`,
    'example.org': 'pf.test',
  });
  const { relay: relaySection } = yamlFromSnippet('relay.yaml', {
    '127.0.0.1:10024': `127.0.0.1:${relayPort}`,
    '127.0.0.1:9050': `${net.socks.host}:${net.socks.port}`,
  });
  relay = await startRelay(relayConfigSchema.parse({ ...relaySection, routing }));
  const doc = parseYaml(snippet('router-relay.yaml')) as { router: Record<string, unknown> };
  const routerSection = {
    ...doc.router,
    socketmap: { ...(doc.router.socketmap as object), listen: '127.0.0.1:0' },
    relay: { ...(doc.router.relay as object), address: `127.0.0.1:${relayPort}` },
    routing: { ...routing, resolver: { ...(routing!.resolver as object), timeoutMs: 200, retries: 0 } },
  };
  router = await startRouter(routerConfigSchema.parse(routerSection), { logger: silentLogger(), registry: new Registry() });
  const socketmapPort = router.addresses.socketmap!.port;
  postfix = await startPostfix({
    mainCf: {
      ...mainCfFromSnippet(snippet('postfix-relay-main.cf'), {
        '127.0.0.1:23001': `127.0.0.1:${socketmapPort}`,
        '127.0.0.1:10024': `127.0.0.1:${relayPort}`,
      }),
      // Test pacing only: retry deferred mail quickly once flushed.
      minimal_backoff_time: '1s',
      maximal_backoff_time: '2s',
    },
  });
});

after(async () => {
  killQuietly(relayChild?.pid, 'SIGKILL');
  await relay?.close();
  await router?.close();
  await postfix?.stop();
  await sink?.close();
  rmSync(dir, { recursive: true, force: true });
});

const message = (tag: string) =>
  Buffer.from(
    `From: sender@pf.test\r\nTo: peers@peer.example\r\nSubject: ${tag}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${tag}@pf.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n.a line with a leading dot\r\nGrüße über Tor\r\n\r\n`,
    'utf8',
  );

describe('Postfix → router → relay → Tor → onion → far MX', () => {
  test('the docs snippet is what Postfix runs with', async () => {
    const tm = await postfix.postconf(['-h', 'transport_maps']);
    assert.match(tm, new RegExp(`^socketmap:inet:127\\.0\\.0\\.1:${router.addresses.socketmap!.port}:onionmx`));
    const q = await postfix.postmap(['-q', 'x@peer.example', `socketmap:inet:127.0.0.1:${router.addresses.socketmap!.port}:onionmx`]);
    assert.equal(q.stdout.trim(), `lmtp:inet:127.0.0.1:${relayPort}`);
  });

  test('with the resolver down, own domains are "not found" (bounces flow), other unmapped domains "try again later"', async () => {
    const map = `socketmap:inet:127.0.0.1:${router.addresses.socketmap!.port}:onionmx`;
    // postmap exits 1 both for "not found" and for a failed lookup; only the failure is reported on stderr.
    const own = await postfix.postmap(['-q', 'sender@pf.test', map]);
    assert.equal(own.code, 1);
    assert.equal(own.stderr.trim(), '', 'own domain: a plain "not found", no DNS needed');
    const other = await postfix.postmap(['-q', 'x@unmapped.test', map]);
    assert.notEqual(other.code, 0);
    assert.equal(other.stdout.trim(), '');
    assert.match(other.stderr, /\S/, 'an unanswered SRV lookup is a lookup failure, never "not found"');
  });

  test('delivered byte-identical; good, 4xx and 5xx recipients each get their own result', async () => {
    const msg = message('pf-mix');
    await postfix.submit('sender@pf.test', ['good1@peer.example', 'temp1@peer.example', 'perm1@peer.example', 'good2@peer.example'], msg);
    const [got] = await sink.waitFor(1, 90_000);
    assert.deepEqual([...got!.to].sort(), ['good1@peer.example', 'good2@peer.example']);
    // Postfix prepends its Received: header; everything after it is the submitted message, byte for byte.
    assert.ok(got!.data.subarray(got!.data.length - msg.length).equals(msg), 'content byte-identical');
    const added = got!.data.subarray(0, got!.data.length - msg.length).toString('latin1');
    assert.match(added, /^Received: /);
    assert.equal(got!.mailParams.BODY, '8BITMIME');
    const bounced = await postfix.waitForLog(/to=<perm1@peer\.example>.*status=bounced/, 30_000);
    assert.match(bounced, /relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+/);
    assert.match(bounced, /said: 550 5\.1\.1 .*no such user here/);
    const deferred = await postfix.waitForLog(/to=<temp1@peer\.example>.*status=deferred/, 30_000);
    assert.match(deferred, /4\.2\.1 .*mailbox busy/);
    const q = await postfix.queue();
    assert.ok(
      q.some((e) => e.recipients.some((r) => r.address === 'temp1@peer.example')),
      'the 4xx recipient is still queued',
    );
    assert.ok(!q.some((e) => e.recipients.some((r) => r.address.startsWith('good'))), 'delivered recipients left the queue');
  });

  test('relay killed mid-transaction: message stays queued, then delivered exactly once', async () => {
    // Hand the LMTP port to a relay process we can kill.
    await relay!.close();
    relay = undefined;
    relayChild = await spawnRelay();
    let inFlight!: () => void;
    const atRcpt = new Promise<void>((r) => (inFlight = r));
    // The far side stalls on DATA: the relay is inside the transaction (Postfix has sent the message to it).
    sink.setBehaviour({ ...scripted, onRcptTo: (a) => (a.startsWith('crash') ? (inFlight(), undefined) : undefined), stallAt: 'data' });
    const before = sink.messages.length;
    const offset = (await postfix.log()).length;
    await postfix.submit('sender@pf.test', ['crash1@peer.example'], message('pf-crash'));
    await atRcpt;
    await new Promise((r) => setTimeout(r, 1000));
    relayChild.kill('SIGKILL');
    await new Promise((r) => relayChild!.once('exit', r));
    await postfix.waitForLog(/to=<crash1@peer\.example>.*status=deferred/, 60_000, offset);
    const q = await postfix.queue();
    assert.ok(
      q.some((e) => e.recipients.some((r) => r.address === 'crash1@peer.example')),
      'still in the queue after the crash',
    );
    assert.equal(sink.messages.length, before, 'the far side has nothing');

    sink.setBehaviour(scripted);
    relayChild = await spawnRelay();
    await postfix.flush();
    await postfix.waitForLog(/to=<crash1@peer\.example>.*status=sent/, 90_000, offset);
    await postfix.waitForQueue((q2) => !q2.some((e) => e.recipients.some((r) => r.address === 'crash1@peer.example')), 30_000);
    const copies = sink.messages.filter((m) => m.data.includes('Subject: pf-crash'));
    assert.equal(copies.length, 1, 'delivered exactly once');
  });
});
