// What every part of the trust store shares: the database, the clock, the event listener, the validated options and
// the server keys derived from serverSecret; plus the user-row access every part needs (lock, look-up, key tag).
// Built once by TrustStore and passed to users.ts, slots.ts, trustees.ts, resets.ts and invites.ts.
import type { Kysely, Transaction } from 'kysely';
import { deriveSubkey, equalBytes, keyedHash, PWHASH_INTERACTIVE, PWHASH_SALT_BYTES, type PwhashParams } from './crypto.ts';
import { dialectOf, type TrustDialect, type TrustTables, type TrustUserTable } from './db.ts';
import { normalizeUsername, pkTagInput } from './format.ts';
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
  readonly dummySalt: Buffer;
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
  return {
    db: opts.db as Db,
    dialect: dialectOf(opts.db),
    now: opts.now ?? (() => new Date()),
    onEvent: opts.onEvent,
    slots,
    pwhashParams: opts.pwhash ?? PWHASH_INTERACTIVE,
    defaultWaitSeconds: Math.max(opts.defaultWaitSeconds ?? 3 * 86400, minWaitSeconds),
    ...limits,
    kTokenTag: deriveSubkey(opts.serverSecret, 'token-tag'),
    kPkTag,
    kInvite: deriveSubkey(opts.serverSecret, 'invite-code'),
    kResetCode: deriveSubkey(opts.serverSecret, 'reset-code'),
    dummySalt: keyedHash(kPkTag, Buffer.from('login-dummy-salt'), PWHASH_SALT_BYTES),
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
  return q.executeTakeFirst();
}

export async function userByName(db: Db | Trx, username: string): Promise<UserRow | undefined> {
  const name = normalizeUsername(username);
  if (!name) return undefined;
  return db.selectFrom('trust_user').selectAll().where('username', '=', name).executeTakeFirst();
}

/** The server-keyed tag over a user's public key: a key swapped in the database does not carry a matching one. */
export function pkTag(ctx: StoreContext, userId: string, epoch: number, pk: Uint8Array): Buffer {
  return keyedHash(ctx.kPkTag, pkTagInput(userId, epoch, pk));
}

export function pkValid(ctx: StoreContext, row: Pick<UserRow, 'id' | 'epoch' | 'public_key' | 'pk_tag'>): boolean {
  return equalBytes(pkTag(ctx, row.id, Number(row.epoch), row.public_key), row.pk_tag);
}
