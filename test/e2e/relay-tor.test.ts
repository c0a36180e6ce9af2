/**
 * The relay through real Tor (a private Tor network on loopback): relay → Tor SocksPort → onion service → far MX.
 * Delivery, per-recipient results, Tor's ExtendedErrors, Tor stopped before connect and mid-DATA, far-side
 * 421/451/552 at every phase, a stalled far side. Each case ends with nothing lost: the far side either has the
 * message exactly once and the MTA was told 2xx, or it has nothing and the MTA was told 4xx/5xx.
 * Uses its own network (not the suite's shared one) because it stops and starts the Tor client.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { startTornet, type Tornet } from '@peergroup/tornet';
import { TorControl } from '@peergroup/tornet';
import { onionFromPublicKey } from '@peergroup/onionmx';
import { relayConfigSchema, type RelayConfigInput } from '@peergroup/onionmx';
import { startRelay } from '@peergroup/onionmx';
import type { RunningService } from '@peergroup/service';
import { startFarMx, type FarMx } from '@peergroup/test-support/far-mx';
import { startScriptedMx, type Phase, type ScriptedMx } from '@peergroup/test-support/scripted-mx';
import { TestClient } from '@peergroup/test-support/relay-client';

let net: Tornet;
let dir: string;
let good: FarMx;
let scripted: ScriptedMx;
let onionGood: string;
let onionScripted: string;
const registry = new Registry();
let relay: RunningService;
let slowRelay: RunningService;

async function startOn(input: Partial<RelayConfigInput>, reg = new Registry()): Promise<RunningService> {
  const config = relayConfigSchema.parse({
    lmtp: '127.0.0.1:0',
    socks: `${net.socks.host}:${net.socks.port}`,
    timeouts: { connect: 30, greeting: 20, mail: 20, rcpt: 20, dataInit: 20, dataEnd: 20 },
    ...input,
    routing: { srv: false, maps: [{ path: join(dir, 'map') }] },
  });
  return startRelay(config, { registry: reg });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-tor-'));
  good = await startFarMx();
  scripted = await startScriptedMx();
  net = await startTornet();
  onionGood = (await net.addOnion({ host: '127.0.0.1', port: good.port })).hostname;
  onionScripted = (await net.addOnion({ host: '127.0.0.1', port: scripted.port })).hostname;
  // A valid key nobody publishes: Tor finds no descriptor (a random 32 bytes is no curve point: 0xF6 instead).
  const nowhere = onionFromPublicKey(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
  writeFileSync(
    join(dir, 'map'),
    [`good.example ${onionGood}`, `other.example ${onionGood}`, `fault.example ${onionScripted}`, `gone.example ${nowhere}`].join('\n') +
      '\n',
  );
  relay = await startOn({}, registry);
  slowRelay = await startOn({ timeouts: { connect: 30, greeting: 3, dataEnd: 3, dataBlock: 3 } });
});

after(async () => {
  await relay?.close();
  await slowRelay?.close();
  await net?.stop();
  await good?.close();
  await scripted?.close();
  rmSync(dir, { recursive: true, force: true });
});

const body = (tag: string, extra = '') =>
  Buffer.from(`From: s@here.example\r\nSubject: ${tag}\r\n\r\n.dot line\r\n8bit \xe9 text\r\n${extra}`, 'latin1');

async function lmtp(
  svc: RunningService,
  rcpts: string[],
  data: Buffer,
  mailArgs = '',
): Promise<{ rcpt: number[]; data: { code: number; text: string }[] }> {
  const { client } = await TestClient.connect(svc.addresses.lmtp!.port);
  try {
    await client.cmd('LHLO mta.test');
    assert.equal((await client.cmd(`MAIL FROM:<s@here.example>${mailArgs}`)).code, 250);
    const rcpt: number[] = [];
    for (const r of rcpts) rcpt.push((await client.cmd(`RCPT TO:<${r}>`)).code);
    const n = rcpt.filter((c) => c === 250).length;
    const replies = n ? await client.data(data, n) : [];
    return { rcpt, data: replies.map((r) => ({ code: r.code, text: r.lines.join(' ') })) };
  } finally {
    client.close();
  }
}

describe('relay through a private Tor network', () => {
  test('delivers through Tor: byte-identical content, each recipient gets the far side answer', async () => {
    const r = await lmtp(
      relay,
      ['alice@good.example', 'perm-bob@good.example', 'temp-carol@good.example', 'dave@good.example'],
      body('tor-ok'),
      ' BODY=8BITMIME',
    );
    assert.deepEqual(r.rcpt, [250, 250, 250, 250]);
    assert.deepEqual(
      r.data.map((d) => d.code),
      [250, 550, 451, 250],
    );
    assert.match(r.data[1]!.text, /^5\.1\.1 .*\.onion:25 said: 550 no such user/);
    const got = good.messages.filter((m) => m.data.includes('Subject: tor-ok'));
    assert.equal(got.length, 1, 'one message for the accepted recipients');
    assert.deepEqual(got[0]!.to, ['alice@good.example', 'dave@good.example']);
    assert.ok(got[0]!.data.equals(body('tor-ok')));
  });

  test('each recipient domain gets its own Tor circuit, even to the same onion MX', async () => {
    const r = await lmtp(relay, ['iso1@good.example', 'iso2@other.example'], body('isolation'));
    assert.deepEqual(
      r.data.map((d) => d.code),
      [250, 250],
    );
    const control = await TorControl.connect(net.clientControl);
    try {
      const status = await control.getinfo('circuit-status');
      const circuitOf = (domain: string) =>
        status
          .split('\n')
          .filter((l) => l.includes(`SOCKS_USERNAME="peergroup-onionmx:${domain}"`))
          .map((l) => l.split(' ')[0]);
      const a = circuitOf('good.example');
      const b = circuitOf('other.example');
      assert.ok(a.length > 0 && b.length > 0, `circuits tagged with both usernames:\n${status}`);
      assert.ok(!a.some((id) => b.includes(id)), 'no circuit shared between the two domains');
    } finally {
      control.close();
    }
  });

  test('onion service unknown: descriptor not found becomes 451 with the reason', async () => {
    const r = await lmtp(relay, ['x@gone.example'], body('gone'));
    assert.equal(r.data[0]!.code, 451);
    assert.match(r.data[0]!.text, /4\.4\.3 Tor: onion service descriptor not found/);
    assert.match(await registry.metrics(), /onionmx_relay_tor_errors_total\{code="onion_desc_not_found"\} [1-9]/);
  });

  const faults: [Phase, string, number][] = [];
  for (const phase of ['greeting', 'mail', 'rcpt', 'data', 'dataEnd'] as Phase[]) {
    faults.push([phase, '421 4.3.2 closing, busy', 451], [phase, '451 4.3.0 local problem', 451], [phase, '552 5.3.4 too big for us', 552]);
  }
  test('far side answering 421/451/552 at each phase: 4xx or 5xx to the MTA, nothing delivered', async () => {
    for (const [phase, line, expected] of faults) {
      scripted.script = { [phase]: line };
      const before = scripted.messages.length;
      const r = await lmtp(relay, [`f-${phase}@fault.example`], body(`fault-${phase}`));
      assert.equal(r.data[0]?.code, expected, `${phase} ${line}: ${JSON.stringify(r)}`);
      assert.match(r.data[0]!.text, new RegExp(line.slice(4, 9).replace(/\./g, '\\.')), `${phase}: far side text passed on`);
      assert.equal(scripted.messages.length, before, `${phase}: nothing delivered`);
    }
    scripted.script = {};
    const ok = await lmtp(relay, ['after@fault.example'], body('fault-after'));
    assert.equal(ok.data[0]!.code, 250);
    assert.equal(scripted.messages.length, 1);
  });

  test('far side stalls: timeout becomes 451', async () => {
    for (const phase of ['greeting', 'dataEnd'] as Phase[]) {
      scripted.script = { [phase]: 'stall' };
      const r = await lmtp(slowRelay, [`stall-${phase}@fault.example`], body(`stall-${phase}`));
      assert.equal(r.data[0]!.code, 451, phase);
      assert.match(r.data[0]!.text, /timeout/);
    }
    scripted.script = {};
  });

  test('Tor stopped before connect: 451, then delivered once Tor is back', async () => {
    await net.stopClient();
    try {
      const r = await lmtp(relay, ['down@good.example'], body('tor-down'));
      assert.equal(r.data[0]!.code, 451);
      assert.match(r.data[0]!.text, /Tor SOCKS port .* unreachable/);
    } finally {
      await net.startClient();
    }
    let r: Awaited<ReturnType<typeof lmtp>> | undefined;
    for (let i = 0; i < 30; i++) {
      r = await lmtp(relay, ['down@good.example'], body('tor-down'));
      if (r.data[0]!.code === 250) break;
      await new Promise((res) => setTimeout(res, 2000));
    }
    assert.equal(r!.data[0]!.code, 250);
    assert.equal(good.messages.filter((m) => m.data.includes('Subject: tor-down')).length, 1, 'delivered exactly once');
  });

  test('Tor stopped mid-DATA: 4xx to the MTA and the far side has nothing', async () => {
    const { client } = await TestClient.connect(relay.addresses.lmtp!.port);
    try {
      await client.cmd('LHLO mta.test');
      await client.cmd('MAIL FROM:<s@here.example>');
      assert.equal((await client.cmd('RCPT TO:<mid@good.example>')).code, 250);
      assert.equal((await client.cmd('DATA')).code, 354);
      client.sock.write('Subject: tor-mid\r\n\r\n');
      const line = 'x'.repeat(998) + '\r\n';
      for (let i = 0; i < 200; i++) client.sock.write(line);
      await new Promise((res) => setTimeout(res, 1500)); // the relay has dialled and is streaming
      await net.stopClient();
      for (let i = 0; i < 200; i++) client.sock.write(line);
      client.sock.write('.\r\n');
      const reply = await client.read(60_000);
      assert.ok(reply.code >= 400 && reply.code < 500, `got ${reply.code} ${reply.lines.join(' ')}`);
    } finally {
      client.close();
      await net.startClient();
    }
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(good.messages.filter((m) => m.data.includes('Subject: tor-mid')).length, 0);
  });
});
