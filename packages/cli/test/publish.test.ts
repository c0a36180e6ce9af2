import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/main.ts';
import { readHiddenServiceHostname, srvRecordLine, torrcLines, PublishError } from '@peergroup/onionmx';
import {
  startAuthoritative,
  startSilentServer,
  startValidatingResolver,
  type AuthoritativeServer,
  type ResolverServer,
} from '@peergroup/test-support/dns';
import { newOnion, corruptOnion } from '@peergroup/test-support/onions';
import { runMain } from '@peergroup/test-support/cli-capture';

const cli = (args: string[]) => runMain(main, args);

const ONION = newOnion();
const OTHER = newOnion();
const dirs: string[] = [];

function hiddenServiceDir(content: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'pg-publish-'));
  dirs.push(dir);
  const hs = join(dir, 'hs');
  mkdirSync(hs, { mode: 0o700 });
  if (content !== null) writeFileSync(join(hs, 'hostname'), content);
  return hs;
}

after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('publish prints the torrc lines and one SRV record per domain in zone-file syntax', async () => {
  const hs = hiddenServiceDir(`${ONION}\n`);
  const r = await cli([
    'onionmx',
    'publish',
    '--hidden-service-dir',
    hs,
    '--domain',
    'Example.org',
    '--domain',
    'example.net',
    '--target',
    '127.0.0.1:2526',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.ok(lines.includes(`HiddenServiceDir ${hs}`));
  assert.ok(lines.includes('HiddenServicePort 25 127.0.0.1:2526'));
  assert.ok(lines.includes(`_onion-mx._tcp.example.org. 3600 IN SRV 0 5 25 ${ONION}.`), r.stdout);
  assert.ok(lines.includes(`_onion-mx._tcp.example.net. 3600 IN SRV 0 5 25 ${ONION}.`), r.stdout);
  assert.doesNotMatch(r.stdout, /# verify/);
});

test('the record helpers honour ttl, priority, weight and port', () => {
  assert.equal(
    srvRecordLine('a.example', ONION, { ttl: 300, priority: 10, weight: 0, port: 2525 }),
    `_onion-mx._tcp.a.example. 300 IN SRV 10 0 2525 ${ONION}.`,
  );
  assert.deepEqual(torrcLines({ hiddenServiceDir: '/var/lib/tor/mx', port: 25, target: { host: '::1', port: 2525 } }), [
    'HiddenServiceDir /var/lib/tor/mx',
    'HiddenServicePort 25 [::1]:2525',
  ]);
});

test('a missing or bad hostname file is a clear error (exit 66), not a record for a wrong onion', async () => {
  const missing = hiddenServiceDir(null);
  let r = await cli(['onionmx', 'publish', '--hidden-service-dir', missing, '--domain', 'example.org']);
  assert.equal(r.code, 66);
  assert.match(r.stderr, /cannot read .*hostname.*has tor started/);
  assert.equal(r.stdout, '');
  for (const bad of [corruptOnion(ONION), 'abcdefghijklmnop.onion', 'example.org', '']) {
    const dir = hiddenServiceDir(bad + '\n');
    assert.throws(() => readHiddenServiceHostname(dir), PublishError, bad);
    r = await cli(['onionmx', 'publish', '--hidden-service-dir', dir, '--domain', 'example.org']);
    assert.equal(r.code, 66, bad);
    assert.equal(r.stdout, '');
  }
  // Upper case and surrounding whitespace as an editor might leave them are normalised.
  assert.equal(readHiddenServiceHostname(hiddenServiceDir(`  ${ONION.toUpperCase()}\r\n`)), ONION);
});

test('configuration errors name the key (exit 78)', async () => {
  const hs = hiddenServiceDir(`${ONION}\n`);
  let r = await cli(['onionmx', 'publish', '--hidden-service-dir', hs]);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /domains/);
  r = await cli(['onionmx', 'publish', '--hidden-service-dir', hs, '--domain', 'example.org', '--ttl', 'soon']);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /ttl/);
  r = await cli(['onionmx', 'publish', '--hidden-service-dir', hs, '--domain', 'bad_domain!']);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /domains\.0/);
});

