// Behaviour and attack tests, defined once and run against each dialect (sqlite.test.ts, postgres.test.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sodium from 'sodium-native';
import { Migrator, type Kysely } from 'kysely';
import { InvalidCredentialsError, InvalidInviteError, InvalidResetCodeError, TrustError, type UnlockedUser } from '../src/index.ts';
import { migrateTrust, TRUST_MIGRATION_TABLE } from '../src/db.ts';
import { encodeToken, tokenTagInput, OWNER_BOX_BYTES, TOKEN_BOX_BYTES, TAG_BYTES } from '../src/format.ts';
import { seal, boxKeypair, keyedHash, deriveSubkey, randomBytes } from '../src/crypto.ts';
import { makeEnv, PW, type DbFactory, type Env } from './harness.ts';

type SlotRow = { user_id: string; slot: number; owner_box: Buffer; token_box: Buffer; tag: Buffer };

async function slotsOf(env: Env, userId: string): Promise<SlotRow[]> {
  const rows = await env.db.selectFrom('trust_slot').selectAll().where('user_id', '=', userId).orderBy('slot').execute();
  return rows.map((r) => ({ ...r, slot: Number(r.slot) }));
}

async function putSlot(env: Env, userId: string, slot: number, r: Pick<SlotRow, 'owner_box' | 'token_box' | 'tag'>): Promise<void> {
  await env.db
    .updateTable('trust_slot')
    .set({ owner_box: r.owner_box, token_box: r.token_box, tag: r.tag })
    .where('user_id', '=', userId)
    .where('slot', '=', slot)
    .execute();
}

/** The slot of `owner` holding a token `trustee` can open (found the way an attacker with trustee's key would). */
async function tokenSlotFor(env: Env, owner: string, trustee: UnlockedUser): Promise<number> {
  for (const r of await slotsOf(env, owner)) {
    const out = Buffer.alloc(r.token_box.length - sodium.crypto_box_SEALBYTES);
    if (sodium.crypto_box_seal_open(out, r.token_box, trustee.publicKey, trustee.secretKey)) return r.slot;
  }
  throw new Error('no token for trustee');
}

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof TrustError && e.code === code);
}

