// The trust store: users with password-wrapped X25519 keys, N padded trust slots per user, k-of-n resets with a
// waiting period and veto, and single-use invites. No HTTP here; docs/trust-format.md specifies every byte.
import type { Kysely, Transaction } from 'kysely';
import {
  aeadOpen, aeadSeal, boxKeypair, deriveOwnerKey, deriveSubkey, dummySlotRow, equalBytes, keyedHash,
  publicKeyOf, pwhash, PWHASH_ALG_ARGON2ID13, PWHASH_INTERACTIVE, PWHASH_SALT_BYTES, randomBytes, randomUniform,
  sealOpen, seal, wipe, type PwhashParams, type SlotRowBytes,
} from './crypto.ts';
import { dialectOf, type TrustDialect, type TrustSlotTable, type TrustTables, type TrustUserTable } from './db.ts';
import {
  IntegrityError, InvalidCredentialsError, InvalidInviteError, InvalidResetCodeError, TrustError,
} from './errors.ts';
import {
  decodeOwnerPlaintext, decodeToken, encodeToken, formatInviteCode, formatResetCode, inviteHashInput,
  isInviteCode, isUserId, normalizeResetCode, normalizeUsername, ownerAd, ownerPlaintext, pkTagInput,
  resetCodeHashInput, skAd, tokenTagInput, type TokenContext,
} from './format.ts';
import type {
  InviteCode, InviteInfo, PendingReset, RequestResetResult, ResetCode, Trustee, TrustEvent, TrustSettings,
  TrustStoreOptions, UnlockedUser, UserInfo,
} from './types.ts';

type Db = Kysely<TrustTables>;
type Trx = Transaction<TrustTables>;
type UserRow = TrustUserTable;

const MAX_PASSWORD_CHARS = 1024;
const MAX_WAIT_SECONDS = 365 * 86400;

function toInfo(r: UserRow): UserInfo {
  return { userId: r.id, username: r.username, admin: r.is_admin === 1, disabled: r.disabled === 1, epoch: Number(r.epoch) };
}

