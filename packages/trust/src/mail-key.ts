// The mail key (docs/trust-format.md §4.1, format 3): 32 random bytes per user that will wrap the mail_crypt private
// key, wrapped under a key derived from the user's X25519 secret key (itself wrapped under the password), split
// k-of-n into the user's trust tokens, and restored at a completed reset from the shares the trustees confirmed.
import { combine, split } from 'shamir-secret-sharing';
import {
  aeadOpen,
  aeadSeal,
  deriveMailWrapKey,
  equalBytes,
  keyedHash,
  pwhash,
  randomBytes,
  seal,
  sealOpen,
  seedKeypair,
  wipe,
  type PwhashParams,
} from './crypto.ts';
import { bytesOf } from './rows.ts';
import {
  decodeHeldShare,
  encodeHeldShare,
  formatResetCode,
  HELD_SHARE_BOX_BYTES,
  MAIL_BOX_BYTES,
  MAIL_KEY_BYTES,
  mailCheckInput,
  mailKeyAd,
  normalizeResetCode,
  resetKeyInput,
  SHARE_BYTES,
  type TokenContext,
} from './format.ts';
import type { Db, StoreContext, Trx } from './store-context.ts';

export function mailCheck(userId: string, mailKey: Uint8Array): Buffer {
  return keyedHash(mailKey, mailCheckInput(userId));
}

/** The owner's mail key, or null when the user has none yet (before their first login under format 3). */
export async function openMailKey(trx: Trx, userId: string, epoch: number, secretKey: Uint8Array): Promise<Buffer | null> {
  const r = await trx.selectFrom('trust_mail_key').selectAll().where('user_id', '=', userId).executeTakeFirst();
  const box = r && bytesOf(r.mail_box, MAIL_BOX_BYTES);
  if (!box) return null;
  const key = deriveMailWrapKey(secretKey);
  const m = aeadOpen(key, box, mailKeyAd(userId, epoch));
  wipe(key);
  // A box that does not open was not written for this key and epoch: treat as absent only if the check value agrees.
  return m && equalBytes(mailCheck(userId, m), bytesOf(r.mail_check, 32) ?? Buffer.alloc(0)) ? m : null;
}

export async function hasMailKey(trx: Trx, userId: string): Promise<boolean> {
  return !!(await trx.selectFrom('trust_mail_key').select('user_id').where('user_id', '=', userId).executeTakeFirst());
}

/** Stores `mailKey` wrapped for (secretKey, epoch), replacing any earlier wrap. */
export async function storeMailKey(trx: Trx, userId: string, epoch: number, secretKey: Uint8Array, mailKey: Uint8Array): Promise<void> {
  const key = deriveMailWrapKey(secretKey);
  const row = { user_id: userId, mail_box: aeadSeal(key, mailKey, mailKeyAd(userId, epoch)), mail_check: mailCheck(userId, mailKey) };
  wipe(key);
  await trx.deleteFrom('trust_mail_key').where('user_id', '=', userId).execute();
  await trx.insertInto('trust_mail_key').values(row).execute();
}

/**
 * The owner's mail key, created on first use. A wrap that exists but does not open (edited in the database) is
 * never silently replaced — that would orphan the stored mail — so the caller gets null and writes dummy shares.
 */
export async function ensureMailKey(trx: Trx, userId: string, epoch: number, secretKey: Uint8Array): Promise<Buffer | null> {
  const m = await openMailKey(trx, userId, epoch, secretKey);
  if (m) return m;
  if (await hasMailKey(trx, userId)) return null;
  const fresh = randomBytes(MAIL_KEY_BYTES);
  await storeMailKey(trx, userId, epoch, secretKey, fresh);
  return fresh;
}

/**
 * One share per real slot, from a fresh polynomial: k ≥ 2 uses shamir-secret-sharing (y(32) ‖ x(1)); k = 1 gives
 * every trustee the whole key, written as key ‖ 0x00 (x = 0 is never a Shamir coordinate). Fewer trustees than k:
 * random shares, which no k of anything combine.
 */
export async function splitMailKey(mailKey: Uint8Array | null, n: number, k: number): Promise<Buffer[]> {
  if (!mailKey || n < k || n === 0) return Array.from({ length: n }, () => randomBytes(SHARE_BYTES));
  if (k === 1) return Array.from({ length: n }, () => Buffer.concat([Buffer.from(mailKey), Buffer.from([0])]));
  // The library checks `constructor === Uint8Array`, so Buffers are copied into plain arrays (and wiped after).
  const secret = new Uint8Array(mailKey);
  const shares = await split(secret, Math.max(n, 2), k);
  secret.fill(0);
  return shares.slice(0, n).map((s) => Buffer.from(s));
}

/** Recombines held shares; null unless the result matches the stored check value. */
export async function combineShares(userId: string, shares: Buffer[], check: Uint8Array): Promise<Buffer | null> {
  let m: Buffer | null = null;
  const whole = shares.find((s) => s[SHARE_BYTES - 1] === 0);
  try {
    if (whole) m = whole.subarray(0, MAIL_KEY_BYTES);
    else if (shares.length >= 2) m = Buffer.from(await combine(shares.map((s) => new Uint8Array(s))));
  } catch {
    m = null; // duplicate coordinates: spliced or replayed shares
  }
  return m && equalBytes(mailCheck(userId, m), check) ? Buffer.from(m) : null;
}

// ------------------------------------------------------------------------------------------------- reset key

