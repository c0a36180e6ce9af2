// The recovery code (format 3 §4.3; userli's recovery token): printed once, it wraps the user's mail key, and
// redeeming it resets the account like a completed peer reset — new key pair, epoch + 1, no trustees — with the mail
// key restored. Single use: redemption deletes it; the owner prints a new one.
import { aeadOpen, aeadSeal, boxKeypair, keyedHash, pwhash, randomBytes, wipe, type PwhashParams } from './crypto.ts';
import { checkState, decoyUserId, loadState, retag, snapshot, stateValid } from './binding.ts';
import { IntegrityError, InvalidResetCodeError } from './errors.ts';
import { formatResetCode, normalizeResetCode, recoveryAd, recoveryKeyInput } from './format.ts';
import { ensureMailKey } from './mail-key.ts';
import { finishReset, installResetKey } from './resets.ts';
import { bytesOf } from './rows.ts';
import { assertCurrent, dummySlots } from './slots.ts';
import { lookupUser, type StoreContext } from './store-context.ts';
import type { UnlockedUser } from './types.ts';
import { checkPassword, wrapNew } from './users.ts';

async function recoveryKey(ctx: StoreContext, userId: string, code: string, salt: Uint8Array, params: PwhashParams): Promise<Buffer> {
  const stretched = await pwhash(code, salt, params);
  const key = keyedHash(ctx.kRecovery, recoveryKeyInput(userId, stretched));
  wipe(stretched);
  return key;
}

/** A new recovery code for the logged-in owner (replacing any earlier one). Show once. */
export async function createRecoveryCode(ctx: StoreContext, owner: UnlockedUser): Promise<string> {
  const code = formatResetCode(randomBytes(10));
  const salt = randomBytes(16);
  const params = ctx.pwhashParams;
  const key = await recoveryKey(ctx, owner.userId, normalizeResetCode(code)!, salt, params);
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const st = await loadState(ctx, trx, owner.userId, true);
      assertCurrent(owner, st?.row);
      if (!checkState(ctx, st, owner.publicKey)) throw new IntegrityError('stored account data failed its integrity check');
      const m = await ensureMailKey(trx, owner.userId, owner.epoch, owner.secretKey);
      if (!m) throw new IntegrityError('the stored mail key does not open: no recovery code can be made for it');
      const box = aeadSeal(key, m, recoveryAd(owner.userId));
      m.fill(0);
      await trx.deleteFrom('trust_recovery').where('user_id', '=', owner.userId).execute();
      await trx
        .insertInto('trust_recovery')
        .values({ user_id: owner.userId, salt, opslimit: params.opslimit, memlimit: params.memlimit, box })
        .execute();
    });
  } finally {
    wipe(key);
  }
  return code;
}

/** Whether the owner has an unused recovery code (what it wraps is known only to whoever holds the code). */
export async function hasRecoveryCode(ctx: StoreContext, userId: string): Promise<boolean> {
  return !!(await ctx.db.selectFrom('trust_recovery').select('user_id').where('user_id', '=', userId).executeTakeFirst());
}

/**
 * Redeems a recovery code with a new password. One Argon2id and one AEAD open whether or not the account or its
 * code exists (a stand-in row for unknown names). Throws InvalidResetCodeError for every kind of failure.
 */
export async function redeemRecoveryCode(
  ctx: StoreContext,
  username: string,
  code: string,
  newPassword: string,
): Promise<UnlockedUser & { mailKeyRestored: boolean }> {
  checkPassword(ctx, newPassword);
  const canon = typeof code === 'string' ? normalizeResetCode(code) : null;
  if (!canon) throw new InvalidResetCodeError();
  const pre = await snapshot(ctx, async (trx) => {
    const standIn = await decoyUserId(ctx, trx);
    const found = await lookupUser(ctx, trx, username, standIn);
    const id = found?.id ?? standIn;
    const loaded = await loadState(ctx, trx, id, false);
    const rec = await trx.selectFrom('trust_recovery').selectAll().where('user_id', '=', id).executeTakeFirst();
    return { found, loaded, rec, id };
  });
  const salt = (pre.rec && bytesOf(pre.rec.salt, 16)) ?? ctx.dummySalt;
  const params = pre.rec ? { opslimit: Number(pre.rec.opslimit), memlimit: Number(pre.rec.memlimit) } : ctx.pwhashParams;
  const sane = params.opslimit <= ctx.pwCeiling.opslimit && params.memlimit <= ctx.pwCeiling.memlimit;
  const key = await recoveryKey(ctx, pre.id, canon, salt, sane ? params : ctx.pwhashParams);
  const box = (pre.rec && bytesOf(pre.rec.box)) ?? ctx.decoyWrapped;
  const m = aeadOpen(key, box, recoveryAd(pre.id));
  wipe(key);
  const valid = stateValid(ctx, pre.loaded);
  const st = pre.found && pre.loaded?.row.id === pre.found.id ? pre.loaded : null;
  if (st && !valid) checkState(ctx, st);
  if (!st || !m || !pre.rec || !valid || st.row.disabled === 1) {
    m?.fill(0);
    throw new InvalidResetCodeError();
  }
  const target0 = st.row;
  const epoch = target0.epoch + 1;
  const kp = boxKeypair();
  const w = await wrapNew(ctx, newPassword, target0.id, epoch, kp.secretKey);
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const cur = await loadState(ctx, trx, target0.id, true);
      if (!cur || cur.row.disabled === 1 || cur.row.epoch !== epoch - 1 || !checkState(ctx, cur)) throw new InvalidResetCodeError();
      // The code row must still be the one that opened (not replaced or used meanwhile).
      const again = await trx.selectFrom('trust_recovery').select('box').where('user_id', '=', target0.id).executeTakeFirst();
      if (!again || !Buffer.from(again.box).equals(box)) throw new InvalidResetCodeError();
      await installResetKey(ctx, trx, cur.row, kp, w, m, cur.row.threshold);
      await dummySlots(ctx, trx, target0.id);
      await trx.deleteFrom('trust_recovery').where('user_id', '=', target0.id).execute(); // single use
      await retag(ctx, trx, target0.id);
    });
  } finally {
    m.fill(0);
  }
  return finishReset(ctx, target0, kp, true);
}
