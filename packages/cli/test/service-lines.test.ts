// The start and stop lines every single-service command prints (run-service.ts runService), and what --check-config
// says it loaded. Real daemons as child processes of the real binary, listeners on port 0, stopped with SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/peergroup.js', import.meta.url));
const env = { ...process.env, PEERGROUP_LOG_LEVEL: 'info', PEERGROUP_LOG_FORMAT: 'json' };

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Log messages in order, from pino's JSON lines on stderr. */
function messages(stderr: string): { msg: string; listeners?: Record<string, string> }[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; listeners?: Record<string, string> });
}

const dir = mkdtempSync(join(tmpdir(), 'service-lines-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const map = join(dir, 'onion.map');
writeFileSync(
  map,
  'peer.example pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion\nother.example pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:2525\n',
);

const services: { name: string; args: string[]; listeners: string[] }[] = [
  {
    name: 'router',
    args: ['onionmx', 'router', '--map', map, '--no-srv', '--tcp-table', '127.0.0.1:0', '--exim', '127.0.0.1:0'],
    listeners: ['tcp_table', 'exim'],
  },
  {
    name: 'relay',
    args: ['onionmx', 'relay', '--map', map, '--no-srv', '--lmtp', '127.0.0.1:0', '--smtp', '127.0.0.1:0'],
    listeners: ['lmtp', 'smtp'],
  },
  {
    name: 'inbound',
    args: ['onionmx', 'inbound', '--listen', '127.0.0.1:0', '--mx', '127.0.0.1:1', '--domain', 'example.org'],
    listeners: ['smtp'],
  },
];

for (const s of services) {
  test(`${s.name}: "<listener> HOST:PORT" on stdout, then "started" with the listeners; "stopping", then "stopped"`, async () => {
    const child = spawn(process.execPath, [bin, ...s.args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!messages(stderr).some((m) => m.msg === 'started')) {
        if (child.exitCode !== null || Date.now() > deadline) assert.fail(`${s.name} did not start:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const printed = Object.fromEntries([...stdout.matchAll(/^(\w+) (127\.0\.0\.1:\d+)$/gm)].map((m) => [m[1]!, m[2]!]));
      assert.deepEqual(Object.keys(printed).sort(), [...s.listeners].sort(), stdout);
      assert.deepEqual(messages(stderr).find((m) => m.msg === 'started')!.listeners, printed);
      // The printed address is the bound one: something listens there.
      for (const addr of Object.values(printed)) {
        await new Promise<void>((ok, fail) => {
          const c = createConnection({ host: '127.0.0.1', port: Number(addr.split(':')[1]) }, () => (c.destroy(), ok()));
          c.once('error', fail);
        });
      }
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      const order = messages(stderr)
        .map((m) => m.msg)
        .filter((m) => ['started', 'stopping', 'stopped'].includes(m));
      assert.deepEqual(order, ['started', 'stopping', 'stopped']);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    }
  });
}

test('--check-config says what it loaded: listeners, map entries per file, srv', async () => {
  const router = await run(['onionmx', 'router', '--map', map, '--no-srv', '--tcp-table', '127.0.0.1:23000', '--check-config']);
  assert.equal(router.code, 0, router.stderr);
  assert.equal(router.stdout, `configuration OK\n  tcpTable 127.0.0.1:23000 (direct)\n  map ${map}: 2 entries\n  srv off\n`);

  const relay = await run([
    'onionmx',
    'relay',
    '--map',
    map,
    '--lmtp',
    '127.0.0.1:10024',
    '--resolver',
    '127.0.0.1:5353',
    '--check-config',
  ]);
  assert.equal(relay.code, 0, relay.stderr);
  assert.match(relay.stdout, /^configuration OK\n {2}lmtp 127\.0\.0\.1:10024\n {2}socks 127\.0\.0\.1:9050 \(tls opportunistic\)\n/);
  assert.ok(relay.stdout.includes(`  map ${map}: 2 entries\n  srv on (resolver 127.0.0.1:5353, dnssec prefer)\n`), relay.stdout);

  const inbound = await run(['onionmx', 'inbound', '--mx', '127.0.0.1:25', '--domain', 'example.org', '--check-config']);
  assert.equal(inbound.code, 0, inbound.stderr);
  assert.equal(
    inbound.stdout,
    'configuration OK\n  smtp 127.0.0.1:2525\n  mx 127.0.0.1:25 (xclient)\n  domains: example.org\n  recipient check: domains\n',
  );

  const serve = await run(['serve', '--set', `routing.maps=[{path: ${map}}]`, '--set', 'routing.srv=false', '--check-config']);
  assert.equal(serve.code, 0, serve.stderr);
  assert.match(serve.stdout, /^configuration OK; would run: router, relay, accounts\n/);
  for (const line of [
    '  router tcpTable 127.0.0.1:23000 (relay)',
    '  relay lmtp 127.0.0.1:10024',
    '  accounts http 127.0.0.1:8080 (data ./data)',
    `  routing map ${map}: 2 entries`,
    '  routing srv off',
  ]) {
    assert.ok(serve.stdout.split('\n').includes(line), `${line}\nnot in\n${serve.stdout}`);
  }
});

test('serve --check-config refuses (78) the maps router and relay would refuse at start: unreadable, or invalid entries under strictMaps', async () => {
  const missing = join(dir, 'missing.map');
  const unreadable = await run([
    'serve',
    '--set',
    `routing.maps=[{path: ${map}}, {path: ${missing}}]`,
    '--set',
    'routing.srv=false',
    '--check-config',
  ]);
  assert.equal(unreadable.code, 78, unreadable.stdout);
  assert.match(
    unreadable.stderr,
    new RegExp(
      `routing\\.maps\\.1\\.path: ${missing.replace(/[.]/g, '\\.')}: cannot read map: ENOENT \\(router and relay would not start\\)`,
    ),
  );
  assert.doesNotMatch(unreadable.stdout, /configuration OK/);

  const bad = join(dir, 'bad.map');
  writeFileSync(bad, 'peer.example pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion\nbroken.example not-an-onion\n');
  const base = ['serve', '--set', `routing.maps=[{path: ${bad}}]`, '--set', 'routing.srv=false', '--check-config'];
  const lenient = await run(base);
  assert.equal(lenient.code, 0, lenient.stderr);
  assert.ok(lenient.stdout.includes(`  routing map ${bad}: 1 entry, 1 skipped as invalid\n`), lenient.stdout);
  const strict = await run([...base, '--set', 'routing.strictMaps=true']);
  assert.equal(strict.code, 78, strict.stdout);
  assert.match(
    strict.stderr,
    /routing\.maps\.0\.path: .*bad\.map: invalid entries \(strictMaps is on; router and relay would not start\): line 2: /,
  );
});
