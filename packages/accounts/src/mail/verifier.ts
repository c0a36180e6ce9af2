// What mail logins are checked against. The web login unwraps the user's key with Argon2id at 64 MiB; a mail client
// logs in far more often (every IMAP connection, every SMTP submission), so the main password also gets a separate,
// cheaper Argon2id verifier (libsodium's `$argon2id$…` string, which Dovecot's {ARGON2ID} scheme reads too), written
// whenever the password is set. App passwords are random 120-bit secrets: guessing one is hopeless at any hash
// speed, so a keyed hash (HMAC-SHA-256 under a server subkey) is enough and costs microseconds.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import sodium from 'sodium-native';

export interface VerifierCost {
  opslimit: number;
  memlimit: number;
}

/** `$argon2id$v=19$m=…,t=…,p=1$salt$hash` — computed on libuv's thread pool, never on the event loop. */
export function makeVerifier(password: string, cost: VerifierCost): Promise<string> {
  const out = Buffer.alloc(sodium.crypto_pwhash_STRBYTES);
  return new Promise((resolve, reject) => {
    sodium.crypto_pwhash_str_async(out, Buffer.from(password, 'utf8'), cost.opslimit, cost.memlimit, (err: Error | null) => {
      if (err) return reject(err);
      resolve(out.toString('utf8').replace(/\0+$/, ''));
    });
  });
}

/** True when `password` matches; on the thread pool like makeVerifier. A malformed verifier is a mismatch. */
export function checkVerifier(verifier: string, password: string): Promise<boolean> {
  if (!verifier.startsWith('$argon2id$')) return Promise.resolve(false);
  const str = Buffer.alloc(sodium.crypto_pwhash_STRBYTES);
  str.write(verifier, 'utf8');
  return new Promise((resolve) => {
    sodium.crypto_pwhash_str_verify_async(str, Buffer.from(password, 'utf8'), (err: Error | null, ok?: boolean) =>
      resolve(!err && ok === true),
    );
  });
}

/** Whether a verifier was made at another cost than the configured one (it is rewritten at the next web login). */
export function verifierOutdated(verifier: string, cost: VerifierCost): boolean {
  const str = Buffer.alloc(sodium.crypto_pwhash_STRBYTES);
  str.write(verifier, 'utf8');
  return sodium.crypto_pwhash_str_needs_rehash(str, cost.opslimit, cost.memlimit);
}

// Unambiguous letters and digits (no 0/o, 1/l/i), in groups of four: easy to type into a phone once.
const APP_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
export const APP_PASSWORD_GROUPS = 6;

/** 24 characters from a 31-letter alphabet: 118 bits. */
export function newAppPassword(): string {
  const bytes = randomBytes(APP_PASSWORD_GROUPS * 4 * 2);
  let s = '';
  for (let i = 0; s.length < APP_PASSWORD_GROUPS * 4 && i < bytes.length; i++) {
    // Rejection sampling keeps every letter equally likely.
    if (bytes[i]! < 248) s += APP_ALPHABET[bytes[i]! % 31];
  }
  if (s.length < APP_PASSWORD_GROUPS * 4) return newAppPassword();
  return s.match(/.{4}/g)!.join('-');
}

/** What users type may lack the dashes or be in upper case; an app password is compared in its canonical form. */
export function canonicalAppPassword(input: string): string | undefined {
  const bare = input.toLowerCase().replace(/[-\s]/g, '');
  if (bare.length !== APP_PASSWORD_GROUPS * 4 || ![...bare].every((ch) => APP_ALPHABET.includes(ch))) return undefined;
  return bare;
}

/** The stored form: bound to the user id so a hash cannot be moved to another account's row. */
export function appPasswordHash(key: Buffer, userId: string, canonical: string): Buffer {
  return createHmac('sha256', key).update(userId).update('\0').update(canonical).digest();
}

export function hashesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
