/** `peergroup onionmx relay`: flags and config keys validated at start-up, errors naming the key (exit 78). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../src/main.ts';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await main(args, { stdout: stdout as unknown as typeof process.stdout, stderr: stderr as unknown as typeof process.stderr });
  return { code, out, err };
}

test('--help lists every relay flag with its config key', async () => {
  const r = await cli(['onionmx', 'relay', '--help']);
  assert.equal(r.code, 0);
  for (const [flag, key] of <[string, string][]>[
    ['--lmtp', 'lmtp'],
    ['--smtp', 'smtp'],
    ['--socks', 'socks'],
    ['--tls', 'tls'],
    ['--max-per-destination', 'limits.maxPerDestination'],
    ['--timeout-data-end', 'timeouts.dataEnd'],
    ['--connection-reuse', 'connectionReuse'],
    ['--destination-wait', 'limits.destinationWait'],
    ['--reuse-max-messages', 'reuse.maxMessages'],
    ['--reuse-max-age', 'reuse.maxAge'],
    ['--map', 'routing.maps[].path'],
    ['--resolver', 'routing.resolver.servers'],
  ]) {
    assert.match(r.out, new RegExp(`${flag} .*config: ${key.replace(/[.[\]]/g, '\\$&')}\\)`), flag);
  }
});

test('bad settings fail at start-up naming the key', async () => {
  const r = await cli(['onionmx', 'relay', '--lmtp', '192.0.2.1:24', '--tls', 'maybe']);
  assert.equal(r.code, 78);
  assert.match(r.err, /lmtp: must be a loopback address/);
  assert.match(r.err, /tls: /);
  const n = await cli(['onionmx', 'relay', '--lmtp', '127.0.0.1:0', '--timeout-rcpt', 'soon']);
  assert.equal(n.code, 78);
  assert.match(
    n.err,
    /timeouts\.rcpt: must be a duration such as 30s, 5m, 12h or 3d \(a plain number means s\), got "soon" \(--timeout-rcpt DURATION\)/,
  );
  const m = await cli(['onionmx', 'relay', '--lmtp', '127.0.0.1:0', '--max-recipients', 'many']);
  assert.equal(m.code, 64);
  assert.match(m.err, /--max-recipients must be a number/);
});

test('connection pool flags reach their keys; a bad value fails naming the key', async () => {
  const { loadRelayConfig } = await import('../src/commands/onionmx-relay.ts');
  const values = { lmtp: '127.0.0.1:0', 'no-srv': true, 'destination-wait': '0', 'reuse-max-messages': '50', 'reuse-max-age': '1h' };
  const c = loadRelayConfig({
    values,
    positionals: [],
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    stopSignal: new AbortController().signal,
  });
  assert.deepEqual([c.limits.destinationWait, c.reuse.maxMessages, c.reuse.maxAge], [0, 50, 3_600_000]);
  const zero = await cli(['onionmx', 'relay', '--lmtp', '127.0.0.1:0', '--no-srv', '--reuse-max-messages', '0']);
  assert.equal(zero.code, 78);
  assert.match(zero.err, /reuse\.maxMessages: /);
  const young = await cli(['onionmx', 'relay', '--lmtp', '127.0.0.1:0', '--no-srv', '--reuse-max-age', '0']);
  assert.equal(young.code, 78);
  assert.match(young.err, /reuse\.maxAge: must be between 1s and/);
  const word = await cli(['onionmx', 'relay', '--lmtp', '127.0.0.1:0', '--no-srv', '--reuse-max-messages', 'lots']);
  assert.equal(word.code, 64);
  assert.match(word.err, /--reuse-max-messages must be a whole number/);
});

test('config file: unknown keys fail, --check-config validates maps without starting', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-cli-'));
  try {
    writeFileSync(join(dir, 'map'), 'peer.example pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion\n');
    writeFileSync(join(dir, 'bad.yaml'), 'relay:\n  lmtp: 127.0.0.1:0\n  limits:\n    maxConnectoins: 5\n');
    const bad = await cli(['onionmx', 'relay', '--config', join(dir, 'bad.yaml')]);
    assert.equal(bad.code, 78);
    assert.match(bad.err, /relay\.limits/);
    assert.match(bad.err, /maxConnectoins/);
    writeFileSync(
      join(dir, 'ok.yaml'),
      `relay:\n  lmtp: 127.0.0.1:0\n  routing:\n    srv: false\n    maps:\n      - path: ${join(dir, 'map')}\n`,
    );
    const ok = await cli(['onionmx', 'relay', '--config', join(dir, 'ok.yaml'), '--check-config']);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /configuration OK/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
