// Byte layouts of everything the trust store seals, tags or wraps (docs/trust-format.md is the normative text).
// Pure functions over bytes: no I/O, no keys, no randomness.

/** The version byte V inside slot, token and session structures (unchanged since format version 1). */
export const FORMAT_VERSION = 1;
/**
 * The version of docs/trust-format.md this code implements: 2 added the server-keyed user tag (§3.1), 4 readable
 * invite codes (§6), 6 the invite note and the inviter's used-invite log (§6).
 */
export const DOCUMENT_VERSION = 6;
/** Version byte of a version 3 token plaintext (it carries a mail-key share). */
export const TOKEN_VERSION_SHARE = 2;

export const USER_ID_BYTES = 16;
export const R_BYTES = 32;
export const TAG_BYTES = 32;
export const KEY_BYTES = 32;
export const NONCE_BYTES = 24; // XChaCha20-Poly1305
export const AEAD_ABYTES = 16;
export const SEAL_BYTES = 48; // crypto_box_SEALBYTES: ephemeral pk (32) + MAC (16)

/** [version u8][owner id 16][owner epoch u32be][slot generation u32be][slot u8][R 32] */
export const TOKEN_V1_PLAINTEXT_BYTES = 1 + USER_ID_BYTES + 4 + 4 + 1 + R_BYTES; // 58
export const TOKEN_V1_BOX_BYTES = TOKEN_V1_PLAINTEXT_BYTES + SEAL_BYTES; // 106
export const MAIL_KEY_BYTES = 32;
/** A Shamir share of the mail key as shamir-secret-sharing writes it: y(32) ‖ x(1); x = 0 marks a 1-of-n copy. */
export const SHARE_BYTES = MAIL_KEY_BYTES + 1; // 33
/** Format 3: [version u8 = 2][owner id 16][owner epoch u32be][slot generation u32be][slot u8][R 32][share 33] */
export const TOKEN_PLAINTEXT_BYTES = TOKEN_V1_PLAINTEXT_BYTES + SHARE_BYTES; // 91
export const TOKEN_BOX_BYTES = TOKEN_PLAINTEXT_BYTES + SEAL_BYTES; // 139
export const MAIL_BOX_BYTES = NONCE_BYTES + MAIL_KEY_BYTES + AEAD_ABYTES; // 72
/** [version u8 = 3][owner id 16][owner epoch u32be][slot generation u32be][slot u8][share 33] */
export const HELD_SHARE_PLAINTEXT_BYTES = 1 + USER_ID_BYTES + 4 + 4 + 1 + SHARE_BYTES; // 59
export const HELD_SHARE_BOX_BYTES = HELD_SHARE_PLAINTEXT_BYTES + SEAL_BYTES; // 107
/** [version u8][trustee id 16] */
export const OWNER_PLAINTEXT_BYTES = 1 + USER_ID_BYTES; // 17
export const OWNER_BOX_BYTES = NONCE_BYTES + OWNER_PLAINTEXT_BYTES + AEAD_ABYTES; // 57
export const WRAPPED_SK_BYTES = NONCE_BYTES + KEY_BYTES + AEAD_ABYTES; // 72
export const SESSION_BLOB_BYTES = 1 + NONCE_BYTES + KEY_BYTES + AEAD_ABYTES; // 73

