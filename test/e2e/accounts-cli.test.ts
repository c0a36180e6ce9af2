// `peergroup accounts serve` and `peergroup accounts admin …` as real processes on one data dir / database:
// SQLite and PostgreSQL, config errors naming the key, metrics and health on a separate loopback port.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, DIALECTS, databaseUrlFor, stopPostgres } from '@peergroup/test-support/accounts';

const bin = fileURLToPath(new URL('../../packages/cli/bin/peergroup.js', import.meta.url));
const FAST = ['--pwhash-opslimit', '1', '--pwhash-memlimit', '8192', '--min-wait', '0', '--default-wait', '0'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function peergroup(args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve) => {
    // Run from outside the repository, as an operator would: nothing may depend on finding tsconfig.json in cwd.
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { cwd: tmpdir(), env: { ...process.env, ...opts.env } },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(opts.stdin ?? '');
  });
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

async function serve(
  args: string[],
): Promise<{ child: ChildProcess; url: string; metrics: string | undefined; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [bin, 'accounts', 'serve', ...args], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      // runService prints one `NAME HOST:PORT` line per listener, metrics (when on) after http.
      if (/^http \S+\n/m.test(out) && (!args.includes('--metrics-listen') || /^metrics \S+\n/m.test(out))) resolve(out);
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  const url = `http://${/^http (\S+)$/m.exec(line)![1]!}/`;
  const metrics = /^metrics (\S+)$/m.exec(line)?.[1];
  return { child, url, metrics, exited };
}

for (const dialect of DIALECTS) {
  describe(`peergroup accounts CLI (${dialect})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'peergroup-accounts-cli-'));
    after(async () => {
      for (const c of children) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      if (dialect === 'postgres') await stopPostgres();
    });

    test('admin and serve share the data: create-user, invite, sign-up, quota, disable, list-users, metrics, shutdown', async () => {
      const dbUrl = await databaseUrlFor(dialect);
      const where = ['--data', join(dir, 'data'), ...(dbUrl ? ['--database-url', dbUrl] : []), ...FAST];

      // A refused password is not a usage mistake: the reason alone, no usage text.
      const weak = await peergroup(['accounts', 'admin', 'create-user', 'root', ...where], { stdin: 'root1234\n' });
      assert.equal(weak.code, 1, weak.stderr);
      assert.match(weak.stderr, /^peergroup accounts admin create-user: password refused: .+\n$/);
      const created = await peergroup(['accounts', 'admin', 'create-user', 'root', '--admin', ...where], {
        stdin: 'granite osprey lantern fig\n',
      });
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /^created root \([0-9a-f]{32}\)$/m);
      const pwFile = join(dir, 'pw');
      writeFileSync(pwFile, 'violet canyon ember sloop\n', { mode: 0o600 });
      assert.equal((await peergroup(['accounts', 'admin', 'create-user', 'zoe', '--password-file', pwFile, ...where])).code, 0);
      const dup = await peergroup(['accounts', 'admin', 'create-user', 'zoe', '--password-file', pwFile, ...where]);
      assert.equal(dup.code, 1);
      assert.match(dup.stderr, /taken/);

      const inv = await peergroup(['accounts', 'admin', 'invite', 'root', '--count', '2', ...where]);
      assert.equal(inv.code, 0, inv.stderr);
      const codes = [...inv.stdout.matchAll(/^([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\s+expires /gm)].map((m) => m[1]!);
      assert.equal(codes.length, 2);
      const nobody = await peergroup(['accounts', 'admin', 'invite', 'nobody', ...where]);
      assert.equal(nobody.code, 1);
      assert.equal(nobody.stderr, 'peergroup accounts admin invite: no user named "nobody"\n');

      const srv = await serve(['--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', ...where]);
      try {
        // An operator invite works in the web sign-up, and the invitee trusts root first.
        const c = new Client(srv.url);
        const signup = await c.submit('/signup', {
          code: codes[0]!,
          username: 'newbie',
          password: 'amber falcon river mint',
          password2: 'amber falcon river mint',
        });
        assert.equal(signup.status, 303, signup.body);
        assert.match((await c.get('/trust')).body, /<td>root<\/td>/);

        // Quota 0 from the admin CLI is enforced by the running service.
        assert.match((await peergroup(['accounts', 'admin', 'set-quota', 'newbie', '0', ...where])).stdout, /newbie: invite quota 0/);
        assert.match((await c.get('/invites')).body, /You cannot create more invite codes\./);
        assert.equal((await c.post('/invites', {})).status, 409);
        assert.match(
          (await peergroup(['accounts', 'admin', 'set-quota', 'newbie', 'default', ...where])).stdout,
          /invite quota 5 \(default\)/,
        );

        // Disabling ends the live session and refuses login.
        const zoe = new Client(srv.url);
        assert.equal((await zoe.login('zoe', 'violet canyon ember sloop')).status, 303);
        const dis = await peergroup(['accounts', 'admin', 'disable', 'zoe', ...where]);
        assert.match(dis.stdout, /zoe: disabled, 1 session ended/);
        assert.equal((await zoe.get('/dashboard')).status, 303);
        assert.equal((await new Client(srv.url).login('zoe', 'violet canyon ember sloop')).status, 403);
        const list = JSON.parse((await peergroup(['accounts', 'admin', 'list-users', '--json', ...where])).stdout) as {
          username: string;
          disabled: boolean;
          admin: boolean;
          openInvites: number;
        }[];
        assert.deepEqual(
          list.map((u) => [u.username, u.disabled, u.admin]),
          [
            ['newbie', false, false],
            ['root', false, true],
            ['zoe', true, false],
          ],
        );
        assert.equal(list.find((u) => u.username === 'root')!.openInvites, 1, 'one invite redeemed, one open');
        await peergroup(['accounts', 'admin', 'enable', 'zoe', ...where]);
        assert.equal((await new Client(srv.url).login('zoe', 'violet canyon ember sloop')).status, 303);

        // Metrics and health live on the separate loopback listener, not on the public one.
        assert.ok(srv.metrics);
        const health = await fetch(`http://${srv.metrics}/healthz`);
        assert.equal(health.status, 200);
        const metrics = await (await fetch(`http://${srv.metrics}/metrics`)).text();
        assert.match(metrics, /peergroup_accounts_logins_total\{result="ok"\} [1-9]/);
        assert.match(metrics, /peergroup_accounts_logins_total\{result="disabled"\} 1/);
        assert.equal((await fetch(new URL('/metrics', srv.url))).status, 404);
      } finally {
        srv.child.kill('SIGTERM');
      }
      assert.equal(await srv.exited, 0, 'SIGTERM stops the service cleanly');
    });
  });
}

