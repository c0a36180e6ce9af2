import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadCommands } from '../src/main.ts';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../bin/peergroup.js', import.meta.url));

test('peergroup --help lists every command', async () => {
  const { stdout } = await run(process.execPath, [bin, '--help']);
  const commands = await loadCommands();
  assert.ok(commands.length > 0);
  for (const c of commands) assert.match(stdout, new RegExp(`^  ${c.path.join(' ')}\\s`, 'm'), c.path.join(' '));
});

test('peergroup <command> --help lists every option of that command', async () => {
  for (const c of await loadCommands()) {
    const { stdout } = await run(process.execPath, [bin, ...c.path, '--help']);
    assert.match(stdout, new RegExp(`^Usage: peergroup ${c.path.join(' ')}`, 'm'));
    for (const [name, spec] of Object.entries(c.options)) {
      if (!spec.hidden) assert.match(stdout, new RegExp(`--${name}\\b`), `${c.path.join(' ')} --${name}`);
    }
  }
});

test('an unknown command exits 64 with the command list', async () => {
  await assert.rejects(run(process.execPath, [bin, 'no-such-command']), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 64);
    assert.match(err.stderr, /unknown command/);
    return true;
  });
});

test('peergroup --version prints the version of package.json; peergroup help [command] is --help', async () => {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal((await run(process.execPath, [bin, '--version'])).stdout, `peergroup ${pkg.version}\n`);
  const help = await run(process.execPath, [bin, 'help']);
  assert.equal(help.stdout, (await run(process.execPath, [bin, '--help'])).stdout);
  const route = await run(process.execPath, [bin, 'help', 'onionmx', 'route']);
  assert.equal(route.stdout, (await run(process.execPath, [bin, 'onionmx', 'route', '--help'])).stdout);
  assert.match(route.stdout, /^Usage: peergroup onionmx route/);
  await assert.rejects(run(process.execPath, [bin, 'help', 'no-such-command']), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 64);
    assert.match(err.stderr, /unknown command "no-such-command"/);
    return true;
  });
});

test('every command summary is a sentence: it starts with a capital letter', async () => {
  for (const c of await loadCommands()) assert.match(c.summary, /^[A-Z]/, c.path.join(' '));
});

test('onionmx route --help speaks of one lookup, not of a daemon that starts, reloads or watches files', async () => {
  const { stdout } = await run(process.execPath, [bin, 'onionmx', 'route', '--help']);
  assert.match(stdout, /--strict-maps\s+exit 78 when a map has an invalid entry/);
  assert.doesNotMatch(stdout, /refuse to start or reload|--no-watch-maps/);
  const router = await run(process.execPath, [bin, 'onionmx', 'router', '--help']);
  assert.match(router.stdout, /--strict-maps\s+refuse to start or reload/);
});
