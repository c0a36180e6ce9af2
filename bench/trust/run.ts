// Trust store benchmark: reset check and login regeneration at N = 8 (Argon2id excluded), next to raw
// sodium-native seal/open rates measured in the same run; on SQLite and on PostgreSQL holding 100k users.
//   node --conditions=source --import tsx bench/trust/run.ts [--users 100000] [--seconds 1.5] [--no-postgres]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sodium from 'sodium-native';
import type { Kysely } from 'kysely';
import {
  migrateTrust,
  openTrustDb,
  PWHASH_INTERACTIVE,
  PWHASH_MIN,
  splitMailKey,
  TrustStore,
  type TrustTables,
  type UnlockedUser,
} from '@peergroup/trust';
import {
  aeadOpen,
  aeadSeal,
  boxKeypair,
  deriveMailWrapKey,
  deriveOwnerKey,
  dummySlotRow,
  keyedHash,
  pwhash,
  randomBytes,
  seal,
} from '@peergroup/trust/crypto';
import {
  encodeShareToken,
  encodeToken,
  mailKeyAd,
  ownerAd,
  ownerPlaintext,
  pkTagInput,
  skAd,
  TOKEN_PLAINTEXT_BYTES,
  tokenTagInput,
} from '@peergroup/trust/format';
import { createDatabase, startPostgres } from '@peergroup/test-support/postgres';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const USERS = Number(arg('users', '100000'));
const SECONDS = Number(arg('seconds', '1.5'));
const WITH_PG = !args.includes('--no-postgres');
const N = 8;

interface Row {
  op: string;
  backend: string;
  opsPerSec: number;
  usPerOp: number;
  note: string;
}
const rows: Row[] = [];

async function measure(op: string, backend: string, note: string, fn: () => unknown, seconds = SECONDS): Promise<Row> {
  // Warm-up, then as many iterations as fit in the time budget.
  for (let i = 0; i < 3; i++) await fn();
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await fn();
    n++;
  }
  const ms = performance.now() - t0;
  const row = { op, backend, opsPerSec: (n / ms) * 1000, usPerOp: (ms / n) * 1000, note };
  rows.push(row);
  process.stderr.write(`  ${op} [${backend}]: ${row.opsPerSec.toFixed(0)} ops/s\n`);
  return row;
}

function measureSync(op: string, note: string, fn: () => unknown): Promise<Row> {
  return measure(op, 'cpu', note, fn);
}

// ------------------------------------------------------------------------------------------------ raw primitives
async function raw(): Promise<void> {
  const kp = boxKeypair();
  const other = boxKeypair();
  const msg = randomBytes(TOKEN_PLAINTEXT_BYTES);
  const box = seal(msg, kp.publicKey);
  const out = Buffer.alloc(TOKEN_PLAINTEXT_BYTES);
  const key = randomBytes(32);
  await measureSync('raw crypto_box_seal (58 B)', 'sodium-native', () =>
    sodium.crypto_box_seal(Buffer.alloc(box.length), msg, kp.publicKey),
  );
  await measureSync('raw crypto_box_seal_open, right key', 'sodium-native', () =>
    sodium.crypto_box_seal_open(out, box, kp.publicKey, kp.secretKey),
  );
  await measureSync('raw crypto_box_seal_open, wrong key', 'sodium-native', () =>
    sodium.crypto_box_seal_open(out, box, other.publicKey, other.secretKey),
  );
  await measureSync('raw keyed BLAKE2b-256 (84 B)', 'sodium-native', () =>
    keyedHash(key, tokenTagInput({ ownerId: '00'.repeat(16), ownerEpoch: 1, slotGen: 1, slot: 0 }, msg.subarray(0, 32))),
  );
  await measureSync('dummy slot row (keypair+seal+random)', 'trust', () => dummySlotRow());
}

// ------------------------------------------------------------------------------------------------ store ops
interface Fixture {
  store: TrustStore;
  a: UnlockedUser;
  trustees: UnlockedUser[];
}

async function fixture(db: Kysely<TrustTables>, prefix: string): Promise<Fixture> {
  const store = new TrustStore({
    db,
    serverSecret: randomBytes(32),
    pwhash: PWHASH_MIN,
    slots: N,
    minWaitSeconds: 60,
    defaultWaitSeconds: 60,
  });
  const a = await store.createUser(`${prefix}-a`, 'bench-password');
  const trustees: UnlockedUser[] = [];
  for (let i = 0; i < N; i++) {
    const t = await store.createUser(`${prefix}-t${i}`, 'bench-password');
    trustees.push(t);
    await store.addTrustee(a, t.username);
  }
  return { store, a, trustees };
}

const shareRatio: string[] = [];

