// What a person reads when a setting is wrong: every problem names the config key, the flag that sets it and the form
// it expects, whichever command it comes from (one formatter, config.ts formatProblem, used through main()).
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

const dir = mkdtempSync(join(tmpdir(), 'config-messages-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const routerFile = join(dir, 'router.yaml');
writeFileSync(routerFile, 'router:\n  routing: { srv: false }\n  tcpTable: { listen: nowhere }\n');
const bothNamesFile = join(dir, 'both-names.yaml');
writeFileSync(
  bothNamesFile,
  'router:\n  routing: { srv: false }\n  tcpTable: { listen: 127.0.0.1:0 }\n  limits: { idleTimeoutMs: 60000, idleTimeout: 2m }\n',
);

const cases: { what: string; args: string[]; line: string; not?: RegExp }[] = [
  {
    what: 'missing required (inbound --mx)',
    args: ['onionmx', 'inbound', '--domain', 'example.org'],
    line: '  --mx HOST:PORT is required (config key mx)',
    not: /Invalid input|received undefined/,
  },
  {
    what: 'wrong type (dev tornet --relays)',
    args: ['dev', 'tornet', '--relays', 'many'],
    line: '  relays: must be a number, got "many" (--relays N)',
  },
  {
    what: 'out of range (dev tornet --relays 0)',
    args: ['dev', 'tornet', '--relays', '0'],
    line: '  relays: must be at least 1, got 0 (--relays N)',
  },
  {
    what: 'bad host:port (inbound --mx)',
    args: ['onionmx', 'inbound', '--domain', 'example.org', '--mx', 'nowhere'],
    line: '  mx: address "nowhere" is not HOST:PORT (--mx HOST:PORT)',
  },
  {
    what: 'bad host:port in a config file section (router tcpTable.listen)',
    args: ['onionmx', 'router', '--config', routerFile],
    line: '  router.tcpTable.listen: address "nowhere" is not HOST:PORT (--tcp-table IP:PORT)',
  },
  {
    what: 'bad duration (router --idle-timeout)',
    args: ['onionmx', 'router', '--tcp-table', '127.0.0.1:0', '--no-srv', '--idle-timeout', '5min'],
    line: '  limits.idleTimeout: must be a duration such as 30s, 5m, 12h or 3d (a plain number means ms), got "5min" (--idle-timeout DURATION)',
  },
  {
    what: 'a key and its older name both set (router limits.idleTimeout)',
    args: ['onionmx', 'router', '--config', bothNamesFile],
    line: '  router.limits.idleTimeoutMs: idleTimeout and its older name idleTimeoutMs are both set; keep only idleTimeout',
  },
  {
    what: 'bad enum (relay --tls)',
    args: ['onionmx', 'relay', '--lmtp', '127.0.0.1:0', '--tls', 'maybe'],
    line: '  tls: must be one of "opportunistic", "required" or "none", got "maybe" (--tls opportunistic|required|none)',
  },
  {
    what: 'bad services entry (dev tornet --services mx=2625)',
    args: ['dev', 'tornet', '--services', 'mx=2625'],
    line: '  services.0: service mx target "2625" is not HOST:PORT (--services NAME[:VPORT]=HOST:PORT)',
    not: /Invalid input/,
  },
  {
    what: 'bad enum where only a config key sets it (serve --set relay.tls)',
    args: ['serve', '--set', 'relay.tls=maybe', '--check-config'],
    line: '  relay.tls: must be one of "opportunistic", "required" or "none", got "maybe"',
  },
  {
    what: 'bad value of a flag of serve (--log-level)',
    args: ['serve', '--log-level', 'loud', '--check-config'],
    line: '  logLevel: must be one of "fatal", "error", "warn", "info", "debug", "trace" or "silent", got "loud" (--log-level LEVEL)',
  },
];

for (const c of cases) {
  test(`config message: ${c.what}`, async () => {
    const r = await cli(c.args);
    assert.equal(r.code, 78, r.err);
    assert.ok(r.err.split('\n').includes(c.line), `expected the line\n${c.line}\nin\n${r.err}`);
    if (c.not) assert.doesNotMatch(r.err, c.not);
  });
}

test('serve reports every problem at once: an unknown top-level key, a bad top-level value and unknown keys inside sections', async () => {
  const file = join(dir, 'many.yaml');
  writeFileSync(
    file,
    [
      'bogusTop: 1',
      'logLevel: loud',
      'routing: { srv: false, bogusRouting: 1 }',
      'router: { bogusRouter: 1 }',
      'relay: { lmtp: 127.0.0.1:0, bogusRelay: 1 }',
      'accounts: { bogusAccounts: 1 }',
      '',
    ].join('\n'),
  );
  const r = await cli(['serve', '--config', file, '--check-config']);
  assert.equal(r.code, 78, r.err);
  for (const line of [
    '  bogusTop: unknown key',
    '  logLevel: must be one of',
    '  routing.bogusRouting: unknown key',
    '  router.bogusRouter: unknown key',
    '  relay.bogusRelay: unknown key',
    '  accounts.bogusAccounts: unknown key',
  ]) {
    assert.ok(
      r.err.split('\n').some((l) => l.startsWith(line)),
      `expected a line starting\n${line}\nin\n${r.err}`,
    );
  }
});
