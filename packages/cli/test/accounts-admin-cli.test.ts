// `peergroup accounts admin …` as an operator meets it: the help of each command, a usage mistake, the password
// without a terminal, plurals and durations as written. Real processes on a real SQLite data directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/peergroup.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'accounts-admin-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
// An empty serve config, so no /etc/peergroup/peergroup.yaml of the machine is read.
writeFileSync(join(dir, 'peergroup.yaml'), '');
// Hidden from the admin commands' help, still accepted: cheap password hashing for the test.
const where = ['--data', join(dir, 'data'), '--pwhash-opslimit', '1', '--pwhash-memlimit', '8192'];

function peergroup(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PEERGROUP_CONFIG: join(dir, 'peergroup.yaml') };
    delete env.DATABASE_URL;
    const child = execFile(process.execPath, [bin, ...args], { cwd: dir, env }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin);
  });
}

test('admin help shows only where the database is, and an exit-status line that fits the command', async () => {
  const list = await peergroup(['accounts', 'admin', 'list-users', '--help']);
  assert.equal(list.code, 0);
  for (const flag of ['--config', '--section', '--data', '--database-url', '--secret-file', '--json'])
    assert.match(list.stdout, new RegExp(`${flag}\\b`), flag);
  for (const flag of ['--listen', '--trust-proxy', '--login-limit-window', '--metrics-listen', '--session-ttl'])
    assert.doesNotMatch(list.stdout, new RegExp(`${flag}\\b`), flag);
  assert.ok(list.stdout.split('\n').length < 25, `${list.stdout.split('\n').length} lines:\n${list.stdout}`);
  assert.match(list.stdout, /^Exit status: 0 done, 64 usage, 78 configuration\.$/m);

  const create = await peergroup(['accounts', 'admin', 'create-user', '--help']);
  assert.match(create.stdout, /^Exit status: 0 done, 1 refused \(weak password, .*name taken.*\), 64 usage, 78 configuration\.$/m);
  const disable = await peergroup(['accounts', 'admin', 'disable', '--help']);
  assert.match(disable.stdout, /^Exit status: 0 done, 1 refused \(no such user\), 64 usage, 78 configuration\.$/m);
  // settings shows what the flags do, so it lists them all.
  const settings = await peergroup(['accounts', 'admin', 'settings', '--help']);
  assert.match(settings.stdout, /--session-ttl DURATION/);
});

test('a usage mistake prints the error and one line pointing at --help', async () => {
  const r = await peergroup(['accounts', 'admin', 'list-users', '--bogus']);
  assert.equal(r.code, 64);
  assert.equal(r.stderr.trimEnd().split('\n').length, 2, r.stderr);
  assert.match(
    r.stderr,
    /^peergroup accounts admin list-users: .*--bogus.*\nRun "peergroup accounts admin list-users --help" for the options\.\n$/,
  );
});

test('create-user without a terminal: empty stdin says no password was given and how to give one; a piped one is used', async () => {
  const none = await peergroup(['accounts', 'admin', 'create-user', 'alice', ...where], '');
  assert.equal(none.code, 64, none.stderr);
  assert.match(none.stderr, /no password given: .*first line of stdin.*--password-file FILE/);
  assert.doesNotMatch(none.stderr, /at least 10 characters/);
  const emptyFile = join(dir, 'empty');
  writeFileSync(emptyFile, '\n');
  const fromEmptyFile = await peergroup(['accounts', 'admin', 'create-user', 'alice', '--password-file', emptyFile, ...where]);
  assert.equal(fromEmptyFile.code, 64);
  assert.match(fromEmptyFile.stderr, /--password-file .*empty\b.*first line is empty, so no password was given/);
  const weak = await peergroup(['accounts', 'admin', 'create-user', 'alice', ...where], 'short\n');
  assert.equal(weak.code, 1);
  assert.match(weak.stderr, /password refused/);
  const piped = await peergroup(
    ['accounts', 'admin', 'create-user', 'alice', ...where],
    'granite osprey lantern fig\nignored second line\n',
  );
  assert.equal(piped.code, 0, piped.stderr);
  assert.match(piped.stdout, /^created alice \([0-9a-f]{32}\)\n$/);
  assert.doesNotMatch(piped.stderr, /Password for/, 'no prompt without a terminal');
});

test('list-users and disable count in plain plurals; settings shows durations as written (12h)', async () => {
  const one = await peergroup(['accounts', 'admin', 'list-users', ...where]);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /\n1 user\n$/);
  assert.equal((await peergroup(['accounts', 'admin', 'create-user', 'bob', ...where], 'violet canyon ember sloop\n')).code, 0);
  assert.match((await peergroup(['accounts', 'admin', 'list-users', ...where])).stdout, /\n2 users\n$/);
  assert.match((await peergroup(['accounts', 'admin', 'disable', 'bob', ...where])).stdout, /^bob: disabled, 0 sessions ended\n$/);

  const r = await peergroup(['accounts', 'admin', 'settings', ...where, '--invite-ttl', '36h']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as {
    sessionTtl: unknown;
    trust: Record<string, unknown>;
    rateLimits: { login: { window: unknown } };
    mail: { retryInterval: unknown };
  };
  assert.deepEqual(
    [s.sessionTtl, s.trust.inviteTtl, s.trust.minWait, s.trust.vetoHold, s.rateLimits.login.window, s.mail.retryInterval],
    ['12h', '1d12h', '1d', '7d', '15m', '1m'],
  );
  assert.equal(s.trust.slots, 8, 'numbers that are not durations stay numbers');
});

test('create-user on a terminal (a real pty through script(1)): prompts, does not echo, asks twice', async () => {
  const { spawn } = await import('node:child_process');
  const cmd = [process.execPath, bin, 'accounts', 'admin', 'create-user', 'carol', ...where].map((a) => `'${a}'`).join(' ');
  const run = (answers: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const env = { ...process.env, PEERGROUP_CONFIG: join(dir, 'peergroup.yaml') };
      const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let asked = 0;
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // Typed only once the prompt is there: before, the terminal itself would still echo.
        const prompts = out.match(/Password for carol( \(again\))?: /g)?.length ?? 0;
        while (asked < prompts && asked < answers.length) child.stdin.write(`${answers[asked++]}\r`);
      });
      child.once('close', (code) => resolve({ code, out }));
    });
  const differ = await run(['granite osprey lantern fig', 'granite osprey lantern fog']);
  assert.equal(differ.code, 1, differ.out);
  assert.match(differ.out, /the two passwords differ/);
  const ok = await run(['granite osprey lantern fig', 'granite osprey lantern fig']);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /Password for carol: [\s\S]*Password for carol \(again\): [\s\S]*created carol \(/);
  assert.ok(!ok.out.includes('osprey'), `the password was echoed:\n${ok.out}`);
});

test('accounts serve takes --metrics like the other services, and --metrics-listen as its older name', async () => {
  const { spawn } = await import('node:child_process');
  for (const flag of ['--metrics', '--metrics-listen']) {
    const env: NodeJS.ProcessEnv = { ...process.env, PEERGROUP_CONFIG: join(dir, 'peergroup.yaml') };
    const child = spawn(process.execPath, [bin, 'accounts', 'serve', '--listen', '127.0.0.1:0', flag, '127.0.0.1:0', ...where], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const metrics = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^metrics (\S+)$/m.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`${flag}: exited ${code}: ${err}`)));
      });
      const res = await fetch(`http://${metrics}/metrics`);
      assert.equal(res.status, 200, flag);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
  }
});
