// The inbound front against a real Postfix as the internal MX (XCLIENT, PROXY v1/v2, limits, faults).
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { startPostfix, type Postfix } from '@peergroup/test-support/postfix';
import { freePort } from '@peergroup/test-support/ports';
import { smtpDialog } from '@peergroup/test-support/smtp-dialog';
import { sleep } from '@peergroup/test-support/proc';
import { inboundConfigSchema } from '../src/inbound/inbound-config.ts';
import { startInbound } from '../src/inbound/inbound.ts';
import { silentLogger } from '@peergroup/service';
import type { SmtpReply } from '@peergroup/mta-codecs';

let pf: Postfix;
let proxyPort: number;
let noXclientPort: number;
let slowDataPort: number;
/** smtpd -v: logs every command it receives, so a test sees what the front forwarded. */
let verbosePort: number;

before(async () => {
  [proxyPort, noXclientPort, slowDataPort, verbosePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  pf = await startPostfix({
    name: 'mx.ours.example',
    mailbox: { domains: ['ours.example', 'other.example'] },
    // The default smtpd trusts XCLIENT from the front's host only.
    smtpdOptions: { smtpd_authorized_xclient_hosts: '127.0.0.1' },
    mainCf: {
      // mynetworks (127.0.0.0/8 in the harness) may relay: exactly why the front must never appear as itself.
      smtpd_relay_restrictions: 'permit_mynetworks, reject_unauth_destination',
      smtpd_recipient_restrictions: 'check_recipient_access texthash:$config_directory/rcpt-access',
    },
    files: {
      'rcpt-access': [
        'nosuch@ours.example 550 5.1.1 <nosuch@ours.example>: no such user here',
        'busy@ours.example 450 4.2.1 mailbox busy, try later',
        '',
      ].join('\n'),
    },
    masterCf: [
      // The PROXY smtpd exactly as docs/snippets/postfix-inbound-master.cf has it, on a free port.
      ...readFileSync(new URL('../../../docs/snippets/postfix-inbound-master.cf', import.meta.url), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith('#'))
        .map((l) => l.replace('127.0.0.1:10026', `127.0.0.1:${proxyPort}`)),
      `127.0.0.1:${noXclientPort} inet n - n - - smtpd`,
      `127.0.0.1:${slowDataPort} inet n - n - - smtpd`,
      '  -o smtpd_authorized_xclient_hosts=127.0.0.1',
      '  -o { smtpd_data_restrictions = sleep 4 }',
      `127.0.0.1:${verbosePort} inet n - n - - smtpd -v`,
      '  -o smtpd_authorized_xclient_hosts=127.0.0.1',
    ],
  });
});
after(async () => {
  await pf?.stop();
});

type FrontInput = Record<string, unknown>;

async function front(t: TestContext, over: FrontInput = {}) {
  const registry = new Registry();
  const config = inboundConfigSchema.parse({
    listen: '127.0.0.1:0',
    mx: `127.0.0.1:${pf.smtpPort}`,
    domains: ['ours.example'],
    hostname: 'onion-front.ours.example',
    ...over,
  });
  const svc = await startInbound(config, { logger: silentLogger(), registry });
  t.after(() => svc.close());
  return { port: svc.addresses.smtp!.port, registry, metric: async (name: string) => await registry.getSingleMetricAsString(name) };
}

function stuff(body: string): string {
  return body.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
}

interface Sent {
  mail: SmtpReply;
  rcpt: SmtpReply[];
  data?: SmtpReply;
}

async function send(port: number, from: string, to: string[], body: string, helo = 'peer.example'): Promise<Sent> {
  const c = await smtpDialog(port);
  try {
    assert.equal(c.greeting.code, 220);
    assert.equal((await c.command(`EHLO ${helo}`)).code, 250);
    const mail = await c.command(`MAIL FROM:<${from}>`);
    const rcpt: SmtpReply[] = [];
    for (const r of to) rcpt.push(await c.command(`RCPT TO:<${r}>`));
    if (mail.code !== 250 || !rcpt.some((r) => r.code === 250)) return { mail, rcpt };
    const go = await c.command('DATA');
    assert.equal(go.code, 354);
    c.write(stuff(body) + (body.endsWith('\n') ? '' : '\r\n') + '.\r\n');
    return { mail, rcpt, data: await c.reply(30_000) };
  } finally {
    await c.quit();
  }
}

const text = (r: SmtpReply | undefined) => (r ? `${r.code} ${r.lines.join(' ')}` : 'none');

async function waitForMail(address: string, count = 1, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const box = (await pf.mailboxes())[address] ?? [];
    if (box.length >= count) return box;
    if (Date.now() > deadline)
      throw new Error(`no mail for ${address} after ${timeoutMs} ms; MX log tail:\n${(await pf.log()).split('\n').slice(-12).join('\n')}`);
    await sleep(100);
  }
}

