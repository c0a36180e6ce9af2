/**
 * The prerequisite check (scripts/prerequisites.mjs): the runner refuses to start the selected tests when one of
 * their system programs or libraries is absent, naming it and its package; the support helpers refuse the same way
 * when a file is run on its own; system-deps.sh installs what the table lists. Missing things are simulated with a
 * FAKE table entry (PEERGROUP_TEST_FAKE_PREREQUISITE) pointing at a path that does not exist, or an empty PATH.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The table is plain JavaScript beside the runner and system-deps.sh, which read it without tsx; it is no package.
// biome-ignore lint/style/noRestrictedImports: scripts/ is not a package (see above)
import { checkPrerequisites, prerequisites, requirePrerequisite } from '../../scripts/prerequisites.mjs';
import { run } from '@peergroup/test-support/proc';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fakePath = '/nonexistent/peergroup-test/libfake-prerequisite.so';
const fake = (neededBy: string[]) => ({
  name: 'FAKE test prerequisite',
  paths: [fakePath],
  package: 'peergroup-fake-package',
  install: 'apt',
  neededBy,
});
const withFake = (neededBy: string[]) => ({ ...process.env, PEERGROUP_TEST_FAKE_PREREQUISITE: JSON.stringify(fake(neededBy)) });

async function runner(filter: string, env: NodeJS.ProcessEnv) {
  // NODE_TEST_CONTEXT (set for this file by node --test) would make the nested runner report in its binary protocol.
  const { NODE_TEST_CONTEXT: _, ...rest } = env;
  return run(process.execPath, [join(root, 'scripts/run-tests.mjs'), filter], { env: { ...rest, PEERGROUP_TORNET: 'per-file' } });
}

test('the runner exits non-zero naming a missing prerequisite, its package and the file needing it, before any test runs', async () => {
  const r = await runner('packages/mta-codecs/test/netstring.test.ts', withFake(['packages/mta-codecs/test/netstring.test.ts']));
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /missing prerequisites of the selected tests \(nothing was run\)/);
  assert.ok(
    r.stderr.includes(`FAKE test prerequisite: ${fakePath} (Debian package peergroup-fake-package; run sh scripts/system-deps.sh as root)`),
    r.stderr,
  );
  assert.match(r.stderr, /needed by packages\/mta-codecs\/test\/netstring\.test\.ts/);
  assert.doesNotMatch(r.stdout, /# Subtest|^ok /m, 'no test ran');
});

test('a prerequisite is needed through the import closure, including a module a test runs in a child process', async () => {
  // tornet-cleanup.test.ts reaches tornet.ts only through new URL('../src/tornet.ts', import.meta.url).
  const r = await runner('tornet-cleanup', withFake(['packages/tornet/src/tornet.ts']));
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.ok(r.stderr.includes(fakePath), r.stderr);
  assert.match(r.stderr, /needed by packages\/tornet\/test\/tornet-cleanup\.test\.ts/);
  const names = checkPrerequisites(['test/e2e/router-postfix.test.ts'], withFake(['test/support/dns.ts'])).map((p) => p.prerequisite.name);
  assert.ok(names.includes('FAKE test prerequisite'), 'router-postfix imports test/support/dns.ts');
  assert.ok(
    !checkPrerequisites(['packages/mta-codecs/test/netstring.test.ts'], withFake(['test/support/dns.ts'])).length,
    'netstring does not',
  );
});

test('a missing prerequisite no selected file needs does not stop the run', async () => {
  const r = await runner('packages/mta-codecs/test/netstring.test.ts', withFake(['test/support/postfix.ts']));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /# pass [1-9]/);
});

test('requirePrerequisite throws "missing prerequisite" naming the path and the package', () => {
  assert.throws(() => requirePrerequisite('FAKE test prerequisite', withFake([])), {
    message: `missing prerequisite: FAKE test prerequisite: ${fakePath} (Debian package peergroup-fake-package; run sh scripts/system-deps.sh as root)`,
  });
  assert.throws(() => requirePrerequisite('nsd', { PATH: '/nonexistent' }), {
    message: 'missing prerequisite: nsd: nsd (not on PATH) (Debian package nsd; run sh scripts/system-deps.sh as root)',
  });
  assert.throws(() => requirePrerequisite('no such thing'), /unknown prerequisite "no such thing"/);
});

test('a support helper run outside the runner fails with the missing prerequisite, not a spawn error', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'pg-empty-path-'));
  try {
    const script = `const { startAuthoritative } = await import(${JSON.stringify(join(root, 'test/support/dns.ts'))});\nawait startAuthoritative({ zones: [] });`;
    const r = await run(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, PATH: empty },
      cwd: root,
    });
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /missing prerequisite: nsd: nsd \(not on PATH\) \(Debian package nsd; run sh scripts\/system-deps\.sh as root\)/,
    );
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('system-deps.sh installs the apt packages of the table: it names a FAKE table entry as missing', async () => {
  const listed = (await run(process.execPath, [join(root, 'scripts/prerequisites.mjs'), 'apt-packages'])).stdout.trim().split(' ');
  assert.deepEqual(listed.sort(), [...new Set(prerequisites.filter((p) => p.install === 'apt').map((p) => p.package))].sort());
  assert.ok(listed.includes('torsocks'));
  // As a user other than root it only reports (as root it would apt-get install the fake name).
  const asNobody =
    process.getuid?.() === 0
      ? (['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'sh', 'scripts/system-deps.sh']] as const)
      : (['sh', ['scripts/system-deps.sh']] as const);
  const r = await run(asNobody[0], [...asNobody[1]], { cwd: root, env: withFake([]) });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /Debian packages that are missing:.* peergroup-fake-package/);
});

test("system-deps.sh's comment names exactly the apt packages of the table (readers and reviewers see what it installs)", () => {
  const script = readFileSync(join(root, 'scripts/system-deps.sh'), 'utf8');
  const line = /^# packages: (.*)$/m.exec(script);
  assert.ok(line, 'system-deps.sh has a "# packages:" line');
  const table = [...new Set(prerequisites.filter((p) => p.install === 'apt').map((p) => p.package))];
  assert.deepEqual(line[1]!.trim().split(/\s+/), table);
});
