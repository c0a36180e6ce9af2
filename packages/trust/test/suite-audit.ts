// Issue #13 (independent tamper, dump and timing audit): every attack that the audit showed working, replayed with
// direct SQL on the attacker's own second connection (env.sql), on each dialect. Each test fails on the code
// before its fix. docs/trust-threat-model.md cites these test names.
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sodium from 'sodium-native';
import type { Kysely, KyselyPlugin } from 'kysely';
import {
  IntegrityError,
  InvalidResetCodeError,
  migrateTrust,
  TrustError,
  TrustStore,
  type TrustEvent,
  type UnlockedUser,
} from '../src/index.ts';
import { aeadSeal, boxKeypair, deriveSubkey, keyedHash, pwhash, randomBytes, dummySlotRow, workCounter } from '../src/crypto.ts';
import { pkTagInput, skAd } from '../src/format.ts';
import { makeEnv, PW, type DbFactory, type Env } from './harness.ts';

export type RawSlot = { user_id: string; slot: number; owner_box: Buffer; token_box: Buffer; tag: Buffer };

export async function rawSlots(env: Env, userId: string): Promise<RawSlot[]> {
  const rows = await env.sql.all<RawSlot>('SELECT * FROM trust_slot WHERE user_id = ? ORDER BY slot', userId);
  return rows.map((r) => ({
    ...r,
    slot: Number(r.slot),
    owner_box: Buffer.from(r.owner_box),
    token_box: Buffer.from(r.token_box),
    tag: Buffer.from(r.tag),
  }));
}

export async function rawUser(env: Env, userId: string): Promise<Record<string, unknown>> {
  const [u] = await env.sql.all('SELECT * FROM trust_user WHERE id = ?', userId);
  assert.ok(u, 'user row');
  return u;
}

/** Does any of `owner`'s token boxes open with this key pair? (What the holder of the key learns.) */
export async function opensFor(env: Env, owner: string, kp: { publicKey: Buffer; secretKey: Buffer }): Promise<boolean> {
  for (const r of await rawSlots(env, owner)) {
    const out = Buffer.alloc(Math.max(0, r.token_box.length - sodium.crypto_box_SEALBYTES));
    if (r.token_box.length >= sodium.crypto_box_SEALBYTES && sodium.crypto_box_seal_open(out, r.token_box, kp.publicKey, kp.secretKey))
      return true;
  }
  return false;
}

export async function slotGen(env: Env, userId: string): Promise<number> {
  return Number((await rawUser(env, userId)).slot_gen);
}

function alerts(env: Env, since: number): Extract<TrustEvent, { type: 'integrity-alert' }>[] {
  return env.events.slice(since).filter((e): e is Extract<TrustEvent, { type: 'integrity-alert' }> => e.type === 'integrity-alert');
}

/** Fails unless `p` rejects with a TrustError (a RangeError/TypeError from a malformed value is a crash, not a refusal). */
async function refusedCleanly(p: Promise<unknown>, what: string): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  assert.ok(e instanceof TrustError, `${what}: expected a TrustError, got ${e === null ? 'success' : String(e)}`);
}

