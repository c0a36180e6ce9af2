// Every primitive comes from libsodium (sodium-native); this module only adapts buffers and lengths.
import sodium from 'sodium-native';
import {
  AEAD_ABYTES,
  KEY_BYTES,
  NONCE_BYTES,
  OWNER_BOX_BYTES,
  OWNER_PLAINTEXT_BYTES,
  R_BYTES,
  TAG_BYTES,
  TOKEN_BOX_BYTES,
  TOKEN_PLAINTEXT_BYTES,
  LABEL,
  labelled,
  subkeyInput,
  type SubkeyPurpose,
} from './format.ts';

export interface PwhashParams {
  opslimit: number;
  memlimit: number;
}

export const PWHASH_INTERACTIVE: PwhashParams = {
  opslimit: sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE,
  memlimit: sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE,
};
export const PWHASH_MIN: PwhashParams = {
  opslimit: sodium.crypto_pwhash_OPSLIMIT_MIN,
  memlimit: sodium.crypto_pwhash_MEMLIMIT_MIN,
};
export const PWHASH_ALG_ARGON2ID13 = sodium.crypto_pwhash_ALG_ARGON2ID13;
export const PWHASH_SALT_BYTES = sodium.crypto_pwhash_SALTBYTES;

/**
 * Counts of the expensive or secret-dependent primitive calls, for tests that assert two code paths do the same
 * work (issue #13.6: equal work instead of timed assertions). Plain counters; never reset by the library.
 */
export const workCounter = { pwhash: 0, pwhashCost: 0, sealOpen: 0, keyedHash: 0, aeadOpen: 0, aeadSeal: 0 };

/**
 * Tests only: awaited before every Argon2id, so a test can act (e.g. write to a row another call might hold locked)
 * at the moment a derivation starts, with no timing involved. Null in production.
 */
export const pwhashProbe: { before: (() => Promise<void>) | null } = { before: null };

/** A Buffer view of the same memory (no copy); sodium-native wants Buffers. */
export function asBuf(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

export function randomBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  sodium.randombytes_buf(b);
  return b;
}

export function randomUniform(upper: number): number {
  return sodium.randombytes_uniform(upper);
}

/** Constant-time equality; false (not a throw) on length mismatch. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return sodium.sodium_memcmp(asBuf(a), asBuf(b));
}

/** Argon2id on libuv's thread pool, so the event loop keeps serving while it runs. */
export async function pwhash(password: string, salt: Uint8Array, params: PwhashParams, alg = PWHASH_ALG_ARGON2ID13): Promise<Buffer> {
  if (pwhashProbe.before) await pwhashProbe.before();
  workCounter.pwhash++;
  workCounter.pwhashCost += params.opslimit * params.memlimit;
  const out = sodium.sodium_malloc(KEY_BYTES) as unknown as Buffer;
  const pw = Buffer.from(password.normalize('NFC'), 'utf8');
  return new Promise((resolve, reject) => {
    sodium.crypto_pwhash_async(out, pw, asBuf(salt), params.opslimit, params.memlimit, alg, (err) => {
      sodium.sodium_memzero(pw);
      if (err) reject(err);
      else resolve(out);
    });
  });
}

export function keyedHash(key: Uint8Array, msg: Uint8Array, outLen = TAG_BYTES): Buffer {
  workCounter.keyedHash++;
  const out = Buffer.alloc(outLen);
  sodium.crypto_generichash(out, asBuf(msg), asBuf(key));
  return out;
}

export function deriveSubkey(serverSecret: Uint8Array, purpose: SubkeyPurpose): Buffer {
  return keyedHash(serverSecret, subkeyInput(purpose), KEY_BYTES);
}

/** The key that authenticates a user's own slot list; only the holder of the secret key can derive it. */
export function deriveOwnerKey(secretKey: Uint8Array): Buffer {
  return keyedHash(secretKey, labelled(LABEL.ownerKey), KEY_BYTES);
}

/** The key that wraps the user's mail key (format 3); like the owner key, only the holder of the secret key has it. */
export function deriveMailWrapKey(secretKey: Uint8Array): Buffer {
  return keyedHash(secretKey, labelled(LABEL.mailWrapKey), KEY_BYTES);
}

