// The N padded trust slots of a user (trust_slot): each row is a real relation or a dummy, and nobody without the
// owner's key can tell which. Writing, opening and checking the rows; docs/trust-format.md specifies every byte.
import {
  aeadOpen,
  aeadSeal,
  deriveOwnerKey,
  dummySlotRow,
  equalBytes,
  keyedHash,
  randomBytes,
  sealOpen,
  seal,
  type SlotRowBytes,
} from './crypto.ts';
import type { TrustSlotTable } from './db.ts';
import { TrustError } from './errors.ts';
import {
  decodeOwnerPlaintext,
  decodeToken,
  encodeShareToken,
  ownerAd,
  ownerPlaintext,
  tokenTagInput,
  type TokenContext,
} from './format.ts';
import { dropHeldShares, ensureMailKey, splitMailKey } from './mail-key.ts';
import { parseKeyRow, parseSlotRows } from './rows.ts';
import { checkState, loadState, retag } from './binding.ts';
import { IntegrityError } from './errors.ts';
import { pkValid, scrub, type StoreContext, type Trx, type UserRow } from './store-context.ts';
import type { TrustEvent, UnlockedUser } from './types.ts';

export type TokenSlotRow = Pick<TrustSlotTable, 'slot' | 'token_box' | 'tag'>;

function tokenTag(ctx: StoreContext, tc: TokenContext, r: Uint8Array, share: Uint8Array | null): Buffer {
  return keyedHash(ctx.kTokenTag, tokenTagInput(tc, r, share));
}

/** Opens the owner's own slot list: slot → trustee id. Rows that do not open are dummies (or were tampered with). */
export function readAssignment(
  owner: UnlockedUser,
  row: UserRow,
  slots: Pick<TrustSlotTable, 'slot' | 'owner_box'>[],
): Map<number, string> {
  const ownerKey = deriveOwnerKey(owner.secretKey);
  const out = new Map<number, string>();
  for (const s of parseSlotRows(slots)) {
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
export async function writeSlots(
  ctx: StoreContext,
  trx: Trx,
  owner: UnlockedUser,
  row: UserRow,
  assignment: Map<number, string>,
  events: TrustEvent[],
): Promise<void> {
  const newGen = Number(row.slot_gen) + 1;
  const epoch = Number(row.epoch);
  const ownerKey = deriveOwnerKey(owner.secretKey);
  const ids = [...new Set(assignment.values())];
  const trustees = ids.length
    ? await trx.selectFrom('trust_user').select(['id', 'epoch', 'public_key', 'pk_tag']).where('id', 'in', ids).execute()
    : [];
  // A malformed trustee row (bad epoch, key length, …) is kept by id: it reads like a key that fails its tag.
  const byId = new Map(trustees.map((t) => [t.id, parseKeyRow(t) ?? { ...t, bad: true as const }]));
  // Slots beyond the configured N can only exist if the operator lowered N: move them into free slots.
  const count = Math.max(ctx.slots, assignment.size);
  const placed = new Map<number, string>();
  const overflow: Array<[number, string]> = [];
  const moved = new Map<number, number>(); // old slot → new slot
  for (const [slot, id] of assignment) slot < count ? placed.set(slot, id) : overflow.push([slot, id]);
  for (let s = 0; s < count && overflow.length; s++) {
    if (placed.has(s)) continue;
    const [old, id] = overflow.shift()!;
    placed.set(s, id);
    moved.set(old, s);
  }

  // A fresh polynomial per rewrite: shares of different generations never combine (format 3, §4.2).
  const mailKey = await ensureMailKey(trx, row.id, epoch, owner.secretKey);
  const sharing = [...placed]
    .filter(([, id]) => {
      const t = byId.get(id);
      return !!t && !('bad' in t) && pkValid(ctx, t);
    })
    .map(([slot]) => slot);
  const shareList = await splitMailKey(mailKey, sharing.length, row.threshold);
  if (mailKey) mailKey.fill(0);
  const shares = new Map(sharing.map((slot, i) => [slot, shareList[i]!]));
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
      if ('bad' in trustee || !pkValid(ctx, trustee)) {
        // Someone swapped the trustee's public key in the database. Keep the relation (the owner still sees
        // it) but seal no token the swapped key could open.
        if (!alerted) events.push({ type: 'integrity-alert', userId: trustee.id, what: 'public-key', at: ctx.now() });
        alerted = true;
        const d = dummySlotRow();
        bytes = { ownerBox, tokenBox: d.tokenBox, tag: d.tag };
      } else {
        const tc: TokenContext = { ownerId: row.id, ownerEpoch: epoch, slotGen: newGen, slot };
        const r = randomBytes(32);
        const share = shares.get(slot) ?? randomBytes(33);
        bytes = { ownerBox, tokenBox: seal(encodeShareToken(tc, r, share), trustee.public_key), tag: tokenTag(ctx, tc, r, share) };
      }
    }
    rows.push({ user_id: row.id, slot, owner_box: bytes.ownerBox, token_box: bytes.tokenBox, tag: bytes.tag });
  }
  await trx.deleteFrom('trust_slot').where('user_id', '=', row.id).execute();
  await trx.insertInto('trust_slot').values(rows).execute();
  await trx.updateTable('trust_user').set({ slot_gen: newGen }).where('id', '=', row.id).execute();
  row.slot_gen = newGen;
  await dropHeldShares(trx, row.id);
  await carryConfirmations(trx, row.id, assignment, (old) => (old < count ? old : moved.get(old)));
  await reevaluateReset(trx, row.id, row.threshold);
  await retag(ctx, trx, row.id);
}