let seq = 0;
const uniq = (local: string) => `${local}${++seq}${Date.now().toString(36)}`;

/** One transaction written line by line (parameters included); the replies in order, DATA's final one last. */
async function transaction(port: number, lines: { helo?: string; mail: string; rcpt: string[]; body: string }): Promise<SmtpReply[]> {
  const c = await smtpDialog(port);
  try {
    const replies = [await c.command(`EHLO ${lines.helo ?? 'peer.example'}`), await c.command(lines.mail)];
    for (const r of lines.rcpt) replies.push(await c.command(r));
    const go = await c.command('DATA');
    replies.push(go);
    if (go.code !== 354) return replies;
    c.write(stuff(lines.body) + '.\r\n');
    replies.push(await c.reply(30_000));
    return replies;
  } finally {
    await c.quit();
  }
}

/** The queue id in a final 250 reply. */
const queueIdOf = (r: SmtpReply | undefined) => /queued as ([0-9A-Z]+)/.exec(text(r))?.[1] ?? assert.fail(`no queue id in ${text(r)}`);

describe('inbound front with a real Postfix as the internal MX', () => {
  test('XCLIENT: mail for our domain arrives, the Received header shows the pseudo client, not localhost', async (t) => {
    const f = await front(t);
    const to = `${uniq('alice')}@ours.example`;
    const body = `Subject: over tor\r\nMessage-ID: <${uniq('m')}@peer.example>\r\n\r\nfirst line\r\n.leading dot survives\r\n..two dots\r\nd\u00e9j\u00e0 8bit\r\nlast line\r\n`;
    const r = await send(f.port, 'bob@peer.example', [to], body);
    assert.equal(r.rcpt[0]?.code, 250, text(r.rcpt[0]));
    // The final answer is the MX's own, given only after the MX took the message.
    assert.match(text(r.data), /^250 2\.0\.0 Ok: queued as [0-9A-Z]+$/);
    const queueId = /queued as ([0-9A-Z]+)/.exec(text(r.data))![1]!;
    const [msg] = await waitForMail(to);
    const top = /^Received: [^\n]*\n(\s[^\n]*\n)*/m.exec(msg!)![0];
    assert.match(top, /^Received: from peer\.example \(onion \[192\.0\.2\.1\]\)/);
    assert.ok(top.includes(queueId));
    assert.doesNotMatch(top, /127\.0\.0\.1|localhost/);
    assert.equal(msg!.slice(msg!.indexOf('\n\n') + 2), 'first line\n.leading dot survives\n..two dots\nd\u00e9j\u00e0 8bit\nlast line\n');
    const line = await pf.waitForLog(new RegExp(`${queueId}: client=`));
    assert.match(line, /client=onion\[192\.0\.2\.1\]/);
    assert.match(await f.metric('onionmx_inbound_messages_total'), /result="accepted"} 1/);
  });

  test("the MX's answer to each recipient is passed through; the good recipient still gets the message", async (t) => {
    const f = await front(t);
    const good = `${uniq('carol')}@ours.example`;
    const r = await send(f.port, 'bob@peer.example', [good, 'nosuch@ours.example', 'busy@ours.example'], 'Subject: mixed\r\n\r\nhi\r\n');
    assert.equal(r.rcpt[0]?.code, 250);
    assert.equal(text(r.rcpt[1]), '550 5.1.1 <nosuch@ours.example>: Recipient address rejected: <nosuch@ours.example>: no such user here');
    assert.equal(text(r.rcpt[2]), '450 4.2.1 <busy@ours.example>: Recipient address rejected: mailbox busy, try later');
    assert.equal(r.data?.code, 250);
    await waitForMail(good);
    const m = await f.metric('onionmx_inbound_recipients_total');
    assert.match(m, /result="accepted"} 1/);
    assert.match(m, /result="mx_rejected"} 1/);
    assert.match(m, /result="tempfail"} 1/);
  });

  test('PROXY protocol v1 and v2 against Postfix smtpd_upstream_proxy_protocol=haproxy', async (t) => {
    for (const mode of ['proxy-v1', 'proxy-v2'] as const) {
      const f = await front(t, { mx: `127.0.0.1:${proxyPort}`, forward: { mode } });
      const to = `${uniq(mode)}@ours.example`;
      const r = await send(f.port, 'bob@peer.example', [to], `Subject: ${mode}\r\n\r\nvia ${mode}\r\n`);
      assert.equal(r.data?.code, 250, `${mode}: ${text(r.rcpt[0])} ${text(r.data)}`);
      const [msg] = await waitForMail(to);
      assert.match(msg!, /^Received: from peer\.example \(unknown \[192\.0\.2\.1\]\)/m, mode);
      assert.doesNotMatch(/^Received: [^\n]*\n(\s[^\n]*\n)*/m.exec(msg!)![0], /127\.0\.0\.1/);
    }
  });

  test('fails closed (451, nothing forwarded) when the MX does not offer XCLIENT or does not expect PROXY', async (t) => {
    const cases: Array<[string, FrontInput]> = [
      ['XCLIENT not authorised', { mx: `127.0.0.1:${noXclientPort}` }],
      ['PROXY header to a plain smtpd', { mx: `127.0.0.1:${pf.smtpPort}`, forward: { mode: 'proxy-v1' } }],
      ['PROXY v2 header to a plain smtpd', { mx: `127.0.0.1:${pf.smtpPort}`, forward: { mode: 'proxy-v2' } }],
    ];
    for (const [name, over] of cases) {
      const f = await front(t, over);
      const offset = (await pf.log()).length;
      const to = `${uniq('never')}@ours.example`;
      const r = await send(f.port, 'bob@peer.example', [to], 'Subject: x\r\n\r\nx\r\n');
      assert.equal(r.rcpt[0]?.code, 451, `${name}: ${text(r.rcpt[0])}`);
      assert.match(text(r.rcpt[0]), /4\.3\.5 the onion front is misconfigured/);
      assert.equal(r.data, undefined);
      assert.match(await f.metric('onionmx_inbound_mx_errors_total'), /kind="identity"} 1/);
      await sleep(300);
      const log = (await pf.log()).slice(offset);
      assert.doesNotMatch(log, /client=localhost|RCPT from localhost/, `${name}: the MX saw a transaction from loopback`);
      assert.equal((await pf.mailboxes())[to], undefined);
    }
  });

  test('an unreachable MX gives 451 (the peer keeps the message), never a 250', async (t) => {
    const f = await front(t, { mx: `127.0.0.1:${await freePort()}`, mxTimeouts: { connect: 2 } });
    const r = await send(f.port, 'bob@peer.example', ['dave@ours.example'], 'x\r\n');
    assert.match(text(r.rcpt[0]), /^451 4\.4\.1 internal mail server unavailable/);
    assert.match(await f.metric('onionmx_inbound_mx_errors_total'), /kind="connect"} 1/);
  });

  test('an MX that stalls after DATA gives 451 and the message is not delivered', async (t) => {
    const f = await front(t, { mx: `127.0.0.1:${slowDataPort}`, mxTimeouts: { dataInit: 1 } });
    const to = `${uniq('slow')}@ours.example`;
    const c = await smtpDialog(f.port);
    t.after(() => c.destroy());
    await c.command('EHLO peer.example');
    await c.command('MAIL FROM:<bob@peer.example>');
    assert.equal((await c.command(`RCPT TO:<${to}>`)).code, 250);
    assert.equal((await c.command('DATA')).code, 354);
    c.write('Subject: stall\r\n\r\nbody\r\n.\r\n');
    const final = await c.reply(20_000);
    assert.match(text(final), /^451 4\.4\.1/);
    await sleep(5000);
    assert.equal((await pf.mailboxes())[to], undefined);
  });

  test('limits: recipients per message, message size, line length', async (t) => {
    const f = await front(t, { limits: { recipients: 2, messageSize: 4096, lineLength: 1000 } });
    const a = `${uniq('r')}@ours.example`;
    const b = `${uniq('r')}@ours.example`;
    const r = await send(f.port, 'bob@peer.example', [a, b, `${uniq('r')}@ours.example`], 'Subject: three\r\n\r\nx\r\n');
    assert.deepEqual(
      r.rcpt.map((x) => x.code),
      [250, 250, 452],
    );
    assert.equal(r.data?.code, 250);

    const big = `${uniq('big')}@ours.example`;
    const offset = (await pf.log()).length;
    const r2 = await send(f.port, 'bob@peer.example', [big], 'Subject: big\r\n\r\n' + 'x'.repeat(70).concat('\r\n').repeat(100));
    assert.equal(r2.data?.code, 552, text(r2.data));
    const long = `${uniq('long')}@ours.example`;
    const r3 = await send(f.port, 'bob@peer.example', [long], 'Subject: long\r\n\r\n' + 'y'.repeat(1500) + '\r\n');
    assert.match(text(r3.data), /^554 5\.6\.0 message has a line longer than 1000 bytes/);
    // The MX saw the DATA cut off, never the final dot: nothing was queued for either.
    await pf.waitForLog(/lost connection after DATA/, 10_000, offset);
    await sleep(500);
    const boxes = await pf.mailboxes();
    assert.equal(boxes[big], undefined);
    assert.equal(boxes[long], undefined);
    assert.match(await f.metric('onionmx_inbound_messages_total'), /result="too_big"} 1/);

    // An over-long command line ends the session instead of being buffered.
    const c = await smtpDialog(f.port);
    await c.command('EHLO peer.example');
    c.write(`RCPT TO:<${'a'.repeat(3000)}@ours.example>\r\n`);
    assert.match(text(await c.reply(5000)), /^421 .*too long/);
    await c.closed;
  });

  test('a client that disconnects mid-DATA leaves nothing at the MX', async (t) => {
    const f = await front(t);
    const to = `${uniq('cut')}@ours.example`;
    const offset = (await pf.log()).length;
    const c = await smtpDialog(f.port);
    await c.command('EHLO peer.example');
    await c.command('MAIL FROM:<bob@peer.example>');
    assert.equal((await c.command(`RCPT TO:<${to}>`)).code, 250);
    assert.equal((await c.command('DATA')).code, 354);
    c.write('Subject: cut\r\n\r\nhalf a message\r\n');
    await sleep(200);
    c.destroy();
    await pf.waitForLog(/lost connection after DATA/, 10_000, offset);
    await sleep(500);
    assert.equal((await pf.mailboxes())[to], undefined);
    void t;
  });

  test('slow clients: idle timeout, data-transfer timeout, session cap, session count', async (t) => {
    const f = await front(t, { timeouts: { command: 2, data: 1.5, session: 4 }, limits: { sessions: 2 } });
    // Idle between commands.
    const idle = await smtpDialog(f.port);
    await idle.command('EHLO peer.example');
    const started = Date.now();
    const idleReply = await idle.reply(10_000);
    assert.equal(idleReply.code, 421);
    await idle.closed;
    assert.ok(Date.now() - started >= 1500 && Date.now() - started < 8000);

    // Trickling message data.
    const to = `${uniq('trickle')}@ours.example`;
    const c = await smtpDialog(f.port);
    await c.command('EHLO peer.example');
    await c.command('MAIL FROM:<bob@peer.example>');
    await c.command(`RCPT TO:<${to}>`);
    assert.equal((await c.command('DATA')).code, 354);
    const trickle = setInterval(() => c.write('more\r\n'), 300);
    t.after(() => clearInterval(trickle));
    const cut = await c.reply(10_000);
    clearInterval(trickle);
    assert.match(text(cut), /^421 4\.4\.2 message transfer took too long/);
    await c.closed;
    await sleep(500);
    assert.equal((await pf.mailboxes())[to], undefined);

    // A busy client is still cut at the session cap.
    const busy = await smtpDialog(f.port);
    await busy.command('EHLO peer.example');
    const t0 = Date.now();
    let last: SmtpReply | undefined;
    while (Date.now() - t0 < 12_000) {
      try {
        last = await busy.command('NOOP', 2000);
      } catch {
        break;
      }
      if (last.code === 421) break;
      await sleep(200);
    }
    assert.match(text(last), /^421 4\.4\.2 session time limit/);
    assert.ok(Date.now() - t0 >= 3000 && Date.now() - t0 < 10_000, String(Date.now() - t0));

    // Session count.
    const one = await smtpDialog(f.port);
    const two = await smtpDialog(f.port);
    const three = await smtpDialog(f.port);
    assert.equal(one.greeting.code, 220);
    assert.equal(two.greeting.code, 220);
    assert.equal(three.greeting.code, 421);
    for (const d of [one, two, three]) d.destroy();
    // The trickling client and the busy one were cut by a limit; the idle one by smtp-server's idle timeout (closed).
    assert.match(await f.metric('onionmx_inbound_sessions_total'), /result="timeout"} 2/);
  });

  test('no AUTH and no STARTTLS are offered; AUTH is refused', async (t) => {
    const f = await front(t);
    const c = await smtpDialog(f.port);
    t.after(() => c.destroy());
    const ehlo = await c.command('EHLO peer.example');
    const keywords = ehlo.lines.slice(1).map((l) => l.split(' ')[0]!.toUpperCase());
    assert.ok(!keywords.includes('AUTH') && !keywords.includes('STARTTLS'), keywords.join(','));
    assert.ok(keywords.includes('SIZE') && keywords.includes('PIPELINING'));
    assert.equal(Math.floor((await c.command('AUTH PLAIN AGJvYgBzZWNyZXQ=')).code / 100), 5);
    assert.equal(Math.floor((await c.command('STARTTLS')).code / 100), 5);
  });

  test('pipelining, RSET and a second transaction in one session', async (t) => {
    const f = await front(t);
    const a = `${uniq('pipe')}@ours.example`;
    const b = `${uniq('second')}@ours.example`;
    const c = await smtpDialog(f.port);
    t.after(() => c.destroy());
    await c.command('EHLO peer.example');
    c.write(`MAIL FROM:<first@peer.example>\r\nRCPT TO:<${a}>\r\nRCPT TO:<x@victim.example>\r\nDATA\r\n`);
    assert.deepEqual(
      [(await c.reply()).code, (await c.reply()).code, (await c.reply()).code, (await c.reply()).code],
      [250, 250, 554, 354],
    );
    c.write('Subject: pipelined\r\n\r\none\r\n.\r\n');
    assert.equal((await c.reply()).code, 250);
    // A transaction abandoned with RSET is dropped at the MX; the next one goes through.
    await c.command('MAIL FROM:<dropped@peer.example>');
    assert.equal((await c.command(`RCPT TO:<${b}>`)).code, 250);
    assert.equal((await c.command('RSET')).code, 250);
    await c.command('MAIL FROM:<kept@peer.example>');
    assert.equal((await c.command(`RCPT TO:<${b}>`)).code, 250);
    assert.equal((await c.command('DATA')).code, 354);
    c.write('Subject: second\r\n\r\ntwo\r\n.\r\n');
    assert.equal((await c.reply()).code, 250);
    await c.quit();
    const [msgA] = await waitForMail(a);
    assert.match(msgA!, /Subject: pipelined/);
    const boxB = await waitForMail(b);
    assert.equal(boxB.length, 1);
    assert.match(boxB[0]!, /^Return-Path: <kept@peer\.example>/m);
  });

  test('probe mode: a recipient the MX accepts for the pseudo client passes, a relay attempt gets the MX refusal, results are cached', async (t) => {
    const f = await front(t, { recipientCheck: 'probe', probeCache: '1m' });
    const other = `${uniq('o')}@other.example`;
    const r = await send(f.port, 'bob@peer.example', [other], 'Subject: probe\r\n\r\np\r\n');
    assert.equal(r.data?.code, 250, text(r.rcpt[0]));
    await waitForMail(other);
    for (let i = 0; i < 2; i++) {
      const relay = await send(f.port, 'bob@peer.example', ['user@victim.example'], 'x\r\n');
      assert.match(text(relay.rcpt[0]), /^554 5\.7\.1 <user@victim\.example>: Relay access denied/);
    }
    const probes = await f.metric('onionmx_inbound_probes_total');
    assert.match(probes, /result="accept"} 1/);
    assert.match(probes, /result="reject"} 1/);
    assert.match(probes, /result="cached"} 1/);
    // Even the strict parser runs first in probe mode.
    const routed = await send(f.port, 'bob@peer.example', ['@ours.example:user@victim.example'], 'x\r\n');
    assert.match(text(routed.rcpt[0]), /^550 5\.1\.3 .*source route/);
  });

  test("an unqualified <postmaster> goes to postmaster@ our first domain, not to the MX's $myorigin", async (t) => {
    const f = await front(t, { domains: ['ours.example', 'other.example'] });
    const subject = uniq('pm');
    for (const rcpt of ['RCPT TO:<postmaster>', 'RCPT TO:<PostMaster>']) {
      const offset = (await pf.log()).length;
      const r = await transaction(f.port, {
        mail: 'MAIL FROM:<bob@peer.example>',
        rcpt: [rcpt],
        body: `Subject: ${subject}\r\n\r\nabuse report\r\n`,
      });
      assert.equal(r[2]?.code, 250, text(r[2]));
      const id = queueIdOf(r.at(-1));
      // myorigin is mx.ours.example here, which no one receives for: qualified by the MX, it would leave the host.
      const line = await pf.waitForLog(new RegExp(`${id}: to=<[^>]*>.*status=`), 15_000, offset);
      assert.match(line, /to=<postmaster@ours\.example>.*status=sent/);
      assert.doesNotMatch((await pf.log()).slice(offset), /postmaster@mx\.ours\.example/);
    }
    const box = await waitForMail('postmaster@ours.example');
    assert.ok(box.filter((m) => m.includes(`Subject: ${subject}`)).length >= 1);
    // No domain of our own to qualify it with (probe mode): refused, never guessed.
    const p = await front(t, { domains: [], recipientCheck: 'probe' });
    const refused = await send(p.port, 'bob@peer.example', ['postmaster'], 'x\r\n');
    assert.match(text(refused.rcpt[0]), /^550 5\.1\.1 no domain is configured for an unqualified postmaster/);
  });

  test('DSN: failure-only (default) forwards NOTIFY=NEVER/FAILURE and RET=HDRS, so no success report reaches a forged sender; pass does; strip sends none', async (t) => {
    const secret = uniq('attacker-content');
    const run = async (over: FrontInput, notify: string) => {
      const f = await front(t, { mx: `127.0.0.1:${verbosePort}`, ...over });
      const sender = `${uniq('forged')}@ours.example`;
      const to = `${uniq('dsn')}@ours.example`;
      const offset = (await pf.log()).length;
      const r = await transaction(f.port, {
        mail: `MAIL FROM:<${sender}> RET=FULL ENVID=${uniq('env')}`,
        rcpt: [`RCPT TO:<${to}> NOTIFY=${notify} ORCPT=rfc822;${to}`],
        body: `Subject: ${secret}\r\n\r\nbuy now\r\n`,
      });
      assert.equal(r.at(-1)?.code, 250, r.map(text).join(' | '));
      const id = queueIdOf(r.at(-1));
      await pf.waitForLog(new RegExp(`${id}: removed`), 15_000, offset);
      const log = (await pf.log()).slice(offset);
      // smtpd -v logs each command line as received: `< onion[192.0.2.1]: RCPT TO:<...> NOTIFY=...`.
      const got = (cmd: string) =>
        new RegExp(`< [^ ]+: (${cmd}:<[^>]*>.*)$`, 'm').exec(log)?.[1] ?? assert.fail(`${cmd} not in the MX log`);
      return {
        mail: got('MAIL FROM'),
        rcpt: got('RCPT TO'),
        report: new RegExp(`${id}: sender delivery status notification`).test(log),
        sender,
      };
    };

    const dflt = await run({}, 'SUCCESS,DELAY');
    assert.match(dflt.mail, / RET=HDRS ENVID=/);
    assert.match(dflt.rcpt, / NOTIFY=NEVER ORCPT=rfc822;/);
    assert.equal(dflt.report, false);
    assert.match((await run({ dsn: 'failure-only' }, 'SUCCESS,FAILURE')).rcpt, / NOTIFY=FAILURE /);

    const stripped = await run({ dsn: 'strip' }, 'SUCCESS');
    assert.doesNotMatch(`${stripped.mail} ${stripped.rcpt}`, /RET=|ENVID=|NOTIFY=|ORCPT=/);
    assert.equal(stripped.report, false);

    // What the default prevents: with pass the forged sender gets a success report carrying the attacker's headers
    // (Postfix returns headers only in success reports; RET=FULL would return the body in a failure report).
    const passed = await run({ dsn: 'pass' }, 'SUCCESS,DELAY');
    assert.match(passed.rcpt, / NOTIFY=SUCCESS,DELAY /);
    assert.equal(passed.report, true);
    const [report] = await waitForMail(passed.sender);
    assert.match(report!, /Successful Mail Delivery Report/);
    assert.match(report!, new RegExp(`^Subject: ${secret}$`, 'm'));
    for (const quiet of [dflt, stripped]) assert.equal((await pf.mailboxes())[quiet.sender], undefined);
  });

  test('a HELO claiming loopback, a private literal or our own names reaches the MX as the pseudo-client name', async (t) => {
    const f = await front(t);
    const viaProxy = await front(t, { mx: `127.0.0.1:${proxyPort}`, forward: { mode: 'proxy-v1' } });
    const cases: Array<[number, string, RegExp]> = [
      [f.port, '[127.0.0.1]', /^Received: from onion \(onion \[192\.0\.2\.1\]\)/m],
      [f.port, 'localhost', /^Received: from onion \(onion \[192\.0\.2\.1\]\)/m],
      [f.port, '[10.0.0.7]', /^Received: from onion \(onion \[192\.0\.2\.1\]\)/m],
      [f.port, 'mx.ours.example', /^Received: from onion \(onion \[192\.0\.2\.1\]\)/m],
      [f.port, 'onion-front.ours.example', /^Received: from onion \(onion \[192\.0\.2\.1\]\)/m],
      // PROXY: the client's name is the front's only EHLO.
      [viaProxy.port, 'localhost', /^Received: from onion \(unknown \[192\.0\.2\.1\]\)/m],
      [viaProxy.port, 'peer.example', /^Received: from peer\.example \(unknown \[192\.0\.2\.1\]\)/m],
    ];
    for (const [port, helo, received] of cases) {
      const to = `${uniq('helo')}@ours.example`;
      const r = await send(port, 'bob@peer.example', [to], 'Subject: helo\r\n\r\nx\r\n', helo);
      assert.equal(r.data?.code, 250, `${helo}: ${text(r.rcpt[0])} ${text(r.data)}`);
      const [msg] = await waitForMail(to);
      assert.match(/^Received: [^\n]*\n(\s[^\n]*\n)*/m.exec(msg!)![0], received, helo);
      if (helo !== 'peer.example') assert.ok(!msg!.toLowerCase().includes(`from ${helo.toLowerCase()} `), helo);
    }
  });
});
