// Shared set-up for the trust suites: a fresh database per suite (SQLite file or a database in the private
// PostgreSQL cluster), a store with cheap Argon2id, a controllable clock and a recorded event list.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createDatabase, startPostgres, type RunningPostgres } from '../../../test/support/postgres.ts';
import { migrateTrust, openTrustDb, PWHASH_MIN, TrustStore, type TrustDialect, type TrustEvent, type TrustStoreOptions, type TrustTables } from '../src/index.ts';

export interface DbFactory {
  dialect: TrustDialect;
  /** A fresh, migrated, empty database. */
  open(): Promise<{ db: Kysely<TrustTables>; close(): Promise<void> }>;
  shutdown(): Promise<void>;
}

export function sqliteFactory(): DbFactory {
  const dir = mkdtempSync(join(tmpdir(), 'peergroup-trust-'));
  let n = 0;
  return {
    dialect: 'sqlite',
    async open() {
      const t = openTrustDb({ sqlitePath: join(dir, `t${n++}.db`) });
      await migrateTrust(t.db);
      return t;
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
      return t;
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
  /** Another store over the same database with other options (same secret unless given). */
  withOptions(o: Partial<TrustStoreOptions>): TrustStore;
  close(): Promise<void>;
}

export async function makeEnv(factory: DbFactory, o: Partial<TrustStoreOptions> = {}): Promise<Env> {
  const { db, close } = await factory.open();
  const clock = { ms: Date.UTC(2030, 0, 1), advance(s: number) { this.ms += s * 1000; } };
  const events: TrustEvent[] = [];
  const serverSecret = randomBytes(32);
  const base: TrustStoreOptions = {
    db, serverSecret, pwhash: PWHASH_MIN, minWaitSeconds: 3600, defaultWaitSeconds: 3600, codeTtlSeconds: 600,
    vetoHoldSeconds: 7200, now: () => new Date(clock.ms), onEvent: (e) => events.push(e),
  };
  const store = new TrustStore({ ...base, ...o });
  return {
    db, store, events, clock, serverSecret,
    withOptions: (x) => new TrustStore({ ...base, ...o, ...x }),
    close,
  };
}

/** Deletes every row from the trust tables (between property-test runs; cheaper than a new database). */
export async function wipe(db: Kysely<TrustTables>): Promise<void> {
  for (const t of ['trust_reset_code', 'trust_reset_confirmation', 'trust_reset', 'trust_invite', 'trust_slot', 'trust_user'] as const) {
    await db.deleteFrom(t).execute();
  }
}