/**
 * Confirmations are slot numbers. When a rewrite moves a trustee to another slot (N lowered), its confirmation
 * moves with it; confirmations of slots that hold no trustee any more are dropped; and at most one confirmation
 * per trustee id survives — so a trustee counts once whatever N was. Only the owner's rewrite can do this: it is
 * the only place where slot → trustee is known.
 */
async function carryConfirmations(
  trx: Trx,
  userId: string,
  assignment: Map<number, string>,
  newSlotOf: (old: number) => number | undefined,
): Promise<void> {
  const rows = await trx.selectFrom('trust_reset_confirmation').select('slot').where('user_id', '=', userId).execute();
  if (rows.length === 0) return;
  const before = rows.map((r) => Number(r.slot)).sort((a, b) => a - b);
  const seen = new Set<string>();
  const after: number[] = [];
  for (const old of before) {
    const id = assignment.get(old);
    const slot = newSlotOf(old);
    if (!id || slot === undefined || seen.has(id)) continue;
    seen.add(id);
    after.push(slot);
  }
  after.sort((a, b) => a - b);
  if (after.length === before.length && after.every((s, i) => s === before[i])) return;
  await trx.deleteFrom('trust_reset_confirmation').where('user_id', '=', userId).execute();
  if (after.length)
    await trx
      .insertInto('trust_reset_confirmation')
      .values(after.map((slot) => ({ user_id: userId, slot })))
      .execute();
}

/**
 * An armed reset whose confirmations fell below k (a trustee removed, N lowered, k raised) goes back to collecting:
 * no effective time, and any issued code is void.
 */
export async function reevaluateReset(trx: Trx, userId: string, threshold: number): Promise<void> {
  const reset = await trx.selectFrom('trust_reset').select('state').where('user_id', '=', userId).executeTakeFirst();
  if (reset?.state !== 'armed') return;
  const n = await trx
    .selectFrom('trust_reset_confirmation')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (Number(n?.n ?? 0) >= threshold) return;
  await trx
    .updateTable('trust_reset')
    .set({ state: 'collecting', armed_at: null, effective_at: null })
    .where('user_id', '=', userId)
    .execute();
  await trx.deleteFrom('trust_reset_code').where('user_id', '=', userId).execute();
}

/** Replaces all of a user's slot rows with N fresh dummies (a new account, or a completed reset). */
export async function dummySlots(ctx: StoreContext, trx: Trx, userId: string): Promise<void> {
  const rows: TrustSlotTable[] = [];
  for (let slot = 0; slot < ctx.slots; slot++) {
    const d = dummySlotRow();
    rows.push({ user_id: userId, slot, owner_box: d.ownerBox, token_box: d.tokenBox, tag: d.tag });
  }
  await trx.deleteFrom('trust_slot').where('user_id', '=', userId).execute();
  await trx.insertInto('trust_slot').values(rows).execute();
}

