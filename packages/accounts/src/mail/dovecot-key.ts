// The user's Dovecot mail_crypt key (docs/mail-crypt.md §2), derived from the trust store's mail key M_U, so that
// whatever restores M_U (a completed peer reset with the mail code, a recovery code) restores the key that opens the
// stored mail, and nothing Dovecot-specific needs a backup or a reset path of its own.
//
// The curve is P-256 because Debian's Dovecot 2.3.19 requires it: its mail_crypt panics on an X25519 global key
// (dcrypt-openssl.c: "unreached"), and takes EC keys on the NIST curves or RSA. libsodium has no P-256, so the one
// curve operation (d → d·G) and the PEM encoding Dovecot reads are Node's OpenSSL; everything peergroup itself
// does with the key (derivation, wrapping) is libsodium's.
import { createECDH, createPrivateKey, createPublicKey } from 'node:crypto';
import sodium from 'sodium-native';

/** The order n of P-256's base point: a secret scalar is 1 ≤ d < n. */
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
export const SCALAR_BYTES = 32;
/** SEC1 uncompressed point: 0x04 ‖ x(32) ‖ y(32). */
export const POINT_BYTES = 65;
const DERIVE_LABEL = 'peergroup-mail-crypt-p256-v1';

/** L(label) ‖ parts: the ASCII label, one 0x00, then the parts (docs/trust-format.md §1). */
export function labelled(label: string, ...parts: Uint8Array[]): Buffer {
  return Buffer.concat([Buffer.from(label, 'ascii'), Buffer.from([0]), ...parts]);
}

/** BLAKE2b keyed with `key`, 32 bytes. */
export function keyedHash(key: Uint8Array, msg: Uint8Array): Buffer {
  const out = Buffer.alloc(32);
  sodium.crypto_generichash(out, Buffer.from(msg), Buffer.from(key));
  return out;
}

/**
 * d_U: the first i = 0, 1, … for which BLAKE2b(key = M_U, L(label) ‖ u8(i)), read big-endian, is a valid scalar
 * (a rejection happens with probability about 2⁻³²; it keeps d uniform, which reducing mod n would not quite).
 */
export function deriveDovecotScalar(mailKey: Uint8Array): Buffer {
  for (let i = 0; i < 256; i++) {
    const d = keyedHash(mailKey, labelled(DERIVE_LABEL, Buffer.from([i])));
    const v = BigInt(`0x${d.toString('hex')}`);
    if (v >= 1n && v < P256_ORDER) return d;
    d.fill(0);
  }
  throw new Error('no P-256 scalar in 256 tries'); // probability 2^-8192
}

/** Q = d·G as a SEC1 uncompressed point. */
export function publicPoint(d: Uint8Array): Buffer {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(d));
  return ecdh.getPublicKey();
}

function jwk(q: Uint8Array): { kty: 'EC'; crv: 'P-256'; x: string; y: string } {
  if (q.length !== POINT_BYTES || q[0] !== 4) throw new Error('not an uncompressed P-256 point');
  const b = Buffer.from(q);
  return { kty: 'EC', crv: 'P-256', x: b.subarray(1, 33).toString('base64url'), y: b.subarray(33).toString('base64url') };
}

/**
 * The values of mail_crypt_global_private_key / _public_key: base64 of the PKCS#8 / SPKI PEM ("pkey format"), the
 * form Dovecot's documentation gives for keys in userdb fields (one line, no newlines in a passdb/userdb field).
 */
export function privateKeyField(d: Uint8Array, q: Uint8Array): string {
  const key = createPrivateKey({ key: { ...jwk(q), d: Buffer.from(d).toString('base64url') }, format: 'jwk' });
  return Buffer.from(key.export({ type: 'pkcs8', format: 'pem' }) as string, 'utf8').toString('base64');
}

export function publicKeyField(q: Uint8Array): string {
  const key = createPublicKey({ key: jwk(q), format: 'jwk' });
  return Buffer.from(key.export({ type: 'spki', format: 'pem' }) as string, 'utf8').toString('base64');
}
