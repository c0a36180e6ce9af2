import { sql, type Kysely } from 'kysely';
import type { TrustSettings, TrustStore, UnlockedUser } from '@peergroup/trust';
import type { AllTables } from './db.ts';
import { openJson, sealJson } from './sealed.ts';

/** Entries stored as they are: nothing in them tells a database reader anything about the trust graph. */
export type AuditKind =
  | 'signup'
  | 'login'
  | 'password_changed'
  | 'reset_confirmation'
  | 'reset_pending'
  | 'reset_vetoed'
  | 'code_issued'
  | 'reset_completed'
  /** Written by the reset pages (routes/public.tsx) after a completed reset of a mail account: was old mail restored? */
  | 'reset_mail_restored'
  | 'reset_mail_lost'
  | 'recovery_code_created'
  | 'recovery_code_used'
  /** The owner read the dashboard's explanation of their last reset (hidden from the activity list). */
  | 'reset_explained'
  /** Wrong-password logins, one row per stretch between two of the owner's logins (params.n: how many). */
  | 'login_failed'
  /** k changed (params.from, params.to). k itself is a column of trust_user, so its history adds nothing secret. */
  | 'k_changed'
  /** The waiting period changed (params.from, params.to in seconds); a trust_user column like k. */
  | 'wait_changed'
  /** The owner ended their other sessions (params.n). */
  | 'sessions_logged_out'
  /** A mail app password was made: a device that keeps mailbox access after every session has ended. */
  | 'app_password_created'
  /** The mail account's main password limited to the web (on) or allowed in mail clients again (off). */
  | 'web_only_on'
  | 'web_only_off'
  // The recovery code and the reset pages' own entries (routes/account.tsx, routes/public.tsx).
  | 'recovery_code_created'
  | 'recovery_code_used'
  | 'reset_mail_restored'
  | 'reset_mail_lost'
  | 'reset_explained';

/**
 * Entries sealed to the owner's public key (sealed.ts); the row's kind column says only 'sealed'. Who someone
 * trusts, and when they stopped, is the trust graph the store hides from a database reader (docs/trust-threat-model.md,
 * "does not learn how many people a user trusts, whom a user trusts"); an invite is sealed too because the inviter
 * becomes the invitee's first trusted user, so "A made an invite at T" next to "an account was created at T + 1h"
 * is an edge. The owner sees whom; nobody else, not the server without one of the owner's sessions, can.
 */
export type SealedKind = 'trustee_added' | 'trustee_removed' | 'invite_created';

export type Params = Record<string, string | number>;

export interface AuditEntry {
  at: Date;
  kind: AuditKind | SealedKind | string;
  params: Params;
  /** A row written before entries had parameters: its English detail, shown as it was recorded. */
  legacy: string | null;
}

export interface ActivityList {
  entries: AuditEntry[];
  /** Sealed entries this key cannot open: they were sealed to the key the account had before its last reset. */
  unreadable: number;
}

/** Called for every recorded entry; notifications.ts decides which ones the owner is mailed about. */
export type OnRecorded = (userId: string, kind: AuditKind | SealedKind, params: Params, at: Date) => void;

function isParams(v: unknown): v is Params {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string' || typeof x === 'number')
  );
}

function parseDetail(detail: string | null): { params: Params; legacy: string | null } {
  if (detail === null) return { params: {}, legacy: null };
  if (detail.startsWith('{')) {
    try {
      const v = JSON.parse(detail) as unknown;
      if (isParams(v)) return { params: v, legacy: null };
    } catch {
      // An old free-text detail that happens to start with a brace.
    }
  }
  return { params: {}, legacy: detail };
}

/**
 * The owner's own activity list. Rows name only the account they are about; entries about trusted users and
 * invites are sealed to the owner (SealedKind), so the list never shows the trust graph to anyone else.
 */
export class AuditLog {
  constructor(
    private readonly db: Kysely<AllTables>,
    private readonly onRecorded: OnRecorded = () => {},
    /** The service's clock, for entries recorded by the web routes (the store's events carry their own time). */
    readonly now: () => Date = () => new Date(),
  ) {}

  async add(userId: string, kind: AuditKind, at: Date, params: Params | null = null): Promise<void> {
    const detail = params ? JSON.stringify(params) : null;
    await this.db.insertInto('accounts_audit').values({ user_id: userId, at: at.getTime(), kind, detail, box: null }).execute();
    this.onRecorded(userId, kind, params ?? {}, at);
  }

