import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateServerSecret } from '../src/server-secret.ts';

test('the secret is generated once with mode 600 and read back unchanged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-secret-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'sub', 'server-secret');
  const a = await loadOrCreateServerSecret(file);
  assert.equal(a.created, true);
  assert.equal(a.secret.length, 32);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const b = await loadOrCreateServerSecret(file);
  assert.equal(b.created, false);
  assert.deepEqual(b.secret, a.secret);
});

test('a secret readable by others or of the wrong size is refused with the file named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-secret-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const open = join(dir, 'open');
  writeFileSync(open, Buffer.alloc(32, 7).toString('base64'));
  chmodSync(open, 0o644);
  await assert.rejects(loadOrCreateServerSecret(open), /secretFile .*open: mode 644/);
  const short = join(dir, 'short');
  writeFileSync(short, Buffer.alloc(16, 7).toString('base64'), { mode: 0o600 });
  await assert.rejects(loadOrCreateServerSecret(short), /exactly 32 bytes/);
  const junk = join(dir, 'junk');
  writeFileSync(junk, 'not base64 at all!!', { mode: 0o600 });
  await assert.rejects(loadOrCreateServerSecret(junk), /exactly 32 bytes/);
});