// Domain-separation labels. Each is followed by a 0x00 byte wherever it prefixes a message.
export const LABEL = {
  subkey: 'peergroup-trust-subkey-v1',
  token: 'peergroup-trust-token-v1',
  owner: 'peergroup-trust-owner-v1',
  ownerKey: 'peergroup-trust-owner-key-v1',
  pk: 'peergroup-trust-pk-v1',
  sk: 'peergroup-trust-sk-v1',
  session: 'peergroup-trust-session-v1',
  invite: 'peergroup-trust-invite-v1',
  readableInvite: 'peergroup-trust-invite-v4',
  resetCode: 'peergroup-trust-reset-code-v1',
  user: 'peergroup-trust-user-v2',
  formatMarker: 'peergroup-trust-format-v2',
  tokenShare: 'peergroup-trust-token-v3',
  mailKey: 'peergroup-trust-mail-key-v3',
  mailWrapKey: 'peergroup-trust-mail-wrap-key-v3',
  mailCheck: 'peergroup-trust-mail-check-v3',
  resetKey: 'peergroup-trust-reset-key-v3',
  recovery: 'peergroup-trust-recovery-v3',
  recoveryKey: 'peergroup-trust-recovery-key-v3',
  resetTrusteeKey: 'peergroup-trust-reset-trustee-key-v5',
  resetTrustee: 'peergroup-trust-reset-trustee-v5',
} as const;

export type SubkeyPurpose = 'token-tag' | 'pk-tag' | 'invite-code' | 'reset-code' | 'user-tag' | 'reset-key' | 'recovery';

const USER_ID_RE = /^[0-9a-f]{32}$/;

export function isUserId(s: string): boolean {
  return USER_ID_RE.test(s);
}

/** User ids are 16 random bytes, stored and shown as 32 lowercase hex characters. */
export function userIdBytes(id: string): Buffer {
  if (!USER_ID_RE.test(id)) throw new TypeError('malformed user id');
  return Buffer.from(id, 'hex');
}

function u32(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`u32 out of range: ${n}`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function u8(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new RangeError(`u8 out of range: ${n}`);
  return Buffer.from([n]);
}

function u64(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`u64 out of range: ${n}`);
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** NULL-able u64: u8(0) ‖ u64(0) for NULL, u8(1) ‖ u64(n) otherwise (fixed length either way). */
function opt64(n: number | null): Buffer {
  return n === null ? Buffer.alloc(9) : Buffer.concat([u8(1), u64(n)]);
}

export function labelled(label: string, ...parts: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from(label, 'ascii'), Buffer.from([0]), ...parts]);
}

export interface TokenContext {
  ownerId: string;
  ownerEpoch: number;
  slotGen: number;
  slot: number;
}

/** A version 3 token plaintext (V = 2) carrying the owner's mail-key share for this slot. */
export function encodeShareToken(ctx: TokenContext, r: Uint8Array, share: Uint8Array): Buffer {
  if (r.length !== R_BYTES) throw new RangeError('R must be 32 bytes');
  if (share.length !== SHARE_BYTES) throw new RangeError('share must be 33 bytes');
  return Buffer.concat([
    u8(TOKEN_VERSION_SHARE),
    userIdBytes(ctx.ownerId),
    u32(ctx.ownerEpoch),
    u32(ctx.slotGen),
    u8(ctx.slot),
    Buffer.from(r),
    Buffer.from(share),
  ]);
}

/** A version 1 token plaintext (no share): written before format 3, still read until the owner's next rewrite. */
export function encodeToken(ctx: TokenContext, r: Uint8Array): Buffer {
  if (r.length !== R_BYTES) throw new RangeError('R must be 32 bytes');
  return Buffer.concat([u8(FORMAT_VERSION), userIdBytes(ctx.ownerId), u32(ctx.ownerEpoch), u32(ctx.slotGen), u8(ctx.slot), Buffer.from(r)]);
}

export interface DecodedToken extends TokenContext {
  version: number;
  r: Buffer;
  /** The mail-key share (version 2 tokens), null in a version 1 token. */
  share: Buffer | null;
}

