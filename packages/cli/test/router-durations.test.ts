// Router durations through the command's own config path: file keys under old and new names, flags in the config syntax.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadRouterConfig } from '../src/commands/onionmx-router.ts';
import type { CommandContext } from '../src/command.ts';

const ctx = (values: CommandContext['values']): CommandContext => ({
  values,
  positionals: [],
  stdout: new PassThrough(),
  stderr: new PassThrough(),
  stopSignal: new AbortController().signal,
});

const dir = mkdtempSync(join(tmpdir(), 'router-durations-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, limits: string) => {
  const path = join(dir, name);
  writeFileSync(path, `router:\n  routing: { srv: false }\n  tcpTable: { listen: 127.0.0.1:0 }\n  limits: ${limits}\n`);
  return path;
};

test('a file written with idleTimeoutMs and one with idleTimeout give the same router config', () => {
  const older = loadRouterConfig(ctx({ config: file('older.yaml', '{ idleTimeoutMs: 90000 }') }));
  const newer = loadRouterConfig(ctx({ config: file('newer.yaml', '{ idleTimeout: 1m30s }') }));
  assert.equal(older.limits.idleTimeout, 90_000);
  assert.deepEqual(newer, older);
});

test('a flag replaces the file value given under the older name, in the config syntax or as a plain number', () => {
  const path = file('flag.yaml', '{ idleTimeoutMs: 90000 }');
  assert.equal(loadRouterConfig(ctx({ config: path, 'idle-timeout': '2m' })).limits.idleTimeout, 120_000);
  assert.equal(loadRouterConfig(ctx({ config: path, 'idle-timeout': '120000' })).limits.idleTimeout, 120_000);
  assert.equal(loadRouterConfig(ctx({ 'tcp-table': '127.0.0.1:0', 'no-srv': true, 'log-summary-interval': '0' })).logSummaryInterval, 0);
});

test('--dns-timeout replaces routing.resolver.timeoutMs from the file', () => {
  const path = join(dir, 'dns.yaml');
  writeFileSync(
    path,
    'router:\n  routing: { srv: false, resolver: { servers: [127.0.0.1:53], timeoutMs: 900 } }\n  tcpTable: { listen: 127.0.0.1:0 }\n',
  );
  assert.equal(loadRouterConfig(ctx({ config: path })).routing.resolver.timeout, 900);
  assert.equal(loadRouterConfig(ctx({ config: path, 'dns-timeout': '3s' })).routing.resolver.timeout, 3000);
});
