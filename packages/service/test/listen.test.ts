import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '../src/listen.ts';

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
