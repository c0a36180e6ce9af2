// Pure codec tests for the trust formats (no I/O).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeOwnerPlaintext,
  decodeToken,
  encodeToken,
  formatInviteCode,
  formatReadableInviteCode,
  formatResetCode,
  inviteCodeHashInput,
  isInviteCode,
  normalizeReadableInviteCode,
  normalizeResetCode,
  normalizeUsername,
  ownerAd,
  ownerPlaintext,
  pkTagInput,
  skAd,
  tokenTagInput,
  TOKEN_V1_PLAINTEXT_BYTES,
  TOKEN_PLAINTEXT_BYTES,
  FORMAT_VERSION,
  encodeShareToken,
} from '../src/format.ts';

const hex32 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex'));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ctxArb = fc.record({ ownerId: hex32, ownerEpoch: u32, slotGen: u32, slot: fc.integer({ min: 0, max: 255 }) });
const r32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('trust format codecs', () => {
  it('token plaintext round-trips and has the documented layout', () => {
    fc.assert(
      fc.property(ctxArb, r32, (ctx, r) => {
        const b = encodeToken(ctx, r);
        assert.equal(b.length, TOKEN_V1_PLAINTEXT_BYTES);
        assert.equal(b[0], FORMAT_VERSION);
        assert.equal(b.subarray(1, 17).toString('hex'), ctx.ownerId);
        assert.equal(b.readUInt32BE(17), ctx.ownerEpoch);
        assert.equal(b.readUInt32BE(21), ctx.slotGen);
        assert.equal(b[25], ctx.slot);
        const d = decodeToken(b)!;
        assert.deepEqual({ ownerId: d.ownerId, ownerEpoch: d.ownerEpoch, slotGen: d.slotGen, slot: d.slot }, { ...ctx });
        assert.ok(d.r.equals(Buffer.from(r)));
      }),
    );
  });

  it('a format 3 token carries the share after R and round-trips; its tag uses the v3 label', () => {
    const tc = { ownerId: '00112233445566778899aabbccddeeff', ownerEpoch: 2, slotGen: 258, slot: 7 };
    const share = Buffer.alloc(33, 0xcd);
    const b = encodeShareToken(tc, Buffer.alloc(32, 0xab), share);
    assert.equal(b.length, TOKEN_PLAINTEXT_BYTES);
    assert.equal(
      b.toString('hex'),
      '02' + '00112233445566778899aabbccddeeff' + '00000002' + '00000102' + '07' + 'ab'.repeat(32) + 'cd'.repeat(33),
    );
    const d = decodeToken(b)!;
    assert.ok(d.share?.equals(share) && d.r.equals(Buffer.alloc(32, 0xab)) && d.slot === 7);
    assert.equal(decodeToken(encodeToken(tc, Buffer.alloc(32)))!.share, null);
    assert.equal(
      tokenTagInput(tc, Buffer.alloc(32, 0xab), share).toString('hex'),
      Buffer.from('peergroup-trust-token-v3\0').toString('hex') + b.toString('hex'),
    );
    const wrongVersion = Buffer.from(b);
    wrongVersion[0] = 1;
    assert.equal(decodeToken(wrongVersion), null);
  });

  it('a known token vector', () => {
    const b = encodeToken({ ownerId: '00112233445566778899aabbccddeeff', ownerEpoch: 2, slotGen: 258, slot: 7 }, Buffer.alloc(32, 0xab));
    assert.equal(b.toString('hex'), '01' + '00112233445566778899aabbccddeeff' + '00000002' + '00000102' + '07' + 'ab'.repeat(32));
    assert.equal(
      tokenTagInput({ ownerId: '00112233445566778899aabbccddeeff', ownerEpoch: 2, slotGen: 258, slot: 7 }, Buffer.alloc(32, 0xab)).toString(
        'hex',
      ),
      Buffer.from('peergroup-trust-token-v1\0').toString('hex') + b.toString('hex'),
    );
  });

  it('decodeToken rejects wrong lengths and versions', () => {
    const b = encodeToken({ ownerId: 'ff'.repeat(16), ownerEpoch: 1, slotGen: 1, slot: 0 }, Buffer.alloc(32));
    assert.equal(decodeToken(b.subarray(1)), null);
    assert.equal(decodeToken(Buffer.concat([b, Buffer.alloc(1)])), null);
    const v2 = Buffer.from(b);
    v2[0] = 2;
    assert.equal(decodeToken(v2), null);
  });

  it('contexts differ whenever any bound field differs (no ambiguous concatenation)', () => {
    fc.assert(
      fc.property(ctxArb, ctxArb, r32, (c1, c2, r) => {
        const same = JSON.stringify(c1) === JSON.stringify(c2);
        assert.equal(tokenTagInput(c1, r).equals(tokenTagInput(c2, r)), same);
        assert.equal(
          ownerAd(c1.ownerId, c1.ownerEpoch, c1.slotGen, c1.slot).equals(ownerAd(c2.ownerId, c2.ownerEpoch, c2.slotGen, c2.slot)),
          same,
        );
      }),
    );
    const pk = Buffer.alloc(32, 1);
    assert.ok(!pkTagInput('00'.repeat(16), 1, pk).equals(pkTagInput('00'.repeat(16), 2, pk)));
    assert.ok(!skAd('00'.repeat(16), 1).equals(skAd('01'.repeat(16), 1)));
  });

  it('owner plaintext round-trips', () => {
    fc.assert(fc.property(hex32, (id) => assert.equal(decodeOwnerPlaintext(ownerPlaintext(id)), id)));
    assert.equal(decodeOwnerPlaintext(Buffer.alloc(17)), null); // version 0
  });

  it('reset codes: 16 Crockford symbols, normalisation forgives case, dashes, I/L/O', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 10, maxLength: 10 }), (bytes) => {
        const code = formatResetCode(bytes);
        assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
        assert.equal(normalizeResetCode(code.toLowerCase().replace(/-/g, ' ')), code.replace(/-/g, ''));
      }),
    );
    assert.equal(normalizeResetCode('oooo-llll-iiii-0000'), '0000111111110000');
    assert.equal(normalizeResetCode('UUUU-0000-0000-0000'), null);
    assert.equal(normalizeResetCode('0000-0000'), null);
    // Distinct random inputs give distinct codes (the encoding is injective on 80 bits).
    assert.notEqual(formatResetCode(Buffer.alloc(10, 0)), formatResetCode(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 1])));
  });

  it('format 4 invite codes: 20 Crockford symbols in groups of four, canonicalised like reset codes', () => {
    const code = formatReadableInviteCode(Buffer.alloc(13, 0xff));
    assert.equal(code, 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ', 'the first 100 of the 104 bits');
    assert.equal(formatReadableInviteCode(Buffer.alloc(13, 0)), '0000-0000-0000-0000-0000');
    const r = formatReadableInviteCode(Buffer.from('0123456789abcdef01234567ff', 'hex'));
    assert.match(r, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    assert.equal(normalizeReadableInviteCode(` ${r.toLowerCase().replaceAll('-', ' ')} `), r.replaceAll('-', ''));
    assert.equal(normalizeReadableInviteCode('OIL0-0000-0000-0000-0000'), '0110' + '0'.repeat(16));
    for (const bad of ['', 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-Z', 'UUUU-ZZZZ-ZZZZ-ZZZZ-ZZZZ', 'pgi_x'])
      assert.equal(normalizeReadableInviteCode(bad), null, bad);
    // Legacy and format 4 codes hash under different labels; anything else has no hash input at all.
    const legacy = formatInviteCode(Buffer.alloc(24, 7));
    assert.ok(inviteCodeHashInput(legacy)!.toString('latin1').startsWith('peergroup-trust-invite-v1\0'));
    assert.ok(inviteCodeHashInput(r)!.toString('latin1').startsWith('peergroup-trust-invite-v4\0'));
    assert.deepEqual(inviteCodeHashInput(r.toLowerCase()), inviteCodeHashInput(r));
    assert.equal(inviteCodeHashInput('garbage'), null);
  });

  it('invite codes and usernames', () => {
    const code = formatInviteCode(Buffer.alloc(24, 7));
    assert.ok(isInviteCode(code));
    assert.ok(!isInviteCode(code + 'x'));
    assert.ok(!isInviteCode('pgi_short'));
    assert.equal(normalizeUsername('  Alice.B '), 'alice.b');
    for (const bad of ['', '-a', 'a-', 'a b', 'é', 'x'.repeat(65), 'a@b']) assert.equal(normalizeUsername(bad), null, bad);
    assert.equal(normalizeUsername('x'.repeat(64)), 'x'.repeat(64));
  });
});
