import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inboundConfigSchema } from '../src/inbound/inbound-config.ts';
import { forwardMailParams, forwardRcptParams, type DsnPolicy } from '../src/inbound/mail-params.ts';
import { clientHelo } from '../src/inbound/client-helo.ts';

function issues(input: unknown): string[] {
  const r = inboundConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

test('defaults: XCLIENT with NAME=onion ADDR=192.0.2.1, RFC 5321 MX timeouts, sane limits', () => {
  const c = inboundConfigSchema.parse({ mx: '127.0.0.1:25', domains: ['Example.ORG'] });
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 2525 });
  assert.deepEqual(c.domains, ['example.org']);
  assert.deepEqual(c.forward, { mode: 'xclient', clientName: 'onion', clientAddress: '192.0.2.1' });
  assert.deepEqual(
    c.mxTimeouts,
    { connect: 30_000, greeting: 300_000, command: 300_000, dataInit: 120_000, dataBlock: 180_000, dataTerm: 600_000 },
    'milliseconds once parsed',
  );
  assert.deepEqual(c.timeouts, { command: 120_000, data: 600_000, session: 1_800_000 });
  assert.equal(c.probeCache, 300_000);
  assert.equal(c.limits.messageSize, 25 * 1024 * 1024);
  assert.equal(c.recipientCheck, 'domains');
});

test('timeouts and probeCache take durations; a plain number is seconds; probeCacheSeconds is the older name', () => {
  const base = { mx: '127.0.0.1:25', domains: ['a.example'] };
  const c = inboundConfigSchema.parse({
    ...base,
    timeouts: { session: '1h', command: 90 },
    mxTimeouts: { dataTerm: '15m' },
    probeCache: '10m',
  });
  assert.equal(c.timeouts.session, 3_600_000);
  assert.equal(c.timeouts.command, 90_000);
  assert.equal(c.mxTimeouts.dataTerm, 900_000);
  assert.equal(c.probeCache, 600_000);
  assert.equal(inboundConfigSchema.parse({ ...base, probeCacheSeconds: 60 }).probeCache, 60_000);
  assert.equal(inboundConfigSchema.parse({ ...base, probeCacheSeconds: '2m' }).probeCache, 120_000);
  assert.equal(inboundConfigSchema.parse({ ...base, probeCache: 0 }).probeCache, 0);
  assert.ok(!('probeCacheSeconds' in inboundConfigSchema.parse({ ...base, probeCacheSeconds: 60 })), 'one name after parsing');
  assert.match(
    issues({ ...base, probeCache: '5m', probeCacheSeconds: 300 }).join('\n'),
    /^probeCacheSeconds: is the older name of probeCache/m,
  );
  assert.match(issues({ ...base, mxTimeouts: { connect: '20m' } }).join('\n'), /^mxTimeouts\.connect: must be between 1s and 10m/m);
  assert.match(issues({ ...base, timeouts: { data: 'long' } }).join('\n'), /^timeouts\.data: must be a duration/m);
});

test('bad settings are refused with the key named', () => {
  assert.match(issues({ domains: ['a.example'] }).join('\n'), /^mx: /m);
  assert.match(issues({ mx: '127.0.0.1:25' }).join('\n'), /^domains: at least one domain/m);
  assert.deepEqual(issues({ mx: '127.0.0.1:25', recipientCheck: 'probe' }), []);
  assert.match(issues({ mx: '127.0.0.1:25', domains: ['bad_domain'] }).join('\n'), /^domains\.0: /m);
  assert.match(issues({ mx: '127.0.0.1:25', domains: ['a.example.'] }).join('\n'), /^domains\.0: /m);
  assert.match(
    issues({ mx: '127.0.0.1:25', domains: ['a.example'], forward: { clientAddress: '127.0.0.1' } }).join('\n'),
    /^forward\.clientAddress: a loopback pseudo client/m,
  );
  assert.match(
    issues({ mx: '127.0.0.1:25', domains: ['a.example'], forward: { clientAddress: 'onion' } }).join('\n'),
    /^forward\.clientAddress: /m,
  );
  assert.match(issues({ mx: '127.0.0.1:25', domains: ['a.example'], forward: { mode: 'proxy-v3' } }).join('\n'), /^forward\.mode: /m);
  assert.match(
    issues({
      mx: '127.0.0.1:25',
      domains: ['a.example'],
      forward: { mode: 'proxy-v2', clientAddress: '2001:db8::1', destinationAddress: '127.0.0.1' },
    }).join('\n'),
    /^forward\.destinationAddress: must be of the same address family/m,
  );
  assert.match(issues({ mx: '127.0.0.1:25', domains: ['a.example'], limits: { messageSize: -1 } }).join('\n'), /^limits\.messageSize: /m);
  assert.match(
    issues({ mx: '127.0.0.1:25', recipientCheck: 'probe', forward: { mode: 'none' } }).join('\n'),
    /^recipientCheck: probe needs forward\.mode/m,
  );
  assert.match(issues({ mx: '127.0.0.1:25', domains: ['a.example'], limits: { bogus: 1 } }).join('\n'), /^limits: .*bogus/m);
  assert.match(issues({ mx: '127.0.0.1:25', domains: ['a.example'], relay: true }).join('\n'), /relay/);
  assert.match(
    issues({ mx: '127.0.0.1:25', domains: ['a.example'], metrics: '0.0.0.0:9100' }).join('\n'),
    /^metrics\.listen: must be a loopback/m,
  );
});

