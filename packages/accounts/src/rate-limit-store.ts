// Rate-limit buckets in the accounts database, so every accounts instance on one PostgreSQL (or the one process on
// SQLite) counts against the same limits and a restart does not hand out fresh attempts. Migration 0003 of db.ts
// creates the table; rate-limit.ts decides what the counts mean.
import { sql, type Kysely } from 'kysely';
import type { AllTables } from './db.ts';
import { keyedHash } from './tokens.ts';

export interface AccountsRateLimitTable {
  /** Keyed hash of scope and bucket key: the table shows no usernames, addresses or cookie values. */
  id: string;
  /** Time of the latest failure: the count is forgotten a window after it. */
  last_failure: number;
  failures: number;
  /** No attempt is admitted on this bucket before this time (ms; 0: none pending). */
  next_at: number;
  /** The row means nothing after this (window over and no wait pending): pruned. */
  expires_at: number;
}

export interface BucketState {
  failures: number;
  lastFailure: number;
  nextAt: number;
}

const T = 'accounts_rate_limit';

export class RateLimitStore {
  constructor(
    private readonly db: Kysely<AllTables>,
    private readonly key: Buffer,
    readonly now: () => number = Date.now,
  ) {}

  id(scope: string, key: string): string {
    return keyedHash(this.key, 'rate-limit', scope, key).subarray(0, 18).toString('base64url');
  }

  async read(ids: string[]): Promise<Map<string, BucketState>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.selectFrom(T).select(['id', 'last_failure', 'failures', 'next_at']).where('id', 'in', ids).execute();
    return new Map(
      rows.map((r) => [r.id, { failures: Number(r.failures), lastFailure: Number(r.last_failure), nextAt: Number(r.next_at) }]),
    );
  }

  /**
   * Takes the bucket's next admission: true for exactly one caller across all instances once `next_at` has passed
   * (a conditional update is atomic on both databases), which then sets the following one to `nextAt`.
   */
  async claim(id: string, now: number, nextAt: number): Promise<boolean> {
    const r = await this.db
      .updateTable(T)
      .set({ next_at: nextAt, expires_at: sql<number>`case when expires_at < ${nextAt} then ${nextAt} else expires_at end` })
      .where('id', '=', id)
      .where('next_at', '<=', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Counts one failure in each bucket (from one again when a whole window passed without any) and returns the
   * buckets after it: one statement for all of them, since a refused form counts in two or three buckets at once.
   */
  async addFailures(ids: string[], now: number, windowMs: number): Promise<Map<string, BucketState>> {
    // One row per id: an upsert may not touch the same row twice.
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const rolled = sql<boolean>`${sql.ref(`${T}.last_failure`)} + ${windowMs} <= ${now}`;
    const rows = await this.db
      .insertInto(T)
      .values(unique.map((id) => ({ id, last_failure: now, failures: 1, next_at: 0, expires_at: now + windowMs })))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          failures: sql<number>`case when ${rolled} then 1 else ${sql.ref(`${T}.failures`)} + 1 end`,
          last_failure: now,
          expires_at: sql<number>`case when ${sql.ref(`${T}.expires_at`)} < ${now + windowMs} then ${now + windowMs} else ${sql.ref(`${T}.expires_at`)} end`,
        }),
      )
      .returning(['id', 'failures', 'last_failure', 'next_at'])
      .execute();
    return new Map(
      rows.map((r) => [r.id, { failures: Number(r.failures), lastFailure: Number(r.last_failure), nextAt: Number(r.next_at) }]),
    );
  }

  /** Moves the next admission to at least `nextAt`. */
  async delayUntil(id: string, nextAt: number): Promise<void> {
    await this.db
      .updateTable(T)
      .set({
        next_at: sql<number>`case when next_at < ${nextAt} then ${nextAt} else next_at end`,
        expires_at: sql<number>`case when expires_at < ${nextAt} then ${nextAt} else expires_at end`,
      })
      .where('id', '=', id)
      .execute();
  }

  async remove(ids: string[]): Promise<void> {
    if (ids.length) await this.db.deleteFrom(T).where('id', 'in', ids).execute();
  }

  /** Deletes rows a window past their latest failure and past their wait; returns how many. */
  async prune(now = this.now()): Promise<number> {
    const r = await this.db.deleteFrom(T).where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async size(): Promise<number> {
    const r = await this.db
      .selectFrom(T)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }
}