/** The per-reset key pair: seed = H(K_reset-key, L ‖ id ‖ epoch ‖ created_at ‖ Argon2id(mail code, salt)). */
async function resetKeypair(
  ctx: StoreContext,
  userId: string,
  epoch: number,
  createdAt: number,
  code: string,
  salt: Uint8Array,
  params: PwhashParams,
) {
  const stretched = await pwhash(code, salt, params);
  const seed = keyedHash(ctx.kResetKey, resetKeyInput(userId, epoch, createdAt, stretched));
  wipe(stretched);
  const kp = seedKeypair(seed);
  wipe(seed);
  return kp;
}

/** Creates the reset key for a new reset; returns the mail code (shown once to the trustee who started it). */
export async function createResetKey(ctx: StoreContext, trx: Trx, userId: string, epoch: number, createdAt: number): Promise<string> {
  const code = formatResetCode(randomBytes(10));
  const salt = randomBytes(16);
  const kp = await resetKeypair(ctx, userId, epoch, createdAt, normalizeResetCode(code)!, salt, ctx.pwhashParams);
  wipe(kp.secretKey);
  await trx
    .insertInto('trust_reset_key')
    .values({
      user_id: userId,
      public_key: kp.publicKey,
      salt,
      opslimit: ctx.pwhashParams.opslimit,
      memlimit: ctx.pwhashParams.memlimit,
    })
    .execute();
  return code;
}

/** Seals confirmed shares to the reset's public key; a genuine confirmation replaces whatever its slot held. */
export async function holdShares(trx: Trx, userId: string, held: Array<{ tc: TokenContext; share: Buffer }>): Promise<void> {
  if (held.length === 0) return;
  const rk = await trx.selectFrom('trust_reset_key').select('public_key').where('user_id', '=', userId).executeTakeFirst();
  const pk = rk && bytesOf(rk.public_key, 32);
  if (!pk) return; // a reset started before format 3: it completes without restoring the mail key
  await trx
    .insertInto('trust_reset_share')
    .values(held.map(({ tc, share }) => ({ user_id: userId, slot: tc.slot, box: seal(encodeHeldShare(tc, share), pk) })))
    .onConflict((oc) => oc.columns(['user_id', 'slot']).doUpdateSet((eb) => ({ box: eb.ref('excluded.box') })))
    .execute();
}

/** The key pair a mail code gives, derived with no transaction open. */
export interface MailCodeKeypair {
  publicKey: Buffer;
  secretKey: Buffer;
}

/**
 * Before completion: derive the reset key pair from the mail code and the reset key row as read now. Argon2id takes
 * ~0.5 s, so it runs outside the completing transaction, which holds the user's row locked on PostgreSQL; that
 * transaction re-reads the row and uses the pair only if its public key is still the stored one. Null when there is
 * no well-formed code, no reset key, or a cost above the ceiling. The caller wipes secretKey.
 */
export async function deriveMailCodeKeypair(
  ctx: StoreContext,
  db: Db | Trx,
  user: { id: string; epoch: number },
  createdAt: number,
  mailCode: string | undefined,
): Promise<MailCodeKeypair | null> {
  const code = typeof mailCode === 'string' ? normalizeResetCode(mailCode) : null;
  if (!code) return null;
  const rk = await db.selectFrom('trust_reset_key').selectAll().where('user_id', '=', user.id).executeTakeFirst();
  const salt = rk && bytesOf(rk.salt, 16);
  if (!rk || !salt) return null;
  const params = { opslimit: Number(rk.opslimit), memlimit: Number(rk.memlimit) };
  if (params.opslimit > ctx.pwCeiling.opslimit || params.memlimit > ctx.pwCeiling.memlimit) return null;
  return resetKeypair(ctx, user.id, user.epoch, createdAt, code, salt, params);
}

/**
 * At completion, inside the transaction: with the key pair the mail code gave (deriveMailCodeKeypair), open the held
 * shares, keep those bound to (user, epoch, current slot generation, their row's slot), and recombine. Null for
 * anything short of the key, including a reset key row replaced since the derivation.
 */
export async function recoverMailKey(
  trx: Trx,
  user: { id: string; epoch: number; slot_gen: number },
  kp: MailCodeKeypair | null,
): Promise<Buffer | null> {
  if (!kp) return null;
  const rk = await trx.selectFrom('trust_reset_key').select('public_key').where('user_id', '=', user.id).executeTakeFirst();
  const mk = await trx.selectFrom('trust_mail_key').select('mail_check').where('user_id', '=', user.id).executeTakeFirst();
  const pk = rk && bytesOf(rk.public_key, 32);
  const check = mk && bytesOf(mk.mail_check, 32);
  if (!pk || !check) return null;
  if (!equalBytes(kp.publicKey, pk)) return null; // wrong mail code, or the reset key changed meanwhile
  const rows = await trx.selectFrom('trust_reset_share').selectAll().where('user_id', '=', user.id).execute();
  const shares: Buffer[] = [];
  for (const r of rows) {
    const box = bytesOf(r.box, HELD_SHARE_BOX_BYTES);
    const pt = box && sealOpen(box, kp.publicKey, kp.secretKey);
    const d = pt && decodeHeldShare(pt);
    if (!d || d.ownerId !== user.id || d.ownerEpoch !== user.epoch || d.slotGen !== user.slot_gen || d.slot !== Number(r.slot)) continue;
    shares.push(d.share);
  }
  return combineShares(user.id, shares, check);
}

/** Held shares die with every slot rewrite (a new polynomial) and with a veto. */
export async function dropHeldShares(trx: Trx, userId: string): Promise<void> {
  await trx.deleteFrom('trust_reset_share').where('user_id', '=', userId).execute();
}
