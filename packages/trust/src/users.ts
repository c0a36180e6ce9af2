// Accounts (trust_user): creation, password unlock and login, password change, disabling, listing; and the
// username/password rules and key wrapping that invites.ts and resets.ts share when they make or re-key an account.
import {
  aeadOpen,
  aeadSeal,
  boxKeypair,
  equalBytes,
  publicKeyOf,
  pwhash,
  PWHASH_ALG_ARGON2ID13,
  PWHASH_MIN,
  PWHASH_SALT_BYTES,
  randomBytes,
  wipe,
  type PwhashParams,
} from './crypto.ts';
import { checkState, computeUserTag, decoyUserId, loadState, retag, type UserState } from './binding.ts';
import { IntegrityError, InvalidCredentialsError, TrustError } from './errors.ts';
import { isUserId, normalizeUsername, skAd } from './format.ts';
import { intIn } from './rows.ts';
import { dummySlots, mutateSlots, readAssignment, writeSlots } from './slots.ts';
import { emit, lookupUser, pkTag, pkValid, scrub, userByName, type StoreContext, type Trx, type UserRow } from './store-context.ts';
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

export async function wrapNew(
  ctx: StoreContext,
  password: string,
  userId: string,
  epoch: number,
  secretKey: Uint8Array,
): Promise<WrappedKey> {
  const salt = randomBytes(PWHASH_SALT_BYTES);
  const key = await pwhash(password, salt, ctx.pwhashParams);
  const wrapped = aeadSeal(key, secretKey, skAd(userId, epoch));
  wipe(key);
  return { salt, wrapped, params: ctx.pwhashParams };
}

/** The columns that store a key wrapped by wrapNew. */
export function wrappedColumns(w: WrappedKey) {
  return {
    wrapped_sk: w.wrapped,
    pw_salt: w.salt,
    pw_opslimit: w.params.opslimit,
    pw_memlimit: w.params.memlimit,
    pw_alg: PWHASH_ALG_ARGON2ID13,
  };
}

/** A new account's row, with its user tag (no reset state yet). */
export function newUserRow(ctx: StoreContext, id: string, name: string, epoch: number, pk: Buffer, w: WrappedKey, admin: boolean): UserRow {
  const row: UserRow = {
    id,
    username: name,
    is_admin: admin ? 1 : 0,
    disabled: 0,
    epoch,
    slot_gen: 1,
    public_key: pk,
    pk_tag: pkTag(ctx, id, epoch, pk),
    ...wrappedColumns(w),
    threshold: 1,
    wait_seconds: ctx.defaultWaitSeconds,
    user_tag: null,
  };
  row.user_tag = computeUserTag(ctx, { row, reset: null, confirmations: [], code: null });
  return row;
}