function newUserId(): string {
  return randomBytes(16).toString('hex');
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export class TrustStore {
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
  readonly dialect: TrustDialect;

  private readonly db: Db;
  private readonly now: () => Date;
  private readonly onEvent: ((e: TrustEvent) => void) | undefined;
  private readonly kTokenTag: Buffer;
  private readonly kPkTag: Buffer;
  private readonly kInvite: Buffer;
  private readonly kResetCode: Buffer;
  private readonly dummySalt: Buffer;

  constructor(opts: TrustStoreOptions) {
    if (!(opts.serverSecret instanceof Uint8Array) || opts.serverSecret.length !== 32) {
      throw new TypeError('TrustStore: serverSecret must be exactly 32 bytes');
    }
    const slots = opts.slots ?? 8;
    if (!Number.isInteger(slots) || slots < 1 || slots > 64) throw new RangeError('TrustStore: slots must be an integer in 1..64');
    this.slots = slots;
    this.pwhashParams = opts.pwhash ?? PWHASH_INTERACTIVE;
    this.minWaitSeconds = opts.minWaitSeconds ?? 86400;
    this.defaultWaitSeconds = Math.max(opts.defaultWaitSeconds ?? 3 * 86400, this.minWaitSeconds);
    this.codeTtlSeconds = opts.codeTtlSeconds ?? 86400;
    this.vetoHoldSeconds = opts.vetoHoldSeconds ?? 7 * 86400;
    this.resetTtlSeconds = opts.resetTtlSeconds ?? 14 * 86400;
    this.minPasswordLength = opts.minPasswordLength ?? 8;
    this.inviteQuota = opts.invite?.quota ?? 5;
    this.inviteTtlSeconds = opts.invite?.ttlSeconds ?? 14 * 86400;
    for (const [k, v] of Object.entries({
      minWaitSeconds: this.minWaitSeconds, codeTtlSeconds: this.codeTtlSeconds, vetoHoldSeconds: this.vetoHoldSeconds, resetTtlSeconds: this.resetTtlSeconds,
      inviteQuota: this.inviteQuota, inviteTtlSeconds: this.inviteTtlSeconds, minPasswordLength: this.minPasswordLength,
    })) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`TrustStore: ${k} must be a non-negative integer`);
    }
    this.db = opts.db as Db;
    this.dialect = dialectOf(opts.db);
    this.now = opts.now ?? (() => new Date());
    this.onEvent = opts.onEvent;
    this.kTokenTag = deriveSubkey(opts.serverSecret, 'token-tag');
    this.kPkTag = deriveSubkey(opts.serverSecret, 'pk-tag');
    this.kInvite = deriveSubkey(opts.serverSecret, 'invite-code');
    this.kResetCode = deriveSubkey(opts.serverSecret, 'reset-code');
    this.dummySalt = keyedHash(this.kPkTag, Buffer.from('login-dummy-salt'), PWHASH_SALT_BYTES);
  }

  // ---------------------------------------------------------------------------------------------- plumbing

  private emit(events: TrustEvent[]): void {
    if (!this.onEvent) return;
    for (const e of events) {
      try {
        this.onEvent(e);
      } catch {
        /* a listener's failure must not turn a committed change into an error */
      }
    }
  }

  private nowMs(): number {
    return this.now().getTime();
  }

  /**
   * Reads a user row inside a transaction. On PostgreSQL the row is locked (FOR UPDATE), which serializes every
   * operation on one user; each transaction locks at most one user row, so lock order cannot deadlock. SQLite needs
   * no lock: kysely runs one transaction at a time on the single better-sqlite3 connection.
   */
  private async lockUser(trx: Trx, userId: string): Promise<UserRow | undefined> {
    let q = trx.selectFrom('trust_user').selectAll().where('id', '=', userId);
    if (this.dialect === 'postgres') q = q.forUpdate();
    return q.executeTakeFirst();
  }

  private async userByName(db: Db | Trx, username: string): Promise<UserRow | undefined> {
    const name = normalizeUsername(username);
    if (!name) return undefined;
    return db.selectFrom('trust_user').selectAll().where('username', '=', name).executeTakeFirst();
  }

  private pkTag(userId: string, epoch: number, pk: Uint8Array): Buffer {
    return keyedHash(this.kPkTag, pkTagInput(userId, epoch, pk));
  }

  private pkValid(row: Pick<UserRow, 'id' | 'epoch' | 'public_key' | 'pk_tag'>): boolean {
    return equalBytes(this.pkTag(row.id, Number(row.epoch), row.public_key), row.pk_tag);
  }

  private checkPassword(pw: string): void {
    if (typeof pw !== 'string' || [...pw].length < this.minPasswordLength || pw.length > MAX_PASSWORD_CHARS) {
      throw new TrustError('invalid-password', `password must be ${this.minPasswordLength}–${MAX_PASSWORD_CHARS} characters`);
    }
  }

  private checkUsername(username: string): string {
    const name = typeof username === 'string' ? normalizeUsername(username) : null;
    if (!name) throw new TrustError('invalid-username', 'username must be 1–64 of a-z 0-9 . _ - starting and ending with a letter or digit');
    return name;
  }

  private async wrapNew(password: string, userId: string, epoch: number, secretKey: Uint8Array) {
    const salt = randomBytes(PWHASH_SALT_BYTES);
    const key = await pwhash(password, salt, this.pwhashParams);
    const wrapped = aeadSeal(key, secretKey, skAd(userId, epoch));
    wipe(key);
    return { salt, wrapped, params: this.pwhashParams };
  }

  // ---------------------------------------------------------------------------------------------- slots

  private tokenTag(ctx: TokenContext, r: Uint8Array): Buffer {
    return keyedHash(this.kTokenTag, tokenTagInput(ctx, r));
  }

  /** Opens the owner's own slot list: slot → trustee id. Rows that do not open are dummies (or were tampered with). */
  private readAssignment(owner: UnlockedUser, row: UserRow, slots: Pick<TrustSlotTable, 'slot' | 'owner_box'>[]): Map<number, string> {
    const ownerKey = deriveOwnerKey(owner.secretKey);
    const out = new Map<number, string>();
    for (const s of slots) {
      const slot = Number(s.slot);
      const pt = aeadOpen(ownerKey, s.owner_box, ownerAd(row.id, Number(row.epoch), Number(row.slot_gen), slot));
      const trusteeId = pt ? decodeOwnerPlaintext(pt) : null;
      if (trusteeId && trusteeId !== row.id) out.set(slot, trusteeId);
    }
    return out;
  }

  /**
   * Rewrites all of the owner's slot rows under a new slot generation: real slots get a fresh R sealed to the
   * trustee's current (integrity-checked) key, all other rows become fresh dummies. Every row changes.
   */
  private async writeSlots(
    trx: Trx, owner: UnlockedUser, row: UserRow, assignment: Map<number, string>, events: TrustEvent[],
  ): Promise<void> {
    const newGen = Number(row.slot_gen) + 1;
    const epoch = Number(row.epoch);
    const ownerKey = deriveOwnerKey(owner.secretKey);
    const ids = [...new Set(assignment.values())];
    const trustees = ids.length
      ? await trx.selectFrom('trust_user').select(['id', 'epoch', 'public_key', 'pk_tag']).where('id', 'in', ids).execute()
      : [];
    const byId = new Map(trustees.map((t) => [t.id, t]));
    // Slots beyond the configured N can only exist if the operator lowered N: move them into free slots.
    const count = Math.max(this.slots, assignment.size);
    const placed = new Map<number, string>();
    const overflow: string[] = [];
    for (const [slot, id] of assignment) (slot < count ? placed.set(slot, id) : overflow.push(id));
    for (let s = 0; s < count && overflow.length; s++) if (!placed.has(s)) placed.set(s, overflow.shift()!);

    const rows: TrustSlotTable[] = [];
    let alerted = false;
    for (let slot = 0; slot < count; slot++) {
      const trusteeId = placed.get(slot);
      const trustee = trusteeId ? byId.get(trusteeId) : undefined;
      let bytes: SlotRowBytes;
      if (!trusteeId || !trustee) {
        bytes = dummySlotRow(); // no trustee, or the trustee's account no longer exists
      } else {
        const ownerBox = aeadSeal(ownerKey, ownerPlaintext(trusteeId), ownerAd(row.id, epoch, newGen, slot));
        if (!this.pkValid(trustee)) {
          // Someone swapped the trustee's public key in the database. Keep the relation (the owner still sees
          // it) but seal no token the swapped key could open.
          if (!alerted) events.push({ type: 'integrity-alert', userId: trustee.id, what: 'public-key', at: this.now() });
          alerted = true;
          const d = dummySlotRow();
          bytes = { ownerBox, tokenBox: d.tokenBox, tag: d.tag };
        } else {
          const ctx: TokenContext = { ownerId: row.id, ownerEpoch: epoch, slotGen: newGen, slot };
          const r = randomBytes(32);
          bytes = { ownerBox, tokenBox: seal(encodeToken(ctx, r), trustee.public_key), tag: this.tokenTag(ctx, r) };
        }
      }
      rows.push({ user_id: row.id, slot, owner_box: bytes.ownerBox, token_box: bytes.tokenBox, tag: bytes.tag });
    }
    await trx.deleteFrom('trust_slot').where('user_id', '=', row.id).execute();
    await trx.insertInto('trust_slot').values(rows).execute();
    await trx.updateTable('trust_user').set({ slot_gen: newGen }).where('id', '=', row.id).execute();
    row.slot_gen = newGen;
  }

  private async dummySlots(trx: Trx, userId: string): Promise<void> {
    const rows: TrustSlotTable[] = [];
    for (let slot = 0; slot < this.slots; slot++) {
      const d = dummySlotRow();
      rows.push({ user_id: userId, slot, owner_box: d.ownerBox, token_box: d.tokenBox, tag: d.tag });
    }
    await trx.deleteFrom('trust_slot').where('user_id', '=', userId).execute();
    await trx.insertInto('trust_slot').values(rows).execute();
  }

  /** Locks the owner, checks the unlocked key is current, opens the slot list, applies `change`, rewrites all rows. */
  private async mutateSlots<T>(
    owner: UnlockedUser,
    change: (assignment: Map<number, string>, trx: Trx, row: UserRow) => Promise<{ result: T; write: boolean }> | { result: T; write: boolean },
    events: TrustEvent[],
  ): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lockUser(trx, owner.userId);
      this.assertCurrent(owner, row);
      const slots = await trx.selectFrom('trust_slot').select(['slot', 'owner_box']).where('user_id', '=', row.id).execute();
      const assignment = this.readAssignment(owner, row, slots);
      const { result, write } = await change(assignment, trx, row);
      if (write) await this.writeSlots(trx, owner, row, assignment, events);
      return result;
    });
  }

  private assertCurrent(owner: UnlockedUser, row: UserRow | undefined): asserts row is UserRow {
    if (!row || Number(row.epoch) !== owner.epoch || !equalBytes(row.public_key, owner.publicKey)) {
      throw new TrustError('stale-session', 'the account key changed (reset); log in again');
    }
  }

  // ---------------------------------------------------------------------------------------------- users

  /** Creates a user with no trustees (the operator/admin path; invitees use redeemInvite). */
  async createUser(username: string, password: string, opts: { admin?: boolean } = {}): Promise<UnlockedUser> {
    const name = this.checkUsername(username);
    this.checkPassword(password);
    if (await this.userByName(this.db, name)) throw new TrustError('username-taken', 'username is taken');
    const id = newUserId();
    const epoch = 1;
    const kp = boxKeypair();
    const w = await this.wrapNew(password, id, epoch, kp.secretKey);
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('trust_user').values(this.newUserRow(id, name, epoch, kp.publicKey, w, opts.admin === true)).execute();
        await this.dummySlots(trx, id);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new TrustError('username-taken', 'username is taken');
      throw err;
    }
    this.emit([{ type: 'user-created', userId: id, at: this.now() }]);
    return { userId: id, username: name, epoch, publicKey: kp.publicKey, secretKey: kp.secretKey };
  }

  private newUserRow(
    id: string, name: string, epoch: number, pk: Buffer, w: { salt: Buffer; wrapped: Buffer; params: PwhashParams }, admin: boolean,
  ): UserRow {
    return {
      id, username: name, is_admin: admin ? 1 : 0, disabled: 0, epoch, slot_gen: 1,
      public_key: pk, pk_tag: this.pkTag(id, epoch, pk), wrapped_sk: w.wrapped, pw_salt: w.salt,
      pw_opslimit: w.params.opslimit, pw_memlimit: w.params.memlimit, pw_alg: PWHASH_ALG_ARGON2ID13,
      threshold: 1, wait_seconds: this.defaultWaitSeconds,
    };
  }

  /**
   * Verifies the password and returns the unlocked key WITHOUT rewriting slots or emitting events. Use it when a
   * logged-in user re-enters their password to confirm an action (e.g. before requestReset).
   */
  async unlock(username: string, password: string): Promise<UnlockedUser> {
    return (await this.unlockRow(username, password)).user;
  }

  private async unlockRow(username: string, password: string): Promise<{ user: UnlockedUser; row: UserRow }> {
    const row = typeof username === 'string' ? await this.userByName(this.db, username) : undefined;
    const pw = typeof password === 'string' ? password.slice(0, MAX_PASSWORD_CHARS) : '';
    if (!row) {
      // Same Argon2id work as a real attempt, so response time does not reveal whether the name exists.
      await pwhash(pw, this.dummySalt, this.pwhashParams);
      throw new InvalidCredentialsError();
    }
    const key = await pwhash(pw, row.pw_salt, { opslimit: Number(row.pw_opslimit), memlimit: Number(row.pw_memlimit) }, Number(row.pw_alg));
    const sk = aeadOpen(key, row.wrapped_sk, skAd(row.id, Number(row.epoch)));
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
  async login(username: string, password: string): Promise<UnlockedUser> {
    const { user, row } = await this.unlockRow(username, password);
    const weaker = Number(row.pw_opslimit) < this.pwhashParams.opslimit || Number(row.pw_memlimit) < this.pwhashParams.memlimit;
    const rewrap = weaker ? await this.wrapNew(password, user.userId, user.epoch, user.secretKey) : null;
    const events: TrustEvent[] = [];
    await this.db.transaction().execute(async (trx) => {
      const cur = await this.lockUser(trx, user.userId);
      if (!cur || Number(cur.epoch) !== user.epoch) throw new InvalidCredentialsError(); // reset completed meanwhile
      if (!equalBytes(cur.public_key, user.publicKey) || !this.pkValid(cur)) {
        // The wrapped key opened with the user's password, so it is authentic; the stored public key is not.
        events.push({ type: 'integrity-alert', userId: user.userId, what: 'own-public-key', at: this.now() });
        cur.public_key = user.publicKey;
        cur.pk_tag = this.pkTag(user.userId, user.epoch, user.publicKey);
        await trx.updateTable('trust_user').set({ public_key: cur.public_key, pk_tag: cur.pk_tag }).where('id', '=', cur.id).execute();
      }
      if (rewrap && equalBytes(cur.wrapped_sk, row.wrapped_sk)) {
        await trx.updateTable('trust_user')
          .set({ wrapped_sk: rewrap.wrapped, pw_salt: rewrap.salt, pw_opslimit: rewrap.params.opslimit, pw_memlimit: rewrap.params.memlimit, pw_alg: PWHASH_ALG_ARGON2ID13 })
          .where('id', '=', cur.id).execute();
      }
      const slots = await trx.selectFrom('trust_slot').select(['slot', 'owner_box']).where('user_id', '=', cur.id).execute();
      const assignment = this.readAssignment(user, cur, slots);
      await this.writeSlots(trx, user, cur, assignment, events);
    });
    events.push({ type: 'login', userId: user.userId, at: this.now() });
    this.emit(events);
    return user;
  }

  /** Rewrites the slots of an already logged-in user (e.g. after a trustee reset their key). */
  async regenerate(user: UnlockedUser): Promise<void> {
    const events: TrustEvent[] = [];
    await this.mutateSlots(user, () => ({ result: undefined, write: true }), events);
    this.emit(events);
  }

  /** Re-wraps the same key under a new password; relations are untouched. Requires the old password. */
  async changePassword(user: UnlockedUser | string, oldPassword: string, newPassword: string): Promise<void> {
    this.checkPassword(newPassword);
    const username = typeof user === 'string' ? user : user.username;
    const { user: u, row } = await this.unlockRow(username, oldPassword);
    const w = await this.wrapNew(newPassword, u.userId, u.epoch, u.secretKey);
    await this.db.transaction().execute(async (trx) => {
      const cur = await this.lockUser(trx, u.userId);
      if (!cur || Number(cur.epoch) !== u.epoch || !equalBytes(cur.wrapped_sk, row.wrapped_sk)) throw new InvalidCredentialsError();
      await trx.updateTable('trust_user')
        .set({ wrapped_sk: w.wrapped, pw_salt: w.salt, pw_opslimit: w.params.opslimit, pw_memlimit: w.params.memlimit, pw_alg: PWHASH_ALG_ARGON2ID13 })
        .where('id', '=', u.userId).execute();
    });
    this.emit([{ type: 'password-changed', userId: u.userId, at: this.now() }]);
  }

  async setDisabled(userId: string, disabled: boolean): Promise<void> {
    const r = await this.db.updateTable('trust_user').set({ disabled: disabled ? 1 : 0 }).where('id', '=', userId).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new TrustError('not-found', 'no such user');
  }

  async listUsers(): Promise<UserInfo[]> {
    const rows = await this.db.selectFrom('trust_user').selectAll().orderBy('username').execute();
    return rows.map(toInfo);
  }

  async getUserByName(username: string): Promise<UserInfo | null> {
    const r = await this.userByName(this.db, username);
    return r ? toInfo(r) : null;
  }

  async getUser(userId: string): Promise<UserInfo | null> {
    if (!isUserId(userId)) return null;
    const r = await this.db.selectFrom('trust_user').selectAll().where('id', '=', userId).executeTakeFirst();
    return r ? toInfo(r) : null;
  }

  // ---------------------------------------------------------------------------------------------- trust links

  async listTrustees(user: UnlockedUser): Promise<Trustee[]> {
    const row = await this.db.selectFrom('trust_user').selectAll().where('id', '=', user.userId).executeTakeFirst();
    this.assertCurrent(user, row);
    const slots = await this.db.selectFrom('trust_slot').select(['slot', 'owner_box']).where('user_id', '=', row.id).execute();
    const ids = [...new Set(this.readAssignment(user, row, slots).values())];
    if (ids.length === 0) return [];
    const names = await this.db.selectFrom('trust_user').select(['id', 'username']).where('id', 'in', ids).execute();
    return names.map((n) => ({ userId: n.id, username: n.username })).sort((a, b) => a.username.localeCompare(b.username));
  }

  /** A starts trusting `username` (who may then help reset A). All N rows are rewritten. */
  async addTrustee(user: UnlockedUser, username: string): Promise<Trustee> {
    const target = await this.userByName(this.db, username);
    if (!target) throw new TrustError('not-found', 'no such user');
    if (target.id === user.userId) throw new TrustError('trustee-self', 'you cannot be your own trustee');
    if (!this.pkValid(target)) {
      this.emit([{ type: 'integrity-alert', userId: target.id, what: 'public-key', at: this.now() }]);
      throw new IntegrityError('the trustee\'s stored public key failed its integrity check');
    }
    const events: TrustEvent[] = [];
    await this.mutateSlots(user, async (assignment, trx, row) => {
      if ([...assignment.values()].includes(target.id)) throw new TrustError('trustee-exists', 'already a trustee');
      const free: number[] = [];
      for (let s = 0; s < this.slots; s++) if (!assignment.has(s)) free.push(s);
      if (free.length === 0) throw new TrustError('slots-full', `all ${this.slots} trust slots are in use`);
      // A random free slot, so slot numbers say nothing about the order relations were made in.
      const slot = free[randomUniform(free.length)]!;
      assignment.set(slot, target.id);
      // A confirmation recorded for this slot belonged to whoever held it before.
      await trx.deleteFrom('trust_reset_confirmation').where('user_id', '=', row.id).where('slot', '=', slot).execute();
      return { result: undefined, write: true };
    }, events);
    events.push({ type: 'trustee-added', userId: user.userId, at: this.now() });
    this.emit(events);
    return { userId: target.id, username: target.username };
  }

  /** Returns false when `trusteeId` was not a trustee. The slot becomes a dummy; all N rows are rewritten. */
  async removeTrustee(user: UnlockedUser, trusteeId: string): Promise<boolean> {
    const events: TrustEvent[] = [];
    const removed = await this.mutateSlots(user, async (assignment, trx, row) => {
      const slots = [...assignment].filter(([, id]) => id === trusteeId).map(([s]) => s);
      if (slots.length === 0) return { result: false, write: false };
      for (const s of slots) assignment.delete(s);
      await trx.deleteFrom('trust_reset_confirmation').where('user_id', '=', row.id).where('slot', 'in', slots).execute();
      return { result: true, write: true };
    }, events);
    if (removed) events.push({ type: 'trustee-removed', userId: user.userId, at: this.now() });
    this.emit(events);
    return removed;
  }

  async getSettings(userId: string): Promise<TrustSettings> {
    const r = await this.db.selectFrom('trust_user').select(['threshold', 'wait_seconds']).where('id', '=', userId).executeTakeFirst();
    if (!r) throw new TrustError('not-found', 'no such user');
    return { threshold: Number(r.threshold), waitSeconds: Number(r.wait_seconds) };
  }

  async setSettings(userId: string, settings: Partial<TrustSettings>): Promise<TrustSettings> {
    const { threshold, waitSeconds } = settings;
    if (threshold !== undefined && (!Number.isInteger(threshold) || threshold < 1 || threshold > this.slots)) {
      throw new TrustError('invalid-settings', `threshold must be an integer in 1..${this.slots}`);
    }
    if (waitSeconds !== undefined && (!Number.isInteger(waitSeconds) || waitSeconds < this.minWaitSeconds || waitSeconds > MAX_WAIT_SECONDS)) {
      throw new TrustError('invalid-settings', `waitSeconds must be an integer in ${this.minWaitSeconds}..${MAX_WAIT_SECONDS}`);
    }
    const set: { threshold?: number; wait_seconds?: number } = {};
    if (threshold !== undefined) set.threshold = threshold;
    if (waitSeconds !== undefined) set.wait_seconds = waitSeconds;
    if (Object.keys(set).length) {
      const r = await this.db.updateTable('trust_user').set(set).where('id', '=', userId).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw new TrustError('not-found', 'no such user');
    }
    return this.getSettings(userId);
  }

  // ---------------------------------------------------------------------------------------------- resets

  /**
   * The slots of `target` whose token opens with the trustee's key and verifies against the server's own view of
   * (target id, epoch, slot generation, slot). Exposed for the benchmark; callers normally use requestReset.
   */
  confirmedSlots(trustee: UnlockedUser, target: Pick<UserRow, 'id' | 'epoch' | 'slot_gen'>, slots: Pick<TrustSlotTable, 'slot' | 'token_box' | 'tag'>[]): number[] {
    const out: number[] = [];
    for (const s of slots) {
      const pt = sealOpen(s.token_box, trustee.publicKey, trustee.secretKey);
      if (!pt) continue;
      const d = decodeToken(pt);
      if (!d) continue;
      const ctx: TokenContext = { ownerId: target.id, ownerEpoch: Number(target.epoch), slotGen: Number(target.slot_gen), slot: Number(s.slot) };
      if (d.ownerId !== ctx.ownerId || d.ownerEpoch !== ctx.ownerEpoch || d.slotGen !== ctx.slotGen || d.slot !== ctx.slot) continue;
      // Recomputed from the server's values, not the box's: only the server secret can produce a matching tag.
      if (equalBytes(this.tokenTag(ctx, d.r), s.tag)) out.push(ctx.slot);
    }
    return out;
  }

  private decoys?: Pick<TrustSlotTable, 'slot' | 'token_box' | 'tag'>[];
  /** N slot rows no key opens, made once: equal work for requests about accounts that do not exist. */
  private decoySlots(): Pick<TrustSlotTable, 'slot' | 'token_box' | 'tag'>[] {
    this.decoys ??= Array.from({ length: this.slots }, (_, slot) => {
      const d = dummySlotRow();
      return { slot, token_box: d.tokenBox, tag: d.tag };
    });
    return this.decoys;
  }

  private async trusteeCurrent(trx: Trx, trustee: UnlockedUser): Promise<boolean> {
    const t = await trx.selectFrom('trust_user').select(['epoch', 'public_key', 'disabled']).where('id', '=', trustee.userId).executeTakeFirst();
    return !!t && t.disabled === 0 && Number(t.epoch) === trustee.epoch && equalBytes(t.public_key, trustee.publicKey);
  }

  /**
   * Trustee B (freshly unlocked with B's password) asks to reset `targetUsername`. Counted per slot, never per
   * trustee id. `recorded: false` for a non-trustee, a disabled or unknown target, or during a veto hold.
   */
  async requestReset(trustee: UnlockedUser, targetUsername: string): Promise<RequestResetResult> {
    const target0 = await this.userByName(this.db, targetUsername);
    if (!target0 || target0.id === trustee.userId) {
      // The N box opens dominate this call's time: do them anyway, so timing does not tell whether the account exists.
      this.confirmedSlots(trustee, { id: '0'.repeat(32), epoch: 0, slot_gen: 0 }, this.decoySlots());
      return { recorded: false };
    }
    const events: TrustEvent[] = [];
    const recorded = await this.db.transaction().execute(async (trx) => {
      const target = await this.lockUser(trx, target0.id);
      if (!target || target.disabled === 1 || !(await this.trusteeCurrent(trx, trustee))) return false;
      const slots = await trx.selectFrom('trust_slot').select(['slot', 'token_box', 'tag']).where('user_id', '=', target.id).execute();
      const confirmed = this.confirmedSlots(trustee, target, slots);
      if (confirmed.length === 0) return false;
      const now = this.nowMs();
      let reset = await trx.selectFrom('trust_reset').selectAll().where('user_id', '=', target.id).executeTakeFirst();
      if (reset?.state === 'vetoed') {
        if (now < Number(reset.vetoed_at) + this.vetoHoldSeconds * 1000) return false;
        await this.dropReset(trx, target.id);
        reset = undefined;
      } else if (reset && this.resetExpired(reset, now)) {
        await this.dropReset(trx, target.id);
        reset = undefined;
      }
      if (!reset) {
        reset = { user_id: target.id, state: 'collecting', created_at: now, armed_at: null, effective_at: null, vetoed_at: null };
        await trx.insertInto('trust_reset').values(reset).execute();
      }
      const before = await this.countConfirmations(trx, target.id);
      await trx.insertInto('trust_reset_confirmation')
        .values(confirmed.map((slot) => ({ user_id: target.id, slot })))
        .onConflict((oc) => oc.columns(['user_id', 'slot']).doNothing())
        .execute();
      const count = await this.countConfirmations(trx, target.id);
      const threshold = Number(target.threshold);
      if (count > before) events.push({ type: 'reset-requested', userId: target.id, confirmations: count, threshold, at: new Date(now) });
      if (reset.state === 'collecting' && count >= threshold) {
        const effectiveAt = now + Math.max(Number(target.wait_seconds), this.minWaitSeconds) * 1000;
        await trx.updateTable('trust_reset').set({ state: 'armed', armed_at: now, effective_at: effectiveAt }).where('user_id', '=', target.id).execute();
        events.push({ type: 'reset-armed', userId: target.id, effectiveAt: new Date(effectiveAt), at: new Date(now) });
      }
      return true;
    });
    this.emit(events);
    return { recorded };
  }

  /**
   * A reset that sat collecting for resetTtl, or stayed armed for resetTtl after its effective time, is void:
   * confirmations must not pile up over months until they reach k.
   */
  private resetExpired(reset: { state: string; created_at: number; effective_at: number | null }, now: number): boolean {
    const ttl = this.resetTtlSeconds * 1000;
    if (reset.state === 'collecting') return now >= Number(reset.created_at) + ttl;
    if (reset.state === 'armed') return reset.effective_at !== null && now >= Number(reset.effective_at) + ttl;
    return false;
  }

  private async dropReset(trx: Trx, userId: string): Promise<void> {
    await trx.deleteFrom('trust_reset_code').where('user_id', '=', userId).execute();
    await trx.deleteFrom('trust_reset_confirmation').where('user_id', '=', userId).execute();
    await trx.deleteFrom('trust_reset').where('user_id', '=', userId).execute();
  }

  private async countConfirmations(trx: Trx, userId: string): Promise<number> {
    const r = await trx.selectFrom('trust_reset_confirmation').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /** For A's dashboard. Null when nothing is pending (a veto hold that has passed counts as nothing). */
  async pendingResetFor(userId: string): Promise<PendingReset | null> {
    const reset = await this.db.selectFrom('trust_reset').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!reset) return null;
    const user = await this.db.selectFrom('trust_user').select(['threshold']).where('id', '=', userId).executeTakeFirst();
    if (!user) return null;
    const vetoedUntil = reset.state === 'vetoed' ? Number(reset.vetoed_at) + this.vetoHoldSeconds * 1000 : null;
    if (vetoedUntil !== null && this.nowMs() >= vetoedUntil) return null;
    if (this.resetExpired(reset, this.nowMs())) return null;
    const n = await this.db.selectFrom('trust_reset_confirmation').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirst();
    return {
      state: reset.state,
      confirmations: Number(n?.n ?? 0),
      threshold: Number(user.threshold),
      createdAt: new Date(Number(reset.created_at)),
      effectiveAt: reset.effective_at === null ? null : new Date(Number(reset.effective_at)),
      vetoedUntil: vetoedUntil === null ? null : new Date(vetoedUntil),
    };
  }

  /** A cancels a pending reset from a logged-in session. Confirmations and any issued code are discarded. */
  async vetoReset(userId: string): Promise<boolean> {
    const vetoed = await this.db.transaction().execute(async (trx) => {
      const user = await this.lockUser(trx, userId);
      if (!user) return false;
      const reset = await trx.selectFrom('trust_reset').selectAll().where('user_id', '=', userId).executeTakeFirst();
      if (!reset || reset.state === 'vetoed') return false;
      if (this.resetExpired(reset, this.nowMs())) {
        await this.dropReset(trx, userId);
        return false;
      }
      await trx.deleteFrom('trust_reset_confirmation').where('user_id', '=', userId).execute();
      await trx.deleteFrom('trust_reset_code').where('user_id', '=', userId).execute();
      await trx.updateTable('trust_reset').set({ state: 'vetoed', vetoed_at: this.nowMs(), armed_at: null, effective_at: null }).where('user_id', '=', userId).execute();
      return true;
    });
    if (vetoed) this.emit([{ type: 'reset-vetoed', userId, at: this.now() }]);
    return vetoed;
  }

  /**
   * After the waiting period, a trustee whose confirmation counted gets a one-time code (replacing any earlier
   * code) to hand to A in person. Throws TrustError('reset-not-ready') otherwise, without saying why.
   */
  async obtainResetCode(trustee: UnlockedUser, targetUsername: string): Promise<ResetCode> {
    const notReady = () => new TrustError('reset-not-ready', 'no reset code is available');
    const target0 = await this.userByName(this.db, targetUsername);
    if (!target0 || target0.id === trustee.userId) throw notReady();
    const events: TrustEvent[] = [];
    const result = await this.db.transaction().execute(async (trx) => {
      const target = await this.lockUser(trx, target0.id);
      if (!target || target.disabled === 1 || !(await this.trusteeCurrent(trx, trustee))) throw notReady();
      const now = this.nowMs();
      const reset = await trx.selectFrom('trust_reset').selectAll().where('user_id', '=', target.id).executeTakeFirst();
      if (!reset || reset.state !== 'armed' || reset.effective_at === null || now < Number(reset.effective_at) || this.resetExpired(reset, now)) throw notReady();
      const slots = await trx.selectFrom('trust_slot').select(['slot', 'token_box', 'tag']).where('user_id', '=', target.id).execute();
      const mine = this.confirmedSlots(trustee, target, slots);
      const confirmed = await trx.selectFrom('trust_reset_confirmation').select('slot').where('user_id', '=', target.id).execute();
      const set = new Set(confirmed.map((c) => Number(c.slot)));
      if (!mine.some((s) => set.has(s))) throw notReady();
      const code = formatResetCode(randomBytes(10));
      const expiresAt = now + this.codeTtlSeconds * 1000;
      const hash = keyedHash(this.kResetCode, resetCodeHashInput(target.id, Number(target.epoch), normalizeResetCode(code)!));
      await trx.deleteFrom('trust_reset_code').where('user_id', '=', target.id).execute();
      await trx.insertInto('trust_reset_code').values({ user_id: target.id, code_hash: hash, expires_at: expiresAt }).execute();
      events.push({ type: 'reset-code-issued', userId: target.id, expiresAt: new Date(expiresAt), at: new Date(now) });
      return { code, expiresAt: new Date(expiresAt) };
    });
    this.emit(events);
    return result;
  }

  private async resetCodeValid(db: Db | Trx, target: UserRow, normalized: string, now: number): Promise<boolean> {
    const [code, reset] = await Promise.all([
      db.selectFrom('trust_reset_code').selectAll().where('user_id', '=', target.id).executeTakeFirst(),
      db.selectFrom('trust_reset').selectAll().where('user_id', '=', target.id).executeTakeFirst(),
    ]);
    const hash = keyedHash(this.kResetCode, resetCodeHashInput(target.id, Number(target.epoch), normalized));
    const match = !!code && equalBytes(hash, code.code_hash);
    return match && !!code && now < Number(code.expires_at) && reset?.state === 'armed' && reset.effective_at !== null
      && now >= Number(reset.effective_at) && !this.resetExpired(reset, now);
  }

  /**
   * A presents the code with a new password: new keypair, epoch + 1, all slots dummies, reset consumed. The
   * service must end all of A's sessions (reset-completed event). Rows where A is someone's trustee are repaired
   * when those users next log in.
   */
  async completeReset(username: string, code: string, newPassword: string): Promise<UnlockedUser> {
    this.checkPassword(newPassword);
    const normalized = typeof code === 'string' ? normalizeResetCode(code) : null;
    if (!normalized) throw new InvalidResetCodeError();
    const target0 = await this.userByName(this.db, username);
    // Cheap check first so invalid codes cannot make the server burn Argon2id.
    if (!target0 || target0.disabled === 1 || !(await this.resetCodeValid(this.db, target0, normalized, this.nowMs()))) {
      throw new InvalidResetCodeError();
    }
    const epoch = Number(target0.epoch) + 1;
    const kp = boxKeypair();
    const w = await this.wrapNew(newPassword, target0.id, epoch, kp.secretKey);
    await this.db.transaction().execute(async (trx) => {
      const target = await this.lockUser(trx, target0.id);
      if (!target || target.disabled === 1 || Number(target.epoch) !== epoch - 1) throw new InvalidResetCodeError();
      if (!(await this.resetCodeValid(trx, target, normalized, this.nowMs()))) throw new InvalidResetCodeError();
      await this.dropReset(trx, target.id);
      await trx.updateTable('trust_user').set({
        epoch, slot_gen: Number(target.slot_gen) + 1, public_key: kp.publicKey, pk_tag: this.pkTag(target.id, epoch, kp.publicKey),
        wrapped_sk: w.wrapped, pw_salt: w.salt, pw_opslimit: w.params.opslimit, pw_memlimit: w.params.memlimit, pw_alg: PWHASH_ALG_ARGON2ID13,
      }).where('id', '=', target.id).execute();
      await this.dummySlots(trx, target.id);
    });
    this.emit([{ type: 'reset-completed', userId: target0.id, epoch, at: this.now() }]);
    return { userId: target0.id, username: target0.username, epoch, publicKey: kp.publicKey, secretKey: kp.secretKey };
  }

  // ---------------------------------------------------------------------------------------------- invites

  private inviteHash(code: string): Buffer {
    return keyedHash(this.kInvite, inviteHashInput(code));
  }

  async createInvite(userId: string): Promise<InviteCode> {
    return this.db.transaction().execute(async (trx) => {
      const user = await this.lockUser(trx, userId);
      if (!user || user.disabled === 1) throw new TrustError('not-found', 'no such active user');
      const now = this.nowMs();
      const open = await trx.selectFrom('trust_invite').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('inviter_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
      if (Number(open?.n ?? 0) >= this.inviteQuota) throw new TrustError('invite-quota', `at most ${this.inviteQuota} open invites`);
      const id = randomBytes(8).toString('hex');
      const code = formatInviteCode(randomBytes(24));
      const expiresAt = now + this.inviteTtlSeconds * 1000;
      await trx.insertInto('trust_invite').values({ id, inviter_id: userId, code_hash: this.inviteHash(code), created_at: now, expires_at: expiresAt, revoked_at: null }).execute();
      return { id, code, expiresAt: new Date(expiresAt) };
    });
  }

  /** Open, expired and revoked invites. Redeemed invites are deleted at redemption, so they are not listed. */
  async listInvites(userId: string): Promise<InviteInfo[]> {
    const now = this.nowMs();
    const rows = await this.db.selectFrom('trust_invite').selectAll().where('inviter_id', '=', userId).orderBy('created_at').execute();
    return rows.map((r) => ({
      id: r.id,
      createdAt: new Date(Number(r.created_at)),
      expiresAt: new Date(Number(r.expires_at)),
      state: r.revoked_at !== null ? 'revoked' : now >= Number(r.expires_at) ? 'expired' : 'open',
    }));
  }

  async revokeInvite(userId: string, inviteId: string): Promise<boolean> {
    const r = await this.db.updateTable('trust_invite').set({ revoked_at: this.nowMs() })
      .where('id', '=', inviteId).where('inviter_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Creates an account from an invite; the new user's first slot trusts the inviter. The invite row is deleted in
   * the same transaction, so afterwards nothing in plaintext links inviter and invitee.
   */
  async redeemInvite(code: string, username: string, password: string): Promise<UnlockedUser> {
    if (typeof code !== 'string' || !isInviteCode(code)) throw new InvalidInviteError();
    const name = this.checkUsername(username);
    this.checkPassword(password);
    const hash = this.inviteHash(code);
    const live = async (db: Db | Trx, lock: boolean) => {
      let q = db.selectFrom('trust_invite').selectAll().where('code_hash', '=', hash);
      if (lock && this.dialect === 'postgres') q = q.forUpdate();
      const inv = await q.executeTakeFirst();
      return inv && inv.revoked_at === null && this.nowMs() < Number(inv.expires_at) && equalBytes(inv.code_hash, hash) ? inv : undefined;
    };
    if (!(await live(this.db, false))) throw new InvalidInviteError();
    if (await this.userByName(this.db, name)) throw new TrustError('username-taken', 'username is taken');
    const id = newUserId();
    const epoch = 1;
    const kp = boxKeypair();
    const w = await this.wrapNew(password, id, epoch, kp.secretKey);
    const user: UnlockedUser = { userId: id, username: name, epoch, publicKey: kp.publicKey, secretKey: kp.secretKey };
    const events: TrustEvent[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        const inv = await live(trx, true);
        if (!inv) throw new InvalidInviteError();
        const inviter = await trx.selectFrom('trust_user').select(['id', 'disabled']).where('id', '=', inv.inviter_id).executeTakeFirst();
        if (!inviter || inviter.disabled === 1) throw new InvalidInviteError();
        await trx.deleteFrom('trust_invite').where('id', '=', inv.id).execute();
        const row = this.newUserRow(id, name, epoch, kp.publicKey, w, false);
        await trx.insertInto('trust_user').values(row).execute();
        await this.writeSlots(trx, user, row, new Map([[randomUniform(this.slots), inviter.id]]), events);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new TrustError('username-taken', 'username is taken');
      throw err;
    }
    events.unshift({ type: 'user-created', userId: id, at: this.now() });
    this.emit(events);
    return user;
  }
}

