/**
 * @peergroup/trust — the private trust-relations store.
 *
 *   const { db, close } = openTrustDb({ sqlitePath: '/var/lib/peergroup/trust.db' }); // or { postgresUrl }
 *   await migrateTrust(db);                       // own migration table: trust_migration
 *   const store = new TrustStore({ db, serverSecret, onEvent });
 *   const me = await store.login('alice', pw);    // UnlockedUser; rewrites all N slots
 *
 * Errors are TrustError subclasses with a stable `code`. Byte formats: docs/trust-format.md.
 * Threat model: docs/trust-threat-model.md.
 */
export { TrustStore } from './store.ts';
export {
  openTrustDb,
  migrateTrust,
  dialectOf,
  TRUST_MIGRATION_TABLE,
  TRUST_MIGRATION_LOCK_TABLE,
  type TrustDb,
  type TrustDialect,
  type TrustTables,
  type OpenTrustDbOptions,
} from './db.ts';
export { TextStatement, type TextRow } from './db-prepared.ts';
export { PWHASH_INTERACTIVE, PWHASH_MIN, type PwhashParams } from './crypto.ts';
export { newSessionKey, wrapUnlockedUser, unwrapUnlockedUser, SESSION_KEY_BYTES } from './session.ts';
export {
  TrustError,
  InvalidCredentialsError,
  InvalidInviteError,
  InvalidResetCodeError,
  IntegrityError,
  type TrustErrorCode,
} from './errors.ts';
export { normalizeUsername, normalizeResetCode } from './format.ts';
/** k-of-n split of a mail key as a slot rewrite does it (format 3 §4.2); exported for bench/trust. */
export { splitMailKey } from './mail-key.ts';
export type {
  UnlockedUser,
  UserInfo,
  Trustee,
  TrustSettings,
  ResetState,
  PendingReset,
  RequestResetResult,
  ResetCode,
  InviteCode,
  InviteInfo,
  UsedInvites,
  TrustEvent,
  TrustStoreOptions,
} from './types.ts';
