// Composes TrustStore calls into the steps the web flows take.
import { TrustError, type PendingReset, type ResetCode, type TrustStore, type UnlockedUser } from '@peergroup/trust';

export interface HelpResetOutcome {
  pending: PendingReset | null;
  /** A fresh one-time code when the waiting period is over (replaces any earlier one). */
  code: ResetCode | null;
  /** Only when this request started the reset: the mail code, shown once, to hand over with the reset code. */
  mailCode?: string;
}

/** Re-checks a logged-in user's own password without rewriting slots; throws 'invalid-credentials'. */
export async function verifyOwnPassword(store: TrustStore, user: UnlockedUser, password: string): Promise<void> {
  const again = await store.unlock(user.username, password);
  if (again.userId !== user.userId || again.epoch !== user.epoch)
    throw new TrustError('invalid-credentials', 'invalid username or password');
}

/**
 * The trustee asks to reset `targetUsername`. null when nothing was recorded (not a trustee, no such user, disabled):
 * the caller must render that exactly like any other non-result. `{ vetoed }` only for a genuine trustee during the
 * owner's veto hold.
 */
export async function helpReset(
  store: TrustStore,
  trustee: UnlockedUser,
  targetUsername: string,
  now: () => Date = () => new Date(),
): Promise<HelpResetOutcome | { vetoed: true; until: Date | null } | null> {
  const { recorded, mailCode, vetoed } = await store.requestReset(trustee, targetUsername);
  if (vetoed) {
    const info = await store.getUserByName(targetUsername);
    const pending = info ? await store.pendingResetFor(info.userId) : null;
    return { vetoed, until: pending?.vetoedUntil ?? null };
  }
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
  return mailCode ? { pending, code, mailCode } : { pending, code };
}
