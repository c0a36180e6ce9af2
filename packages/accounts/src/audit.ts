import { sql, type Kysely } from 'kysely';
import type { AllTables } from './db.ts';

export type AuditKind =
  | 'signup'
  | 'login'
  | 'password_changed'
  | 'reset_confirmation'
  | 'reset_pending'
  | 'reset_vetoed'
  | 'code_issued'
  | 'reset_completed'
  /** Wrong-password logins, one row per stretch between two of the owner's logins (detail: how many). */
  | 'login_failed';

export interface AuditEntry {
  at: Date;
  kind: string;
  detail: string | null;
}

/** The owner's own activity list. Rows name only the account they are about, never a trustee. */
export class AuditLog {
  constructor(private readonly db: Kysely<AllTables>) {}

  async add(userId: string, kind: AuditKind, at: Date, detail: string | null = null): Promise<void> {
    await this.db.insertInto('accounts_audit').values({ user_id: userId, at: at.getTime(), kind, detail }).execute();
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
          .values({ user_id: userId, at: Number(failed.last_at), kind: 'login_failed', detail: `${failed.failures} since your last visit` })
          .execute();
      }
      await trx.insertInto('accounts_audit').values({ user_id: userId, at: at.getTime(), kind: 'login', detail: null }).execute();
    });
  }

  async list(userId: string, limit = 100): Promise<AuditEntry[]> {
    const [rows, pending] = await Promise.all([
      this.db
        .selectFrom('accounts_audit')
        .select(['at', 'kind', 'detail'])
        .where('user_id', '=', userId)
        .orderBy('at', 'desc')
        .limit(limit)
        .execute(),
      this.db.selectFrom('accounts_login_failure').select(['failures', 'last_at']).where('user_id', '=', userId).executeTakeFirst(),
    ]);
    const entries = rows.map((r) => ({ at: new Date(Number(r.at)), kind: r.kind, detail: r.detail }));
    // Failures while the owner is logged in are shown at once, not only after the next login.
    if (pending)
      entries.push({ at: new Date(Number(pending.last_at)), kind: 'login_failed', detail: `${pending.failures} since you logged in` });
    return entries.sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, limit);
  }
}
