// Public types of the trust store (see README.md for the flows).
import type { Kysely } from 'kysely';
import type { PwhashParams } from './crypto.ts';

/**
 * A user whose X25519 secret key is in memory. Obtained from login/unlock/createUser/redeemInvite/completeReset.
 * Keep it server-side only; between requests store it wrapped (see wrapUnlockedUser in session.ts).
 */
export interface UnlockedUser {
  userId: string;
  username: string;
  /** Key epoch: +1 at every completed reset. */
  epoch: number;
  publicKey: Buffer;
  secretKey: Buffer;
}

export interface UserInfo {
  userId: string;
  username: string;
  admin: boolean;
  disabled: boolean;
  epoch: number;
}

export interface Trustee {
  userId: string;
  username: string;
}

export interface TrustSettings {
  /** k: how many distinct trustees must confirm a reset. 1 ≤ k ≤ slots. */
  threshold: number;
  /** Waiting period after the k-th confirmation, ≥ the operator's minWaitSeconds. */
  waitSeconds: number;
}

export type ResetState = 'collecting' | 'armed' | 'vetoed';

/** What A's own dashboard shows about a reset of A's account. Never says which trustees confirmed. */
export interface PendingReset {
  state: ResetState;
  confirmations: number;
  threshold: number;
  createdAt: Date;
  /** When a trustee may fetch the code (armed only). */
  effectiveAt: Date | null;
  /** Until when new requests are ignored (vetoed only). */
  vetoedUntil: Date | null;
}

export interface RequestResetResult {
  /** True when the requester holds a valid token for one of the target's slots and it was counted (or already was). */
  recorded: boolean;
  /**
   * Only to the trustee whose request started the reset (format 3): the mail code, shown once, handed to the owner
   * with the reset code. Without it the completed reset cannot restore the mail key.
   */
  mailCode?: string;
  /**
   * Only to a genuine trustee (their token passed the reset check): the owner cancelled the reset and the veto hold
   * is running, so nothing was recorded. Anyone else gets the plain `recorded: false`.
   */
  vetoed?: true;
}

export interface ResetCode {
  /** Show once, hand to the account owner in person. */
  code: string;
  expiresAt: Date;
}

export interface InviteCode {
  id: string;
  /** Show once: only a keyed hash is stored. */
  code: string;
  expiresAt: Date;
}

export interface InviteInfo {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  state: 'open' | 'expired' | 'revoked';
  /** The inviter's note (format 6), only when listed for the unlocked inviter and one was written. */
  note?: string;
}

/** The inviter's used invites (format 6): when each was made and used, and its note; never who used it. */
export interface UsedInvites {
  invites: { createdAt: Date; usedAt: Date; note?: string }[];
  /** Entries sealed to the key the inviter had before a reset. */
  unreadable: number;
}

/**
 * Events for the owner's own audit list and notifications. Each carries only the id of the account it is about,
 * never a trustee's or inviter's id.
 */
export type TrustEvent =
  | { type: 'user-created'; userId: string; at: Date }
  | { type: 'login'; userId: string; at: Date }
  | { type: 'password-changed'; userId: string; at: Date }
  | { type: 'trustee-added'; userId: string; at: Date }
  | { type: 'trustee-removed'; userId: string; at: Date }
  | { type: 'reset-requested'; userId: string; confirmations: number; threshold: number; at: Date }
  | { type: 'reset-armed'; userId: string; effectiveAt: Date; at: Date }
  | { type: 'reset-vetoed'; userId: string; at: Date }
  | { type: 'reset-code-issued'; userId: string; expiresAt: Date; at: Date }
  /** The service must end every session of userId (the old key epoch is gone). */
  | { type: 'reset-completed'; userId: string; epoch: number; at: Date }
  /** Stored data failed a server-secret check: someone wrote to the database. */
  | { type: 'integrity-alert'; userId: string; what: IntegrityAlertKind; at: Date }
  /**
   * A format-1 database got its user tags (format 2) at this store's first use. `untagged` rows were malformed and
   * now read as tampered. Expected exactly once per database: a second one means someone reverted the database.
   */
  | { type: 'format-upgraded'; users: number; untagged: number; at: Date };

/**
 * What failed: `public-key` a trustee's/target's stored key (nothing is sealed to it), `own-public-key` the user's
 * own public-key column (repaired from the authenticated key), `malformed-row` a value out of type/length/range,
 * `account-state` the server-keyed user tag (wrapped key, counters, settings or reset state were edited).
 */
export type IntegrityAlertKind = 'public-key' | 'own-public-key' | 'malformed-row' | 'account-state';

export interface TrustStoreOptions {
  /** Any Kysely instance on SQLite (better-sqlite3) or PostgreSQL (pg) after migrateTrust(). */
  db: Kysely<any>;
  /** 32 secret bytes kept outside the database (config/secret file). Keys every tag and code hash. */
  serverSecret: Uint8Array;
  /** N: trust slots per user, real or dummy. Default 8. */
  slots?: number;
  /** Argon2id cost for new wraps. Default libsodium INTERACTIVE (64 MiB). Tests may use PWHASH_MIN. */
  pwhash?: PwhashParams;
  /** Operator minimum for a user's reset waiting period. Default 86400 (1 day). */
  minWaitSeconds?: number;
  /** Waiting period for new users. Default 259200 (3 days), raised to minWaitSeconds if lower. */
  defaultWaitSeconds?: number;
  /** Lifetime of a reset code. Default 86400. */
  codeTtlSeconds?: number;
  /** After a veto, reset requests for that user are ignored this long. Default 604800 (7 days). */
  vetoHoldSeconds?: number;
  /**
   * A reset still collecting confirmations this long after it started, or armed this long past its effective
   * time, is void. Default 1209600 (14 days).
   */
  resetTtlSeconds?: number;
  /** Minimum password length in characters. Default 8. */
  minPasswordLength?: number;
  invite?: {
    /** Open (unredeemed, unexpired, unrevoked) invites a user may hold at once. Default 5. */
    quota?: number;
    /** Default 1209600 (14 days). */
    ttlSeconds?: number;
  };
  /**
   * Whether a format-1 database (no user tags yet) may be upgraded at first use. Default true. Once upgraded, set it
   * to false: then a writer who reverts the database to format 1 cannot have its rows tagged as they are.
   */
  allowFormatUpgrade?: boolean;
  now?: () => Date;
  /** Called after the change is committed. Must not throw (errors are swallowed). */
  onEvent?: (e: TrustEvent) => void;
}
