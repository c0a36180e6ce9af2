// What every part of the trust store shares: the database, the clock, the event listener, the validated options and
// the server keys derived from serverSecret; plus the user-row access every part needs (lock, look-up, key tag).
// Built once by TrustStore and passed to users.ts, slots.ts, trustees.ts, resets.ts and invites.ts.
import { sql, type Kysely, type Transaction } from 'kysely';
import { deriveSubkey, equalBytes, keyedHash, PWHASH_INTERACTIVE, PWHASH_SALT_BYTES, randomBytes, type PwhashParams } from './crypto.ts';
import { dialectOf, type TrustDialect, type TrustTables, type TrustUserTable } from './db.ts';
import { normalizeUsername, pkTagInput, USER_TAG_INPUT_BYTES, WRAPPED_SK_BYTES } from './format.ts';
import { parseKeyRow, parseUserRow, pwhashCeiling } from './rows.ts';
import type { TrustEvent, TrustStoreOptions } from './types.ts';

export type Db = Kysely<TrustTables>;
export type Trx = Transaction<TrustTables>;
export type UserRow = TrustUserTable;

export interface StoreContext {
  readonly db: Db;
  readonly dialect: TrustDialect;
  readonly now: () => Date;
  readonly onEvent: ((e: TrustEvent) => void) | undefined;

  readonly slots: number;
  readonly pwhashParams: PwhashParams;
  /** Stored Argon2id parameters above this are a tampered row (rows.ts). */
  readonly pwCeiling: PwhashParams;
  readonly minWaitSeconds: number;
  readonly defaultWaitSeconds: number;
  readonly codeTtlSeconds: number;
  readonly vetoHoldSeconds: number;
  readonly resetTtlSeconds: number;
  readonly minPasswordLength: number;
  readonly inviteQuota: number;
  readonly inviteTtlSeconds: number;

  readonly kTokenTag: Buffer;
  readonly kPkTag: Buffer;
  readonly kInvite: Buffer;
  readonly kResetCode: Buffer;
  readonly kResetKey: Buffer;
  readonly kRecovery: Buffer;
  readonly kUserTag: Buffer;
  readonly dummySalt: Buffer;
  /** Stands in for a user id that does not exist, so unknown accounts take the same queries as real ones. */
  readonly decoyId: string;
  /** Input of the one tag computed for a missing account (same length as a real user-tag input). */
  readonly decoyTagInput: Buffer;
  readonly allowFormatUpgrade: boolean;
  /** Stand-ins for the AEAD open of a login attempt on an unknown name (same work as a wrong password). */
  readonly decoyKey: Buffer;
  readonly decoyWrapped: Buffer;
  /** Cache of the Argon2id parameter sets every login attempt runs (users.ts loginParamSets). */
  readonly pwSets: { sets: PwhashParams[] | null; at: number };
  /** An existing account read in place of an unknown name (binding.ts decoyUserId). */
  readonly decoy: { id: string | null };
}

/** Validates the options, applies the defaults and derives the server keys. Throws TypeError/RangeError. */
export function createStoreContext(opts: TrustStoreOptions): StoreContext {
  if (!(opts.serverSecret instanceof Uint8Array) || opts.serverSecret.length !== 32) {
    throw new TypeError('TrustStore: serverSecret must be exactly 32 bytes');
  }
  const slots = opts.slots ?? 8;
  if (!Number.isInteger(slots) || slots < 1 || slots > 64) throw new RangeError('TrustStore: slots must be an integer in 1..64');
  const minWaitSeconds = opts.minWaitSeconds ?? 86400;
  const limits = {
    minWaitSeconds,
    codeTtlSeconds: opts.codeTtlSeconds ?? 86400,
    vetoHoldSeconds: opts.vetoHoldSeconds ?? 7 * 86400,
    resetTtlSeconds: opts.resetTtlSeconds ?? 14 * 86400,
    inviteQuota: opts.invite?.quota ?? 5,
    inviteTtlSeconds: opts.invite?.ttlSeconds ?? 14 * 86400,
    minPasswordLength: opts.minPasswordLength ?? 8,
  };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`TrustStore: ${k} must be a non-negative integer`);
  }
  const kPkTag = deriveSubkey(opts.serverSecret, 'pk-tag');
  const pwhashParams = opts.pwhash ?? PWHASH_INTERACTIVE;
  return {
    db: opts.db as Db,
    dialect: dialectOf(opts.db),
    now: opts.now ?? (() => new Date()),
    onEvent: opts.onEvent,
    slots,
    pwhashParams,
    pwCeiling: pwhashCeiling(pwhashParams),
    defaultWaitSeconds: Math.max(opts.defaultWaitSeconds ?? 3 * 86400, minWaitSeconds),
    ...limits,
    kTokenTag: deriveSubkey(opts.serverSecret, 'token-tag'),
    kPkTag,
    kInvite: deriveSubkey(opts.serverSecret, 'invite-code'),
    kResetCode: deriveSubkey(opts.serverSecret, 'reset-code'),
    kResetKey: deriveSubkey(opts.serverSecret, 'reset-key'),
    kRecovery: deriveSubkey(opts.serverSecret, 'recovery'),
    kUserTag: deriveSubkey(opts.serverSecret, 'user-tag'),
    dummySalt: keyedHash(kPkTag, Buffer.from('login-dummy-salt'), PWHASH_SALT_BYTES),
    decoyId: randomBytes(16).toString('hex'),
    decoyTagInput: randomBytes(USER_TAG_INPUT_BYTES),
    allowFormatUpgrade: opts.allowFormatUpgrade ?? true,
    decoyKey: randomBytes(32),
    decoyWrapped: randomBytes(WRAPPED_SK_BYTES),
    pwSets: { sets: null, at: 0 },
    decoy: { id: null },
  };
}

