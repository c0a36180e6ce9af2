// k-of-n resets (trust_reset, trust_reset_confirmation, trust_reset_code): a user's reset settings (k and the
// waiting period), trustees' requests counted per slot, the waiting period and veto, expiry, the one-time code,
// and completing the reset with a new key.
import { aeadOpen, aeadSeal, boxKeypair, equalBytes, keyedHash, randomBytes, randomUniform, wipe, type KeyPair } from './crypto.ts';
import { checkState, decoyUserId, loadState, retag, snapshot, stateValid, type UserState } from './binding.ts';
import { IntegrityError, InvalidResetCodeError, TrustError } from './errors.ts';
import {
  formatResetCode,
  normalizeResetCode,
  resetCodeHashInput,
  resetTrusteeAd,
  resetTrusteeKeyInput,
  TRUSTEE_BOX_BYTES,
  userIdBytes,
} from './format.ts';
import { confirmedTokens, decoySlots, dummySlots, reevaluateReset, writeSlots } from './slots.ts';
import { createResetKey, deriveMailCodeKeypair, dropHeldShares, holdShares, recoverMailKey, storeMailKey } from './mail-key.ts';
import { bytesOf, parseKeyRow } from './rows.ts';
import { emit, lookupUser, nowMs, pkTag, pkValid, scrub, type Db, type StoreContext, type Trx, type UserRow } from './store-context.ts';
import type { PendingReset, RequestResetResult, ResetCode, TrustEvent, TrustSettings, UnlockedUser } from './types.ts';
import { checkPassword, wrapNew, wrappedColumns, type WrappedKey } from './users.ts';

const MAX_WAIT_SECONDS = 365 * 86400;

export async function getSettings(ctx: StoreContext, userId: string): Promise<TrustSettings> {
  const r = await ctx.db.selectFrom('trust_user').select(['threshold', 'wait_seconds']).where('id', '=', userId).executeTakeFirst();
  if (!r) throw new TrustError('not-found', 'no such user');
  return { threshold: Number(r.threshold), waitSeconds: Number(r.wait_seconds) };
}

export async function setSettings(ctx: StoreContext, userId: string, settings: Partial<TrustSettings>): Promise<TrustSettings> {
  const { threshold, waitSeconds } = settings;
  if (threshold !== undefined && (!Number.isInteger(threshold) || threshold < 1 || threshold > ctx.slots)) {
    throw new TrustError('invalid-settings', `threshold must be an integer in 1..${ctx.slots}`);
  }
  if (waitSeconds !== undefined && (!Number.isInteger(waitSeconds) || waitSeconds < ctx.minWaitSeconds || waitSeconds > MAX_WAIT_SECONDS)) {
    throw new TrustError('invalid-settings', `waitSeconds must be an integer in ${ctx.minWaitSeconds}..${MAX_WAIT_SECONDS}`);
  }
  const set: { threshold?: number; wait_seconds?: number } = {};
  if (threshold !== undefined) set.threshold = threshold;
  if (waitSeconds !== undefined) set.wait_seconds = waitSeconds;
  if (Object.keys(set).length) {
    // k and the waiting period are covered by the user tag: change them only on an authentic state, then re-tag.
    await ctx.db.transaction().execute(async (trx) => {
      const st = await loadState(ctx, trx, userId, true);
      if (!st) throw new TrustError('not-found', 'no such user');
      if (!checkState(ctx, st)) throw new IntegrityError('stored account data failed its integrity check');
      await trx.updateTable('trust_user').set(set).where('id', '=', userId).execute();
      await reevaluateReset(trx, userId, threshold ?? st.row.threshold);
      await retag(ctx, trx, userId);
    });
  }
  return getSettings(ctx, userId);
}

