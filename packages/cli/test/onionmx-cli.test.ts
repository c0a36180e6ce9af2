import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  startAuthoritative,
  startSilentServer,
  startValidatingResolver,
  type AuthoritativeServer,
  type DnsServer,
  type ResolverServer,
} from '@peergroup/test-support/dns';
import { newOnion } from '@peergroup/test-support/onions';

const bin = fileURLToPath(new URL('../bin/peergroup.js', import.meta.url));

function peergroup(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return peergroupWith({ PEERGROUP_LOG_LEVEL: 'error' }, ...args);
}

function peergroupWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PEERGROUP_LOG_FORMAT: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const A = newOnion();
const B = newOnion();

describe('peergroup onionmx route (real command, real nsd/unbound)', () => {
  let nsd: AuthoritativeServer;
  let unbound: ResolverServer;
  let silent: DnsServer;
  const dir = mkdtempSync(join(tmpdir(), 'pg-cli-route-'));
  before(async () => {
    const records = `_onion-mx._tcp.peer 300 IN SRV 0 0 2525 ${A}.\n`;
    nsd = await startAuthoritative({
      zones: [
        { origin: 'cli.test', records },
        { origin: 'secure.test', sign: true, records },
      ],
    });
    unbound = await startValidatingResolver({
      stubs: [
        { zone: 'cli.test', server: nsd },
        { zone: 'secure.test', server: nsd },
      ],
      trustAnchors: nsd.trustAnchors,
    });
    silent = await startSilentServer();
  });
  after(async () => {
    await Promise.all([nsd?.stop(), unbound?.stop(), silent?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('exit 0 and the decision as JSON for an SRV onion route', async () => {
    const r = await peergroup('onionmx', 'route', 'bob@peer.cli.test', '--resolver', nsd.address, '--json');
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual([d.kind, d.domain, d.host, d.port, d.source, d.dnssec, d.ttl], ['onion', 'peer.cli.test', A, 2525, 'srv', false, 300]);
  });

  it('explains the decision in text: source, TTL and DNSSEC', async () => {
    const r = await peergroup('onionmx', 'route', 'peer.secure.test', '--resolver', unbound.address, '--dnssec', 'require');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^peer\\.secure\\.test: onion ${A}:2525`));
    assert.match(r.stdout, /source\s+SRV record/);
    assert.match(r.stdout, /dnssec\s+validated/);
    assert.match(r.stdout, /ttl\s+300 s/);
  });

  it('exit 1 for none (unsigned zone under require, NXDOMAIN), 75 for tempfail', async () => {
    const [unsigned, nx, down] = await Promise.all([
      peergroup('onionmx', 'route', 'peer.cli.test', '--resolver', unbound.address, '--dnssec', 'require', '--json'),
      peergroup('onionmx', 'route', 'nobody.cli.test', '--resolver', nsd.address),
      peergroup('onionmx', 'route', 'peer.cli.test', '--resolver', silent.address, '--dns-timeout', '200', '--dns-retries', '0', '--json'),
    ]);
    assert.equal(unsigned.code, 1, unsigned.stderr);
    assert.match((JSON.parse(unsigned.stdout) as { reason: string }).reason, /not DNSSEC-validated/);
    assert.equal(nx.code, 1);
    assert.match(nx.stdout, /none .*\n.*\n\s+why\s+.*NXDOMAIN/);
    assert.equal(down.code, 75);
    assert.equal((JSON.parse(down.stdout) as { kind: string }).kind, 'tempfail');
  });

  it('reads maps and settings from a config file section, flags override it; bad settings exit 78 naming the key', async () => {
    const map = join(dir, 'peers.yml');
    writeFileSync(map, `${B}:\n  - mapped.example\n`);
    const config = join(dir, 'peergroup.yml');
    writeFileSync(
      config,
      `router:\n  routing:\n    maps:\n      - { path: ${map}, format: yaml }\n    ownDomains: [ours.example]\n    resolver: { servers: ["${silent.address}"], timeoutMs: 200, retries: 0 }\n`,
    );
    const [mapped, own, flagged, bad, usage] = await Promise.all([
      peergroup('onionmx', 'route', 'x@mapped.example', '--config', config, '--section', 'router.routing', '--json'),
      peergroup('onionmx', 'route', 'ours.example', '--config', config, '--section', 'router.routing'),
      peergroup('onionmx', 'route', 'peer.cli.test', '--config', config, '--section', 'router.routing', '--resolver', nsd.address),
      peergroup('onionmx', 'route', 'x.example', '--config', config, '--section', 'router.routing', '--dns-timeout', '5'),
      peergroup('onionmx', 'route'),
    ]);
    assert.equal(mapped.code, 0, mapped.stderr);
    assert.deepEqual(
      [(JSON.parse(mapped.stdout) as { source: string }).source, (JSON.parse(mapped.stdout) as { host: string }).host],
      ['map', B],
    );
    assert.equal(own.code, 1);
    assert.match(own.stdout, /own domains/);
    assert.equal(flagged.code, 0, flagged.stderr);
    assert.equal(bad.code, 78);
    assert.match(bad.stderr, /router\.routing\.resolver\.timeoutMs/);
    assert.equal(usage.code, 64);
  });
});

describe('peergroup onionmx route --map community.yml (format inferred, logs for people)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-cli-route-yml-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const map = join(dir, 'community.yml');
  writeFileSync(map, `${A}:\n  - riseup.example\nexpyuzz4wqqyqhjn.onion:\n  - old.example\n`);
  // No DNS: a map miss would be tempfail (75), so exit 0 proves the answer came from the YAML map.
  const args = ['onionmx', 'route', '--map', map, 'user@riseup.example', '--no-srv'];

  it('reads the .yml map as community YAML without --map-format and answers from it', async () => {
    const r = await peergroupWith({}, ...args, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([(JSON.parse(r.stdout) as { source: string }).source, (JSON.parse(r.stdout) as { host: string }).host], ['map', A]);
  });

  it('PEERGROUP_LOG_FORMAT=human says what was skipped in a sentence naming file and line', async () => {
    const r = await peergroupWith({ PEERGROUP_LOG_FORMAT: 'human' }, ...args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    assert.ok(
      r.stderr.startsWith(`warning: ${map}:3: map entry skipped: "expyuzz4wqqyqhjn.onion" is a 16-character v2 onion address;`),
      r.stderr,
    );
    assert.ok(r.stderr.endsWith(' (onion expyuzz4wqqyqhjn.onion)\n'), r.stderr);
  });

  it('stderr that is not a terminal keeps pino JSON lines, as do --json and PEERGROUP_LOG_FORMAT=json', async () => {
    for (const [env, extra] of [
      [{}, []],
      [{ PEERGROUP_LOG_FORMAT: 'human' }, ['--json']],
      [{ PEERGROUP_LOG_FORMAT: 'json' }, []],
    ] as const) {
      const r = await peergroupWith(env, ...args, ...extra);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { level: number; file: string; line: number; msg: string });
      assert.deepEqual(
        lines.map((l) => [l.level, l.file, l.line]),
        [[40, map, 3]],
      );
      assert.match(lines[0]!.msg, /^map entry skipped: /);
    }
  });
});

describe('peergroup onionmx map check (real command)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-cli-map-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists accepted and refused entries as JSON and exits 1 when anything was refused', async () => {
    const file = join(dir, 'mixed.map');
    writeFileSync(file, `good.example ${A}\nold.example expyuzz4wqqyqhjn.onion\nport.example ${B}:2525\n`);
    const r = await peergroup('onionmx', 'map', 'check', file, '--json');
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as { accepted: Record<string, unknown>[]; refused: Record<string, unknown>[] };
    assert.deepEqual(
      out.accepted.map((a) => [a.domain, a.onion, a.port, a.line]),
      [
        ['good.example', A, 25, 1],
        ['port.example', B, 2525, 3],
      ],
    );
    assert.equal(out.refused.length, 1);
    assert.deepEqual([out.refused[0]!.domain, out.refused[0]!.line, out.refused[0]!.file], ['old.example', 2, file]);
    assert.match(String(out.refused[0]!.reason), /v2 onion services no longer exist/);
  });

  it('exits 0 for a clean file in each format and prints a summary', async () => {
    const yaml = join(dir, 'peers.yaml');
    writeFileSync(yaml, `${A}:\n  - a.example\n  - b.example\n`);
    const postfix = join(dir, 'transport');
    writeFileSync(postfix, `a.example smtptor:[${A}]\nb.example smtptor:[${B}]:2525\n`);
    const [y, p, wrong] = await Promise.all([
      peergroup('onionmx', 'map', 'check', yaml),
      peergroup('onionmx', 'map', 'check', postfix),
      peergroup('onionmx', 'map', 'check', postfix, '--map-format', 'native', '--json'),
    ]);
    assert.equal(y.code, 0, y.stdout + y.stderr);
    assert.match(y.stdout, /accepted\s+a\.example\s+\S+:25/);
    assert.match(y.stdout, /\(yaml\): 2 accepted, 0 refused/);
    assert.equal(p.code, 0, p.stdout);
    assert.match(p.stdout, /\(postfix\): 2 accepted, 0 refused/);
    // Read as native, the smtptor: prefix is not an onion: every line is refused, with its line.
    assert.equal(wrong.code, 1);
    assert.deepEqual(
      (JSON.parse(wrong.stdout) as { refused: { line: number }[] }).refused.map((x) => x.line),
      [1, 2],
    );
  });

  it('--format is the older name of --map-format: it still overrides the inferred format', async () => {
    const yamlInMap = join(dir, 'community.map');
    writeFileSync(yamlInMap, `${A}:\n  - a.example\n`);
    const [inferred, forced] = await Promise.all([
      peergroup('onionmx', 'map', 'check', yamlInMap),
      peergroup('onionmx', 'map', 'check', yamlInMap, '--format', 'native'),
    ]);
    assert.equal(inferred.code, 0, inferred.stdout);
    assert.match(inferred.stdout, /\(yaml\): 1 accepted, 0 refused/);
    assert.equal(forced.code, 1);
    assert.match(forced.stdout, /\(native\): 0 accepted, 2 refused/);
  });

  it('a missing file exits 1 with the reason; a bad --map-format is a usage error', async () => {
    const [missing, badFormat] = await Promise.all([
      peergroup('onionmx', 'map', 'check', join(dir, 'nope.map')),
      peergroup('onionmx', 'map', 'check', 'x', '--map-format', 'csv'),
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ENOENT/);
    assert.equal(badFormat.code, 64);
    assert.match(badFormat.stderr, /--map-format must be native, yaml or postfix/);
  });

  it('both commands are listed in help', async () => {
    const r = await peergroup('onionmx', '--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /onionmx map check/);
    assert.match(r.stdout, /onionmx route/);
  });
});
