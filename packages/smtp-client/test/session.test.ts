/**
 * The client session against real SMTP servers on loopback: smtp-server sinks (test/support/smtp-sink.ts: STARTTLS,
 * LMTP, XCLIENT, PROXY) and the scripted MX (test/support/scripted-mx.ts: 421 greetings, silence at any phase).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { encodeProxyV1, proxyAddresses } from '@peergroup/mta-codecs';
import {
  connectTcp,
  RFC5321_TIMEOUTS,
  SessionCache,
  SmtpClientError,
  SmtpSession,
  type SmtpSessionOptions,
  type SmtpTimeouts,
} from '@peergroup/smtp-client';
import { startSmtpSink, type SmtpSink } from '@peergroup/test-support/smtp-sink';
import { startScriptedMx } from '@peergroup/test-support/scripted-mx';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function sink(opts: Parameters<typeof startSmtpSink>[0] = {}): Promise<SmtpSink> {
  const s = await startSmtpSink(opts);
  cleanup.push(() => s.close());
  return s;
}

const quick: SmtpTimeouts = {
  connect: 5000,
  greeting: 5000,
  ehlo: 5000,
  mail: 5000,
  rcpt: 5000,
  dataInit: 5000,
  dataBlock: 5000,
  dataEnd: 5000,
  quit: 1000,
};

function open(port: number, over: Partial<SmtpSessionOptions> = {}): Promise<SmtpSession> {
  return SmtpSession.open({
    connect: () => connectTcp({ host: '127.0.0.1', port, timeoutMs: 5000 }),
    helo: 'client.test',
    timeouts: quick,
    ...over,
  });
}

async function failure(p: Promise<unknown>): Promise<SmtpClientError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SmtpClientError, `an SmtpClientError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a failure');
}

test('a transaction: EHLO keywords, MAIL/RCPT replies as values, the body streamed and dot-stuffed, RSET, a second one, QUIT', async () => {
  const s = await sink({
    behaviour: { onRcptTo: (a) => (a.startsWith('nobody') ? { code: 550, message: '5.1.1 no such user' } : undefined) },
  });
  const c = await open(s.port);
  assert.ok(c.extensions.has('PIPELINING') && c.extensions.has('8BITMIME'), [...c.extensions.keys()].join(' '));
  assert.equal((await c.command('MAIL FROM:<a@client.test>', 'mail')).code, 250);
  const refused = await c.command('RCPT TO:<nobody@sink.test>', 'rcpt');
  assert.equal(refused.code, 550, 'a refusal is an answer, not an error');
  assert.equal((await c.command('RCPT TO:<b@sink.test>', 'rcpt')).code, 250);
  assert.equal((await c.data()).code, 354);
  // Dots at line starts, also where a chunk boundary falls right before the dot.
  const parts = ['Subject: t\r\n\r\n.one\r\n', '.', 'two\r\n..three\r\nend\r\n'].map((p) => Buffer.from(p));
  for (const p of parts) await c.write(p);
  assert.equal((await c.endData()).code, 250);
  assert.deepEqual(s.messages[0]!.data, Buffer.concat(parts), 'the sink got the exact bytes');
  assert.equal(await c.rset(), true);
  assert.equal(c.reusable, true);
  assert.equal((await c.command('MAIL FROM:<>', 'mail')).code, 250);
  assert.equal((await c.command('RCPT TO:<c@sink.test>', 'rcpt')).code, 250);
  await c.data();
  assert.equal(c.writeData(Buffer.from('no final line end')), true);
  assert.equal((await c.endData()).code, 250);
  assert.deepEqual(s.messages[1]!.data.toString(), 'no final line end\r\n');
  await c.quit();
  assert.equal(c.reusable, false);
});

test('pipelining: several commands in one write, replies read in order', async () => {
  const s = await sink();
  const c = await open(s.port);
  c.send(['MAIL FROM:<a@client.test>', 'RCPT TO:<x@sink.test>', 'RCPT TO:<y@sink.test>'], 'mail');
  assert.deepEqual([(await c.read('mail')).code, (await c.read('rcpt')).code, (await c.read('rcpt')).code], [250, 250, 250]);
  await c.quit();
});

test('STARTTLS: opportunistic uses it, none does not, required fails with kind tls when it is not offered', async () => {
  const tls = await sink({ starttls: true });
  const plain = await sink();
  const a = await open(tls.port, { tls: 'opportunistic' });
  assert.equal(a.tls, true);
  assert.ok(!a.extensions.has('STARTTLS'), 'the keywords are those of the EHLO after the handshake');
  await a.quit();
  const b = await open(tls.port, { tls: 'none' });
  assert.equal(b.tls, false);
  await b.quit();
  const e = await failure(open(plain.port, { tls: 'required' }));
  assert.deepEqual([e.phase, e.kind], ['starttls', 'tls']);
  const d = await open(plain.port, { tls: 'opportunistic' });
  assert.equal(d.tls, false, 'opportunistic goes on in the clear when STARTTLS is not offered');
  await d.quit();
});

test('LMTP: LHLO, and one reply per recipient after the end of data', async () => {
  const s = await sink({
    lmtp: true,
    behaviour: {
      onData: () => [
        { code: 250, message: '2.0.0 first' },
        { code: 452, message: '4.2.2 full' },
      ],
    },
  });
  const c = await open(s.port, { lmtp: true });
  await c.command('MAIL FROM:<a@client.test>', 'mail');
  await c.command('RCPT TO:<x@sink.test>', 'rcpt');
  await c.command('RCPT TO:<y@sink.test>', 'rcpt');
  await c.data();
  await c.write(Buffer.from('Subject: lmtp\r\n\r\nbody\r\n'));
  const first = await c.endData();
  const second = await c.read('dataEnd');
  assert.deepEqual([first.code, second.code], [250, 452]);
  assert.equal(s.messages[0]!.transmissionType.startsWith('LMTP'), true);
  await c.quit();
});

test('preamble and afterEhlo hooks: a PROXY header before the greeting, XCLIENT after EHLO', async () => {
  const proxied = await sink({ useProxy: true });
  const p = await open(proxied.port, { preamble: encodeProxyV1(proxyAddresses('192.0.2.7', 4000, '127.0.0.1', 25)) });
  await p.command('MAIL FROM:<a@client.test>', 'mail');
  await p.command('RCPT TO:<x@sink.test>', 'rcpt');
  await p.data();
  await p.write(Buffer.from('x\r\n'));
  await p.endData();
  assert.equal(proxied.messages[0]!.remoteAddress, '192.0.2.7');
  await p.quit();

  const xc = await sink({ useXClient: true });
  const x = await open(xc.port, {
    afterEhlo: async (s) => {
      assert.ok(s.extensions.has('XCLIENT'));
      assert.equal((await s.command('XCLIENT ADDR=192.0.2.8 NAME=onion', 'xclient')).code, 220);
      await s.ehlo('peer.example');
    },
  });
  await x.command('MAIL FROM:<a@client.test>', 'mail');
  await x.command('RCPT TO:<x@sink.test>', 'rcpt');
  await x.data();
  await x.write(Buffer.from('x\r\n'));
  await x.endData();
  assert.equal(xc.messages[0]!.remoteAddress, '192.0.2.8');
  assert.equal(xc.messages[0]!.helo, 'peer.example');
  await x.quit();
});

test('errors name phase and kind: a 421 greeting, a refused connection, silence at RCPT, a refused EHLO', async () => {
  const mx = await startScriptedMx({ greeting: '421 4.3.2 not now' });
  cleanup.push(() => mx.close());
  const g = await failure(open(mx.port));
  assert.deepEqual([g.phase, g.kind, g.reply?.code], ['greeting', 'reply', 421]);

  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const c = await failure(open(port));
  assert.deepEqual([c.phase, c.kind], ['connect', 'connect']);

  mx.script = { rcpt: 'stall' };
  const s = await open(mx.port, { timeouts: { ...quick, rcpt: 300 } });
  await s.command('MAIL FROM:<a@client.test>', 'mail');
  const t = await failure(s.command('RCPT TO:<x@far.example>', 'rcpt'));
  assert.deepEqual([t.phase, t.kind, t.message], ['rcpt', 'timeout', 'timeout during RCPT']);
  assert.equal(s.reusable, false, 'a late reply would put every later one out of step: the session is gone');
  assert.equal(await s.rset(), false);

  mx.script = { ehlo: '502 5.5.1 no EHLO here' };
  const e = await failure(open(mx.port));
  assert.deepEqual([e.phase, e.kind, e.reply?.code], ['ehlo', 'reply', 502]);
});

/** A TCP peer that is not an SMTP server at all, or one that stops reading: what no real MX does on purpose. */
async function rawPeer(onConnection: (s: Socket) => void): Promise<number> {
  const server: Server = createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const sockets = new Set<Socket>();
  server.on('connection', (s) => sockets.add(s));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as AddressInfo).port;
}

