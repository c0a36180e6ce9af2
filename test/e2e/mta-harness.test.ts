// Tests of the MTA harness itself: real Postfix, real Exim, and the scripted SMTP sink they deliver to.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { startPostfix } from '@peergroup/test-support/postfix';
import { startExim, eximConfig, type EximContext } from '@peergroup/test-support/exim';
import { startSmtpSink, messageBody, headerValues } from '@peergroup/test-support/smtp-sink';
import { freePort, freePorts } from '@peergroup/test-support/ports';
import { smtpSubmit, dataBlock, SmtpReplyError } from '@peergroup/test-support/smtp-client';

/** A message whose body exercises what MTAs like to rewrite: a leading dot, long lines, 8-bit text, trailing spaces. */
function sampleMessage(subject: string): { raw: string; body: string } {
  const body =
    `Hello ${randomBytes(8).toString('hex')}\r\n` +
    '.a line that starts with a dot\r\n' +
    '..two dots\r\n' +
    'trailing spaces   \r\n' +
    'x'.repeat(900) +
    '\r\n' +
    'Grüße aus dem Test\r\n' +
    '\r\n' +
    'last line\r\n';
  const raw =
    `From: sender@origin.test\r\nTo: rcpt@far.test\r\nSubject: ${subject}\r\nMessage-ID: <${randomBytes(6).toString('hex')}@origin.test>\r\n` +
    'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
    body;
  return { raw, body };
}

/**
 * A minimal scripted SMTP client: waits for the greeting, then sends each step and waits for its complete reply
 * (a line `NNN text`) before the next. Resolves with everything the server said when `ms` elapsed.
 */
function rawSession(port: number, steps: string[], ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let got = '';
    let seen = 0;
    const pending = [...steps];
    s.on('data', (b) => {
      got += b.toString();
      const complete = got.split('\r\n').filter((l) => /^\d{3} /.test(l)).length;
      if (complete > seen) {
        seen = complete;
        const next = pending.shift();
        if (next !== undefined) s.write(next + '\r\n');
      }
    });
    s.on('error', reject);
    setTimeout(() => {
      s.destroy();
      resolve(got);
    }, ms);
  });
}

