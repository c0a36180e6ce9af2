// Storage: one kysely schema and one migration set for SQLite (better-sqlite3) and PostgreSQL (pg).
import Database from 'better-sqlite3';
import type pg from 'pg';
import {
  Kysely,
  Migrator,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
} from 'kysely';
import { poolWithNamedStatements, sqliteWithStatementCache } from './db-prepared.ts';

/** Timestamps are integer milliseconds since the epoch (bigint in PostgreSQL, parsed back to number). */
export interface TrustUserTable {
  id: string;
  username: string;
  is_admin: number;
  disabled: number;
  epoch: number;
  slot_gen: number;
  public_key: Buffer;
  pk_tag: Buffer;
  wrapped_sk: Buffer;
  pw_salt: Buffer;
  pw_opslimit: number;
  pw_memlimit: number;
  pw_alg: number;
  threshold: number;
  wait_seconds: number;
  /** Server-keyed tag over the account's key material, counters, settings and reset state (format §3.1). */
  user_tag: Buffer | null;
  /** Format 6: the user's used invites, 235-byte entries sealed to their public key (format §6); NULL for none. */
  invites_used?: Buffer | null;
}

/** Store-wide values; `format` holds the server-keyed marker of an upgraded (format 2) database. */
export interface TrustMetaTable {
  name: string;
  value: Buffer;
}

export interface TrustSlotTable {
  user_id: string;
  slot: number;
  owner_box: Buffer;
  token_box: Buffer;
  tag: Buffer;
}

export interface TrustResetTable {
  user_id: string;
  state: 'collecting' | 'armed' | 'vetoed';
  created_at: number;
  armed_at: number | null;
  effective_at: number | null;
  vetoed_at: number | null;
}

export interface TrustResetConfirmationTable {
  user_id: string;
  slot: number;
}

export interface TrustResetCodeTable {
  user_id: string;
  code_hash: Buffer;
  expires_at: number;
  /** Format 5: who obtained the code, sealed under a key from the code (docs/trust-format.md §5 step 4). */
  trustee_box: Buffer | null;
}

export interface TrustInviteTable {
  id: string;
  inviter_id: string;
  code_hash: Buffer;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  /** Format 6: the inviter's note, sealed to their public key (format §6); NULL for invites made before. */
  note_box?: Buffer | null;
}

export interface TrustMailKeyTable {
  user_id: string;
  mail_box: Buffer;
  mail_check: Buffer;
}

export interface TrustResetKeyTable {
  user_id: string;
  public_key: Buffer;
  salt: Buffer;
  opslimit: number;
  memlimit: number;
}

export interface TrustResetShareTable {
  user_id: string;
  slot: number;
  box: Buffer;
}

export interface TrustRecoveryTable {
  user_id: string;
  salt: Buffer;
  opslimit: number;
  memlimit: number;
  box: Buffer;
}

export interface TrustTables {
  trust_user: TrustUserTable;
  trust_slot: TrustSlotTable;
  trust_reset: TrustResetTable;
  trust_reset_confirmation: TrustResetConfirmationTable;
  trust_reset_code: TrustResetCodeTable;
  trust_invite: TrustInviteTable;
  trust_meta: TrustMetaTable;
  trust_mail_key: TrustMailKeyTable;
  trust_reset_key: TrustResetKeyTable;
  trust_reset_share: TrustResetShareTable;
  trust_recovery: TrustRecoveryTable;
}

export type TrustDialect = 'sqlite' | 'postgres';

export interface TrustDb {
  db: Kysely<TrustTables>;
  dialect: TrustDialect;
  close(): Promise<void>;
}

export type OpenTrustDbOptions =
  | { sqlitePath: string; postgresUrl?: never }
  | { postgresUrl: string; sqlitePath?: never; poolSize?: number };

/** Parses int8 as a JS number: every bigint we store (ms timestamps, counters) is far below 2^53. */
function int8Types(types: typeof pg.types): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === 20) return (v: string) => Number(v);
      return types.getTypeParser(oid, format as 'text');
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