async function storeOps(db: Kysely<TrustTables>, backend: string, prefix: string): Promise<void> {
  const { store, a, trustees } = await fixture(db, prefix);
  const b = trustees[3]!;
  const target = await db.selectFrom('trust_user').selectAll().where('id', '=', a.userId).executeTakeFirstOrThrow();
  const slots = await db.selectFrom('trust_slot').select(['slot', 'token_box', 'tag']).where('user_id', '=', a.userId).execute();
  if (backend === 'sqlite') {
    await measure('reset check, N=8 slots (crypto only)', 'cpu', '8 seal_open + 1 tag', () => {
      if (store.confirmedSlots(b, target, slots).length !== 1) throw new Error('reset check broken');
    });
    // The crypto of one login rewrite, as store.ts does it, without the database.
    const ownerRows = await db.selectFrom('trust_slot').select(['slot', 'owner_box']).where('user_id', '=', a.userId).execute();
    const trusteeRows = await db
      .selectFrom('trust_user')
      .select(['id', 'epoch', 'public_key', 'pk_tag'])
      .where(
        'id',
        'in',
        trustees.map((t) => t.userId),
      )
      .execute();
    const tagKey = randomBytes(32);
    const mailKey = randomBytes(32);
    const mailBox = aeadSeal(deriveMailWrapKey(a.secretKey), mailKey, mailKeyAd(a.userId, Number(target.epoch)));
    // shares = false is the format 2 rewrite (the baseline); true adds what format 3 does: open the mail key, split
    // it 2-of-8 with a fresh polynomial, and seal the 91-byte tokens.
    const regenCrypto =
      (real: boolean, shares = false) =>
      async () => {
        const kOwn = deriveOwnerKey(a.secretKey);
        let shareList: Buffer[] = [];
        if (shares) {
          const m = aeadOpen(deriveMailWrapKey(a.secretKey), mailBox, mailKeyAd(a.userId, Number(target.epoch)))!;
          shareList = real ? await splitMailKey(m, N, 2) : [];
        }
        for (const r of ownerRows)
          aeadOpen(kOwn, r.owner_box, ownerAd(a.userId, Number(target.epoch), Number(target.slot_gen), Number(r.slot)));
        for (let slot = 0; slot < N; slot++) {
          if (!real) {
            dummySlotRow();
            continue;
          }
          const t = trusteeRows[slot]!;
          keyedHash(tagKey, pkTagInput(t.id, Number(t.epoch), t.public_key)); // public-key check
          const ctx = { ownerId: a.userId, ownerEpoch: Number(target.epoch), slotGen: Number(target.slot_gen) + 1, slot };
          const rr = randomBytes(32);
          aeadSeal(kOwn, ownerPlaintext(t.id), ownerAd(a.userId, ctx.ownerEpoch, ctx.slotGen, slot));
          if (shares) {
            seal(encodeShareToken(ctx, rr, shareList[slot]!), t.public_key);
            keyedHash(tagKey, tokenTagInput(ctx, rr, shareList[slot]!));
          } else {
            seal(encodeToken(ctx, rr), t.public_key);
            keyedHash(tagKey, tokenTagInput(ctx, rr));
          }
        }
      };
    const base = await measure(
      'login regeneration, N=8 real (crypto only)',
      'cpu',
      '8 owner opens+seals, 8 pk checks, 8 seals, 8 tags',
      regenCrypto(true),
    );
    const withShares = await measure(
      '  … with mail-key shares (format 3)',
      'cpu',
      '+ mail key open, 2-of-8 split, 91 B tokens',
      regenCrypto(true, true),
    );
    // The machine is shared: alternate short runs of both and take the median of the per-pair ratios, so load
    // that comes and goes hits both sides alike.
    const timeOf = async (fn: () => Promise<void>, iters = 40) => {
      const t0 = performance.now();
      for (let i = 0; i < iters; i++) await fn();
      return performance.now() - t0;
    };
    const ratios: number[] = [];
    for (let i = 0; i < 15; i++) ratios.push((await timeOf(regenCrypto(true, true))) / (await timeOf(regenCrypto(true))));
    ratios.sort((x, y) => x - y);
    shareRatio.push(
      `Slot rewrite crypto with mail-key shares / without: ${(withShares.usPerOp / base.usPerOp).toFixed(2)}× from the rows above, ` +
        `${ratios[7]!.toFixed(2)}× median of 15 interleaved pairs (min ${ratios[0]!.toFixed(2)}, max ${ratios[14]!.toFixed(2)}); goal ≤ 1.2×.`,
    );
    await measure('login regeneration, N=8 all dummy (crypto only)', 'cpu', '8 owner opens, 8 dummy rows', regenCrypto(false));
  }
  await measure('requestReset, N=8 (incl. DB txn)', backend, 'lock, read 8 rows, check, record', async () => {
    if (!(await store.requestReset(b, a.username)).recorded) throw new Error('not recorded');
  });
  await measure('login regeneration, N=8 real (no Argon2id)', backend, '8 owner opens, 8 seals, 8 tags, rewrite', () =>
    store.regenerate(a),
  );
  const lonely = await store.createUser(`${prefix}-lonely`, 'bench-password');
  await measure('login regeneration, N=8 all dummy (no Argon2id)', backend, '8 dummy rows, rewrite', () => store.regenerate(lonely));
}

