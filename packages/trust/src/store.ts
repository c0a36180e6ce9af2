// The trust store: users with password-wrapped X25519 keys, N padded trust slots per user, k-of-n resets with a
// waiting period and veto, and single-use invites. No HTTP here; docs/trust-format.md specifies every byte.
// TrustStore is the public façade: it validates the options once (store-context.ts) and hands the shared context to
// one module per concept — users.ts, slots.ts, trustees.ts, resets.ts, invites.ts.
import type { PwhashParams } from './crypto.ts';
import type { TrustDialect } from './db.ts';
import * as invites from './invites.ts';
import * as resets from './resets.ts';
import { confirmedSlots, type TokenSlotRow } from './slots.ts';
import { createStoreContext, type StoreContext, type UserRow } from './store-context.ts';
import * as trustees from './trustees.ts';
import type {
  InviteCode, InviteInfo, PendingReset, RequestResetResult, ResetCode, Trustee, TrustSettings, TrustStoreOptions,
  UnlockedUser, UserInfo,
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

  // ---------------------------------------------------------------------------------------------- users

  /** Creates a user with no trustees (the operator/admin path; invitees use redeemInvite). */
  createUser(username: string, password: string, opts: { admin?: boolean } = {}): Promise<UnlockedUser> {
    return users.createUser(this.ctx, username, password, opts);
  }

  /**
   * Verifies the password and returns the unlocked key WITHOUT rewriting slots or emitting events. Use it when a
   * logged-in user re-enters their password to confirm an action (e.g. before requestReset).
   */
  unlock(username: string, password: string): Promise<UnlockedUser> {
    return users.unlock(this.ctx, username, password);
  }

  /**
   * Password login: unlocks the key, re-wraps it if the operator raised the Argon2id cost, and rewrites all N
   * slots. Throws InvalidCredentialsError for unknown user or wrong password alike.
   */
  login(username: string, password: string): Promise<UnlockedUser> {
    return users.login(this.ctx, username, password);
  }

  /** Rewrites the slots of an already logged-in user (e.g. after a trustee reset their key). */
  regenerate(user: UnlockedUser): Promise<void> {
    return users.regenerate(this.ctx, user);
  }

  /** Re-wraps the same key under a new password; relations are untouched. Requires the old password. */
  changePassword(user: UnlockedUser | string, oldPassword: string, newPassword: string): Promise<void> {
    return users.changePassword(this.ctx, user, oldPassword, newPassword);
  }

  setDisabled(userId: string, disabled: boolean): Promise<void> {
    return users.setDisabled(this.ctx, userId, disabled);
  }

  listUsers(): Promise<UserInfo[]> {
    return users.listUsers(this.ctx);
  }

  getUserByName(username: string): Promise<UserInfo | null> {
    return users.getUserByName(this.ctx, username);
  }

  getUser(userId: string): Promise<UserInfo | null> {
    return users.getUser(this.ctx, userId);
  }

  // ---------------------------------------------------------------------------------------------- trust links

  listTrustees(user: UnlockedUser): Promise<Trustee[]> {
    return trustees.listTrustees(this.ctx, user);
  }

  /** A starts trusting `username` (who may then help reset A). All N rows are rewritten. */
  addTrustee(user: UnlockedUser, username: string): Promise<Trustee> {
    return trustees.addTrustee(this.ctx, user, username);
  }

  /** Returns false when `trusteeId` was not a trustee. The slot becomes a dummy; all N rows are rewritten. */
  removeTrustee(user: UnlockedUser, trusteeId: string): Promise<boolean> {
    return trustees.removeTrustee(this.ctx, user, trusteeId);
  }

  // ---------------------------------------------------------------------------------------------- resets

  getSettings(userId: string): Promise<TrustSettings> {
    return resets.getSettings(this.ctx, userId);
  }

  setSettings(userId: string, settings: Partial<TrustSettings>): Promise<TrustSettings> {
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
  requestReset(trustee: UnlockedUser, targetUsername: string): Promise<RequestResetResult> {
    return resets.requestReset(this.ctx, trustee, targetUsername);
  }

  /** For A's dashboard. Null when nothing is pending (a veto hold that has passed counts as nothing). */
  pendingResetFor(userId: string): Promise<PendingReset | null> {
    return resets.pendingResetFor(this.ctx, userId);
  }

  /** A cancels a pending reset from a logged-in session. Confirmations and any issued code are discarded. */
  vetoReset(userId: string): Promise<boolean> {
    return resets.vetoReset(this.ctx, userId);
  }

  /**
   * After the waiting period, a trustee whose confirmation counted gets a one-time code (replacing any earlier
   * code) to hand to A in person. Throws TrustError('reset-not-ready') otherwise, without saying why.
   */
  obtainResetCode(trustee: UnlockedUser, targetUsername: string): Promise<ResetCode> {
    return resets.obtainResetCode(this.ctx, trustee, targetUsername);
  }

  /**
   * A presents the code with a new password: new keypair, epoch + 1, all slots dummies, reset consumed. The
   * service must end all of A's sessions (reset-completed event).
   */
  completeReset(username: string, code: string, newPassword: string): Promise<UnlockedUser> {
    return resets.completeReset(this.ctx, username, code, newPassword);
  }

  // ---------------------------------------------------------------------------------------------- invites

  createInvite(userId: string): Promise<InviteCode> {
    return invites.createInvite(this.ctx, userId);
  }

  /** Open, expired and revoked invites. Redeemed invites are deleted at redemption, so they are not listed. */
  listInvites(userId: string): Promise<InviteInfo[]> {
    return invites.listInvites(this.ctx, userId);
  }

  revokeInvite(userId: string, inviteId: string): Promise<boolean> {
    return invites.revokeInvite(this.ctx, userId, inviteId);
  }

  /** Creates an account from an invite; the new user's first slot trusts the inviter. */
  redeemInvite(code: string, username: string, password: string): Promise<UnlockedUser> {
    return invites.redeemInvite(this.ctx, code, username, password);
  }
}