test('MAIL parameters are passed on only as far as the MX supports them', () => {
  const postfix = new Map([
    ['SIZE', '10240000'],
    ['8BITMIME', ''],
    ['SMTPUTF8', ''],
    ['DSN', ''],
  ]);
  const bare = new Map<string, string>();
  assert.deepEqual(forwardMailParams('SIZE=100 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x+2By AUTH=<>', postfix, 'pass'), {
    params: ['SIZE=100', 'BODY=8BITMIME', 'SMTPUTF8', 'RET=HDRS', 'ENVID=x+2By'],
    utf8: true,
  });
  assert.deepEqual(forwardMailParams('SIZE=100 RET=FULL BODY=7BIT', bare, 'pass'), { params: ['BODY=7BIT'], utf8: false });
  const refuse = (p: string, m: Map<string, string>) => {
    const r = forwardMailParams(p, m, 'pass');
    return 'error' in r ? `${r.error.responseCode} ${r.error.message}` : 'passed';
  };
  assert.match(refuse('BODY=8BITMIME', bare), /^555 5\.5\.4 BODY=8BITMIME/);
  assert.match(refuse('SMTPUTF8', bare), /^555 5\.6\.7/);
  assert.match(refuse('BODY=BINARYMIME', postfix), /^555/);
  assert.match(refuse('XFOO=1', postfix), /^555 5\.5\.4 MAIL parameter XFOO/);
  assert.match(refuse('SIZE=1\u0000', postfix), /^501/);
});

test('DSN parameters: failure-only (the default) drops success and delay reports and returns headers only; strip drops them all', () => {
  assert.equal(inboundConfigSchema.parse({ mx: '127.0.0.1:25', domains: ['a.example'] }).dsn, 'failure-only');
  assert.match(issues({ mx: '127.0.0.1:25', domains: ['a.example'], dsn: 'never' }).join('\n'), /^dsn: /m);
  const dsn = new Map([['DSN', '']]);
  const mail = (p: string, policy: DsnPolicy) => {
    const r = forwardMailParams(p, dsn, policy);
    return 'error' in r ? `${r.error.responseCode} ${r.error.message}` : r.params.join(' ');
  };
  const rcpt = (p: string, policy: DsnPolicy, m: Map<string, string> = dsn) => {
    const r = forwardRcptParams(p, m, policy);
    return Array.isArray(r) ? r.join(' ') : `${r.responseCode} ${r.message}`;
  };
  assert.equal(mail('RET=FULL ENVID=abc', 'failure-only'), 'RET=HDRS ENVID=abc');
  assert.equal(mail('ret=hdrs', 'failure-only'), 'RET=HDRS');
  assert.equal(mail('RET=FULL ENVID=abc', 'pass'), 'RET=FULL ENVID=abc');
  assert.equal(mail('RET=FULL ENVID=abc', 'strip'), '');
  assert.match(mail('RET=BODY', 'pass'), /^501 5\.5\.4 RET must be FULL or HDRS/);
  assert.equal(rcpt('NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a@b.example', 'failure-only'), 'NOTIFY=NEVER ORCPT=rfc822;a@b.example');
  assert.equal(rcpt('NOTIFY=success,failure,delay', 'failure-only'), 'NOTIFY=FAILURE');
  assert.equal(rcpt('NOTIFY=NEVER', 'failure-only'), 'NOTIFY=NEVER');
  assert.equal(rcpt('NOTIFY=SUCCESS,DELAY', 'pass'), 'NOTIFY=SUCCESS,DELAY');
  assert.equal(rcpt('NOTIFY=SUCCESS ORCPT=rfc822;a@b.example', 'strip'), '');
  assert.equal(rcpt('NOTIFY=SUCCESS', 'pass', new Map()), '', 'an MX without DSN gets none');
  for (const bad of ['NOTIFY=NEVER,SUCCESS', 'NOTIFY=SOMETIMES', 'NOTIFY=FAILURE,FAILURE'])
    assert.match(rcpt(bad, 'pass'), /^501 5\.5\.4 NOTIFY must be/, bad);
});

test('a HELO that claims loopback, a private network, an address or one of our names is replaced by the pseudo-client name', () => {
  const policy = { ownNames: ['onion-front.ours.example'], domains: ['ours.example', 'other.example'], neutral: 'onion' };
  for (const claim of [
    '[127.0.0.1]',
    '[IPv6:::1]',
    '[10.1.2.3]',
    '[192.168.0.1]',
    '[203.0.113.9]',
    '127.0.0.1',
    'localhost',
    'LocalHost',
    'mx.localhost',
    'localhost.localdomain',
    'printer.local',
    'nas.home.arpa',
    'ours.example',
    'MX.Ours.Example',
    'onion-front.ours.example',
    'other.example',
    '1.2.3.4.5',
    'bad_name',
    undefined,
    '',
  ]) {
    assert.equal(clientHelo(claim, policy), 'onion', String(claim));
  }
  for (const fine of ['peer.example', 'mail.notours.example', 'xours.example', 'mx1']) assert.equal(clientHelo(fine, policy), fine);
});