// ------------------------------------------------------------------------------------------------ bulk population
/**
 * Fills the database with `count` users of 8 slots each, fast: the same rows the store would write, but dummy
 * slot contents come from a pool of pre-made dummies and all users share one (cheap) password wrap key.
 */
async function populate(db: Kysely<TrustTables>, count: number): Promise<number> {
  const t0 = performance.now();
  const serverSecret = randomBytes(32);
  const pkKey = keyedHash(serverSecret, Buffer.from('bench-pk'));
  const salt = randomBytes(16);
  const wrapKey = await pwhash('bench-password', salt, PWHASH_MIN);
  const pool = Array.from({ length: 4096 }, () => dummySlotRow());
  const batch = 1000;
  for (let start = 0; start < count; start += batch) {
    const users = [];
    const slotRows = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const id = randomBytes(16).toString('hex');
      const kp = boxKeypair();
      users.push({
        id,
        username: `bulk${i}`,
        is_admin: 0,
        disabled: 0,
        epoch: 1,
        slot_gen: 1,
        public_key: kp.publicKey,
        pk_tag: keyedHash(pkKey, pkTagInput(id, 1, kp.publicKey)),
        wrapped_sk: aeadSeal(wrapKey, kp.secretKey, skAd(id, 1)),
        pw_salt: salt,
        pw_opslimit: PWHASH_MIN.opslimit,
        pw_memlimit: PWHASH_MIN.memlimit,
        pw_alg: 2,
        threshold: 1,
        wait_seconds: 86400,
      });
      for (let s = 0; s < N; s++) {
        const d = pool[(i * N + s) % pool.length]!;
        slotRows.push({ user_id: id, slot: s, owner_box: d.ownerBox, token_box: d.tokenBox, tag: d.tag });
      }
    }
    await db.insertInto('trust_user').values(users).execute();
    await db.insertInto('trust_slot').values(slotRows).execute();
    if ((start / batch) % 20 === 0) process.stderr.write(`  populated ${start + users.length}/${count}\n`);
  }
  return (performance.now() - t0) / 1000;
}

function printTable(extra: string[]): void {
  const seal = rows.find((r) => r.op.startsWith('raw crypto_box_seal ('))!;
  const header = ['operation', 'backend', 'ops/s', 'µs/op', '× seal time', 'work'];
  const body = rows.map((r) => [
    r.op,
    r.backend,
    r.opsPerSec.toFixed(0),
    r.usPerOp.toFixed(1),
    (r.usPerOp / seal.usPerOp).toFixed(1),
    r.note,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w, i) => (i >= 2 && i <= 4 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|');
  for (const b of body) console.log(line(b));
  for (const e of extra) console.log(e);
}

async function main(): Promise<void> {
  const extra: string[] = [];
  process.stderr.write('raw primitives\n');
  await raw();
  await measure(
    'Argon2id INTERACTIVE (64 MiB), for scale',
    'cpu',
    'the part excluded above',
    () => pwhash('bench-password', randomBytes(16), PWHASH_INTERACTIVE),
    3,
  );

  process.stderr.write('sqlite\n');
  const dir = mkdtempSync(join(tmpdir(), 'peergroup-trust-bench-'));
  try {
    const s = openTrustDb({ sqlitePath: join(dir, 'trust.db') });
    await migrateTrust(s.db);
    await storeOps(s.db, 'sqlite', 'sq');
    await s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (WITH_PG) {
    process.stderr.write(`postgres with ${USERS} users\n`);
    const pg = await startPostgres();
    try {
      const url = await createDatabase(pg.url, 'trust_bench');
      const p = openTrustDb({ postgresUrl: url });
      await migrateTrust(p.db);
      const secs = await populate(p.db, USERS);
      const count = await p.db
        .selectFrom('trust_slot')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      extra.push(
        `PostgreSQL 15: populated ${USERS} users / ${Number(count.n)} slot rows in ${secs.toFixed(1)} s before the postgres-${USERS / 1000}k rows.`,
      );
      await storeOps(p.db, `postgres-${USERS / 1000}k`, 'pg');
      await p.close();
    } finally {
      await pg.stop();
    }
  }
  extra.push(...shareRatio);
  extra.push(`Node ${process.version}, sodium-native, ${N} slots per user, ${SECONDS}s per row, single client (no parallelism).`);
  printTable(extra);
}

await main();
