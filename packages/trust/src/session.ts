// Keeping a logged-in user's key server-side between requests without the accounts database ever holding a
// usable key: the key is wrapped with a per-session key that lives only in the user's cookie.
import { aeadOpen, aeadSeal, publicKeyOf, randomBytes, equalBytes } from './crypto.ts';
import { TrustError } from './errors.ts';
import { FORMAT_VERSION, KEY_BYTES, SESSION_BLOB_BYTES, sessionAd } from './format.ts';
import type { UnlockedUser } from './types.ts';

export const SESSION_KEY_BYTES = KEY_BYTES;

/** 32 fresh random bytes for a new session (put them in the cookie, never in the database). */
export function newSessionKey(): Buffer {
  return randomBytes(SESSION_KEY_BYTES);
}

/**
 * blob = 0x01 ‖ nonce(24) ‖ XChaCha20-Poly1305(sessionKey, sk, AD = "peergroup-trust-session-v1" 0x00 ‖ user id(16)
 * ‖ epoch u32be ‖ sessionId utf8). 73 bytes. Store blob, userId, username and epoch in the session row.
 */
export function wrapUnlockedUser(user: UnlockedUser, sessionKey: Uint8Array, sessionId: string): Buffer {
  if (sessionKey.length !== SESSION_KEY_BYTES) throw new TypeError('session key must be 32 bytes');
  const sealed = aeadSeal(sessionKey, user.secretKey, sessionAd(user.userId, user.epoch, sessionId));
  return Buffer.concat([Buffer.from([FORMAT_VERSION]), sealed]);
}

/**
 * Reverses wrapUnlockedUser. Throws TrustError('invalid-session-blob') for a wrong key, a blob moved to another
 * session/user/epoch, or any corruption. Pass `expectedPublicKey` (from TrustStore) to also detect a stale epoch.
 */
export function unwrapUnlockedUser(
  blob: Uint8Array,
  sessionKey: Uint8Array,
  sessionId: string,
  who: { userId: string; username: string; epoch: number },
  expectedPublicKey?: Uint8Array,
): UnlockedUser {
  const bad = () => new TrustError('invalid-session-blob', 'session key material does not verify');
  if (blob.length !== SESSION_BLOB_BYTES || blob[0] !== FORMAT_VERSION || sessionKey.length !== SESSION_KEY_BYTES) throw bad();
  const sk = aeadOpen(sessionKey, blob.subarray(1), sessionAd(who.userId, who.epoch, sessionId));
  if (!sk) throw bad();
  const publicKey = publicKeyOf(sk);
  if (expectedPublicKey && !equalBytes(publicKey, expectedPublicKey)) throw bad();
  return { userId: who.userId, username: who.username, epoch: who.epoch, publicKey, secretKey: sk };
}
