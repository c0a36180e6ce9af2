// Single-use invites (trust_invite): a quota of open invites per user, expiry, revocation, and redemption, which
// creates the invitee's account with the inviter as its first trustee.
import { boxKeypair, equalBytes, keyedHash, randomBytes, randomUniform, seal, sealOpen } from './crypto.ts';
import { InvalidInviteError, TrustError } from './errors.ts';
import {
  decodeInviteNote,
  decodeInviteUsed,
  encodeInviteNote,
  encodeInviteUsed,
  formatReadableInviteCode,
  INVITE_NOTE_BOX_BYTES,
  INVITE_USED_BOX_BYTES,
  inviteCodeHashInput,
} from './format.ts';
import { writeSlots } from './slots.ts';
import { emit, lockUser, nowMs, pkValid, scrub, userByName, type Db, type StoreContext, type Trx } from './store-context.ts';
import type { InviteCode, InviteInfo, TrustEvent, UnlockedUser, UsedInvites } from './types.ts';
import { checkPassword, checkUsername, isUniqueViolation, newUserId, newUserRow, wrapNew } from './users.ts';

/** The keyed hash an invite row is found by, or null for input that is no invite code of any format. */
function inviteHash(ctx: StoreContext, code: unknown): Buffer | null {
  const input = typeof code === 'string' ? inviteCodeHashInput(code) : null;
  return input ? keyedHash(ctx.kInvite, input) : null;
}

async function liveInvite(ctx: StoreContext, db: Db | Trx, hash: Buffer, lock: boolean) {
  let q = db.selectFrom('trust_invite').selectAll().where('code_hash', '=', hash);
  if (lock && ctx.dialect === 'postgres') q = q.forUpdate();
  const inv = await q.executeTakeFirst();
  return inv && inv.revoked_at === null && nowMs(ctx) < Number(inv.expires_at) && equalBytes(inv.code_hash, hash) ? inv : undefined;
}

/**
 * Whether the code would redeem now (exists, not revoked or expired), without redeeming it: the sign-up form checks
 * every field in one pass. Whether its inviter is still active is only checked by redeemInvite.
 */
export async function checkInvite(ctx: StoreContext, code: string): Promise<boolean> {
  const hash = inviteHash(ctx, code);
  return hash !== null && (await liveInvite(ctx, ctx.db, hash, false)) !== undefined;
}

/** The note only the owner can read, or undefined when the box is missing or sealed to an earlier key. */
function openNote(owner: UnlockedUser, box: Buffer | null | undefined): string | undefined {
  const pt = box && box.length === INVITE_NOTE_BOX_BYTES ? sealOpen(box, owner.publicKey, owner.secretKey) : null;
  return (pt && decodeInviteNote(pt)) ?? undefined;
}

