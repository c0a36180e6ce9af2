/**
 * The relay against real SMTP servers on loopback, without Tor: the dialer connects straight to the far MX
 * (onion host → local port), and an onion with no MX gets the descriptor-not-found error Tor would give.
 * The same paths through real Tor are in test/e2e/relay-*.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { onionFromPublicKey } from '../src/routing/onion-address.ts';
import { DialError, directDialer, type Dialer } from '../src/relay/onion-dialer.ts';
import { relayConfigSchema, type RelayConfigInput } from '../src/relay/relay-config.ts';
import { startRelay } from '../src/relay/relay.ts';
import { createRouteResolver, type RoutingResolver } from '../src/routing/routing.ts';
import { socksReplyInfo } from '../src/relay/socks5.ts';
import type { RunningService } from '@peergroup/service';
import type { RouteResolver } from '../src/routing/route-decision.ts';
import { startFarMx, type FarMx } from '@peergroup/test-support/far-mx';
import { TestClient } from '@peergroup/test-support/relay-client';
import { startSmtpSink, type SmtpSink } from '@peergroup/test-support/smtp-sink';
import { createServer, type AddressInfo, type Socket } from 'node:net';

interface WireRecorder {
  port: number;
  /** Per DATA: the bytes after the 354 up to the first CRLF.CRLF, and every command line the far side saw after it. */
  transactions: { data: string; after: string[] }[];
  /** Every socket read outside DATA, as it came (what the client put in one write arrives in one read on loopback). */
  reads: string[];
  close(): Promise<void>;
}

/**
 * A far side that records the DATA bytes as they come over the wire (no un-stuffing), ending DATA at the first
 * CRLF.CRLF as RFC 5321 says: what a far MX would read as the message and as commands after it.
 */
