// The answers Dovecot and Postfix get, from the accounts database: which domains are ours, which addresses are
// mailboxes or aliases (and of whom), who may send as an address, whether a login is valid, and what Dovecot's
// userdb returns. Every function either answers (a value or null for "no such thing") or throws: the protocol
// servers turn a throw into a temporary failure, never into "not found".
import { sql, type Kysely } from 'kysely';
import type { AllTables } from '../db.ts';
import type { MailboxesConfig } from './config.ts';
import { loginName, parseAddress, type Address } from './addresses.ts';
import { appPasswordHash, canonicalAppPassword, checkVerifier } from './verifier.ts';
import { param, prepare } from './prepared.ts';

export interface MailAccountRow {
  userId: string;
  username: string;
  disabled: boolean;
  deleted: boolean;
  verifier: string | null;
  webOnly: boolean;
  quotaBytes: number | null;
}

export interface UserdbFields {
  home: string;
  mail: string;
  uid: string;
  gid: string;
  quota_rule?: string;
}

/** Last-used times are written at most this often per app password: one UPDATE per login would dominate cached logins. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** The lookups' SQL statements, compiled once (prepared.ts); every one searches the tables' unique keys (tables.ts). */
function compileQueries(db: Kysely<AllTables>) {
  const account = prepare(
    db,
    db
      .selectFrom('trust_user as u')
      .leftJoin('mail_account as m', 'm.user_id', 'u.id')
      .select(['u.id', 'u.username', 'u.disabled', 'm.verifier', 'm.web_only', 'm.quota_bytes', 'm.deleted_at'])
      .where('u.username', '=', param('username')),
    ['username'],
  );
  const domain = prepare(db, db.selectFrom('mail_domain').select('name').where('name', '=', param('domain')), ['domain']);
  const appPassword = prepare(
    db,
    db
      .selectFrom('mail_app_password')
      .select(['id', 'user_id'])
      .where('hash', '=', param('hash') as unknown as Buffer),
    ['hash'],
  );
  // For an address that is no account's name: its alias, else the domain's catch-all account. Each branch gives at
  // most one row (a unique key each); the caller picks the alias, as ORDER BY + LIMIT on the compound cost SQLite
  // three times the branches themselves. The account's own name is asked first, with the account query: a mail
  // server mostly looks up real users, and a three-branch UNION made PostgreSQL plan ~3 joins for every one of them
  // (bench/mail-auth: sender 6.0k/s → 4.5k/s).
  const owner = prepare(
    db,
    db
      .selectFrom('mail_alias as a')
      .innerJoin('trust_user as u', 'u.id', 'a.user_id')
      .leftJoin('mail_account as m', 'm.user_id', 'u.id')
      .select([sql<number>`2`.as('via'), 'u.username', 'u.disabled', 'm.deleted_at', 'a.deleted_at as alias_deleted'])
      .where('a.address', '=', param('address'))
      .unionAll(
        db
          .selectFrom('mail_domain as d')
          .innerJoin('trust_user as u', 'u.username', 'd.catch_all')
          .leftJoin('mail_account as m', 'm.user_id', 'u.id')
          .select([sql<number>`3`.as('via'), 'u.username', 'u.disabled', 'm.deleted_at', sql<number | null>`null`.as('alias_deleted')])
          .where('d.name', '=', param('domain')),
      ),
    ['address', 'domain'],
  );
  return { account, domain, appPassword, owner };
}

export class MailDirectory {
  private readonly lastUsedWritten = new Map<string, number>();
  private readonly q: ReturnType<typeof compileQueries>;

  constructor(
    private readonly db: Kysely<AllTables>,
    readonly config: MailboxesConfig,
    private readonly appKey: Buffer,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.q = compileQueries(db);
  }

  get domain(): string {
    return this.config.domain;
  }

  parse(key: string): Address | undefined {
    return parseAddress(key, this.config.recipientDelimiter);
  }

  async account(username: string): Promise<MailAccountRow | null> {
    const [r] = await this.q.account({ username });
    if (!r) return null;
    return {
      userId: r.id,
      username: r.username,
      disabled: Number(r.disabled) === 1,
      deleted: r.deleted_at !== null && r.deleted_at !== undefined,
      verifier: r.verifier ?? null,
      webOnly: Number(r.web_only ?? 0) === 1,
      quotaBytes: r.quota_bytes === null || r.quota_bytes === undefined ? null : Number(r.quota_bytes),
    };
  }

  /** An account that may log in and receive mail. */
  private async liveAccount(username: string): Promise<MailAccountRow | null> {
    const a = await this.account(username);
    return a && !a.disabled && !a.deleted ? a : null;
  }

  async isOurDomain(domain: string): Promise<boolean> {
    const d = domain.toLowerCase().replace(/\.$/, '');
    if (d === this.config.domain) return true;
    return (await this.q.domain({ domain: d })).length > 0;
  }