  /** An entry only the owner can read: written with their public key, read with the secret key of a session. */
  async addSealed(user: UnlockedUser, kind: SealedKind, params: Params = {}, at = this.now()): Promise<void> {
    const box = sealJson({ kind, params }, user.publicKey);
    await this.db
      .insertInto('accounts_audit')
      .values({ user_id: user.userId, at: at.getTime(), kind: 'sealed', detail: null, box })
      .execute();
    // The notification names nobody: mail passes through queues and logs in the clear.
    this.onRecorded(user.userId, kind, {}, at);
  }

  /**
   * Counts a wrong-password login for the owner in one row (an atomic upsert, so guessing adds no rows), turned
   * into a single activity entry at their next login.
   */
  async failedLogin(userId: string, at: Date): Promise<void> {
    await this.db
      .insertInto('accounts_login_failure')
      .values({ user_id: userId, failures: 1, last_at: at.getTime() })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({ failures: sql<number>`accounts_login_failure.failures + 1`, last_at: at.getTime() }),
      )
      .execute();
  }

  /** A login: the failed attempts since the previous one become one entry before it. */
  async loggedIn(userId: string, at: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const failed = await trx
        .deleteFrom('accounts_login_failure')
        .where('user_id', '=', userId)
        .returning(['failures', 'last_at'])
        .executeTakeFirst();
      if (failed) {
        await trx
          .insertInto('accounts_audit')
          .values({
            user_id: userId,
            at: Number(failed.last_at),
            kind: 'login_failed',
            detail: JSON.stringify({ n: Number(failed.failures) }),
            box: null,
          })
          .execute();
      }
      await trx
        .insertInto('accounts_audit')
        .values({ user_id: userId, at: at.getTime(), kind: 'login', detail: null, box: null })
        .execute();
    });
  }

  /**
   * The owner's latest entries of these plain kinds, newest first: one query on (user_id, at) that opens no sealed
   * box and reads no pending failures, for a page that looks for a few kinds on every view (the dashboard's reset).
   */
  async latestOf(userId: string, kinds: readonly AuditKind[], limit = 50): Promise<AuditEntry[]> {
    const rows = await this.db
      .selectFrom('accounts_audit')
      .select(['at', 'kind', 'detail'])
      .where('user_id', '=', userId)
      .where('kind', 'in', kinds)
      .orderBy('at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ at: new Date(Number(r.at)), kind: r.kind, ...parseDetail(r.detail) }));
  }

  async list(user: UnlockedUser, limit = 100): Promise<ActivityList> {
    const [rows, pending] = await Promise.all([
      this.db
        .selectFrom('accounts_audit')
        .select(['at', 'kind', 'detail', 'box'])
        .where('user_id', '=', user.userId)
        .orderBy('at', 'desc')
        .limit(limit)
        .execute(),
      this.db.selectFrom('accounts_login_failure').select(['failures', 'last_at']).where('user_id', '=', user.userId).executeTakeFirst(),
    ]);
    let unreadable = 0;
    const entries: AuditEntry[] = [];
    for (const r of rows) {
      const at = new Date(Number(r.at));
      if (r.kind === 'sealed') {
        const v = r.box ? openJson(r.box, user.publicKey, user.secretKey) : null;
        const o = v as { kind?: unknown; params?: unknown } | null;
        if (o && typeof o.kind === 'string' && isParams(o.params)) entries.push({ at, kind: o.kind, params: o.params, legacy: null });
        else unreadable++;
        continue;
      }
      entries.push({ at, kind: r.kind, ...parseDetail(r.detail) });
    }
    // Failures while the owner is logged in are shown at once, not only after the next login.
    if (pending) {
      entries.push({ at: new Date(Number(pending.last_at)), kind: 'login_failed', params: { n: Number(pending.failures) }, legacy: null });
    }
    return { entries: entries.sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, limit), unreadable };
  }
}

/**
 * Sets k and the waiting period and records what changed: the trust store emits no event for its settings, and a
 * session that lowers k silently is the first step of taking an account over.
 */
export async function changeResetRules(
  trust: TrustStore,
  audit: AuditLog,
  userId: string,
  settings: Partial<TrustSettings>,
): Promise<TrustSettings> {
  const at = audit.now();
  const before = await trust.getSettings(userId);
  const after = await trust.setSettings(userId, settings);
  if (after.threshold !== before.threshold) await audit.add(userId, 'k_changed', at, { from: before.threshold, to: after.threshold });
  if (after.waitSeconds !== before.waitSeconds) {
    await audit.add(userId, 'wait_changed', at, { from: before.waitSeconds, to: after.waitSeconds });
  }
  return after;
}
