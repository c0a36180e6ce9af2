// The shipped systemd units, checked the way an operator would before installing them: `systemd-analyze verify`
// finds no error and `systemd-analyze security --offline=true` (no running systemd needed) rates each hardened unit's
// exposure. The scores are in docs/deploy.md; this keeps them from creeping up unnoticed. The units that run the
// accounts service load the Dovecot passdb secret as a credential: the path the docs give for secretFile is the one
// systemd makes, and the fallback a unit gets when the file is missing stops accounts serve naming the key.
//
// Those two units also have local peers on UNIX sockets: Dovecot connects to the dict socket they create under
// /run/peergroup, Postfix to the socketmap socket they create in /run/peergroup-postfix (tmpfiles.d), and they
// connect to Dovecot's auth-master. Without a running systemd the sandbox itself cannot be
// started here, so the unit files are checked for what the sockets need (a writable runtime directory holding every
// documented socket path, a static user and group that Dovecot's configuration can name, no user namespace dropping
// groups), and the permissions are exercised for real: accounts serve runs under setpriv with the unit's identity,
// umask and directory modes, and processes inside and outside its group — a real Dovecot among them — connect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { startDovecot, writePassdbSecret, mailUser } from '@peergroup/test-support/dovecot';
import { freePort } from '@peergroup/test-support/ports';
import { groupId } from '@peergroup/test-support/postfix';
import { socketmapDirSpec, socketmapPath } from './mail-setup.ts';
import { snippet, textFromSnippet } from '@peergroup/test-support/snippets';

const run = promisify(execFile);
const dir = fileURLToPath(new URL('../../packaging/systemd/', import.meta.url));
const units = readdirSync(dir)
  .filter((f) => f.endsWith('.service'))
  .sort();
const hardened = units.filter((f) => f.endsWith('.hardened.service'));
/** Exposure on systemd's 0–10 scale; 1.2 today for each, "OK" ends at 3.9. */
const THRESHOLD = 2.0;

test('every service peergroup runs has a hardened unit, and serve (the supervisor) has one too', () => {
  assert.deepEqual(
    hardened.map((f) => f.replace(/^peergroup-|\.hardened\.service$/g, '')),
    ['accounts', 'inbound', 'relay', 'router', 'serve'],
  );
});

for (const unit of units) {
  test(`systemd-analyze verify ${unit}: no problem reported`, async () => {
    const { stdout, stderr } = await run('systemd-analyze', ['verify', join(dir, unit)]);
    assert.equal(`${stdout}${stderr}`, '');
  });
}

for (const unit of hardened) {
  test(`systemd-analyze security --offline=true ${unit}: exposure at most ${THRESHOLD}`, async () => {
    const { stdout } = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', join(dir, unit)]);
    const score = Number(/Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(stdout)?.[1]);
    assert.ok(Number.isFinite(score), stdout);
    assert.ok(
      score <= THRESHOLD,
      `${unit}: exposure ${score}\n${stdout
        .split('\n')
        .filter((l) => l.startsWith('✗'))
        .join('\n')}`,
    );
  });
}

const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
/** The secret file the Lua script reads (docs/snippets/dovecot-peergroup-auth.lua) is the one systemd loads. */
const luaSecret = /^local SECRET_FILE = "([^"]+)"/m.exec(readFileSync(join(docs, 'snippets/dovecot-peergroup-auth.lua'), 'utf8'))?.[1];
const credentialUnits = ['peergroup-accounts.hardened.service', 'peergroup-serve.hardened.service'];

for (const unit of credentialUnits) {
  test(`${unit} loads the passdb secret as a credential, and the docs point secretFile at it`, () => {
    const text = readFileSync(join(dir, unit), 'utf8');
    assert.ok(luaSecret, 'the Lua snippet names its SECRET_FILE');
    assert.match(text, new RegExp(`^LoadCredential=passdb-secret:${luaSecret}$`, 'm'));
    assert.match(text, /^SetCredential=passdb-secret:\S+$/m, 'a fallback, so a unit without mail accounts still starts');
    const path = `/run/credentials/${unit}/passdb-secret`;
    assert.ok(text.includes(`secretFile: ${path}`), `${unit} names ${path} in its comment`);
    for (const doc of ['dovecot.md', 'deploy.md'])
      assert.ok(readFileSync(join(docs, doc), 'utf8').includes(path), `docs/${doc} names ${path}`);
  });
}