  /** virtual_mailbox_maps: the account's mailbox for `user[+tag]@accountdomain`, null otherwise. */
  async mailbox(key: string): Promise<string | null> {
    const a = this.parse(key);
    if (!a || a.domain !== this.config.domain) return null;
    const acc = await this.liveAccount(a.local);
    return acc ? `${this.config.domain}/${acc.username}/` : null;
  }

  /**
   * virtual_alias_maps: the owner's address for an alias (the extension carried over: Postfix does not propagate it
   * for a socketmap), or the domain's catch-all owner for an address nobody has. null for mailboxes and unknowns.
   */
  async alias(key: string): Promise<string | null> {
    const a = this.parse(key);
    if (!a) return null;
    const owner = await this.ownerOf(a);
    if (!owner || owner.via === 'mailbox') return null;
    return `${owner.username}${a.extension}@${this.config.domain}`;
  }

  /** smtpd_sender_login_maps: the login name that may use `key` as sender, null when nobody may. */
  async senderLogin(key: string): Promise<string | null> {
    const a = this.parse(key);
    if (!a) return null;
    const owner = await this.ownerOf(a);
    return owner ? loginName(owner.username, this.config.domain) : null;
  }

  private async ownerOf(a: Address): Promise<{ username: string; via: 'mailbox' | 'alias' | 'catch-all' } | null> {
    if (a.domain === this.config.domain) {
      const acc = await this.account(a.local);
      // An account's name is never an alias or a catch-all address, even while the account is disabled or deleted.
      if (acc) return !acc.disabled && !acc.deleted ? { username: acc.username, via: 'mailbox' } : null;
    }
    const rows = await this.q.owner({ address: `${a.local}@${a.domain}`, domain: a.domain });
    // A tombstoned alias, or one of a disabled or deleted account, is nobody's: the catch-all does not take it.
    const r = rows.find((x) => Number(x.via) === 2) ?? rows[0];
    if (!r) return null;
    const live =
      Number(r.disabled) !== 1 &&
      (r.deleted_at === null || r.deleted_at === undefined) &&
      (r.alias_deleted === null || r.alias_deleted === undefined);
    return live ? { username: r.username, via: Number(r.via) === 2 ? 'alias' : 'catch-all' } : null;
  }

  /** The account behind a Dovecot login name (`user@accountdomain`), live or not. */
  async accountForLogin(login: string): Promise<MailAccountRow | null> {
    const a = this.parse(login);
    if (!a || a.extension || a.domain !== this.config.domain) return null;
    return this.account(a.local);
  }

  /**
   * passdb: true when `password` is one of the account's app passwords or (unless the user made it web-only) its
   * main password. App passwords are checked first: a keyed hash costs microseconds, Argon2id milliseconds.
   */
  async verifyLogin(login: string, password: string): Promise<boolean> {
    const acc = await this.accountForLogin(login);
    if (!acc || acc.disabled || acc.deleted) return false;
    if (await this.matchAppPassword(acc, password)) return true;
    return this.checkMainPassword(acc, password);
  }

  /** The id of the account's app password `password` is, or null (mailbox encryption needs to know which one). */
  async matchAppPassword(acc: MailAccountRow, password: string): Promise<string | null> {
    const canonical = canonicalAppPassword(password);
    if (!canonical) return null;
    const hash = appPasswordHash(this.appKey, acc.userId, canonical);
    const [row] = await this.q.appPassword({ hash });
    if (!row || row.user_id !== acc.userId) return null;
    this.touchAppPassword(row.id);
    return row.id;
  }

  /** The main password against the mail verifier, unless the user made it web-only. */
  checkMainPassword(acc: MailAccountRow, password: string): Promise<boolean> {
    if (acc.webOnly || !acc.verifier) return Promise.resolve(false);
    return checkVerifier(acc.verifier, password);
  }

  private touchAppPassword(id: string): void {
    const now = this.now().getTime();
    if (now - (this.lastUsedWritten.get(id) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    this.lastUsedWritten.set(id, now);
    if (this.lastUsedWritten.size > 100_000) this.lastUsedWritten.clear();
    // Best effort: a failed write must not fail the login it records.
    this.db
      .updateTable('mail_app_password')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .execute()
      .catch(() => this.lastUsedWritten.delete(id));
  }

  quotaOf(acc: MailAccountRow): number {
    return acc.quotaBytes ?? this.config.quota;
  }

  /** userdb: where the mailbox lives and its quota; null for unknown, disabled and deleted accounts. */
  async userdb(login: string): Promise<UserdbFields | null> {
    const acc = await this.accountForLogin(login);
    if (!acc || acc.disabled || acc.deleted) return null;
    return this.userdbFor(acc);
  }

  userdbFor(acc: MailAccountRow): UserdbFields {
    const dv = this.config.dovecot;
    const home = dv.home.replace(/%d/g, this.config.domain).replace(/%n/g, acc.username);
    const quota = this.quotaOf(acc);
    return {
      home,
      mail: dv.mailLocation,
      uid: String(dv.uid),
      gid: String(dv.gid),
      ...(quota > 0 ? { quota_rule: `*:bytes=${quota}` } : {}),
    };
  }
}
