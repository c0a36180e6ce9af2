// Open-relay suite: every relay-attempt pattern sent to the inbound front is refused, and the real Postfix behind it
// (which WOULD relay for the front's loopback address) never hears of any of them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { startPostfix, type Postfix } from '@peergroup/test-support/postfix';
import { smtpDialog } from '@peergroup/test-support/smtp-dialog';
import { sleep } from '@peergroup/test-support/proc';
import { RELAY_ATTEMPTS, OUR_DOMAIN } from '@peergroup/test-support/relay-attempts';
import { inboundConfigSchema } from '@peergroup/onionmx';
import { startInbound } from '@peergroup/onionmx';
import { silentLogger } from '@peergroup/service';
import type { RunningService } from '@peergroup/service';

let pf: Postfix;
let front: RunningService;
const registry = new Registry();

before(async () => {
  pf = await startPostfix({
    name: 'mx.ours.example',
    mailbox: { domains: [OUR_DOMAIN] },
    smtpdOptions: { smtpd_authorized_xclient_hosts: '127.0.0.1' },
    // The classic onion-MX mistake: loopback is in mynetworks, so anything arriving as 127.0.0.1 may relay.
    mainCf: { mynetworks: '127.0.0.0/8', smtpd_relay_restrictions: 'permit_mynetworks, reject_unauth_destination' },
  });
  front = await startInbound(inboundConfigSchema.parse({ listen: '127.0.0.1:0', mx: `127.0.0.1:${pf.smtpPort}`, domains: [OUR_DOMAIN] }), {
    logger: silentLogger(),
    registry,
  });
});
after(async () => {
  await front?.close();
  await pf?.stop();
});

test(`${RELAY_ATTEMPTS.length} relay-attempt patterns are refused and none reaches the MX`, async () => {
  assert.ok(RELAY_ATTEMPTS.length >= 25);
  const port = front.addresses.smtp!.port;
  const offset = (await pf.log()).length;
  const outcomes: string[] = [];
  for (const attempt of RELAY_ATTEMPTS) {
    const c = await smtpDialog(port);
    try {
      assert.equal((await c.command('EHLO peer.example')).code, 250);
      const mail = await c.command(`MAIL FROM:<relay-test@peer.example>${attempt.utf8 ? ' SMTPUTF8' : ''}`);
      assert.equal(mail.code, 250, `${attempt.name}: MAIL ${mail.code}`);
      const r = await c.command(`RCPT TO:${attempt.argument}`);
      outcomes.push(`${attempt.name}: ${r.code} ${r.lines.join(' ')}`);
      assert.ok(r.code >= 500 && r.code < 600, `${attempt.name}: expected a 5xx refusal, got ${r.code} ${r.lines.join(' ')}`);
      // Nothing to send: the front must not let DATA through without an accepted recipient.
      assert.equal(Math.floor((await c.command('DATA')).code / 100), 5, attempt.name);
    } finally {
      await c.quit();
    }
  }
  await sleep(1000);
  const log = (await pf.log()).slice(offset);
  // Not a single connection: the front opens the MX session only for a recipient it accepted.
  assert.doesNotMatch(log, /connect from|RCPT from|victim|Relay access/i, `the MX saw something:\n${log}`);
  assert.deepEqual(await pf.queue(), []);
  assert.deepEqual(await pf.mailboxes(), {});
  const m = await registry.getSingleMetricAsString('onionmx_inbound_recipients_total');
  assert.doesNotMatch(m, /result="accepted"} [1-9]/);
  console.log(outcomes.map((o) => `# ${o}`).join('\n'));
});

test('controls: the MX does log what comes through the front, and would relay for a loopback client', async () => {
  const port = front.addresses.smtp!.port;
  const offset = (await pf.log()).length;
  const c = await smtpDialog(port);
  await c.command('EHLO peer.example');
  await c.command('MAIL FROM:<control@peer.example>');
  assert.equal((await c.command(`RCPT TO:<control@${OUR_DOMAIN}>`)).code, 250);
  await c.quit();
  assert.match(await pf.waitForLog(/connect from onion\[192\.0\.2\.1\]/, 10_000, offset), /onion\[192\.0\.2\.1\]/);

  // Straight to the MX from loopback (what a HiddenServicePort pointed at Postfix would do): it relays.
  const direct = await smtpDialog(pf.smtpPort);
  await direct.command('EHLO peer.example');
  await direct.command('MAIL FROM:<relay-test@peer.example>');
  assert.equal((await direct.command('RCPT TO:<user@victim.example>')).code, 250);
  await direct.command('RSET');
  await direct.quit();
  // Through the front, the same MX refuses it for the pseudo client even when the front's domain check is bypassed
  // by probe mode: the relay decision is the MX's, made for 192.0.2.1, not for 127.0.0.1.
  const probe = await startInbound(
    inboundConfigSchema.parse({ listen: '127.0.0.1:0', mx: `127.0.0.1:${pf.smtpPort}`, domains: [OUR_DOMAIN], recipientCheck: 'probe' }),
    { logger: silentLogger(), registry: new Registry() },
  );
  try {
    const p = await smtpDialog(probe.addresses.smtp!.port);
    await p.command('EHLO peer.example');
    await p.command('MAIL FROM:<relay-test@peer.example>');
    const r = await p.command('RCPT TO:<user@victim.example>');
    assert.match(`${r.code} ${r.lines.join(' ')}`, /^554 5\.7\.1 <user@victim\.example>: Relay access denied/);
    await p.quit();
  } finally {
    await probe.close();
  }
});
