import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatXclient, parseXclient, xclientAddr, xclientCapability, xtextDecode, xtextEncode } from '../src/xclient.ts';

test('xtext escapes +, = and everything outside printable ASCII, and round-trips', () => {
  assert.equal(xtextEncode('mail.example'), 'mail.example');
  assert.equal(xtextEncode('a+b=c d'), 'a+2Bb+3Dc+20d');
  assert.equal(xtextEncode('\r\n'), '+0D+0A');
  assert.equal(xtextEncode('é'), '+C3+A9');
  assert.equal(xtextDecode('a+2Bb+3Dc+20d'), 'a+b=c d');
  assert.throws(() => xtextDecode('a+2'), /bad xtext escape/);
  assert.throws(() => xtextDecode('a b'), /not allowed/);
  assert.throws(() => xtextDecode('a=b'), /not allowed/);
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), (s) => {
      const enc = xtextEncode(s);
      assert.match(enc, /^[\x21-\x7e]*$/);
      assert.doesNotMatch(enc, /=/);
      assert.equal(xtextDecode(enc), s);
    }),
  );
});

test('the XCLIENT capability is read from the EHLO keywords', () => {
  const lines = [
    'mx.example',
    'PIPELINING',
    'SIZE 10240000',
    'XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT',
    '8BITMIME',
  ];
  const cap = xclientCapability(lines);
  assert.ok(cap);
  assert.ok(cap.has('NAME') && cap.has('ADDR') && cap.has('HELO'));
  assert.equal(xclientCapability(['mx.example', 'PIPELINING', 'XFORWARD NAME ADDR']), null);
  assert.deepEqual([...(xclientCapability(['xclient addr name']) ?? [])], ['ADDR', 'NAME']);
});

test('formatXclient writes only offered attributes, in order, and refuses when a required one is missing', () => {
  const offered = new Set(['NAME', 'ADDR', 'PROTO', 'HELO']);
  assert.deepEqual(formatXclient({ ADDR: '192.0.2.1', NAME: 'onion', LOGIN: 'x' }, offered, ['ADDR', 'NAME']), [
    'XCLIENT NAME=onion ADDR=192.0.2.1',
  ]);
  assert.deepEqual(formatXclient({ ADDR: xclientAddr('2001:db8::1'), HELO: 'peer host' }, offered), [
    'XCLIENT ADDR=IPV6:2001:db8::1 HELO=peer+20host',
  ]);
  assert.throws(
    () => formatXclient({ ADDR: '192.0.2.1', NAME: 'onion' }, new Set(['NAME']), ['ADDR', 'NAME']),
    /does not offer XCLIENT ADDR/,
  );
  assert.throws(() => formatXclient({ LOGIN: 'x' }, offered, []), /no XCLIENT attribute/);
  // Long values are split over several commands, each short enough for the MX.
  const long = formatXclient({ NAME: 'n'.repeat(300), HELO: 'h'.repeat(300), ADDR: '192.0.2.1' }, offered);
  assert.equal(long.length, 2);
  for (const l of long) assert.ok(l.length <= 512 && l.startsWith('XCLIENT '));
  assert.deepEqual(
    { ...parseXclient(long[0]!), ...parseXclient(long[1]!) },
    { NAME: 'n'.repeat(300), HELO: 'h'.repeat(300), ADDR: '192.0.2.1' },
  );
});

test('a hostile HELO value cannot inject a second command or attribute', () => {
  const [line] = formatXclient({ ADDR: '192.0.2.1', HELO: 'x\r\nRCPT TO:<a@victim.example> ADDR=127.0.0.1' }, new Set(['ADDR', 'HELO']));
  assert.ok(line);
  assert.doesNotMatch(line, /[\r\n]/);
  assert.deepEqual(parseXclient(line), { ADDR: '192.0.2.1', HELO: 'x\r\nRCPT TO:<a@victim.example> ADDR=127.0.0.1' });
  assert.throws(() => xclientAddr('onion'), /not an IP address/);
  assert.throws(() => parseXclient('XCLIENT BOGUS=1'), /unknown XCLIENT attribute/);
  assert.throws(() => parseXclient('EHLO x'), /not an XCLIENT/);
});
