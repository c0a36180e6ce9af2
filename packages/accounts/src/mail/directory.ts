// The answers Dovecot and Postfix get, from the accounts database: which domains are ours, which addresses are
// mailboxes or aliases (and of whom), who may send as an address, whether a login is valid, and what Dovecot's
// userdb returns. Every function either answers (a value or null for "no such thing") or throws: the protocol
// servers turn a throw into a temporary failure, never into "not found".
import { sql, type Compilable, type Kysely } from 'kysely';
import { dialectOf, type TextRow } from '@peergroup/trust';
import type { AllTables } from '../db.ts';
import type { MailboxesConfig } from './config.ts';
import { loginName, parseAddress, type Address } from './addresses.ts';
import { appPasswordHash, canonicalAppPassword, checkVerifier } from './verifier.ts';
import { param, prepare, prepareText } from './prepared.ts';
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
  /**
   * The row that answers for `a`: an account of its name in the account domain, else its alias, else its catch-all.
   * `accountFirst`: most keys are accounts (a sender's are), so on PostgreSQL the account is asked on its own first.
   */
  owner(a: Address, accountFirst: boolean): Promise<OwnerQueryRow | undefined>;
  appPassword(hash: Buffer): Promise<{ id: string; user_id: string } | undefined>;
}

const present = (v: unknown) => v !== null && v !== undefined;
const accountOwner = (acc: AccountQueryRow): OwnerQueryRow => ({
  via: 1,
  username: acc.username,
  disabled: acc.disabled,
  deleted_at: acc.deleted_at,
  alias_deleted: null,
});
const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

/** Value slots of the batch statements: a batch runs the smallest variant that holds its longest list. */
const SLOTS = [1, 2, 4, 8, 16, 32, 64] as const;
const MAX_SLOTS = 64;

/**
 * A statement whose IN lists have a fixed number of values each, one variant per slot count (compiled on first
 * use); a run fills each list's slots with its values and NULL after them (NULL is equal to nothing).
 */
