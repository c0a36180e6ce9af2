// The failure-counting limiter on its database table, on SQLite and on a real PostgreSQL, with a controlled clock.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { migrateTrust, openTrustDb } from '@peergroup/trust';
import { accountsConfigSchema } from '../src/config.ts';
import { migrateAccounts, type AllTables } from '../src/db.ts';
import { RateLimitStore } from '../src/rate-limit-store.ts';
import { RateLimiter, type Bucket } from '../src/rate-limit.ts';
import { databaseUrlFor, DIALECTS, stopPostgres, type Dialect } from '@peergroup/test-support/accounts';

const KEY = Buffer.alloc(32, 7);

/** Two handles on one database: for PostgreSQL two pools, as two accounts instances would have. */
async function openTwice(dialect: Dialect) {
  const dir = mkdtempSync(join(tmpdir(), 'peergroup-rl-'));
  const url = await databaseUrlFor(dialect);
  const open = () => (url ? openTrustDb({ postgresUrl: url }) : openTrustDb({ sqlitePath: join(dir, 'a.sqlite') }));
  const a = open();
  await migrateTrust(a.db);
  await migrateAccounts(a.db);
  const b = dialect === 'postgres' ? open() : a;
  return {
    a: a.db as unknown as Kysely<AllTables>,
    b: b.db as unknown as Kysely<AllTables>,
    async close() {
      await a.close();
      if (b !== a) await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('default limits: windows of 15 minutes and an hour, a browser reaches its limit before the account; older names still read', () => {
  const rl = accountsConfigSchema.parse({}).rateLimits;
  assert.deepEqual(rl.login, { perBrowser: 5, perAccount: 10, perClient: 50, window: 15 * 60_000 });
  assert.deepEqual(rl.signup, { perBrowser: 3, perAccount: 5, perClient: 20, window: 3_600_000 });
  assert.deepEqual(rl.reset, { perBrowser: 3, perAccount: 5, perClient: 20, window: 3_600_000 });
  const older = accountsConfigSchema.parse({ rateLimits: { login: { perAccount: 4, windowSeconds: 600 } } }).rateLimits.login;
  assert.deepEqual(older, { perBrowser: 5, perAccount: 4, perClient: 50, window: 600_000 });
  assert.throws(() => accountsConfigSchema.parse({ rateLimits: { login: { perBrowser: 0 } } }), /perBrowser/);
});

for (const dialect of DIALECTS) {
  describe(`rate limits in the database (${dialect})`, () => {
    after(async () => {
      if (dialect === 'postgres') await stopPostgres();
    });

    test('a private bucket admits the limit, then waits window / limit and doubles per failure up to the window', async () => {
      const dbs = await openTwice(dialect);
      try {
        let now = 1_000_000;
        const rl = new RateLimiter(new RateLimitStore(dbs.a, KEY, () => now), 'login', 60_000);
        const b: Bucket[] = [{ key: 'b:x', limit: 3, shared: false }];
        for (let i = 0; i < 3; i++) {
          assert.equal((await rl.admit(b)).allowed, true, `attempt ${i + 1}`);
          await rl.fail(b);
        }
        assert.deepEqual(await rl.admit(b), { allowed: false, retryAfter: 20 });
        now += 20_000;
        assert.equal((await rl.admit(b)).allowed, true);
        await rl.fail(b);
        assert.deepEqual(await rl.admit(b), { allowed: false, retryAfter: 40 });
        now += 40_000;
        assert.equal((await rl.admit(b)).allowed, true);
        await rl.fail(b);
        assert.deepEqual(await rl.admit(b), { allowed: false, retryAfter: 60 }, 'capped at the window');
        await rl.clear(b);
        assert.equal((await rl.admit(b)).allowed, true, 'cleared');
      } finally {
        await dbs.close();
      }
    });

    test('a shared bucket never refuses for longer than window / limit, and admits one attempt per spacing', async () => {
      const dbs = await openTwice(dialect);
      try {
        let now = 5_000_000;
        const rl = new RateLimiter(new RateLimitStore(dbs.a, KEY, () => now), 'login', 60_000);
        const b: Bucket[] = [{ key: 'a:owner', limit: 4, shared: true }];
        for (let i = 0; i < 4; i++) await rl.fail(b);
        for (let round = 0; round < 5; round++) {
          assert.deepEqual(await rl.admit(b), { allowed: false, retryAfter: 15 }, `round ${round}`);
          now += 15_000;
          assert.equal((await rl.admit(b)).allowed, true, `round ${round}: admitted after the spacing`);
          await rl.fail(b);
        }
      } finally {
        await dbs.close();
      }
    });

    test('of two instances asking at once for a slowed bucket, exactly one is admitted', async () => {
      const dbs = await openTwice(dialect);
      try {
        let now = 9_000_000;
        const one = new RateLimiter(new RateLimitStore(dbs.a, KEY, () => now), 'login', 60_000);
        const two = new RateLimiter(new RateLimitStore(dbs.b, KEY, () => now), 'login', 60_000);
        const b: Bucket[] = [{ key: 'a:owner', limit: 2, shared: true }];
        await one.fail(b);
        await two.fail(b);
        assert.equal((await two.admit(b)).allowed, false, 'the other instance sees the failures');
        now += 30_000;
        const results = await Promise.all([one.admit(b), two.admit(b), one.admit(b), two.admit(b)]);
        assert.equal(results.filter((r) => r.allowed).length, 1, JSON.stringify(results));
      } finally {
        await dbs.close();
      }
    });

    test('failures are forgotten a window after the latest; buckets of other keys and scopes are independent', async () => {
      const dbs = await openTwice(dialect);
      try {
        let now = 2_000_000;
        const store = new RateLimitStore(dbs.a, KEY, () => now);
        const login = new RateLimiter(store, 'login', 60_000);
        const reset = new RateLimiter(store, 'reset', 60_000);
        const b: Bucket[] = [{ key: 'a:x', limit: 2, shared: true }];
        await login.fail(b);
        await login.fail(b);
        assert.equal((await login.admit(b)).allowed, false);
        assert.equal((await login.admit([{ key: 'a:y', limit: 2, shared: true }])).allowed, true);
        assert.equal((await reset.admit(b)).allowed, true);
        now += 59_000;
        await login.fail(b);
        now += 59_000;
        assert.equal((await login.admit(b)).allowed, true, 'one attempt per spacing');
        assert.equal((await login.admit(b)).allowed, false, 'a steady guesser stays slowed down: the next waits again');
        now += 1_000;
        await login.fail(b);
        const [row] = await dbs.a.selectFrom('accounts_rate_limit').select('failures').where('id', '=', store.id('login', 'a:x')).execute();
        assert.equal(Number(row!.failures), 1, 'a whole window without a failure: counting starts again from one');
      } finally {
        await dbs.close();
      }
    });

    test('expired rows are pruned; the table holds no names', async () => {
      const dbs = await openTwice(dialect);
      try {
        let now = 3_000_000;
        const store = new RateLimitStore(dbs.a, KEY, () => now);
        const rl = new RateLimiter(store, 'login', 60_000);
        for (let i = 0; i < 50; i++) await rl.fail([{ key: `a:name-${i}`, limit: 5, shared: true }]);
        now += 30_000;
        for (let i = 0; i < 3; i++) await rl.fail([{ key: 'b:slow', limit: 1, shared: false }]);
        const rows = await dbs.a.selectFrom('accounts_rate_limit').selectAll().execute();
        assert.equal(rows.length, 51);
        assert.ok(
          rows.every((r) => !/name|slow/.test(r.id)),
          'keys are keyed hashes',
        );
        now += 30_000;
        assert.equal(await store.prune(), 50, 'the windows of the 50 names are over');
        assert.equal(await store.size(), 1, 'the slowed bucket waits out its delay');
        now += 60_000;
        assert.equal(await store.prune(), 1);
      } finally {
        await dbs.close();
      }
    });
  });
}
