// The user tag (docs/trust-format.md §3.1): one server-keyed BLAKE2b tag per user over everything that decides who
// can log in as the user and who can reset them — id, epoch, slot generation, public key, the password wrap and its
// parameters, k and the waiting period, and the whole reset state (row, confirmed slots, code). The store
// recomputes it at every legitimate change, with the user row locked, and verifies it before it trusts any of
// those values. Without the server secret, a database writer can only replay a complete earlier state of a user.
import { equalBytes, keyedHash } from './crypto.ts';
import { IntegrityError, TrustError } from './errors.ts';
import { formatMarkerInput, userTagInput, type UserTagFields } from './format.ts';
import { bytesOf, intIn, SLOT_MAX } from './rows.ts';
import { checkedUser, emit, type Db, type StoreContext, type Trx, type UserRow } from './store-context.ts';

export interface ResetState {
  state: 'collecting' | 'armed' | 'vetoed';
  created_at: number;
  armed_at: number | null;
  effective_at: number | null;
  vetoed_at: number | null;
}

export interface CodeState {
  code_hash: Buffer;
  expires_at: number;
}

/** A user row with its reset state, read in one transaction. `malformed`: some reset value was out of range. */
export interface UserState {
  row: UserRow;
  reset: ResetState | null;
  confirmations: number[];
  code: CodeState | null;
  malformed: boolean;
}

const MS_MAX = Number.MAX_SAFE_INTEGER;

function parseReset(raw: Record<string, unknown> | undefined): ResetState | null | 'bad' {
  if (!raw) return null;
  const state = raw.state === 'collecting' || raw.state === 'armed' || raw.state === 'vetoed' ? raw.state : null;
  const created = intIn(raw.created_at, 0, MS_MAX);
  const opt = (v: unknown) => (v === null ? null : (intIn(v, 0, MS_MAX) ?? 'bad'));
  const armed = opt(raw.armed_at);
  const effective = opt(raw.effective_at);
  const vetoed = opt(raw.vetoed_at);
  if (state === null || created === null || armed === 'bad' || effective === 'bad' || vetoed === 'bad') return 'bad';
  return { state, created_at: created, armed_at: armed, effective_at: effective, vetoed_at: vetoed };
}

function parseCode(raw: Record<string, unknown> | undefined): CodeState | null | 'bad' {
  if (!raw) return null;
  const hash = bytesOf(raw.code_hash, 32);
  const expires = intIn(raw.expires_at, 0, MS_MAX);
  return hash && expires !== null ? { code_hash: hash, expires_at: expires } : 'bad';
}

/**
 * Reads a user and its reset state: always exactly four queries, whether or not the user exists (callers pass a
 * decoy id for unknown names, so the work does not depend on existence). With `lock`, the user row is locked
 * first (PostgreSQL FOR UPDATE), which makes the other three reads consistent with it: every writer of those
 * rows holds the same lock. Null when there is no (well-formed) user row.
 */
export async function loadState(ctx: StoreContext, db: Db | Trx, userId: string, lock: boolean): Promise<UserState | null> {
  let q = db.selectFrom('trust_user').selectAll().where('id', '=', userId);
  if (lock && ctx.dialect === 'postgres') q = q.forUpdate();
  const rawUser = await q.executeTakeFirst();
  const rawReset = await db.selectFrom('trust_reset').selectAll().where('user_id', '=', userId).executeTakeFirst();
  const rawConf = await db.selectFrom('trust_reset_confirmation').select('slot').where('user_id', '=', userId).execute();
  const rawCode = await db.selectFrom('trust_reset_code').selectAll().where('user_id', '=', userId).executeTakeFirst();
  const row = checkedUser(ctx, rawUser);
  if (!row) return null;
  const reset = parseReset(rawReset as Record<string, unknown> | undefined);
  const code = parseCode(rawCode as Record<string, unknown> | undefined);
  const confirmations: number[] = [];
  let malformed = reset === 'bad' || code === 'bad';
  for (const c of rawConf) {
    const s = intIn(c.slot, 0, SLOT_MAX);
    if (s === null) malformed = true;
    else confirmations.push(s);
  }
  return { row, reset: reset === 'bad' ? null : reset, confirmations, code: code === 'bad' ? null : code, malformed };
}

/** Consistent read-only snapshot (PostgreSQL REPEATABLE READ; SQLite transactions are serializable anyway). */
export function snapshot<T>(ctx: StoreContext, fn: (trx: Trx) => Promise<T>): Promise<T> {
  const t = ctx.db.transaction();
  return (ctx.dialect === 'postgres' ? t.setIsolationLevel('repeatable read') : t).execute(fn);
}

function tagFields(st: Omit<UserState, 'malformed'>, publicKey: Uint8Array): UserTagFields {
  const r = st.row;
  return {
    userId: r.id,
    epoch: r.epoch,
    slotGen: r.slot_gen,
    publicKey,
    pwAlg: r.pw_alg,
    pwOpslimit: r.pw_opslimit,
    pwMemlimit: r.pw_memlimit,
    pwSalt: r.pw_salt,
    wrappedSk: r.wrapped_sk,
    threshold: r.threshold,
    waitSeconds: r.wait_seconds,
    reset: st.reset && {
      state: st.reset.state,
      createdAt: st.reset.created_at,
      armedAt: st.reset.armed_at,
      effectiveAt: st.reset.effective_at,
      vetoedAt: st.reset.vetoed_at,
    },
    confirmations: st.confirmations,
    code: st.code && { codeHash: st.code.code_hash, expiresAt: st.code.expires_at },
  };
}