export function openTrustDb(opts: OpenTrustDbOptions): TrustDb {
  if ('postgresUrl' in opts && opts.postgresUrl) {
    const { postgresUrl, poolSize } = opts;
    // pg is imported when Kysely first asks for the pool (the first query), not with this module: a SQLite
    // deployment never loads it (about 130 KB of code in every accounts process, bench/footprint).
    const pool = async () => {
      const { default: driver } = await import('pg');
      const p = new driver.Pool({ connectionString: postgresUrl, max: poolSize ?? 10, types: int8Types(driver.types) });
      // An idle pooled connection that the server drops (restart, admin shutdown) emits 'error' on the pool; without a
      // listener that crashes the process. The pool discards the client and the next query reconnects.
      p.on('error', () => {});
      return poolWithNamedStatements(p);
    };
    const db = new Kysely<TrustTables>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  if ('sqlitePath' in opts && opts.sqlitePath) {
    const sqlite = new Database(opts.sqlitePath);
    sqlite.pragma('journal_mode = WAL');
    // Deleted and superseded cells and freed pages are overwritten with zeros (format §9, threat model).
    sqlite.pragma('secure_delete = ON');
    sqlite.pragma('foreign_keys = ON');
    // Other connections (e.g. the accounts service's own) wait instead of failing with SQLITE_BUSY.
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<TrustTables>({ dialect: new SqliteDialect({ database: sqliteWithStatementCache(sqlite) }) });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  throw new TypeError('openTrustDb: give either sqlitePath or postgresUrl');
}

/** Detects the dialect of any Kysely instance (so a store can share the accounts service's instance). */
export function dialectOf(db: Kysely<any>): TrustDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

export const TRUST_MIGRATION_TABLE = 'trust_migration';
export const TRUST_MIGRATION_LOCK_TABLE = 'trust_migration_lock';

function blobType(db: Kysely<any>) {
  return dialectOf(db) === 'postgres' ? 'bytea' : 'blob';
}

export const TRUST_MIGRATIONS: Record<string, Migration> = {
  '0001_trust_initial': {
    async up(db: Kysely<any>) {
      const blob = blobType(db);
      await db.schema
        .createTable('trust_user')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .addColumn('slot_gen', 'bigint', (c) => c.notNull())
        .addColumn('public_key', blob, (c) => c.notNull())
        .addColumn('pk_tag', blob, (c) => c.notNull())
        .addColumn('wrapped_sk', blob, (c) => c.notNull())
        .addColumn('pw_salt', blob, (c) => c.notNull())
        .addColumn('pw_opslimit', 'integer', (c) => c.notNull())
        .addColumn('pw_memlimit', 'bigint', (c) => c.notNull())
        .addColumn('pw_alg', 'integer', (c) => c.notNull())
        .addColumn('threshold', 'integer', (c) => c.notNull())
        .addColumn('wait_seconds', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('trust_slot')
        .addColumn('user_id', 'text', (c) => c.notNull().references('trust_user.id').onDelete('cascade'))
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addColumn('owner_box', blob, (c) => c.notNull())
        .addColumn('token_box', blob, (c) => c.notNull())
        .addColumn('tag', blob, (c) => c.notNull())
        .addPrimaryKeyConstraint('trust_slot_pk', ['user_id', 'slot'])
        .execute();
      await db.schema
        .createTable('trust_reset')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('trust_user.id').onDelete('cascade'))
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('armed_at', 'bigint')
        .addColumn('effective_at', 'bigint')
        .addColumn('vetoed_at', 'bigint')
        .execute();
      await db.schema
        .createTable('trust_reset_confirmation')
        .addColumn('user_id', 'text', (c) => c.notNull().references('trust_reset.user_id').onDelete('cascade'))
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('trust_reset_confirmation_pk', ['user_id', 'slot'])
        .execute();
      await db.schema
        .createTable('trust_reset_code')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('trust_user.id').onDelete('cascade'))
        .addColumn('code_hash', blob, (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('trust_invite')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('inviter_id', 'text', (c) => c.notNull().references('trust_user.id').onDelete('cascade'))
        .addColumn('code_hash', blob, (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('trust_invite_inviter').on('trust_invite').column('inviter_id').execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['trust_invite', 'trust_reset_code', 'trust_reset_confirmation', 'trust_reset', 'trust_slot', 'trust_user']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  },
  // Format 2: the user tag. Existing rows get theirs from the TrustStore at its first use (it holds the server
  // secret, the migration does not); see upgradeFormat in binding.ts.
  '0002_trust_user_tag': {
    async up(db: Kysely<any>) {
      const blob = blobType(db);
      await db.schema.alterTable('trust_user').addColumn('user_tag', blob).execute();
      await db.schema
        .createTable('trust_meta')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', blob, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('trust_meta').ifExists().execute();
      await db.schema.alterTable('trust_user').dropColumn('user_tag').execute();
    },
  },
  // Format 3: the mail key, its wrap under the owner's secret key, and the shares confirmed during a reset.
  '0003_trust_mail_key': {
    async up(db: Kysely<any>) {
      const blob = blobType(db);
      await db.schema
        .createTable('trust_mail_key')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('trust_user.id').onDelete('cascade'))
        .addColumn('mail_box', blob, (c) => c.notNull())
        .addColumn('mail_check', blob, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('trust_reset_key')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('trust_reset.user_id').onDelete('cascade'))
        .addColumn('public_key', blob, (c) => c.notNull())
        .addColumn('salt', blob, (c) => c.notNull())
        .addColumn('opslimit', 'integer', (c) => c.notNull())
        .addColumn('memlimit', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('trust_reset_share')
        .addColumn('user_id', 'text', (c) => c.notNull().references('trust_reset.user_id').onDelete('cascade'))
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addColumn('box', blob, (c) => c.notNull())
        .addPrimaryKeyConstraint('trust_reset_share_pk', ['user_id', 'slot'])
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['trust_reset_share', 'trust_reset_key', 'trust_mail_key']) await db.schema.dropTable(t).ifExists().execute();
    },
  },
  // Format 3, second half: the mail key wrapped under the user's recovery code.
  '0004_trust_recovery': {
    async up(db: Kysely<any>) {
      const blob = blobType(db);
      await db.schema
        .createTable('trust_recovery')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('trust_user.id').onDelete('cascade'))
        .addColumn('salt', blob, (c) => c.notNull())
        .addColumn('opslimit', 'integer', (c) => c.notNull())
        .addColumn('memlimit', 'bigint', (c) => c.notNull())
        .addColumn('box', blob, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('trust_recovery').ifExists().execute();
    },
  },
  // Format 5: the trustee who obtained the reset code, re-added when the reset completes.
  '0005_trust_reset_code_trustee': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('trust_reset_code').addColumn('trustee_box', blobType(db)).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('trust_reset_code').dropColumn('trustee_box').execute();
    },
  },
  // Format 6: the inviter's sealed note on an invite, and the sealed log of their used invites.
  '0006_trust_invite_note': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('trust_invite').addColumn('note_box', blobType(db)).execute();
      await db.schema.alterTable('trust_user').addColumn('invites_used', blobType(db)).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('trust_user').dropColumn('invites_used').execute();
      await db.schema.alterTable('trust_invite').dropColumn('note_box').execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => TRUST_MIGRATIONS };

/** Brings the trust tables up to date. Uses its own migration tables, so other packages can migrate the same database. */
export async function migrateTrust(db: Kysely<any>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: TRUST_MIGRATION_TABLE,
    migrationLockTableName: TRUST_MIGRATION_LOCK_TABLE,
    // Kysely orders the given migrations by code unit (sort()) and breaks ties between applied ones with localeCompare,
    // which loads ICU's collation data (about 1.3 MB of every restart's RSS, bench/footprint); the names are ASCII, so
    // code-unit order is the same order, and now the same rule on both sides.
    nameComparator: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return result;
}
