// The accounts service's own tables, in the same database as the trust tables, with its own migration table.
import { type Kysely, Migrator, type Migration, type MigrationProvider } from 'kysely';
import { dialectOf, type TrustTables } from '@peergroup/trust';
import { createMailCryptTables, createMailTables, dropMailCryptTables, dropMailTables, type MailTables } from './mail/tables.ts';
import type { AccountsRateLimitTable } from './rate-limit-store.ts';
import type { AccountsUserLocaleTable } from './i18n/user-locale-store.ts';

export interface AccountsSessionTable {
  /** Keyed hash of the cookie's session id: a database reader cannot turn rows into cookies. */
  id_hash: string;
  user_id: string;
  username: string;
  /** Key epoch the blob was made for; a reset (epoch + 1) makes the session useless. */
  epoch: number;
  created_at: number;
  expires_at: number;
  /** The user's secret key wrapped with a key only the cookie carries (trust's session blob). */
  blob: Buffer;
  /** Last request, to the update interval (sessions.ts); null until the first request after the login. */
  last_seen_at: number | null;
  /** Browser and system family (no versions) sealed to the owner's public key (sessions.ts); null for older rows. */
  client_box: Buffer | null;
}

export interface AccountsAuditTable {
  user_id: string;
  at: number;
  kind: string;
  detail: string | null;
  /** kind 'sealed': the entry sealed to the owner's public key (audit.ts), so a database reader cannot read it. */
  box: Buffer | null;
}

export interface AccountsUserSettingTable {
  user_id: string;
  /** Operator override of the default invite quota (null = default). */
  invite_quota: number | null;
}

/** Wrong-password logins since the owner's last login, shown in their activity list (audit.ts). */
export interface AccountsLoginFailureTable {
  user_id: string;
  failures: number;
  last_at: number;
}

export interface AccountsTables {
  accounts_session: AccountsSessionTable;
  accounts_audit: AccountsAuditTable;
  accounts_user_setting: AccountsUserSettingTable;
  accounts_rate_limit: AccountsRateLimitTable;
  accounts_login_failure: AccountsLoginFailureTable;
  accounts_user_locale: AccountsUserLocaleTable;
}

export type AllTables = AccountsTables & TrustTables & MailTables;

export const ACCOUNTS_MIGRATION_TABLE = 'accounts_migration';
export const ACCOUNTS_MIGRATION_LOCK_TABLE = 'accounts_migration_lock';

const migrations: Record<string, Migration> = {
  '0001_accounts_initial': {
    async up(db: Kysely<any>) {
      const blob = dialectOf(db) === 'postgres' ? 'bytea' : 'blob';
      await db.schema
        .createTable('accounts_session')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('trust_user.id').onDelete('cascade'))
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('blob', blob, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('accounts_session_user').on('accounts_session').column('user_id').execute();
      await db.schema
        .createTable('accounts_audit')
        .addColumn('user_id', 'text', (c) => c.notNull().references('trust_user.id').onDelete('cascade'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('accounts_audit_user_at').on('accounts_audit').columns(['user_id', 'at']).execute();
      await db.schema
        .createTable('accounts_user_setting')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('trust_user.id').onDelete('cascade'))
        .addColumn('invite_quota', 'integer')
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['accounts_user_setting', 'accounts_audit', 'accounts_session']) await db.schema.dropTable(t).ifExists().execute();
    },
  },
  // Mail accounts (mail/tables.ts): created whether or not mailboxes are configured, so turning them on later needs no migration.
  '0002_mail': { up: createMailTables, down: dropMailTables },
  // Rate-limit buckets shared by every instance on the database (rate-limit-store.ts), and the owner's count of
  // failed logins. Neither is worth keeping in a backup; both are safe to empty.
  '0003_rate_limits': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('accounts_rate_limit')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('last_failure', 'bigint', (c) => c.notNull())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('next_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('accounts_rate_limit_expires').on('accounts_rate_limit').column('expires_at').execute();
      await db.schema
        .createTable('accounts_login_failure')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('trust_user.id').onDelete('cascade'))
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('last_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['accounts_login_failure', 'accounts_rate_limit']) await db.schema.dropTable(t).ifExists().execute();
    },
  },
  // Each user's language and time zone for the mail sent to them (i18n/user-locale-store.ts); null = not chosen.
  '0004_user_locale': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('accounts_user_locale')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('trust_user.id').onDelete('cascade'))
        .addColumn('lang', 'text')
        .addColumn('time_zone', 'text')
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('accounts_user_locale').ifExists().execute();
    },
  },
  // Mailbox encryption (mail/tables.ts, docs/mail-crypt.md): each encrypted account's Dovecot public key and wraps.
  '0006_mail_crypt': { up: createMailCryptTables, down: dropMailCryptTables },
  // Sessions the owner can list (last seen, a sealed browser/system description) and activity entries sealed to the
  // owner's key (trust changes and invites: the database must not show the trust graph, audit.ts).
  '0007_sessions_activity': {
    async up(db: Kysely<any>) {
      const blob = dialectOf(db) === 'postgres' ? 'bytea' : 'blob';
      await db.schema.alterTable('accounts_session').addColumn('last_seen_at', 'bigint').execute();
      await db.schema.alterTable('accounts_session').addColumn('client_box', blob).execute();
      await db.schema.alterTable('accounts_audit').addColumn('box', blob).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('accounts_audit').dropColumn('box').execute();
      await db.schema.alterTable('accounts_session').dropColumn('client_box').execute();
      await db.schema.alterTable('accounts_session').dropColumn('last_seen_at').execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Run after the trust migrations (the accounts tables reference trust_user). */
export async function migrateAccounts(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: ACCOUNTS_MIGRATION_TABLE,
    migrationLockTableName: ACCOUNTS_MIGRATION_LOCK_TABLE,
    // Kysely orders the given migrations by code unit (sort()) and breaks ties between applied ones with localeCompare,
    // which loads ICU's collation data (about 1.3 MB of every restart's RSS, bench/footprint); the names are ASCII, so
    // code-unit order is the same order, and now the same rule on both sides.
    nameComparator: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
}