describe('smtp sink', () => {
  test('records an accepted message byte for byte with its envelope and ESMTP parameters', async (t) => {
    const sink = await startSmtpSink();
    t.after(() => sink.close());
    const { raw } = sampleMessage('sink');
    const tr = nodemailer.createTransport({ host: sink.host, port: sink.port, secure: false, ignoreTLS: true, name: 'client.test' });
    t.after(() => tr.close());
    const info = await tr.sendMail({
      envelope: { from: 'a@origin.test', to: ['b@far.test', 'c@far.test'] },
      raw,
      dsn: { notify: ['failure'] },
    });
    assert.match(info.response, /^250 /);
    const [msg] = await sink.waitFor(1);
    assert.ok(msg);
    assert.equal(msg.from, 'a@origin.test');
    assert.deepEqual(msg.to, ['b@far.test', 'c@far.test']);
    assert.equal(msg.helo, 'client.test');
    assert.equal(msg.data.toString('utf8'), raw);
    assert.equal(msg.rcptParams[0]?.NOTIFY, 'FAILURE');
    assert.equal(msg.remoteAddress, '127.0.0.1');
  });

  test('scripted refusals at MAIL, RCPT and DATA reach the client with their codes', async (t) => {
    const sink = await startSmtpSink({
      behaviour: {
        onMailFrom: (a) => (a.startsWith('blocked@') ? { code: 553, message: 'sender blocked' } : undefined),
        onRcptTo: (a) => (a.startsWith('later@') ? { code: 450, message: '4.2.1 mailbox busy' } : undefined),
        onData: (m) => (m.data.includes('REJECTME') ? { code: 554, message: 'content refused' } : undefined),
      },
    });
    t.after(() => sink.close());
    const tr = nodemailer.createTransport({ host: sink.host, port: sink.port, secure: false, ignoreTLS: true });
    t.after(() => tr.close());
    await assert.rejects(
      tr.sendMail({ envelope: { from: 'blocked@x.test', to: ['b@far.test'] }, raw: 'Subject: x\r\n\r\nx\r\n' }),
      (e: Error & { responseCode?: number }) => e.responseCode === 553,
    );
    await assert.rejects(
      tr.sendMail({ envelope: { from: 'a@x.test', to: ['later@far.test'] }, raw: 'Subject: x\r\n\r\nx\r\n' }),
      (e: Error & { responseCode?: number; response?: string }) =>
        e.responseCode === 450 && /^450 4\.2\.1 mailbox busy$/.test(e.response ?? ''),
    );
    await assert.rejects(
      tr.sendMail({ envelope: { from: 'a@x.test', to: ['b@far.test'] }, raw: 'Subject: x\r\n\r\nREJECTME\r\n' }),
      (e: Error & { responseCode?: number }) => e.responseCode === 554,
    );
    assert.equal(sink.messages.length, 0);
    assert.equal(sink.rejected.length, 1);
    sink.setBehaviour({});
    await tr.sendMail({ envelope: { from: 'a@x.test', to: ['later@far.test'] }, raw: 'Subject: x\r\n\r\nfine now\r\n' });
    assert.equal((await sink.waitFor(1))[0]?.to[0], 'later@far.test');
  });

  test('LMTP mode answers each recipient separately', async (t) => {
    const sink = await startSmtpSink({
      lmtp: true,
      behaviour: { onData: (m) => m.to.map((r) => (r.startsWith('full@') ? { code: 552, message: 'over quota' } : { code: 250 })) },
    });
    t.after(() => sink.close());
    const reply = await rawSession(
      sink.port,
      ['LHLO client.test', 'MAIL FROM:<a@x.test>', 'RCPT TO:<ok@far.test>', 'RCPT TO:<full@far.test>', 'DATA', 'Subject: x\r\n\r\nhi\r\n.'],
      700,
    );
    assert.match(reply, /^220 .*LMTP/);
    const afterData = reply.slice(reply.indexOf('354'));
    assert.match(afterData, /\r\n250 [^\r]*\r\n552 [^\r]*over quota/);
    assert.deepEqual(
      sink.messages.map((m) => m.to),
      [['ok@far.test']],
    );
    assert.deepEqual(
      sink.rejected.map((m) => m.to),
      [['full@far.test']],
    );
  });

  test('STARTTLS, SIZE and hidden extensions are what the client sees', async (t) => {
    const sink = await startSmtpSink({ starttls: true, size: 2000, extensions: { eightBitMime: false, dsn: false } });
    t.after(() => sink.close());
    const ehlo = await rawSession(sink.port, ['EHLO c.test', 'QUIT'], 400);
    assert.match(ehlo, /250-STARTTLS/);
    assert.match(ehlo, /250[- ]SIZE 2000/);
    assert.doesNotMatch(ehlo, /8BITMIME|DSN/);
    const tr = nodemailer.createTransport({
      host: sink.host,
      port: sink.port,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
    });
    t.after(() => tr.close());
    await tr.sendMail({ envelope: { from: 'a@x.test', to: ['b@far.test'] }, raw: 'Subject: tls\r\n\r\nsecret\r\n' });
    const [msg] = await sink.waitFor(1);
    assert.equal(msg?.secure, true);
    await assert.rejects(
      tr.sendMail({ envelope: { from: 'a@x.test', to: ['b@far.test'] }, raw: 'Subject: big\r\n\r\n' + 'x'.repeat(3000) + '\r\n' }),
      (e: Error & { responseCode?: number }) => e.responseCode === 552,
    );
    assert.equal(sink.messages.length, 1);
  });

  for (const phase of ['connect', 'rcpt', 'data', 'dot'] as const) {
    test(`stallAt '${phase}' never answers that phase`, async (t) => {
      const sink = await startSmtpSink({ behaviour: { stallAt: phase } });
      t.after(() => sink.close());
      const got = await rawSession(
        sink.port,
        ['EHLO c.test', 'MAIL FROM:<a@x.test>', 'RCPT TO:<b@far.test>', 'DATA', 'Subject: s\r\n\r\nbody\r\n.'],
        600,
      );
      const codes = got
        .split('\r\n')
        .filter(Boolean)
        .map((l) => l.slice(0, 4));
      const expected: Record<typeof phase, RegExp> = {
        connect: /^$/,
        rcpt: /^220 ,250-.*250 ,250 $/,
        data: /^220 ,250-.*250 ,250 ,250 $/,
        dot: /^220 ,250-.*250 ,250 ,250 ,354 $/,
      };
      assert.match(codes.join(','), expected[phase], got);
      assert.equal(sink.messages.length, 0);
    });
  }
});

