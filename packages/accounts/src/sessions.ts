import type { Kysely } from 'kysely';
import { unwrapUnlockedUser, wrapUnlockedUser, type UnlockedUser } from '@peergroup/trust';
import type { AllTables } from './db.ts';
import { keyedHash, randomToken } from './tokens.ts';
import { openJson, sealJson } from './sealed.ts';
import { isClientFamily, type ClientFamily } from './client-family.ts';

export interface Session {
  /** The cookie value. Never stored. */
  token: string;
  userId: string;
  user: UnlockedUser;
  expiresAt: Date;
}

/** One of the owner's sessions as the sessions page lists it. */
export interface SessionInfo {
  createdAt: Date;
  /** Rounded down to LAST_SEEN_STEP_MS, but never before createdAt; null when no request came after the login yet. */
  lastSeenAt: Date | null;
  expiresAt: Date;
  /** Null for sessions from before the description was kept, or when it cannot be opened. */
  client: ClientFamily | null;
  current: boolean;
}

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * "Last seen" is kept to this step and written at most once per step: enough to tell a session in use from a
 * forgotten one, without one write per request or a minute-by-minute record of when someone is online.
 */
export const LAST_SEEN_STEP_MS = 5 * 60_000;

/**
 * Server-side sessions. The cookie holds 32 random bytes T. The table holds only
 *   id   = BLAKE2b(key = server subkey, T)      — a database reader cannot turn rows into cookies, and
 *   blob = trust.wrapUnlockedUser(sk, key = BLAKE2b(key = T, label), id)
 * so the database alone never yields a user's secret key: the wrapping key exists only in the browser's cookie.
 * For the owner's list of sessions a row also keeps the time it was last used (to LAST_SEEN_STEP_MS) and the
 * browser and system family sealed to the owner's public key (client-family.ts); no address, no full User-Agent.
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

  async create(user: UnlockedUser, client?: ClientFamily): Promise<Session> {
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
        last_seen_at: null,
        client_box: client ? sealJson(client, user.publicKey) : null,
      })
      .execute();
    return { token, userId: user.userId, user, expiresAt: new Date(expiresAt) };
  }

  async load(token: string): Promise<Session | null> {
    if (!TOKEN_RE.test(token)) return null;
    const id = this.idOf(token);
    const row = await this.db.selectFrom('accounts_session').selectAll().where('id_hash', '=', id).executeTakeFirst();
    if (!row) return null;
    const now = this.now().getTime();
    if (Number(row.expires_at) <= now) {
      await this.destroy(token);
      return null;
    }
    const step = now - (now % LAST_SEEN_STEP_MS);
    if (row.last_seen_at === null || Number(row.last_seen_at) < step) {
      await this.db.updateTable('accounts_session').set({ last_seen_at: step }).where('id_hash', '=', id).execute();
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

  /** The owner's live sessions, newest first; `current` marks the one making this request. */
  async listFor(user: UnlockedUser, currentToken: string): Promise<SessionInfo[]> {
    const current = TOKEN_RE.test(currentToken) ? this.idOf(currentToken) : '';
    const rows = await this.db
      .selectFrom('accounts_session')
      .select(['id_hash', 'created_at', 'last_seen_at', 'expires_at', 'client_box', 'epoch'])
      .where('user_id', '=', user.userId)
      .where('expires_at', '>', this.now().getTime())
      .orderBy('created_at', 'desc')
      .execute();
    return rows
      .filter((r) => Number(r.epoch) === user.epoch)
      .map((r) => {
        const opened = r.client_box ? openJson(r.client_box, user.publicKey, user.secretKey) : null;
        return {
          createdAt: new Date(Number(r.created_at)),
          // The stored step can be before the login itself (a login at 10:03 used at 10:04 is stored as 10:00):
          // a session is not shown as used before it began.
          lastSeenAt: r.last_seen_at === null ? null : new Date(Math.max(Number(r.last_seen_at), Number(r.created_at))),
          expiresAt: new Date(Number(r.expires_at)),
          client: isClientFamily(opened) ? opened : null,
          current: r.id_hash === current,
        };
      });
  }

  /** Ends every session of the user except the one with `keepToken`; returns how many ended. */
  async destroyOthers(userId: string, keepToken: string): Promise<number> {
    const r = await this.db
      .deleteFrom('accounts_session')
      .where('user_id', '=', userId)
      .where('id_hash', '!=', TOKEN_RE.test(keepToken) ? this.idOf(keepToken) : '')
      .executeTakeFirst();
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
