// Shared set-up for the trust suites: a fresh database per suite (SQLite file or a database in the private
// PostgreSQL cluster), a store with cheap Argon2id, a controllable clock and a recorded event list.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createDatabase, startPostgres, type RunningPostgres } from '@peergroup/test-support/postgres';
import {
  migrateTrust,
  openTrustDb,
  PWHASH_MIN,
  TrustStore,
  type TrustDialect,
  type TrustEvent,
  type TrustStoreOptions,
  type TrustTables,
} from '../src/index.ts';

export interface DbFactory {
  dialect: TrustDialect;
  /** A fresh, migrated, empty database. */
  open(): Promise<OpenedDb>;
  shutdown(): Promise<void>;
}

export interface OpenedDb {
  db: Kysely<TrustTables>;
  close(): Promise<void>;
  /** Where the database lives, for a second, independent connection (the attacker's). */
  sqlitePath?: string;
  postgresUrl?: string;
}

/**
 * A database writer's own connection: raw SQL on a second connection (better-sqlite3 on the file, pg on the URL),
 * bypassing the store and kysely. Placeholders are written `?` for both dialects.
 */
export interface RawSql {
  run(sql: string, ...params: unknown[]): Promise<void>;
  all<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function rawConnection(o: Pick<OpenedDb, 'sqlitePath' | 'postgresUrl'>): Promise<RawSql> {
  if (o.sqlitePath) {
    const c = new Database(o.sqlitePath);
    c.pragma('busy_timeout = 5000');
    return {
      async run(q, ...p) {
        c.prepare(q).run(...p);
      },
      async all<T>(q: string, ...p: unknown[]) {
        return c.prepare(q).all(...p) as T[];
      },
      async close() {
        c.close();
      },
    };
  }
  const c = new pg.Client({ connectionString: o.postgresUrl });
  await c.connect();
  const num = (q: string) => {
    let i = 0;
    return q.replace(/\?/g, () => `$${++i}`);
  };
  return {
    async run(q, ...p) {
      await c.query(num(q), p);
    },
    async all<T>(q: string, ...p: unknown[]) {
      return (await c.query(num(q), p)).rows as T[];
    },
    async close() {
      await c.end();
    },
  };
}

export function sqliteFactory(): DbFactory {
  const dir = mkdtempSync(join(tmpdir(), 'peergroup-trust-'));
  let n = 0;
  return {
    dialect: 'sqlite',
    async open() {
      const sqlitePath = join(dir, `t${n++}.db`);
      const t = openTrustDb({ sqlitePath });
      await migrateTrust(t.db);
      return { db: t.db, close: t.close, sqlitePath };
    },
    async shutdown() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function postgresFactory(): Promise<DbFactory> {
  const pg: RunningPostgres = await startPostgres();
  let n = 0;
  const open: { close(): Promise<void> }[] = [];
  return {
    dialect: 'postgres',
    async open() {
      const url = await createDatabase(pg.url, `trust_${process.pid}_${n++}`);
      const t = openTrustDb({ postgresUrl: url, poolSize: 8 });
      await migrateTrust(t.db);
      open.push(t);
      return { db: t.db, close: t.close, postgresUrl: url };
    },
    async shutdown() {
      for (const t of open) await t.close().catch(() => {});
      await pg.stop();
    },
  };
}

export const PW = (name: string) => `pw-of-${name}-123`;

export interface Env {
  db: Kysely<TrustTables>;
  store: TrustStore;
  events: TrustEvent[];
  clock: { ms: number; advance(seconds: number): void };
  serverSecret: Buffer;
  /** The attacker's second connection to the same database (direct SQL). */
  sql: RawSql;
  /** Where the database lives (SQLite file path or PostgreSQL URL). */
  where: Pick<OpenedDb, 'sqlitePath' | 'postgresUrl'>;
  /** Another store over the same database with other options (same secret unless given). */
  withOptions(o: Partial<TrustStoreOptions>): TrustStore;
  close(): Promise<void>;
}

export async function makeEnv(factory: DbFactory, o: Partial<TrustStoreOptions> = {}): Promise<Env> {
  const opened = await factory.open();
  const { db } = opened;
  const where = { sqlitePath: opened.sqlitePath, postgresUrl: opened.postgresUrl };
  const sql = await rawConnection(where);
  const clock = {
    ms: Date.UTC(2030, 0, 1),
    advance(s: number) {
      this.ms += s * 1000;
    },
  };
  const events: TrustEvent[] = [];
  const serverSecret = randomBytes(32);
  const base: TrustStoreOptions = {
    db,
    serverSecret,
    pwhash: PWHASH_MIN,
    minWaitSeconds: 3600,
    defaultWaitSeconds: 3600,
    codeTtlSeconds: 600,
    vetoHoldSeconds: 7200,
    now: () => new Date(clock.ms),
    onEvent: (e) => events.push(e),
  };
  const store = new TrustStore({ ...base, ...o });
  return {
    db,
    store,
    events,
    clock,
    serverSecret,
    sql,
    where,
    withOptions: (x) => new TrustStore({ ...base, ...o, ...x }),
    async close() {
      await sql.close();
      await opened.close();
    },
  };
}

/** Deletes every row from the trust tables (between property-test runs; cheaper than a new database). */
export async function wipe(db: Kysely<TrustTables>): Promise<void> {
  for (const t of ['trust_reset_code', 'trust_reset_confirmation', 'trust_reset', 'trust_invite', 'trust_slot', 'trust_user'] as const) {
    await db.deleteFrom(t).execute();
  }
}
