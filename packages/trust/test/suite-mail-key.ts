// Issue #15 part 1: the mail key, its k-of-n shares inside the trust tokens, and its restore by a completed reset.
// Attacks use direct SQL on the attacker's second connection (env.sql) on each dialect; "what a trustee learns" is
// computed with the trustee's own secret key, as a malicious trustee would. docs/trust-threat-model.md cites these.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sodium from 'sodium-native';
import { combine } from 'shamir-secret-sharing';
import type { UnlockedUser } from '../src/index.ts';
import { pwhashProbe } from '../src/crypto.ts';
import { decodeToken } from '../src/format.ts';
import { makeEnv, PW, type DbFactory, type Env } from './harness.ts';
import { rawSlots } from './suite-audit.ts';

/** The shares `trustee` can open in `owner`'s current slot rows (what that trustee learns from a database copy). */
async function sharesFor(env: Env, owner: string, trustee: UnlockedUser): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const r of await rawSlots(env, owner)) {
    const pt = Buffer.alloc(Math.max(0, r.token_box.length - sodium.crypto_box_SEALBYTES));
    if (!sodium.crypto_box_seal_open(pt, r.token_box, trustee.publicKey, trustee.secretKey)) continue;
    const d = decodeToken(pt);
    if (d?.share) out.push(d.share);
  }
  return out;
}

async function tryCombine(shares: Buffer[]): Promise<Buffer | null> {
  try {
    return Buffer.from(await combine(shares.map((s) => new Uint8Array(s))));
  } catch {
    return null;
  }
}

async function count(env: Env, table: string, userId: string): Promise<number> {
  return (await env.sql.all(`SELECT user_id FROM ${table} WHERE user_id = ?`, userId)).length;
}