export function defineBehaviourSuite(getFactory: () => DbFactory): void {
  describe('migrations', () => {
    let env: Env;
    before(async () => {
      env = await makeEnv(getFactory());
    });
    after(async () => {
      await env.close();
    });

    it("are idempotent and coexist with another package's migration set in the same database", async () => {
      const again = await migrateTrust(env.db);
      assert.deepEqual(again.results, []);
      const other = new Migrator({
        db: env.db as Kysely<any>,
        provider: {
          getMigrations: async () => ({
            '0001_other': {
              up: async (db: Kysely<any>) => {
                await db.schema.createTable('other_thing').addColumn('id', 'integer').execute();
              },
            },
          }),
        },
        migrationTableName: 'other_migration',
        migrationLockTableName: 'other_migration_lock',
      });
      const r = await other.migrateToLatest();
      assert.equal(r.error, undefined);
      assert.deepEqual(
        r.results?.map((x) => x.status),
        ['Success'],
      );
      const trustRows = await (env.db as Kysely<any>).selectFrom(TRUST_MIGRATION_TABLE).select('name').execute();
      assert.deepEqual(
        trustRows.map((x: { name: string }) => x.name),
        [
          '0001_trust_initial',
          '0002_trust_user_tag',
          '0003_trust_mail_key',
          '0004_trust_recovery',
          '0005_trust_reset_code_trustee',
          '0006_trust_invite_note',
        ],
      );
      assert.deepEqual((await migrateTrust(env.db)).results, []);
    });
  });

  describe('accounts, login and passwords', () => {
    let env: Env;
    before(async () => {
      env = await makeEnv(getFactory());
    });
    after(async () => {
      await env.close();
    });

    it('login with a wrong password and with an unknown user fail with the very same error', async () => {
      await env.store.createUser('Carol', PW('carol'));
      const e1 = await env.store.login('carol', 'wrong-password').catch((e: unknown) => e);
      const e2 = await env.store.login('nobody', PW('carol')).catch((e: unknown) => e);
      assert.ok(e1 instanceof InvalidCredentialsError && e2 instanceof InvalidCredentialsError);
      assert.equal((e1 as Error).message, (e2 as Error).message);
      const ok = await env.store.login('CAROL', PW('carol'));
      assert.equal(ok.username, 'carol');
    });

    it('rejects bad usernames, short passwords and taken names', async () => {
      await rejects(env.store.createUser('-bad', PW('x')), 'invalid-username');
      await rejects(env.store.createUser('a b', PW('x')), 'invalid-username');
      await rejects(env.store.createUser('dave', 'short'), 'invalid-password');
      await rejects(env.store.createUser('carol', PW('carol')), 'username-taken');
    });

    it('changePassword rewraps the same key; the old password stops working; relations stay', async () => {
      const a = await env.store.createUser('pwa', PW('pwa'));
      await env.store.createUser('pwb', PW('pwb'));
      await env.store.addTrustee(a, 'pwb');
      await env.store.changePassword('pwa', PW('pwa'), 'a-brand-new-password');
      await assert.rejects(env.store.login('pwa', PW('pwa')), InvalidCredentialsError);
      const a2 = await env.store.login('pwa', 'a-brand-new-password');
      assert.ok(a2.publicKey.equals(a.publicKey));
      assert.equal(a2.epoch, a.epoch);
      assert.deepEqual(
        (await env.store.listTrustees(a2)).map((t) => t.username),
        ['pwb'],
      );
      await assert.rejects(env.store.changePassword(a2, 'not-the-password', 'whatever-else'), InvalidCredentialsError);
      assert.ok(env.events.some((e) => e.type === 'password-changed' && e.userId === a.userId));
    });

    it('a disabled user cannot log in and cannot request resets', async () => {
      const a = await env.store.createUser('dis-a', PW('dis-a'));
      const b = await env.store.createUser('dis-b', PW('dis-b'));
      await env.store.addTrustee(a, 'dis-b');
      await env.store.setDisabled(b.userId, true);
      await rejects(env.store.login('dis-b', PW('dis-b')), 'account-disabled');
      assert.equal((await env.store.requestReset(b, 'dis-a')).recorded, false);
      await env.store.setDisabled(b.userId, false);
      assert.equal((await env.store.requestReset(b, 'dis-a')).recorded, true);
      assert.equal((await env.store.getUserByName('dis-b'))?.disabled, false);
    });

    it('raising the Argon2id cost rewraps the key at the next login', async () => {
      const u = await env.store.createUser('rehash', PW('rehash'));
      const stronger = env.withOptions({ pwhash: { opslimit: 2, memlimit: 16384 } });
      await stronger.login('rehash', PW('rehash'));
      const row = await env.db.selectFrom('trust_user').selectAll().where('id', '=', u.userId).executeTakeFirstOrThrow();
      assert.equal(Number(row.pw_opslimit), 2);
      assert.equal(Number(row.pw_memlimit), 16384);
      await env.store.login('rehash', PW('rehash'));
    });

    it('settings are validated against slots and the operator minimum', async () => {
      const u = await env.store.createUser('settings', PW('settings'));
      assert.deepEqual(await env.store.getSettings(u.userId), { threshold: 1, waitSeconds: 3600 });
      await rejects(env.store.setSettings(u.userId, { threshold: 0 }), 'invalid-settings');
      await rejects(env.store.setSettings(u.userId, { threshold: 9 }), 'invalid-settings');
      await rejects(env.store.setSettings(u.userId, { waitSeconds: 60 }), 'invalid-settings');
      assert.deepEqual(await env.store.setSettings(u.userId, { threshold: 3, waitSeconds: 7200 }), { threshold: 3, waitSeconds: 7200 });
    });
  });

  describe('trust links and invites', () => {
    let env: Env;
    before(async () => {
      env = await makeEnv(getFactory(), { invite: { quota: 2, ttlSeconds: 600 } });
    });
    after(async () => {
      await env.close();
    });

    it('an invite creates the account with the inviter as first trustee, then disappears', async () => {
      const a = await env.store.createUser('inviter', PW('inviter'));
      const inv = await env.store.createInvite(a.userId);
      assert.deepEqual(
        (await env.store.listInvites(a.userId)).map((i) => i.state),
        ['open'],
      );
      const b = await env.store.redeemInvite(inv.code, 'invitee', PW('invitee'));
      assert.deepEqual(await env.store.listTrustees(b), [{ userId: a.userId, username: 'inviter' }]);
      assert.deepEqual(await env.store.listInvites(a.userId), []);
      const rows = await env.db.selectFrom('trust_invite').selectAll().execute();
      assert.equal(rows.length, 0);
      await assert.rejects(env.store.redeemInvite(inv.code, 'invitee2', PW('invitee2')), InvalidInviteError);
      // The inviter can act as trustee right away.
      assert.equal((await env.store.requestReset(a, 'invitee')).recorded, true);
    });

    it('an invite note is sealed for the inviter alone, and the used-invite log names no invitee', async () => {
      const a = await env.store.createUser('noter', PW('noter'));
      const other = await env.store.createUser('nosy', PW('nosy'));
      const inv = await env.store.createInvite(a.userId, 'for Sam, from the café');
      assert.deepEqual(
        (await env.store.listInvites(a.userId, a)).map((i) => i.note),
        ['for Sam, from the café'],
      );
      assert.equal((await env.store.listInvites(a.userId))[0]!.note, undefined, 'no note without the owner’s key');
      assert.equal((await env.store.listInvites(a.userId, other))[0]!.note, undefined, 'nor with someone else’s');
      const raw = JSON.stringify(await env.db.selectFrom('trust_invite').selectAll().execute(), (_k, v) =>
        v?.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v,
      );
      assert.ok(!raw.includes('for Sam'), 'the note is nowhere in plaintext');
      const b = await env.store.redeemInvite(inv.code, 'samuel', PW('samuel'));
      const used = await env.store.usedInvites(a);
      assert.equal(used.invites.length, 1);
      assert.equal(used.invites[0]!.note, 'for Sam, from the café');
      assert.ok(!JSON.stringify(used).includes('samuel') && !JSON.stringify(used).includes(b.userId), 'the invitee is not named');
      assert.deepEqual(await env.store.usedInvites(other), { invites: [], unreadable: 0 });
      const row = await env.db.selectFrom('trust_user').select('invites_used').where('id', '=', a.userId).executeTakeFirstOrThrow();
      assert.ok(!Buffer.from(row.invites_used!).includes(Buffer.from(b.userId, 'hex')), 'no id of the invitee in the log');
      assert.ok(!Buffer.from(row.invites_used!).toString('latin1').includes('Sam'));
      await env.store.revokeInvite(a.userId, (await env.store.createInvite(a.userId)).id); // frees the quota for the suite
    });

    it('invites are quota-limited, revocable and expire', async () => {
      const a = await env.store.createUser('quota', PW('quota'));
      const i1 = await env.store.createInvite(a.userId);
      await env.store.createInvite(a.userId);
      await rejects(env.store.createInvite(a.userId), 'invite-quota');
      assert.equal(await env.store.revokeInvite(a.userId, i1.id), true);
      assert.equal(await env.store.revokeInvite(a.userId, i1.id), false);
      await assert.rejects(env.store.redeemInvite(i1.code, 'late1', PW('late1')), InvalidInviteError);
      assert.equal(await env.store.checkInvite(i1.code), false, 'a revoked code does not check out');
      const i3 = await env.store.createInvite(a.userId);
      assert.equal(await env.store.checkInvite(i3.code), true);
      env.clock.advance(601);
      assert.equal(await env.store.checkInvite(i3.code), false, 'an expired code does not check out');
      await assert.rejects(env.store.redeemInvite(i3.code, 'late2', PW('late2')), InvalidInviteError);
      assert.deepEqual((await env.store.listInvites(a.userId)).map((i) => i.state).sort(), ['expired', 'expired', 'revoked']);
      await assert.rejects(env.store.redeemInvite('pgi_' + 'A'.repeat(32), 'late3', PW('late3')), InvalidInviteError);
      await assert.rejects(env.store.redeemInvite('garbage', 'late3', PW('late3')), InvalidInviteError);
    });

    it('add/remove trustees, with the expected refusals', async () => {
      const a = await env.store.createUser('links-a', PW('x-links-a'));
      for (const n of ['l1', 'l2', 'l3']) await env.store.createUser(n, PW(n));
      await env.store.addTrustee(a, 'l1');
      await env.store.addTrustee(a, 'l2');
      await rejects(env.store.addTrustee(a, 'l1'), 'trustee-exists');
      await rejects(env.store.addTrustee(a, 'links-a'), 'trustee-self');
      await rejects(env.store.addTrustee(a, 'nobody-here'), 'not-found');
      const l2 = await env.store.getUserByName('l2');
      assert.equal(await env.store.removeTrustee(a, l2!.userId), true);
      assert.equal(await env.store.removeTrustee(a, l2!.userId), false);
      assert.deepEqual(
        (await env.store.listTrustees(a)).map((t) => t.username),
        ['l1'],
      );
    });

    it('slots fill up at N', async () => {
      const small = env.withOptions({ slots: 2 });
      const a = await small.createUser('tiny', PW('tiny'));
      await small.addTrustee(a, 'l1');
      await small.addTrustee(a, 'l2');
      await rejects(small.addTrustee(a, 'l3'), 'slots-full');
      assert.equal((await slotsOf(env, a.userId)).length, 2);
    });
  });

  describe('resets', () => {
    let env: Env;
    before(async () => {
      env = await makeEnv(getFactory());
    });
    after(async () => {
      await env.close();
    });

    async function trio(prefix: string, k: number) {
      const a = await env.store.createUser(`${prefix}-a`, PW(`${prefix}-a`));
      const b = await env.store.createUser(`${prefix}-b`, PW(`${prefix}-b`));
      const c = await env.store.createUser(`${prefix}-c`, PW(`${prefix}-c`));
      const d = await env.store.createUser(`${prefix}-d`, PW(`${prefix}-d`));
      await env.store.addTrustee(a, b.username);
      await env.store.addTrustee(a, c.username);
      await env.store.setSettings(a.userId, { threshold: k, waitSeconds: 3600 });
      return { a, b, c, d };
    }

    it('full k-of-n reset: confirmations, waiting period, one-time code, new keypair and epoch', async () => {
      const { a, b, c } = await trio('full', 2);
      const since = env.events.length;
      assert.equal((await env.store.requestReset(b, a.username)).recorded, true);
      let p = await env.store.pendingResetFor(a.userId);
      assert.equal(p?.state, 'collecting');
      assert.equal(p?.confirmations, 1);
      // k-1 confirmations: no code.
      await rejects(env.store.obtainResetCode(b, a.username), 'reset-not-ready');
      // The same trustee twice still counts once.
      assert.equal((await env.store.requestReset(b, a.username)).recorded, true);
      assert.equal((await env.store.pendingResetFor(a.userId))?.confirmations, 1);
      await env.store.requestReset(c, a.username);
      p = await env.store.pendingResetFor(a.userId);
      assert.equal(p?.state, 'armed');
      assert.equal(p?.confirmations, 2);
      assert.equal(p?.effectiveAt?.getTime(), env.clock.ms + 3600_000);
      // Waiting period not over yet.
      await rejects(env.store.obtainResetCode(c, a.username), 'reset-not-ready');
      env.clock.advance(3600);
      const { code } = await env.store.obtainResetCode(c, a.username);
      const a2 = await env.store.completeReset(a.username, code.toLowerCase(), 'brand-new-password-a');
      assert.equal(a2.epoch, a.epoch + 1);
      assert.ok(!a2.publicKey.equals(a.publicKey));
      // Format 5: the trustee who obtained the code (c, not b) is a's first trusted user again, and k is 1.
      assert.deepEqual(
        (await env.store.listTrustees(a2)).map((t) => t.username),
        [c.username],
      );
      assert.equal((await env.store.getSettings(a.userId)).threshold, 1);
      assert.equal(await env.store.pendingResetFor(a.userId), null);
      await assert.rejects(env.store.login(a.username, PW(a.username)), InvalidCredentialsError);
      await env.store.login(a.username, 'brand-new-password-a');
      // Consumed code cannot be reused.
      await assert.rejects(env.store.completeReset(a.username, code, 'another-password-a'), InvalidResetCodeError);
      // The old unlocked key is stale for every operation.
      await rejects(env.store.listTrustees(a), 'stale-session');
      const types = env.events
        .slice(since)
        .filter((e) => 'userId' in e && e.userId === a.userId)
        .map((e) => e.type);
      assert.deepEqual(
        types.filter((t) => t.startsWith('reset')),
        ['reset-requested', 'reset-requested', 'reset-armed', 'reset-code-issued', 'reset-completed'],
      );
      // Events never name the trustees.
      for (const e of env.events) assert.ok(!JSON.stringify(e).includes(b.userId) || ('userId' in e && e.userId === b.userId));
      // c's new token is bound to a's new epoch: c alone can start (and, k = 1, arm) the next reset; b cannot.
      assert.equal((await env.store.requestReset(b, a.username)).recorded, false);
      assert.equal((await env.store.requestReset(c, a.username)).recorded, true);
      assert.equal((await env.store.pendingResetFor(a.userId))?.state, 'armed');
      await env.store.vetoReset(a.userId);
    });

    it("after a reset, A's role as trustee of others is repaired at their next login", async () => {
      const { a, b } = await trio('repair', 1);
      // b is a's trustee; make a a trustee of b, then reset a.
      await env.store.addTrustee(b, a.username);
      await env.store.requestReset(b, a.username);
      env.clock.advance(3600);
      const { code } = await env.store.obtainResetCode(b, a.username);
      const a2 = await env.store.completeReset(a.username, code, 'new-pass-repair');
      assert.equal((await env.store.requestReset(a2, b.username)).recorded, false);
      await env.store.login(b.username, PW(b.username));
      assert.equal((await env.store.requestReset(a2, b.username)).recorded, true);
      await env.store.vetoReset(b.userId);
    });

    it('the re-added trustee (format 5): none when the code trustee is disabled, or the box does not open; a veto hold tells only a trustee', async () => {
      const { a, b, c, d } = await trio('readd', 2);
      await env.store.requestReset(b, a.username);
      await env.store.requestReset(c, a.username);
      env.clock.advance(3600);
      const { code } = await env.store.obtainResetCode(c, a.username);
      await env.store.setDisabled(c.userId, true);
      const a2 = await env.store.completeReset(a.username, code, 'new-pass-readd');
      assert.deepEqual(await env.store.listTrustees(a2), [], 'a disabled trustee is not re-added');
      assert.equal((await env.store.getSettings(a.userId)).threshold, 2, 'k left as the owner chose it');
      await env.store.setDisabled(c.userId, false);
      // A box from another code (spliced in the database) does not open under the presented code.
      await env.store.addTrustee(a2, b.username);
      await env.store.setSettings(a.userId, { threshold: 1 });
      await env.store.requestReset(b, a.username);
      env.clock.advance(3600);
      const first = await env.store.obtainResetCode(b, a.username);
      const firstBox = (
        await env.db.selectFrom('trust_reset_code').select('trustee_box').where('user_id', '=', a.userId).executeTakeFirstOrThrow()
      ).trustee_box;
      const second = await env.store.obtainResetCode(b, a.username);
      await env.db.updateTable('trust_reset_code').set({ trustee_box: firstBox }).where('user_id', '=', a.userId).execute();
      assert.notEqual(first.code, second.code);
      const a3 = await env.store.completeReset(a.username, second.code, 'new-pass-readd-2');
      assert.deepEqual(await env.store.listTrustees(a3), []);
      // Veto hold: the trustee hears of it, someone else does not.
      await env.store.addTrustee(a3, c.username);
      await env.store.requestReset(c, a.username);
      await env.store.vetoReset(a.userId);
      assert.deepEqual(await env.store.requestReset(c, a.username), { recorded: false, vetoed: true });
      assert.deepEqual(await env.store.requestReset(d, a.username), { recorded: false });
    });

    it('a veto discards confirmations; confirmations after a veto are refused during the hold', async () => {
      const { a, b, c } = await trio('veto', 1);
      await env.store.requestReset(b, a.username);
      assert.equal(await env.store.vetoReset(a.userId), true);
      assert.equal(await env.store.vetoReset(a.userId), false);
      assert.equal((await env.store.requestReset(c, a.username)).recorded, false);
      assert.equal((await env.store.requestReset(b, a.username)).recorded, false);
      const p = await env.store.pendingResetFor(a.userId);
      assert.equal(p?.state, 'vetoed');
      assert.equal(p?.confirmations, 0);
      env.clock.advance(3600);
      await rejects(env.store.obtainResetCode(b, a.username), 'reset-not-ready');
      env.clock.advance(3601); // hold (7200 s) over: a new round may start
      assert.equal(await env.store.pendingResetFor(a.userId), null);
      assert.equal((await env.store.requestReset(c, a.username)).recorded, true);
      assert.equal((await env.store.pendingResetFor(a.userId))?.state, 'armed');
    });

    it('a veto of an armed reset invalidates an already issued code', async () => {
      const { a, b } = await trio('veto2', 1);
      await env.store.requestReset(b, a.username);
      env.clock.advance(3600);
      const { code } = await env.store.obtainResetCode(b, a.username);
      await env.store.vetoReset(a.userId);
      await assert.rejects(env.store.completeReset(a.username, code, 'new-pass-veto2'), InvalidResetCodeError);
    });

    it('an expired code fails; a fresh one replaces the previous', async () => {
      const { a, b } = await trio('expire', 1);
      await env.store.requestReset(b, a.username);
      env.clock.advance(3600);
      const first = await env.store.obtainResetCode(b, a.username);
      env.clock.advance(601);
      await assert.rejects(env.store.completeReset(a.username, first.code, 'new-pass-expire'), InvalidResetCodeError);
      const second = await env.store.obtainResetCode(b, a.username);
      const third = await env.store.obtainResetCode(b, a.username);
      await assert.rejects(env.store.completeReset(a.username, second.code, 'new-pass-expire'), InvalidResetCodeError);
      await env.store.completeReset(a.username, third.code, 'new-pass-expire');
    });

    it('a reset request by a non-trustee is not recorded and creates nothing', async () => {
      const { a, d } = await trio('nontrustee', 1);
      assert.equal((await env.store.requestReset(d, a.username)).recorded, false);
      assert.equal(await env.store.pendingResetFor(a.userId), null);
      await rejects(env.store.obtainResetCode(d, a.username), 'reset-not-ready');
      assert.equal((await env.store.requestReset(d, 'no-such-user')).recorded, false);
    });

    it('a trustee who did not confirm cannot fetch the code', async () => {
      const { a, b, c } = await trio('nonconf', 1);
      await env.store.requestReset(b, a.username);
      env.clock.advance(3600);
      await rejects(env.store.obtainResetCode(c, a.username), 'reset-not-ready');
      await env.store.obtainResetCode(b, a.username);
    });

    it('stale resets expire: old confirmations do not add up, an unused armed reset lapses', async () => {
      const { a, b, c } = await trio('stale', 2);
      await env.store.requestReset(b, a.username);
      env.clock.advance(14 * 86400); // resetTtl default
      assert.equal(await env.store.pendingResetFor(a.userId), null);
      await env.store.requestReset(c, a.username);
      let p = await env.store.pendingResetFor(a.userId);
      assert.equal(p?.state, 'collecting');
      assert.equal(p?.confirmations, 1);
      await env.store.requestReset(b, a.username);
      assert.equal((await env.store.pendingResetFor(a.userId))?.state, 'armed');
      env.clock.advance(3600);
      const { code } = await env.store.obtainResetCode(b, a.username);
      env.clock.advance(14 * 86400);
      p = await env.store.pendingResetFor(a.userId);
      assert.equal(p, null);
      await rejects(env.store.obtainResetCode(b, a.username), 'reset-not-ready');
      await assert.rejects(env.store.completeReset(a.username, code, 'new-pass-stale'), InvalidResetCodeError);
    });

    it('removing a trustee withdraws their confirmation', async () => {
      const { a, b } = await trio('withdraw', 2);
      await env.store.requestReset(b, a.username);
      assert.equal((await env.store.pendingResetFor(a.userId))?.confirmations, 1);
      await env.store.removeTrustee(a, b.userId);
      assert.equal((await env.store.pendingResetFor(a.userId))?.confirmations, 0);
      assert.equal((await env.store.requestReset(b, a.username)).recorded, false);
    });
  });

  describe('concurrency', () => {
    let env: Env;
    before(async () => {
      env = await makeEnv(getFactory());
    });
    after(async () => {
      await env.close();
    });

    it('concurrent operations on one user are serialized: no lost update, no deadlock', async () => {
      const a = await env.store.createUser('conc-a', PW('conc-a'));
      const others: UnlockedUser[] = [];
      for (let i = 0; i < 6; i++) others.push(await env.store.createUser(`conc-${i}`, PW(`conc-${i}`)));
      await env.store.addTrustee(a, 'conc-0');
      await env.store.addTrustee(others[0]!, 'conc-a');
      await env.store.setSettings(a.userId, { threshold: 3 });
      const ops: Promise<unknown>[] = [];
      for (let i = 1; i < 6; i++) ops.push(env.store.addTrustee(a, `conc-${i}`));
      for (let i = 0; i < 4; i++) ops.push(env.store.login('conc-a', PW('conc-a')));
      ops.push(env.store.requestReset(others[0]!, 'conc-a'));
      ops.push(env.store.login('conc-0', PW('conc-0')));
      ops.push(env.store.requestReset(a, 'conc-0'));
      const results = await Promise.allSettled(ops);
      assert.deepEqual(
        results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
        [],
      );
      const names = (await env.store.listTrustees(a)).map((t) => t.username);
      assert.deepEqual(names, ['conc-0', 'conc-1', 'conc-2', 'conc-3', 'conc-4', 'conc-5']);
      assert.equal((await slotsOf(env, a.userId)).length, 8);
      // Every trustee's token is valid after the interleaving: all of them can confirm.
      for (const o of others.slice(1)) assert.equal((await env.store.requestReset(o, 'conc-a')).recorded, true);
      assert.equal((await env.store.pendingResetFor(a.userId))?.confirmations, 6);
    });
  });

  describe('concurrency storm', () => {
    let env: Env;
    before(async () => {
      env = await makeEnv(getFactory());
    });
    after(async () => {
      await env.close();
    });

    it('many users acting on each other at once (more operations than pool connections) finish consistently', async () => {
      const us: UnlockedUser[] = [];
      for (let i = 0; i < 8; i++) us.push(await env.store.createUser(`storm-${i}`, PW(`storm-${i}`)));
      const ops: Promise<unknown>[] = [];
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < us.length; i++) {
          const me = us[i]!;
          const next = us[(i + 1 + round) % us.length]!;
          ops.push(env.store.addTrustee(me, next.username));
          ops.push(env.store.login(me.username, PW(me.username)));
          ops.push(env.store.requestReset(next, me.username));
          ops.push(env.store.listTrustees(me));
        }
      }
      const results = await Promise.allSettled(ops);
      const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
      assert.deepEqual(failures, []);
      for (let i = 0; i < us.length; i++) {
        const names = (await env.store.listTrustees(us[i]!)).map((t) => t.username).sort();
        const expected = [1, 2, 3].map((d) => `storm-${(i + d) % us.length}`).sort();
        assert.deepEqual(names, expected);
        assert.equal((await slotsOf(env, us[i]!.userId)).length, 8);
        // After the storm every trustee holds a valid token.
        for (const d of [1, 2, 3]) assert.equal((await env.store.requestReset(us[(i + d) % us.length]!, us[i]!.username)).recorded, true);
      }
    });
  });

  describe('attacks by a database writer (each must fail)', () => {
    let env: Env;
    before(async () => {
      env = await makeEnv(getFactory());
    });
    after(async () => {
      await env.close();
    });

    async function setup(prefix: string) {
      const a = await env.store.createUser(`${prefix}-a`, PW(`${prefix}-a`));
      const b = await env.store.createUser(`${prefix}-b`, PW(`${prefix}-b`));
      const c = await env.store.createUser(`${prefix}-c`, PW(`${prefix}-c`));
      await env.store.addTrustee(a, b.username);
      return { a, b, c, slot: await tokenSlotFor(env, a.userId, b) };
    }

    it("splicing B's token row for A under another user C does not let B reset C", async () => {
      const { a, b, c, slot } = await setup('splice');
      const row = (await slotsOf(env, a.userId))[slot]!;
      for (let s = 0; s < 8; s++) await putSlot(env, c.userId, s, row); // every slot of C, including the same number
      assert.equal((await env.store.requestReset(b, c.username)).recorded, false);
      assert.equal(await env.store.pendingResetFor(c.userId), null);
    });

    it('moving a row to another slot of the same user voids it', async () => {
      const { a, b, slot } = await setup('move');
      const rows = await slotsOf(env, a.userId);
      const other = (slot + 1) % 8;
      await putSlot(env, a.userId, other, rows[slot]!);
      await putSlot(env, a.userId, slot, rows[other]!);
      assert.equal((await env.store.requestReset(b, a.username)).recorded, false);
    });

    it('replaying a token from before a reset (older epoch) fails', async () => {
      const { a, b, slot } = await setup('replay');
      const old = await slotsOf(env, a.userId);
      await env.store.requestReset(b, a.username);
      env.clock.advance(3600);
      const { code } = await env.store.obtainResetCode(b, a.username);
      const a2 = await env.store.completeReset(a.username, code, 'new-pass-replay');
      // Even with B a trustee again (re-added as the one who handed over the code, format 5).
      assert.deepEqual(
        (await env.store.listTrustees(a2)).map((t) => t.userId),
        [b.userId],
      );
      for (const r of old) await putSlot(env, a.userId, r.slot, r);
      assert.equal((await env.store.requestReset(b, a.username)).recorded, false);
      void slot;
    });

    it('replaying a row from before a later rewrite (older slot generation) fails', async () => {
      const { a, b } = await setup('regen');
      const old = await slotsOf(env, a.userId);
      await env.store.removeTrustee(a, b.userId);
      for (const r of old) await putSlot(env, a.userId, r.slot, r);
      assert.equal((await env.store.requestReset(b, a.username)).recorded, false);
      // A's own list is not fooled either: the restored owner box belongs to an old generation.
      assert.deepEqual(await env.store.listTrustees(a), []);
    });

    it('a row forged with everything but the server secret fails', async () => {
      const { a, b, c } = await setup('forge');
      const row = await env.db.selectFrom('trust_user').selectAll().where('id', '=', c.userId).executeTakeFirstOrThrow();
      const wrongKey = deriveSubkey(randomBytes(32), 'token-tag');
      for (let slot = 0; slot < 8; slot++) {
        const ctx = { ownerId: c.userId, ownerEpoch: Number(row.epoch), slotGen: Number(row.slot_gen), slot };
        const r = randomBytes(32);
        await putSlot(env, c.userId, slot, {
          owner_box: randomBytes(OWNER_BOX_BYTES),
          token_box: seal(encodeToken(ctx, r), b.publicKey),
          tag: keyedHash(wrongKey, tokenTagInput(ctx, r)),
        });
      }
      assert.equal((await env.store.requestReset(b, c.username)).recorded, false);
      // Control: with the real secret the same forgery would pass — so the tag is what stops it.
      const realKey = deriveSubkey(env.serverSecret, 'token-tag');
      const ctx = { ownerId: c.userId, ownerEpoch: Number(row.epoch), slotGen: Number(row.slot_gen), slot: 0 };
      const r = randomBytes(32);
      await putSlot(env, c.userId, 0, {
        owner_box: randomBytes(OWNER_BOX_BYTES),
        token_box: seal(encodeToken(ctx, r), b.publicKey),
        tag: keyedHash(realKey, tokenTagInput(ctx, r)),
      });
      assert.equal((await env.store.requestReset(b, c.username)).recorded, true);
      void a;
    });

    it('a swapped public key gets no tokens sealed to it and is reported', async () => {
      const { a, b, c } = await setup('swap');
      const attacker = boxKeypair();
      await env.db.updateTable('trust_user').set({ public_key: attacker.publicKey }).where('id', '=', b.userId).execute();
      const since = env.events.length;
      await env.store.login(a.username, PW(a.username));
      assert.ok(env.events.slice(since).some((e) => e.type === 'integrity-alert' && e.userId === b.userId && e.what === 'public-key'));
      for (const r of await slotsOf(env, a.userId)) {
        const out = Buffer.alloc(r.token_box.length - sodium.crypto_box_SEALBYTES);
        assert.equal(sodium.crypto_box_seal_open(out, r.token_box, attacker.publicKey, attacker.secretKey), false);
      }
      // A still sees B as a trustee (nothing silently dropped) …
      assert.deepEqual(
        (await env.store.listTrustees(a)).map((t) => t.username),
        [b.username],
      );
      // … and cannot add a trustee whose key fails the check.
      await env.db.updateTable('trust_user').set({ public_key: attacker.publicKey }).where('id', '=', c.userId).execute();
      await rejects(env.store.addTrustee(a, c.username), 'integrity');
      // B's own next login repairs B's key from the authentic wrapped key; A's next login seals to it again.
      await env.store.login(b.username, PW(b.username));
      const b2 = await env.store.unlock(b.username, PW(b.username));
      await env.store.login(a.username, PW(a.username));
      assert.equal((await env.store.requestReset(b2, a.username)).recorded, true);
    });

    it('bit flips and truncations in any blob are rejected without crashing', async () => {
      const { a, b, slot } = await setup('flip');
      const good = (await slotsOf(env, a.userId))[slot]!;
      const variants: Array<[string, Pick<SlotRow, 'owner_box' | 'token_box' | 'tag'>]> = [];
      const flip = (buf: Buffer, i: number) => {
        const x = Buffer.from(buf);
        x[i] = x[i]! ^ 0x01;
        return x;
      };
      for (const i of [0, 31, 32, 60, TOKEN_BOX_BYTES - 1])
        variants.push([`token bit ${i}`, { ...good, token_box: flip(good.token_box, i) }]);
      for (const i of [0, TAG_BYTES - 1]) variants.push([`tag bit ${i}`, { ...good, tag: flip(good.tag, i) }]);
      variants.push(['token truncated', { ...good, token_box: good.token_box.subarray(0, TOKEN_BOX_BYTES - 1) }]);
      variants.push(['token empty', { ...good, token_box: Buffer.alloc(0) }]);
      variants.push(['tag truncated', { ...good, tag: good.tag.subarray(0, 16) }]);
      for (const [name, v] of variants) {
        await putSlot(env, a.userId, slot, v);
        assert.deepEqual(await env.store.requestReset(b, a.username), { recorded: false }, name);
      }
      await putSlot(env, a.userId, slot, good);
      // Owner box damage: the relation silently reads as empty rather than as someone else.
      for (const ob of [flip(good.owner_box, 0), flip(good.owner_box, OWNER_BOX_BYTES - 1), good.owner_box.subarray(0, 20)]) {
        await putSlot(env, a.userId, slot, { ...good, owner_box: ob });
        assert.deepEqual(await env.store.listTrustees(a), []);
      }
      await putSlot(env, a.userId, slot, good);
      assert.equal((await env.store.requestReset(b, a.username)).recorded, true);
      await env.store.vetoReset(a.userId);
      // Wrapped secret key damage: login fails the generic way.
      const u = await env.db.selectFrom('trust_user').selectAll().where('id', '=', a.userId).executeTakeFirstOrThrow();
      for (const w of [flip(u.wrapped_sk, 30), u.wrapped_sk.subarray(0, 50)]) {
        await env.db.updateTable('trust_user').set({ wrapped_sk: w }).where('id', '=', a.userId).execute();
        await assert.rejects(env.store.login(a.username, PW(a.username)), InvalidCredentialsError);
      }
      await env.db.updateTable('trust_user').set({ wrapped_sk: u.wrapped_sk }).where('id', '=', a.userId).execute();
      await env.store.login(a.username, PW(a.username));
    });

    it('moving a wrapped key to another user or epoch does not open', async () => {
      const { a, c } = await setup('wrapmove');
      const ua = await env.db.selectFrom('trust_user').selectAll().where('id', '=', a.userId).executeTakeFirstOrThrow();
      // Give C A's salt, params and wrapped key: A's password must still not open C's account.
      await env.db.updateTable('trust_user').set({ wrapped_sk: ua.wrapped_sk, pw_salt: ua.pw_salt }).where('id', '=', c.userId).execute();
      await assert.rejects(env.store.login(c.username, PW(a.username)), InvalidCredentialsError);
      await env.db
        .updateTable('trust_user')
        .set({ epoch: Number(ua.epoch) + 1 })
        .where('id', '=', a.userId)
        .execute();
      await assert.rejects(env.store.login(a.username, PW(a.username)), InvalidCredentialsError);
    });
  });
}