test('fake peers (raw TCP): a malformed reply is a protocol failure; HELO after a refused EHLO; a peer that stops reading times the transfer out', async () => {
  const garbage = await rawPeer((s) => s.write('hello there\r\n'));
  const g = await failure(open(garbage));
  assert.deepEqual([g.phase, g.kind], ['greeting', 'protocol']);

  const stuck = await rawPeer((s) => {
    s.write('220 stuck.test\r\n');
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const verb = buf.slice(0, 4);
        buf = buf.slice(nl + 1);
        if (verb === 'DATA') {
          s.write('354 go\r\n');
          s.pause(); // stops reading: the client's writes back up
          return;
        }
        s.write('250 ok\r\n');
      }
    });
  });
  const heloOnly = await rawPeer((s) => {
    s.write('220 old.test\r\n');
    s.on('data', (d: Buffer) => s.write(d.toString().startsWith('EHLO') ? '502 5.5.1 no EHLO here\r\n' : '250 old.test\r\n'));
  });
  const h = await open(heloOnly, { heloFallback: true });
  assert.equal(h.extensions.size, 0, 'HELO after the refused EHLO: no extensions');
  assert.equal(h.reusable, true);
  h.destroy();

  const c = await open(stuck, { timeouts: { ...quick, dataBlock: 300 } });
  await c.command('MAIL FROM:<a@client.test>', 'mail');
  await c.command('RCPT TO:<x@stuck.test>', 'rcpt');
  assert.equal((await c.data()).code, 354);
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  let waited: Promise<void> | undefined;
  for (let i = 0; i < 64 && !waited; i++) {
    const r = c.writeData(chunk);
    if (r !== true) waited = r;
  }
  assert.ok(waited, 'writeData returns a promise once the peer stops reading (backpressure)');
  const e = await failure(waited);
  assert.deepEqual([e.phase, e.kind], ['message', 'timeout']);
  assert.equal(c.reusable, false);
});

test('SessionCache: an idle session comes back after RSET; a dead one is released and skipped; idle 0 closes at once', async () => {
  const s = await sink();
  const cache = new SessionCache<SmtpSession>(60_000);
  cleanup.push(async () => cache.close());
  let released = 0;
  const a = await open(s.port);
  cache.put('k', { session: a, release: () => released++ });
  const back = await cache.take('k');
  assert.equal(back?.session, a);
  assert.equal(await cache.take('k'), undefined, 'taken once');
  a.destroy();
  cache.put('k', { session: a, release: () => released++ });
  await new Promise((r) => setImmediate(r));
  assert.equal(released, 1, 'a session that is not reusable is released at once');
  const b = await open(s.port);
  cache.put('k', { session: b, release: () => released++ });
  b.destroy(); // dies while idle
  assert.equal(await cache.take('k'), undefined);
  assert.equal(released, 2);
  const none = new SessionCache<SmtpSession>(0);
  const c = await open(s.port);
  await new Promise<void>((resolve) => none.put('k', { session: c, release: resolve }));
  assert.equal(c.reusable, false, 'idle 0: closed after its transaction');
  assert.equal(RFC5321_TIMEOUTS.dataEnd, 600_000);
});