/** The trustee's own row must be current, enabled, and carry a server-issued tag for the key the session holds. */
async function trusteeCurrent(ctx: StoreContext, trx: Trx, trustee: UnlockedUser): Promise<boolean> {
  const raw = await trx
    .selectFrom('trust_user')
    .select(['id', 'epoch', 'public_key', 'pk_tag', 'disabled'])
    .where('id', '=', trustee.userId)
    .executeTakeFirst();
  const t = raw && parseKeyRow(raw);
  return (
    !!t &&
    raw.disabled === 0 &&
    t.epoch === trustee.epoch &&
    equalBytes(t.public_key, trustee.publicKey) &&
    pkValid(ctx, { id: t.id, epoch: t.epoch, public_key: trustee.publicKey, pk_tag: t.pk_tag })
  );
}

/**
 * The common first half of a trustee's reset step: look the target up (a decoy id when unknown or the trustee
 * themself), lock and load it with its reset state, check the trustee's own row, and run the reset check over
 * exactly N slot rows (the target's, or N decoys no key opens).
 */
async function resetCheck(ctx: StoreContext, trx: Trx, trustee: UnlockedUser, targetUsername: string) {
  const found = await lookupUser(ctx, trx, targetUsername, trustee.userId);
  // For an unknown name the trustee's own account stands in: a real row with real reset state and N real slot
  // rows (none opens with the trustee's own key), so even row sizes and parsing match. Still one locked row.
  const id = found ? found.id : trustee.userId;
  const loaded = await loadState(ctx, trx, id, true);
  const current = await trusteeCurrent(ctx, trx, trustee);
  const rows = await trx.selectFrom('trust_slot').select(['slot', 'token_box', 'tag']).where('user_id', '=', id).execute();
  const slots = loaded && rows.length > 0 ? rows : decoySlots(ctx);
  const tokens = confirmedTokens(ctx, trustee, loaded?.row ?? { id: ctx.decoyId, epoch: 1, slot_gen: 1 }, slots);
  const valid = checkState(ctx, loaded);
  const st = loaded && found && loaded.row.id === found.id ? loaded : null;
  return { st, current, confirmed: st ? tokens.map((t) => t.tc.slot) : [], tokens: st ? tokens : [], valid };
}

/**
 * Trustee B (freshly unlocked with B's password) asks to reset `targetUsername`. Counted per slot, never per
 * trustee id. `recorded: false` for a non-trustee, a disabled or unknown target, or during a veto hold.
 */
export async function requestReset(ctx: StoreContext, trustee: UnlockedUser, targetUsername: string): Promise<RequestResetResult> {
  const events: TrustEvent[] = [];
  let mailCode: string | undefined;
  let vetoed = false;
  const recorded = await ctx.db.transaction().execute(async (trx) => {
    // Unknown, disabled, self, not trusted or tampered: the same queries and the same crypto (N box opens, one
    // user tag), decided only at the end, so the response time does not tell which (issue #13.6).
    const { st, current, confirmed, tokens, valid } = await resetCheck(ctx, trx, trustee, targetUsername);
    if (!st || st.row.disabled === 1 || !current || confirmed.length === 0) return false;
    const target = st.row;
    // Counters, settings and reset state set back or edited in the database: count nothing.
    if (!valid) return false;
    const now = nowMs(ctx);
    let reset = st.reset;
    if (reset?.state === 'vetoed') {
      // Only a genuine trustee gets here (the checks above passed): they may learn that the owner cancelled.
      if (now < Number(reset.vetoed_at) + ctx.vetoHoldSeconds * 1000) {
        vetoed = true;
        return false;
      }
      await dropReset(trx, target.id);
      reset = null;
    } else if (reset && resetExpired(ctx, reset, now)) {
      await dropReset(trx, target.id);
      reset = null;
    }
    if (!reset) {
      reset = { state: 'collecting', created_at: now, armed_at: null, effective_at: null, vetoed_at: null };
      await trx
        .insertInto('trust_reset')
        .values({ user_id: target.id, ...reset })
        .execute();
      mailCode = await createResetKey(ctx, trx, target.id, target.epoch, now);
    }
    // Each confirmed share goes to the reset key at once: from here on only the mail code opens it.
    await holdShares(
      trx,
      target.id,
      tokens.flatMap((t) => (t.share ? [{ tc: t.tc, share: t.share }] : [])),
    );
    const before = await countConfirmations(trx, target.id);
    await trx
      .insertInto('trust_reset_confirmation')
      .values(confirmed.map((slot) => ({ user_id: target.id, slot })))
      .onConflict((oc) => oc.columns(['user_id', 'slot']).doNothing())
      .execute();
    const count = await countConfirmations(trx, target.id);
    const threshold = target.threshold;
    if (count > before) events.push({ type: 'reset-requested', userId: target.id, confirmations: count, threshold, at: new Date(now) });
    if (reset.state === 'collecting' && count >= threshold) {
      const effectiveAt = now + Math.max(target.wait_seconds, ctx.minWaitSeconds) * 1000;
      await trx
        .updateTable('trust_reset')
        .set({ state: 'armed', armed_at: now, effective_at: effectiveAt })
        .where('user_id', '=', target.id)
        .execute();
      events.push({ type: 'reset-armed', userId: target.id, effectiveAt: new Date(effectiveAt), at: new Date(now) });
    }
    await retag(ctx, trx, target.id);
    return true;
  });
  emit(ctx, events);
  if (vetoed) return { recorded, vetoed };
  return mailCode && recorded ? { recorded, mailCode } : { recorded };
}

