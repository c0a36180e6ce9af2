import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen, listenUnix } from '../src/listen.ts';

test('listen resolves with the bound address of a port-0 listener', async () => {
  const server = createServer();
  const at = await listen(server, { host: '127.0.0.1', port: 0 });
  try {
    assert.equal(at.host, '127.0.0.1');
    assert.ok(at.port > 0);
    assert.equal((server.address() as { port: number }).port, at.port);
  } finally {
    server.close();
  }
});

test('a busy port is refused with the key, the address and the errno code', async () => {
  const first = createServer();
  const at = await listen(first, { host: '127.0.0.1', port: 0 });
  const second = createServer();
  try {
    await assert.rejects(listen(second, at, 'socketmap.listen'), (err: NodeJS.ErrnoException) => {
      assert.match(err.message, new RegExp(`^socketmap\\.listen 127\\.0\\.0\\.1:${at.port}: cannot listen: .*EADDRINUSE`));
      assert.equal(err.code, 'EADDRINUSE');
      return true;
    });
  } finally {
    first.close();
  }
});

test('after listening, a server error reaches the caller, not the spent listen promise', async () => {
  const server = createServer();
  await listen(server, { host: '127.0.0.1', port: 0 });
  try {
    assert.equal(server.listenerCount('error'), 0);
  } finally {
    server.close();
  }
});

test('listen takes a Unix socket path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'listen-'));
  const path = join(dir, 's.sock');
  const server = createServer();
  try {
    assert.equal(await listen(server, path), path);
    assert.equal(server.listening, true);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Unix socket path: the socket file of a killed run is replaced, the mode applied', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'listen-'));
  const path = join(dir, 's.sock');
  const second = createServer();
  try {
    // A run that ended without closing (SIGKILL) leaves its socket file, with nothing listening on it.
    spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    assert.equal(lstatSync(path).isSocket(), true, 'the killed run left its socket');
    await listenUnix(second, path, 'x.socket', { mode: 0o640 });
    assert.equal(second.listening, true);
    assert.equal((statSync(path).mode & 0o777).toString(8), '640');
  } finally {
    second.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Unix socket path that holds something other than a socket is refused naming the key, and left as it was', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'listen-'));
  try {
    const path = join(dir, 'main.cf');
    writeFileSync(path, 'not a socket\n');
    await assert.rejects(listen(createServer(), path, 'x.socket'), /^Error: x\.socket \S+main\.cf: exists and is not a socket/);
    assert.equal(readFileSync(path, 'utf8'), 'not a socket\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Unix socket in a directory that does not exist is said so (libuv would say "permission denied"), with the caller\'s advice', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'listen-'));
  try {
    const path = join(dir, 'missing', 's.sock');
    await assert.rejects(listen(createServer(), path, 'x.socket'), /x\.socket \S+: the directory \S+missing does not exist$/);
    await assert.rejects(listenUnix(createServer(), path, 'x.socket', { missingDir: 'make it first' }), /does not exist; make it first$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
