// Accounts (trust_user): creation, password unlock and login, password change, disabling, listing; and the
// username/password rules and key wrapping that invites.ts and resets.ts share when they make or re-key an account.
import {
  aeadOpen, aeadSeal, boxKeypair, equalBytes, publicKeyOf, pwhash, PWHASH_ALG_ARGON2ID13, PWHASH_SALT_BYTES, randomBytes,
  wipe, type PwhashParams,
} from './crypto.ts';
import { checkState, computeUserTag, loadState, retag, type UserState } from './binding.ts';
import { IntegrityError, InvalidCredentialsError, TrustError } from './errors.ts';
import { isUserId, normalizeUsername, skAd } from './format.ts';
import { dummySlots, mutateSlots, readAssignment, writeSlots } from './slots.ts';
import { emit, pkTag, pkValid, scrub, userByName, type StoreContext, type Trx, type UserRow } from './store-context.ts';
import type { TrustEvent, UnlockedUser, UserInfo } from './types.ts';

export const MAX_PASSWORD_CHARS = 1024;

export interface WrappedKey {
  salt: Buffer;
  wrapped: Buffer;
  params: PwhashParams;
}

function toInfo(r: UserRow): UserInfo {
  return { userId: r.id, username: r.username, admin: r.is_admin === 1, disabled: r.disabled === 1, epoch: Number(r.epoch) };
}

export function newUserId(): string {
  return randomBytes(16).toString('hex');
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function checkPassword(ctx: StoreContext, pw: string): void {
  if (typeof pw !== 'string' || [...pw].length < ctx.minPasswordLength || pw.length > MAX_PASSWORD_CHARS) {
    throw new TrustError('invalid-password', `password must be ${ctx.minPasswordLength}–${MAX_PASSWORD_CHARS} characters`);
  }
}

export function checkUsername(username: string): string {
  const name = typeof username === 'string' ? normalizeUsername(username) : null;
  if (!name) throw new TrustError('invalid-username', 'username must be 1–64 of a-z 0-9 . _ - starting and ending with a letter or digit');
  return name;
}

export async function wrapNew(ctx: StoreContext, password: string, userId: string, epoch: number, secretKey: Uint8Array): Promise<WrappedKey> {
  const salt = randomBytes(PWHASH_SALT_BYTES);
  const key = await pwhash(password, salt, ctx.pwhashParams);
  const wrapped = aeadSeal(key, secretKey, skAd(userId, epoch));
  wipe(key);
  return { salt, wrapped, params: ctx.pwhashParams };
}

/** The columns that store a key wrapped by wrapNew. */
export function wrappedColumns(w: WrappedKey) {
  return { wrapped_sk: w.wrapped, pw_salt: w.salt, pw_opslimit: w.params.opslimit, pw_memlimit: w.params.memlimit, pw_alg: PWHASH_ALG_ARGON2ID13 };
}

/** A new account's row, with its user tag (no reset state yet). */
export function newUserRow(ctx: StoreContext, id: string, name: string, epoch: number, pk: Buffer, w: WrappedKey, admin: boolean): UserRow {
  const row: UserRow = {
    id, username: name, is_admin: admin ? 1 : 0, disabled: 0, epoch, slot_gen: 1,
    public_key: pk, pk_tag: pkTag(ctx, id, epoch, pk), ...wrappedColumns(w),
    threshold: 1, wait_seconds: ctx.defaultWaitSeconds, user_tag: null,
  };
  row.user_tag = computeUserTag(ctx, { row, reset: null, confirmations: [], code: null });
  return row;
}

/** Creates a user with no trustees (the operator/admin path; invitees use redeemInvite). */
export async function createUser(ctx: StoreContext, username: string, password: string, opts: { admin?: boolean } = {}): Promise<UnlockedUser> {
  const name = checkUsername(username);
  checkPassword(ctx, password);
  if (await userByName(ctx, ctx.db, name)) throw new TrustError('username-taken', 'username is taken');
  const id = newUserId();
  const epoch = 1;
  const kp = boxKeypair();
  const w = await wrapNew(ctx, password, id, epoch, kp.secretKey);
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('trust_user').values(newUserRow(ctx, id, name, epoch, kp.publicKey, w, opts.admin === true)).execute();
      await dummySlots(ctx, trx, id);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new TrustError('username-taken', 'username is taken');
    throw err;
  }
  emit(ctx, [{ type: 'user-created', userId: id, at: ctx.now() }]);
  return { userId: id, username: name, epoch, publicKey: kp.publicKey, secretKey: kp.secretKey };
}

/**
 * Verifies the password and returns the unlocked key WITHOUT rewriting slots or emitting events. Use it when a
 * logged-in user re-enters their password to confirm an action (e.g. before requestReset).
 */
export async function unlock(ctx: StoreContext, username: string, password: string): Promise<UnlockedUser> {
  const { user } = await unlockRow(ctx, username, password);
  await ctx.db.transaction().execute((trx) => verifiedOwnState(ctx, trx, user));
  return user;
}

/**
 * With the user row locked: the account must still be at the unlocked epoch, and its user tag must verify with the
 * public key derived from the secret key the password unwrapped. A wrapped key the server did not write itself (a
 * key minted for a chosen password, or the real key re-wrapped) fails here: alert, and no login.
 */
async function verifiedOwnState(ctx: StoreContext, trx: Trx, user: UnlockedUser): Promise<UserState> {
  const st = await loadState(ctx, trx, user.userId, true);
  if (!st || st.row.epoch !== user.epoch) throw new InvalidCredentialsError(); // reset completed meanwhile
  if (!checkState(ctx, st, user.publicKey)) throw new IntegrityError('stored account data failed its integrity check');
  return st;
}

