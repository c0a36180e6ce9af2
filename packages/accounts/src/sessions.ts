import type { Kysely } from 'kysely';
import { unwrapUnlockedUser, wrapUnlockedUser, type UnlockedUser } from '@peergroup/trust';
import type { AllTables } from './db.ts';
import { keyedHash, randomToken } from './tokens.ts';

export interface Session {
  /** The cookie value. Never stored. */
  token: string;
  userId: string;
  user: UnlockedUser;
  expiresAt: Date;
}

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Server-side sessions. The cookie holds 32 random bytes T. The table holds only
 *   id   = BLAKE2b(key = server subkey, T)      — a database reader cannot turn rows into cookies, and
 *   blob = trust.wrapUnlockedUser(sk, key = BLAKE2b(key = T, label), id)
 * so the database alone never yields a user's secret key: the wrapping key exists only in the browser's cookie.
 */
export class SessionStore {
  constructor(
    private readonly db: Kysely<AllTables>,
    private readonly hashKey: Buffer,
    private readonly ttlSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private idOf(token: string): string {
    return keyedHash(this.hashKey, 'session-id', token).toString('hex');
  }

  private static wrapKey(token: string): Buffer {
    return keyedHash(Buffer.from(token, 'base64url'), 'session-wrap-key');
  }

  async create(user: UnlockedUser): Promise<Session> {
    const token = randomToken(32);
    const id = this.idOf(token);
    const now = this.now().getTime();
    const expiresAt = now + this.ttlSeconds * 1000;
    await this.db
      .insertInto('accounts_session')
      .values({
        id_hash: id,
        user_id: user.userId,
        username: user.username,
        epoch: user.epoch,
        created_at: now,
        expires_at: expiresAt,
        blob: wrapUnlockedUser(user, SessionStore.wrapKey(token), id),
      })
      .execute();
    return { token, userId: user.userId, user, expiresAt: new Date(expiresAt) };
  }

  async load(token: string): Promise<Session | null> {
    if (!TOKEN_RE.test(token)) return null;
    const id = this.idOf(token);
    const row = await this.db.selectFrom('accounts_session').selectAll().where('id_hash', '=', id).executeTakeFirst();
    if (!row) return null;
    if (Number(row.expires_at) <= this.now().getTime()) {
      await this.destroy(token);
      return null;
    }
    try {
      const user = unwrapUnlockedUser(Buffer.from(row.blob), SessionStore.wrapKey(token), id, {
        userId: row.user_id,
        username: row.username,
        epoch: Number(row.epoch),
      });
      return { token, userId: row.user_id, user, expiresAt: new Date(Number(row.expires_at)) };
    } catch {
      return null;
    }
  }

  async destroy(token: string): Promise<void> {
    if (!TOKEN_RE.test(token)) return;
    await this.db.deleteFrom('accounts_session').where('id_hash', '=', this.idOf(token)).execute();
  }

  async destroyAllFor(userId: string): Promise<number> {
    const r = await this.db.deleteFrom('accounts_session').where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async countFor(userId: string): Promise<number> {
    const r = await this.db
      .selectFrom('accounts_session')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async purgeExpired(): Promise<number> {
    const r = await this.db.deleteFrom('accounts_session').where('expires_at', '<=', this.now().getTime()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