async function startWireRecorder(): Promise<WireRecorder> {
  const socks = new Set<Socket>();
  const rec: WireRecorder = { port: 0, transactions: [], reads: [], close: async () => undefined };
  const server = createServer((sock) => {
    socks.add(sock);
    sock.on('close', () => socks.delete(sock));
    sock.write('220 wire.example ESMTP\r\n');
    let buf = '';
    let inData = false;
    let last: WireRecorder['transactions'][number] | undefined; // this connection's last message
    sock.on('data', (b: Buffer) => {
      if (!inData) rec.reads.push(b.toString('latin1'));
      buf += b.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          last = { data: buf.slice(0, end + 2), after: [] };
          rec.transactions.push(last);
          buf = buf.slice(end + 5);
          inData = false;
          sock.write('250 2.0.0 ok\r\n');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        last?.after.push(line);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') sock.write('250-wire.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
        else if (verb === 'DATA') {
          inData = true;
          sock.write('354 go\r\n');
        } else if (verb === 'QUIT') sock.end('221 bye\r\n');
        else sock.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  rec.port = (server.address() as AddressInfo).port;
  rec.close = () =>
    new Promise<void>((r) => {
      for (const s of socks) s.destroy();
      server.close(() => r());
    });
  return rec;
}

const onionA = onionFromPublicKey(randomBytes(32));
const onionB = onionFromPublicKey(randomBytes(32));
const onionGone = onionFromPublicKey(randomBytes(32));
const onionNo8bit = onionFromPublicKey(randomBytes(32));
const onionTls = onionFromPublicKey(randomBytes(32));
const onionWire = onionFromPublicKey(randomBytes(32));

let dir: string;
let mxA: FarMx;
let mxB: FarMx;
let mxNo8bit: FarMx;
let tlsSink: SmtpSink;
let wire: WireRecorder;
let resolver: RoutingResolver;
const dialed: { host: string; isolationKey: string }[] = [];
const cleanup: (() => Promise<void>)[] = [];

/** Dials onion → local far MX; an onion without one fails like Tor's ExtendedErrors 0xF0. */
const dialer: Dialer = (opts) => {
  dialed.push({ host: opts.host, isolationKey: opts.isolationKey });
  const port = { [onionA]: mxA.port, [onionB]: mxB.port, [onionNo8bit]: mxNo8bit.port, [onionTls]: tlsSink.port, [onionWire]: wire.port }[
    opts.host
  ];
  if (!port) return Promise.reject(new DialError('no such onion', socksReplyInfo(0xf0)));
  return directDialer({ host: '127.0.0.1', port })(opts);
};

async function relay(input: Partial<RelayConfigInput> = {}, registry = new Registry()): Promise<RunningService> {
  const config = relayConfigSchema.parse({
    lmtp: '127.0.0.1:0',
    smtp: '127.0.0.1:0',
    ...input,
    routing: { ...input.routing, srv: false, maps: [{ path: join(dir, 'map') }] },
  });
  const svc = await startRelay(config, { resolver, dialer, registry });
  cleanup.push(() => svc.close());
  return svc;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-test-'));
  mxA = await startFarMx();
  mxB = await startFarMx({ size: 4096 });
  mxNo8bit = await startFarMx({ hide8BITMIME: true, hideSMTPUTF8: true, hideDSN: true });
  tlsSink = await startSmtpSink({ starttls: true });
  wire = await startWireRecorder();
  writeFileSync(
    join(dir, 'map'),
    [
      `a.example ${onionA}`,
      `b.example ${onionB}:25`,
      `gone.example ${onionGone}`,
      `old.example ${onionNo8bit}`,
      `tls.example ${onionTls}`,
      `wire.example ${onionWire}`,
    ].join('\n') + '\n',
  );
  resolver = await createRouteResolver(
    relayConfigSchema.parse({ lmtp: '127.0.0.1:0', routing: { srv: false, maps: [{ path: join(dir, 'map') }] } }).routing,
    { sighup: false },
  );
});

after(async () => {
  for (const c of cleanup.reverse()) await c();
  await resolver.close();
  await Promise.all([mxA.close(), mxB.close(), mxNo8bit.close(), tlsSink.close(), wire.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const body = (tag: string) =>
  Buffer.from(`From: s@here.example\r\nSubject: ${tag}\r\n\r\n.leading dot line\r\nbinary \xe9\xff ok\r\n..two dots\r\n`, 'latin1');
const findMessage = (mx: FarMx, tag: string) => mx.messages.find((m) => m.data.includes(`Subject: ${tag}\r\n`));

describe('relay without Tor (direct dialer to local far MX)', () => {
  test('LMTP: per-recipient far-side answers, content byte-identical, one transaction per onion', async () => {
    const svc = await relay();
    const { client, greeting } = await TestClient.connect(svc.addresses.lmtp!.port);
    assert.equal(greeting.code, 220);
    assert.match(greeting.lines[0]!, /LMTP/);
    assert.equal((await client.cmd('LHLO mta.test')).code, 250);
    assert.equal((await client.cmd('MAIL FROM:<s@here.example> BODY=8BITMIME')).code, 250);
    const rcpts = ['ok1@a.example', 'perm1@a.example', 'temp1@b.example', 'ok2@b.example', 'x@gone.example', 'y@cleartext.example'];
    const rcptCodes = [];
    for (const r of rcpts) rcptCodes.push((await client.cmd(`RCPT TO:<${r}>`)).code);
    assert.deepEqual(rcptCodes, [250, 250, 250, 250, 250, 451], 'only the unrouted domain is refused at RCPT, with a temporary code');
    const replies = await client.data(body('lmtp-mix'), 5);
    assert.deepEqual(
      replies.map((r) => r.code),
      [250, 550, 451, 250, 451],
    );
    assert.match(replies[1]!.lines[0]!, /^5\.1\.1 .*\.onion:25 said: 550 no such user here/);
    assert.match(replies[2]!.lines[0]!, /^4\.2\.1 .* mailbox busy/);
    assert.match(replies[4]!.lines[0]!, /4\.4\.3 Tor: onion service descriptor not found/);
    const a = findMessage(mxA, 'lmtp-mix')!;
    const b = findMessage(mxB, 'lmtp-mix')!;
    assert.deepEqual(a.to, ['ok1@a.example']);
    assert.deepEqual(b.to, ['ok2@b.example']);
    assert.ok(a.data.equals(body('lmtp-mix')), 'far side got the exact bytes the MTA sent');
    assert.ok(b.data.equals(body('lmtp-mix')));
    assert.equal(a.mailArgs.BODY, '8BITMIME', 'BODY passed on to an 8BITMIME far side');
    client.close();
  });

  test('Tor circuits are isolated per recipient domain', async () => {
    const before = dialed.length;
    const svc = await relay();
    const { client } = await TestClient.connect(svc.addresses.lmtp!.port);
    await client.cmd('LHLO mta.test');
    await client.cmd('MAIL FROM:<s@here.example>');
    await client.cmd('RCPT TO:<i1@a.example>');
    await client.cmd('RCPT TO:<i2@b.example>');
    await client.data(body('isolation'), 2);
    const keys = dialed
      .slice(before)
      .map((d) => `${d.host}=${d.isolationKey}`)
      .sort();
    assert.deepEqual(keys, [`${onionA}=a.example`, `${onionB}=b.example`].sort());
    client.close();
  });

  test('SMTP: recipients relayed at RCPT time, another onion gets 452, DSN parameters passed on', async () => {
    const svc = await relay();
    const { client } = await TestClient.connect(svc.addresses.smtp!.port);
    const ehlo = await client.cmd('EHLO mta.test');
    for (const k of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'DSN'])
      assert.ok(ehlo.lines.includes(k), `EHLO offers ${k}: ${ehlo.lines.join('|')}`);
    assert.equal((await client.cmd('MAIL FROM:<s@here.example> RET=HDRS ENVID=env42')).code, 250);
    assert.equal((await client.cmd('RCPT TO:<s1@a.example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;s1@a.example')).code, 250);
    const perm = await client.cmd('RCPT TO:<perm9@a.example>');
    assert.equal(perm.code, 550, 'far-side RCPT refusal is relayed at RCPT time');
    assert.match(perm.lines[0]!, /no such user here/);
    const other = await client.cmd('RCPT TO:<s2@b.example>');
    assert.equal(other.code, 452);
    assert.equal((await client.cmd('RCPT TO:<s3@a.example>')).code, 250);
    const [done] = await client.data(body('smtp-one'), 1);
    assert.equal(done!.code, 250);
    assert.match(done!.lines[0]!, /queued as far/);
    const m = findMessage(mxA, 'smtp-one')!;
    assert.deepEqual(m.to, ['s1@a.example', 's3@a.example']);
    assert.equal(m.mailArgs.RET, 'HDRS');
    assert.equal(m.mailArgs.ENVID, 'env42');
    assert.equal(m.rcptArgs[0]!.NOTIFY, 'FAILURE,DELAY');
    assert.equal(findMessage(mxB, 'smtp-one'), undefined);
    client.close();
  });

  test('a multi-megabyte message full of dot lines arrives byte-identical (dots across socket chunk boundaries)', async () => {
    const svc = await relay();
    const { client } = await TestClient.connect(svc.addresses.smtp!.port);
    assert.equal((await client.cmd('EHLO mta.test')).code, 250);
    assert.equal((await client.cmd('MAIL FROM:<s@here.example>')).code, 250);
    assert.equal((await client.cmd('RCPT TO:<big@a.example>')).code, 250);
    // Line lengths cycle through 0..96 so leading dots, lone dots and CRLFs fall at every offset of the TCP chunks.
    const lines = ['From: s@here.example', 'Subject: dots-big', ''];
    for (let i = 0; lines.length < 100_000; i++) {
      const pad = 'x'.repeat(i % 97);
      lines.push(['.', '..', '.' + pad, '..' + pad, pad, '.\r', ' .'][i % 7]!);
    }
    const big = Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
    assert.ok(big.length > 2_000_000);
    const [done] = await client.data(big, 1);
    assert.equal(done!.code, 250);
    const m = findMessage(mxA, 'dots-big')!;
    assert.ok(m.data.equals(big), 'far side got the exact bytes the MTA sent');
    client.close();
  });

  test('smuggling: bare CR/LF around dots reach the far MX stuffed as un-stuffing and re-stuffing gives, never ending its DATA early', async () => {
    const svc = await relay({ connectionReuse: 0 });
    const cases: [string, string][] = [
      ['a\n.\nMAIL FROM:<evil@x>\r\n', 'a\n..\nMAIL FROM:<evil@x>\r\n'],
      ['a\n.\r\nRCPT TO:<evil@x>\r\n', 'a\n..\r\nRCPT TO:<evil@x>\r\n'],
      ['a\r.\rDATA\r\n', 'a\r.\rDATA\r\n'],
      ['a\r\n..\r\nb\r\n', 'a\r\n..\r\nb\r\n'],
      ['.unstuffed\r\n', '..unstuffed\r\n'],
    ];
    for (const mode of ['smtp', 'lmtp'] as const) {
      for (const [sent, expected] of cases) {
        const { client } = await TestClient.connect(svc.addresses[mode]!.port);
        assert.equal((await client.cmd(`${mode === 'lmtp' ? 'LHLO' : 'EHLO'} mta.test`)).code, 250);
        assert.equal((await client.cmd('MAIL FROM:<s@here.example>')).code, 250);
        assert.equal((await client.cmd('RCPT TO:<w@wire.example>')).code, 250);
        assert.equal((await client.cmd('DATA')).code, 354);
        const before = wire.transactions.length;
        // Raw, as a hostile client would send it: the relay's own stuffing is what is under test.
        (client as unknown as { sock: Socket }).sock.write(Buffer.from(sent + '.\r\n', 'latin1'));
        const reply = await (client as unknown as { read(): Promise<{ code: number }> }).read();
        assert.equal(reply.code, 250, JSON.stringify(sent));
        assert.equal(wire.transactions.length, before + 1, 'one message at the far side');
        assert.equal(wire.transactions.at(-1)!.data, expected, `${mode} ${JSON.stringify(sent)}`);
        client.close();
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    for (const t of wire.transactions)
      assert.ok(
        t.after.every((l) => /^(QUIT|RSET)$/.test(l)),
        `no command after a message but QUIT/RSET: ${JSON.stringify(t.after)}`,
      );
  });

  test('far-side 4xx and 5xx at end of DATA reach the MTA with their class and text', async () => {
    const svc = await relay();
    for (const [local, code, text] of [
      ['datatemp', 451, /disk full/],
      ['dataperm', 554, /content rejected/],
    ] as const) {
      const { client } = await TestClient.connect(svc.addresses.smtp!.port);
      await client.cmd('EHLO mta.test');
      await client.cmd('MAIL FROM:<s@here.example>');
      assert.equal((await client.cmd(`RCPT TO:<${local}@a.example>`)).code, 250);
      const [r] = await client.data(body(local), 1);
      assert.equal(r!.code, code);
      assert.match(r!.lines[0]!, text);
      client.close();
    }
  });

  test('far side silent after the data: timeout gives 4xx, never 2xx', async () => {
    const svc = await relay({ timeouts: { dataEnd: 1 } });
    const { client } = await TestClient.connect(svc.addresses.lmtp!.port);
    await client.cmd('LHLO mta.test');
    await client.cmd('MAIL FROM:<s@here.example>');
    await client.cmd('RCPT TO:<stall1@a.example>');
    const [r] = await client.data(body('stall'), 1);
    assert.equal(r!.code, 451);
    assert.match(r!.lines[0]!, /timeout during end of DATA/);
    client.close();
  });

  test('8bit and SMTPUTF8 mail is refused cleanly by a far side that cannot take it; DSN parameters dropped', async () => {
    const svc = await relay();
    const { client } = await TestClient.connect(svc.addresses.lmtp!.port);
    await client.cmd('LHLO mta.test');
    await client.cmd('MAIL FROM:<s@here.example> BODY=8BITMIME');
    await client.cmd('RCPT TO:<u@old.example>');
    const [r8] = await client.data(body('8bit'), 1);
    assert.equal(r8!.code, 554);
    assert.match(r8!.lines[0]!, /^5\.6\.3 .*8BITMIME/);
    await client.cmd('MAIL FROM:<s@here.example> SMTPUTF8');
    await client.cmd('RCPT TO:<u@old.example>');
    const [ru] = await client.data(body('utf8'), 1);
    assert.equal(ru!.code, 553);
    await client.cmd('MAIL FROM:<s@here.example> RET=FULL');
    await client.cmd('RCPT TO:<u@old.example> NOTIFY=NEVER');
    const [rd] = await client.data(Buffer.from('Subject: dsn-drop\r\n\r\nhi\r\n'), 1);
    assert.equal(rd!.code, 250);
    const m = findMessage(mxNo8bit, 'dsn-drop')!;
    assert.equal(m.mailArgs.RET, undefined);
    assert.equal(findMessage(mxNo8bit, '8bit'), undefined);
    client.close();
  });

  test('SIZE over the far side limit is refused with 552 before any data is sent', async () => {
    const svc = await relay();
    const { client } = await TestClient.connect(svc.addresses.smtp!.port);
    await client.cmd('EHLO mta.test');
    await client.cmd('MAIL FROM:<s@here.example> SIZE=10000');
    const r = await client.cmd('RCPT TO:<big@b.example>');
    assert.equal(r.code, 552);
    assert.match(r.lines[0]!, /^5\.3\.4 .*4096/);
    client.close();
  });

  test('MTA disconnecting mid-DATA: the far side never gets an end-of-data mark', async () => {
    const svc = await relay();
    const abortedBefore = mxA.aborted;
    const count = mxA.messages.length;
    const { client } = await TestClient.connect(svc.addresses.lmtp!.port);
    await client.cmd('LHLO mta.test');
    await client.cmd('MAIL FROM:<s@here.example>');
    await client.cmd('RCPT TO:<cut@a.example>');
    assert.equal((await client.cmd('DATA')).code, 354);
    client.sock.write('Subject: cut\r\n\r\n' + 'x'.repeat(200_000) + '\r\n');
    await new Promise((r) => setTimeout(r, 300));
    client.close();
    for (let i = 0; i < 50 && mxA.aborted === abortedBefore; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(mxA.aborted, abortedBefore + 1, 'far side saw the transfer end without the final dot');
    assert.equal(mxA.messages.length, count, 'and accepted nothing');
  });

  test('a message over the relay size limit is refused and not delivered', async () => {
    const svc = await relay({ limits: { maxMessageSize: 2048 } });
    const count = mxA.messages.length;
    const { client } = await TestClient.connect(svc.addresses.lmtp!.port);
    await client.cmd('LHLO mta.test');
    await client.cmd('MAIL FROM:<s@here.example>');
    await client.cmd('RCPT TO:<huge@a.example>');
    const [r] = await client.data(Buffer.from('Subject: huge\r\n\r\n' + 'y'.repeat(100_000) + '\r\n'), 1);
    assert.equal(r!.code, 552);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(mxA.messages.length, count);
    client.close();
  });

  test('STARTTLS: opportunistic uses it when offered, none skips it, required defers when it is missing', async () => {
    const send = async (svc: RunningService, rcpt: string, tag: string) => {
      const { client } = await TestClient.connect(svc.addresses.lmtp!.port);
      await client.cmd('LHLO mta.test');
      await client.cmd('MAIL FROM:<s@here.example>');
      await client.cmd(`RCPT TO:<${rcpt}>`);
      const [r] = await client.data(body(tag), 1);
      client.close();
      return r!;
    };
    const opportunistic = await relay({ connectionReuse: 0 });
    assert.equal((await send(opportunistic, 't1@tls.example', 'tls-opp')).code, 250);
    assert.equal(tlsSink.messages.find((m) => m.data.includes('Subject: tls-opp'))?.secure, true);
    const none = await relay({ tls: 'none', connectionReuse: 0 });
    assert.equal((await send(none, 't2@tls.example', 'tls-none')).code, 250);
    assert.equal(tlsSink.messages.find((m) => m.data.includes('Subject: tls-none'))?.secure, false);
    const required = await relay({ tls: 'required', connectionReuse: 0 });
    assert.equal((await send(required, 't3@tls.example', 'tls-req')).code, 250);
    const missing = await send(required, 'r@a.example', 'tls-missing');
    assert.equal(missing.code, 451);
    assert.match(missing.lines[0]!, /^4\.7\.0 TLS required but .* does not offer STARTTLS/);
    assert.equal(findMessage(mxA, 'tls-missing'), undefined);
  });

  test('EHLO names the first own mail domain by default, localhost without one, heloName when set', async () => {
    const heloOf = async (svc: RunningService, tag: string) => {
      const { client } = await TestClient.connect(svc.addresses.lmtp!.port);
      await client.cmd('LHLO mta.test');
      await client.cmd('MAIL FROM:<s@here.example>');
      await client.cmd(`RCPT TO:<${tag}@tls.example>`);
      const [r] = await client.data(body(tag), 1);
      client.close();
      assert.equal(r!.code, 250, r!.lines.join(' '));
      return tlsSink.messages.find((m) => m.data.includes(`Subject: ${tag}\r\n`))?.helo;
    };
    // A wildcard is not a name; the first literal domain is.
    const own = await relay({ connectionReuse: 0, routing: { ownDomains: ['*.ours.example', 'ours.example', 'second.example'] } });
    assert.equal(await heloOf(own, 'helo-own'), 'ours.example');
    assert.equal(await heloOf(await relay({ connectionReuse: 0 }), 'helo-none'), 'localhost');
    const set = await relay({ connectionReuse: 0, heloName: 'mx.ours.example', routing: { ownDomains: ['ours.example'] } });
    assert.equal(await heloOf(set, 'helo-set'), 'mx.ours.example');
  });

  test('a connection to an onion MX is reused for the next transaction to the same domain', async () => {
    const svc = await relay({ connectionReuse: 30 });
    const before = dialed.length;
    for (const tag of ['reuse-1', 'reuse-2', 'reuse-3']) {
      const { client } = await TestClient.connect(svc.addresses.smtp!.port);
      await client.cmd('EHLO mta.test');
      await client.cmd('MAIL FROM:<s@here.example>');
      assert.equal((await client.cmd('RCPT TO:<r@a.example>')).code, 250);
      const [r] = await client.data(body(tag), 1);
      assert.equal(r!.code, 250);
      client.close();
    }
    assert.equal(dialed.length - before, 1, 'one Tor connection for three messages');
    for (const tag of ['reuse-1', 'reuse-2', 'reuse-3']) assert.ok(findMessage(mxA, tag), tag);
  });

  test('SMTP: on a reused connection to a PIPELINING far side, RSET, MAIL and the first RCPT go in one write', async () => {
    const svc = await relay({ connectionReuse: '30s' });
    for (const tag of ['pipe-1', 'pipe-2']) {
      const { client } = await TestClient.connect(svc.addresses.smtp!.port);
      await client.cmd('EHLO mta.test');
      await client.cmd(`MAIL FROM:<${tag}@here.example>`);
      assert.equal((await client.cmd(`RCPT TO:<${tag}@wire.example>`)).code, 250);
      assert.equal((await client.cmd(`RCPT TO:<${tag}-b@wire.example>`)).code, 250);
      const [r] = await client.data(body(tag), 1);
      assert.equal(r!.code, 250);
      client.close();
    }
    const first = wire.reads.find((r) => r.includes('MAIL FROM:<pipe-1@'));
    assert.equal(first, 'MAIL FROM:<pipe-1@here.example>\r\nRCPT TO:<pipe-1@wire.example>\r\n', 'a new connection: MAIL and RCPT together');
    const reused = wire.reads.find((r) => r.includes('MAIL FROM:<pipe-2@'));
    assert.equal(
      reused,
      'RSET\r\nMAIL FROM:<pipe-2@here.example>\r\nRCPT TO:<pipe-2@wire.example>\r\n',
      'reused: RSET pipelined, no round trip of its own',
    );
    assert.ok(wire.transactions.some((t) => t.data.includes('Subject: pipe-2\r\n')));
  });

  test('per-destination concurrency limit with destinationWait 0 answers 451 4.4.5 instead of queueing', async () => {
    const svc = await relay({ limits: { maxPerDestination: 1, destinationWait: 0 }, timeouts: { dataEnd: 3 } });
    const first = (await TestClient.connect(svc.addresses.smtp!.port)).client;
    await first.cmd('EHLO mta.test');
    await first.cmd('MAIL FROM:<s@here.example>');
    assert.equal((await first.cmd('RCPT TO:<c1@a.example>')).code, 250);
    const second = (await TestClient.connect(svc.addresses.smtp!.port)).client;
    await second.cmd('EHLO mta.test');
    await second.cmd('MAIL FROM:<s@here.example>');
    const r = await second.cmd('RCPT TO:<c2@a.example>');
    assert.equal(r.code, 451);
    assert.match(r.lines[0]!, /^4\.4\.5/);
    first.close();
    second.close();
  });

  test('at the per-destination limit a transaction waits for a connection and reuses it: one dial, every message delivered once', async () => {
    const svc = await relay({ limits: { maxPerDestination: 1, destinationWait: '20s' }, connectionReuse: '30s' });
    const before = dialed.length;
    const tags = ['wait-1', 'wait-2', 'wait-3', 'wait-4'];
    const replies = await Promise.all(
      tags.map(async (tag) => {
        const { client } = await TestClient.connect(svc.addresses.lmtp!.port);
        try {
          await client.cmd('LHLO mta.test');
          await client.cmd('MAIL FROM:<s@here.example>');
          assert.equal((await client.cmd(`RCPT TO:<${tag}@a.example>`)).code, 250);
          return (await client.data(body(tag), 1))[0]!.code;
        } finally {
          client.close();
        }
      }),
    );
    assert.deepEqual(replies, [250, 250, 250, 250]);
    assert.equal(dialed.length - before, 1, 'the other three waited for the one connection');
    for (const tag of tags) assert.equal(mxA.messages.filter((m) => m.data.includes(`Subject: ${tag}\r\n`)).length, 1, tag);
  });

  test('reuse.maxMessages closes a connection after that many transactions; a connection closed while idle is replaced without a failure', async () => {
    const svc = await relay({ connectionReuse: '30s', reuse: { maxMessages: 2 } });
    const send = async (tag: string) => {
      const { client } = await TestClient.connect(svc.addresses.lmtp!.port);
      try {
        await client.cmd('LHLO mta.test');
        await client.cmd('MAIL FROM:<s@here.example>');
        await client.cmd(`RCPT TO:<${tag}@b.example>`);
        return (await client.data(body(tag), 1))[0]!.code;
      } finally {
        client.close();
      }
    };
    const before = dialed.length;
    for (const tag of ['max-1', 'max-2', 'max-3']) assert.equal(await send(tag), 250);
    assert.equal(dialed.length - before, 2, 'a second connection after two messages');
    // The far side drops its idle connections: the next message notices at its pipelined RSET and dials anew.
    mxB.dropConnections();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await send('max-4'), 250);
    assert.equal(dialed.length - before, 3);
    for (const tag of ['max-1', 'max-2', 'max-3', 'max-4']) assert.ok(findMessage(mxB, tag), tag);
  });

  test('metrics count deliveries by result and source, bytes and Tor errors', async () => {
    const registry = new Registry();
    const svc = await relay({}, registry);
    const { client } = await TestClient.connect(svc.addresses.lmtp!.port);
    await client.cmd('LHLO mta.test');
    await client.cmd('MAIL FROM:<s@here.example>');
    await client.cmd('RCPT TO:<m1@a.example>');
    await client.cmd('RCPT TO:<m2@gone.example>');
    await client.data(body('metrics'), 2);
    client.close();
    const text = await registry.metrics();
    assert.match(text, /onionmx_relay_deliveries_total\{result="delivered",source="map"\} 1/);
    assert.match(text, /onionmx_relay_deliveries_total\{result="tempfail",source="map"\} 1/);
    assert.match(text, /onionmx_relay_tor_errors_total\{code="onion_desc_not_found"\} 1/);
    assert.match(text, new RegExp(`onionmx_relay_bytes_total ${body('metrics').length}`));
  });
});

test('SRV-style decisions with several targets: a target Tor cannot reach is skipped for the next one', async () => {
  // The routing core's SRV path is tested with real DNS elsewhere; here a resolver hands out a two-target decision.
  const twoTargets: RouteResolver = {
    decide: async (rcpt) => ({
      kind: 'onion',
      domain: rcpt.split('@')[1]!,
      host: onionGone,
      port: 25,
      targets: [
        { host: onionGone, port: 25 },
        { host: onionA, port: 25 },
      ],
      source: 'srv',
      dnssec: true,
      ttl: 300,
      reason: 'test decision',
    }),
  };
  const config = relayConfigSchema.parse({ lmtp: '127.0.0.1:0', routing: { srv: false } });
  const svc = await startRelay(config, { resolver: twoTargets, dialer });
  try {
    const { client } = await TestClient.connect(svc.addresses.lmtp!.port);
    await client.cmd('LHLO mta.test');
    await client.cmd('MAIL FROM:<s@here.example>');
    await client.cmd('RCPT TO:<fallback@srv.example>');
    const [r] = await client.data(body('fallback'), 1);
    assert.equal(r!.code, 250);
    assert.ok(findMessage(mxA, 'fallback'), 'delivered to the second target');
    client.close();
  } finally {
    await svc.close();
  }
});

test('config: strict keys, loopback listeners, at least one listener', () => {
  assert.throws(() => relayConfigSchema.parse({ lmtp: '127.0.0.1:1', bogus: 1 }), /bogus|Unrecognized/);
  assert.throws(() => relayConfigSchema.parse({ lmtp: '192.0.2.1:24' }), /loopback/);
  assert.throws(() => relayConfigSchema.parse({}), /at least one listener/);
  const c = relayConfigSchema.parse({ smtp: '127.0.0.1:10025' });
  assert.deepEqual(c.socks, { host: '127.0.0.1', port: 9050 });
  assert.equal(c.timeouts.dataEnd, 600_000, 'durations are milliseconds once parsed');
  assert.equal(c.timeouts.dataInit, 120_000);
  assert.equal(c.connectionReuse, 30_000);
  assert.equal(c.tls, 'opportunistic');
});

test('config: timeouts and connectionReuse take durations; a plain number is seconds, as before', () => {
  const c = relayConfigSchema.parse({ smtp: '127.0.0.1:10025', timeouts: { connect: '1m30s', dataEnd: 20 }, connectionReuse: '2m' });
  assert.equal(c.timeouts.connect, 90_000);
  assert.equal(c.timeouts.dataEnd, 20_000);
  assert.equal(c.connectionReuse, 120_000);
  assert.equal(relayConfigSchema.parse({ smtp: '127.0.0.1:10025', connectionReuse: 0 }).connectionReuse, 0);
  const problems = (input: object) => {
    const r = relayConfigSchema.safeParse({ smtp: '127.0.0.1:10025', ...input });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.match(problems({ timeouts: { rcpt: 'soon' } }).join('\n'), /^timeouts\.rcpt: must be a duration/m);
  assert.match(problems({ connectionReuse: '2h' }).join('\n'), /^connectionReuse: must be between 0s and 1h/m);
});