async function unlockRow(ctx: StoreContext, username: string, password: string): Promise<{ user: UnlockedUser; row: UserRow }> {
  const row = typeof username === 'string' ? await userByName(ctx, ctx.db, username) : undefined;
  const pw = typeof password === 'string' ? password.slice(0, MAX_PASSWORD_CHARS) : '';
  if (!row) {
    // Same Argon2id work as a real attempt, so response time does not reveal whether the name exists.
    await pwhash(pw, ctx.dummySalt, ctx.pwhashParams);
    throw new InvalidCredentialsError();
  }
  const key = await pwhash(pw, row.pw_salt, { opslimit: row.pw_opslimit, memlimit: row.pw_memlimit }, row.pw_alg);
  const sk = aeadOpen(key, row.wrapped_sk, skAd(row.id, row.epoch));
  wipe(key);
  if (!sk) throw new InvalidCredentialsError();
  if (row.disabled === 1) throw new TrustError('account-disabled', 'account is disabled');
  return { user: { userId: row.id, username: row.username, epoch: Number(row.epoch), publicKey: publicKeyOf(sk), secretKey: sk }, row };
}

/**
 * Password login: unlocks the key, re-wraps it if the operator raised the Argon2id cost, and rewrites all N
 * slots (fresh R sealed to every trustee's current key). Throws InvalidCredentialsError for unknown user or wrong
 * password alike.
 */
export async function login(ctx: StoreContext, username: string, password: string): Promise<UnlockedUser> {
  const { user, row } = await unlockRow(ctx, username, password);
  const weaker = Number(row.pw_opslimit) < ctx.pwhashParams.opslimit || Number(row.pw_memlimit) < ctx.pwhashParams.memlimit;
  const rewrap = weaker ? await wrapNew(ctx, password, user.userId, user.epoch, user.secretKey) : null;
  const events: TrustEvent[] = [];
  await ctx.db.transaction().execute(async (trx) => {
    const cur = (await verifiedOwnState(ctx, trx, user)).row;
    if (!equalBytes(cur.public_key, user.publicKey) || !pkValid(ctx, { ...cur, public_key: user.publicKey })) {
      // The user tag has just authenticated the key the password unwrapped; the stored public-key column or its
      // pk_tag disagree with it, so they are what was edited: restore them from the authenticated key.
      events.push({ type: 'integrity-alert', userId: user.userId, what: 'own-public-key', at: ctx.now() });
      cur.public_key = user.publicKey;
      cur.pk_tag = pkTag(ctx, user.userId, user.epoch, user.publicKey);
      await trx.updateTable('trust_user').set({ public_key: cur.public_key, pk_tag: cur.pk_tag }).where('id', '=', cur.id).execute();
    }
    if (rewrap && equalBytes(cur.wrapped_sk, row.wrapped_sk)) {
      await trx.updateTable('trust_user').set(wrappedColumns(rewrap)).where('id', '=', cur.id).execute();
    }
    const slots = await trx.selectFrom('trust_slot').select(['slot', 'owner_box']).where('user_id', '=', cur.id).execute();
    const assignment = readAssignment(user, cur, slots);
    await writeSlots(ctx, trx, user, cur, assignment, events);
  });
  await scrub(ctx);
  events.push({ type: 'login', userId: user.userId, at: ctx.now() });
  emit(ctx, events);
  return user;
}

/** Rewrites the slots of an already logged-in user (e.g. after a trustee reset their key). */
export async function regenerate(ctx: StoreContext, user: UnlockedUser): Promise<void> {
  const events: TrustEvent[] = [];
  await mutateSlots(ctx, user, () => ({ result: undefined, write: true }), events);
  emit(ctx, events);
}

/** Re-wraps the same key under a new password; relations are untouched. Requires the old password. */
export async function changePassword(ctx: StoreContext, user: UnlockedUser | string, oldPassword: string, newPassword: string): Promise<void> {
  checkPassword(ctx, newPassword);
  const username = typeof user === 'string' ? user : user.username;
  const { user: u, row } = await unlockRow(ctx, username, oldPassword);
  const w = await wrapNew(ctx, newPassword, u.userId, u.epoch, u.secretKey);
  await ctx.db.transaction().execute(async (trx) => {
    const cur = (await verifiedOwnState(ctx, trx, u)).row;
    if (!equalBytes(cur.wrapped_sk, row.wrapped_sk)) throw new InvalidCredentialsError();
    await trx.updateTable('trust_user').set(wrappedColumns(w)).where('id', '=', u.userId).execute();
    await retag(ctx, trx, u.userId);
  });
  emit(ctx, [{ type: 'password-changed', userId: u.userId, at: ctx.now() }]);
}

export async function setDisabled(ctx: StoreContext, userId: string, disabled: boolean): Promise<void> {
  const r = await ctx.db.updateTable('trust_user').set({ disabled: disabled ? 1 : 0 }).where('id', '=', userId).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new TrustError('not-found', 'no such user');
}

export async function listUsers(ctx: StoreContext): Promise<UserInfo[]> {
  const rows = await ctx.db.selectFrom('trust_user').selectAll().orderBy('username').execute();
  return rows.map(toInfo);
}

export async function getUserByName(ctx: StoreContext, username: string): Promise<UserInfo | null> {
  const r = await userByName(ctx, ctx.db, username);
  return r ? toInfo(r) : null;
}

export async function getUser(ctx: StoreContext, userId: string): Promise<UserInfo | null> {
  if (!isUserId(userId)) return null;
  const r = await ctx.db.selectFrom('trust_user').selectAll().where('id', '=', userId).executeTakeFirst();
  return r ? toInfo(r) : null;
}