export function emit(ctx: StoreContext, events: TrustEvent[]): void {
  if (!ctx.onEvent) return;
  for (const e of events) {
    try {
      ctx.onEvent(e);
    } catch {
      /* a listener's failure must not turn a committed change into an error */
    }
  }
}

export function nowMs(ctx: StoreContext): number {
  return ctx.now().getTime();
}

/**
 * Reads a user row inside a transaction. On PostgreSQL the row is locked (FOR UPDATE), which serializes every
 * operation on one user; each transaction locks at most one user row, so lock order cannot deadlock. SQLite needs
 * no lock: kysely runs one transaction at a time on the single better-sqlite3 connection.
 */
export async function lockUser(ctx: StoreContext, trx: Trx, userId: string): Promise<UserRow | undefined> {
  let q = trx.selectFrom('trust_user').selectAll().where('id', '=', userId);
  if (ctx.dialect === 'postgres') q = q.forUpdate();
  return checkedUser(ctx, await q.executeTakeFirst());
}

export async function userByName(ctx: StoreContext, db: Db | Trx, username: string): Promise<UserRow | undefined> {
  const name = typeof username === 'string' ? normalizeUsername(username) : null;
  if (!name) return undefined;
  return checkedUser(ctx, await db.selectFrom('trust_user').selectAll().where('username', '=', name).executeTakeFirst());
}

/**
 * Looks a username up with the same work whether or not it exists: one query that returns exactly one row — the
 * user's, or else the row of `standIn` (an existing account) — which is parsed either way. `row` is the user's.
 */
export async function lookupUser(ctx: StoreContext, db: Db | Trx, username: string, standIn: string): Promise<UserRow | undefined> {
  const name = typeof username === 'string' ? normalizeUsername(username) : null;
  if (!name) return undefined;
  const raw = await db
    .selectFrom('trust_user')
    .selectAll()
    .where(sql<boolean>`id = coalesce((select u.id from trust_user u where u.username = ${name}), ${standIn})`)
    .executeTakeFirst();
  const row = raw === undefined ? undefined : parseUserRow(raw, ctx.pwCeiling);
  if (raw !== undefined && raw.username === name) {
    if (!row) alertMalformed(ctx, raw);
    return row ?? undefined;
  }
  return undefined;
}

/**
 * A row whose values are out of type, length or range was written by someone other than this store: it reads as
 * absent (callers treat it like an unknown account) and raises an integrity alert.
 */
export function checkedUser(ctx: StoreContext, raw: unknown): UserRow | undefined {
  if (raw === undefined) return undefined;
  const row = parseUserRow(raw, ctx.pwCeiling);
  if (!row) alertMalformed(ctx, raw);
  return row ?? undefined;
}

export function alertMalformed(ctx: StoreContext, raw: unknown): void {
  const id = (raw as { id?: unknown } | null)?.id;
  emit(ctx, [{ type: 'integrity-alert', userId: typeof id === 'string' ? id : '', what: 'malformed-row', at: ctx.now() }]);
}

/** The server-keyed tag over a user's public key: a key swapped in the database does not carry a matching one. */
export function pkTag(ctx: StoreContext, userId: string, epoch: number, pk: Uint8Array): Buffer {
  return keyedHash(ctx.kPkTag, pkTagInput(userId, epoch, pk));
}

/** False (never a throw) for a tag that does not verify and for any malformed id, epoch, key or tag. */
export function pkValid(ctx: StoreContext, row: Pick<UserRow, 'id' | 'epoch' | 'public_key' | 'pk_tag'>): boolean {
  const k = parseKeyRow(row);
  return !!k && equalBytes(pkTag(ctx, k.id, k.epoch, k.public_key), k.pk_tag);
}

/** SQLite: zero deleted content on this store's connection (set once, before the first operation). */
export async function secureDelete(ctx: StoreContext): Promise<void> {
  if (ctx.dialect === 'sqlite') await sql`PRAGMA secure_delete = ON`.execute(ctx.db);
}

/**
 * SQLite, after a committed transaction that deleted or superseded linking data (slot rewrites, invite redemption,
 * reset completion): copy the WAL into the main file and truncate it, so the -wal file keeps no old page images.
 * Best effort: a checkpoint blocked by a long reader on another connection leaves them until the next one.
 */
export async function scrub(ctx: StoreContext): Promise<void> {
  if (ctx.dialect !== 'sqlite') return;
  try {
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(ctx.db);
  } catch {
    /* busy: the next scrub truncates */
  }
}