/**
 * A reset that sat collecting for resetTtl, or stayed armed for resetTtl after its effective time, is void:
 * confirmations must not pile up over months until they reach k.
 */
function resetExpired(ctx: StoreContext, reset: { state: string; created_at: number; effective_at: number | null }, now: number): boolean {
  const ttl = ctx.resetTtlSeconds * 1000;
  if (reset.state === 'collecting') return now >= Number(reset.created_at) + ttl;
  if (reset.state === 'armed') return reset.effective_at !== null && now >= Number(reset.effective_at) + ttl;
  return false;
}

export async function dropReset(trx: Trx, userId: string): Promise<void> {
  await dropHeldShares(trx, userId);
  await trx.deleteFrom('trust_reset_key').where('user_id', '=', userId).execute();
  await trx.deleteFrom('trust_reset_code').where('user_id', '=', userId).execute();
  await trx.deleteFrom('trust_reset_confirmation').where('user_id', '=', userId).execute();
  await trx.deleteFrom('trust_reset').where('user_id', '=', userId).execute();
}

async function countConfirmations(db: Db | Trx, userId: string): Promise<number> {
  const r = await db
    .selectFrom('trust_reset_confirmation')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** For A's dashboard. Null when nothing is pending (a veto hold that has passed counts as nothing). */
export async function pendingResetFor(ctx: StoreContext, userId: string): Promise<PendingReset | null> {
  const st = await snapshot(ctx, (trx) => loadState(ctx, trx, userId, false));
  if (!st?.reset || !checkState(ctx, st)) return null;
  const reset = st.reset;
  const vetoedUntil = reset.state === 'vetoed' ? Number(reset.vetoed_at) + ctx.vetoHoldSeconds * 1000 : null;
  if (vetoedUntil !== null && nowMs(ctx) >= vetoedUntil) return null;
  if (resetExpired(ctx, reset, nowMs(ctx))) return null;
  return {
    state: reset.state,
    confirmations: st.confirmations.length,
    threshold: st.row.threshold,
    createdAt: new Date(reset.created_at),
    effectiveAt: reset.effective_at === null ? null : new Date(reset.effective_at),
    vetoedUntil: vetoedUntil === null ? null : new Date(vetoedUntil),
  };
}

/** A cancels a pending reset from a logged-in session. Confirmations and any issued code are discarded. */
export async function vetoReset(ctx: StoreContext, userId: string): Promise<boolean> {
  const vetoed = await ctx.db.transaction().execute(async (trx) => {
    const st = await loadState(ctx, trx, userId, true);
    // An edited reset state cannot be used by anyone (every step checks the tag), so there is nothing to veto.
    if (!st || !checkState(ctx, st)) return false;
    const reset = st.reset;
    if (!reset || reset.state === 'vetoed') return false;
    if (resetExpired(ctx, reset, nowMs(ctx))) {
      await dropReset(trx, userId);
      await retag(ctx, trx, userId);
      return false;
    }
    await trx.deleteFrom('trust_reset_confirmation').where('user_id', '=', userId).execute();
    await trx.deleteFrom('trust_reset_code').where('user_id', '=', userId).execute();
    await dropHeldShares(trx, userId);
    await trx.deleteFrom('trust_reset_key').where('user_id', '=', userId).execute();
    await trx
      .updateTable('trust_reset')
      .set({ state: 'vetoed', vetoed_at: nowMs(ctx), armed_at: null, effective_at: null })
      .where('user_id', '=', userId)
      .execute();
    await retag(ctx, trx, userId);
    return true;
  });
  if (vetoed) emit(ctx, [{ type: 'reset-vetoed', userId, at: ctx.now() }]);
  return vetoed;
}

function resetCodeHash(ctx: StoreContext, target: Pick<UserRow, 'id' | 'epoch'>, normalized: string): Buffer {
  return keyedHash(ctx.kResetCode, resetCodeHashInput(target.id, Number(target.epoch), normalized));
}

function trusteeBoxKey(ctx: StoreContext, target: Pick<UserRow, 'id' | 'epoch'>, normalized: string): Buffer {
  return keyedHash(ctx.kResetCode, resetTrusteeKeyInput(target.id, Number(target.epoch), normalized));
}

/**
 * The trustee who obtained the code (format 5), if the box opens with the presented code and names an existing,
 * enabled user other than the target; else null (a version 4 code row, or an edited one).
 */
async function codeTrustee(ctx: StoreContext, trx: Trx, target: Pick<UserRow, 'id' | 'epoch'>, normalized: string): Promise<string | null> {
  const r = await trx.selectFrom('trust_reset_code').select('trustee_box').where('user_id', '=', target.id).executeTakeFirst();
  const box = r?.trustee_box ? bytesOf(r.trustee_box, TRUSTEE_BOX_BYTES) : null;
  if (!box) return null;
  const key = trusteeBoxKey(ctx, target, normalized);
  const id = aeadOpen(key, box, resetTrusteeAd(target.id, Number(target.epoch)));
  wipe(key);
  if (!id || id.length !== 16) return null;
  const trusteeId = id.toString('hex');
  if (trusteeId === target.id) return null;
  const t = await trx.selectFrom('trust_user').select(['id', 'disabled']).where('id', '=', trusteeId).executeTakeFirst();
  return t && Number(t.disabled) === 0 ? trusteeId : null;
}

/**
 * After the waiting period, a trustee whose confirmation counted gets a one-time code (replacing any earlier
 * code) to hand to A in person. Throws TrustError('reset-not-ready') otherwise, without saying why.
 */
export async function obtainResetCode(ctx: StoreContext, trustee: UnlockedUser, targetUsername: string): Promise<ResetCode> {
  const notReady = () => new TrustError('reset-not-ready', 'no reset code is available');
  const events: TrustEvent[] = [];
  const result = await ctx.db.transaction().execute(async (trx) => {
    const { st, current, confirmed: mine, valid } = await resetCheck(ctx, trx, trustee, targetUsername);
    if (!st || st.row.disabled === 1 || !current || !valid) throw notReady();
    const target = st.row;
    const now = nowMs(ctx);
    const reset = st.reset;
    if (!reset || reset.state !== 'armed' || reset.effective_at === null || now < reset.effective_at || resetExpired(ctx, reset, now))
      throw notReady();
    const set = new Set(st.confirmations);
    if (!mine.some((s) => set.has(s))) throw notReady();
    const code = formatResetCode(randomBytes(10));
    const expiresAt = now + ctx.codeTtlSeconds * 1000;
    const canonical = normalizeResetCode(code)!;
    const hash = resetCodeHash(ctx, target, canonical);
    // Format 5: who handed the code over, readable only with the code (the owner's, at completion).
    const tbKey = trusteeBoxKey(ctx, target, canonical);
    const trusteeBox = aeadSeal(tbKey, userIdBytes(trustee.userId), resetTrusteeAd(target.id, Number(target.epoch)));
    wipe(tbKey);
    await trx.deleteFrom('trust_reset_code').where('user_id', '=', target.id).execute();
    await trx
      .insertInto('trust_reset_code')
      .values({ user_id: target.id, code_hash: hash, expires_at: expiresAt, trustee_box: trusteeBox })
      .execute();
    await retag(ctx, trx, target.id);
    events.push({ type: 'reset-code-issued', userId: target.id, expiresAt: new Date(expiresAt), at: new Date(now) });
    return { code, expiresAt: new Date(expiresAt) };
  });
  emit(ctx, events);
  return result;
}

/**
 * The code matches the stored hash (over the current epoch), is unexpired, and the reset is armed and due. Always
 * one hash and one compare, also for a missing account or code.
 */
function resetCodeValid(ctx: StoreContext, st: UserState | null, normalized: string, now: number): boolean {
  const hash = resetCodeHash(ctx, st?.row ?? { id: ctx.decoyId, epoch: 1 }, normalized);
  const code = st?.code ?? null;
  const reset = st?.reset ?? null;
  const match = equalBytes(hash, code?.code_hash ?? ctx.decoyKey) && !!code;
  return (
    match &&
    !!code &&
    now < code.expires_at &&
    reset?.state === 'armed' &&
    reset.effective_at !== null &&
    now >= reset.effective_at &&
    !resetExpired(ctx, reset, now)
  );
}

/**
 * The writes that complete a reset, by a trustee's code or a recovery code, in the transaction that re-checked it:
 * the reset's rows dropped, the new key pair at epoch + 1 with its wrap, k and the mail key under the new key. The
 * slots are the caller's to rewrite, then the retag.
 */
export async function installResetKey(
  ctx: StoreContext,
  trx: Trx,
  target: UserRow,
  kp: KeyPair,
  w: WrappedKey,
  mailKey: Uint8Array,
  threshold: number,
): Promise<void> {
  const epoch = target.epoch + 1;
  await dropReset(trx, target.id);
  await trx
    .updateTable('trust_user')
    .set({
      epoch,
      slot_gen: target.slot_gen + 1,
      public_key: kp.publicKey,
      pk_tag: pkTag(ctx, target.id, epoch, kp.publicKey),
      threshold,
      ...wrappedColumns(w),
    })
    .where('id', '=', target.id)
    .execute();
  await storeMailKey(trx, target.id, epoch, kp.secretKey, mailKey);
}

/** After a completed reset's transaction: the old relations' rows scrubbed, the sessions' end asked for. */
export async function finishReset(
  ctx: StoreContext,
  target: Pick<UserRow, 'id' | 'username' | 'epoch'>,
  kp: KeyPair,
  mailKeyRestored: boolean,
  events: TrustEvent[] = [],
): Promise<UnlockedUser & { mailKeyRestored: boolean }> {
  const epoch = target.epoch + 1;
  await scrub(ctx); // the old slot rows held tokens and owner boxes of the old relations
  emit(ctx, [...events, { type: 'reset-completed', userId: target.id, epoch, at: ctx.now() }]);
  return { userId: target.id, username: target.username, epoch, publicKey: kp.publicKey, secretKey: kp.secretKey, mailKeyRestored };
}

/**
 * A presents the code with a new password: new keypair, epoch + 1, all slots dummies, reset consumed. The
 * service must end all of A's sessions (reset-completed event). Rows where A is someone's trustee are repaired
 * when those users next log in.
 */
export async function completeReset(
  ctx: StoreContext,
  username: string,
  code: string,
  newPassword: string,
  opts: { mailCode?: string } = {},
): Promise<UnlockedUser & { mailKeyRestored: boolean }> {
  checkPassword(ctx, newPassword);
  const normalized = typeof code === 'string' ? normalizeResetCode(code) : null;
  if (!normalized) throw new InvalidResetCodeError();
  // Cheap check first so invalid codes cannot make the server burn Argon2id; the same queries and hashes for an
  // unknown name as for a real account with a wrong code (issue #13.6).
  const pre = await snapshot(ctx, async (trx) => {
    // Unknown name: some real account stands in (read only, never changed), so the rows read are alike.
    const standIn = await decoyUserId(ctx, trx);
    const found = await lookupUser(ctx, trx, username, standIn);
    const loaded = await loadState(ctx, trx, found?.id ?? standIn, false);
    return { loaded, st: found && loaded?.row.id === found.id ? loaded : null };
  });
  const codeOk = resetCodeValid(ctx, pre.loaded, normalized, nowMs(ctx)) && !!pre.st;
  const valid = stateValid(ctx, pre.loaded) && !!pre.st;
  if (pre.st && !valid) checkState(ctx, pre.st);
  if (!pre.st || pre.st.row.disabled === 1 || !codeOk || !valid) throw new InvalidResetCodeError();
  const target0 = pre.st.row;
  const epoch = target0.epoch + 1;
  const createdAt = pre.st.reset!.created_at;
  // Both Argon2id derivations (the new password's wrap, the mail code's key pair) run before the transaction: on
  // PostgreSQL it locks the user's row, and ~0.5 s each under that lock would hold up every other writer of it. The
  // transaction re-checks what they were derived from: the epoch and the reset (its start time, its key row).
  const kp = boxKeypair();
  const w = await wrapNew(ctx, newPassword, target0.id, epoch, kp.secretKey);
  const mailKp = await deriveMailCodeKeypair(ctx, ctx.db, { id: target0.id, epoch: target0.epoch }, createdAt, opts.mailCode);
  let restored = false;
  const events: TrustEvent[] = [];
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const st = await loadState(ctx, trx, target0.id, true);
      if (!st || st.row.disabled === 1 || st.row.epoch !== epoch - 1) throw new InvalidResetCodeError();
      const ok = resetCodeValid(ctx, st, normalized, nowMs(ctx)) && st.reset!.created_at === createdAt;
      if (!checkState(ctx, st) || !ok) throw new InvalidResetCodeError();
      const target = st.row;
      // Restored under the new key, or (fewer than k shares, no or wrong mail code) a fresh mail key: the old mail
      // is then as lost as the old private key.
      const recovered = await recoverMailKey(trx, target, mailKp);
      restored = !!recovered;
      const reAdd = await codeTrustee(ctx, trx, target, normalized);
      // With the trustee back, k = 1 is what the owner can satisfy; without anyone, k stays as the owner chose it.
      const threshold = reAdd ? 1 : target.threshold;
      await installResetKey(ctx, trx, target, kp, w, recovered ?? randomBytes(32), threshold);
      recovered?.fill(0);
      if (reAdd) {
        // A rewrite as at invite redemption: the trustee in a random slot, with a share of the mail key (k = 1).
        const owner: UnlockedUser = {
          userId: target.id,
          username: target.username,
          epoch,
          publicKey: kp.publicKey,
          secretKey: kp.secretKey,
        };
        const row: UserRow = { ...target, epoch, slot_gen: target.slot_gen + 1, public_key: kp.publicKey, threshold };
        await writeSlots(ctx, trx, owner, row, new Map([[randomUniform(ctx.slots), reAdd]]), events);
      } else {
        await dummySlots(ctx, trx, target.id);
      }
      await retag(ctx, trx, target.id);
    });
  } finally {
    mailKp?.secretKey.fill(0);
  }
  return finishReset(ctx, target0, kp, restored, events);
}