/** Null for anything that is not exactly a v1 (58 bytes) or v2 (91 bytes) token plaintext. */
export function decodeToken(b: Uint8Array): DecodedToken | null {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const v1 = b.length === TOKEN_V1_PLAINTEXT_BYTES && buf.readUInt8(0) === FORMAT_VERSION;
  const v2 = b.length === TOKEN_PLAINTEXT_BYTES && buf.readUInt8(0) === TOKEN_VERSION_SHARE;
  if (!v1 && !v2) return null;
  return {
    version: buf.readUInt8(0),
    ownerId: buf.subarray(1, 17).toString('hex'),
    ownerEpoch: buf.readUInt32BE(17),
    slotGen: buf.readUInt32BE(21),
    slot: buf.readUInt8(25),
    r: Buffer.from(buf.subarray(26, 58)),
    share: v2 ? Buffer.from(buf.subarray(58, 91)) : null,
  };
}

/** The keyed-hash input for a token's tag: its version's label, then exactly the token plaintext. */
export function tokenTagInput(ctx: TokenContext, r: Uint8Array, share: Uint8Array | null = null): Buffer {
  return share === null ? labelled(LABEL.token, encodeToken(ctx, r)) : labelled(LABEL.tokenShare, encodeShareToken(ctx, r, share));
}

/** AD of the mail key's wrap under the owner's secret key (format 3). */
export function mailKeyAd(userId: string, epoch: number): Buffer {
  return labelled(LABEL.mailKey, userIdBytes(userId), u32(epoch));
}

/** Keyed-hash input of the mail-key check value (the hash is keyed with the mail key itself). */
export function mailCheckInput(userId: string): Buffer {
  return labelled(LABEL.mailCheck, userIdBytes(userId));
}

/** A confirmed share as held for the owner between confirmation and completion (sealed to the reset key). */
export function encodeHeldShare(ctx: TokenContext, share: Uint8Array): Buffer {
  if (share.length !== SHARE_BYTES) throw new RangeError('share must be 33 bytes');
  return Buffer.concat([u8(3), userIdBytes(ctx.ownerId), u32(ctx.ownerEpoch), u32(ctx.slotGen), u8(ctx.slot), Buffer.from(share)]);
}

export function decodeHeldShare(b: Uint8Array): (TokenContext & { share: Buffer }) | null {
  if (b.length !== HELD_SHARE_PLAINTEXT_BYTES || b[0] !== 3) return null;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return {
    ownerId: buf.subarray(1, 17).toString('hex'),
    ownerEpoch: buf.readUInt32BE(17),
    slotGen: buf.readUInt32BE(21),
    slot: buf.readUInt8(25),
    share: Buffer.from(buf.subarray(26, 59)),
  };
}

/** AD of the mail key's wrap under the recovery code. */
export function recoveryAd(userId: string): Buffer {
  return labelled(LABEL.recovery, userIdBytes(userId));
}

/** Input of the recovery-code key: H(K_recovery, this) with the Argon2id output of the code. */
export function recoveryKeyInput(userId: string, stretched: Uint8Array): Buffer {
  if (stretched.length !== KEY_BYTES) throw new RangeError('stretched code must be 32 bytes');
  return labelled(LABEL.recoveryKey, userIdBytes(userId), Buffer.from(stretched));
}

/** Input of the reset-key seed: H(K_reset-key, this ‖ Argon2id(mail code)) seeds crypto_box_seed_keypair. */
export function resetKeyInput(userId: string, epoch: number, createdAt: number, stretched: Uint8Array): Buffer {
  if (stretched.length !== KEY_BYTES) throw new RangeError('stretched code must be 32 bytes');
  return labelled(LABEL.resetKey, userIdBytes(userId), u32(epoch), u64(createdAt), Buffer.from(stretched));
}

export function ownerPlaintext(trusteeId: string): Buffer {
  return Buffer.concat([u8(FORMAT_VERSION), userIdBytes(trusteeId)]);
}

export function decodeOwnerPlaintext(b: Uint8Array): string | null {
  if (b.length !== OWNER_PLAINTEXT_BYTES || b[0] !== FORMAT_VERSION) return null;
  return Buffer.from(b.subarray(1)).toString('hex');
}

