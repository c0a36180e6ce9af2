/** trouble.ts, table-driven: each client failure and phase → the reply the relay gives its MTA / the front its client. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frontTrouble, relayTrouble, relayedReply, SmtpClientError, TROUBLE, type FrontIdentity } from '@peergroup/smtp-client';

const who = 'abc.onion:25';
const reply = (code: number, ...lines: string[]) => ({ code, lines });

const relayCases: { name: string; err: unknown; code: number; message: RegExp; torError?: string }[] = [
  {
    name: 'timeout at RCPT',
    err: new SmtpClientError('rcpt', 'timeout', 'timeout'),
    code: 451,
    message: /^4\.4\.2 timeout during RCPT with abc\.onion:25$/,
  },
  {
    name: 'timeout after the data',
    err: new SmtpClientError('dataEnd', 'timeout', 'timeout'),
    code: 451,
    message: /^4\.4\.2 timeout during end of DATA with abc\.onion:25$/,
  },
  {
    name: 'far side closed',
    err: new SmtpClientError('mail', 'closed', 'connection closed by the far side'),
    code: 451,
    message: /^4\.4\.2 connection closed by the far side during MAIL with /,
  },
  {
    name: 'malformed reply',
    err: new SmtpClientError('greeting', 'protocol', 'malformed reply line: "x"'),
    code: 451,
    message: /^4\.4\.2 malformed reply line: "x" during greeting with /,
  },
  {
    name: 'TLS handshake failed',
    err: new SmtpClientError('tls', 'tls', 'wrong version number'),
    code: 451,
    message: /^4\.4\.2 wrong version number during TLS handshake with /,
  },
  {
    name: 'TLS required, not offered',
    err: new SmtpClientError('starttls', 'tls', 'STARTTLS not offered'),
    code: 451,
    message: /^4\.7\.0 TLS required but abc\.onion:25 does not offer STARTTLS$/,
  },
  {
    name: 'TLS required, refused',
    err: new SmtpClientError('starttls', 'tls', 'STARTTLS refused: 454', { reply: reply(454, '4.7.0 TLS not available') }),
    code: 451,
    message: /^4\.7\.0 TLS required but abc\.onion:25 refused STARTTLS: 454 TLS not available$/,
  },
  {
    name: "greeting 554 is the MX's own verdict",
    err: new SmtpClientError('greeting', 'reply', 'greeting 554', { reply: reply(554, '5.3.2 go away') }),
    code: 554,
    message: /^5\.3\.2 abc\.onion:25 said: 554 go away$/,
  },
  {
    name: 'greeting 421 becomes 451',
    err: new SmtpClientError('greeting', 'reply', 'greeting 421', { reply: reply(421, 'busy') }),
    code: 451,
    message: /^4\.0\.0 abc\.onion:25 said: 421 busy$/,
  },
  {
    name: 'Tor SOCKS failure carries its own verdict',
    err: new SmtpClientError('connect', 'connect', 'SOCKS reply 0xf0', {
      dial: { code: 451, enhanced: '4.4.3', reason: 'Tor: onion service descriptor not found', label: 'onion_desc_not_found' },
    }),
    code: 451,
    message: /^4\.4\.3 Tor: onion service descriptor not found \(abc\.onion:25\)$/,
    torError: 'onion_desc_not_found',
  },
  {
    name: 'plain connect failure',
    err: new SmtpClientError('connect', 'connect', 'cannot connect to 127.0.0.1:1: ECONNREFUSED'),
    code: 451,
    message: /^4\.4\.0 error talking to abc\.onion:25: cannot connect/,
  },
  { name: 'not a client error', err: new Error('bug'), code: 451, message: /^4\.4\.0 error talking to abc\.onion:25: bug$/ },
];

for (const c of relayCases) {
  test(`relay: ${c.name}`, () => {
    const r = relayTrouble(c.err, who);
    assert.equal(r.code, c.code);
    assert.match(r.message, c.message);
    assert.equal(r.torError, c.torError);
  });
}

const frontCases: {
  name: string;
  err: unknown;
  identity: FrontIdentity;
  code: number;
  enhanced: string;
  label: string;
  misconfigured: boolean;
}[] = [
  {
    name: 'MX unreachable',
    err: new SmtpClientError('connect', 'connect', 'ECONNREFUSED'),
    identity: 'xclient',
    code: 451,
    enhanced: '4.4.1',
    label: 'connect',
    misconfigured: false,
  },
  {
    name: 'MX silent after DATA',
    err: new SmtpClientError('data', 'timeout', 'timeout'),
    identity: 'xclient',
    code: 451,
    enhanced: '4.4.1',
    label: 'timeout',
    misconfigured: false,
  },
  {
    name: '5xx greeting is still our fault: 4xx',
    err: new SmtpClientError('greeting', 'reply', 'greeting 554', { reply: reply(554, 'no') }),
    identity: 'none',
    code: 451,
    enhanced: '4.4.1',
    label: 'refused',
    misconfigured: false,
  },
  {
    name: 'XCLIENT not offered',
    err: new SmtpClientError('xclient', 'protocol', 'not offered'),
    identity: 'xclient',
    code: 451,
    enhanced: '4.3.5',
    label: 'identity',
    misconfigured: true,
  },
  {
    name: 'EHLO refused after a PROXY header',
    err: new SmtpClientError('ehlo', 'reply', 'EHLO refused', { reply: reply(502, 'what') }),
    identity: 'proxy',
    code: 451,
    enhanced: '4.3.5',
    label: 'identity',
    misconfigured: true,
  },
  {
    name: 'EHLO refused without PROXY',
    err: new SmtpClientError('ehlo', 'reply', 'EHLO refused', { reply: reply(502, 'what') }),
    identity: 'xclient',
    code: 451,
    enhanced: '4.4.1',
    label: 'refused',
    misconfigured: false,
  },
  {
    name: 'a bug',
    err: new TypeError('x is undefined'),
    identity: 'xclient',
    code: 451,
    enhanced: '4.3.0',
    label: 'internal',
    misconfigured: false,
  },
];

for (const c of frontCases) {
  test(`front: ${c.name}`, () => {
    const t = frontTrouble(c.err, c.identity);
    assert.equal(t.reply.code, c.code);
    assert.ok(t.reply.message.startsWith(`${c.enhanced} `), t.reply.message);
    assert.doesNotMatch(t.reply.message, /127\.0\.0\.1|:25\b/, 'the front never names its internal MX');
    assert.equal(t.label, c.label);
    assert.equal(t.misconfigured, c.misconfigured);
  });
}

test('every row is a 4xx or 5xx with an enhanced code of its class, and no front row is permanent', () => {
  for (const [key, r] of Object.entries(TROUBLE)) {
    assert.ok(r.code >= 400 && r.code < 600, key);
    assert.equal(r.enhanced[0], String(r.code)[0], `${key}: ${r.code} ${r.enhanced}`);
    if (r.voice === 'front') assert.ok(r.code < 500, `${key}: a fault of ours must not bounce a peer's mail`);
  }
});

test("relayedReply keeps the far side's code and enhanced code, names it, and turns 421 into 451", () => {
  assert.deepEqual(relayedReply(reply(550, '5.1.1 no such user'), who), {
    code: 550,
    message: '5.1.1 abc.onion:25 said: 550 no such user',
  });
  assert.equal(relayedReply(reply(421, '4.3.2 shutting down'), who).code, 451);
  assert.equal(relayedReply(reply(250, 'ok'), who).message, '2.0.0 abc.onion:25 said: 250 ok');
});