export function assertCurrent(owner: UnlockedUser, row: UserRow | undefined): asserts row is UserRow {
  if (!row || Number(row.epoch) !== owner.epoch || !equalBytes(row.public_key, owner.publicKey)) {
    throw new TrustError('stale-session', 'the account key changed (reset); log in again');
  }
}

/** Locks the owner, checks the unlocked key is current, opens the slot list, applies `change`, rewrites all rows. */
export async function mutateSlots<T>(
  ctx: StoreContext,
  owner: UnlockedUser,
  change: (
    assignment: Map<number, string>,
    trx: Trx,
    row: UserRow,
  ) => Promise<{ result: T; write: boolean }> | { result: T; write: boolean },
  events: TrustEvent[],
): Promise<T> {
  let wrote = false;
  const out = await ctx.db.transaction().execute(async (trx) => {
    const st = await loadState(ctx, trx, owner.userId, true);
    const row = st?.row;
    assertCurrent(owner, row);
    if (!checkState(ctx, st, owner.publicKey)) throw new IntegrityError('stored account data failed its integrity check');
    const slots = await trx.selectFrom('trust_slot').select(['slot', 'owner_box']).where('user_id', '=', row.id).execute();
    const assignment = readAssignment(owner, row, slots);
    const { result, write } = await change(assignment, trx, row);
    if (write) await writeSlots(ctx, trx, owner, row, assignment, events);
    wrote = write;
    return result;
  });
  if (wrote) await scrub(ctx);
  return out;
}

/**
 * The slots of `target` whose token opens with the trustee's key and verifies against the server's own view of
 * (target id, epoch, slot generation, slot).
 */
export function confirmedSlots(
  ctx: StoreContext,
  trustee: UnlockedUser,
  target: Pick<UserRow, 'id' | 'epoch' | 'slot_gen'>,
  slots: TokenSlotRow[],
): number[] {
  return confirmedTokens(ctx, trustee, target, slots).map((t) => t.tc.slot);
}

/** confirmedSlots with each token's context and mail-key share (null in a token written before format 3). */
export function confirmedTokens(
  ctx: StoreContext,
  trustee: UnlockedUser,
  target: Pick<UserRow, 'id' | 'epoch' | 'slot_gen'>,
  slots: TokenSlotRow[],
): Array<{ tc: TokenContext; share: Buffer | null }> {
  const out: Array<{ tc: TokenContext; share: Buffer | null }> = [];
  for (const s of parseSlotRows(slots)) {
    const pt = sealOpen(s.token_box, trustee.publicKey, trustee.secretKey);
    if (!pt) continue;
    const d = decodeToken(pt);
    if (!d) continue;
    const tc: TokenContext = {
      ownerId: target.id,
      ownerEpoch: Number(target.epoch),
      slotGen: Number(target.slot_gen),
      slot: Number(s.slot),
    };
    if (d.ownerId !== tc.ownerId || d.ownerEpoch !== tc.ownerEpoch || d.slotGen !== tc.slotGen || d.slot !== tc.slot) continue;
    // Recomputed from the server's values, not the box's: only the server secret can produce a matching tag. The
    // tag covers the share, so a share spliced into another token fails here.
    if (equalBytes(tokenTag(ctx, tc, d.r, d.share), s.tag)) out.push({ tc, share: d.share });
  }
  return out;
}

const decoys = new WeakMap<StoreContext, TokenSlotRow[]>();

/** N slot rows no key opens, made once per store: equal work for requests about accounts that do not exist. */
export function decoySlots(ctx: StoreContext): TokenSlotRow[] {
  let rows = decoys.get(ctx);
  if (!rows) {
    rows = Array.from({ length: ctx.slots }, (_, slot) => {
      const d = dummySlotRow();
      return { slot, token_box: d.tokenBox, tag: d.tag };
    });
    decoys.set(ctx, rows);
  }
  return rows;
}