export function ownerAd(ownerId: string, epoch: number, slotGen: number, slot: number): Buffer {
  return labelled(LABEL.owner, userIdBytes(ownerId), u32(epoch), u32(slotGen), u8(slot));
}

export function pkTagInput(userId: string, epoch: number, publicKey: Uint8Array): Buffer {
  if (publicKey.length !== KEY_BYTES) throw new RangeError('public key must be 32 bytes');
  return labelled(LABEL.pk, userIdBytes(userId), u32(epoch), Buffer.from(publicKey));
}

/** What the user tag covers (docs/trust-format.md §3.1). */
export interface UserTagFields {
  userId: string;
  epoch: number;
  slotGen: number;
  publicKey: Uint8Array;
  pwAlg: number;
  pwOpslimit: number;
  pwMemlimit: number;
  pwSalt: Uint8Array;
  wrappedSk: Uint8Array;
  threshold: number;
  waitSeconds: number;
  reset: {
    state: 'collecting' | 'armed' | 'vetoed';
    createdAt: number;
    armedAt: number | null;
    effectiveAt: number | null;
    vetoedAt: number | null;
  } | null;
  /** Confirmed slot numbers (any order; encoded ascending, without duplicates). */
  confirmations: number[];
  code: { codeHash: Uint8Array; expiresAt: number } | null;
}

const RESET_STATE_CODE = { collecting: 1, armed: 2, vetoed: 3 } as const;

/** The keyed-hash input of the user tag. Throws RangeError on values out of range (callers validate first). */
export function userTagInput(f: UserTagFields): Buffer {
  const fixed = (b: Uint8Array, n: number, what: string) => {
    if (b.length !== n) throw new RangeError(`${what} must be ${n} bytes`);
    return Buffer.from(b);
  };
  const slots = [...new Set(f.confirmations)].sort((a, b) => a - b);
  if (slots.length > 0xff) throw new RangeError('too many confirmations');
  const reset =
    f.reset === null
      ? u8(0)
      : Buffer.concat([
          u8(RESET_STATE_CODE[f.reset.state]),
          u64(f.reset.createdAt),
          opt64(f.reset.armedAt),
          opt64(f.reset.effectiveAt),
          opt64(f.reset.vetoedAt),
        ]);
  const code = f.code === null ? u8(0) : Buffer.concat([u8(1), fixed(f.code.codeHash, TAG_BYTES, 'code hash'), u64(f.code.expiresAt)]);
  return labelled(
    LABEL.user,
    userIdBytes(f.userId),
    u32(f.epoch),
    u32(f.slotGen),
    fixed(f.publicKey, KEY_BYTES, 'public key'),
    u8(f.pwAlg),
    u32(f.pwOpslimit),
    u64(f.pwMemlimit),
    fixed(f.pwSalt, 16, 'salt'),
    fixed(f.wrappedSk, WRAPPED_SK_BYTES, 'wrapped key'),
    u8(f.threshold),
    u32(f.waitSeconds),
    reset,
    u8(slots.length),
    Buffer.from(
      slots.map((s) => {
        u8(s);
        return s;
      }),
    ),
    code,
  );
}

/** Length of a user-tag input with no reset row, confirmation or code (what a decoy hashes). */
export const USER_TAG_INPUT_BYTES = LABEL.user.length + 1 + 16 + 4 + 4 + 32 + 1 + 4 + 8 + 16 + 72 + 1 + 4 + 1 + 1 + 1;

export function formatMarkerInput(): Buffer {
  return labelled(LABEL.formatMarker);
}

export function skAd(userId: string, epoch: number): Buffer {
  return labelled(LABEL.sk, userIdBytes(userId), u32(epoch));
}

export function sessionAd(userId: string, epoch: number, sessionId: string): Buffer {
  return labelled(LABEL.session, userIdBytes(userId), u32(epoch), Buffer.from(sessionId, 'utf8'));
}

