import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import sodium from 'sodium-native';
import { base32Decode, base32Encode, Base32Error } from '../src/routing/base32.ts';
import {
  isValidOnionAddress,
  normaliseOnionAddress,
  OnionAddressError,
  onionFromPublicKey,
  parseOnionAddress,
} from '../src/routing/onion-address.ts';

/** A real ed25519 public key from libsodium. */
function ed25519PublicKey(seed?: Buffer): Buffer {
  const pk = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
  const sk = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES);
  if (seed) sodium.crypto_sign_seed_keypair(pk, sk, seed);
  else sodium.crypto_sign_keypair(pk, sk);
  return pk;
}

/** Independent reference: rend-spec-v3 §6 written out with a bit string, sharing no code with the codec. */
function referenceOnion(pk: Buffer, version = 3): string {
  const sum = createHash('sha3-256').update('.onion checksum').update(pk).update(Buffer.of(version)).digest().subarray(0, 2);
  const bytes = Buffer.concat([pk, sum, Buffer.of(version)]);
  const bits = [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += 'abcdefghijklmnopqrstuvwxyz234567'[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return `${out}.onion`;
}

function refusal(input: string) {
  const r = parseOnionAddress(input);
  assert.equal(r.ok, false, `${input} should be refused`);
  return r as Extract<typeof r, { ok: false }>;
}

describe('base32', () => {
  it('matches the RFC 4648 test vectors (lower case, unpadded)', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'my'],
      ['fo', 'mzxq'],
      ['foo', 'mzxw6'],
      ['foob', 'mzxw6yq'],
      ['fooba', 'mzxw6ytb'],
      ['foobar', 'mzxw6ytboi'],
    ];
    for (const [plain, encoded] of vectors) {
      assert.equal(base32Encode(Buffer.from(plain)), encoded);
      assert.equal(Buffer.from(base32Decode(encoded)).toString(), plain);
      assert.equal(Buffer.from(base32Decode(encoded.toUpperCase())).toString(), plain);
    }
  });

  it('round-trips arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => Buffer.from(base32Decode(base32Encode(bytes))).equals(Buffer.from(bytes))),
    );
  });

  it('refuses characters outside the alphabet and non-canonical trailing bits, naming the position', () => {
    assert.throws(
      () => base32Decode('mzx1'),
      (e: unknown) => e instanceof Base32Error && e.position === 3 && /position 4/.test(e.message),
    );
    assert.throws(() => base32Decode('mz'), /non-zero trailing bits/); // 'my' is "f"; 'mz' spells it with a stray 1 bit
    assert.throws(() => base32Decode('mzx'), Base32Error); // 15 bits: a 7-bit remainder can never come from whole bytes
  });
});

describe('onion addresses (rend-spec-v3)', () => {
  it('derives the address of real ed25519 keys exactly like the reference computation', () => {
    for (let i = 0; i < 50; i++) {
      const pk = ed25519PublicKey();
      const onion = onionFromPublicKey(pk);
      assert.equal(onion, referenceOnion(pk));
      assert.match(onion, /^[a-z2-7]{55}d\.onion$/); // version 3 in the last 5 bits ⇒ the address always ends in "d"
      const parsed = parseOnionAddress(onion);
      assert.ok(parsed.ok);
      assert.equal(parsed.host, onion);
      assert.equal(parsed.version, 3);
      assert.ok(Buffer.from(parsed.publicKey).equals(pk));
    }
  });

  it('derives a fixed address from a fixed seed (deterministic key → address)', () => {
    const pk = ed25519PublicKey(Buffer.alloc(32, 7));
    const again = ed25519PublicKey(Buffer.alloc(32, 7));
    assert.equal(onionFromPublicKey(pk), onionFromPublicKey(again));
    assert.equal(onionFromPublicKey(pk), referenceOnion(pk));
  });

  it('accepts well-known published v3 addresses', () => {
    for (const a of [
      'duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion',
      '2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion',
    ]) {
      assert.ok(isValidOnionAddress(a), a);
    }
  });

  it('normalises case, a trailing dot and keeps a subdomain', () => {
    const onion = onionFromPublicKey(ed25519PublicKey());
    const parsed = parseOnionAddress(`  MX.Mail.${onion.toUpperCase()}.  `);
    assert.ok(parsed.ok);
    assert.equal(parsed.host, `mx.mail.${onion}`);
    assert.equal(parsed.address, onion);
    assert.equal(parsed.subdomain, 'mx.mail');
    assert.equal(normaliseOnionAddress(`${onion.toUpperCase()}.`), onion);
  });

  it('refuses a 16-character v2 address saying v2 services no longer exist', () => {
    const r = refusal('expyuzz4wqqyqhjn.onion');
    assert.equal(r.code, 'v2');
    assert.match(r.reason, /v2 onion services no longer exist in Tor/);
  });

  it('refuses a bad checksum (one character changed in the key part)', () => {
    const onion = onionFromPublicKey(ed25519PublicKey());
    const c = onion[10] === 'a' ? 'b' : 'a';
    const r = refusal(onion.slice(0, 10) + c + onion.slice(11));
    assert.equal(r.code, 'bad-checksum');
    assert.match(r.reason, /checksum/);
  });

  it('refuses a wrong version even when its checksum is consistent', () => {
    const pk = ed25519PublicKey();
    const r = refusal(referenceOnion(pk, 4));
    assert.equal(r.code, 'bad-version');
    assert.match(r.reason, /version byte 4/);
  });

  it('refuses characters that are not base32', () => {
    const onion = onionFromPublicKey(ed25519PublicKey());
    const r = refusal('1' + onion.slice(1));
    assert.equal(r.code, 'bad-base32');
    assert.match(r.reason, /position 1/);
    assert.equal(refusal('0' + onion.slice(1)).code, 'bad-base32');
    assert.equal(refusal('8' + onion.slice(1)).code, 'bad-base32');
  });

  it('refuses other lengths, names outside .onion, empty input and bad subdomain labels', () => {
    const onion = onionFromPublicKey(ed25519PublicKey());
    assert.equal(refusal(onion.slice(1)).code, 'bad-length');
    assert.match(refusal(onion.slice(1)).reason, /55 characters; a v3 address has 56/);
    assert.equal(refusal('example.org').code, 'not-onion');
    assert.equal(refusal('onion').code, 'not-onion');
    assert.equal(refusal('').code, 'empty');
    assert.equal(refusal('.').code, 'empty');
    assert.equal(refusal(`-bad.${onion}`).code, 'bad-subdomain');
    assert.equal(refusal(`a..${onion}`).code, 'bad-subdomain');
    assert.throws(
      () => normaliseOnionAddress('expyuzz4wqqyqhjn.onion'),
      (e: unknown) => e instanceof OnionAddressError && e.code === 'v2',
    );
  });

  it('every valid address survives a case/trailing-dot round trip; random 56-char labels almost never pass', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (pk) => {
        const onion = onionFromPublicKey(pk);
        return normaliseOnionAddress(onion.toUpperCase() + '.') === onion;
      }),
    );
    let accepted = 0;
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z2-7]{56}$/), (label) => {
        if (parseOnionAddress(`${label}.onion`).ok) accepted++;
        return true;
      }),
      { numRuns: 500 },
    );
    assert.ok(accepted < 3, `${accepted} random labels passed the checksum and version checks`);
  });
});