describe('peergroup accounts configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peergroup-accounts-cfg-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a misspelt key or a bad value in the config file fails at start-up naming the key (exit 78)', async () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, `accounts:\n  dataDir: ${join(dir, 'd')}\n  trust:\n    slotz: 4\n`);
    const r = await peergroup(['accounts', 'serve', '--config', cfg]);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /accounts\.trust(\.slotz: unknown key|: .*slotz)/);
    const flag = await peergroup(['accounts', 'serve', '--data', join(dir, 'd'), '--listen', 'nonsense']);
    assert.equal(flag.code, 78);
    assert.match(flag.stderr, /listen: address "nonsense" is not HOST:PORT/);
  });

  test('settings shows the effective configuration: file, then DATABASE_URL, then flags; passwords masked', async () => {
    const cfg = join(dir, 'ok.yaml');
    writeFileSync(cfg, `accounts:\n  dataDir: ${join(dir, 'd2')}\n  siteName: Riseup-ish\n  trust:\n    slots: 6\n`);
    const r = await peergroup(['accounts', 'admin', 'settings', '--config', cfg, '--slots', '5'], {
      env: { DATABASE_URL: 'postgres://acc:hunter2@db.internal/accounts' },
    });
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { siteName: string; trust: { slots: number }; databaseUrl: string; listen: string };
    assert.equal(s.siteName, 'Riseup-ish');
    assert.equal(s.trust.slots, 5, 'the flag wins over the file');
    assert.equal(s.databaseUrl, 'postgres://acc:***@db.internal/accounts');
    assert.equal(s.listen, '127.0.0.1:8080');
    assert.ok(!r.stdout.includes('hunter2'));
  });

  test('admin commands without flags use the serve config ($PEERGROUP_CONFIG): create-user writes into its database', async () => {
    const data = join(dir, 'served-data');
    const cfg = join(dir, 'peergroup.yaml');
    // A whole `peergroup serve` file: other sections, and `enabled`, which is serve's key and not an accounts setting.
    writeFileSync(
      cfg,
      [
        'metrics: { listen: 127.0.0.1:0 }',
        'router: { enabled: false }',
        'relay: { enabled: false }',
        'accounts:',
        '  enabled: true',
        '  listen: 127.0.0.1:0',
        `  dataDir: ${data}`,
        '  trust: { pwhash: { opslimit: 1, memlimit: 8192 } }',
        '',
      ].join('\n'),
    );
    const env = { PEERGROUP_CONFIG: cfg };
    assert.equal((await peergroup(['serve', '--check-config'], { env })).code, 0, 'serve reads the same file by default');
    const settings = JSON.parse((await peergroup(['accounts', 'admin', 'settings'], { env })).stdout) as {
      configFile: string;
      dataDir: string;
      trust: { pwhash: { opslimit: number } };
    };
    assert.deepEqual([settings.configFile, settings.dataDir, settings.trust.pwhash.opslimit], [cfg, data, 1]);

    const created = await peergroup(['accounts', 'admin', 'create-user', 'ann'], { env, stdin: 'granite osprey lantern fig\n' });
    assert.equal(created.code, 0, created.stderr);
    // Without the file, an explicit --data on the same directory finds her: the user is in the served database.
    const listed = await peergroup(['accounts', 'admin', 'list-users', '--json', '--data', data]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { username: string }[]).map((u) => u.username),
      ['ann'],
    );
    const elsewhere = await peergroup(['accounts', 'admin', 'list-users', '--json', '--data', join(dir, 'other-data')]);
    assert.deepEqual(JSON.parse(elsewhere.stdout), []);
  });

  test('a server secret readable by others is refused (exit 78)', async () => {
    const secret = join(dir, 'secret');
    writeFileSync(secret, Buffer.alloc(32, 3).toString('base64'), { mode: 0o644 });
    const r = await peergroup(['accounts', 'admin', 'list-users', '--data', join(dir, 'd3'), '--secret-file', secret]);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /chmod 600/);
  });
});