export function defineAuditSuite(getFactory: () => DbFactory): void {
  describe('audit #13.2: malformed stored values read as tampered, never crash', () => {
    let env: Env;
    before(async () => {
      env = await makeEnv(getFactory());
    });
    after(async () => {
      await env.close();
    });

    async function graph(prefix: string) {
      const t = await env.store.createUser(`${prefix}-t`, PW(`${prefix}-t`));
      const a = await env.store.createUser(`${prefix}-a`, PW(`${prefix}-a`));
      const c = await env.store.createUser(`${prefix}-c`, PW(`${prefix}-c`));
      const d = await env.store.createUser(`${prefix}-d`, PW(`${prefix}-d`));
      await env.store.addTrustee(a, t.username);
      await env.store.addTrustee(c, t.username);
      await env.store.addTrustee(d, a.username); // d does not trust t
      return { t, a, c, d };
    }

    it('a 31-byte public key on a trustee: its trusters still log in, seal nothing to it, and an alert names it', async () => {
      const { t, a, c } = await graph('pk31');
      await env.sql.run('UPDATE trust_user SET public_key = ? WHERE id = ?', Buffer.alloc(31, 7), t.userId);
      for (const u of [a, c]) {
        const since = env.events.length;
        const g = await slotGen(env, u.userId);
        await env.store.login(u.username, PW(u.username));
        assert.equal(await slotGen(env, u.userId), g + 1, `${u.username}'s slots were rewritten`);
        assert.ok(alerts(env, since).some((e) => e.userId === t.userId && e.what === 'public-key'));
        assert.deepEqual(
          (await env.store.listTrustees(u)).map((x) => x.username),
          [t.username],
        );
      }
      await refusedCleanly(
        env.store.addTrustee(await env.store.login('pk31-d', PW('pk31-d')), t.username),
        'addTrustee to a malformed key',
      );
    });

    it('epoch −1 / 1.5 / 2^32 / text on a trustee cannot map its trusters: every login behaves the same', async () => {
      const { t, a, c, d } = await graph('epoch');
      // PostgreSQL's integer column refuses 1.5, 2^32 and text itself; SQLite stores whatever it is given.
      const values: unknown[] = [-1, 0];
      if (getFactory().dialect === 'sqlite') values.push(1.5, 2 ** 32, 'one', Buffer.from([1]));
      else values.push(2 ** 31 - 1);
      for (const v of values) {
        await env.sql.run('UPDATE trust_user SET epoch = ? WHERE id = ?', v, t.userId);
        // The probe of the audit: whose slot_gen stops advancing? Nobody's: trusters and non-trusters alike advance.
        for (const u of [a, c, d]) {
          const g = await slotGen(env, u.userId);
          await env.store.login(u.username, PW(u.username));
          assert.equal(await slotGen(env, u.userId), g + 1, `epoch ${String(v)}: ${u.username} advanced`);
        }
        assert.equal(await opensFor(env, a.userId, t), false, 'no token for a trustee whose row is malformed');
        // The malformed row's own owner fails the generic way.
        await refusedCleanly(env.store.login(t.username, PW(t.username)), `own login with epoch ${String(v)}`);
        await refusedCleanly(
          env.store.requestReset(a, t.username).then((r) => {
            if (!r.recorded) throw new TrustError('not-found', 'x');
          }),
          'reset of a malformed target',
        );
      }
    });

    it("malformed values in a user's own row or slot rows fail cleanly (no RangeError, no Argon2id bomb)", async () => {
      const { t, a } = await graph('own');
      const cases: Array<[string, unknown]> = [
        ['slot_gen', -1],
        ['slot_gen', 2 ** 32],
        ['pw_salt', Buffer.alloc(3)],
        ['wrapped_sk', Buffer.alloc(71)],
        ['pw_opslimit', 0],
        ['pw_memlimit', 2 ** 40],
        ['pw_alg', 7],
        ['threshold', -3],
        ['wait_seconds', -1],
      ];
      if (getFactory().dialect === 'sqlite') cases.push(['slot_gen', 'x'], ['wrapped_sk', 'text'], ['pw_salt', 12]);
      const orig = await rawUser(env, a.userId);
      for (const [col, v] of cases) {
        await env.sql.run(`UPDATE trust_user SET ${col} = ? WHERE id = ?`, v, a.userId);
        const outcome = await env.store.login(a.username, PW(a.username)).then(
          () => 'ok',
          (e: unknown) => e,
        );
        assert.ok(outcome === 'ok' || outcome instanceof TrustError, `${col} = ${String(v)}: ${String(outcome)}`);
        await refusedCleanly(
          env.store.requestReset(t, a.username).then((r) => {
            if (!r.recorded) throw new TrustError('not-found', 'x');
          }),
          `reset with ${col}`,
        );
        await env.sql.run(`UPDATE trust_user SET ${col} = ? WHERE id = ?`, orig[col], a.userId);
      }
      // An out-of-range slot number in the own slot rows reads as a dummy row.
      await env.store.login(a.username, PW(a.username));
      const rows = await rawSlots(env, a.userId);
      await env.sql.run('UPDATE trust_slot SET slot = ? WHERE user_id = ? AND slot = ?', 300, a.userId, rows[0]!.slot);
      await env.sql.run('UPDATE trust_slot SET slot = ? WHERE user_id = ? AND slot = ?', -1, a.userId, rows[1]!.slot);
      const outcome = await env.store.login(a.username, PW(a.username)).then(
        () => 'ok',
        (e: unknown) => e,
      );
      assert.ok(outcome === 'ok' || outcome instanceof TrustError, String(outcome));
      const me: UnlockedUser = await env.store.unlock(a.username, PW(a.username)).catch(() => a);
      await env.store.listTrustees(me).catch((e: unknown) => assert.ok(e instanceof TrustError, String(e)));
      await env.store.requestReset(t, a.username).catch((e: unknown) => assert.fail(String(e)));
    });
  });

  describe('audit #13.1: a database writer cannot mint a wrapped key and log in as anyone', () => {
    let env: Env;
    before(async () => {
      env = await makeEnv(getFactory());
    });
    after(async () => {
      await env.close();
    });

    /** The writer's forgery: AEAD(Argon2id(chosen password), sk, skAd(victim, epoch)) stored with public_key = pk. */
    async function mint(victim: UnlockedUser, sk: Buffer, pk: Buffer, chosen: string): Promise<void> {
      const u = await rawUser(env, victim.userId);
      const salt = randomBytes(16);
      const key = await pwhash(chosen, salt, { opslimit: Number(u.pw_opslimit), memlimit: Number(u.pw_memlimit) });
      await env.sql.run(
        'UPDATE trust_user SET wrapped_sk = ?, pw_salt = ?, public_key = ? WHERE id = ?',
        aeadSeal(key, sk, skAd(victim.userId, Number(u.epoch))),
        salt,
        pk,
        victim.userId,
      );
    }

    async function victimWithTruster(prefix: string) {
      const a = await env.store.createUser(`${prefix}-a`, PW(`${prefix}-a`));
      const c = await env.store.createUser(`${prefix}-c`, PW(`${prefix}-c`));
      await env.store.addTrustee(c, a.username); // C trusts A: C's token is sealed to A's key
      return { a, c, orig: await rawUser(env, a.userId) };
    }

    it("a minted wrapped key with the writer's own keypair: login, unlock and changePassword refuse, with an alert", async () => {
      const { a, c } = await victimWithTruster('mint');
      const x = boxKeypair();
      await mint(a, x.secretKey, x.publicKey, 'chosen-by-the-writer');
      const since = env.events.length;
      await assert.rejects(env.store.login(a.username, 'chosen-by-the-writer'), TrustError);
      await assert.rejects(env.store.unlock(a.username, 'chosen-by-the-writer'), TrustError);
      await assert.rejects(env.store.changePassword(a.username, 'chosen-by-the-writer', 'another-password'), TrustError);
      assert.ok(alerts(env, since).some((e) => e.userId === a.userId && e.what === 'account-state'));
      // The login did not bless pk_X: the stored pk_tag is no server tag for it …
      const u = await rawUser(env, a.userId);
      const kPk = deriveSubkey(env.serverSecret, 'pk-tag');
      assert.ok(!keyedHash(kPk, pkTagInput(a.userId, Number(u.epoch), x.publicKey)).equals(Buffer.from(u.pk_tag as Buffer)));
      // … so the truster's next login seals nothing X can open.
      await env.store.login(c.username, PW(c.username));
      assert.equal(await opensFor(env, c.userId, x), false);
    });

    it('laundering variant: the (pk_X, pk_tag) left by a minted login, swapped in while a truster logs in, gets no token', async () => {
      const { a, c, orig } = await victimWithTruster('launder');
      const x = boxKeypair();
      await mint(a, x.secretKey, x.publicKey, 'chosen-by-the-writer');
      await env.store.login(a.username, 'chosen-by-the-writer').catch(() => {});
      const laundered = Buffer.from((await rawUser(env, a.userId)).pk_tag as Buffer);
      // Restore A's genuine row (no alert from A's side any more), then swap the pair in just for C's login.
      await env.sql.run(
        'UPDATE trust_user SET wrapped_sk = ?, pw_salt = ?, public_key = ?, pk_tag = ? WHERE id = ?',
        orig.wrapped_sk,
        orig.pw_salt,
        orig.public_key,
        orig.pk_tag,
        a.userId,
      );
      await env.sql.run('UPDATE trust_user SET public_key = ?, pk_tag = ? WHERE id = ?', x.publicKey, laundered, a.userId);
      await env.store.login(c.username, PW(c.username));
      assert.equal(await opensFor(env, c.userId, x), false);
      await env.sql.run('UPDATE trust_user SET public_key = ?, pk_tag = ? WHERE id = ?', orig.public_key, orig.pk_tag, a.userId);
      await env.store.login(a.username, PW(a.username)); // the genuine row still works
    });

    it('the real secret key re-wrapped under a chosen password does not log in either', async () => {
      const { a } = await victimWithTruster('rewrap');
      await mint(a, a.secretKey, a.publicKey, 'chosen-by-the-writer');
      await assert.rejects(env.store.login(a.username, 'chosen-by-the-writer'), IntegrityError);
    });
  });

  describe('audit #13.3: counters and reset state are bound under the server secret', () => {
    let env: Env;
    before(async () => {
      env = await makeEnv(getFactory());
    });
    after(async () => {
      await env.close();
    });

    async function pair(prefix: string, k = 1) {
      const a = await env.store.createUser(`${prefix}-a`, PW(`${prefix}-a`));
      const b = await env.store.createUser(`${prefix}-b`, PW(`${prefix}-b`));
      await env.store.addTrustee(a, b.username);
      if (k !== 1) await env.store.setSettings(a.userId, { threshold: k });
      return { a, b };
    }

    async function restoreSlots(userId: string, rows: RawSlot[]): Promise<void> {
      await env.sql.run('DELETE FROM trust_slot WHERE user_id = ?', userId);
      for (const r of rows)
        await env.sql.run(
          'INSERT INTO trust_slot (user_id, slot, owner_box, token_box, tag) VALUES (?, ?, ?, ?, ?)',
          userId,
          r.slot,
          r.owner_box,
          r.token_box,
          r.tag,
        );
    }

    async function snapshotOf(userId: string) {
      return {
        user: await rawUser(env, userId),
        slots: await rawSlots(env, userId),
        reset: await env.sql.all('SELECT * FROM trust_reset WHERE user_id = ?', userId),
        conf: await env.sql.all('SELECT * FROM trust_reset_confirmation WHERE user_id = ?', userId),
        code: await env.sql.all('SELECT * FROM trust_reset_code WHERE user_id = ?', userId),
      };
    }

    async function restoreReset(userId: string, snap: Awaited<ReturnType<typeof snapshotOf>>): Promise<void> {
      await env.sql.run('DELETE FROM trust_reset_code WHERE user_id = ?', userId);
      await env.sql.run('DELETE FROM trust_reset_confirmation WHERE user_id = ?', userId);
      await env.sql.run('DELETE FROM trust_reset WHERE user_id = ?', userId);
      for (const r of snap.reset)
        await env.sql.run(
          'INSERT INTO trust_reset (user_id, state, created_at, armed_at, effective_at, vetoed_at) VALUES (?, ?, ?, ?, ?, ?)',
          r.user_id,
          r.state,
          r.created_at,
          r.armed_at,
          r.effective_at,
          r.vetoed_at,
        );
      for (const r of snap.conf) await env.sql.run('INSERT INTO trust_reset_confirmation (user_id, slot) VALUES (?, ?)', r.user_id, r.slot);
      for (const r of snap.code)
        await env.sql.run(
          'INSERT INTO trust_reset_code (user_id, code_hash, expires_at) VALUES (?, ?, ?)',
          r.user_id,
          r.code_hash,
          r.expires_at,
        );
    }

    it('setting epoch and slot_gen back (old slot rows restored) revives no pre-reset token', async () => {
      const { a, b } = await pair('prereset');
      const snap = await snapshotOf(a.userId);
      await env.store.requestReset(b, a.username);
      env.clock.advance(3600);
      const { code } = await env.store.obtainResetCode(b, a.username);
      await env.store.completeReset(a.username, code, 'new-pass-prereset');
      await restoreSlots(a.userId, snap.slots);
      await env.sql.run('UPDATE trust_user SET epoch = ?, slot_gen = ? WHERE id = ?', snap.user.epoch, snap.user.slot_gen, a.userId);
      const since = env.events.length;
      assert.equal((await env.store.requestReset(b, a.username)).recorded, false);
      assert.ok(alerts(env, since).some((e) => e.userId === a.userId && e.what === 'account-state'));
    });

    it("setting slot_gen back (old slot rows restored) revives no removed trustee's token, nor the relation", async () => {
      const { a, b } = await pair('removed');
      const snap = await snapshotOf(a.userId);
      await env.store.removeTrustee(a, b.userId);
      await restoreSlots(a.userId, snap.slots);
      await env.sql.run('UPDATE trust_user SET slot_gen = ? WHERE id = ?', snap.user.slot_gen, a.userId);
      assert.equal((await env.store.requestReset(b, a.username)).recorded, false);
      await assert.rejects(env.store.listTrustees(a), IntegrityError);
      await assert.rejects(env.store.login(a.username, PW(a.username)), IntegrityError);
    });

    it('setting epoch back with the consumed reset and code rows re-inserted does not reuse the code', async () => {
      const { a, b } = await pair('consumed');
      await env.store.requestReset(b, a.username);
      env.clock.advance(3600);
      const { code } = await env.store.obtainResetCode(b, a.username);
      const snap = await snapshotOf(a.userId);
      await env.store.completeReset(a.username, code, 'new-pass-consumed');
      await restoreReset(a.userId, snap);
      await env.sql.run('UPDATE trust_user SET epoch = ?, slot_gen = ? WHERE id = ?', snap.user.epoch, snap.user.slot_gen, a.userId);
      await assert.rejects(env.store.completeReset(a.username, code, 'taken-over-consumed'), InvalidResetCodeError);
    });

    it('re-inserting the rows a veto deleted does not undo the veto', async () => {
      const { a, b } = await pair('unveto');
      await env.store.requestReset(b, a.username);
      env.clock.advance(3600);
      const { code } = await env.store.obtainResetCode(b, a.username);
      const snap = await snapshotOf(a.userId);
      assert.equal(await env.store.vetoReset(a.userId), true);
      await restoreReset(a.userId, snap);
      await assert.rejects(env.store.completeReset(a.username, code, 'taken-over-unveto'), InvalidResetCodeError);
      await assert.rejects(env.store.obtainResetCode(b, a.username), TrustError);
    });

    it('marking a reset armed with an effective time in the past, or lowering k, in the database arms nothing', async () => {
      const { a, b } = await pair('forcearm', 2);
      await env.store.requestReset(b, a.username);
      await env.sql.run(
        'UPDATE trust_reset SET state = ?, armed_at = ?, effective_at = ? WHERE user_id = ?',
        'armed',
        env.clock.ms - 7200_000,
        env.clock.ms - 3600_000,
        a.userId,
      );
      await assert.rejects(env.store.obtainResetCode(b, a.username), TrustError);
      await env.sql.run('UPDATE trust_reset SET state = ?, armed_at = NULL, effective_at = NULL WHERE user_id = ?', 'collecting', a.userId);
      await env.sql.run('UPDATE trust_user SET threshold = 1 WHERE id = ?', a.userId);
      assert.equal((await env.store.requestReset(b, a.username)).recorded, false);
      assert.equal(await env.store.pendingResetFor(a.userId), null);
    });
  });

  describe('format 2 upgrade of a format-1 database', () => {
    it('tags existing rows at first use, once; afterwards an untagged row is refused, and a reverted database is refused on request', async () => {
      const { db, close, sqlitePath, postgresUrl } = await getFactory().open();
      const sql = await (await import('./harness.ts')).rawConnection({ sqlitePath, postgresUrl });
      try {
        // A fresh database migrated to format 1 only, then rows written the way format-1 code wrote them.
        for (const t of ['trust_recovery', 'trust_reset_share', 'trust_reset_key', 'trust_mail_key'])
          await (db as Kysely<any>).schema.dropTable(t).execute();
        await (db as Kysely<any>).schema.alterTable('trust_reset_code').dropColumn('trustee_box').execute();
        await (db as Kysely<any>)
          .deleteFrom('trust_migration')
          .where('name', 'in', ['0003_trust_mail_key', '0004_trust_recovery', '0005_trust_reset_code_trustee'])
          .execute();
        await (db as Kysely<any>).schema.alterTable('trust_invite').dropColumn('note_box').execute();
        await (db as Kysely<any>).schema.alterTable('trust_user').dropColumn('invites_used').execute();
        await (db as Kysely<any>).deleteFrom('trust_migration').where('name', '=', '0006_trust_invite_note').execute();
        await (db as Kysely<any>).schema.dropTable('trust_meta').execute();
        await (db as Kysely<any>).schema.alterTable('trust_user').dropColumn('user_tag').execute();
        await (db as Kysely<any>).deleteFrom('trust_migration').where('name', '=', '0002_trust_user_tag').execute();
        const serverSecret = randomBytes(32);
        const id = randomBytes(16).toString('hex');
        const kp = boxKeypair();
        const salt = randomBytes(16);
        const params = { opslimit: 1, memlimit: 8192 };
        const key = await pwhash('format-one-password', salt, params);
        await sql.run(
          'INSERT INTO trust_user (id, username, is_admin, disabled, epoch, slot_gen, public_key, pk_tag, wrapped_sk, pw_salt, pw_opslimit, pw_memlimit, pw_alg, threshold, wait_seconds) VALUES (?, ?, 0, 0, 1, 1, ?, ?, ?, ?, ?, ?, 2, 1, 3600)',
          id,
          'old-timer',
          kp.publicKey,
          keyedHash(deriveSubkey(serverSecret, 'pk-tag'), pkTagInput(id, 1, kp.publicKey)),
          aeadSeal(key, kp.secretKey, skAd(id, 1)),
          salt,
          params.opslimit,
          params.memlimit,
        );
        for (let slot = 0; slot < 8; slot++) {
          const d = dummySlotRow();
          await sql.run(
            'INSERT INTO trust_slot (user_id, slot, owner_box, token_box, tag) VALUES (?, ?, ?, ?, ?)',
            id,
            slot,
            d.ownerBox,
            d.tokenBox,
            d.tag,
          );
        }
        const r = await migrateTrust(db);
        assert.deepEqual(
          r.results?.map((x) => x.migrationName),
          ['0002_trust_user_tag', '0003_trust_mail_key', '0004_trust_recovery', '0005_trust_reset_code_trustee', '0006_trust_invite_note'],
        );
        const events: TrustEvent[] = [];
        const opts = { db, serverSecret, pwhash: params, minWaitSeconds: 3600, onEvent: (e: TrustEvent) => events.push(e) };
        const store = new TrustStore(opts);
        const u = await store.login('old-timer', 'format-one-password');
        assert.equal(u.userId, id);
        assert.deepEqual(
          events.filter((e) => e.type === 'format-upgraded').map((e) => 'users' in e && e.users),
          [1],
        );
        // A second store (or restart) does not upgrade again; a tag removed afterwards is tampering, not format 1.
        await new TrustStore(opts).login('old-timer', 'format-one-password');
        assert.equal(events.filter((e) => e.type === 'format-upgraded').length, 1);
        await sql.run('UPDATE trust_user SET user_tag = NULL WHERE id = ?', id);
        await assert.rejects(new TrustStore(opts).login('old-timer', 'format-one-password'), IntegrityError);
        // A wrong server secret is refused with a clear message before anything else happens.
        await assert.rejects(new TrustStore({ ...opts, serverSecret: randomBytes(32) }).getUser(id), /wrong serverSecret/);
        // Reverting to format 1 (marker deleted, tags nulled) is refused when the operator said the upgrade is done.
        await sql.run('DELETE FROM trust_meta');
        await assert.rejects(new TrustStore({ ...opts, allowFormatUpgrade: false }).getUser(id), /allowFormatUpgrade/);
      } finally {
        await sql.close();
        await close();
      }
    });
  });

  describe('audit #13.4: an armed reset is re-checked; confirmations count distinct trustees', () => {
    let env: Env;
    before(async () => {
      env = await makeEnv(getFactory());
    });
    after(async () => {
      await env.close();
    });

    async function slotOf(owner: string, trustee: UnlockedUser): Promise<number> {
      for (const r of await rawSlots(env, owner)) {
        const out = Buffer.alloc(r.token_box.length - sodium.crypto_box_SEALBYTES);
        if (sodium.crypto_box_seal_open(out, r.token_box, trustee.publicKey, trustee.secretKey)) return r.slot;
      }
      return -1;
    }

    it('k = 2, B and E confirm, A removes B: the reset falls back to 1 of 2 and E alone gets no code', async () => {
      const a = await env.store.createUser('rm-a', PW('rm-a'));
      const b = await env.store.createUser('rm-b', PW('rm-b'));
      const e = await env.store.createUser('rm-e', PW('rm-e'));
      await env.store.addTrustee(a, b.username);
      await env.store.addTrustee(a, e.username);
      await env.store.setSettings(a.userId, { threshold: 2 });
      await env.store.requestReset(b, a.username);
      await env.store.requestReset(e, a.username);
      assert.equal((await env.store.pendingResetFor(a.userId))?.state, 'armed');
      await env.store.removeTrustee(a, b.userId);
      const p = await env.store.pendingResetFor(a.userId);
      assert.equal(p?.state, 'collecting');
      assert.equal(p?.confirmations, 1);
      assert.equal(p?.effectiveAt, null);
      env.clock.advance(3600);
      await assert.rejects(env.store.obtainResetCode(e, a.username), TrustError);
    });

    it('raising k above the confirmations disarms an armed reset (and voids an issued code)', async () => {
      const a = await env.store.createUser('k-a', PW('k-a'));
      const b = await env.store.createUser('k-b', PW('k-b'));
      await env.store.addTrustee(a, b.username);
      await env.store.createUser('k-c', PW('k-c'));
      await env.store.addTrustee(a, 'k-c');
      await env.store.requestReset(b, a.username);
      env.clock.advance(3600);
      const { code } = await env.store.obtainResetCode(b, a.username);
      await env.store.setSettings(a.userId, { threshold: 2 });
      assert.equal((await env.store.pendingResetFor(a.userId))?.state, 'collecting');
      await assert.rejects(env.store.completeReset(a.username, code, 'taken-over-k'), InvalidResetCodeError);
      await assert.rejects(env.store.obtainResetCode(b, a.username), TrustError);
    });

    it('lowering the slot count N moves a trustee to another slot: its two confirmations still count once', async () => {
      const b = await env.store.createUser('n-b', PW('n-b'));
      let a: UnlockedUser;
      let s = 0;
      for (let i = 0; ; i++) {
        // until B's random slot is not slot 0, so that N = s pushes B out of range
        a = await env.store.createUser(`n-a${i}`, PW(`n-a${i}`));
        await env.store.addTrustee(a, b.username);
        s = await slotOf(a.userId, b);
        if (s > 0) break;
      }
      await env.store.createUser(`n-c`, PW('n-c')).catch(() => {});
      await env.store.setSettings(a.userId, { threshold: 2 });
      assert.equal((await env.store.requestReset(b, a.username)).recorded, true); // confirmation for slot s
      const smaller = env.withOptions({ slots: s });
      await smaller.login(a.username, PW(a.username)); // B's relation moves into a slot below s
      const moved = await slotOf(a.userId, b);
      assert.ok(moved >= 0 && moved < s, `moved to ${moved}`);
      assert.equal((await smaller.requestReset(b, a.username)).recorded, true);
      const p = await smaller.pendingResetFor(a.userId);
      assert.equal(p?.confirmations, 1);
      assert.equal(p?.state, 'collecting');
    });
  });

  describe('audit #13.5: the SQLite file and its WAL keep no deleted or superseded linking data', () => {
    let env: Env;
    before(async () => {
      env = await makeEnv(getFactory());
    });
    after(async () => {
      await env.close();
    });

    /** The raw bytes a copy of the live directory holds: main file and -wal. */
    function dump(): Buffer {
      const p = env.where.sqlitePath!;
      return Buffer.concat([readFileSync(p), existsSync(`${p}-wal`) ? readFileSync(`${p}-wal`) : Buffer.alloc(0)]);
    }

    it('after redemptions, neither the invite ids nor their code hashes are anywhere in the db file or the WAL', async (t) => {
      if (getFactory().dialect !== 'sqlite') return t.skip('SQLite file; PostgreSQL is analysed in the threat model');
      const a = await env.store.createUser('dump-a', PW('dump-a'));
      const needles: Buffer[] = [];
      for (let i = 0; i < 3; i++) {
        const inv = await env.store.createInvite(a.userId);
        const [row] = await env.sql.all<{ id: string; code_hash: Buffer }>('SELECT id, code_hash FROM trust_invite WHERE id = ?', inv.id);
        needles.push(Buffer.from(inv.id, 'ascii'), Buffer.from(row!.code_hash));
        await env.store.redeemInvite(inv.code, `dump-i${i}`, PW(`dump-i${i}`));
      }
      const bytes = dump();
      for (const n of needles) assert.equal(bytes.indexOf(n), -1, `found ${n.toString('hex')}`);
    });

    it('after logins, no superseded owner box, token box or tag is anywhere in the db file or the WAL', async (t) => {
      if (getFactory().dialect !== 'sqlite') return t.skip('SQLite file; PostgreSQL is analysed in the threat model');
      const a = await env.store.createUser('dump-b', PW('dump-b'));
      for (let i = 0; i < 3; i++) await env.store.addTrustee(a, (await env.store.createUser(`dump-t${i}`, PW(`dump-t${i}`))).username);
      const old: Buffer[] = [];
      for (let round = 0; round < 4; round++) {
        for (const r of await rawSlots(env, a.userId)) old.push(r.owner_box, r.token_box, r.tag);
        await env.store.login(a.username, PW(a.username));
      }
      const bytes = dump();
      const left = old.filter((n) => bytes.indexOf(n) !== -1).length;
      assert.equal(left, 0, `${left} of ${old.length} superseded blobs still readable`);
    });
  });

  describe('audit #13.6: unknown, existing, disabled and not-yet-upgraded accounts take the same work', () => {
    let env: Env;
    before(async () => {
      env = await makeEnv(getFactory());
    });
    after(async () => {
      await env.close();
    });

    /** Queries issued and primitive calls made by `fn` (after one warm-up call of the same case). */
    function meter(store: TrustStore, queries: { n: number }) {
      return async (fn: (s: TrustStore) => Promise<unknown>) => {
        await fn(store).catch(() => {});
        const q0 = queries.n;
        const w0 = { ...workCounter };
        await fn(store).catch(() => {});
        const out: Record<string, number> = { queries: queries.n - q0 };
        for (const k of Object.keys(workCounter) as (keyof typeof workCounter)[]) out[k] = workCounter[k] - w0[k];
        return out;
      };
    }

    function counted(o: Partial<Parameters<Env['withOptions']>[0]> = {}) {
      const queries = { n: 0 };
      const plugin: KyselyPlugin = {
        transformQuery: (a) => {
          queries.n++;
          return a.node;
        },
        transformResult: async (a) => a.result,
      };
      const store = env.withOptions({ ...o, db: (env.db as Kysely<any>).withPlugin(plugin) });
      return meter(store, queries);
    }

    it('requestReset, obtainResetCode and completeReset: same queries and crypto for unknown, existing and disabled targets', async () => {
      const t = await env.store.createUser('eq-t', PW('eq-t'));
      await env.store.createUser('eq-x', PW('eq-x'));
      const d = await env.store.createUser('eq-d', PW('eq-d'));
      await env.store.setDisabled(d.userId, true);
      const m = counted();
      for (const [op, fn] of [
        ['requestReset', (name: string) => (s: TrustStore) => s.requestReset(t, name)],
        ['obtainResetCode', (name: string) => (s: TrustStore) => s.obtainResetCode(t, name)],
        ['completeReset', (name: string) => (s: TrustStore) => s.completeReset(name, 'AAAA-BBBB-CCCC-DDDD', 'a-new-password')],
      ] as const) {
        const unknown = await m(fn('eq-nobody'));
        assert.deepEqual(await m(fn('eq-x')), unknown, `${op}: existing vs unknown`);
        assert.deepEqual(await m(fn('eq-d')), unknown, `${op}: disabled vs unknown`);
      }
    });

    it('a failed login after the operator raised the Argon2id cost: same Argon2id runs for unknown, not-yet-upgraded and upgraded accounts', async () => {
      const raisedCost = { opslimit: 2, memlimit: 16384 };
      await env.store.createUser('eq-weak', PW('eq-weak')); // PWHASH_MIN
      const m = counted({ pwhash: raisedCost });
      await env.withOptions({ pwhash: raisedCost }).createUser('eq-strong', PW('eq-strong'));
      const unknown = await m((s) => s.login('eq-nobody', 'wrong-password'));
      assert.ok(unknown.pwhash! >= 2, 'both costs are run');
      assert.deepEqual(await m((s) => s.login('eq-weak', 'wrong-password')), unknown, 'not upgraded vs unknown');
      assert.deepEqual(await m((s) => s.login('eq-strong', 'wrong-password')), unknown, 'upgraded vs unknown');
    });
  });
}
