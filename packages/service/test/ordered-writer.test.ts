import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Socket } from 'node:net';
import { OrderedWriter } from '../src/ordered-writer.ts';

/** A real connected pair on loopback: what the server side writes, the client side reads. */
async function pair(): Promise<{ server: Socket; read(): Promise<string>; close(): void }> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => srv.once('connection', r));
  const client = createConnection({ host: '127.0.0.1', port: (srv.address() as { port: number }).port });
  const server = await accepted;
  let got = '';
  client.on('data', (c) => (got += c));
  return {
    server,
    read: async () => {
      await new Promise((r) => setTimeout(r, 50));
      return got;
    },
    close: () => {
      client.destroy();
      server.destroy();
      srv.close();
    },
  };
}

test('replies leave in request order however their lookups finish', async () => {
  const p = await pair();
  const out = new OrderedWriter(p.server);
  const first = out.reserve();
  const second = out.reserve();
  const third = out.reserve();
  third('3,');
  second('2,');
  assert.equal(await p.read(), '', 'nothing may leave before the first reply');
  first('1,');
  out.push('4,');
  assert.equal(await p.read(), '1,2,3,4,');
  p.close();
});

test('afterWritten runs once everything reserved before it is written; a closed socket gets nothing more', async () => {
  const p = await pair();
  const out = new OrderedWriter(p.server);
  const pending = out.reserve();
  const events: string[] = [];
  out.afterWritten(() => events.push('drained'));
  assert.equal(events.length, 0);
  pending('a,');
  assert.deepEqual(events, ['drained']);
  out.afterWritten(() => events.push('at once'));
  assert.deepEqual(events, ['drained', 'at once']);
  p.server.destroy();
  assert.doesNotThrow(() => out.push('b,'));
  assert.equal(await p.read(), 'a,');
  p.close();
});
