import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Verification of minisign signatures (https://jedisct1.github.io/minisign/, "Signature format"), with Node's own
 * crypto (OpenSSL's Ed25519 and BLAKE2b-512): no native addon and no npm package, whose choice docs/onionmx-map-format.md
 * argues. Both algorithms are accepted, as `minisign -V` does: `ED` (the default since minisign 0.8: Ed25519 over the
 * BLAKE2b-512 of the file) and the older `Ed` (Ed25519 over the file itself). The trusted comment is signed too
 * (global signature over signature ‖ comment), so a timestamp in it can be relied on.
 */

export class MinisignError extends Error {
  override name = 'MinisignError';
}

export interface MinisignPublicKey {
  /** 8 bytes, as minisign prints it (hex, upper case, little-endian number). */
  keyId: Buffer;
  key: KeyObject;
}

export interface VerifiedSignature {
  trustedComment: string;
  algorithm: 'ED' | 'Ed';
  keyIdHex: string;
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function b64(text: string, what: string, length: number): Buffer {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t)) throw new MinisignError(`${what} is not base64`);
  const buf = Buffer.from(t, 'base64');
  if (buf.length !== length) throw new MinisignError(`${what} has ${buf.length} bytes, expected ${length}`);
  return buf;
}

export function keyIdHex(keyId: Buffer): string {
  return Buffer.from(keyId).reverse().toString('hex').toUpperCase();
}

/** A public key as `minisign -G` writes it: the base64 line alone (`RWQ…`) or the whole .pub file with its comment. */
export function parsePublicKey(text: string): MinisignPublicKey {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('untrusted comment:'));
  if (lines.length !== 1) throw new MinisignError('a minisign public key is one base64 line (RWQ…)');
  const raw = b64(lines[0]!, 'the public key', 42);
  if (raw.subarray(0, 2).toString('latin1') !== 'Ed')
    throw new MinisignError('the public key is not an Ed25519 minisign key (no "Ed" prefix)');
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw.subarray(10)]), format: 'der', type: 'spki' });
  return { keyId: raw.subarray(2, 10), key };
}

/** Checks `signatureText` (a .minisig file) over `data` with `pub`; throws MinisignError saying what is wrong. */
export function verifyMinisign(data: Buffer, signatureText: string, pub: MinisignPublicKey): VerifiedSignature {
  const lines = signatureText.split(/\r?\n/);
  if (lines.length < 4 || !lines[0]!.startsWith('untrusted comment:'))
    throw new MinisignError('not a minisign signature (no "untrusted comment:" line)');
  const sigLine = b64(lines[1]!, 'the signature line', 74);
  const tc = lines[2]!;
  if (!tc.startsWith('trusted comment: ')) throw new MinisignError('the signature has no "trusted comment:" line');
  const trustedComment = tc.slice('trusted comment: '.length);
  const global = b64(lines[3]!, 'the global signature', 64);
  const algorithm = sigLine.subarray(0, 2).toString('latin1');
  if (algorithm !== 'ED' && algorithm !== 'Ed') throw new MinisignError(`unknown signature algorithm "${algorithm}"`);
  const keyId = sigLine.subarray(2, 10);
  if (!keyId.equals(pub.keyId))
    throw new MinisignError(`signed with key ${keyIdHex(keyId)}, not with the pinned key ${keyIdHex(pub.keyId)}`);
  const signature = sigLine.subarray(10);
  const signed = algorithm === 'ED' ? createHash('blake2b512').update(data).digest() : data;
  if (!verify(null, signed, pub.key, signature)) throw new MinisignError('the signature does not match the data');
  if (!verify(null, Buffer.concat([signature, Buffer.from(trustedComment, 'utf8')]), pub.key, global)) {
    throw new MinisignError('the trusted comment has been altered (global signature does not match)');
  }
  return { trustedComment, algorithm, keyIdHex: keyIdHex(keyId) };
}

/** `timestamp:N` from a trusted comment as minisign writes it, in seconds; undefined without one. */
export function signedTimestamp(trustedComment: string): number | undefined {
  const m = /(?:^|\s)timestamp:(\d+)(?:\s|$)/.exec(trustedComment);
  return m ? Number(m[1]) : undefined;
}