test('the fallback credential is no secret: accounts serve with mail accounts stops at start-up naming secretFile', async () => {
  const fallback = /^SetCredential=passdb-secret:(\S+)$/m.exec(readFileSync(join(dir, credentialUnits[0]!), 'utf8'))?.[1];
  assert.ok(fallback);
  const work = mkdtempSync(join(tmpdir(), 'pg-units-credential-'));
  try {
    const secretFile = join(work, 'passdb-secret');
    writeFileSync(secretFile, fallback, { mode: 0o400 });
    const config = join(work, 'peergroup.yaml');
    writeFileSync(
      config,
      [
        'accounts:',
        `  dataDir: ${join(work, 'data')}`,
        '  listen: 127.0.0.1:0',
        '  mailboxes:',
        '    domain: example.org',
        '    dovecot:',
        `      dictSocket: ${join(work, 'dict.sock')}`,
        `      passdb: { listen: 127.0.0.1:0, secretFile: ${secretFile} }`,
        `      home: ${join(work, 'mail')}/%d/%n`,
        '      uid: 5000',
        '      gid: 5000',
        '    postfix: { socketmap: 127.0.0.1:0 }',
        '',
      ].join('\n'),
    );
    const bin = fileURLToPath(new URL('../../packages/cli/bin/peergroup.js', import.meta.url));
    const r = await run(process.execPath, [bin, 'accounts', 'serve', '--config', config], { cwd: work, timeout: 60_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code?: number; stderr?: string; killed?: boolean }) => ({
        code: err.killed ? -1 : (err.code ?? 1),
        stderr: err.stderr ?? '',
      }),
    );
    assert.ok(r.code > 0, `accounts serve must refuse to start (exit ${r.code})`);
    assert.match(r.stderr, new RegExp(`mailboxes\\.dovecot\\.passdb\\.secretFile ${secretFile}: must hold a random secret`));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

/** A unit file's directives: key → every value given (comments and section headers left out). */
function directives(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(join(dir, unit), 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}
const one = (d: Map<string, string[]>, key: string): string | undefined => d.get(key)?.at(-1);
const root = fileURLToPath(new URL('../../', import.meta.url));

/** Every dict socket path the operator is told to use: the example config, the YAML snippet, the guides, Dovecot's uri. */
function documentedDictSockets(): string[] {
  const paths: string[] = [];
  for (const file of ['packaging/peergroup.example.yaml', 'docs/snippets/mailboxes.yaml', 'docs/dovecot.md']) {
    const found = [...readFileSync(join(root, file), 'utf8').matchAll(/dictSocket:\s*(\/[^\s#`]+)/g)].map((m) => m[1]!);
    assert.notEqual(found.length, 0, `${file} names a dictSocket`);
    paths.push(...found);
  }
  const uri = /^uri = proxy:(?:[^:/]*:)?(\/[^:]+):/m.exec(snippet('dovecot-dict-auth.conf.ext'))?.[1];
  assert.ok(uri, 'docs/snippets/dovecot-dict-auth.conf.ext has a proxy uri');
  return [...paths, uri];
}

for (const unit of credentialUnits) {
  test(`${unit}: every documented dict socket lies in its RuntimeDirectory, the one path under /run it may write`, () => {
    const d = directives(unit);
    const sockets = documentedDictSockets();
    const runtime = (d.get('RuntimeDirectory') ?? []).flatMap((v) => v.split(/\s+/)).map((v) => `/run/${v}`);
    assert.notEqual(runtime.length, 0, `${unit} has no RuntimeDirectory=: under ProtectSystem=strict /run is read-only`);
    assert.equal(one(d, 'ProtectSystem'), 'strict');
    for (const path of sockets)
      assert.ok(
        runtime.includes(dirname(path)),
        `${path} is not in a RuntimeDirectory= of ${unit} (${runtime.join(', ')}); accounts serve could not create it`,
      );
  });

  test(`${unit}: runs as the static user and group of packaging/sysusers.d, which Dovecot's configuration names`, async () => {
    const d = directives(unit);
    assert.notEqual(one(d, 'DynamicUser'), 'yes', 'a transient user has no group Dovecot could be given');
    const user = one(d, 'User');
    const group = one(d, 'Group');
    assert.ok(user && group, `${unit} names User= and Group=`);
    // systemd-sysusers into an empty root: the shipped file alone creates exactly that user and group.
    const sysroot = mkdtempSync(join(tmpdir(), 'pg-units-sysusers-'));
    try {
      mkdirSync(join(sysroot, 'etc'));
      await run('systemd-sysusers', [`--root=${sysroot}`, join(root, 'packaging/sysusers.d/peergroup.conf')]);
      const passwd = readFileSync(join(sysroot, 'etc/passwd'), 'utf8');
      const groups = readFileSync(join(sysroot, 'etc/group'), 'utf8');
      const entry = passwd
        .split('\n')
        .find((l) => l.startsWith(`${user}:`))
        ?.split(':');
      assert.ok(entry, `packaging/sysusers.d/peergroup.conf creates user ${user}:\n${passwd}`);
      assert.ok(Number(entry[2]) > 0 && Number(entry[2]) < 1000, `${user} is a system user (uid ${entry[2]})`);
      assert.equal(entry[6], '/usr/sbin/nologin');
      const gid = groups
        .split('\n')
        .find((l) => l.startsWith(`${group}:`))
        ?.split(':')[2];
      assert.equal(gid, entry[3], `${user}'s primary group is ${group}`);
    } finally {
      rmSync(sysroot, { recursive: true, force: true });
    }
    // Dovecot's side: auth-master (peergroup's cache flushes) and the auth workers' extra group are that group.
    assert.match(snippet('dovecot-peergroup.conf'), new RegExp(`unix_listener auth-master \\{[^}]*group = ${group}\\n`));
    assert.match(snippet('dovecot-auth-worker.conf'), new RegExp(`^\\s*extra_groups = ${group}$`, 'm'));
    const guide = readFileSync(join(docs, 'dovecot.md'), 'utf8');
    assert.ok(
      guide.includes(`\`\`\`\n${snippet('dovecot-auth-worker.conf')}\`\`\``),
      'docs/dovecot.md shows dovecot-auth-worker.conf verbatim',
    );
  });

  test(`${unit}: the runtime directory lets its group in and nobody else; no SupplementaryGroups= a user namespace would drop`, () => {
    const d = directives(unit);
    const mode = Number.parseInt(one(d, 'RuntimeDirectoryMode') ?? '0755', 8);
    assert.equal(mode & 0o050, 0o050, `RuntimeDirectoryMode ${mode.toString(8)}: group peergroup must enter it`);
    assert.equal(mode & 0o007, 0, `RuntimeDirectoryMode ${mode.toString(8)}: others must not`);
    // PrivateUsers= maps only root and the unit's own user and group; other groups of the process would be lost,
    // so whatever the unit reaches through a group must be its primary Group=.
    if (one(d, 'PrivateUsers') === 'yes') assert.equal(d.get('SupplementaryGroups'), undefined);
  });
}

test("Postfix asks through a UNIX socket only its group opens: the snippets name it, tmpfiles.d makes its directory (the units' user, setgid group postfix, closed to others), and both units may write there", () => {
  const yaml = parseYaml(snippet('mailboxes.yaml')) as { accounts: { mailboxes: { postfix: { socketmap: string } } } };
  const socket = yaml.accounts.mailboxes.postfix.socketmap;
  const maps = [...snippet('postfix-virtual-main.cf').matchAll(/= (\S*)socketmap:(\w+):([^:\s]+):\w+$/gm)];
  assert.equal(maps.length, 4);
  // proxy: because Debian chroots smtpd and cleanup into /var/spool/postfix, where /run is not there.
  for (const [, proxy, kind, path] of maps) assert.deepEqual([proxy, kind, path], ['proxy:', 'unix', socket]);
  const line = socketmapDirSpec();
  assert.equal(line.path, dirname(socket));
  assert.equal(line.group, 'postfix');
  assert.equal(line.mode & 0o2000, 0o2000, "setgid: the socket takes the directory's group");
  assert.equal(line.mode & 0o007, 0, 'others may not enter');
  for (const unit of credentialUnits) {
    const d = directives(unit);
    assert.equal(line.user, one(d, 'User'), `${unit}'s user owns the directory`);
    assert.ok((d.get('ReadWritePaths') ?? []).includes(`-${line.path}`), `${unit}: ReadWritePaths=-${line.path}`);
  }
});

// Ids that belong to nobody on this machine (checked below): setpriv needs no account for them.
const PEERGROUP_UID = 61400;
const MEMBER_UID = 61401;
const OUTSIDER_UID = 61402;

/** The name and id of an existing group other than root and dovecot that stands in for peergroup (Dovecot needs a name). */
function standInGroup(): { name: string; gid: number } {
  const { gid } = mailUser();
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[2] === String(gid));
  assert.ok(line, `a group with gid ${gid}`);
  return { name: line.split(':')[0]!, gid };
}

/** Runs a small connect script as uid/gid (+ supplementary groups) through setpriv; its one output line. */
async function connectAs(ids: { uid: number; gid: number; groups?: number[] }, path: string, send: string): Promise<string> {
  const script = `const s = require('node:net').createConnection(process.argv[1]);
let buf = '';
s.on('connect', () => s.write(process.argv[2]));
// The first answer line, past auth-master's handshake (VERSION, SPID).
s.on('data', (b) => {
  buf += b;
  if (/^\\d+:[\\s\\S]*,$/.test(buf)) { console.log(JSON.stringify(buf)); s.destroy(); return; }
  const line = buf.split('\\n').slice(0, -1).find((l) => !/^(VERSION|SPID)\\t/.test(l));
  if (line !== undefined) { console.log(JSON.stringify(line)); s.destroy(); }
});
s.on('error', (e) => console.log(e.code));
setTimeout(() => { console.log('no answer'); process.exit(0); }, 10000).unref();`;
  const groups = ids.groups?.length ? [`--groups=${ids.groups.join(',')}`] : ['--clear-groups'];
  const { stdout } = await run('setpriv', [
    `--reuid=${ids.uid}`,
    `--regid=${ids.gid}`,
    ...groups,
    '--no-new-privs',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--',
    process.execPath,
    '-e',
    script,
    path,
    send,
  ]);
  return stdout.trim();
}

const DICT_LOOKUP = 'H3\t2\t0\t\tpeergroup\nLshared/userdb/nobody@example.org\tnobody@example.org\n';

test('real sockets: accounts serve under the unit identity; its dict socket opens to its group (and a real Dovecot auth worker given extra_groups), not to others; its socketmap socket to group postfix only; it opens auth-master as that group', async (t) => {
  assert.equal(process.getuid?.(), 0, 'this test runs processes as other users through setpriv: run it as root');
  const unit = directives('peergroup-accounts.hardened.service');
  // The identity below stands in for the unit's: a static user and group, the runtime directory's mode.
  assert.notEqual(one(unit, 'DynamicUser'), 'yes');
  assert.ok(one(unit, 'Group') && one(unit, 'RuntimeDirectoryMode'), 'the unit names Group= and RuntimeDirectoryMode=');
  const umask = one(unit, 'UMask') ?? '0022';
  const runtimeMode = Number.parseInt(one(unit, 'RuntimeDirectoryMode') ?? '0755', 8);
  const passwd = readFileSync('/etc/passwd', 'utf8');
  for (const id of [PEERGROUP_UID, MEMBER_UID, OUTSIDER_UID])
    assert.ok(!passwd.split('\n').some((l) => l.split(':')[2] === String(id)), `uid ${id} must be unused`);
  const group = standInGroup();
  const peergroup = { uid: PEERGROUP_UID, gid: group.gid };

  const work = mkdtempSync(join(tmpdir(), 'pg-units-sockets-'));
  chmodSync(work, 0o755);
  let service: ReturnType<typeof spawn> | undefined;
  let stderr = '';
  t.after(() => {
    service?.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });
  // What systemd makes: RuntimeDirectory= and StateDirectory= owned by the unit's user and group, with their modes,
  // and the credential copy of the passdb secret readable by the unit's user only.
  const runtime = join(work, 'run-peergroup');
  const state = join(work, 'state');
  mkdirSync(runtime);
  chownSync(runtime, peergroup.uid, peergroup.gid);
  chmodSync(runtime, runtimeMode);
  mkdirSync(state, { mode: 0o700 });
  chownSync(state, peergroup.uid, peergroup.gid);
  const secretFile = join(work, 'passdb.secret');
  await writePassdbSecret(secretFile);
  const credential = join(work, 'credential-passdb-secret');
  copyFileSync(secretFile, credential);
  chownSync(credential, peergroup.uid, peergroup.gid);
  chmodSync(credential, 0o400);

  const dovecotDir = join(work, 'dovecot');
  mkdirSync(dovecotDir);
  const authMaster = join(dovecotDir, 'run', 'auth-master');
  const dictSocket = join(runtime, 'dovecot-dict.sock');
  // What systemd-tmpfiles makes of packaging/tmpfiles.d/peergroup-postfix.conf: owner peergroup, group postfix.
  const postfixGid = groupId('postfix');
  const socketmap = await socketmapPath(work, { owner: peergroup.uid });
  const passdbPort = await freePort();
  const { uid: mailUid, gid: mailGid } = mailUser();
  const config = join(work, 'peergroup.yaml');
  writeFileSync(
    config,
    textFromSnippet('mailboxes.yaml', {
      '/run/peergroup/dovecot-dict.sock': dictSocket,
      '127.0.0.1:23011': `127.0.0.1:${passdbPort}`,
      '/etc/dovecot/peergroup-passdb.secret': credential,
      '/run/dovecot/auth-master': authMaster,
      '/var/vmail/%d/%n': join(work, 'mail/%d/%n'),
      'uid: 5000': `uid: ${mailUid}`,
      'gid: 5000': `gid: ${mailGid}`,
      '/run/peergroup-postfix/socketmap.sock': socketmap,
    }).replace('accounts:\n', `accounts:\n  dataDir: ${state}\n  listen: 127.0.0.1:0\n`),
    { mode: 0o644 },
  );
  const bin = join(root, 'packages/cli/bin/peergroup.js');
  service = spawn(
    'setpriv',
    [
      `--reuid=${peergroup.uid}`,
      `--regid=${peergroup.gid}`,
      '--clear-groups',
      '--no-new-privs',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--',
      '/bin/sh',
      '-c',
      `umask ${umask} && exec "$0" "$@"`,
      process.execPath,
      bin,
      'accounts',
      'serve',
      '--config',
      config,
    ],
    { cwd: work, env: { ...process.env, HOME: state }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  service.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const deadline = Date.now() + 60_000;
  while (!(existsSync(dictSocket) && (statSync(dictSocket).mode & 0o777) === 0o660)) {
    assert.equal(service.exitCode, null, `accounts serve exited:\n${stderr}`);
    assert.ok(Date.now() < deadline, `no dict socket after 60 s:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const st = statSync(dictSocket);
  assert.deepEqual([st.uid, st.gid, (st.mode & 0o777).toString(8)], [peergroup.uid, peergroup.gid, '660']);

  // (1) the socket was made in the runtime directory; (2) its group connects, others are refused.
  assert.equal(await connectAs({ uid: MEMBER_UID, gid: MEMBER_UID, groups: [group.gid] }, dictSocket, DICT_LOOKUP), '"N"');
  assert.equal(await connectAs({ uid: OUTSIDER_UID, gid: OUTSIDER_UID }, dictSocket, DICT_LOOKUP), 'EACCES');

  // (4) The socketmap socket: made by a process outside group postfix, yet of group postfix (the setgid directory),
  // so Postfix's processes ask it; Dovecot's (group peergroup) and everybody else's connections are refused, and
  // Postfix's group does not open the dict socket either.
  const sm = statSync(socketmap);
  assert.deepEqual([sm.uid, sm.gid, (sm.mode & 0o777).toString(8)], [peergroup.uid, postfixGid, '660']);
  const smLookup = '26:mailbox nobody@example.org,';
  assert.equal(await connectAs({ uid: MEMBER_UID, gid: MEMBER_UID, groups: [postfixGid] }, socketmap, smLookup), '"9:NOTFOUND ,"');
  assert.equal(await connectAs({ uid: MEMBER_UID, gid: MEMBER_UID, groups: [group.gid] }, socketmap, smLookup), 'EACCES');
  assert.equal(await connectAs({ uid: OUTSIDER_UID, gid: OUTSIDER_UID }, socketmap, smLookup), 'EACCES');
  assert.equal(await connectAs({ uid: MEMBER_UID, gid: MEMBER_UID, groups: [postfixGid] }, dictSocket, DICT_LOOKUP), 'EACCES');

  // A real Dovecot whose auth workers run unprivileged with docs/snippets/dovecot-auth-worker.conf: the userdb
  // lookup reaches peergroup ("doesn't exist" is peergroup's N). Then without extra_groups: a temporary failure.
  const worker = textFromSnippet('dovecot-auth-worker.conf', { 'extra_groups = peergroup': `extra_groups = ${group.name}` });
  const settingsOf = (text: string): Record<string, string> => {
    // startDovecot appends `key = value` lines: the snippet's text goes in whole, split at its first " = ".
    const at = text.indexOf(' = ');
    return { [text.slice(0, at)]: text.slice(at + 3).trimEnd() };
  };
  const lookup = async (snippetText: string) => {
    rmSync(dovecotDir, { recursive: true, force: true });
    mkdirSync(dovecotDir);
    const dv = await startDovecot({
      dir: dovecotDir,
      dictSocket,
      passdb: { port: passdbPort, secretFile },
      settings: settingsOf(snippetText),
    });
    try {
      const r = await dv.doveadm(['user', 'nobody@example.org']);
      return { ...r, log: await dv.log(), dv };
    } catch (err) {
      await dv.stop();
      throw err;
    }
  };
  const without = await lookup(worker.replace(/^\s*extra_groups = .*\n/m, ''));
  // doveadm can return before the worker's error line reaches the log file (seen once in CI): read until it does.
  const refused = /dovecot-dict\.sock.*Permission denied/;
  for (const until = Date.now() + 15_000; !refused.test(without.log) && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 100));
    without.log = await without.dv.log();
  }
  await without.dv.stop();
  assert.notEqual(without.code, 67, `without extra_groups Dovecot must not reach peergroup: ${without.stdout}`);
  assert.match(without.log, refused);

  const withGroup = await lookup(worker);
  try {
    assert.equal(withGroup.code, 67, `${withGroup.stdout}${withGroup.stderr}\n${withGroup.log.slice(-2000)}`);
    assert.match(withGroup.stdout, /user nobody@example\.org doesn't exist/);
    // The Lua passdb in the same unprivileged workers: peergroup's "not valid" (403), not a temporary failure.
    const auth = await withGroup.dv.doveadm(['auth', 'test', 'nobody@example.org', 'not-the-password']);
    assert.match(`${auth.stdout}${auth.stderr}`, /auth failed/, JSON.stringify(auth));
    assert.doesNotMatch(`${auth.stdout}${auth.stderr}`, /temporar/i);
    // (3) auth-master as the snippet makes it (mode 0660, group peergroup; the test Dovecot's is group root):
    // peergroup's own group, without supplementary groups, flushes; a process outside it is refused.
    chownSync(authMaster, 0, group.gid);
    assert.equal((statSync(authMaster).mode & 0o777).toString(8), '660');
    const flush = 'VERSION\t1\t0\nCACHE-FLUSH\t1\tnobody@example.org\n';
    // OK with the number of entries dropped (the lookup above left one).
    assert.match(await connectAs(peergroup, authMaster, flush), /^"OK\\t1\\t\d+"$/);
    assert.equal(await connectAs({ uid: OUTSIDER_UID, gid: OUTSIDER_UID }, authMaster, flush), 'EACCES');
  } finally {
    await withGroup.dv.stop();
  }
});
