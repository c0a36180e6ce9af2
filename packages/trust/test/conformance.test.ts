// docs/trust-format.md is normative: this test re-derives every stored value of a real store from the document
// alone, with raw sodium-native calls and none of the package's own crypto/format helpers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sodium from 'sodium-native';
import { PW, makeEnv, sqliteFactory, type DbFactory, type Env } from './harness.ts';
import { wrapUnlockedUser } from '../src/index.ts';

const L = (label: string) => Buffer.concat([Buffer.from(label, 'ascii'), Buffer.from([0])]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const u8 = (n: number) => Buffer.from([n]);
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
const opt64 = (n: unknown) => (n === null ? Buffer.alloc(9) : Buffer.concat([u8(1), u64(Number(n))]));
const id16 = (id: string) => Buffer.from(id, 'hex');
function H(key: Buffer, msg: Buffer, len = 32): Buffer {
  const out = Buffer.alloc(len);
  sodium.crypto_generichash(out, msg, key);
  return out;
}
function aeadOpen(key: Buffer, blob: Buffer, ad: Buffer): Buffer | null {
  const out = Buffer.alloc(blob.length - 40);
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(out, null, blob.subarray(24), ad, blob.subarray(0, 24), key);
    return out;
  } catch {
    return null;
  }
}

describe('format conformance (docs/trust-format.md)', () => {
  let factory: DbFactory;
  let env: Env;
  before(async () => {
    factory = sqliteFactory();
    env = await makeEnv(factory);
  });
  after(async () => {
    await env.close();
    await factory.shutdown();
  });

  it('every stored value of a real store matches the document', async () => {
    const a = await env.store.createUser('spec-a', PW('spec-a'));
    const b = await env.store.createUser('spec-b', PW('spec-b'));
    await env.store.addTrustee(a, 'spec-b');
    const S = env.serverSecret;
    const K = (p: string) => H(S, Buffer.concat([L('peergroup-trust-subkey-v1'), Buffer.from(p, 'ascii')]));

    const ua = await env.db.selectFrom('trust_user').selectAll().where('id', '=', a.userId).executeTakeFirstOrThrow();
    const E = Number(ua.epoch);
    const G = Number(ua.slot_gen);
    // §3.1 user tag, recomputed from the columns and the reset tables exactly as the document lists them.
    const userTag = async (id: string) => {
      const u = await env.db.selectFrom('trust_user').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const reset = await env.db.selectFrom('trust_reset').selectAll().where('user_id', '=', id).executeTakeFirst();
      const conf = (await env.db.selectFrom('trust_reset_confirmation').select('slot').where('user_id', '=', id).execute())
        .map((c) => Number(c.slot))
        .sort((x, y) => x - y);
      const code = await env.db.selectFrom('trust_reset_code').selectAll().where('user_id', '=', id).executeTakeFirst();
      const stateByte = { collecting: 1, armed: 2, vetoed: 3 } as const;
      const msg = Buffer.concat([
        L('peergroup-trust-user-v2'),
        id16(u.id),
        u32(Number(u.epoch)),
        u32(Number(u.slot_gen)),
        u.public_key,
        u8(Number(u.pw_alg)),
        u32(Number(u.pw_opslimit)),
        u64(Number(u.pw_memlimit)),
        u.pw_salt,
        u.wrapped_sk,
        u8(Number(u.threshold)),
        u32(Number(u.wait_seconds)),
        reset
          ? Buffer.concat([
              u8(stateByte[reset.state]),
              u64(Number(reset.created_at)),
              opt64(reset.armed_at),
              opt64(reset.effective_at),
              opt64(reset.vetoed_at),
            ])
          : u8(0),
        u8(conf.length),
        Buffer.from(conf),
        code ? Buffer.concat([u8(1), code.code_hash, u64(Number(code.expires_at))]) : u8(0),
      ]);
      assert.ok(u.user_tag && H(K('user-tag'), msg).equals(u.user_tag), 'user_tag');
    };
    await userTag(a.userId);
    await userTag(b.userId);
    const marker = await env.db.selectFrom('trust_meta').selectAll().where('name', '=', 'format').executeTakeFirstOrThrow();
    assert.ok(H(K('user-tag'), L('peergroup-trust-format-v2')).equals(marker.value));

    // §3 pk_tag and wrapped_sk.
    assert.ok(H(K('pk-tag'), Buffer.concat([L('peergroup-trust-pk-v1'), id16(ua.id), u32(E), ua.public_key])).equals(ua.pk_tag));
    const kpw = Buffer.alloc(32);
    sodium.crypto_pwhash(
      kpw,
      Buffer.from(PW('spec-a'), 'utf8'),
      ua.pw_salt,
      Number(ua.pw_opslimit),
      Number(ua.pw_memlimit),
      sodium.crypto_pwhash_ALG_ARGON2ID13,
    );
    assert.equal(ua.wrapped_sk.length, 72);
    const sk = aeadOpen(kpw, ua.wrapped_sk, Buffer.concat([L('peergroup-trust-sk-v1'), id16(ua.id), u32(E)]));
    assert.ok(sk && sk.equals(a.secretKey));
    const pk = Buffer.alloc(32);
    sodium.crypto_scalarmult_base(pk, sk);
    assert.ok(pk.equals(ua.public_key));

    // §4.1 mail key (format 3): wrapped under a key only the holder of sk derives, with its check value.
    const mk = await env.db.selectFrom('trust_mail_key').selectAll().where('user_id', '=', a.userId).executeTakeFirstOrThrow();
    assert.equal(mk.mail_box.length, 72);
    const M = aeadOpen(
      H(sk, L('peergroup-trust-mail-wrap-key-v3')),
      mk.mail_box,
      Buffer.concat([L('peergroup-trust-mail-key-v3'), id16(ua.id), u32(E)]),
    );
    assert.ok(M && M.length === 32);
    assert.ok(H(M, Buffer.concat([L('peergroup-trust-mail-check-v3'), id16(ua.id)])).equals(mk.mail_check));
    const mailKey = await env.store.mailKey(a);
    assert.ok(mailKey && mailKey.equals(M));

    // §4.3 recovery code: AEAD(H(K_recovery, L ‖ id ‖ Argon2id(code, salt)), M, L ‖ id).
    const rc = await env.store.createRecoveryCode(a);
    const rrow = await env.db.selectFrom('trust_recovery').selectAll().where('user_id', '=', a.userId).executeTakeFirstOrThrow();
    const rstretched = Buffer.alloc(32);
    sodium.crypto_pwhash(
      rstretched,
      Buffer.from(rc.replace(/-/g, ''), 'utf8'),
      rrow.salt,
      Number(rrow.opslimit),
      Number(rrow.memlimit),
      sodium.crypto_pwhash_ALG_ARGON2ID13,
    );
    const kRc = H(K('recovery'), Buffer.concat([L('peergroup-trust-recovery-key-v3'), id16(ua.id), rstretched]));
    assert.equal(rrow.box.length, 72);
    assert.ok(aeadOpen(kRc, rrow.box, Buffer.concat([L('peergroup-trust-recovery-v3'), id16(ua.id)]))?.equals(M));

    // §4 slots: exactly one real slot, owner box names B, token opens for B with the documented plaintext and tag;
    // with k = 1 and one trustee, its share is the whole mail key followed by x = 0.
    const kOwn = H(sk, L('peergroup-trust-owner-key-v1'));
    const slots = await env.db.selectFrom('trust_slot').selectAll().where('user_id', '=', a.userId).orderBy('slot').execute();
    assert.equal(slots.length, 8);
    let real = 0;
    let realSlot = -1;
    for (const s of slots) {
      assert.equal(s.owner_box.length, 57);
      assert.equal(s.token_box.length, 139);
      assert.equal(s.tag.length, 32);
      const slot = Number(s.slot);
      const owner = aeadOpen(kOwn, s.owner_box, Buffer.concat([L('peergroup-trust-owner-v1'), id16(ua.id), u32(E), u32(G), u8(slot)]));
      const P = Buffer.alloc(91);
      const opened = sodium.crypto_box_seal_open(P, s.token_box, b.publicKey, b.secretKey);
      if (!owner) {
        assert.equal(opened, false);
        continue;
      }
      real++;
      assert.ok(owner.equals(Buffer.concat([u8(1), id16(b.userId)])));
      assert.ok(opened);
      assert.ok(P.subarray(0, 26).equals(Buffer.concat([u8(2), id16(ua.id), u32(E), u32(G), u8(slot)])));
      assert.ok(P.subarray(58, 91).equals(Buffer.concat([M, u8(0)])));
      assert.ok(H(K('token-tag'), Buffer.concat([L('peergroup-trust-token-v3'), P])).equals(s.tag));
      realSlot = slot;
    }
    assert.equal(real, 1);

    // §5 reset code hash.
    const { mailCode } = await env.store.requestReset(b, 'spec-a');
    await userTag(a.userId); // armed (k = 1) by one confirmation
    // §5.1 reset key and held share: seed = H(K_reset-key, L ‖ id ‖ E ‖ created_at ‖ Argon2id(mail code)).
    assert.match(mailCode ?? '', /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    const rk = await env.db.selectFrom('trust_reset_key').selectAll().where('user_id', '=', a.userId).executeTakeFirstOrThrow();
    const rs = await env.db.selectFrom('trust_reset').selectAll().where('user_id', '=', a.userId).executeTakeFirstOrThrow();
    const stretched = Buffer.alloc(32);
    sodium.crypto_pwhash(
      stretched,
      Buffer.from(mailCode!.replace(/-/g, ''), 'utf8'),
      rk.salt,
      Number(rk.opslimit),
      Number(rk.memlimit),
      sodium.crypto_pwhash_ALG_ARGON2ID13,
    );
    const seed = H(
      K('reset-key'),
      Buffer.concat([L('peergroup-trust-reset-key-v3'), id16(ua.id), u32(E), u64(Number(rs.created_at)), stretched]),
    );
    const rpk = Buffer.alloc(32);
    const rsk = Buffer.alloc(32);
    sodium.crypto_box_seed_keypair(rpk, rsk, seed);
    assert.ok(rpk.equals(rk.public_key));
    const held = await env.db.selectFrom('trust_reset_share').selectAll().where('user_id', '=', a.userId).execute();
    assert.equal(held.length, 1);
    assert.equal(Number(held[0]!.slot), realSlot);
    assert.equal(held[0]!.box.length, 107);
    const Q = Buffer.alloc(59);
    assert.ok(sodium.crypto_box_seal_open(Q, held[0]!.box, rpk, rsk));
    assert.ok(Q.equals(Buffer.concat([u8(3), id16(ua.id), u32(E), u32(G), u8(realSlot), M, u8(0)])));
    env.clock.advance(3600);
    const { code } = await env.store.obtainResetCode(b, 'spec-a');
    await userTag(a.userId); // armed, with a code
    assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    const row = await env.db.selectFrom('trust_reset_code').selectAll().where('user_id', '=', a.userId).executeTakeFirstOrThrow();
    const canon = code.replace(/-/g, '');
    assert.ok(
      H(K('reset-code'), Buffer.concat([L('peergroup-trust-reset-code-v1'), id16(ua.id), u32(E), Buffer.from(canon, 'ascii')])).equals(
        row.code_hash,
      ),
    );
    // §5 step 4 (format 5): the trustee box names B under a key only the code gives.
    assert.equal(row.trustee_box!.length, 56);
    const tbKey = H(
      K('reset-code'),
      Buffer.concat([L('peergroup-trust-reset-trustee-key-v5'), id16(ua.id), u32(E), Buffer.from(canon, 'ascii')]),
    );
    const named = aeadOpen(tbKey, row.trustee_box!, Buffer.concat([L('peergroup-trust-reset-trustee-v5'), id16(ua.id), u32(E)]));
    assert.ok(named?.equals(id16(b.userId)), 'the box opens to B.id16');
    const wrongCode = H(
      K('reset-code'),
      Buffer.concat([L('peergroup-trust-reset-trustee-key-v5'), id16(ua.id), u32(E), Buffer.from('0'.repeat(16), 'ascii')]),
    );
    assert.equal(aeadOpen(wrongCode, row.trustee_box!, Buffer.concat([L('peergroup-trust-reset-trustee-v5'), id16(ua.id), u32(E)])), null);

    await env.store.vetoReset(a.userId);
    await userTag(a.userId); // vetoed: no confirmations, no code, NULL armed/effective times

    // §6 invite code hash (format 4: Crockford, hashed in canonical form under the -v4 label).
    const inv = await env.store.createInvite(a.userId);
    assert.match(inv.code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    const irow = await env.db.selectFrom('trust_invite').selectAll().where('id', '=', inv.id).executeTakeFirstOrThrow();
    const canonInvite = inv.code.replaceAll('-', '');
    assert.ok(
      H(K('invite-code'), Buffer.concat([L('peergroup-trust-invite-v4'), Buffer.from(canonInvite, 'ascii')])).equals(irow.code_hash),
    );
    // A code typed by hand (lower case, I/L for 1, O for 0, other grouping) is the same code.
    const typed = canonInvite
      .toLowerCase()
      .replaceAll('1', 'l')
      .replaceAll('0', 'o')
      .replace(/(.{5})/g, '$1 ');
    assert.equal(await env.store.checkInvite(typed), true);
    // A format 1–3 code ("pgi_" ‖ base64url, hashed as it is under the -v1 label) written as the document says still
    // redeems.
    const legacy = `pgi_${Buffer.alloc(24, 5).toString('base64url')}`;
    await env.db
      .insertInto('trust_invite')
      .values({
        id: 'feedfacefeedface',
        inviter_id: a.userId,
        code_hash: H(K('invite-code'), Buffer.concat([L('peergroup-trust-invite-v1'), Buffer.from(legacy, 'ascii')])),
        created_at: env.clock.ms,
        expires_at: env.clock.ms + 3_600_000,
        revoked_at: null,
      })
      .execute();
    assert.equal(await env.store.checkInvite(legacy), true);
    assert.equal(await env.store.checkInvite(legacy.toUpperCase()), false, 'a legacy code is base64url: case matters');
    const viaLegacy = await env.store.redeemInvite(legacy, 'spec-legacy', PW('spec-legacy'));
    assert.deepEqual(await env.store.listTrustees(viaLegacy), [{ userId: a.userId, username: 'spec-a' }]);

    // §6 (format 6): the note box and the inviter's used-invite log, opened with crypto_box_seal_open and sk_A.
    const sealOpenA = (box: Buffer) => {
      const out = Buffer.alloc(box.length - 48);
      return sodium.crypto_box_seal_open(out, box, Buffer.from(a.publicKey), Buffer.from(a.secretKey)) ? out : null;
    };
    const noted = await env.store.createInvite(a.userId, '  for Sam  ');
    const nrow = await env.db.selectFrom('trust_invite').selectAll().where('id', '=', noted.id).executeTakeFirstOrThrow();
    assert.equal(nrow.note_box!.length, 170);
    const notePt = sealOpenA(nrow.note_box!)!;
    assert.equal(notePt.length, 122);
    assert.deepEqual([notePt[0], notePt[1]], [6, 7]);
    assert.equal(notePt.subarray(2, 9).toString('utf8'), 'for Sam');
    assert.ok(
      notePt.subarray(9).every((x) => x === 0),
      'zero padding',
    );
    assert.equal(
      (await env.db.selectFrom('trust_invite').selectAll().where('id', '=', inv.id).executeTakeFirstOrThrow()).note_box!.length,
      170,
    );
    await env.store.redeemInvite(noted.code, 'spec-noted', PW('spec-noted'));
    const log = (await env.db.selectFrom('trust_user').select('invites_used').where('id', '=', a.userId).executeTakeFirstOrThrow())
      .invites_used!;
    assert.equal(log.length, 2 * 235, 'one 235-byte entry per used invite: the legacy one, then the noted one');
    const legacyEntry = sealOpenA(log.subarray(0, 235))!;
    assert.equal(legacyEntry.length, 187);
    assert.equal(legacyEntry[0], 6);
    assert.ok(
      legacyEntry.subarray(17).every((x) => x === 0),
      'an invite without a note box: 170 zero bytes',
    );
    const notedEntry = sealOpenA(log.subarray(235))!;
    assert.equal(Number(notedEntry.readBigUInt64BE(1)), Number(nrow.created_at));
    assert.equal(Number(notedEntry.readBigUInt64BE(9)), env.clock.ms);
    assert.ok(notedEntry.subarray(17).equals(nrow.note_box!), 'the invite’s own note box');
    const used = await env.store.usedInvites(a);
    assert.equal(used.unreadable, 0);
    assert.deepEqual(
      used.invites.map((u) => u.note),
      ['for Sam', undefined],
      'newest first',
    );

    // §7 session blob.
    const key = Buffer.alloc(32, 9);
    const blob = wrapUnlockedUser(a, key, 'sid-1');
    assert.equal(blob[0], 1);
    const skBack = aeadOpen(
      key,
      blob.subarray(1),
      Buffer.concat([L('peergroup-trust-session-v1'), id16(a.userId), u32(a.epoch), Buffer.from('sid-1', 'utf8')]),
    );
    assert.ok(skBack && skBack.equals(a.secretKey));
  });
});