export function subkeyInput(purpose: SubkeyPurpose): Buffer {
  return labelled(LABEL.subkey, Buffer.from(purpose, 'ascii'));
}

export function inviteHashInput(code: string): Buffer {
  return labelled(LABEL.invite, Buffer.from(code, 'ascii'));
}

export function resetCodeHashInput(userId: string, epoch: number, code: string): Buffer {
  return labelled(LABEL.resetCode, userIdBytes(userId), u32(epoch), Buffer.from(code, 'ascii'));
}

/** Format 5: the key of the box naming the trustee who obtained the code — derivable only from the code itself. */
export function resetTrusteeKeyInput(userId: string, epoch: number, code: string): Buffer {
  return labelled(LABEL.resetTrusteeKey, userIdBytes(userId), u32(epoch), Buffer.from(code, 'ascii'));
}

export function resetTrusteeAd(userId: string, epoch: number): Buffer {
  return labelled(LABEL.resetTrustee, userIdBytes(userId), u32(epoch));
}

/** AEAD of a 16-byte user id: nonce 24 ‖ ciphertext 16 ‖ mac 16. */
export const TRUSTEE_BOX_BYTES = 56;

// Reset codes and format 4 invite codes are read aloud or copied by hand: Crockford base32, grouped by 4.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `symbols` Crockford symbols from the first 5 × symbols bits of `bytes`, grouped by 4 with '-'. */
function crockfordCode(bytes: Uint8Array, symbols: number): string {
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  bits >>= BigInt(bytes.length * 8 - symbols * 5);
  let out = '';
  for (let i = symbols - 1; i >= 0; i--) out += CROCKFORD[Number((bits >> BigInt(i * 5)) & 31n)];
  return out.replace(/.{4}(?=.)/g, '$&-');
}

/** Canonical form for hashing: upper case, no separators/spaces, I/L→1 and O→0 as Crockford prescribes. */
function normalizeCrockford(input: string, symbols: number): string | null {
  const s = input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (s.length !== symbols) return null;
  for (const ch of s) if (!CROCKFORD.includes(ch)) return null;
  return s;
}

/** Reset codes: 16 symbols (80 bits) from 10 random bytes. */
export function formatResetCode(random10: Uint8Array): string {
  if (random10.length !== 10) throw new RangeError('reset code needs 10 random bytes');
  return crockfordCode(random10, 16);
}

export function normalizeResetCode(input: string): string | null {
  return normalizeCrockford(input, 16);
}

const INVITE_RE = /^pgi_[A-Za-z0-9_-]{32}$/;

/** Format 1–3 invite codes: "pgi_" + base64url of 24 random bytes. Still redeemable; no longer issued. */
export function formatInviteCode(random24: Uint8Array): string {
  if (random24.length !== 24) throw new RangeError('invite code needs 24 random bytes');
  return `pgi_${Buffer.from(random24).toString('base64url')}`;
}

export function isInviteCode(s: string): boolean {
  return INVITE_RE.test(s);
}

/** Symbols of a format 4 invite code: 100 random bits, read out or typed by hand like a reset code. */
export const INVITE_SYMBOLS = 20;

/** Format 4 invite codes: 20 Crockford base32 symbols from 13 random bytes (their first 100 bits), grouped by 4. */
export function formatReadableInviteCode(random13: Uint8Array): string {
  if (random13.length !== 13) throw new RangeError('invite code needs 13 random bytes');
  return crockfordCode(random13, INVITE_SYMBOLS);
}

/** Canonical form of a format 4 invite code (as for reset codes), or null when the input is none. */
export function normalizeReadableInviteCode(input: string): string | null {
  return normalizeCrockford(input, INVITE_SYMBOLS);
}

