// The accounts web app is imported with the first request (service.ts): requests that arrive while it loads are served
// by the one listener it makes, bodies included, and a load that fails is a 500, not a hung connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lazyListener } from '../src/lazy-listener.ts';
import { unavailableText } from '../src/i18n/unavailable.ts';

async function serve(listener: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

test('requests that arrive while the listener loads wait for the one load, and their bodies reach it', async () => {
  let loads = 0;
  let release!: () => void;
  const loaded = new Promise<void>((r) => (release = r));
  const echo: RequestListener = (req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => res.end(`${req.url} ${body}`));
  };
  const { server, url } = await serve(
    lazyListener(
      async () => {
        loads++;
        await loaded;
        return echo;
      },
      (err) => assert.fail(err as Error),
      () => assert.fail('the load did not fail'),
    ),
  );
  try {
    const answers = [1, 2, 3].map((i) => fetch(`${url}/p${i}`, { method: 'POST', body: `body ${i}` }).then((r) => r.text()));
    // Every request is in before the listener exists.
    await new Promise((r) => setTimeout(r, 50));
    release();
    assert.deepEqual(await Promise.all(answers), ['/p1 body 1', '/p2 body 2', '/p3 body 3']);
    assert.equal(await (await fetch(`${url}/later`)).text(), '/later ');
    assert.equal(loads, 1);
  } finally {
    server.close();
  }
});

test("a listener that fails to load answers 500 in the browser's language and reports the error, for every request", async () => {
  const errors: unknown[] = [];
  const { server, url } = await serve(
    lazyListener(
      () => Promise.reject(new Error('no such module')),
      (err) => errors.push(err),
      (req) => unavailableText(req.headers['accept-language']),
    ),
  );
  try {
    for (const [path, accept, lang, words] of [
      ['/', 'de-CH,de;q=0.9,en;q=0.5', 'de', /^Die Kontoseiten sind gerade nicht erreichbar\./],
      ['/login', 'fr', 'fr', /^Les pages du compte ne sont pas disponibles/],
      ['/login', 'it;q=0.8, en-GB;q=0.9', 'en', /^The account pages are not available right now\./],
      ['/', '', 'en', /tell the people who run this service\.\n$/],
    ] as const) {
      const res = await fetch(`${url}${path}`, { headers: accept ? { 'accept-language': accept } : {} });
      assert.equal(res.status, 500);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.headers.get('content-language'), lang);
      assert.match(await res.text(), words);
    }
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ['no such module', 'no such module', 'no such module', 'no such module'],
    );
  } finally {
    server.close();
  }
});
