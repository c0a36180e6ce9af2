// Validation of every value read back from the database. A database writer can store anything (a 31-byte key, an
// epoch of −1 or 1.5, text in an integer column): such a row is *tampered*, and reads as unusable — it must never
// reach a byte encoder (which would throw) or Argon2id (a huge cost parameter is a denial of service).
// docs/trust-format.md §3/§4 give the ranges checked here.
import sodium from 'sodium-native';
import type { TrustSlotTable, TrustUserTable } from './db.ts';
import { isUserId, KEY_BYTES, normalizeUsername, TAG_BYTES, WRAPPED_SK_BYTES } from './format.ts';
import type { PwhashParams } from './crypto.ts';

export const U32_MAX = 0xffffffff;
/** Largest slot number a row may carry (slots are one byte in every encoding). */
export const SLOT_MAX = 0xff;
export const MAX_SLOTS = 64;
export const MAX_WAIT_SECONDS = 365 * 86400;
const SALT_BYTES = sodium.crypto_pwhash_SALTBYTES;

/** A non-negative integer in [min, max], or null. Accepts numbers only (what both drivers return for integers). */
export function intIn(v: unknown, min: number, max: number): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? v : null;
}

/** A Buffer of exactly `len` bytes (any length when len is undefined), or null. */
export function bytesOf(v: unknown, len?: number): Buffer | null {
  if (!Buffer.isBuffer(v)) return null;
  return len === undefined || v.length === len ? v : null;
}

/**
 * The Argon2id parameters a stored row may carry: at least libsodium's minimum and at most the larger of the
 * configured cost and SENSITIVE. Anything else is a tampered row, never handed to crypto_pwhash.
 */
export function pwhashCeiling(configured: PwhashParams): PwhashParams {
  return {
    opslimit: Math.max(configured.opslimit, sodium.crypto_pwhash_OPSLIMIT_SENSITIVE),
    memlimit: Math.max(configured.memlimit, sodium.crypto_pwhash_MEMLIMIT_SENSITIVE),
  };
}

/** A trust_user row with every value checked for type, length and range; null if any value is off. */
export function parseUserRow(raw: unknown, ceiling: PwhashParams): TrustUserTable | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  const id = typeof r.id === 'string' && isUserId(r.id) ? r.id : null;
  const username = typeof r.username === 'string' && normalizeUsername(r.username) === r.username ? r.username : null;
  const isAdmin = intIn(r.is_admin, 0, 1);
  const disabled = intIn(r.disabled, 0, 1);
  const epoch = intIn(r.epoch, 1, U32_MAX);
  const slotGen = intIn(r.slot_gen, 1, U32_MAX);
  const publicKey = bytesOf(r.public_key, KEY_BYTES);
  const pkTag = bytesOf(r.pk_tag, TAG_BYTES);
  const wrapped = bytesOf(r.wrapped_sk, WRAPPED_SK_BYTES);
  const salt = bytesOf(r.pw_salt, SALT_BYTES);
  const ops = intIn(r.pw_opslimit, sodium.crypto_pwhash_OPSLIMIT_MIN, ceiling.opslimit);
  const mem = intIn(r.pw_memlimit, sodium.crypto_pwhash_MEMLIMIT_MIN, ceiling.memlimit);
  const alg = r.pw_alg === sodium.crypto_pwhash_ALG_ARGON2ID13 ? sodium.crypto_pwhash_ALG_ARGON2ID13 : null;
  const threshold = intIn(r.threshold, 1, MAX_SLOTS);
  const wait = intIn(r.wait_seconds, 0, MAX_WAIT_SECONDS);
  if (
    id === null ||
    username === null ||
    isAdmin === null ||
    disabled === null ||
    epoch === null ||
    slotGen === null ||
    !publicKey ||
    !pkTag ||
    !wrapped ||
    !salt ||
    ops === null ||
    mem === null ||
    alg === null ||
    threshold === null ||
    wait === null
  ) {
    return null;
  }
  return {
    id,
    username,
    is_admin: isAdmin,
    disabled,
    epoch,
    slot_gen: slotGen,
    public_key: publicKey,
    pk_tag: pkTag,
    wrapped_sk: wrapped,
    pw_salt: salt,
    pw_opslimit: ops,
    pw_memlimit: mem,
    pw_alg: alg,
    threshold,
    wait_seconds: wait,
    // Anything but 32 bytes is no tag: the row then fails its check (binding.ts) rather than reading as malformed.
    user_tag: bytesOf(r.user_tag, TAG_BYTES),
  };
}

export interface KeyRow {
  id: string;
  epoch: number;
  public_key: Buffer;
  pk_tag: Buffer;
}

/** The columns a sealer needs from a trustee's row (id, epoch, public key, its tag), checked. */
export function parseKeyRow(raw: unknown): KeyRow | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  const id = typeof r.id === 'string' && isUserId(r.id) ? r.id : null;
  const epoch = intIn(r.epoch, 1, U32_MAX);
  const publicKey = bytesOf(r.public_key, KEY_BYTES);
  const pkTag = bytesOf(r.pk_tag, TAG_BYTES);
  return id !== null && epoch !== null && publicKey && pkTag ? { id, epoch, public_key: publicKey, pk_tag: pkTag } : null;
}

/** Slot rows with a slot number outside 0..255 or a non-blob box are dropped: they read as dummies. */
export function parseSlotRows<T extends Partial<TrustSlotTable>>(rows: T[]): T[] {
  const out: T[] = [];
  for (const r of rows) {
    const slot = intIn(r.slot, 0, SLOT_MAX);
    if (slot === null) continue;
    if ('owner_box' in r && !bytesOf(r.owner_box)) continue;
    if ('token_box' in r && !bytesOf(r.token_box)) continue;
    if ('tag' in r && !bytesOf(r.tag)) continue;
    out.push({ ...r, slot });
  }
  return out;
}
