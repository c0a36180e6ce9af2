// The trust store: users with password-wrapped X25519 keys, N padded trust slots per user, k-of-n resets with a
// waiting period and veto, and single-use invites. No HTTP here; docs/trust-format.md specifies every byte.
// TrustStore is the public façade: it validates the options once (store-context.ts) and hands the shared context to
// one module per concept — users.ts, slots.ts, trustees.ts, resets.ts, invites.ts.
import { openMailKey } from './mail-key.ts';
import * as recovery from './recovery.ts';
import type { PwhashParams } from './crypto.ts';
import type { TrustDialect } from './db.ts';
import * as invites from './invites.ts';
import * as resets from './resets.ts';
import { confirmedSlots, type TokenSlotRow } from './slots.ts';
import { upgradeFormat } from './binding.ts';
import { createStoreContext, emit, secureDelete, type StoreContext, type UserRow } from './store-context.ts';
import * as trustees from './trustees.ts';
import type {
  InviteCode,
  InviteInfo,
  PendingReset,
  RequestResetResult,
  ResetCode,
  Trustee,
  TrustSettings,
  TrustStoreOptions,
  UnlockedUser,
  UsedInvites,
  UserInfo,
} from './types.ts';
import * as users from './users.ts';

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

  private readonly ctx: StoreContext;
  private readying: Promise<void> | null = null;

  constructor(opts: TrustStoreOptions) {
    const ctx = createStoreContext(opts);
    this.ctx = ctx;
    this.slots = ctx.slots;
    this.pwhashParams = ctx.pwhashParams;
    this.minWaitSeconds = ctx.minWaitSeconds;
    this.defaultWaitSeconds = ctx.defaultWaitSeconds;
    this.codeTtlSeconds = ctx.codeTtlSeconds;
    this.vetoHoldSeconds = ctx.vetoHoldSeconds;
    this.resetTtlSeconds = ctx.resetTtlSeconds;
    this.minPasswordLength = ctx.minPasswordLength;
    this.inviteQuota = ctx.inviteQuota;
    this.inviteTtlSeconds = ctx.inviteTtlSeconds;
    this.dialect = ctx.dialect;
  }

  /**
   * Runs before the first operation: brings a format-1 database to format 2 (user tags, see binding.ts), or refuses
   * a database whose format marker does not verify. Failures are not cached, so a transient error is retried.
   */
  private ready(): Promise<void> {
    if (!this.readying) {
      this.readying = secureDelete(this.ctx)
        .then(() => upgradeFormat(this.ctx))
        .then(
          (r) => {
            if (r && (r.upgraded > 0 || r.skipped > 0)) {
              emit(this.ctx, [{ type: 'format-upgraded', users: r.upgraded, untagged: r.skipped, at: this.ctx.now() }]);
            }
          },
          (err: unknown) => {
            this.readying = null;
            throw err;
          },
        );
    }
    return this.readying;
  }

  // ---------------------------------------------------------------------------------------------- users

  /** Creates a user with no trustees (the operator/admin path; invitees use redeemInvite). */
  async createUser(username: string, password: string, opts: { admin?: boolean } = {}): Promise<UnlockedUser> {
    await this.ready();
    return users.createUser(this.ctx, username, password, opts);
  }

  /**
   * Verifies the password and returns the unlocked key WITHOUT rewriting slots or emitting events. Use it when a
   * logged-in user re-enters their password to confirm an action (e.g. before requestReset).
   */
  async unlock(username: string, password: string): Promise<UnlockedUser> {
    await this.ready();
    return users.unlock(this.ctx, username, password);
  }

  /**
   * Password login: unlocks the key, re-wraps it if the operator raised the Argon2id cost, and rewrites all N
   * slots. Throws InvalidCredentialsError for unknown user or wrong password alike.
   */
  async login(username: string, password: string): Promise<UnlockedUser> {
    await this.ready();
    return users.login(this.ctx, username, password);
  }

  /** Rewrites the slots of an already logged-in user (e.g. after a trustee reset their key). */
  async regenerate(user: UnlockedUser): Promise<void> {
    await this.ready();
    return users.regenerate(this.ctx, user);
  }

  /** Re-wraps the same key under a new password; relations are untouched. Requires the old password. */
  async changePassword(user: UnlockedUser | string, oldPassword: string, newPassword: string): Promise<void> {
    await this.ready();
    return users.changePassword(this.ctx, user, oldPassword, newPassword);
  }

  async setDisabled(userId: string, disabled: boolean): Promise<void> {
    await this.ready();
    return users.setDisabled(this.ctx, userId, disabled);
  }

  async listUsers(): Promise<UserInfo[]> {
    await this.ready();
    return users.listUsers(this.ctx);
  }

  async getUserByName(username: string): Promise<UserInfo | null> {
    await this.ready();
    return users.getUserByName(this.ctx, username);
  }

  async getUser(userId: string): Promise<UserInfo | null> {
    await this.ready();
    return users.getUser(this.ctx, userId);
  }

  // ---------------------------------------------------------------------------------------------- trust links

  async listTrustees(user: UnlockedUser): Promise<Trustee[]> {
    await this.ready();
    return trustees.listTrustees(this.ctx, user);
  }

  /** A starts trusting `username` (who may then help reset A). All N rows are rewritten. */
  async addTrustee(user: UnlockedUser, username: string): Promise<Trustee> {
    await this.ready();
    return trustees.addTrustee(this.ctx, user, username);
  }

  /** Returns false when `trusteeId` was not a trustee. The slot becomes a dummy; all N rows are rewritten. */
  async removeTrustee(user: UnlockedUser, trusteeId: string): Promise<boolean> {
    await this.ready();
    return trustees.removeTrustee(this.ctx, user, trusteeId);
  }

  // ---------------------------------------------------------------------------------------------- resets

  async getSettings(userId: string): Promise<TrustSettings> {
    await this.ready();
    return resets.getSettings(this.ctx, userId);
  }

  async setSettings(userId: string, settings: Partial<TrustSettings>): Promise<TrustSettings> {
    await this.ready();
    return resets.setSettings(this.ctx, userId, settings);
  }

  /**
   * The slots of `target` whose token opens with the trustee's key and verifies against the server's own view of
   * (target id, epoch, slot generation, slot). Exposed for the benchmark; callers normally use requestReset.
   */
  confirmedSlots(trustee: UnlockedUser, target: Pick<UserRow, 'id' | 'epoch' | 'slot_gen'>, slots: TokenSlotRow[]): number[] {
    return confirmedSlots(this.ctx, trustee, target, slots);
  }

  /**
   * Trustee B (freshly unlocked with B's password) asks to reset `targetUsername`. Counted per slot, never per
   * trustee id. `recorded: false` for a non-trustee, a disabled or unknown target, or during a veto hold.
   */
  async requestReset(trustee: UnlockedUser, targetUsername: string): Promise<RequestResetResult> {
    await this.ready();
    return resets.requestReset(this.ctx, trustee, targetUsername);
  }

  /** For A's dashboard. Null when nothing is pending (a veto hold that has passed counts as nothing). */
  async pendingResetFor(userId: string): Promise<PendingReset | null> {
    await this.ready();
    return resets.pendingResetFor(this.ctx, userId);
  }

  /** A cancels a pending reset from a logged-in session. Confirmations and any issued code are discarded. */
  async vetoReset(userId: string): Promise<boolean> {
    await this.ready();
    return resets.vetoReset(this.ctx, userId);
  }

  /**
   * After the waiting period, a trustee whose confirmation counted gets a one-time code (replacing any earlier
   * code) to hand to A in person. Throws TrustError('reset-not-ready') otherwise, without saying why.
   */
  async obtainResetCode(trustee: UnlockedUser, targetUsername: string): Promise<ResetCode> {
    await this.ready();
    return resets.obtainResetCode(this.ctx, trustee, targetUsername);
  }

  /**
   * A presents the code with a new password: new keypair, epoch + 1, all slots dummies, reset consumed. The
   * service must end all of A's sessions (reset-completed event).
   */
  async completeReset(
    username: string,
    code: string,
    newPassword: string,
    opts: { mailCode?: string } = {},
  ): Promise<UnlockedUser & { mailKeyRestored: boolean }> {
    await this.ready();
    return resets.completeReset(this.ctx, username, code, newPassword, opts);
  }

  /** A new recovery code for the owner (format 3 §4.3), replacing any earlier one: show once, to be printed. */
  async createRecoveryCode(owner: UnlockedUser): Promise<string> {
    await this.ready();
    return recovery.createRecoveryCode(this.ctx, owner);
  }

  /** Whether the user has an unused recovery code (for the owner's dashboard). */
  async hasRecoveryCode(userId: string): Promise<boolean> {
    await this.ready();
    return recovery.hasRecoveryCode(this.ctx, userId);
  }

  /**
   * Redeems a recovery code with a new password: like a completed reset (new key pair, epoch + 1, no trustees, the
   * service must end A's sessions on reset-completed), with the mail key restored. The code is used up.
   */
  async redeemRecoveryCode(username: string, code: string, newPassword: string): Promise<UnlockedUser & { mailKeyRestored: boolean }> {
    await this.ready();
    return recovery.redeemRecoveryCode(this.ctx, username, code, newPassword);
  }

  /** The owner's mail key (format 3), or null before their first login under format 3. Callers wipe it. */
  async mailKey(owner: UnlockedUser): Promise<Buffer | null> {
    await this.ready();
    return this.ctx.db.transaction().execute((trx) => openMailKey(trx, owner.userId, owner.epoch, owner.secretKey));
  }

  // ---------------------------------------------------------------------------------------------- invites

  /** `note`: for the inviter's eyes only (sealed to their key; at most 120 bytes of UTF-8 are kept). */
  async createInvite(userId: string, note?: string): Promise<InviteCode> {
    await this.ready();
    return invites.createInvite(this.ctx, userId, note);
  }

  /**
   * Open, expired and revoked invites; redeemed ones are deleted at redemption (usedInvites lists them). Pass the
   * unlocked owner to get each invite's note.
   */
  async listInvites(userId: string, owner?: UnlockedUser): Promise<InviteInfo[]> {
    await this.ready();
    return invites.listInvites(this.ctx, userId, owner);
  }

  /** The owner's used invites from their sealed log, newest first, without who used them. */
  async usedInvites(owner: UnlockedUser): Promise<UsedInvites> {
    await this.ready();
    return invites.usedInvites(this.ctx, owner);
  }

  async revokeInvite(userId: string, inviteId: string): Promise<boolean> {
    await this.ready();
    return invites.revokeInvite(this.ctx, userId, inviteId);
  }

  /** Whether the code would redeem now, without redeeming it (the sign-up form checks every field at once). */
  async checkInvite(code: string): Promise<boolean> {
    await this.ready();
    return invites.checkInvite(this.ctx, code);
  }

  /** Creates an account from an invite; the new user's first slot trusts the inviter. */
  async redeemInvite(code: string, username: string, password: string): Promise<UnlockedUser> {
    await this.ready();
    return invites.redeemInvite(this.ctx, code, username, password);
  }
}
