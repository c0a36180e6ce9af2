// The answers Dovecot and Postfix get, from the accounts database: which domains are ours, which addresses are
// mailboxes or aliases (and of whom), who may send as an address, whether a login is valid, and what Dovecot's
// userdb returns. Every function either answers (a value or null for "no such thing") or throws: the protocol
// servers turn a throw into a temporary failure, never into "not found".
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '@peergroup/trust';
import type { AllTables } from '../db.ts';
import type { MailboxesConfig } from './config.ts';
import { loginName, parseAddress, type Address } from './addresses.ts';
import { appPasswordHash, canonicalAppPassword, checkVerifier } from './verifier.ts';
import { param, prepare, prepareText, textArray } from './prepared.ts';
import { LookupBatch, type LookupBatchOptions } from './lookup-batch.ts';

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

/** On PostgreSQL the socketmap and Dovecot lookups are coalesced per statement (lookup-batch.ts): keys per query, queries at once. */
export const POSTGRES_LOOKUP_BATCH: LookupBatchOptions = { maxKeys: 64, maxInFlight: 1 };

interface AccountQueryRow {
  id: string;
  username: string;
  disabled: unknown;
  verifier: string | null;
  web_only: unknown;
  quota_bytes: unknown;
  deleted_at: unknown;
}

/** Who answers for an address: its account (via 1), else its alias (2), else its domain's catch-all (3). */
interface OwnerQueryRow {
  via: number;
  username: string;
  disabled: unknown;
  deleted_at: unknown;
  alias_deleted: unknown;
}

/** What the directory asks the database; each function answers one key, however it gets there. */
interface Lookups {
  account(username: string): Promise<AccountQueryRow | undefined>;
  hasDomain(domain: string): Promise<boolean>;
  /** The row that answers for `a`: an account of its name in the account domain, else its alias, else its catch-all. */
  owner(a: Address): Promise<OwnerQueryRow | undefined>;
  appPassword(hash: Buffer): Promise<{ id: string; user_id: string } | undefined>;
}

const present = (v: unknown) => v !== null && v !== undefined;
const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

