// Statements parsed once per connection and run again with new values. Kysely hands every query to the driver as
// SQL text: its SQLite driver has better-sqlite3 prepare that text again on each call (a tenth of a socketmap
// lookup's CPU time, bench/mail-auth), and pg sends it unnamed, so PostgreSQL parses and plans it each time. The
// accounts lookups run a handful of statements tens of thousands of times a second; these wrappers keep them
// parsed, keyed by the SQL text, bounded so that SQL built per call (a multi-row INSERT) cannot grow them.
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { CompiledQuery, PostgresPool, PostgresPoolClient, SqliteDatabase } from 'kysely';
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

/** A row as PostgreSQL sends it in text format: each column's text, null for NULL. */
export type TextRow = (string | null)[];

/**
 * A SELECT for the few statements a service runs tens of thousands of times a second (the mail lookups), run as a
 * named statement with less work per run than pg's own query: Bind, Execute and Sync go out as one write, with no
 * Describe and no per-run row parser (profiled in bench/mail-auth: a third of a query's CPU time in the service).
 * Values go in and columns come back as text (TextRow); the caller knows its columns.
 *
 * run() gives a query for Kysely's executeQuery on PostgreSQL: Kysely hands a compiled query's `sql` to the pool
 * client's query() untouched, poolWithNamedStatements passes anything but a string through, and pg runs an object
 * with submit() as a Submittable (pg-cursor's interface). Through any Kysely PostgresDialect, so the pool, its
 * checkout and its error handling stay Kysely's.
 *
 * submit() reads pg's Connection internals (parsedStatements, submittedNamedStatements, its stream), so trust pins pg
 * to one exact version, as onionmx pins smtp-server: an upgrade re-runs packages/accounts/test/mail-lookup-batch first.
 */
export class TextStatement {
  private name: string;
  private generation = 0;

  constructor(readonly text: string) {
    this.name = this.nameOf();
  }

  private nameOf(): string {
    return `pgt_${createHash('sha256').update(`${this.generation}:${this.text}`).digest('base64url').slice(0, 32)}`;
  }

  run(values: readonly (string | null)[]): CompiledQuery<TextRow> {
    const submittable = new TextRun(this.name, this.text, bindExecuteSync(this.name, values), (err) => {
      // "cached plan must not change result type" (the table changed under the statement): every later run on that
      // connection would fail the same way. A new name is parsed afresh; the old one stays unused on its connections.
      if ((err as { code?: string }).code === '0A000') {
        this.generation++;
        this.name = this.nameOf();
      }
    });
    return { sql: submittable as unknown as string, parameters: [], query: undefined as never, queryId: undefined as never };
  }
}

/** One run: pg's Submittable, and a thenable of the { command, rowCount, rows } Kysely's driver reads. */
class TextRun {
  private readonly rows: TextRow[] = [];
  private resolve!: (r: TextResult) => void;
  private reject!: (err: unknown) => void;
  private failed = false;
  private readonly result = new Promise<TextResult>((res, rej) => {
    this.resolve = res;
    this.reject = rej;
  });

  constructor(
    readonly name: string,
    readonly text: string,
    private readonly message: Buffer,
    private readonly onError: (err: unknown) => void,
  ) {
    // The promise exists before anyone awaits it: an error that came first must not count as an unhandled rejection
    // (which ends the process). Whoever awaits it still gets the rejection.
    this.result.catch(() => {});
  }

  submit(connection: PgConnection): void {
    // pg records the name as parsed when PostgreSQL confirms it, and forgets it again on an error.
    if (connection.parsedStatements[this.name] === undefined && connection.submittedNamedStatements[this.name] === undefined) {
      connection.parse({ text: this.text, name: this.name, types: [] });
      connection.submittedNamedStatements[this.name] = this.text;
    }
    connection.stream.write(this.message);
  }
  handleRowDescription(): void {}
  handleDataRow(msg: { fields: TextRow }): void {
    this.rows.push(msg.fields);
  }
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(connection: PgConnection): void {
    connection.sendCopyFail('not a COPY');
  }
  handleCopyData(): void {}
  /** An ErrorResponse (PostgreSQL's ReadyForQuery follows, pg does not pass it on) or the connection's end. */
  handleError(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.onError(err);
    this.reject(err);
  }
  handleReadyForQuery(): void {
    // After an error this is a no-op: a settled promise stays settled.
    this.resolve({ command: 'SELECT', rowCount: this.rows.length, rows: this.rows });
  }

  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, Kysely's driver awaits what pg's query() returns.
  then<T, E = never>(resolve: (v: TextResult) => T, reject?: (e: unknown) => E): Promise<T | E> {
    return this.result.then(resolve, reject);
  }
}

interface TextResult {
  command: 'SELECT';
  rowCount: number;
  rows: TextRow[];
}

interface PgConnection {
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(q: { text: string; name: string; types: unknown[] }): void;
  sendCopyFail(msg: string): void;
  stream: { write(b: Buffer): boolean };
}

/** Bind (the unnamed portal, text values, text results), Execute (all rows) and Sync, in one buffer. */
function bindExecuteSync(statement: string, values: readonly (string | null)[]): Buffer {
  const encoded = values.map((v) => (v === null ? null : Buffer.from(v, 'utf8')));
  const statementBytes = Buffer.byteLength(statement);
  let bindLength = 4 + 1 + statementBytes + 1 + 2 + 2 + 2;
  for (const e of encoded) bindLength += 4 + (e ? e.length : 0);
  const out = Buffer.alloc(1 + bindLength + 10 + 5);
  let o = 0;
  out[o++] = 0x42; // 'B'
  o = out.writeInt32BE(bindLength, o);
  out[o++] = 0; // unnamed portal
  o += out.write(statement, o, 'utf8');
  out[o++] = 0;
  o = out.writeInt16BE(0, o); // every value in text format
  o = out.writeInt16BE(encoded.length, o);
  for (const e of encoded) {
    if (e === null) o = out.writeInt32BE(-1, o);
    else {
      o = out.writeInt32BE(e.length, o);
      o += e.copy(out, o);
    }
  }
  o = out.writeInt16BE(0, o); // every column in text format
  out[o++] = 0x45; // 'E'
  o = out.writeInt32BE(9, o);
  out[o++] = 0; // unnamed portal
  o = out.writeInt32BE(0, o); // no row limit
  out[o++] = 0x53; // 'S'
  out.writeInt32BE(4, o);
  return out;
}
