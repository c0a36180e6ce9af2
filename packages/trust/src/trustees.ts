// Trust links: "A trusts B" as seen and changed by A. Each change rewrites all of A's N slot rows (slots.ts).
import { randomUniform } from './crypto.ts';
import { checkState, loadState, snapshot } from './binding.ts';
import { IntegrityError, TrustError } from './errors.ts';
import { assertCurrent, mutateSlots, readAssignment } from './slots.ts';
import { emit, pkValid, userByName, type StoreContext } from './store-context.ts';
import type { Trustee, TrustEvent, UnlockedUser } from './types.ts';

export async function listTrustees(ctx: StoreContext, user: UnlockedUser): Promise<Trustee[]> {
  const { st, slots } = await snapshot(ctx, async (trx) => ({
    st: await loadState(ctx, trx, user.userId, false),
    slots: await trx.selectFrom('trust_slot').select(['slot', 'owner_box']).where('user_id', '=', user.userId).execute(),
  }));
  const row = st?.row;
  assertCurrent(user, row);
  // A slot generation set back (with old rows restored) would show relations the user has since removed.
  if (!checkState(ctx, st, user.publicKey)) throw new IntegrityError('stored account data failed its integrity check');
  const ids = [...new Set(readAssignment(user, row, slots).values())];
  if (ids.length === 0) return [];
  const names = await ctx.db.selectFrom('trust_user').select(['id', 'username']).where('id', 'in', ids).execute();
  return names.map((n) => ({ userId: n.id, username: n.username })).sort((a, b) => a.username.localeCompare(b.username));
}

/** A starts trusting `username` (who may then help reset A). All N rows are rewritten. */
export async function addTrustee(ctx: StoreContext, user: UnlockedUser, username: string): Promise<Trustee> {
  const target = await userByName(ctx, ctx.db, username);
  if (!target) throw new TrustError('not-found', 'no such user');
  if (target.id === user.userId) throw new TrustError('trustee-self', 'you cannot be your own trustee');
  if (!pkValid(ctx, target)) {
    emit(ctx, [{ type: 'integrity-alert', userId: target.id, what: 'public-key', at: ctx.now() }]);
    throw new IntegrityError("the trustee's stored public key failed its integrity check");
  }
  const events: TrustEvent[] = [];
  await mutateSlots(
    ctx,
    user,
    async (assignment, trx, row) => {
      if ([...assignment.values()].includes(target.id)) throw new TrustError('trustee-exists', 'already a trustee');
      const free: number[] = [];
      for (let s = 0; s < ctx.slots; s++) if (!assignment.has(s)) free.push(s);
      if (free.length === 0) throw new TrustError('slots-full', `all ${ctx.slots} trust slots are in use`);
      // A random free slot, so slot numbers say nothing about the order relations were made in.
      const slot = free[randomUniform(free.length)]!;
      assignment.set(slot, target.id);
      // A confirmation recorded for this slot belonged to whoever held it before.
      await trx.deleteFrom('trust_reset_confirmation').where('user_id', '=', row.id).where('slot', '=', slot).execute();
      return { result: undefined, write: true };
    },
    events,
  );
  events.push({ type: 'trustee-added', userId: user.userId, at: ctx.now() });
  emit(ctx, events);
  return { userId: target.id, username: target.username };
}

/** Returns false when `trusteeId` was not a trustee. The slot becomes a dummy; all N rows are rewritten. */
export async function removeTrustee(ctx: StoreContext, user: UnlockedUser, trusteeId: string): Promise<boolean> {
  const events: TrustEvent[] = [];
  const removed = await mutateSlots(
    ctx,
    user,
    async (assignment, trx, row) => {
      const slots = [...assignment].filter(([, id]) => id === trusteeId).map(([s]) => s);
      if (slots.length === 0) return { result: false, write: false };
      for (const s of slots) assignment.delete(s);
      await trx.deleteFrom('trust_reset_confirmation').where('user_id', '=', row.id).where('slot', 'in', slots).execute();
      return { result: true, write: true };
    },
    events,
  );
  if (removed) events.push({ type: 'trustee-removed', userId: user.userId, at: ctx.now() });
  emit(ctx, events);
  return removed;
}
