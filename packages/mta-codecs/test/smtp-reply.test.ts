import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SmtpReplyDecoder,
  SmtpReplyError,
  enhancedCode,
  formatReply,
  parseEhloKeywords,
  relayedReplyLine,
  replyClass,
  replyText,
} from '../src/smtp-reply.ts';

test('decodes single and multi-line replies split anywhere', () => {
  const wire = '220 mx.example ESMTP\r\n250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n354 go\r\n';
  for (let cut = 0; cut <= wire.length; cut++) {
    const d = new SmtpReplyDecoder();
    const out = [...d.push(wire.slice(0, cut)), ...d.push(wire.slice(cut))];
    assert.deepEqual(out, [
      { code: 220, lines: ['mx.example ESMTP'] },
      { code: 250, lines: ['mx.example', 'PIPELINING', 'SIZE 1000', '8BITMIME'] },
      { code: 354, lines: ['go'] },
    ]);
    assert.equal(d.pending, false);
  }
});

test('accepts bare LF and a code with no text', () => {
  const d = new SmtpReplyDecoder();
  assert.deepEqual(d.push('250\n221 bye\n'), [
    { code: 250, lines: [''] },
    { code: 221, lines: ['bye'] },
  ]);
});

test('refuses garbage, a code change inside a reply, and endless lines', () => {
  assert.throws(() => new SmtpReplyDecoder().push('hello\r\n'), SmtpReplyError);
  assert.throws(() => new SmtpReplyDecoder().push('250-a\r\n251 b\r\n'), /changed/);
  assert.throws(() => new SmtpReplyDecoder().push('250 ' + 'x'.repeat(20000)), /longer/);
  assert.throws(() => new SmtpReplyDecoder().push('600 no\r\n'), SmtpReplyError);
});

test('classes and enhanced codes', () => {
  assert.equal(replyClass(250), 'ok');
  assert.equal(replyClass(354), 'intermediate');
  assert.equal(replyClass(451), 'tempfail');
  assert.equal(replyClass(552), 'permfail');
  assert.equal(enhancedCode({ code: 550, lines: ['5.1.1 no such user'] }), '5.1.1');
  assert.equal(enhancedCode({ code: 450, lines: ['5.1.1 mismatched class'] }), undefined);
  assert.equal(enhancedCode({ code: 250, lines: ['ok'] }), undefined);
});

test('relayed reply keeps the far side code, enhanced code and text on one line, naming the source', () => {
  const r = relayedReplyLine({ code: 550, lines: ['5.1.1 <bob@x> unknown', '5.1.1 really'] }, 'abc.onion:25');
  assert.deepEqual(r, { code: 550, message: '5.1.1 abc.onion:25 said: 550 <bob@x> unknown really' });
  assert.equal(relayedReplyLine({ code: 451, lines: ['try later'] }, 'h').message, '4.0.0 h said: 451 try later');
  assert.equal(relayedReplyLine({ code: 250, lines: ['queued as X\x07'] }, 'h').message, '2.0.0 h said: 250 queued as X');
  assert.ok(relayedReplyLine({ code: 250, lines: ['x'.repeat(5000)] }, 'h').message.length <= 900);
});

test('replyText strips enhanced codes and control characters', () => {
  assert.equal(replyText({ code: 250, lines: ['2.0.0 ok', '2.0.0 queued'] }), 'ok queued');
  assert.equal(replyText({ code: 250, lines: ['a\tb'] }), 'a b');
});

test('formatReply is the inverse of the decoder', () => {
  const reply = { code: 250, lines: ['mx', 'PIPELINING', 'SIZE 10'] };
  assert.equal(formatReply(reply), '250-mx\r\n250-PIPELINING\r\n250 SIZE 10\r\n');
  assert.deepEqual(new SmtpReplyDecoder().push(formatReply(reply)), [reply]);
});

test('EHLO keywords are upper-cased with their parameters; the greeting line is not one', () => {
  const k = parseEhloKeywords({
    code: 250,
    lines: ['mx.example hello', 'pipelining', 'SIZE 52428800', 'AUTH=LOGIN PLAIN', 'DSN', 'SMTPUTF8'],
  });
  assert.deepEqual(
    [...k],
    [
      ['PIPELINING', ''],
      ['SIZE', '52428800'],
      ['AUTH', 'LOGIN PLAIN'],
      ['DSN', ''],
      ['SMTPUTF8', ''],
    ],
  );
});