describe('smtp client', () => {
  test('dataBlock dot-stuffs and normalises line ends', () => {
    assert.equal(dataBlock('a\n.b\r\n..c\nd').toString(), 'a\r\n..b\r\n...c\r\nd\r\n.\r\n');
    assert.equal(dataBlock(Buffer.from('.\r\n')).toString(), '..\r\n.\r\n');
    assert.deepEqual([...dataBlock(Buffer.from([0xff, 0x0a]))], [0xff, 0x0d, 0x0a, 0x2e, 0x0d, 0x0a]);
  });

  test('smtpSubmit delivers the exact message, skips refused recipients and reports a total refusal', async (t) => {
    const sink = await startSmtpSink({
      behaviour: { onRcptTo: (a) => (a.startsWith('no') ? { code: 550, message: '5.1.1 unknown' } : undefined) },
    });
    t.after(() => sink.close());
    const reply = await smtpSubmit({
      port: sink.port,
      from: 'a@x.test',
      to: ['no1@far.test', 'yes@far.test'],
      message: 'Subject: s\n\n.dot\nGrüße\n',
    });
    assert.match(reply, /^250 /);
    const [msg] = await sink.waitFor(1);
    assert.deepEqual(msg?.to, ['yes@far.test']);
    assert.equal(msg?.data.toString('utf8'), 'Subject: s\r\n\r\n.dot\r\nGrüße\r\n');
    await assert.rejects(
      smtpSubmit({ port: sink.port, from: 'a@x.test', to: ['no1@far.test', 'no2@far.test'], message: 'x' }),
      (e: unknown) => e instanceof SmtpReplyError && e.responseCode === 550 && e.command === 'RCPT' && e.response === '550 5.1.1 unknown',
    );
  });
});

