/**
 * RFC 4648 base32 (alphabet a–z, 2–7), unpadded, lower case: the encoding of Tor onion addresses.
 * Decoding is strict: trailing bits must be zero so every address has exactly one spelling.
 */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export class Base32Error extends Error {
  override name = 'Base32Error';
  constructor(
    message: string,
    /** Index of the offending character, when one is to blame. */
    readonly position?: number,
  ) {
    super(message);
  }
}

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes unpadded base32; upper case is accepted (callers normalise anyway). */
export function base32Decode(text: string): Uint8Array {
  const lower = text.toLowerCase();
  const out = new Uint8Array(Math.floor((lower.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < lower.length; i++) {
    const value = ALPHABET.indexOf(lower[i]!);
    if (value < 0) {
      throw new Base32Error(`character ${JSON.stringify(text[i])} at position ${i + 1} is not base32 (a-z, 2-7)`, i);
    }
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (buffer >>> bits) & 0xff;
    }
  }
  // Leftover bits can only be padding; a non-zero remainder means a second spelling of the same bytes.
  if (bits >= 5 || (buffer & ((1 << bits) - 1)) !== 0) {
    throw new Base32Error(`base32 text of length ${text.length} has non-zero trailing bits`);
  }
  return out;
}
