import sodium from 'sodium-native';

/** Random token as base64url (cookies, session ids). */
export function randomToken(bytes = 32): string {
  const b = Buffer.alloc(bytes);
  sodium.randombytes_buf(b);
  return b.toString('base64url');
}

/** Keyed BLAKE2b-256 of the parts (length-prefixed so part boundaries cannot shift). */
export function keyedHash(key: Buffer, ...parts: (string | Buffer)[]): Buffer {
  const out = Buffer.alloc(32);
  const bufs: Buffer[] = [];
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    bufs.push(len, b);
  }
  sodium.crypto_generichash_batch(out, bufs, key);
  return out;
}

/** Constant-time comparison of two base64url strings (false for different lengths). */
export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  if (x.length !== y.length || x.length === 0) return false;
  return sodium.sodium_memcmp(x, y);
}

/** Derives a purpose-specific 32-byte key from the server secret so one secret never serves two purposes. */
export function subkey(secret: Buffer, purpose: string): Buffer {
  return keyedHash(
    secret.length >= 16 && secret.length <= 64 ? secret : keyedHash(Buffer.alloc(32), secret),
    'peergroup-accounts/v1',
    purpose,
  );
}

/**
 * CSRF token bound to a session (or, before login, to a random pre-session cookie): a keyed hash, so the server
 * needs no storage and a token from one session is useless in another.
 */
export function csrfToken(key: Buffer, binding: string): string {
  return keyedHash(key, 'csrf', binding).toString('base64url');
}
