// The shipped systemd units, checked the way an operator would before installing them: `systemd-analyze verify`
// finds no error and `systemd-analyze security --offline=true` (no running systemd needed) rates each hardened unit's
// exposure. The scores are in docs/deploy.md; this keeps them from creeping up unnoticed. The units that run the
// accounts service load the Dovecot passdb secret as a credential: the path the docs give for secretFile is the one
// systemd makes, and the fallback a unit gets when the file is missing stops accounts serve naming the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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