describe('postfix', () => {
  test('accepts a message over SMTP and relays it through a transport map to the sink, body byte-identical', async (t) => {
    const sink = await startSmtpSink();
    t.after(() => sink.close());
    const pf = await startPostfix({
      files: { 'transport.map': `far.test smtp:[127.0.0.1]:${sink.port}\n` },
      mainCf: { transport_maps: 'hash:$config_directory/transport.map' },
    });
    t.after(() => pf.stop());
    const { raw, body } = sampleMessage('relay');
    const reply = await pf.submit('sender@origin.test', ['rcpt@far.test'], raw);
    const queueId = /queued as ([0-9A-F]+)/.exec(reply)?.[1];
    assert.ok(queueId, reply);
    const [msg] = await sink.waitFor(1);
    assert.ok(msg);
    assert.equal(msg.from, 'sender@origin.test');
    assert.deepEqual(msg.to, ['rcpt@far.test']);
    assert.equal(msg.helo, pf.name);
    assert.equal(messageBody(msg.data).toString('utf8'), body);
    assert.equal(headerValues(msg.data, 'Subject')[0], 'relay');
    assert.match(
      headerValues(msg.data, 'Received')[0] ?? '',
      new RegExp(`by ${pf.name.replace(/\./g, '\\.')} \\(Postfix\\) with ESMTP id ${queueId}`),
    );
    await pf.waitForLog(
      new RegExp(`${queueId}: to=<rcpt@far.test>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${sink.port},.*status=sent`),
    );
    // submit() ends its session properly, so MTA logs show no lost connection that a fault test could misread.
    assert.match(await pf.log(), /disconnect from localhost\[127\.0\.0\.1\] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5/);
    assert.deepEqual(await pf.queue(), []);
    const lookup = await pf.postmap(['-q', 'far.test', 'hash:' + pf.configDir + '/transport.map']);
    assert.equal(lookup.stdout.trim(), `smtp:[127.0.0.1]:${sink.port}`);
  });

  test("queue() shows the message with the sink's reason while the sink answers 4xx; flush() delivers it once accepted", async (t) => {
    const sink = await startSmtpSink({ behaviour: { onRcptTo: () => ({ code: 451, message: '4.4.5 try again later please' }) } });
    t.after(() => sink.close());
    const pf = await startPostfix({
      files: { 'transport.map': `far.test smtp:[127.0.0.1]:${sink.port}\n` },
      mainCf: { transport_maps: 'hash:$config_directory/transport.map' },
    });
    t.after(() => pf.stop());
    await pf.sendmail('sender@origin.test', ['rcpt@far.test'], 'Subject: deferred\n\nwait for it\n');
    await pf.waitForLog(/status=deferred/);
    // qmgr logs the deferral before it moves the file from active/ to deferred/.
    const q = await pf.waitForQueue((qq) => qq[0]?.queue_name !== 'active');
    assert.equal(q.length, 1);
    assert.equal(q[0]?.queue_name, 'deferred');
    assert.equal(q[0]?.sender, 'sender@origin.test');
    assert.equal(q[0]?.recipients[0]?.address, 'rcpt@far.test');
    assert.match(q[0]?.recipients[0]?.delay_reason ?? '', /said: 451 4\.4\.5 try again later please \(in reply to RCPT TO command\)/);
    assert.equal(sink.messages.length, 0);

    sink.setBehaviour({});
    await pf.flush();
    const [msg] = await sink.waitFor(1);
    assert.equal(messageBody(msg!.data).toString(), 'wait for it\r\n');
    await pf.waitForQueue((qq) => qq.length === 0);
  });

  test('mailbox option stores mail for its domains in per-address Maildirs', async (t) => {
    const pf = await startPostfix({ mailbox: { domains: ['inbox.test'] } });
    t.after(() => pf.stop());
    await pf.submit('someone@else.test', ['alice@inbox.test', 'bob@inbox.test'], 'Subject: one\r\n\r\nfirst\r\n');
    await pf.submit('someone@else.test', ['alice@inbox.test'], 'Subject: two\r\n\r\nsecond\r\n');
    await pf.waitForLog(/to=<bob@inbox\.test>.*status=sent/);
    const deadline = Date.now() + 10_000;
    let boxes = await pf.mailboxes();
    while ((boxes['alice@inbox.test']?.length ?? 0) < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      boxes = await pf.mailboxes();
    }
    assert.deepEqual(Object.keys(boxes).sort(), ['alice@inbox.test', 'bob@inbox.test']);
    assert.equal(boxes['alice@inbox.test']?.length, 2);
    // Postfix may deliver the second submission first; the order within a mailbox is delivery order.
    const alice = [...(boxes['alice@inbox.test'] ?? [])].sort(
      (a, b) => Number(/^Subject: two/m.test(a)) - Number(/^Subject: two/m.test(b)),
    );
    assert.match(alice[0] ?? '', /^Subject: one\n[\s\S]*\n\nfirst\n$/m);
    assert.match(alice[1] ?? '', /^Subject: two\n[\s\S]*\n\nsecond\n$/m);
    assert.match(boxes['bob@inbox.test']?.[0] ?? '', /Delivered-To: bob@inbox\.test/);
    // Not an open relay by default for a domain it does not serve, from a client outside mynetworks.
    await pf.setMainCf({ mynetworks: '192.0.2.0/24' });
    await assert.rejects(pf.submit('x@else.test', ['victim@elsewhere.test'], 'Subject: relay\r\n\r\nno\r\n'), /Relay access denied/);
  });

  test('mailbox users restrict the accepted addresses', async (t) => {
    const pf = await startPostfix({ mailbox: { domains: ['inbox.test'], users: ['alice@inbox.test'] } });
    t.after(() => pf.stop());
    await assert.rejects(
      pf.submit('x@else.test', ['mallory@inbox.test'], 'Subject: no\r\n\r\nno\r\n'),
      /550 5\.1\.1 .*User unknown in virtual mailbox table/,
    );
    await pf.submit('x@else.test', ['alice@inbox.test'], 'Subject: yes\r\n\r\nyes\r\n');
    await pf.waitForLog(/to=<alice@inbox\.test>.*status=sent/);
    const boxes = await pf.mailboxes();
    assert.deepEqual(Object.keys(boxes), ['alice@inbox.test']);
    assert.match(boxes['alice@inbox.test']?.[0] ?? '', /^Subject: yes\n[\s\S]*\n\nyes\n$/m);
  });

  test('smtpdOptions reach the default smtpd: XCLIENT from the harness makes the client look external', async (t) => {
    const pf = await startPostfix({
      mailbox: { domains: ['inbox.test'] },
      smtpdOptions: { smtpd_authorized_xclient_hosts: '127.0.0.1', smtpd_banner: '$myhostname ESMTP harness with spaces' },
    });
    t.after(() => pf.stop());
    const said = await rawSession(
      pf.smtpPort,
      [
        'EHLO client.test',
        'XCLIENT ADDR=192.0.2.1 NAME=onion',
        'EHLO peer.test',
        'MAIL FROM:<x@peer.test>',
        'RCPT TO:<victim@elsewhere.test>',
        'RCPT TO:<dana@inbox.test>',
        'DATA',
        'Subject: xclient\r\n\r\nhello\r\n.',
        'QUIT',
      ],
      1500,
    );
    assert.match(said, new RegExp(`^220 ${pf.name.replace(/\./g, '\\.')} ESMTP harness with spaces\r\n`));
    assert.match(said, /250-XCLIENT/);
    assert.match(said, /454 4\.7\.1 <victim@elsewhere\.test>: Relay access denied/);
    assert.match(said, /250 2\.0\.0 Ok: queued as/);
    await pf.waitForLog(/to=<dana@inbox\.test>.*status=sent/);
    const mail = (await pf.mailboxes())['dana@inbox.test']?.[0] ?? '';
    assert.match(mail, new RegExp(`Received: from peer\\.test \\(onion \\[192\\.0\\.2\\.1\\]\\)\\n\\tby ${pf.name.replace(/\./g, '\\.')}`));
  });

  test('stop() leaves no Postfix process behind and is idempotent', async () => {
    const pf = await startPostfix({ smtpd: false });
    const pid = Number((await import('node:fs')).readFileSync(`${pf.dir}/queue/pid/master.pid`, 'utf8').trim());
    assert.ok(pid > 0);
    process.kill(pid, 0);
    await pf.stop();
    await pf.stop();
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });

  test('two instances run side by side with their own queues, and one relays to the other', async (t) => {
    const [a, b] = await Promise.all([startPostfix({ mailbox: { domains: ['b.test'] } }), startPostfix()]);
    t.after(() => a.stop());
    t.after(() => b.stop());
    assert.notEqual(a.smtpPort, b.smtpPort);
    // b forwards b.test to a's smtpd.
    await b.writeConfigFile('transport.map', `b.test smtp:[127.0.0.1]:${a.smtpPort}\n`);
    await b.setMainCf({ transport_maps: 'hash:$config_directory/transport.map' });
    await b.submit('x@origin.test', ['carol@b.test'], 'Subject: hop\r\n\r\nvia b\r\n');
    await a.waitForLog(/to=<carol@b\.test>.*relay=virtual.*status=sent/);
    await b.waitForLog(new RegExp(`to=<carol@b\\.test>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${a.smtpPort}.*status=sent`));
    const boxes = await a.mailboxes();
    assert.match(boxes['carol@b.test']?.[0] ?? '', new RegExp(`from ${b.name.replace(/\./g, '\\.')}`));
    assert.doesNotMatch(await b.log(), /relay=virtual/);
  });
});

