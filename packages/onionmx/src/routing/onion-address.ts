import { createHash } from 'node:crypto';
import { base32Decode, base32Encode, Base32Error } from './base32.ts';

/**
 * Tor v3 onion addresses (rend-spec-v3 §6): base32(pubkey[32] | checksum[2] | version[1]) + ".onion",
 * checksum = SHA3-256(".onion checksum" | pubkey | version)[:2], version = 3.
 * Pure functions: no I/O, usable from map parsing, SRV filtering and the CLI alike.
 */

export const ONION_V3_VERSION = 3;
const V3_LABEL_LENGTH = 56;
const V2_LABEL_LENGTH = 16;
const CHECKSUM_PREFIX = Buffer.from('.onion checksum', 'ascii');

export type OnionRefusalCode =
  | 'empty'
  | 'not-onion'
  | 'v2'
  | 'bad-length'
  | 'bad-base32'
  | 'bad-checksum'
  | 'bad-version'
  | 'bad-subdomain';

export interface ParsedOnion {
  ok: true;
  /** Normalised hostname: lower case, no trailing dot, subdomain kept (`sub.<56>.onion`). */
  host: string;
  /** The service address without subdomain: `<56 chars>.onion`. */
  address: string;
  /** Labels in front of the address, joined with dots, or '' when there are none. */
  subdomain: string;
  publicKey: Uint8Array;
  version: number;
}

export interface OnionRefusal {
  ok: false;
  code: OnionRefusalCode;
  reason: string;
}

export type OnionParseResult = ParsedOnion | OnionRefusal;

export class OnionAddressError extends Error {
  override name = 'OnionAddressError';
  constructor(
    readonly code: OnionRefusalCode,
    message: string,
  ) {
    super(message);
  }
}

function checksum(publicKey: Uint8Array, version: number): Buffer {
  return createHash('sha3-256').update(CHECKSUM_PREFIX).update(publicKey).update(Uint8Array.of(version)).digest().subarray(0, 2);
}

/** The v3 onion address (`<56 chars>.onion`) of an ed25519 public key. */
export function onionFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new RangeError(`an ed25519 public key has 32 bytes, got ${publicKey.length}`);
  const bytes = Buffer.concat([publicKey, checksum(publicKey, ONION_V3_VERSION), Uint8Array.of(ONION_V3_VERSION)]);
  return `${base32Encode(bytes)}.onion`;
}

const refuse = (code: OnionRefusalCode, reason: string): OnionRefusal => ({ ok: false, code, reason });

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Validates a v3 onion hostname; never throws. Accepts `sub.<addr>.onion`, any case, a trailing dot. */
export function parseOnionAddress(input: string): OnionParseResult {
  let text = input.trim().toLowerCase();
  if (text.endsWith('.')) text = text.slice(0, -1);
  if (text === '') return refuse('empty', 'empty onion address');
  const labels = text.split('.');
  if (labels.length < 2 || labels[labels.length - 1] !== 'onion') {
    return refuse('not-onion', `"${input}" does not end in .onion`);
  }
  const label = labels[labels.length - 2]!;
  const sub = labels.slice(0, -2);
  if (label.length === V2_LABEL_LENGTH) {
    return refuse(
      'v2',
      `"${label}.onion" is a 16-character v2 onion address; v2 onion services no longer exist in Tor (removed in 0.4.6, 2021), ask the peer for its 56-character v3 address`,
    );
  }
  if (label.length !== V3_LABEL_LENGTH) {
    return refuse('bad-length', `onion label has ${label.length} characters; a v3 address has ${V3_LABEL_LENGTH}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = base32Decode(label);
  } catch (err) {
    if (err instanceof Base32Error) return refuse('bad-base32', `onion address is not valid base32: ${err.message}`);
    throw err;
  }
  const publicKey = bytes.subarray(0, 32);
  const sum = bytes.subarray(32, 34);
  const version = bytes[34]!;
  // Version first: with a foreign version the checksum is computed over that version, so report the real problem.
  if (version !== ONION_V3_VERSION) {
    return refuse('bad-version', `onion address has version byte ${version}; only version 3 exists`);
  }
  const expected = checksum(publicKey, version);
  if (sum[0] !== expected[0] || sum[1] !== expected[1]) {
    return refuse('bad-checksum', 'onion address checksum does not match (a typo, or a truncated/altered address)');
  }
  for (const s of sub) {
    if (!LABEL.test(s)) return refuse('bad-subdomain', `"${s}" is not a valid DNS label in front of the onion address`);
  }
  const address = `${label}.onion`;
  return {
    ok: true,
    host: [...sub, address].join('.'),
    address,
    subdomain: sub.join('.'),
    publicKey: Uint8Array.from(publicKey),
    version,
  };
}

/** Like parseOnionAddress, but throws OnionAddressError with the refusal reason. */
export function normaliseOnionAddress(input: string): string {
  const parsed = parseOnionAddress(input);
  if (!parsed.ok) throw new OnionAddressError(parsed.code, parsed.reason);
  return parsed.host;
}

export function isValidOnionAddress(input: string): boolean {
  return parseOnionAddress(input).ok;
}
