import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/main.ts';
import { runMain } from '@peergroup/test-support/cli-capture';

const cli = (args: string[]) => runMain(main, args);

test('CLI: every option shows its config key; bad flags exit 64, bad config 78 naming the key', async () => {
  const help = await cli(['onionmx', 'inbound', '--help']);
  assert.equal(help.code, 0);
  for (const key of [
    'listen',
    'mx',
    'domains',
    'recipientCheck',
    'dsn',
    'forward.mode',
    'forward.clientName',
    'forward.clientAddress',
    'limits.messageSize',
    'limits.recipients',
    'limits.sessions',
    'timeouts.session',
    'mxTimeouts.dataTerm',
    'metrics.listen',
  ]) {
    assert.ok(help.stdout.includes(`config: ${key})`), key);
  }
  let r = await cli(['onionmx', 'inbound', '--domain', 'a.example']);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /--mx HOST:PORT is required \(config key mx\)/);
  r = await cli(['onionmx', 'inbound', '--mx', '127.0.0.1:25', '--domain', 'a.example', '--proxy-protocol', 'v3']);
  assert.equal(r.code, 64);
  r = await cli(['onionmx', 'inbound', '--mx', '127.0.0.1:25', '--domain', 'a.example', '--xclient', '--proxy-protocol', 'v1']);
  assert.equal(r.code, 64);
  r = await cli(['onionmx', 'inbound', '--mx', '127.0.0.1:25', '--domain', 'a.example', '--dsn', 'full']);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /dsn: .*strip.*failure-only.*pass|dsn: .*failure-only/);
  r = await cli(['onionmx', 'inbound', '--mx', '127.0.0.1:25', '--domain', 'a.example', '--max-recipients', 'many']);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /--max-recipients must be a number/);
  r = await cli(['onionmx', 'inbound', '--mx', '127.0.0.1:25', '--domain', 'a.example', '--command-timeout', 'soon']);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /timeouts\.command: must be a duration .*got "soon" \(--command-timeout DURATION\)/);
  // --domains takes a comma-separated list, merged with --domain; the result is validated like the file's list.
  r = await cli([
    'onionmx',
    'inbound',
    '--mx',
    '127.0.0.1:25',
    '--domain',
    'a.example',
    '--domains',
    'b.example,bad_one',
    '--listen',
    'nonsense',
  ]);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /domains\.2: /);
  assert.match(r.stderr, /listen: /);
  const dir = mkdtempSync(join(tmpdir(), 'pg-inbound-cfg-'));
  try {
    const file = join(dir, 'peergroup.yaml');
    writeFileSync(
      file,
      'inbound:\n  mx: 127.0.0.1:25\n  domains: [a.example]\n  forward:\n    mode: xclient\n    clientAdress: 192.0.2.9\n',
    );
    r = await cli(['onionmx', 'inbound', '--config', file]);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /inbound\.forward\.clientAdress: unknown key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('docs/snippets/inbound.yaml is valid for the command alone and in the file serve reads; --section picks another key', async () => {
  const snippetFile = new URL('../../../docs/snippets/inbound.yaml', import.meta.url).pathname;
  const alone = await cli(['onionmx', 'inbound', '--config', snippetFile, '--check-config']);
  assert.equal(alone.code, 0, alone.stderr);
  assert.match(alone.stdout, /domains: example\.org/);
  const served = await cli(['serve', '--config', snippetFile, '--only', 'inbound', '--check-config']);
  assert.equal(served.code, 0, served.stderr);
  assert.match(served.stdout, /inbound smtp 127\.0\.0\.1:2525 -> mx 127\.0\.0\.1:25 \(domains: example\.org\)/);

  const dir = mkdtempSync(join(tmpdir(), 'inbound-section-'));
  try {
    const file = join(dir, 'two.yaml');
    writeFileSync(file, 'inbound: { mx: 127.0.0.1:25, domains: [a.example] }\nfront2: { mx: 127.0.0.1:26, domains: [b.example] }\n');
    const other = await cli(['onionmx', 'inbound', '--config', file, '--section', 'front2', '--check-config']);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /mx 127\.0\.0\.1:26 .*\n {2}domains: b\.example/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