/** The lookups' SQL statements, compiled once (prepared.ts); every one searches the tables' unique keys (tables.ts). */
function compileLookups(db: Kysely<AllTables>, accountDomain: string, batch: LookupBatchOptions): Lookups {
  const appPasswordQuery = prepare(
    db,
    db
      .selectFrom('mail_app_password')
      .select(['id', 'user_id'])
      .where('hash', '=', param('hash') as unknown as Buffer),
    ['hash'],
  );
  const appPassword = async (hash: Buffer) => (await appPasswordQuery({ hash }))[0];
  const accountColumns = ['u.id', 'u.username', 'u.disabled', 'm.verifier', 'm.web_only', 'm.quota_bytes', 'm.deleted_at'] as const;
  const accounts = () => db.selectFrom('trust_user as u').leftJoin('mail_account as m', 'm.user_id', 'u.id');
  const aliases = () =>
    db.selectFrom('mail_alias as a').innerJoin('trust_user as u', 'u.id', 'a.user_id').leftJoin('mail_account as m', 'm.user_id', 'u.id');
  const catchAlls = () =>
    db
      .selectFrom('mail_domain as d')
      .innerJoin('trust_user as u', 'u.username', 'd.catch_all')
      .leftJoin('mail_account as m', 'm.user_id', 'u.id');
  const aliasColumns = ['u.username', 'u.disabled', 'm.deleted_at', 'a.deleted_at as alias_deleted'] as const;
  const catchAllColumns = ['u.username', 'u.disabled', 'm.deleted_at', sql<number | null>`null`.as('alias_deleted')] as const;

  if (dialectOf(db) === 'postgres') {
    // One query per batch of keys (lookup-batch.ts): `= ANY($1::text[])` on the same unique keys, each row carrying
    // its key back, columns as text (prepareText).
    const anyOf = (name: string) => sql<string>`any(${param(name)}::text[])`;
    const accountQuery = prepareText(db, accounts().select(accountColumns).where('u.username', '=', anyOf('usernames')), ['usernames']);
    const domainQuery = prepareText(db, db.selectFrom('mail_domain').select('name').where('name', '=', anyOf('domains')), ['domains']);
    // The account, alias and catch-all branches in one query: a batch of addresses costs one round trip. Each
    // branch gives at most one row per key; the caller takes the lowest via.
    const ownerQuery = prepareText(
      db,
      accounts()
        .select([
          'u.username as key',
          sql<number>`1`.as('via'),
          'u.username',
          'u.disabled',
          'm.deleted_at',
          sql<number | null>`null`.as('alias_deleted'),
        ])
        .where('u.username', '=', anyOf('locals'))
        .unionAll(
          aliases()
            .select(['a.address as key', sql<number>`2`.as('via'), ...aliasColumns])
            .where('a.address', '=', anyOf('addresses')),
        )
        .unionAll(
          catchAlls()
            .select(['d.name as key', sql<number>`3`.as('via'), ...catchAllColumns])
            .where('d.name', '=', anyOf('domains')),
        ),
      ['locals', 'addresses', 'domains'],
    );
    const account = new LookupBatch<string, AccountQueryRow>(async (usernames) => {
      const rows = await accountQuery({ usernames: textArray(usernames) });
      return new Map(
        rows.map(([id, username, disabled, verifier, web_only, quota_bytes, deleted_at]) => [
          username!,
          { id: id!, username: username!, disabled, verifier: verifier ?? null, web_only, quota_bytes, deleted_at },
        ]),
      );
    }, batch);
    const domain = new LookupBatch<string, true>(async (domains) => {
      const rows = await domainQuery({ domains: textArray(domains) });
      return new Map(rows.map(([name]) => [name!, true as const]));
    }, batch);
    const suffix = `@${accountDomain}`;
    const owner = new LookupBatch<string, OwnerQueryRow>(async (addresses) => {
      const locals = addresses.filter((x) => x.endsWith(suffix)).map((x) => x.slice(0, -suffix.length));
      const domains = [...new Set(addresses.map(domainOf))];
      const rows = await ownerQuery({ locals: textArray(locals), addresses: textArray(addresses), domains: textArray(domains) });
      const byVia = [new Map<string, OwnerQueryRow>(), new Map<string, OwnerQueryRow>(), new Map<string, OwnerQueryRow>()] as const;
      for (const [key, via, username, disabled, deleted_at, alias_deleted] of rows)
        byVia[Number(via) - 1]!.set(key!, { via: Number(via), username: username!, disabled, deleted_at, alias_deleted });
      const found = new Map<string, OwnerQueryRow>();
      for (const x of addresses) {
        const r =
          (x.endsWith(suffix) ? byVia[0].get(x.slice(0, -suffix.length)) : undefined) ?? byVia[1].get(x) ?? byVia[2].get(domainOf(x));
        if (r) found.set(x, r);
      }
      return found;
    }, batch);
    return {
      account: (username) => account.get(username),
      hasDomain: async (d) => (await domain.get(d)) === true,
      owner: (a) => owner.get(`${a.local}@${a.domain}`),
      appPassword,
    };
  }

  // SQLite answers synchronously inside the call: one statement per lookup, nothing to coalesce.
  const accountQuery = prepare(db, accounts().select(accountColumns).where('u.username', '=', param('username')), ['username']);
  const domainQuery = prepare(db, db.selectFrom('mail_domain').select('name').where('name', '=', param('domain')), ['domain']);
  // For an address that is no account's name: its alias, else the domain's catch-all account. Each branch gives at
  // most one row (a unique key each); the caller picks the alias, as ORDER BY + LIMIT on the compound cost SQLite
  // three times the branches themselves. The account's own name is asked first, with the account query: a mail
  // server mostly looks up real users.
  const ownerQuery = prepare(
    db,
    aliases()
      .select([sql<number>`2`.as('via'), ...aliasColumns])
      .where('a.address', '=', param('address'))
      .unionAll(
        catchAlls()
          .select([sql<number>`3`.as('via'), ...catchAllColumns])
          .where('d.name', '=', param('domain')),
      ),
    ['address', 'domain'],
  );
  const account = async (username: string) => (await accountQuery({ username }))[0] as AccountQueryRow | undefined;
  return {
    account,
    hasDomain: async (domain) => (await domainQuery({ domain })).length > 0,
    owner: async (a) => {
      if (a.domain === accountDomain) {
        const acc = await account(a.local);
        if (acc) return { via: 1, username: acc.username, disabled: acc.disabled, deleted_at: acc.deleted_at, alias_deleted: null };
      }
      const rows = (await ownerQuery({ address: `${a.local}@${a.domain}`, domain: a.domain })) as OwnerQueryRow[];
      return rows.find((x) => Number(x.via) === 2) ?? rows[0];
    },
    appPassword,
  };
}

export class MailDirectory {
  private readonly lastUsedWritten = new Map<string, number>();
  private readonly q: Lookups;

  constructor(
    private readonly db: Kysely<AllTables>,
    readonly config: MailboxesConfig,
    private readonly appKey: Buffer,
    private readonly now: () => Date = () => new Date(),
    batch: LookupBatchOptions = POSTGRES_LOOKUP_BATCH,
  ) {
    this.q = compileLookups(db, config.domain, batch);
  }

  get domain(): string {
    return this.config.domain;
  }

  parse(key: string): Address | undefined {
    return parseAddress(key, this.config.recipientDelimiter);
  }

  async account(username: string): Promise<MailAccountRow | null> {
    const r = await this.q.account(username);
    if (!r) return null;
    return {
      userId: r.id,
      username: r.username,
      disabled: Number(r.disabled) === 1,
      deleted: present(r.deleted_at),
      verifier: r.verifier ?? null,
      webOnly: Number(r.web_only ?? 0) === 1,
      quotaBytes: present(r.quota_bytes) ? Number(r.quota_bytes) : null,
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
    return this.q.hasDomain(d);
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
    // An account's name is never an alias or a catch-all address, even while the account is disabled or deleted; a
    // tombstoned alias, or one of a disabled or deleted account, is nobody's: the catch-all does not take it.
    const r = await this.q.owner(a);
    if (!r) return null;
    const live = Number(r.disabled) !== 1 && !present(r.deleted_at) && !present(r.alias_deleted);
    return live ? { username: r.username, via: r.via === 1 ? 'mailbox' : r.via === 2 ? 'alias' : 'catch-all' } : null;
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
    const row = await this.q.appPassword(hash);
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
