import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNetstring } from '../src/netstring.ts';
import {
  SOCKETMAP_MAX_REPLY,
  encodeSocketmapReply,
  formatSocketmapReply,
  formatSocketmapReplyPayload,
  parseSocketmapRequest,
} from '../src/socketmap.ts';
import { formatEximReply, parseEximRequest } from '../src/exim-readsocket.ts';

test('socketmap request splits at the first space', () => {
  assert.deepEqual(parseSocketmapRequest(Buffer.from('onionmx user@example.org')), { ok: true, name: 'onionmx', key: 'user@example.org' });
  assert.deepEqual(parseSocketmapRequest(Buffer.from('m a b')), { ok: true, name: 'm', key: 'a b' });
  assert.match((parseSocketmapRequest(Buffer.from('onionmx')) as { reason: string }).reason, /no space/);
  assert.match((parseSocketmapRequest(Buffer.from(' key')) as { reason: string }).reason, /empty map name/);
  assert.match((parseSocketmapRequest(Buffer.from('onionmx ')) as { reason: string }).reason, /empty key/);
});

test('socketmap replies use the five statuses, netstring-framed', () => {
  assert.equal(encodeSocketmapReply({ status: 'OK', text: 'smtptor:[x.onion]:25' }).toString(), '23:OK smtptor:[x.onion]:25,');
  assert.equal(encodeSocketmapReply({ status: 'NOTFOUND', text: 'ignored' }).toString(), '9:NOTFOUND ,');
  assert.equal(encodeSocketmapReply({ status: 'TEMP', text: 'DNS timeout' }).toString(), '16:TEMP DNS timeout,');
  assert.equal(encodeSocketmapReply({ status: 'TIMEOUT', text: 't' }).toString(), '9:TIMEOUT t,');
  assert.equal(encodeSocketmapReply({ status: 'PERM', text: 'bad' }).toString(), '8:PERM bad,');
});

test('socketmap replies stay within 100000 bytes; oversized OK data becomes TEMP', () => {
  assert.match(formatSocketmapReplyPayload({ status: 'OK', text: 'x'.repeat(SOCKETMAP_MAX_REPLY) }), /^TEMP /);
  const perm = encodeSocketmapReply({ status: 'PERM', text: 'é'.repeat(SOCKETMAP_MAX_REPLY) });
  const payload = decodeNetstring(perm);
  assert.ok(payload.length <= SOCKETMAP_MAX_REPLY);
  assert.doesNotMatch(payload.toString('utf8'), /\uFFFD/, 'no broken UTF-8 sequence at the cut');
});

test('exim request: ended by LF, CRLF or EOF alone; one line only', () => {
  assert.deepEqual(parseEximRequest(Buffer.from('example.org\n')), { ok: true, key: 'example.org' });
  assert.deepEqual(parseEximRequest(Buffer.from('example.org\r\n')), { ok: true, key: 'example.org' });
  assert.deepEqual(parseEximRequest(Buffer.from('example.org')), { ok: true, key: 'example.org' });
  assert.equal(parseEximRequest(Buffer.from('\n')).ok, false);
  assert.match((parseEximRequest(Buffer.from('a\nb\n')) as { reason: string }).reason, /more than one/);
  assert.match((parseEximRequest(Buffer.from('a b\n')) as { reason: string }).reason, /whitespace/);
});

test('exim replies: data, empty for not found, DEFER for tempfail (never empty)', () => {
  assert.equal(formatEximReply({ kind: 'found', data: 'x.onion::25' }), 'x.onion::25');
  assert.equal(formatEximReply({ kind: 'notfound', reason: 'no SRV' }), '');
  assert.equal(formatEximReply({ kind: 'tempfail', reason: 'SERVFAIL\nfrom 127.0.0.1' }), 'DEFER SERVFAIL from 127.0.0.1');
});

test('formatSocketmapReply is encodeSocketmapReply as a string: the same bytes once written as UTF-8', () => {
  const replies = [
    { status: 'OK', text: 'bob@example.org' },
    { status: 'OK', text: 'jos\u00e9+caf\u00e9@example.org \u{1F4EC}' },
    { status: 'NOTFOUND', text: 'ignored' },
    { status: 'TEMP', text: 'peergroup: temporary lookup failure' },
    { status: 'PERM', text: '\u00fc'.repeat(SOCKETMAP_MAX_REPLY) },
    { status: 'OK', text: 'x'.repeat(SOCKETMAP_MAX_REPLY + 1) },
  ] as const;
  for (const r of replies) assert.deepEqual(Buffer.from(formatSocketmapReply(r), 'utf8'), encodeSocketmapReply(r), r.text.slice(0, 40));
  // The length counts bytes, not characters.
  assert.equal(formatSocketmapReply({ status: 'OK', text: '\u00e9' }), '5:OK \u00e9,');
});
