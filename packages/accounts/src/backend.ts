// Composes TrustStore calls into the steps the web flows take.
import { TrustError, type PendingReset, type ResetCode, type TrustStore, type UnlockedUser } from '@peergroup/trust';

export interface HelpResetOutcome {
  pending: PendingReset | null;
  /** A fresh one-time code when the waiting period is over (replaces any earlier one). */
  code: ResetCode | null;
}

/** Re-checks a logged-in user's own password without rewriting slots; throws 'invalid-credentials'. */
export async function verifyOwnPassword(store: TrustStore, user: UnlockedUser, password: string): Promise<void> {
  const again = await store.unlock(user.username, password);
  if (again.userId !== user.userId || again.epoch !== user.epoch)
    throw new TrustError('invalid-credentials', 'invalid username or password');
}

/**
 * The trustee asks to reset `targetUsername`. null when nothing was recorded (not a trustee, no such user, disabled,
 * veto hold): the caller must render that exactly like any other non-result.
 */
export async function helpReset(
  store: TrustStore,
  trustee: UnlockedUser,
  targetUsername: string,
  now: () => Date = () => new Date(),
): Promise<HelpResetOutcome | null> {
  const { recorded } = await store.requestReset(trustee, targetUsername);
  if (!recorded) return null;
  const info = await store.getUserByName(targetUsername);
  const pending = info ? await store.pendingResetFor(info.userId) : null;
  let code: ResetCode | null = null;
  if (pending?.state === 'armed' && pending.effectiveAt && pending.effectiveAt.getTime() <= now().getTime()) {
    try {
      code = await store.obtainResetCode(trustee, targetUsername);
    } catch (err) {
      if (!(err instanceof TrustError) || err.code !== 'reset-not-ready') throw err;
    }
  }
  return { pending, code };
}