/** The user tag over a state, with `publicKey` in place of the stored column (login passes the derived key). */
export function computeUserTag(ctx: StoreContext, st: Omit<UserState, 'malformed'>, publicKey: Uint8Array = st.row.public_key): Buffer {
  return keyedHash(ctx.kUserTag, userTagInput(tagFields(st, publicKey)));
}

/**
 * Whether the stored user tag verifies over the state. Always computes one tag (over a stand-in when the row is
 * missing), so callers do the same work for unknown accounts.
 */
export function stateValid(ctx: StoreContext, st: UserState | null, publicKey?: Uint8Array): boolean {
  if (!st) {
    keyedHash(ctx.kUserTag, ctx.decoyTagInput);
    return false;
  }
  let expected: Buffer;
  try {
    expected = computeUserTag(ctx, st, publicKey ?? st.row.public_key);
  } catch {
    return false; // a value out of range for the encoding: tampered
  }
  const stored = st.row.user_tag;
  return !st.malformed && !!stored && equalBytes(expected, stored);
}

/** stateValid, raising an `account-state` integrity alert when it fails for an existing user. */
export function checkState(ctx: StoreContext, st: UserState | null, publicKey?: Uint8Array): boolean {
  const ok = stateValid(ctx, st, publicKey);
  if (!ok && st) emit(ctx, [{ type: 'integrity-alert', userId: st.row.id, what: 'account-state', at: ctx.now() }]);
  return ok;
}

/** Recomputes and stores the user tag after a change (the user row is locked by the caller's transaction). */
export async function retag(ctx: StoreContext, trx: Trx, userId: string): Promise<void> {
  const st = await loadState(ctx, trx, userId, false);
  if (!st) throw new IntegrityError('the user row vanished or became malformed inside a locked transaction');
  if (st.malformed) throw new IntegrityError('stored reset state is malformed');
  await trx
    .updateTable('trust_user')
    .set({ user_tag: computeUserTag(ctx, st) })
    .where('id', '=', userId)
    .execute();
}

// ------------------------------------------------------------------------------------------------ format upgrade

const MARKER = 'format';

function markerValue(ctx: StoreContext): Buffer {
  return keyedHash(ctx.kUserTag, formatMarkerInput());
}

/**
 * Runs once per store before its first operation. A database at format 2 carries a server-keyed marker; a database
 * written by format 1 code (no marker, no user tags) is upgraded: every well-formed user row gets its tag computed
 * from what it holds now — which blesses rows that were tampered with *before* the upgrade; nothing can tell those
 * apart. Refuses (IntegrityError) a marker that does not verify (wrong serverSecret?) and tags without a marker.
 */
export async function upgradeFormat(ctx: StoreContext): Promise<{ upgraded: number; skipped: number } | null> {
  const expected = markerValue(ctx);
  const check = (v: unknown) => {
    if (!equalBytes(bytesOf(v) ?? Buffer.alloc(0), expected)) {
      throw new IntegrityError('trust_meta.format does not verify: wrong serverSecret for this database, or tampering');
    }
  };
  const marker = await ctx.db.selectFrom('trust_meta').select('value').where('name', '=', MARKER).executeTakeFirst();
  if (marker) {
    check(marker.value);
    return null;
  }
  return ctx.db.transaction().execute(async (trx) => {
    if (ctx.dialect === 'postgres') {
      await trx.selectNoFrom((eb) => eb.fn('pg_advisory_xact_lock', [eb.val(0x7472757374)]).as('l')).execute();
    }
    const again = await trx.selectFrom('trust_meta').select('value').where('name', '=', MARKER).executeTakeFirst();
    if (again) {
      check(again.value);
      return null;
    }
    const tagged = await trx.selectFrom('trust_user').select('id').where('user_tag', 'is not', null).limit(1).execute();
    if (tagged.length > 0) {
      throw new IntegrityError('trust_user rows carry user tags but trust_meta has no format marker: refusing to re-tag (tampering?)');
    }
    const users = await trx.selectFrom('trust_user').select('id').execute();
    if (users.length > 0 && !ctx.allowFormatUpgrade) {
      throw new TrustError('integrity', 'this trust database is at format 1 and allowFormatUpgrade is false: refusing to tag its rows');
    }
    let upgraded = 0;
    let skipped = 0;
    for (const { id } of users) {
      const st = await loadState(ctx, trx, id, true);
      if (!st || st.malformed) {
        skipped++;
        continue;
      } // stays untagged: reads as tampered from now on
      try {
        await trx
          .updateTable('trust_user')
          .set({ user_tag: computeUserTag(ctx, st) })
          .where('id', '=', id)
          .execute();
        upgraded++;
      } catch {
        skipped++;
      }
    }
    await trx.insertInto('trust_meta').values({ name: MARKER, value: expected }).execute();
    return { upgraded, skipped };
  });
}

/**
 * Some existing account's id (cached per store), read in place of an unknown name so that the rows fetched and
 * parsed are real ones; the stand-in is never locked or changed. A random id when the store has no users yet.
 */
export async function decoyUserId(ctx: StoreContext, db: Db | Trx): Promise<string> {
  if (!ctx.decoy.id) {
    const r = await db.selectFrom('trust_user').select('id').limit(1).executeTakeFirst();
    if (r) ctx.decoy.id = r.id;
  }
  return ctx.decoy.id ?? ctx.decoyId;
}
