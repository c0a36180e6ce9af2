// The mail tables, in the accounts database next to the trust tables. Migration 0002 of db.ts creates them.
import type { Kysely } from 'kysely';
import { dialectOf } from '@peergroup/trust';

export interface MailAccountTable {
  user_id: string;
  /** `$argon2id$…` of the main password at the mail cost (verifier.ts); null until the password is next set or used on the web. */
  verifier: string | null;
  /** 1: the main password works on the web only, mail clients need an app password. */
  web_only: number;
  /** Operator override of the default quota in bytes (null = default, 0 = unlimited). */
  quota_bytes: number | null;
  /** The user asked to delete the account; it goes at delete_at unless cancelled. */
  delete_at: number | null;
  /** The account was deleted: no login, no mailbox, its name and aliases stay taken. */
  deleted_at: number | null;
}

export interface MailAppPasswordTable {
  id: string;
  user_id: string;
  name: string;
  /** Keyed hash (HMAC-SHA-256 under a server subkey) of user id and secret: a database reader cannot test guesses. */
  hash: Buffer;
  created_at: number;
  last_used_at: number | null;
  /** The user's Dovecot key wrapped under this app password (docs/mail-crypt.md §3.2); null for an account without encryption. Migration 0006. */
  crypt_box: Buffer | null;
}

/** An account whose mailbox is encrypted (docs/mail-crypt.md §3): its Dovecot public key and the main password's wrap. Migration 0006. */
export interface MailCryptKeyTable {
  user_id: string;
  /** Q_U, the SEC1 uncompressed P-256 point (65 bytes): LMTP encrypts deliveries to it. */
  public_key: Buffer;
  /** The main password's wrap of d_U; null while no password is known for the current key (then the main password cannot read mail). */
  pw_salt: Buffer | null;
  pw_opslimit: number | null;
  pw_memlimit: number | null;
  pw_box: Buffer | null;
  created_at: number;
}

export interface MailDomainTable {
  name: string;
  /** Username that gets mail for addresses of this domain nobody has (null: none, unknown addresses are refused). */
  catch_all: string | null;
  created_at: number;
}

export interface MailAliasTable {
  /** local@domain, lower case. */
  address: string;
  user_id: string;
  kind: 'custom' | 'random';
  note: string | null;
  created_at: number;
  /** Deleted aliases stay as tombstones: during the cool-down only their former owner may take them again. */
  deleted_at: number | null;
}

export interface MailTables {
  mail_account: MailAccountTable;
  mail_app_password: MailAppPasswordTable;
  mail_domain: MailDomainTable;
  mail_alias: MailAliasTable;
  mail_crypt_key: MailCryptKeyTable;
}

export async function createMailTables(db: Kysely<any>): Promise<void> {
  const blob = dialectOf(db) === 'postgres' ? 'bytea' : 'blob';
  await db.schema
    .createTable('mail_account')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('trust_user.id').onDelete('cascade'))
    .addColumn('verifier', 'text')
    .addColumn('web_only', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('quota_bytes', 'bigint')
    .addColumn('delete_at', 'bigint')
    .addColumn('deleted_at', 'bigint')
    .execute();
  await db.schema
    .createTable('mail_app_password')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('trust_user.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hash', blob, (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('mail_app_password_user').on('mail_app_password').column('user_id').execute();
  await db.schema
    .createTable('mail_domain')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('catch_all', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // No foreign key on user_id: tombstones must outlive the account they belonged to.
  await db.schema
    .createTable('mail_alias')
    .addColumn('address', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .execute();
  await db.schema.createIndex('mail_alias_user').on('mail_alias').column('user_id').execute();
}

export async function dropMailTables(db: Kysely<any>): Promise<void> {
  for (const t of ['mail_alias', 'mail_domain', 'mail_app_password', 'mail_account']) await db.schema.dropTable(t).ifExists().execute();
}

/** Migration 0006 (mailbox encryption, docs/mail-crypt.md). */
export async function createMailCryptTables(db: Kysely<any>): Promise<void> {
  const blob = dialectOf(db) === 'postgres' ? 'bytea' : 'blob';
  await db.schema
    .createTable('mail_crypt_key')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('trust_user.id').onDelete('cascade'))
    .addColumn('public_key', blob, (c) => c.notNull())
    .addColumn('pw_salt', blob)
    .addColumn('pw_opslimit', 'integer')
    .addColumn('pw_memlimit', 'bigint')
    .addColumn('pw_box', blob)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('mail_app_password').addColumn('crypt_box', blob).execute();
}

export async function dropMailCryptTables(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('mail_app_password').dropColumn('crypt_box').execute();
  await db.schema.dropTable('mail_crypt_key').ifExists().execute();
}
