// tor refuses a relative HiddenServiceDir, so publish prints the torrc line with an absolute one, whatever was given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../src/main.ts';
import { newOnion } from '@peergroup/test-support/onions';

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

test("a relative --hidden-service-dir is printed absolute (from the current directory), a relative file key from the file's directory", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'publish-paths-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const onion = newOnion();
  for (const sub of ['cwd/hs', 'conf/hs']) {
    mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, sub, 'hostname'), `${onion}\n`);
  }
  const cwd = process.cwd();
  process.chdir(join(dir, 'cwd'));
  t.after(() => process.chdir(cwd));

  const flag = await cli(['onionmx', 'publish', '--hidden-service-dir', 'hs', '--domain', 'example.org']);
  assert.equal(flag.code, 0, flag.err);
  assert.ok(flag.out.split('\n').includes(`HiddenServiceDir ${join(dir, 'cwd/hs')}`), flag.out);

  const config = join(dir, 'conf/peergroup.yaml');
  writeFileSync(config, 'publish: { hiddenServiceDir: hs, domains: [example.org] }\n');
  const file = await cli(['onionmx', 'publish', '--config', '../conf/peergroup.yaml']);
  assert.equal(file.code, 0, file.err);
  assert.ok(file.out.split('\n').includes(`HiddenServiceDir ${join(dir, 'conf/hs')}`), file.out);
});
