// Privacy properties of what is stored: padding, sizes, no ids inside columns, every row rewritten.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OWNER_BOX_BYTES, TAG_BYTES, TOKEN_BOX_BYTES } from '../src/format.ts';
import type { UnlockedUser } from '../src/index.ts';
import { makeEnv, PW, type DbFactory, type Env } from './harness.ts';

function idNeedles(id: string): Buffer[] {
  return [Buffer.from(id, 'hex'), Buffer.from(id, 'ascii'), Buffer.from(id.toUpperCase(), 'ascii')];
}

function asBytes(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  return Buffer.from(String(v ?? ''), 'utf8');
}

export function definePrivacySuite(getFactory: () => DbFactory): void {
  describe('privacy of the stored trust graph', () => {
    let env: Env;
    const users: UnlockedUser[] = [];
    before(async () => {
      env = await makeEnv(getFactory());
      // Mixed workload: creation by admin and by invite, adds, removes, logins, a password change, a full reset.
      const root = await env.store.createUser('root', PW('root'), { admin: true });
      users.push(root);
      for (let i = 0; i < 6; i++) {
        const inv = await env.store.createInvite(users[i % users.length]!.userId);
        users.push(await env.store.redeemInvite(inv.code, `u${i}`, PW(`u${i}`)));
      }
      for (let i = 0; i < users.length; i++) {
        for (let j = 1; j <= 3; j++) {
          const t = users[(i + j) % users.length]!;
          await env.store.addTrustee(users[i]!, t.username).catch(() => {});
        }
      }
      await env.store.removeTrustee(users[1]!, users[2]!.userId);
      await env.store.changePassword(users[3]!, PW('u2'), 'changed-password-u2');
      await env.store.login('u4', PW('u4'));
      const target = users[5]!;
      const helpers = await env.store.listTrustees(target);
      const helper = users.find((u) => u.userId === helpers[0]!.userId)!;
      await env.store.requestReset(helper, target.username);
      env.clock.advance(3600);
      const { code } = await env.store.obtainResetCode(helper, target.username);
      users[5] = await env.store.completeReset(target.username, code, 'after-reset-pw');
      // The helper who handed over the code is trusted again (format 5); root is added unless that was root.
      if (!(await env.store.listTrustees(users[5]!)).some((t) => t.username === 'root')) await env.store.addTrustee(users[5]!, 'root');
      await env.store.requestReset(users[0]!, users[6]!.username).catch(() => {});
    });
    after(async () => {
      await env.close();
    });

    it('every user has exactly N slot rows, all of identical sizes', async () => {
      const rows = await env.db.selectFrom('trust_slot').selectAll().execute();
      const per = new Map<string, number[]>();
      for (const r of rows) {
        per.set(r.user_id, [...(per.get(r.user_id) ?? []), Number(r.slot)]);
        assert.equal(r.owner_box.length, OWNER_BOX_BYTES);
        assert.equal(r.token_box.length, TOKEN_BOX_BYTES);
        assert.equal(r.tag.length, TAG_BYTES);
      }
      assert.equal(per.size, users.length);
      for (const slots of per.values())
        assert.deepEqual(
          slots.sort((a, b) => a - b),
          [0, 1, 2, 3, 4, 5, 6, 7],
        );
    });

    it("no user id appears inside any column except the trusting user's own id column", async () => {
      const allIds = users.map((u) => u.userId);
      const slots = await env.db.selectFrom('trust_slot').selectAll().execute();
      for (const r of slots) {
        for (const col of ['owner_box', 'token_box', 'tag', 'slot'] as const) {
          const bytes = asBytes(r[col]);
          for (const id of allIds) for (const n of idNeedles(id)) assert.equal(bytes.indexOf(n), -1, `${col} contains a user id`);
        }
      }
      // User rows carry only their own id; reset tables only the target's own id.
      const urows = await env.db.selectFrom('trust_user').selectAll().execute();
      for (const u of urows) {
        for (const [col, v] of Object.entries(u)) {
          if (col === 'id') continue;
          for (const id of allIds) for (const n of idNeedles(id)) assert.equal(asBytes(v).indexOf(n), -1, `trust_user.${col}`);
        }
      }
      for (const t of ['trust_reset', 'trust_reset_confirmation', 'trust_reset_code'] as const) {
        const rows = (await env.db.selectFrom(t).selectAll().execute()) as Record<string, unknown>[];
        for (const r of rows) {
          for (const [col, v] of Object.entries(r)) {
            if (col === 'user_id') continue;
            for (const id of allIds) for (const n of idNeedles(id)) assert.equal(asBytes(v).indexOf(n), -1, `${t}.${col}`);
          }
        }
      }
      // Redeemed invites are gone: nothing links inviter and invitee.
      assert.equal((await env.db.selectFrom('trust_invite').selectAll().execute()).length, 0);
    });

    async function snapshot(userId: string) {
      return env.db.selectFrom('trust_slot').selectAll().where('user_id', '=', userId).orderBy('slot').execute();
    }

    function assertAllChanged(before: Awaited<ReturnType<typeof snapshot>>, after: Awaited<ReturnType<typeof snapshot>>) {
      assert.equal(after.length, before.length);
      for (let i = 0; i < before.length; i++) {
        for (const col of ['owner_box', 'token_box', 'tag'] as const) {
          assert.ok(!before[i]![col].equals(after[i]![col]), `slot ${i} ${col} unchanged`);
        }
      }
    }

    it('a login changes all N rows (real and dummy alike)', async () => {
      const u = users[2]!;
      const before = await snapshot(u.userId);
      await env.store.login(u.username, PW(u.username));
      assertAllChanged(before, await snapshot(u.userId));
    });

    it('removing and adding a trustee also change all N rows', async () => {
      const u = users[4]!;
      const t = users[5]!;
      const b0 = await snapshot(u.userId);
      assert.equal(await env.store.removeTrustee(u, t.userId), true);
      const b1 = await snapshot(u.userId);
      assertAllChanged(b0, b1);
      await env.store.addTrustee(u, t.username);
      assertAllChanged(b1, await snapshot(u.userId));
    });

    it('each user decrypts exactly their own relations', async () => {
      const a = await env.store.listTrustees(users[1]!);
      assert.ok(!a.some((t) => t.userId === users[2]!.userId));
      assert.ok(a.length >= 1);
      assert.deepEqual(await env.store.listTrustees(users[5]!), [{ userId: users[0]!.userId, username: 'root' }]);
    });
  });
}
