// The inbound front's PROXY protocol (v1 and v2) against a real Exim with `hosts_proxy` (docs/snippets/exim-inbound-main.conf).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { startExim, eximConfig, type Exim } from '@peergroup/test-support/exim';
import { startSmtpSink, headerValues, messageBody, type SmtpSink } from '@peergroup/test-support/smtp-sink';
import { smtpDialog } from '@peergroup/test-support/smtp-dialog';
import { inboundConfigSchema } from '@peergroup/onionmx';
import { startInbound } from '@peergroup/onionmx';
import { silentLogger } from '@peergroup/service';

const hostsProxy = readFileSync(new URL('../../docs/snippets/exim-inbound-main.conf', import.meta.url), 'utf8');

let sink: SmtpSink;
let exim: Exim;

before(async () => {
  sink = await startSmtpSink();
  exim = await startExim({
    name: 'mx.ours.example',
    config: (ctx) =>
      eximConfig(ctx, {
        main: [hostsProxy, 'acl_smtp_rcpt = acl_check_rcpt'].join('\n'),
        // Our domain from anyone; relaying only for loopback, which is what the front must never look like.
        acl: [
          'acl_check_rcpt:',
          '  accept domains = ours.example',
          '  accept hosts = : 127.0.0.1',
          '  deny   message = relay not permitted',
        ].join('\n'),
        routers: [
          'to_store:',
          '  driver = manualroute',
          '  domains = ours.example',
          '  transport = remote_smtp',
          `  route_data = 127.0.0.1::${sink.port}`,
          '  self = send',
        ].join('\n'),
        transports: ['remote_smtp:', '  driver = smtp', '  allow_localhost'].join('\n'),
      }),
  });
});
after(async () => {
  await exim?.stop();
  await sink?.close();
});

for (const mode of ['proxy-v1', 'proxy-v2'] as const) {
  test(`${mode}: Exim sees the pseudo client 192.0.2.1, delivers our mail and refuses relaying`, async (t) => {
    const front = await startInbound(
      inboundConfigSchema.parse({
        listen: '127.0.0.1:0',
        mx: `127.0.0.1:${exim.port}`,
        domains: ['ours.example'],
        recipientCheck: 'probe',
        forward: { mode },
      }),
      { logger: silentLogger(), registry: new Registry() },
    );
    t.after(() => front.close());
    const before = sink.messages.length;
    const c = await smtpDialog(front.addresses.smtp!.port);
    await c.command('EHLO peer.example');
    assert.equal((await c.command('MAIL FROM:<bob@peer.example>')).code, 250);
    assert.equal((await c.command(`RCPT TO:<alice-${mode}@ours.example>`)).code, 250);
    // Probe mode lets the MX judge a foreign domain: Exim refuses it because the client is 192.0.2.1, not 127.0.0.1.
    const relay = await c.command('RCPT TO:<user@victim.example>');
    assert.equal(`${relay.code} ${relay.lines.join(' ')}`, '550 relay not permitted');
    assert.equal((await c.command('DATA')).code, 354);
    c.write(`Subject: ${mode}\r\n\r\n.dot\r\nvia exim\r\n.\r\n`);
    const final = await c.reply(30_000);
    assert.match(`${final.code} ${final.lines.join(' ')}`, /^250 OK id=\S+$/);
    await c.quit();
    const [msg] = (await sink.waitFor(before + 1)).slice(before);
    assert.ok(msg);
    assert.deepEqual(msg.to, [`alice-${mode}@ours.example`]);
    const received = headerValues(msg.data, 'Received')[0] ?? '';
    assert.match(received, /^from \[192\.0\.2\.1\] \(helo=peer\.example\)\s+by mx\.ours\.example with esmtp \(Exim 4\.96\)/);
    assert.doesNotMatch(received, /127\.0\.0\.1/);
    assert.equal(messageBody(msg.data).toString(), '.dot\r\nvia exim\r\n');
    // Exim's own log line for the message names the pseudo client as the sending host.
    await exim.waitForLog(/<= bob@peer\.example H=\(peer\.example\) \[192\.0\.2\.1\]/);
    // (-C makes Exim log that it gave up root; anything else in the paniclog is a real problem.)
    assert.deepEqual(
      (await exim.paniclog()).split('\n').filter((l) => l && !/lost privilege for using -C/.test(l)),
      [],
    );
  });
}
