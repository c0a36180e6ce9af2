// Statements kept across queries (src/db-prepared.ts): better-sqlite3 statements cached per SQL text, pg's named
// prepared statements, on a real SQLite file and a real PostgreSQL 15 (test/support/postgres.ts). What must hold:
// every run binds its own values, the caches stay within their bounds, and a table that changed under a kept
// statement still gives the right rows.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { createDatabase, startPostgres, type RunningPostgres } from '@peergroup/test-support/postgres';
import { poolWithNamedStatements, sqliteWithStatementCache, TextStatement, type TextRow } from '../src/db-prepared.ts';
import { openTrustDb } from '../src/db.ts';

interface T {
  t: { k: string; v: number | null };
}

describe('SQLite statement cache', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pg-db-prepared-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const open = (name: string, max?: number) => {
    const sqlite = new Database(join(dir, name));
    const cached = sqliteWithStatementCache(sqlite, max);
    return { sqlite, cached, db: new Kysely<T>({ dialect: new SqliteDialect({ database: cached }) }) };
  };

  it('reuses one statement for the same SQL, each run with its own values', async () => {
    const { cached, db } = open('reuse.sqlite');
    await db.schema
      .createTable('t')
      .addColumn('k', 'text', (c) => c.primaryKey())
      .addColumn('v', 'integer')
      .execute();
    await db
      .insertInto('t')
      .values(Array.from({ length: 50 }, (_, i) => ({ k: `k${i}`, v: i })))
      .execute();
    const before = cached.stats();
    for (let i = 0; i < 50; i++) {
      const rows = await db.selectFrom('t').select('v').where('k', '=', `k${i}`).execute();
      assert.deepEqual(rows, [{ v: i }]);
    }
    const stats = cached.stats();
    assert.equal(stats.misses - before.misses, 1, 'the SELECT is prepared once');
    assert.equal(stats.hits - before.hits, 49);
    await db.destroy();
  });

  it('keeps at most `max` statements, dropping the least recently used', async () => {
    const { cached, db } = open('bound.sqlite', 3);
    const q = (n: number) => sql`select ${sql.lit(n)} as n`.execute(db);
    for (const n of [1, 2, 3]) await q(n);
    await q(1); // 1 is now the most recently used: 2 goes first
    await q(4);
    assert.equal(cached.stats().size, 3);
    const misses = cached.stats().misses;
    await q(1);
    await q(3);
    await q(4);
    assert.equal(cached.stats().misses, misses, '1, 3 and 4 are still kept');
    await q(2);
    assert.equal(cached.stats().misses, misses + 1, '2 was dropped and is prepared again');
    assert.equal(cached.stats().size, 3);
    await db.destroy();
  });

  it('gives a caller of its own a fresh statement while the cached one is still iterating', () => {
    const { sqlite, cached } = open('busy.sqlite');
    sqlite.exec("create table t (k text primary key, v integer); insert into t values ('a', 1), ('b', 2)");
    const text = 'select v from t where v >= ? order by v';
    const first = cached.prepare(text);
    const iter = first.iterate([1]);
    assert.deepEqual(iter.next().value, { v: 1 });
    const second = cached.prepare(text);
    assert.notEqual(second, first);
    assert.deepEqual(second.all([2]), [{ v: 2 }]);
    assert.deepEqual(iter.next().value, { v: 2 });
    assert.equal(iter.next().done, true);
    assert.equal(cached.prepare(text), first, 'once done, the cached statement is handed out again');
    sqlite.close();
  });

  it('a kept SELECT * sees a column added after it was prepared', async () => {
    const { db } = open('schema.sqlite');
    await db.schema
      .createTable('t')
      .addColumn('k', 'text', (c) => c.primaryKey())
      .execute();
    await db.insertInto('t').values({ k: 'a' }).execute();
    const all = () => db.selectFrom('t').selectAll().where('k', '=', 'a').execute();
    assert.deepEqual(await all(), [{ k: 'a' }]);
    await db.schema
      .alterTable('t')
      .addColumn('v', 'integer', (c) => c.defaultTo(7))
      .execute();
    assert.deepEqual(await all(), [{ k: 'a', v: 7 }]);
    await db.destroy();
  });
});