// Format 6: the inviter's note on an invite and the log of their used invites, sealed to the inviter's public key
// (docs/trust-format.md §6). Fixed sizes, so a reader without the key learns no note's length or presence.
export const INVITE_LOG_VERSION = 6;
/** A note is at most this many UTF-8 bytes (the form allows 60 characters). */
export const INVITE_NOTE_BYTES = 120;
/** [version u8 = 6][length u8][UTF-8 note, zero-padded to 120] */
export const INVITE_NOTE_PLAINTEXT_BYTES = 2 + INVITE_NOTE_BYTES; // 122
export const INVITE_NOTE_BOX_BYTES = INVITE_NOTE_PLAINTEXT_BYTES + SEAL_BYTES; // 170
/** [version u8 = 6][created_at u64be][used_at u64be][note box 170, all zero for an invite without one] */
export const INVITE_USED_PLAINTEXT_BYTES = 1 + 8 + 8 + INVITE_NOTE_BOX_BYTES; // 187
export const INVITE_USED_BOX_BYTES = INVITE_USED_PLAINTEXT_BYTES + SEAL_BYTES; // 235

/** The note cut to at most INVITE_NOTE_BYTES of UTF-8 at a character boundary, white space trimmed. */
export function fitInviteNote(note: string): string {
  let s = note.normalize('NFC').trim();
  while (Buffer.byteLength(s, 'utf8') > INVITE_NOTE_BYTES) s = [...s].slice(0, -1).join('');
  return s;
}

export function encodeInviteNote(note: string): Buffer {
  const text = Buffer.from(fitInviteNote(note), 'utf8');
  const out = Buffer.alloc(INVITE_NOTE_PLAINTEXT_BYTES);
  out.writeUInt8(INVITE_LOG_VERSION, 0);
  out.writeUInt8(text.length, 1);
  text.copy(out, 2);
  return out;
}

/** Null for anything but a version 6 note plaintext with zero padding. */
export function decodeInviteNote(b: Uint8Array): string | null {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length !== INVITE_NOTE_PLAINTEXT_BYTES || buf[0] !== INVITE_LOG_VERSION) return null;
  const len = buf.readUInt8(1);
  if (len > INVITE_NOTE_BYTES || buf.subarray(2 + len).some((x) => x !== 0)) return null;
  return buf.subarray(2, 2 + len).toString('utf8');
}

export function encodeInviteUsed(createdAt: number, usedAt: number, noteBox: Uint8Array | null): Buffer {
  if (noteBox && noteBox.length !== INVITE_NOTE_BOX_BYTES) throw new RangeError('note box must be 170 bytes');
  return Buffer.concat([
    u8(INVITE_LOG_VERSION),
    u64(createdAt),
    u64(usedAt),
    noteBox ? Buffer.from(noteBox) : Buffer.alloc(INVITE_NOTE_BOX_BYTES),
  ]);
}

export function decodeInviteUsed(b: Uint8Array): { createdAt: number; usedAt: number; noteBox: Buffer | null } | null {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length !== INVITE_USED_PLAINTEXT_BYTES || buf[0] !== INVITE_LOG_VERSION) return null;
  const box = Buffer.from(buf.subarray(17));
  return {
    createdAt: Number(buf.readBigUInt64BE(1)),
    usedAt: Number(buf.readBigUInt64BE(9)),
    noteBox: box.some((x) => x !== 0) ? box : null,
  };
}

/** What an invite code's hash covers: a legacy "pgi_" code as it is, a format 4 code in its canonical form. */
export function inviteCodeHashInput(input: string): Buffer | null {
  const s = input.trim();
  if (isInviteCode(s)) return inviteHashInput(s);
  const canonical = normalizeReadableInviteCode(s);
  return canonical ? labelled(LABEL.readableInvite, Buffer.from(canonical, 'ascii')) : null;
}

const USERNAME_RE = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

/** Usernames are mail local parts: lower-cased, 1–64 of [a-z0-9._-], starting and ending alphanumeric. */
export function normalizeUsername(input: string): string | null {
  const s = input.trim().toLowerCase();
  return USERNAME_RE.test(s) ? s : null;
}