function slotted<L extends string>(
  db: Kysely<AllTables>,
  lists: readonly L[],
  build: (slots: (list: L) => string[]) => Compilable<unknown>,
): (values: Record<L, readonly string[]>) => Promise<TextRow[]> {
  const variants = new Map<number, (values: readonly (string | null)[]) => Promise<TextRow[]>>();
  return (values) => {
    const n = SLOTS.find((s) => lists.every((l) => values[l].length <= s));
    if (n === undefined) throw new RangeError(`slotted: more than ${MAX_SLOTS} values`);
    let run = variants.get(n);
    if (!run) {
      const name = (l: L, i: number) => `${l}${i}`;
      const names = lists.flatMap((l) => Array.from({ length: n }, (_, i) => name(l, i)));
      run = prepareText(
        db,
        build((l) => Array.from({ length: n }, (_, i) => param(name(l, i)))),
        names,
      );
      variants.set(n, run);
    }
    // In the order of the names above: each list's n slots, list after list.
    const flat: (string | null)[] = [];
    for (const l of lists) for (let i = 0; i < n; i++) flat.push(values[l][i] ?? null);
    return run(flat);
  };
}

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
    if (batch.maxKeys > MAX_SLOTS) throw new RangeError(`at most ${MAX_SLOTS} keys per batch`);
    // One query per batch of keys (lookup-batch.ts): `IN ($1, …, $n)` on the same unique keys, each row carrying its
    // key back, columns as text (prepareText). A fixed number of value slots (slotted() below), not one array value:
    // PostgreSQL then reuses one generic plan per statement; for `= ANY($1::text[])` it estimates an array of unknown
    // length, finds its generic plan dearer and plans every run afresh (~0.25 ms for the owner query, ten times its
    // execution; bench/mail-auth alias 7k → 11-13k lookups/s).
    const accountQuery = slotted(db, ['usernames'], (slots) =>
      accounts().select(accountColumns).where('u.username', 'in', slots('usernames')),
    );
    const domainQuery = slotted(db, ['domains'], (slots) =>
      db.selectFrom('mail_domain').select('name').where('name', 'in', slots('domains')),
    );
    // The account, alias and catch-all branches in one query: a batch of addresses costs one round trip. Each
    // branch gives at most one row per key; the caller takes the lowest via. Keys that are mostly accounts (senders)
    // ask the account first, on its own, a cheaper query for PostgreSQL (bench/mail-auth, with array values: sender
    // 13-16k → 21-22k per core-second); the alias map, where many keys are not accounts, asks the three at once
    // (alias: 10-13k → 15-16k). Each branch carries its key back: the account's name (via 1), the alias's address
    // (2), the catch-all's domain (3).
    const aliasBranch = (addresses: string[]) =>
      aliases()
        .select(['a.address as key', sql<number>`2`.as('via'), ...aliasColumns])
        .where('a.address', 'in', addresses);
    const catchAllBranch = (domains: string[]) =>
      catchAlls()
        .select(['d.name as key', sql<number>`3`.as('via'), ...catchAllColumns])
        .where('d.name', 'in', domains);
    const ownerQuery = slotted(db, ['locals', 'addresses', 'domains'], (slots) =>
      accounts()
        .select([
          'u.username as key',
          sql<number>`1`.as('via'),
          'u.username',
          'u.disabled',
          'm.deleted_at',
          sql<number | null>`null`.as('alias_deleted'),
        ])
        .where('u.username', 'in', slots('locals'))
        .unionAll(aliasBranch(slots('addresses')))
        .unionAll(catchAllBranch(slots('domains'))),
    );
    const aliasQuery = slotted(db, ['addresses', 'domains'], (slots) =>
      aliasBranch(slots('addresses')).unionAll(catchAllBranch(slots('domains'))),
    );
    const account = new LookupBatch<string, AccountQueryRow>(async (usernames) => {
      const rows = await accountQuery({ usernames });
      return new Map(
        rows.map(([id, username, disabled, verifier, web_only, quota_bytes, deleted_at]) => [
          username!,
          { id: id!, username: username!, disabled, verifier: verifier ?? null, web_only, quota_bytes, deleted_at },
        ]),
      );
    }, batch);
    const domain = new LookupBatch<string, true>(async (domains) => {
      const rows = await domainQuery({ domains });
      return new Map(rows.map(([name]) => [name!, true as const]));
    }, batch);
    const suffix = `@${accountDomain}`;
    const localOf = (x: string) => (x.endsWith(suffix) ? x.slice(0, -suffix.length) : undefined);
    /** Each address's row: its account's (when the query asked), else its alias's, else its domain's catch-all. */
    const ownersOf = (rows: TextRow[], addresses: readonly string[]) => {
      const byVia = [new Map<string, OwnerQueryRow>(), new Map<string, OwnerQueryRow>(), new Map<string, OwnerQueryRow>()] as const;
      for (const [key, via, username, disabled, deleted_at, alias_deleted] of rows)
        byVia[Number(via) - 1]!.set(key!, { via: Number(via), username: username!, disabled, deleted_at, alias_deleted });
      const found = new Map<string, OwnerQueryRow>();
      for (const x of addresses) {
        const local = localOf(x);
        const r = (local === undefined ? undefined : byVia[0].get(local)) ?? byVia[1].get(x) ?? byVia[2].get(domainOf(x));
        if (r) found.set(x, r);
      }
      return found;
    };
    const owner = new LookupBatch<string, OwnerQueryRow>(async (addresses) => {
      const locals = addresses.map(localOf).filter((l) => l !== undefined);
      const domains = [...new Set(addresses.map(domainOf))];
      return ownersOf(await ownerQuery({ locals, addresses, domains }), addresses);
    }, batch);
    const aliasOrCatchAll = new LookupBatch<string, OwnerQueryRow>(async (addresses) => {
      const domains = [...new Set(addresses.map(domainOf))];
      return ownersOf(await aliasQuery({ addresses, domains }), addresses);
    }, batch);
    return {
      account: (username) => account.get(username),
      hasDomain: async (d) => (await domain.get(d)) === true,
      owner: async (a, accountFirst) => {
        if (!accountFirst) return owner.get(`${a.local}@${a.domain}`);
        if (a.domain === accountDomain) {
          const acc = await account.get(a.local);
          if (acc) return accountOwner(acc);
        }
        return aliasOrCatchAll.get(`${a.local}@${a.domain}`);
      },
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
        if (acc) return accountOwner(acc);
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
    const owner = await this.ownerOf(a, false);
    if (!owner || owner.via === 'mailbox') return null;
    return `${owner.username}${a.extension}@${this.config.domain}`;
  }

  /** smtpd_sender_login_maps: the login name that may use `key` as sender, null when nobody may. */
  async senderLogin(key: string): Promise<string | null> {
    const a = this.parse(key);
    if (!a) return null;
    const owner = await this.ownerOf(a, true);
    return owner ? loginName(owner.username, this.config.domain) : null;
  }

  private async ownerOf(a: Address, accountFirst: boolean): Promise<{ username: string; via: 'mailbox' | 'alias' | 'catch-all' } | null> {
    // An account's name is never an alias or a catch-all address, even while the account is disabled or deleted; a
    // tombstoned alias, or one of a disabled or deleted account, is nobody's: the catch-all does not take it.
    const r = await this.q.owner(a, accountFirst);
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
