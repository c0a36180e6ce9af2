// Data the server keeps for the owner's eyes only: a libsodium sealed box to the owner's X25519 public key. Writing
// needs only the public key; reading needs the secret key, which the server holds only while one of the owner's
// sessions makes a request (the cookie unwraps it). A copy of the database therefore cannot read these values.
import sodium from 'sodium-native';

/**
 * Every plaintext is padded to this many bytes before sealing, so the box length says nothing about what is inside
 * (a trustee's name of 3 or of 64 characters, an addition or a removal, an invite).
 */
const PADDED_BYTES = 192;

/** Seals a JSON value to `publicKey`. Throws when the JSON is longer than the padded size (a programming error). */
export function sealJson(value: unknown, publicKey: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  if (json.length > PADDED_BYTES - 2) throw new Error(`sealed value too long (${json.length} bytes)`);
  const plain = Buffer.alloc(PADDED_BYTES);
  plain.writeUInt16BE(json.length, 0);
  json.copy(plain, 2);
  const box = Buffer.alloc(PADDED_BYTES + sodium.crypto_box_SEALBYTES);
  sodium.crypto_box_seal(box, plain, publicKey);
  return box;
}

/** The value, or null when the box is not for this key (e.g. sealed before a reset gave the account a new key). */
export function openJson(box: Uint8Array, publicKey: Buffer, secretKey: Buffer): unknown {
  const b = Buffer.from(box);
  if (b.length !== PADDED_BYTES + sodium.crypto_box_SEALBYTES) return null;
  const plain = Buffer.alloc(PADDED_BYTES);
  if (!sodium.crypto_box_seal_open(plain, b, publicKey, secretKey)) return null;
  const len = plain.readUInt16BE(0);
  if (len > PADDED_BYTES - 2) return null;
  try {
    return JSON.parse(plain.subarray(2, 2 + len).toString('utf8')) as unknown;
  } catch {
    return null;
  } finally {
    sodium.sodium_memzero(plain);
  }
}