describe('PostgreSQL named statements', () => {
  let server: RunningPostgres;
  // pg-pool's end() resolves before its connections have closed: the server stops only once every one has.
  const closed: Promise<void>[] = [];
  const track = (pool: pg.Pool) =>
    pool.on('connect', (client) => {
      closed.push(new Promise((resolve) => client.once('end', () => resolve())));
    });
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await Promise.all(closed);
    await server?.stop();
  });

  const open = async (name: string, max?: number) => {
    const url = await createDatabase(server.url, name);
    // One connection: pg_prepared_statements lists the statements of the session that asks.
    const pool = track(new pg.Pool({ connectionString: url, max: 1 }));
    const named = poolWithNamedStatements(pool, max);
    const db = new Kysely<T>({ dialect: new PostgresDialect({ pool: named }) });
    await db.schema
      .createTable('t')
      .addColumn('k', 'text', (c) => c.primaryKey())
      .addColumn('v', 'integer')
      .execute();
    await db
      .insertInto('t')
      .values(Array.from({ length: 20 }, (_, i) => ({ k: `k${i}`, v: i })))
      .execute();
    const prepared = async () =>
      (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)).rows.map((r) => r.statement);
    return { db, named, prepared };
  };

  it('names a parameterised statement from its second run; every run gets its own values', async () => {
    const { db, named, prepared } = await open('named_runs');
    const byKey = (i: number) => db.selectFrom('t').select('v').where('k', '=', `k${i}`).execute();
    assert.deepEqual(await byKey(0), [{ v: 0 }]);
    assert.equal(named.stats().named, 0, 'one run stays unnamed');
    for (let i = 1; i < 20; i++) assert.deepEqual(await byKey(i), [{ v: i }]);
    assert.equal(named.stats().named, 1);
    const statements = await prepared();
    assert.equal(statements.filter((s) => /from "t" where "k" = \$1/.test(s)).length, 1, statements.join('\n'));
    await db.destroy();
  });

  it('names at most `max` statements; the rest run unnamed and still answer', async () => {
    const { db, named, prepared } = await open('named_bound', 2);
    for (const column of ['k', 'v', 'k'] as const) {
      for (let i = 0; i < 3; i++) {
        const q = db.selectFrom('t').select('k');
        const rows = await (column === 'k' ? q.where('k', '=', `k${i}`) : q.where('v', '=', i)).execute();
        assert.deepEqual(rows, [{ k: `k${i}` }]);
      }
    }
    for (let i = 0; i < 3; i++) assert.equal((await db.selectFrom('t').select('v').where('v', '>', i).execute()).length, 19 - i);
    assert.equal(named.stats().named, 2);
    assert.equal((await prepared()).length, 2);
    await db.destroy();
  });

  it('a named SELECT * whose table gained a column answers with the new column, not an error', async () => {
    const { db, named } = await open('named_schema');
    const all = () => db.selectFrom('t').selectAll().where('k', '=', 'k1').execute();
    await all();
    assert.deepEqual(await all(), [{ k: 'k1', v: 1 }]);
    assert.equal(named.stats().named, 1);
    await sql`alter table t add column w integer default 9`.execute(db);
    assert.deepEqual(await all(), [{ k: 'k1', v: 1, w: 9 }]);
    assert.deepEqual(await all(), [{ k: 'k1', v: 1, w: 9 }], 'and again, now unnamed');
    assert.equal(named.stats().named, 0);
    await db.destroy();
  });

  it('a TextStatement runs through Kysely with text values and columns; a changed result type fails one run, not every later one', async () => {
    const { db } = await open('text_statement');
    await db.updateTable('t').set({ v: null }).where('k', '=', 'k3').execute();
    const st = new TextStatement('select k, v from t where k = $1 or v = $2::int order by k');
    const run = async (values: (string | null)[]) => (await db.executeQuery<TextRow>(st.run(values))).rows;
    assert.deepEqual(await run(['k1', null]), [['k1', '1']]);
    assert.deepEqual(await run(['none', '2']), [['k2', '2']]);
    assert.deepEqual(await run(['k3', null]), [['k3', null]], 'NULL comes back as null');
    assert.deepEqual(await run(['none', null]), []);
    // The parsed statement's result type is now wrong on this connection: that run fails (0A000, a TEMP for the
    // lookups); the next runs under a new name, parsed afresh.
    await sql`alter table t alter column v type bigint`.execute(db);
    await assert.rejects(run(['k1', null]), (e: { code?: string }) => e.code === '0A000');
    assert.deepEqual(await run(['k1', null]), [['k1', '1']]);
    assert.deepEqual(await run(['k2', null]), [['k2', '2']]);
    await db.destroy();
  });

  it('openTrustDb runs repeated statements named', async () => {
    const url = await createDatabase(server.url, 'named_open');
    const t = openTrustDb({ postgresUrl: url, poolSize: 1 });
    for (let i = 0; i < 3; i++) assert.deepEqual((await sql<{ n: number }>`select ${i}::int as n`.execute(t.db)).rows, [{ n: i }]);
    const rows = (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(t.db)).rows;
    assert.deepEqual(
      rows.map((r) => r.statement),
      ['select $1::int as n'],
    );
    await t.close();
  });

  it('transactions and statements without values go through unchanged', async () => {
    const { db } = await open('named_trx');
    for (let i = 0; i < 3; i++) {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('t')
          .set({ v: 100 + i })
          .where('k', '=', 'k0')
          .execute();
      });
    }
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.updateTable('t').set({ v: -1 }).where('k', '=', 'k0').execute();
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.deepEqual(await db.selectFrom('t').select('v').where('k', '=', 'k0').execute(), [{ v: 102 }]);
    await db.destroy();
  });
});
