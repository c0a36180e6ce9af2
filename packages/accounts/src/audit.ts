import type { Kysely } from 'kysely';
import type { AllTables } from './db.ts';

export type AuditKind =
  | 'signup'
  | 'login'
  | 'password_changed'
  | 'reset_confirmation'
  | 'reset_pending'
  | 'reset_vetoed'
  | 'code_issued'
  | 'reset_completed';

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

  async list(userId: string, limit = 100): Promise<AuditEntry[]> {
    const rows = await this.db
      .selectFrom('accounts_audit')
      .select(['at', 'kind', 'detail'])
      .where('user_id', '=', userId)
      .orderBy('at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ at: new Date(Number(r.at)), kind: r.kind, detail: r.detail }));
  }
}