export function defineMailKeySuite(getFactory: () => DbFactory): void {
  describe('mail key (format 3)', () => {
    let env: Env;
    let n = 0;
    before(async () => {
      env = await makeEnv(getFactory());
    });
    after(async () => {
      await env.close();
    });

    /** A with k = 2 and trustees B, C, D (k is set before the trustees, so every rewrite splits 2-of-3). */
    async function group(k = 2) {
      const p = `mk${++n}`;
      const mk = async (s: string) => env.store.createUser(`${p}-${s}`, PW(`${p}-${s}`));
      const a0 = await mk('a');
      const [b, c, d, e] = [await mk('b'), await mk('c'), await mk('d'), await mk('e')];
      await env.store.setSettings(a0.userId, { threshold: k, waitSeconds: 3600 });
      const a = await env.store.login(a0.username, PW(a0.username));
      for (const t of [b, c, d]) await env.store.addTrustee(a, t.username);
      const mailKey = (await env.store.mailKey(a))!;
      assert.equal(mailKey.length, 32);
      return { a, b, c, d, e, mailKey };
    }

    async function armAndCode(a: UnlockedUser, confirmers: UnlockedUser[]) {
      let mailCode: string | undefined;
      for (const t of confirmers) {
        const r = await env.store.requestReset(t, a.username);
        assert.equal(r.recorded, true);
        mailCode ??= r.mailCode;
      }
      env.clock.advance(3600);
      const { code } = await env.store.obtainResetCode(confirmers[0]!, a.username);
      return { code, mailCode: mailCode! };
    }

    it('a login without a mail key creates one, wrapped for the owner, and it survives a password change', async () => {
      const u = await env.store.createUser(`mk-solo${++n}`, PW('solo'));
      assert.equal(await env.store.mailKey(u), null); // a new account gets its key at first login
      const li = await env.store.login(u.username, PW('solo'));
      const m = await env.store.mailKey(li);
      assert.ok(m && m.length === 32);
      await env.store.changePassword(li, PW('solo'), PW('solo-2'));
      const again = await env.store.login(u.username, PW('solo-2'));
      assert.ok((await env.store.mailKey(again))!.equals(m));
    });

    it('k = 2 of 3: two confirmations, the waiting period and the mail code restore the mail key under the new password', async () => {
      const { a, b, c, mailKey } = await group();
      const { code, mailCode } = await armAndCode(a, [b, c]);
      assert.match(mailCode, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
      const done = await env.store.completeReset(a.username, code, PW('new-a'), { mailCode });
      assert.equal(done.mailKeyRestored, true);
      assert.ok((await env.store.mailKey(done))!.equals(mailKey));
      const relogin = await env.store.login(a.username, PW('new-a'));
      assert.ok((await env.store.mailKey(relogin))!.equals(mailKey));
      assert.equal(await count(env, 'trust_reset_share', a.userId), 0);
      assert.equal(await count(env, 'trust_reset_key', a.userId), 0);
    });

    it('PostgreSQL: completeReset holds no lock on the user row while Argon2id runs (a NOWAIT write there succeeds)', async (t) => {
      if (!env.where.postgresUrl) return t.skip('row locks (FOR UPDATE) are taken on PostgreSQL only');
      const { a, b, c, mailKey } = await group();
      const { code, mailCode } = await armAndCode(a, [b, c]);
      // At each derivation's start, another connection locks and writes A's row with NOWAIT: it fails at once
      // (55P03) if the completing transaction already holds that row, so no waiting and no clock is involved.
      const writes: string[] = [];
      pwhashProbe.before = async () => {
        try {
          await env.sql.run('BEGIN');
          await env.sql.run('SELECT id FROM trust_user WHERE id = ? FOR UPDATE NOWAIT', a.userId);
          await env.sql.run('UPDATE trust_user SET disabled = disabled WHERE id = ?', a.userId);
          await env.sql.run('COMMIT');
          writes.push('ok');
        } catch (err) {
          await env.sql.run('ROLLBACK');
          writes.push(String((err as Error).message));
        }
      };
      let done: Awaited<ReturnType<typeof env.store.completeReset>>;
      try {
        done = await env.store.completeReset(a.username, code, PW('new-a'), { mailCode });
      } finally {
        pwhashProbe.before = null;
      }
      assert.deepEqual(writes, ['ok', 'ok']); // the new password's wrap and the mail code's key pair
      assert.equal(done.mailKeyRestored, true);
      assert.ok((await env.store.mailKey(done))!.equals(mailKey));
    });

    it('a reset vetoed while completeReset derives its keys fails cleanly and keeps the account as it was', async () => {
      const { a, b, c } = await group();
      const { code, mailCode } = await armAndCode(a, [b, c]);
      // The owner vetoes at the moment the derivation starts; the transaction after it must notice.
      let vetoed = false;
      pwhashProbe.before = async () => {
        if (vetoed) return;
        vetoed = true;
        pwhashProbe.before = null;
        assert.equal(await env.store.vetoReset(a.userId), true);
      };
      try {
        await assert.rejects(env.store.completeReset(a.username, code, PW('new-a'), { mailCode }), { name: 'InvalidResetCodeError' });
      } finally {
        pwhashProbe.before = null;
      }
      assert.equal(vetoed, true);
      const again = await env.store.login(a.username, PW(a.username));
      assert.equal(again.epoch, a.epoch);
    });

    it('only the trustee whose request starts the reset gets the mail code', async () => {
      const { a, b, c } = await group();
      assert.ok((await env.store.requestReset(b, a.username)).mailCode);
      const second = await env.store.requestReset(c, a.username);
      assert.equal(second.recorded, true);
      assert.equal(second.mailCode, undefined);
      assert.equal((await env.store.requestReset(b, a.username)).mailCode, undefined);
    });

    it('without the mail code, or with a wrong one, a completed reset gives a new mail key, not the old one', async () => {
      for (const mailCode of [undefined, '0000-0000-0000-0000']) {
        const { a, b, c, mailKey } = await group();
        const { code } = await armAndCode(a, [b, c]);
        const done = await env.store.completeReset(a.username, code, PW('new-a'), mailCode ? { mailCode } : {});
        assert.equal(done.mailKeyRestored, false);
        const fresh = await env.store.mailKey(done);
        assert.ok(fresh && fresh.length === 32 && !fresh.equals(mailKey));
      }
    });

    it('one held share of a 2-of-3 key does not give the key, even with the mail code and the server secret', async () => {
      const { a, b, mailKey } = await group();
      const { mailCode } = await env.store.requestReset(b, a.username);
      assert.ok(mailCode);
      assert.equal((await env.store.pendingResetFor(a.userId))?.state, 'collecting');
      // One share is one point of a degree-1 polynomial: every 32-byte value is equally consistent with it.
      const [share] = await sharesFor(env, a.userId, b);
      assert.ok(share && share[32] !== 0 && !share.subarray(0, 32).equals(mailKey));
      assert.equal(await count(env, 'trust_reset_share', a.userId), 1);
    });

    it('a vetoed reset discards the held shares and the reset key; the next reset needs new confirmations', async () => {
      const { a, b, c } = await group();
      const { mailCode } = await env.store.requestReset(b, a.username);
      await env.store.requestReset(c, a.username);
      assert.equal(await count(env, 'trust_reset_share', a.userId), 2);
      assert.equal(await env.store.vetoReset(a.userId), true);
      assert.equal(await count(env, 'trust_reset_share', a.userId), 0);
      assert.equal(await count(env, 'trust_reset_key', a.userId), 0);
      env.clock.advance(7200);
      const next = await env.store.requestReset(b, a.username);
      assert.ok(next.mailCode && next.mailCode !== mailCode);
      assert.equal(await count(env, 'trust_reset_share', a.userId), 1);
    });

    it('a removed trustee: its old share combined with a current one is not the key, and the reset restores without it', async () => {
      const { a, b, c, d, mailKey } = await group();
      const oldB = await sharesFor(env, a.userId, b);
      assert.equal(await env.store.removeTrustee(a, b.userId), true); // rewrite: a fresh polynomial
      const newC = await sharesFor(env, a.userId, c);
      assert.equal((await sharesFor(env, a.userId, b)).length, 0);
      const mixed = await tryCombine([oldB[0]!, newC[0]!]);
      assert.ok(!mixed || !mixed.equals(mailKey));
      assert.equal((await env.store.requestReset(b, a.username)).recorded, false);
      const { code, mailCode } = await armAndCode(a, [c, d]);
      const done = await env.store.completeReset(a.username, code, PW('new-a'), { mailCode });
      assert.equal(done.mailKeyRestored, true);
    });

    it('k - 1 trustees with the database history: shares of different generations never combine to the key', async () => {
      const { a, b, c, mailKey } = await group();
      const g1 = await sharesFor(env, a.userId, b);
      const again = await env.store.login(a.username, PW(a.username)); // every login is a rewrite
      const g2 = await sharesFor(env, a.userId, b);
      assert.ok(!g1[0]!.equals(g2[0]!));
      for (const pair of [
        [g1[0]!, g2[0]!],
        [g1[0]!, (await sharesFor(env, a.userId, c))[0]!],
      ]) {
        const r = await tryCombine(pair);
        assert.ok(!r || !r.equals(mailKey));
      }
      // Control: two shares of one generation are the key (so the test above could fail).
      const cur = [(await sharesFor(env, a.userId, b))[0]!, (await sharesFor(env, a.userId, c))[0]!];
      assert.ok((await tryCombine(cur))!.equals(mailKey));
      assert.ok((await env.store.mailKey(again))!.equals(mailKey));
    });

    it('direct SQL: a held share replayed from an earlier reset is not counted, the restore fails', async () => {
      const { a, b, c, mailKey } = await group();
      await env.store.requestReset(b, a.username);
      const [old] = await env.sql.all<{ slot: number; box: Buffer }>('SELECT slot, box FROM trust_reset_share WHERE user_id = ?', a.userId);
      await env.store.vetoReset(a.userId);
      env.clock.advance(7200);
      const { code, mailCode } = await armAndCode(a, [c, b]);
      // Replace B's new held share by the one from the vetoed reset (same user, epoch, generation and slot).
      await env.sql.run(
        'UPDATE trust_reset_share SET box = ? WHERE user_id = ? AND slot = ?',
        Buffer.from(old!.box),
        a.userId,
        Number(old!.slot),
      );
      const done = await env.store.completeReset(a.username, code, PW('new-a'), { mailCode });
      assert.equal(done.mailKeyRestored, false);
      assert.ok(!(await env.store.mailKey(done))!.equals(mailKey));
    });

    it('direct SQL: held shares spliced in from another user are not counted', async () => {
      const x = await group();
      const y = await group();
      await armAndCode(x.a, [x.b, x.c]);
      const { code, mailCode } = await armAndCode(y.a, [y.b, y.c]);
      const xs = await env.sql.all<{ slot: number; box: Buffer }>('SELECT slot, box FROM trust_reset_share WHERE user_id = ?', x.a.userId);
      const taken = new Set(
        (await env.sql.all<{ slot: number }>('SELECT slot FROM trust_reset_share WHERE user_id = ?', y.a.userId)).map((r) =>
          Number(r.slot),
        ),
      );
      let spliced = 0;
      for (const s of xs) {
        if (taken.has(Number(s.slot))) continue;
        await env.sql.run(
          'INSERT INTO trust_reset_share (user_id, slot, box) VALUES (?, ?, ?)',
          y.a.userId,
          Number(s.slot),
          Buffer.from(s.box),
        );
        spliced++;
      }
      if (spliced === 0) {
        // X's two slots are Y's two: splice one over Y's own instead, which must then fail
        await env.sql.run(
          'UPDATE trust_reset_share SET box = ? WHERE user_id = ? AND slot = ?',
          Buffer.from(xs[0]!.box),
          y.a.userId,
          Number(xs[0]!.slot),
        );
      }
      const done = await env.store.completeReset(y.a.username, code, PW('new-y'), { mailCode });
      // X's rows are sealed to X's reset key and bound to X's id: ignored, never combined with Y's.
      assert.equal(done.mailKeyRestored, spliced > 0);
      assert.equal((await env.store.mailKey(done))!.equals(y.mailKey), spliced > 0);
    });

    it('a recovery code restores the mail key under a new password, once; trustees and pending resets are gone', async () => {
      const { a, b, mailKey } = await group();
      const code = await env.store.createRecoveryCode(a);
      assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
      await env.store.requestReset(b, a.username);
      const done = await env.store.redeemRecoveryCode(a.username, code.toLowerCase(), PW('recovered'));
      assert.equal(done.mailKeyRestored, true);
      assert.equal(done.epoch, a.epoch + 1);
      assert.ok((await env.store.mailKey(done))!.equals(mailKey));
      const relogin = await env.store.login(a.username, PW('recovered'));
      assert.ok((await env.store.mailKey(relogin))!.equals(mailKey));
      assert.equal(await env.store.pendingResetFor(a.userId), null);
      assert.equal(await count(env, 'trust_recovery', a.userId), 0);
      await assert.rejects(env.store.redeemRecoveryCode(a.username, code, PW('again')), { code: 'invalid-reset-code' });
    });

    it('a wrong recovery code, an unknown name, or a recovery row spliced from another user restores nothing', async () => {
      const x = await group();
      const y = await group();
      const xCode = await env.store.createRecoveryCode(x.a);
      await env.store.createRecoveryCode(y.a);
      await assert.rejects(env.store.redeemRecoveryCode(x.a.username, '0000-0000-0000-0000', PW('new')), { code: 'invalid-reset-code' });
      await assert.rejects(env.store.redeemRecoveryCode('mk-nobody', xCode, PW('new')), { code: 'invalid-reset-code' });
      // Direct SQL: X's recovery row copied over Y's; X's code then opens nothing for Y (the wrap is bound to X's id).
      const [row] = await env.sql.all<{ salt: Buffer; opslimit: number; memlimit: number; box: Buffer }>(
        'SELECT * FROM trust_recovery WHERE user_id = ?',
        x.a.userId,
      );
      await env.sql.run(
        'UPDATE trust_recovery SET salt = ?, opslimit = ?, memlimit = ?, box = ? WHERE user_id = ?',
        Buffer.from(row!.salt),
        Number(row!.opslimit),
        Number(row!.memlimit),
        Buffer.from(row!.box),
        y.a.userId,
      );
      await assert.rejects(env.store.redeemRecoveryCode(y.a.username, xCode, PW('new')), { code: 'invalid-reset-code' });
      assert.ok((await env.store.login(y.a.username, PW(y.a.username))).epoch === y.a.epoch); // Y untouched
    });

    it('privacy: every user keeps N slot rows of one size, with a mail key, shares or neither', async () => {
      const { a } = await group();
      const lone = await env.store.login((await env.store.createUser(`mk-lone${++n}`, PW('lone'))).username, PW('lone'));
      const sizes = new Set<string>();
      for (const id of [a.userId, lone.userId]) {
        const rows = await rawSlots(env, id);
        assert.equal(rows.length, 8);
        for (const r of rows) sizes.add(`${r.owner_box.length}/${r.token_box.length}/${r.tag.length}`);
      }
      assert.deepEqual([...sizes], ['57/139/32']);
    });
  });
}