for (const how of ['SIGTERM', 'an uncaught exception'] as const) {
  test(`daemons and directories are cleaned up when the test process dies by ${how}`, async () => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        fileURLToPath(new URL('./fixtures/mta-harness-child.ts', import.meta.url)),
        how === 'SIGTERM' ? 'wait' : 'throw',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PEERGROUP_KEEP_TEST_DIRS: '' },
      },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const deadline = Date.now() + 30_000;
    while (!out.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const info = JSON.parse(out) as { masterPid: number; eximPid: number; dirs: string[] };
    assert.ok(info.masterPid > 0 && info.eximPid > 0);
    process.kill(info.masterPid, 0);
    process.kill(info.eximPid, 0);
    if (how === 'SIGTERM') child.kill('SIGTERM');
    await exited;
    const gone = Date.now() + 5000;
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while ((alive(info.masterPid) || alive(info.eximPid)) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(info.masterPid), false, 'postfix master survived');
    assert.equal(alive(info.eximPid), false, 'exim daemon survived');
    for (const d of info.dirs) assert.equal(existsSync(d), false, `${d} left behind`);
  });
}

test('a taken port makes startPostfix and startExim fail with the reason, leaving nothing behind', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as { port: number }).port;
  const errors: Error[] = [];
  await startPostfix({ smtpPort: port }).then(
    (pf) => pf.stop(),
    (e: Error) => errors.push(e),
  );
  await startExim({ port, config: sinkRoute(9) }).then(
    (ex) => ex.stop(),
    (e: Error) => errors.push(e),
  );
  assert.equal(errors.length, 2);
  assert.match(errors[0]!.message, new RegExp(`Postfix did not start[\\s\\S]*bind 127\\.0\\.0\\.1 port ${port}: Address already in use`));
  assert.match(
    errors[1]!.message,
    new RegExp(`Exim daemon did not start[\\s\\S]*port ${port} for address 127\\.0\\.0\\.1 failed: Address already in use`),
  );
  // Each error names the instance's config; its whole directory is gone.
  for (const e of errors) {
    const dir = /\(config (\/\S+?\/pg-(?:postfix|exim)-[^/]+)\//.exec(e.message)?.[1];
    assert.ok(dir, e.message);
    assert.equal(existsSync(dir), false, `${dir} left behind`);
  }
});