describe('--verify against real DNS (nsd + validating unbound)', () => {
  let nsd: AuthoritativeServer;
  let unbound: ResolverServer;
  before(async () => {
    nsd = await startAuthoritative({
      zones: [
        { origin: 'good.test', sign: true, records: `_onion-mx._tcp 3600 IN SRV 0 5 25 ${ONION}.` },
        { origin: 'wrong.test', sign: true, records: `_onion-mx._tcp 3600 IN SRV 0 5 25 ${OTHER}.` },
        { origin: 'port.test', sign: true, records: `_onion-mx._tcp 3600 IN SRV 0 5 2525 ${ONION}.` },
        { origin: 'missing.test', sign: true, records: `www 300 IN A 192.0.2.80` },
        { origin: 'unsigned.test', records: `_onion-mx._tcp 3600 IN SRV 0 5 25 ${ONION}.` },
      ],
    });
    unbound = await startValidatingResolver({
      stubs: ['good.test', 'wrong.test', 'port.test', 'missing.test', 'unsigned.test'].map((zone) => ({ zone, server: nsd })),
      trustAnchors: nsd.trustAnchors,
    });
  });
  after(async () => {
    await unbound?.stop();
    await nsd?.stop();
  });

  test('a correct signed record verifies (exit 0) and shows the DNSSEC status', async () => {
    const hs = hiddenServiceDir(`${ONION}\n`);
    const r = await cli([
      'onionmx',
      'publish',
      '--hidden-service-dir',
      hs,
      '--domain',
      'good.test',
      '--verify',
      '--resolver',
      unbound.address,
      '--dnssec',
      'require',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /good\.test: ok\n {2}dnssec {5}validated \(AD bit\)/);
    assert.ok(r.stdout.includes(`published  ${ONION}:25`));
  });

  test('missing, wrong onion, wrong port and unsigned records are each reported (exit 1)', async () => {
    const hs = hiddenServiceDir(`${ONION}\n`);
    const r = await cli([
      'onionmx',
      'publish',
      '--hidden-service-dir',
      hs,
      '--verify',
      '--resolver',
      unbound.address,
      '--dnssec',
      'require',
      '--domain',
      'good.test',
      '--domain',
      'wrong.test',
      '--domain',
      'port.test',
      '--domain',
      'missing.test',
      '--domain',
      'unsigned.test',
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const section = (d: string) => r.stdout.slice(r.stdout.indexOf(`\n${d}: `) + 1).split(/\n(?=\S)/)[0]!;
    assert.match(section('good.test'), /^good\.test: ok/);
    assert.match(section('wrong.test'), /PROBLEM[\s\S]*wrong: _onion-mx\._tcp\.wrong\.test\. points to .*not to/);
    assert.ok(section('wrong.test').includes(OTHER));
    assert.match(section('port.test'), /wrong port: .* says 2525 .* listens on 25/);
    assert.match(section('missing.test'), /missing: no usable SRV record/);
    assert.match(section('unsigned.test'), /PROBLEM[\s\S]*not DNSSEC-validated/);
    assert.match(section('unsigned.test'), /dnssec {5}not validated/);
  });

  test('a resolver that never answers is reported as a failed lookup (exit 1), not as "missing"', async () => {
    const silent = await startSilentServer();
    try {
      const hs = hiddenServiceDir(`${ONION}\n`);
      const r = await cli([
        'onionmx',
        'publish',
        '--hidden-service-dir',
        hs,
        '--domain',
        'good.test',
        '--verify',
        '--resolver',
        silent.address,
        '--dns-timeout',
        '200',
      ]);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stdout, /good\.test: PROBLEM\n[\s\S]*problem {4}lookup of _onion-mx\._tcp\.good\.test\. failed/);
      assert.doesNotMatch(r.stdout, /missing/);
      assert.ok(silent.received > 0, 'the query really went to the resolver');
    } finally {
      await silent.stop();
    }
  });

  test('with --dnssec prefer an unsigned but correct record is fine', async () => {
    const hs = hiddenServiceDir(`${ONION}\n`);
    const r = await cli([
      'onionmx',
      'publish',
      '--hidden-service-dir',
      hs,
      '--domain',
      'unsigned.test',
      '--verify',
      '--resolver',
      unbound.address,
    ]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /unsigned\.test: ok\n {2}dnssec {5}not validated/);
  });
});