/** `note` (format 6): sealed to the inviter's public key; every new invite gets a box, an empty note for none. */
export async function createInvite(ctx: StoreContext, userId: string, note = ''): Promise<InviteCode> {
  return ctx.db.transaction().execute(async (trx) => {
    const user = await lockUser(ctx, trx, userId);
    if (!user || user.disabled === 1) throw new TrustError('not-found', 'no such active user');
    const now = nowMs(ctx);
    const open = await trx
      .selectFrom('trust_invite')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('inviter_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(open?.n ?? 0) >= ctx.inviteQuota) throw new TrustError('invite-quota', `at most ${ctx.inviteQuota} open invites`);
    const id = randomBytes(8).toString('hex');
    const code = formatReadableInviteCode(randomBytes(13));
    const expiresAt = now + ctx.inviteTtlSeconds * 1000;
    await trx
      .insertInto('trust_invite')
      .values({
        id,
        inviter_id: userId,
        code_hash: inviteHash(ctx, code)!,
        created_at: now,
        expires_at: expiresAt,
        revoked_at: null,
        // A key whose tag does not check out is not the user's: nothing is sealed to it.
        note_box: pkValid(ctx, user) ? seal(encodeInviteNote(note), user.public_key) : null,
      })
      .execute();
    return { id, code, expiresAt: new Date(expiresAt) };
  });
}

/**
 * Open, expired and revoked invites. Redeemed invites are deleted at redemption, so they are not listed (usedInvites
 * has them). Given the unlocked owner, each carries its note.
 */
export async function listInvites(ctx: StoreContext, userId: string, owner?: UnlockedUser): Promise<InviteInfo[]> {
  const now = nowMs(ctx);
  const rows = await ctx.db.selectFrom('trust_invite').selectAll().where('inviter_id', '=', userId).orderBy('created_at').execute();
  return rows.map((r) => {
    const note = owner?.userId === userId ? openNote(owner, r.note_box) : undefined;
    return {
      id: r.id,
      createdAt: new Date(Number(r.created_at)),
      expiresAt: new Date(Number(r.expires_at)),
      state: r.revoked_at !== null ? 'revoked' : now >= Number(r.expires_at) ? 'expired' : 'open',
      ...(note ? { note } : {}),
    };
  });
}

/** The owner's used invites from their sealed log (format 6), newest first; never who used them. */
export async function usedInvites(ctx: StoreContext, owner: UnlockedUser): Promise<UsedInvites> {
  const row = await ctx.db.selectFrom('trust_user').select('invites_used').where('id', '=', owner.userId).executeTakeFirst();
  const log = row?.invites_used ? Buffer.from(row.invites_used) : Buffer.alloc(0);
  const out: UsedInvites = { invites: [], unreadable: 0 };
  for (let at = 0; at + INVITE_USED_BOX_BYTES <= log.length; at += INVITE_USED_BOX_BYTES) {
    const pt = sealOpen(log.subarray(at, at + INVITE_USED_BOX_BYTES), owner.publicKey, owner.secretKey);
    const entry = pt && decodeInviteUsed(pt);
    if (!entry) {
      out.unreadable++; // sealed to a key the owner had before a reset, or not written by the store
      continue;
    }
    const note = openNote(owner, entry.noteBox);
    out.invites.push({ createdAt: new Date(entry.createdAt), usedAt: new Date(entry.usedAt), ...(note ? { note } : {}) });
  }
  out.invites.reverse();
  return out;
}

export async function revokeInvite(ctx: StoreContext, userId: string, inviteId: string): Promise<boolean> {
  const r = await ctx.db
    .updateTable('trust_invite')
    .set({ revoked_at: nowMs(ctx) })
    .where('id', '=', inviteId)
    .where('inviter_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Creates an account from an invite; the new user's first slot trusts the inviter. The invite row is deleted in
 * the same transaction, so afterwards nothing in plaintext links inviter and invitee.
 */
export async function redeemInvite(ctx: StoreContext, code: string, username: string, password: string): Promise<UnlockedUser> {
  const hash = inviteHash(ctx, code);
  if (!hash) throw new InvalidInviteError();
  const name = checkUsername(username);
  checkPassword(ctx, password);
  const live = (db: Db | Trx, lock: boolean) => liveInvite(ctx, db, hash, lock);
  if (!(await live(ctx.db, false))) throw new InvalidInviteError();
  if (await userByName(ctx, ctx.db, name)) throw new TrustError('username-taken', 'username is taken');
  const id = newUserId();
  const epoch = 1;
  const kp = boxKeypair();
  const w = await wrapNew(ctx, password, id, epoch, kp.secretKey);
  const user: UnlockedUser = { userId: id, username: name, epoch, publicKey: kp.publicKey, secretKey: kp.secretKey };
  const events: TrustEvent[] = [];
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const inv = await live(trx, true);
      if (!inv) throw new InvalidInviteError();
      let q = trx
        .selectFrom('trust_user')
        .select(['id', 'disabled', 'epoch', 'public_key', 'pk_tag', 'invites_used'])
        .where('id', '=', inv.inviter_id);
      if (ctx.dialect === 'postgres') q = q.forUpdate(); // the used-invite log is read, extended and written back
      const inviter = await q.executeTakeFirst();
      if (!inviter || inviter.disabled === 1) throw new InvalidInviteError();
      await trx.deleteFrom('trust_invite').where('id', '=', inv.id).execute();
      // The inviter's log gets an entry only they can open: when the invite was made and used, and its note.
      if (pkValid(ctx, inviter)) {
        const entry = seal(encodeInviteUsed(Number(inv.created_at), nowMs(ctx), inv.note_box ?? null), inviter.public_key);
        const log = Buffer.concat([inviter.invites_used ? Buffer.from(inviter.invites_used) : Buffer.alloc(0), entry]);
        await trx.updateTable('trust_user').set({ invites_used: log }).where('id', '=', inviter.id).execute();
      }
      const row = newUserRow(ctx, id, name, epoch, kp.publicKey, w, false);
      await trx.insertInto('trust_user').values(row).execute();
      await writeSlots(ctx, trx, user, row, new Map([[randomUniform(ctx.slots), inviter.id]]), events);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new TrustError('username-taken', 'username is taken');
    throw err;
  }
  await scrub(ctx); // the deleted invite row linked inviter and invitee
  events.unshift({ type: 'user-created', userId: id, at: ctx.now() });
  emit(ctx, events);
  return user;
}
