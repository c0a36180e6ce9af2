import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AUTH_USERPASS,
  SocksProtocolError,
  decodeConnectReply,
  decodeMethodSelection,
  decodeUserPassReply,
  encodeConnect,
  encodeGreeting,
  encodeUserPass,
  socksReplyInfo,
} from '../src/relay/socks5.ts';
import { isolationUsername } from '../src/relay/onion-dialer.ts';

const ONION = 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion';

test('greeting offers the given methods', () => {
  assert.deepEqual([...encodeGreeting([AUTH_USERPASS])], [5, 1, 2]);
  assert.deepEqual([...encodeGreeting([0, 2])], [5, 2, 0, 2]);
  assert.throws(() => encodeGreeting([]), SocksProtocolError);
});

test('method selection and auth replies decode, incomplete input waits', () => {
  assert.equal(decodeMethodSelection(Buffer.from([5])), undefined);
  assert.deepEqual(decodeMethodSelection(Buffer.from([5, 2])), { method: 2, length: 2 });
  assert.throws(() => decodeMethodSelection(Buffer.from([4, 0])), /version/);
  assert.equal(decodeUserPassReply(Buffer.from([1])), undefined);
  assert.deepEqual(decodeUserPassReply(Buffer.from([1, 0])), { ok: true, length: 2 });
  assert.deepEqual(decodeUserPassReply(Buffer.from([1, 1])), { ok: false, length: 2 });
});

test('username/password sub-negotiation per RFC 1929', () => {
  const b = encodeUserPass('ab', 'xyz');
  assert.deepEqual([...b], [1, 2, 0x61, 0x62, 3, 0x78, 0x79, 0x7a]);
  assert.throws(() => encodeUserPass('', 'x'), /username/);
  assert.throws(() => encodeUserPass('x'.repeat(256), 'x'), /username/);
});

test('connect request sends an onion as ATYP domain (Tor resolves it, nothing leaks to DNS)', () => {
  const b = encodeConnect(ONION, 25);
  assert.deepEqual([...b.subarray(0, 5)], [5, 1, 0, 3, ONION.length]);
  assert.equal(b.subarray(5, 5 + ONION.length).toString(), ONION);
  assert.deepEqual([...b.subarray(-2)], [0, 25]);
  assert.deepEqual([...encodeConnect('127.192.0.7', 2525)], [5, 1, 0, 1, 127, 192, 0, 7, 0x09, 0xdd]);
  const v6 = encodeConnect('::1', 25);
  assert.equal(v6[3], 4);
  assert.equal(v6.length, 4 + 16 + 2);
  assert.equal(v6[19], 1);
  assert.throws(() => encodeConnect(ONION, 0), /port/);
});

test('connect replies decode for every address type and leave trailing stream bytes alone', () => {
  const ok4 = Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x32, 0x32]);
  assert.deepEqual(decodeConnectReply(ok4), { reply: 0, bound: { host: '0.0.0.0', port: 0 }, length: 10 });
  const f0 = Buffer.from([5, 0xf0, 0, 1, 0, 0, 0, 0, 0, 0]);
  assert.equal(decodeConnectReply(f0)!.reply, 0xf0);
  const dom = Buffer.concat([Buffer.from([5, 0, 0, 3, 3]), Buffer.from('abc'), Buffer.from([0, 25])]);
  assert.deepEqual(decodeConnectReply(dom), { reply: 0, bound: { host: 'abc', port: 25 }, length: 10 });
  const v6 = Buffer.concat([Buffer.from([5, 0, 0, 4]), Buffer.alloc(15), Buffer.from([1, 0, 25])]);
  assert.deepEqual(decodeConnectReply(v6)!.bound, { host: '0:0:0:0:0:0:0:1', port: 25 });
  assert.throws(() => decodeConnectReply(Buffer.from([5, 0, 0, 9, 0, 0])), /address type/);
  assert.throws(() => decodeConnectReply(Buffer.from([4, 0, 0, 1, 0, 0])), /version/);
});

test('connect reply decoder waits for every byte at every split point', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(1, 3, 4),
      fc.uint8Array({ minLength: 0, maxLength: 8 }),
      (rep, atyp, extra) => {
        const addr = atyp === 1 ? Buffer.alloc(4) : atyp === 4 ? Buffer.alloc(16) : Buffer.concat([Buffer.from([5]), Buffer.from('a.b.c')]);
        const full = Buffer.concat([Buffer.from([5, rep, 0, atyp]), addr, Buffer.from([1, 2]), Buffer.from(extra)]);
        const len = full.length - extra.length;
        for (let cut = 0; cut < len; cut++) assert.equal(decodeConnectReply(full.subarray(0, cut)), undefined);
        const r = decodeConnectReply(full)!;
        assert.equal(r.reply, rep);
        assert.equal(r.length, len);
        assert.equal(r.bound.port, 0x0102);
      },
    ),
  );
});

test('ExtendedErrors map to a reason and a 4xx, only an invalid onion address to 5xx', () => {
  const expected: Record<number, [string, number, RegExp]> = {
    0xf0: ['onion_desc_not_found', 451, /descriptor not found/],
    0xf1: ['onion_desc_invalid', 451, /descriptor is invalid/],
    0xf2: ['onion_intro_failed', 451, /introduction failed/],
    0xf3: ['onion_rendezvous_failed', 451, /rendezvous failed/],
    0xf4: ['onion_client_auth_missing', 451, /client authorization/],
    0xf5: ['onion_client_auth_bad', 451, /client authorization failed/],
    0xf6: ['onion_address_invalid', 554, /invalid onion address/],
    0xf7: ['onion_intro_timeout', 451, /introduction timed out/],
  };
  for (const [code, [label, smtp, reason]] of Object.entries(expected)) {
    const info = socksReplyInfo(Number(code));
    assert.equal(info.label, label);
    assert.equal(info.smtpCode, smtp);
    assert.match(info.reason, reason);
    assert.equal(info.enhanced[0], String(smtp)[0], 'enhanced status class matches the reply class');
  }
});

test('every other SOCKS failure, known or not, is temporary', () => {
  for (let rep = 1; rep <= 255; rep++) {
    const info = socksReplyInfo(rep);
    if (rep === 0xf6) continue;
    assert.equal(info.smtpCode, 451, `reply 0x${rep.toString(16)}`);
    assert.ok(info.reason.length > 5);
  }
  assert.equal(socksReplyInfo(0x01).label, 'general_failure');
  assert.equal(socksReplyInfo(0x05).label, 'connection_refused');
  assert.equal(socksReplyInfo(0x06).enhanced, '4.4.2');
  assert.equal(socksReplyInfo(0x9a).label, 'unknown_0x9a');
});

test('isolation usernames differ per domain, ignore case, and fit RFC 1929', () => {
  assert.notEqual(isolationUsername('a.example'), isolationUsername('b.example'));
  assert.equal(isolationUsername('A.Example'), isolationUsername('a.example'));
  assert.ok(Buffer.byteLength(isolationUsername('x'.repeat(400))) <= 255);
});