/** crypto_box_seed_keypair: the per-reset key pair, a function of its 32-byte seed only. */
export function seedKeypair(seed: Uint8Array): KeyPair {
  const publicKey = Buffer.alloc(sodium.crypto_box_PUBLICKEYBYTES);
  const secretKey = sodium.sodium_malloc(sodium.crypto_box_SECRETKEYBYTES) as unknown as Buffer;
  sodium.crypto_box_seed_keypair(publicKey, secretKey, asBuf(seed));
  return { publicKey, secretKey };
}

export interface KeyPair {
  publicKey: Buffer;
  secretKey: Buffer;
}

export function boxKeypair(): KeyPair {
  const publicKey = Buffer.alloc(sodium.crypto_box_PUBLICKEYBYTES);
  const secretKey = Buffer.alloc(sodium.crypto_box_SECRETKEYBYTES);
  sodium.crypto_box_keypair(publicKey, secretKey);
  return { publicKey, secretKey };
}

export function publicKeyOf(secretKey: Uint8Array): Buffer {
  const pk = Buffer.alloc(KEY_BYTES);
  sodium.crypto_scalarmult_base(pk, asBuf(secretKey));
  return pk;
}

export function seal(message: Uint8Array, publicKey: Uint8Array): Buffer {
  const out = Buffer.alloc(message.length + sodium.crypto_box_SEALBYTES);
  sodium.crypto_box_seal(out, asBuf(message), asBuf(publicKey));
  return out;
}

export function sealOpen(box: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Buffer | null {
  workCounter.sealOpen++;
  if (box.length < sodium.crypto_box_SEALBYTES) return null;
  const out = Buffer.alloc(box.length - sodium.crypto_box_SEALBYTES);
  return sodium.crypto_box_seal_open(out, asBuf(box), asBuf(publicKey), asBuf(secretKey)) ? out : null;
}

/** nonce(24) ‖ XChaCha20-Poly1305(key, nonce, message, ad) */
export function aeadSeal(key: Uint8Array, message: Uint8Array, ad: Uint8Array): Buffer {
  workCounter.aeadSeal++;
  const nonce = randomBytes(NONCE_BYTES);
  const ct = Buffer.alloc(message.length + AEAD_ABYTES);
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(ct, asBuf(message), asBuf(ad), null, nonce, asBuf(key));
  return Buffer.concat([nonce, ct]);
}

export function aeadOpen(key: Uint8Array, blob: Uint8Array, ad: Uint8Array): Buffer | null {
  workCounter.aeadOpen++;
  if (blob.length < NONCE_BYTES + AEAD_ABYTES) return null;
  const b = asBuf(blob);
  const out = Buffer.alloc(b.length - NONCE_BYTES - AEAD_ABYTES);
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      out,
      null,
      b.subarray(NONCE_BYTES),
      asBuf(ad),
      b.subarray(0, NONCE_BYTES),
      asBuf(key),
    );
    return out;
  } catch {
    return null;
  }
}

export interface SlotRowBytes {
  ownerBox: Buffer;
  tokenBox: Buffer;
  tag: Buffer;
}

/**
 * A dummy slot: the owner box is uniformly random (real ones are AEAD output, also uniform), the token box is a
 * genuine sealed box to a throwaway key (random bytes would not always be a valid curve point), the tag is random.
 */
export function dummySlotRow(): SlotRowBytes {
  const throwaway = boxKeypair();
  const tokenBox = seal(randomBytes(TOKEN_PLAINTEXT_BYTES), throwaway.publicKey);
  sodium.sodium_memzero(throwaway.secretKey);
  return { ownerBox: randomBytes(OWNER_BOX_BYTES), tokenBox, tag: randomBytes(TAG_BYTES) };
}

export const SIZES = { OWNER_BOX_BYTES, TOKEN_BOX_BYTES, TAG_BYTES, OWNER_PLAINTEXT_BYTES, R_BYTES } as const;

export function wipe(b: Uint8Array): void {
  sodium.sodium_memzero(asBuf(b));
}
