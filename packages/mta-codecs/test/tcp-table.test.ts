import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  LineSplitter,
  TCP_TABLE_MAX_REPLY,
  formatTcpTableReply,
  parseTcpTableRequest,
  tcpTableDecode,
  tcpTableEncode,
} from '../src/tcp-table.ts';

test('parses get requests and %XX-decodes the key in any hex case', () => {
  assert.deepEqual(parseTcpTableRequest('get user@example.org'), { ok: true, key: 'user@example.org' });
  assert.deepEqual(parseTcpTableRequest('get *'), { ok: true, key: '*' });
  assert.deepEqual(parseTcpTableRequest('get a%20b%2ac%2Ad%25'), { ok: true, key: 'a b*c*d%' });
  assert.deepEqual(parseTcpTableRequest('get user@example.org\r'), { ok: true, key: 'user@example.org' }, 'CR before LF tolerated');
  assert.deepEqual(parseTcpTableRequest('get j%C3%BCrgen@m%C3%BCller.example'), { ok: true, key: 'jürgen@müller.example' });
});

test('refuses what is not a well-formed get', () => {
  const bad: [string, RegExp][] = [
    ['put a b', /only the get request/],
    ['GET a', /unknown request "GET"/],
    ['get', /without a key/],
    ['get ', /without a key/],
    ['get a b', /unencoded whitespace/],
    ['get a%2', /bad %-escape/],
    ['get a%zz', /bad %-escape/],
    ['', /unknown request/],
  ];
  for (const [line, reason] of bad) {
    const r = parseTcpTableRequest(line);
    assert.equal(r.ok, false, line);
    assert.match((r as { reason: string }).reason, reason, line);
  }
});

test('encodes %, whitespace and non-printing characters; leaves the rest', () => {
  assert.equal(tcpTableEncode('smtptor:[abc.onion]:25'), 'smtptor:[abc.onion]:25');
  assert.equal(tcpTableEncode('no onion route'), 'no%20onion%20route');
  assert.equal(tcpTableEncode('100%\t\n\x7f'), '100%25%09%0A%7F');
  assert.equal(tcpTableEncode('ü'), '%C3%BC');
});

test('formats the three reply codes with LF', () => {
  assert.equal(formatTcpTableReply({ status: 200, text: 'smtptor:[x.onion]:25' }), '200 smtptor:[x.onion]:25\n');
  assert.equal(formatTcpTableReply({ status: 500, text: 'not found' }), '500 not%20found\n');
  assert.equal(formatTcpTableReply({ status: 400, text: 'DNS timeout' }), '400 DNS%20timeout\n');
});

test('replies never exceed 4096 bytes; an oversized 200 becomes a 400, never truncated data', () => {
  const long500 = formatTcpTableReply({ status: 500, text: ' '.repeat(5000) });
  assert.ok(long500.length <= TCP_TABLE_MAX_REPLY);
  assert.match(long500, /^500 (%20)+\n$/, 'cut between escapes, not through one');
  const long200 = formatTcpTableReply({ status: 200, text: 'x'.repeat(4093) });
  assert.match(long200, /^400 /);
  assert.equal(formatTcpTableReply({ status: 200, text: 'x'.repeat(4091) }).length, 4096, 'exactly 4096 fits');
});

test('property: decode(encode(s)) = s and encoded text has no whitespace or control characters', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      const enc = tcpTableEncode(s);
      assert.doesNotMatch(enc, /[\s\x00-\x1f\x7f-\uffff]/);
      // The router reads sockets as latin1: feed the encoded text exactly as it would arrive.
      assert.equal(tcpTableDecode(enc), s);
    }),
  );
});

test('line splitter joins partial lines and flags an over-long line', () => {
  const s = new LineSplitter(20);
  assert.deepEqual(s.push(Buffer.from('get a')), { lines: [], overflow: false });
  assert.deepEqual(s.push(Buffer.from('@b\nget c@d\nget')), { lines: ['get a@b', 'get c@d'], overflow: false });
  assert.equal(s.rest, 'get');
  const t = new LineSplitter(10);
  assert.deepEqual(t.push(Buffer.from('get x\n' + 'y'.repeat(11) + '\nget z\n')), { lines: ['get x'], overflow: true });
  assert.equal(new LineSplitter(10).push(Buffer.from('y'.repeat(11))).overflow, true, 'no LF yet but already too long');
});
