// Timing side channels of the trust store (issue #13.6): for each pair of cases an observer should not be able to
// tell apart, interleaved samples of both, their medians and the AUC of the two timing distributions
// (P(a random A sample is slower than a random B sample); 0.5 = indistinguishable, goal 0.5 ± 0.05).
//   node --conditions=source --import tsx bench/trust-timing/run.ts [--samples 2000] [--login-samples 300] [--postgres]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { migrateTrust, openTrustDb, PWHASH_MIN, TrustStore, type TrustTables } from '@peergroup/trust';
import { createDatabase, startPostgres } from '@peergroup/test-support/postgres';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const SAMPLES = Number(arg('samples', '2000'));
const LOGIN_SAMPLES = Number(arg('login-samples', '300'));
const RAISED = { opslimit: 3, memlimit: 1 << 20 }; // the operator raised the Argon2id cost from PWHASH_MIN

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Mann–Whitney AUC: P(a > b) + ½·P(a = b) over all pairs, by ranks. */
function auc(a: number[], b: number[]): number {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let ra = 0;
  all.forEach((x, i) => {
    if (x.g === 0) ra += ranks[i]!;
  });
  return (ra - (a.length * (a.length + 1)) / 2) / (a.length * b.length);
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn().catch(() => {});
  return Number(process.hrtime.bigint() - t0) / 1000;
}

interface Row {
  backend: string;
  op: string;
  a: string;
  b: string;
  ma: number;
  mb: number;
  auc: number;
}
const rows: Row[] = [];

async function pair(
  backend: string,
  op: string,
  a: string,
  fa: () => Promise<unknown>,
  b: string,
  fb: () => Promise<unknown>,
  n: number,
): Promise<void> {
  for (let i = 0; i < Math.min(50, n); i++) {
    await fa().catch(() => {});
    await fb().catch(() => {});
  }
  const xa: number[] = [];
  const xb: number[] = [];
  for (let i = 0; i < n; i++) {
    if (Math.random() < 0.5) {
      xa.push(await time(fa));
      xb.push(await time(fb));
    } else {
      xb.push(await time(fb));
      xa.push(await time(fa));
    }
  }
  const row = { backend, op, a, b, ma: median(xa), mb: median(xb), auc: auc(xa, xb) };
  rows.push(row);
  process.stderr.write(`  ${backend} ${op}: ${a} ${row.ma.toFixed(0)} µs vs ${b} ${row.mb.toFixed(0)} µs, AUC ${row.auc.toFixed(3)}\n`);
}

async function run(db: Kysely<TrustTables>, backend: string): Promise<void> {
  const serverSecret = randomBytes(32);
  const base = { db, serverSecret, minWaitSeconds: 60, defaultWaitSeconds: 60 };
  const store = new TrustStore({ ...base, pwhash: PWHASH_MIN });
  const t = await store.createUser('timing-t', 'timing-password');
  const x = await store.createUser('timing-x', 'timing-password'); // exists, does not trust t
  const d = await store.createUser('timing-d', 'timing-password');
  await store.setDisabled(d.userId, true);
  await store.createUser('timing-w', 'timing-password'); // wrapped with PWHASH_MIN, never logs in successfully below
  const raised = new TrustStore({ ...base, pwhash: RAISED });
  await raised.createUser('timing-u', 'timing-password'); // wrapped with the raised cost
  const code = 'AAAA-BBBB-CCCC-DDDD';
  void x;

  await pair(
    backend,
    'requestReset',
    'unknown',
    () => store.requestReset(t, 'timing-nobody'),
    'existing',
    () => store.requestReset(t, 'timing-x'),
    SAMPLES,
  );
  await pair(
    backend,
    'requestReset',
    'unknown',
    () => store.requestReset(t, 'timing-nobody'),
    'disabled',
    () => store.requestReset(t, 'timing-d'),
    SAMPLES,
  );
  await pair(
    backend,
    'requestReset',
    'existing',
    () => store.requestReset(t, 'timing-x'),
    'disabled',
    () => store.requestReset(t, 'timing-d'),
    SAMPLES,
  );
  await pair(
    backend,
    'obtainResetCode',
    'unknown',
    () => store.obtainResetCode(t, 'timing-nobody'),
    'existing',
    () => store.obtainResetCode(t, 'timing-x'),
    SAMPLES,
  );
  await pair(
    backend,
    'completeReset',
    'unknown',
    () => store.completeReset('timing-nobody', code, 'new-password-1'),
    'existing',
    () => store.completeReset('timing-x', code, 'new-password-1'),
    SAMPLES,
  );
  await pair(
    backend,
    'login (raised cost), wrong pw',
    'unknown',
    () => raised.login('timing-nobody', 'wrong-password'),
    'not upgraded',
    () => raised.login('timing-w', 'wrong-password'),
    LOGIN_SAMPLES,
  );
  await pair(
    backend,
    'login (raised cost), wrong pw',
    'unknown',
    () => raised.login('timing-nobody', 'wrong-password'),
    'upgraded',
    () => raised.login('timing-u', 'wrong-password'),
    LOGIN_SAMPLES,
  );
  await pair(
    backend,
    'login (raised cost), wrong pw',
    'not upgraded',
    () => raised.login('timing-w', 'wrong-password'),
    'upgraded',
    () => raised.login('timing-u', 'wrong-password'),
    LOGIN_SAMPLES,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'trust-timing-'));
try {
  const s = openTrustDb({ sqlitePath: join(dir, 'timing.db') });
  await migrateTrust(s.db);
  await run(s.db, 'sqlite');
  await s.close();
  if (args.includes('--postgres')) {
    const pg = await startPostgres();
    try {
      const p = openTrustDb({ postgresUrl: await createDatabase(pg.url, 'trust_timing'), poolSize: 4 });
      await migrateTrust(p.db);
      await run(p.db, 'postgres');
      await p.close();
    } finally {
      await pg.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\n| backend | operation | case A | case B | median A (µs) | median B (µs) | AUC | within 0.5 ± 0.05 |`);
console.log('|---|---|---|---|---:|---:|---:|---|');
for (const r of rows) {
  console.log(
    `| ${r.backend} | ${r.op} | ${r.a} | ${r.b} | ${r.ma.toFixed(0)} | ${r.mb.toFixed(0)} | ${r.auc.toFixed(3)} | ${Math.abs(r.auc - 0.5) <= 0.05 ? 'yes' : 'NO'} |`,
  );
}
