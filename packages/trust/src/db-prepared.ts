// Statements parsed once per connection and run again with new values. Kysely hands every query to the driver as
// SQL text: its SQLite driver has better-sqlite3 prepare that text again on each call (a tenth of a socketmap
// lookup's CPU time, bench/mail-auth), and pg sends it unnamed, so PostgreSQL parses and plans it each time. The
// accounts lookups run a handful of statements tens of thousands of times a second; these wrappers keep them
// parsed, keyed by the SQL text, bounded so that SQL built per call (a multi-row INSERT) cannot grow them.
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { PostgresPool, PostgresPoolClient, SqliteDatabase } from 'kysely';
import { createHash } from 'node:crypto';

/** better-sqlite3 statements kept per SQL text (least recently used dropped first). */
export const SQLITE_STATEMENT_CACHE_SIZE = 256;

/** At most this many SQL texts become named statements, each on every pooled connection that runs it. */
export const POSTGRES_NAMED_STATEMENTS = 256;

/** A statement is named from its second run: SQL run once (a migration, a bulk insert) stays unnamed. */
const NAME_AFTER_RUNS = 2;

export interface StatementCacheStats {
  size: number;
  hits: number;
  misses: number;
}

/** The better-sqlite3 database as Kysely's SqliteDialect sees it, with a bounded statement cache in front of prepare. */
export function sqliteWithStatementCache(
  sqlite: Database.Database,
  max = SQLITE_STATEMENT_CACHE_SIZE,
): SqliteDatabase & { stats(): StatementCacheStats } {
  const cache = new Map<string, Database.Statement>();
  let hits = 0;
  let misses = 0;
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const cached = cache.get(sql);
      if (cached) {
        // A statement still iterating (Kysely's streamQuery) cannot start again: that caller gets a statement of its own.
        if (cached.busy) return sqlite.prepare(sql);
        hits++;
        // Map order is insertion order: moving the hit to the end makes the first key the least recently used.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      misses++;
      const stmt = sqlite.prepare(sql);
      cache.set(sql, stmt);
      if (cache.size > max) cache.delete(cache.keys().next().value!);
      return stmt;
    },
    stats: () => ({ size: cache.size, hits, misses }),
  };
}

export interface NamedStatementStats {
  named: number;
  namedRuns: number;
  unnamedRuns: number;
}

/**
 * A pg pool as Kysely's PostgresDialect sees it, whose clients run repeated parameterised SQL as named prepared
 * statements (pg parses each name once per connection; PostgreSQL may then reuse a generic plan instead of planning
 * every run). The name is a hash of the SQL text, so every connection agrees on it.
 */
export function poolWithNamedStatements(pool: pg.Pool, max = POSTGRES_NAMED_STATEMENTS): PostgresPool & { stats(): NamedStatementStats } {
  const runs = new Map<string, number>();
  const names = new Map<string, string>();
  // SQL whose named statement PostgreSQL refused to reuse (a SELECT * whose table changed): unnamed from then on.
  const refused = new Set<string>();
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  let namedRuns = 0;
  let unnamedRuns = 0;

  const nameFor = (sql: string): string | undefined => {
    const known = names.get(sql);
    if (known !== undefined) return known;
    if (names.size >= max || refused.has(sql)) return undefined;
    const n = (runs.get(sql) ?? 0) + 1;
    if (n < NAME_AFTER_RUNS) {
      // Counting is bounded too: forgetting the counts only delays naming.
      if (runs.size >= 16 * max) runs.clear();
      runs.set(sql, n);
      return undefined;
    }
    runs.delete(sql);
    const name = `pgp_${createHash('sha256').update(sql).digest('base64url').slice(0, 32)}`;
    names.set(sql, name);
    return name;
  };

  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    const query = (sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>): any => {
      if (typeof sqlOrCursor !== 'string' || !parameters || parameters.length === 0) {
        unnamedRuns++;
        // Cursors and SQL without values (BEGIN, COMMIT) go through as they came.
        return (client.query as (...a: unknown[]) => unknown)(sqlOrCursor, parameters);
      }
      const sql = sqlOrCursor;
      const name = nameFor(sql);
      if (name === undefined) {
        unnamedRuns++;
        return client.query(sql, parameters as unknown[]);
      }
      namedRuns++;
      return client.query({ name, text: sql, values: parameters as unknown[] }).catch((err: { code?: string }) => {
        // 0A000 "cached plan must not change result type": the table changed under a SELECT * since this connection
        // parsed it. The same SQL unnamed is planned afresh; outside a transaction that is the right answer.
        if (err.code !== '0A000') throw err;
        refused.add(sql);
        names.delete(sql);
        return client.query(sql, parameters as unknown[]).catch(() => {
          throw err;
        });
      });
    };
    return { query, release: (destroy?: boolean) => client.release(destroy) } as PostgresPoolClient;
  };

  return {
    async connect() {
      const client = await pool.connect();
      let w = wrappers.get(client);
      // Kysely keeps one connection object per client it is given: the same client gets the same wrapper.
      if (!w) wrappers.set(client, (w = wrap(client)));
      return w;
    },
    end: () => pool.end(),
    stats: () => ({ named: names.size, namedRuns, unnamedRuns }),
  };
}