test('freePort hands out distinct ports', async () => {
  const ports = [...(await freePorts(20)), await freePort()];
  assert.equal(new Set(ports).size, ports.length);
});

/** Exim config: mail for far.test goes to `sinkPort` via manualroute, as the router's `<host>::<port>` answers do. */
function sinkRoute(sinkPort: number) {
  return (ctx: EximContext): string =>
    eximConfig(ctx, {
      routers: [
        'to_sink:',
        '  driver = manualroute',
        '  domains = far.test',
        '  transport = remote_smtp',
        `  route_data = 127.0.0.1::${sinkPort}`,
        // The sink is on this host: send anyway instead of treating it as a routing loop.
        '  self = send',
      ].join('\n'),
      transports: ['remote_smtp:', '  driver = smtp', '  allow_localhost'].join('\n'),
    });
}

describe('exim', () => {
  test('the daemon accepts a message over SMTP and delivers it to the sink through a manualroute router', async (t) => {
    const sink = await startSmtpSink();
    t.after(() => sink.close());
    const ex = await startExim({ config: sinkRoute(sink.port) });
    t.after(() => ex.stop());
    const bt = await ex.run(['-bt', 'rcpt@far.test']);
    assert.equal(bt.code, 0, bt.stderr);
    assert.match(
      bt.stdout,
      new RegExp(`router = to_sink, transport = remote_smtp[\\s\\S]*host 127\\.0\\.0\\.1 \\[127\\.0\\.0\\.1\\] port=${sink.port}`),
    );
    const { raw, body } = sampleMessage('exim');
    const reply = await ex.submit('sender@origin.test', ['rcpt@far.test'], raw);
    const id = /id=(\S+)/.exec(reply)?.[1];
    assert.ok(id, reply);
    const [msg] = await sink.waitFor(1);
    assert.ok(msg);
    assert.equal(msg.from, 'sender@origin.test');
    assert.deepEqual(msg.to, ['rcpt@far.test']);
    assert.equal(msg.helo, ex.hostname);
    assert.equal(messageBody(msg.data).toString('utf8'), body);
    assert.match(
      headerValues(msg.data, 'Received')[0] ?? '',
      new RegExp(`by ${ex.hostname.replace(/\./g, '\\.')} with esmtp \\(Exim 4\\.96\\)[\\s\\S]*id ${id}`),
    );
    await ex.waitForLog(
      new RegExp(`${id} => rcpt@far\\.test R=to_sink T=remote_smtp S=\\d+ H=127\\.0\\.0\\.1 \\[127\\.0\\.0\\.1\\]:${sink.port}`),
    );
    await ex.waitForLog(new RegExp(`${id} Completed`));
    assert.deepEqual(await ex.queueIds(), []);
    assert.deepEqual(await ex.panics(), []);
    // The default ACL is not an open relay for clients other than 127.0.0.1 and local submissions.
    const acl = await ex.run(['-bh', '192.0.2.9'], 'EHLO x.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@far.test>\r\nQUIT\r\n');
    assert.match(acl.stdout, /550 relay not permitted/);
  });

  test('a message the sink defers stays in the queue until a queue run after the sink accepts', async (t) => {
    const sink = await startSmtpSink({ behaviour: { onData: () => ({ code: 451, message: 'come back later' }) } });
    t.after(() => sink.close());
    const ex = await startExim({ config: sinkRoute(sink.port) });
    t.after(() => ex.stop());
    await ex.sendmail('sender@origin.test', ['rcpt@far.test'], 'Subject: later\n\nretry me\n');
    const line = await ex.waitForLog(/== rcpt@far\.test R=to_sink T=remote_smtp defer .*451[- ].*come back later/);
    const id = line.split(' ')[2];
    assert.deepEqual(await ex.queueIds(), [id]);
    assert.match(await ex.queue(), /rcpt@far\.test/);
    assert.equal(sink.messages.length, 0);
    assert.equal(sink.rejected.length, 1);

    sink.setBehaviour({});
    await ex.queueRun();
    const [msg] = await sink.waitFor(1);
    assert.equal(messageBody(msg!.data).toString(), 'retry me\r\n');
    await ex.waitForLog(new RegExp(`${id} Completed`));
    assert.deepEqual(await ex.queueIds(), []);
  });

  test('stop() kills the daemon', async () => {
    const ex = await startExim({ config: sinkRoute(9) });
    const pid = Number(/daemon started: pid=(\d+)/.exec(await ex.mainlog())?.[1]);
    assert.ok(pid > 0);
    process.kill(pid, 0);
    await ex.stop();
    await ex.stop();
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});

test('Postfix and Exim side by side: Postfix relays to the Exim daemon, which delivers to the sink', async (t) => {
  const sink = await startSmtpSink();
  t.after(() => sink.close());
  const [ex, pf] = await Promise.all([
    startExim({ config: sinkRoute(sink.port) }),
    startPostfix({ mainCf: { relayhost: '[127.0.0.1]:0' } }),
  ]);
  t.after(() => ex.stop());
  t.after(() => pf.stop());
  await pf.setMainCf({ relayhost: `[127.0.0.1]:${ex.port}` });
  const { raw, body } = sampleMessage('chain');
  await pf.submit('sender@origin.test', ['rcpt@far.test'], raw);
  const [msg] = await sink.waitFor(1);
  assert.equal(messageBody(msg!.data).toString('utf8'), body);
  const received = headerValues(msg!.data, 'Received');
  assert.match(
    received[0] ?? '',
    new RegExp(`\\(helo=${pf.name.replace(/\./g, '\\.')}\\) by ${ex.hostname.replace(/\./g, '\\.')} with esmtp`),
  );
  assert.match(received[1] ?? '', new RegExp(`by ${pf.name.replace(/\./g, '\\.')} \\(Postfix\\)`));
  await pf.waitForLog(new RegExp(`relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${ex.port}.*status=sent`));
});