/** Creates a user with no trustees (the operator/admin path; invitees use redeemInvite). */
export async function createUser(
  ctx: StoreContext,
  username: string,
  password: string,
  opts: { admin?: boolean } = {},
): Promise<UnlockedUser> {
  const name = checkUsername(username);
  checkPassword(ctx, password);
  if (await userByName(ctx, ctx.db, name)) throw new TrustError('username-taken', 'username is taken');
  const id = newUserId();
  const epoch = 1;
  const kp = boxKeypair();
  const w = await wrapNew(ctx, password, id, epoch, kp.secretKey);
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('trust_user')
        .values(newUserRow(ctx, id, name, epoch, kp.publicKey, w, opts.admin === true))
        .execute();
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
  const { user, rewrap } = await unlockRow(ctx, username, password);
  if (rewrap) wipe(rewrap.key);
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

interface Unlocked {
  user: UnlockedUser;
  row: UserRow;
  /** Argon2id of the password with the configured cost and a fresh salt, when the row's cost is below it. */
  rewrap: { key: Buffer; salt: Buffer } | null;
}

const sameParams = (a: PwhashParams, b: PwhashParams) => a.opslimit === b.opslimit && a.memlimit === b.memlimit;

/**
 * Every password attempt runs one Argon2id per parameter set in use (loginParamSets: the configured cost and the
 * costs still stored by not-yet-upgraded accounts), then one AEAD open — whether the name exists, which cost its
 * row has, and whether the password is right. For a real row one of them is its own unwrap and, when its cost is
 * below the configured one, the configured-cost run is the key for its upgrade; all other runs use the dummy salt.
 */
async function unlockRow(ctx: StoreContext, username: string, password: string): Promise<Unlocked> {
  const row = await lookupUser(ctx, ctx.db, username, await decoyUserId(ctx, ctx.db));
  const pw = typeof password === 'string' ? password.slice(0, MAX_PASSWORD_CHARS) : '';
  const cfg = ctx.pwhashParams;
  const stored = row ? { opslimit: row.pw_opslimit, memlimit: row.pw_memlimit } : null;
  const weaker = !!stored && (stored.opslimit < cfg.opslimit || stored.memlimit < cfg.memlimit);
  let key: Buffer | null = null;
  let rewrap: Unlocked['rewrap'] = null;
  for (const p of await loginParamSets(ctx)) {
    if (row && stored && !key && sameParams(p, stored)) key = await pwhash(pw, row.pw_salt, p, row.pw_alg);
    else if (weaker && !rewrap && sameParams(p, cfg)) {
      const salt = randomBytes(PWHASH_SALT_BYTES);
      rewrap = { salt, key: await pwhash(pw, salt, p) };
    } else wipe(await pwhash(pw, ctx.dummySalt, p));
  }
  // The row's cost is not in the cached sets (it changed since the last refresh): one more run, rare.
  if (row && stored && !key) key = await pwhash(pw, row.pw_salt, stored, row.pw_alg);
  const sk = aeadOpen(key ?? ctx.decoyKey, row?.wrapped_sk ?? ctx.decoyWrapped, skAd(row?.id ?? ctx.decoyId, row?.epoch ?? 1));
  if (key) wipe(key);
  if (!row || !sk) {
    if (rewrap) wipe(rewrap.key);
    throw new InvalidCredentialsError();
  }
  if (row.disabled === 1) {
    if (rewrap) wipe(rewrap.key);
    throw new TrustError('account-disabled', 'account is disabled');
  }
  return { user: { userId: row.id, username: row.username, epoch: row.epoch, publicKey: publicKeyOf(sk), secretKey: sk }, row, rewrap };
}

const PARAM_REFRESH_MS = 60_000;
const MAX_PARAM_SETS = 4;

/**
 * The Argon2id parameter sets every login attempt runs: the configured one first, then up to three others that
 * stored rows still carry (most common first), re-read at most once a minute. The read does not depend on the
 * username, so neither does its cost.
 */
export async function loginParamSets(ctx: StoreContext): Promise<PwhashParams[]> {
  const c = ctx.pwSets;
  const now = Date.now();
  if (!c.sets || now - c.at > PARAM_REFRESH_MS) {
    const rows = await ctx.db
      .selectFrom('trust_user')
      .select((eb) => ['pw_opslimit', 'pw_memlimit', eb.fn.countAll<number>().as('n')])
      .groupBy(['pw_opslimit', 'pw_memlimit'])
      .orderBy('n', 'desc')
      .limit(16)
      .execute();
    const sets: PwhashParams[] = [ctx.pwhashParams];
    for (const r of rows) {
      const p = {
        opslimit: intIn(r.pw_opslimit, PWHASH_MIN.opslimit, ctx.pwCeiling.opslimit),
        memlimit: intIn(r.pw_memlimit, PWHASH_MIN.memlimit, ctx.pwCeiling.memlimit),
      };
      if (p.opslimit === null || p.memlimit === null) continue;
      const q = { opslimit: p.opslimit, memlimit: p.memlimit };
      if (sets.length < MAX_PARAM_SETS && !sets.some((x) => sameParams(x, q))) sets.push(q);
    }
    c.sets = sets;
    c.at = now;
  }
  return c.sets;
}

/**
 * Password login: unlocks the key, re-wraps it if the operator raised the Argon2id cost, and rewrites all N
 * slots (fresh R sealed to every trustee's current key). Throws InvalidCredentialsError for unknown user or wrong
 * password alike.
 */
export async function login(ctx: StoreContext, username: string, password: string): Promise<UnlockedUser> {
  const { user, row, rewrap: prepared } = await unlockRow(ctx, username, password);
  let rewrap: WrappedKey | null = null;
  if (prepared) {
    rewrap = {
      salt: prepared.salt,
      wrapped: aeadSeal(prepared.key, user.secretKey, skAd(user.userId, user.epoch)),
      params: ctx.pwhashParams,
    };
    wipe(prepared.key);
  }
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
export async function changePassword(
  ctx: StoreContext,
  user: UnlockedUser | string,
  oldPassword: string,
  newPassword: string,
): Promise<void> {
  checkPassword(ctx, newPassword);
  const username = typeof user === 'string' ? user : user.username;
  const { user: u, row, rewrap } = await unlockRow(ctx, username, oldPassword);
  if (rewrap) wipe(rewrap.key);
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
  const r = await ctx.db
    .updateTable('trust_user')
    .set({ disabled: disabled ? 1 : 0 })
    .where('id', '=', userId)
    .executeTakeFirst();
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
