// Everything that changes mail state, for the web pages and the admin CLI: the mail verifier (written whenever a
// password is set), app passwords, aliases, quota, domains and account deletion. Each change that can make a
// cached Dovecot answer wrong flushes that user from every configured Dovecot auth cache.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { TrustStore, UnlockedUser } from '@peergroup/trust';
import type { AllTables } from '../db.ts';
import type { MailboxesConfig } from './config.ts';
import { isValidDomain, isValidLocalPart, loginName } from './addresses.ts';
import { MailDirectory } from './directory.ts';
import { flushAuthCache } from './dovecot-cache.ts';
import { appPasswordHash, canonicalAppPassword, makeVerifier, newAppPassword, verifierOutdated } from './verifier.ts';
import { deriveDovecotScalar, publicPoint } from './dovecot-key.ts';
import { MailCrypt, wrapForAppPassword, wrapForPassword, type PasswordWrap } from './mail-crypt.ts';

/**
 * What setPassword did to the account's mailbox key: `none` (no encryption), `created` (encrypted from now on),
 * `kept` (the same key, now also under this password: old mail stays readable), `replaced` (the mail key was not
 * restored by a reset: mail stored before it cannot be read any more).
 */
export type MailKeyOutcome = 'none' | 'created' | 'kept' | 'replaced';

export interface AppPasswordInfo {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface AliasInfo {
  address: string;
  kind: 'custom' | 'random';
  note: string | null;
  createdAt: Date;
}

export interface DomainInfo {
  name: string;
  catchAll: string | null;
  createdAt: Date;
}

/** Why a request was refused, for the page to say it in the reader's language (i18n `mailRefusal.<code>`). */
export type MailRefusalCode =
  | 'deviceName'
  | 'appPasswordsMax'
  | 'aliasInvalid'
  | 'aliasReserved'
  | 'aliasDomain'
  | 'aliasTaken'
  | 'aliasesMax'
  | 'randomAliasesMax';

/** A refused request, with the English sentence the CLI shows and, for the web pages, a code and its values. */
export class MailRefusal extends Error {
  override name = 'MailRefusal';
  constructor(
    message: string,
    readonly code?: MailRefusalCode,
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

export class MailAccounts {
  readonly directory: MailDirectory;
  readonly crypt: MailCrypt;

  constructor(
    private readonly db: Kysely<AllTables>,
    readonly config: MailboxesConfig,
    appKey: Buffer,
    private readonly store: TrustStore,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.directory = new MailDirectory(db, config, appKey, now);
    this.crypt = new MailCrypt(db, config, this.directory);
    this.appKey = appKey;
  }

  private readonly appKey: Buffer;

  address(username: string): string {
    return loginName(username, this.config.domain);
  }

  private async ensureRow(userId: string): Promise<void> {
    await this.db
      .insertInto('mail_account')
      .values({ user_id: userId, verifier: null, web_only: 0, quota_bytes: null, delete_at: null, deleted_at: null })
      .onConflict((oc) => oc.column('user_id').doNothing())
      .execute();
  }

  /**
   * After sign-up, password change, reset and admin create: the mail verifier follows the password, and so does the
   * mailbox key's password wrap (docs/mail-crypt.md §4). Given the unlocked user the key comes from it; given only
   * the id, the password unlocks the account once more (one web-cost Argon2id) to reach the mail key.
   */
  async setPassword(user: string | UnlockedUser, password: string): Promise<MailKeyOutcome> {
    const userId = typeof user === 'string' ? user : user.userId;
    const verifier = await makeVerifier(password, this.config.verifier);
    const fresh = !(await this.db.selectFrom('mail_account').select('user_id').where('user_id', '=', userId).executeTakeFirst());
    const existing = await this.db.selectFrom('mail_crypt_key').select('public_key').where('user_id', '=', userId).executeTakeFirst();
    const mode = this.config.encryption;
    const want = !!existing || mode === 'all' || (mode === 'new' && fresh);
    let outcome: MailKeyOutcome = 'none';
    let wrap: (PasswordWrap & { public_key: Buffer }) | undefined;
    if (want) {
      const key = await this.dovecotKey(user, password);
      if (key) {
        try {
          wrap = { public_key: key.q, ...(await wrapForPassword(userId, password, key.d, key.q, this.config.verifier)) };
        } finally {
          key.d.fill(0);
        }
        outcome = !existing ? 'created' : Buffer.from(existing.public_key).equals(key.q) ? 'kept' : 'replaced';
      }
    }
    await this.ensureRow(userId);
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('mail_account').set({ verifier }).where('user_id', '=', userId).execute();
      if (wrap) {
        await trx.deleteFrom('mail_crypt_key').where('user_id', '=', userId).execute();
        await trx
          .insertInto('mail_crypt_key')
          .values({ user_id: userId, ...wrap, created_at: this.now().getTime() })
          .execute();
        // App passwords wrap the key they were made with; after a replacement they could not read the mailbox.
        if (outcome === 'replaced')
          await trx.updateTable('mail_app_password').set({ crypt_box: null }).where('user_id', '=', userId).execute();
      } else if (existing) {
        // The key could not be reached: the old password's wrap must not keep working where the verifier no longer does.
        await trx
          .updateTable('mail_crypt_key')
          .set({ pw_salt: null, pw_opslimit: null, pw_memlimit: null, pw_box: null })
          .where('user_id', '=', userId)
          .execute();
      }
    });
    if (outcome === 'replaced')
      this.logger.warn({ userId }, 'mailbox key replaced (the reset did not restore the mail key): older encrypted mail cannot be read');
    if (want && !wrap)
      this.logger.warn(
        { userId },
        existing
          ? 'mailbox key not reachable at this password change: mail logins with the main password are refused until the next web login'
          : 'mailbox key not reachable: the mailbox stays unencrypted until the next web login',
      );
    await this.flush(userId);
    return outcome;
  }

  /**
   * d_U and Q_U from the trust store's mail key (dovecot-key.ts). A user without a mail key yet (before their first
   * slot rewrite under trust format 3) gets one by a rewrite. Null when the account cannot be unlocked.
   */
  private async dovecotKey(user: string | UnlockedUser, password: string): Promise<{ d: Buffer; q: Buffer } | null> {
    let owner: UnlockedUser;
    if (typeof user === 'string') {
      const info = await this.store.getUser(user);
      if (!info) return null;
      try {
        owner = await this.store.unlock(info.username, password);
      } catch (err) {
        this.logger.warn({ userId: user, err: (err as Error).message }, 'could not unlock the account to reach its mail key');
        return null;
      }
    } else owner = user;
    let m = await this.store.mailKey(owner);
    if (!m) {
      await this.store.regenerate(owner);
      m = await this.store.mailKey(owner);
    }
    if (!m) return null;
    try {
      const d = deriveDovecotScalar(m);
      return { d, q: publicPoint(d) };
    } finally {
      m.fill(0);
    }
  }

  /**
   * At a web login: accounts from before mail (or before a cost change) get their verifier from the password just
   * checked, and accounts due for encryption (mailboxes.encryption) their mailbox key.
   */
  async onWebLogin(userId: string, password: string, owner?: UnlockedUser): Promise<void> {
    const row = await this.db.selectFrom('mail_account').select('verifier').where('user_id', '=', userId).executeTakeFirst();
    const key = await this.db.selectFrom('mail_crypt_key').selectAll().where('user_id', '=', userId).executeTakeFirst();
    const mode = this.config.encryption;
    const cryptDue = key
      ? !key.pw_box ||
        Number(key.pw_opslimit) !== this.config.verifier.opslimit ||
        Number(key.pw_memlimit) !== this.config.verifier.memlimit
      : mode === 'all' || (mode === 'new' && !row);
    if (row?.verifier && !verifierOutdated(row.verifier, this.config.verifier) && !cryptDue) return;
    await this.setPassword(owner ?? userId, password);
  }

  /**
   * Whether any mailbox here is or will be encrypted: encryption is on, or was on for some account (turning it off
   * decrypts nothing). The public reset pages, which do not know the account yet, speak of a mail code only then.
   */
  async encryptionInUse(): Promise<boolean> {
    if (this.config.encryption !== 'off') return true;
    return !!(await this.db.selectFrom('mail_crypt_key').select('user_id').limit(1).executeTakeFirst());
  }

  /** Whether the account's mailbox is encrypted (for the pages). */
  async encrypted(userId: string): Promise<boolean> {
    return !!(await this.db.selectFrom('mail_crypt_key').select('user_id').where('user_id', '=', userId).executeTakeFirst());
  }

  /** Drops the user from every Dovecot auth cache; failures are logged (the cache TTL then bounds the stale answer). */
  async flush(userId: string): Promise<void> {
    const sockets = this.config.dovecot.authMasterSockets;
    if (sockets.length === 0) return;
    const user = await this.store.getUser(userId);
    if (!user) return;
    const login = this.address(user.username);
    await Promise.all(
      sockets.map((s) =>
        flushAuthCache(s, [login]).catch((err: unknown) =>
          this.logger.warn(
            { socket: s, err: (err as Error).message },
            'Dovecot auth cache flush failed; the old answer lives until auth_cache_ttl',
          ),
        ),
      ),
    );
  }

  // ---------------------------------------------------------------------------------------------- settings

  async settings(
    userId: string,
  ): Promise<{ webOnly: boolean; quotaBytes: number; quotaOverride: number | null; hasVerifier: boolean; deleteAt: Date | null }> {
    const row = await this.db.selectFrom('mail_account').selectAll().where('user_id', '=', userId).executeTakeFirst();
    const override = row?.quota_bytes === null || row?.quota_bytes === undefined ? null : Number(row.quota_bytes);
    return {
      webOnly: Number(row?.web_only ?? 0) === 1,
      quotaBytes: override ?? this.config.quota,
      quotaOverride: override,
      hasVerifier: !!row?.verifier,
      deleteAt: row?.delete_at ? new Date(Number(row.delete_at)) : null,
    };
  }

  async setWebOnly(userId: string, webOnly: boolean): Promise<void> {
    await this.ensureRow(userId);
    await this.db
      .updateTable('mail_account')
      .set({ web_only: webOnly ? 1 : 0 })
      .where('user_id', '=', userId)
      .execute();
    await this.flush(userId);
  }

  async setQuota(userId: string, bytes: number | null): Promise<void> {
    await this.ensureRow(userId);
    await this.db.updateTable('mail_account').set({ quota_bytes: bytes }).where('user_id', '=', userId).execute();
    await this.flush(userId);
  }

  // ---------------------------------------------------------------------------------------------- app passwords

  async listAppPasswords(userId: string): Promise<AppPasswordInfo[]> {
    const rows = await this.db.selectFrom('mail_app_password').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: new Date(Number(r.created_at)),
      lastUsedAt: r.last_used_at ? new Date(Number(r.last_used_at)) : null,
    }));
  }

  /**
   * The secret is returned once: only its keyed hash is stored, and for an encrypted mailbox the Dovecot key wrapped
   * under it — which needs the logged-in owner (`owner`, the session's unlocked user) to reach the key.
   */
  async createAppPassword(userId: string, name: string, owner?: UnlockedUser): Promise<{ id: string; secret: string }> {
    const n = name.trim();
    if (n.length < 1 || n.length > 64) throw new MailRefusal('Give the device a name of 1 to 64 characters.', 'deviceName');
    const count = (await this.listAppPasswords(userId)).length;
    if (count >= this.config.appPasswords.max)
      throw new MailRefusal(`You have ${count} app passwords, the most allowed. Revoke one first.`, 'appPasswordsMax', { n: count });
    const secret = newAppPassword();
    const id = randomBytes(12).toString('hex');
    let cryptBox: Buffer | null = null;
    const enc = await this.db.selectFrom('mail_crypt_key').select('public_key').where('user_id', '=', userId).executeTakeFirst();
    if (enc) {
      if (!owner || owner.userId !== userId)
        throw new Error('createAppPassword: an encrypted mailbox needs the logged-in owner to wrap its key');
      const key = await this.dovecotKey(owner, '');
      if (!key) throw new Error('createAppPassword: the mail key of this account cannot be opened');
      try {
        if (!key.q.equals(Buffer.from(enc.public_key)))
          throw new Error("createAppPassword: the stored mailbox key is not this account's mail key");
        cryptBox = wrapForAppPassword(userId, id, canonicalAppPassword(secret)!, key.d, key.q);
      } finally {
        key.d.fill(0);
      }
    }
    await this.db
      .insertInto('mail_app_password')
      .values({
        id,
        user_id: userId,
        name: n,
        hash: appPasswordHash(this.appKey, userId, canonicalAppPassword(secret)!),
        created_at: this.now().getTime(),
        last_used_at: null,
        crypt_box: cryptBox,
      })
      .execute();
    return { id, secret };
  }

  async revokeAppPassword(userId: string, id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('mail_app_password').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    const gone = Number(r.numDeletedRows) > 0;
    if (gone) await this.flush(userId);
    return gone;
  }

  /** After a completed peer reset: whoever took over the account must not keep a device logged in. */
  async revokeAllAppPasswords(userId: string): Promise<number> {
    const r = await this.db.deleteFrom('mail_app_password').where('user_id', '=', userId).executeTakeFirst();
    await this.flush(userId);
    return Number(r.numDeletedRows);
  }

  // ---------------------------------------------------------------------------------------------- aliases

  async listAliases(userId: string): Promise<AliasInfo[]> {
    const rows = await this.db
      .selectFrom('mail_alias')
      .selectAll()
      .where('user_id', '=', userId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({ address: r.address, kind: r.kind, note: r.note, createdAt: new Date(Number(r.created_at)) }));
  }

  async aliasDomains(): Promise<string[]> {
    return [this.config.domain, ...(await this.listDomains()).map((d) => d.name).filter((d) => d !== this.config.domain)];
  }

  /** Whether `local@domain` is free for `userId`: not an account, not reserved, not anyone's alias or a recent tombstone of another person's. */
  private async checkFree(userId: string, local: string, domain: string): Promise<void> {
    if (!isValidLocalPart(local) || (this.config.recipientDelimiter && local.includes(this.config.recipientDelimiter))) {
      throw new MailRefusal(
        'An alias is 1–64 lower-case letters, digits, dots, dashes or underscores, starting and ending with a letter or digit.',
        'aliasInvalid',
      );
    }
    if (this.config.aliases.reserved.includes(local))
      throw new MailRefusal(`"${local}" is reserved and cannot be an alias.`, 'aliasReserved', { local });
    if (!(await this.aliasDomains()).includes(domain)) throw new MailRefusal('That domain is not one of ours.', 'aliasDomain');
    if (await this.store.getUserByName(local)) throw new MailRefusal('That address is taken.', 'aliasTaken');
    const row = await this.db.selectFrom('mail_alias').selectAll().where('address', '=', `${local}@${domain}`).executeTakeFirst();
    if (!row) return;
    if (row.deleted_at === null) throw new MailRefusal('That address is taken.', 'aliasTaken');
    const coolDownEnds = Number(row.deleted_at) + this.config.aliases.coolDown;
    if (row.user_id !== userId && coolDownEnds > this.now().getTime()) throw new MailRefusal('That address is taken.', 'aliasTaken');
  }

  async createAlias(userId: string, local: string, domain: string, note: string | null): Promise<string> {
    const l = local.trim().toLowerCase();
    const d = domain.trim().toLowerCase() || this.config.domain;
    const custom = (await this.listAliases(userId)).filter((a) => a.kind === 'custom').length;
    if (custom >= this.config.aliases.custom)
      throw new MailRefusal(`You have ${custom} chosen aliases, the most allowed. Delete one first.`, 'aliasesMax', { n: custom });
    await this.checkFree(userId, l, d);
    return this.putAlias(userId, `${l}@${d}`, 'custom', note);
  }

  async createRandomAlias(userId: string, domain: string, note: string | null): Promise<string> {
    const d = domain.trim().toLowerCase() || this.config.domain;
    const random = (await this.listAliases(userId)).filter((a) => a.kind === 'random').length;
    if (random >= this.config.aliases.random)
      throw new MailRefusal(`You have ${random} random aliases, the most allowed. Delete one first.`, 'randomAliasesMax', { n: random });
    for (let i = 0; i < 5; i++) {
      const local = randomBytes(6)
        .toString('base64url')
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 8);
      if (local.length < 6 || !/^[a-z]/.test(local)) continue;
      try {
        await this.checkFree(userId, local, d);
      } catch (err) {
        if (err instanceof MailRefusal && /taken|reserved/.test(err.message)) continue;
        throw err;
      }
      return this.putAlias(userId, `${local}@${d}`, 'random', note);
    }
    throw new Error('could not find a free random alias in 5 tries');
  }

  private async putAlias(userId: string, address: string, kind: 'custom' | 'random', note: string | null): Promise<string> {
    const n = note?.trim().slice(0, 200) || null;
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('mail_alias').where('address', '=', address).where('deleted_at', 'is not', null).execute();
      await trx
        .insertInto('mail_alias')
        .values({ address, user_id: userId, kind, note: n, created_at: this.now().getTime(), deleted_at: null })
        .execute();
    });
    return address;
  }

  /** The alias becomes a tombstone: mail to it is refused, and only its former owner may take it during the cool-down. */
  async deleteAlias(userId: string, address: string): Promise<boolean> {
    const r = await this.db
      .updateTable('mail_alias')
      .set({ deleted_at: this.now().getTime() })
      .where('address', '=', address.toLowerCase())
      .where('user_id', '=', userId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Sign-up must not take a name that is an alias, a tombstone in cool-down or reserved (mail for it goes elsewhere). */
  async usernameBlocked(username: string): Promise<boolean> {
    if (this.config.aliases.reserved.includes(username)) return true;
    const row = await this.db
      .selectFrom('mail_alias')
      .select(['deleted_at'])
      .where('address', '=', `${username}@${this.config.domain}`)
      .executeTakeFirst();
    if (!row) return false;
    return row.deleted_at === null || Number(row.deleted_at) + this.config.aliases.coolDown > this.now().getTime();
  }

  // ---------------------------------------------------------------------------------------------- domains (admin)

  async listDomains(): Promise<DomainInfo[]> {
    const rows = await this.db.selectFrom('mail_domain').selectAll().orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, catchAll: r.catch_all, createdAt: new Date(Number(r.created_at)) }));
  }

  async addDomain(name: string): Promise<void> {
    const d = name.trim().toLowerCase().replace(/\.$/, '');
    if (!isValidDomain(d)) throw new MailRefusal(`"${name}" is not a domain name`);
    const exists = await this.db.selectFrom('mail_domain').select('name').where('name', '=', d).executeTakeFirst();
    if (exists) throw new MailRefusal(`${d} is already a mail domain`);
    await this.db.insertInto('mail_domain').values({ name: d, catch_all: null, created_at: this.now().getTime() }).execute();
  }

  async removeDomain(name: string): Promise<void> {
    const d = name.trim().toLowerCase();
    const r = await this.db.deleteFrom('mail_domain').where('name', '=', d).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new MailRefusal(`${d} is not a mail domain`);
  }

  async setCatchAll(domain: string, username: string | null): Promise<void> {
    const d = domain.trim().toLowerCase();
    const exists = await this.db.selectFrom('mail_domain').select('name').where('name', '=', d).executeTakeFirst();
    if (!exists) throw new MailRefusal(`${d} is not a mail domain (add it first)`);
    if (username !== null && !(await this.store.getUserByName(username))) throw new MailRefusal(`no user named "${username}"`);
    await this.db.updateTable('mail_domain').set({ catch_all: username }).where('name', '=', d).execute();
  }

  // ---------------------------------------------------------------------------------------------- deletion

  /** The user asks for deletion; it happens after the waiting period unless cancelled. */
  async requestDeletion(userId: string): Promise<Date> {
    await this.ensureRow(userId);
    const at = this.now().getTime() + this.config.deletionWait;
    await this.db
      .updateTable('mail_account')
      .set({ delete_at: at })
      .where('user_id', '=', userId)
      .where('deleted_at', 'is', null)
      .execute();
    return new Date(at);
  }

  async cancelDeletion(userId: string): Promise<boolean> {
    const r = await this.db
      .updateTable('mail_account')
      .set({ delete_at: null })
      .where('user_id', '=', userId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Deletes every account whose waiting period is over: the trust account is disabled (its name stays taken, so
   * nobody can receive the old owner's mail), the mail verifier and app passwords are erased, aliases become
   * tombstones, the mailbox answers "unknown" (mail to it is refused with 550), the mailbox key's wraps are erased. The mail files themselves belong to
   * Dovecot: `peergroup accounts admin mail-deleted` lists the homes to remove.
   */
  async processDueDeletions(): Promise<string[]> {
    const now = this.now().getTime();
    const due = await this.db
      .selectFrom('mail_account')
      .select('user_id')
      .where('delete_at', '<=', now)
      .where('deleted_at', 'is', null)
      .execute();
    const done: string[] = [];
    for (const { user_id } of due) {
      await this.store.setDisabled(user_id, true);
      await this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('mail_account')
          .set({ deleted_at: now, verifier: null, delete_at: null })
          .where('user_id', '=', user_id)
          .execute();
        await trx.deleteFrom('mail_app_password').where('user_id', '=', user_id).execute();
        // The password's wrap of the mailbox key goes with the verifier: it would let a guesser open leftover mail files.
        await trx.deleteFrom('mail_crypt_key').where('user_id', '=', user_id).execute();
        await trx
          .updateTable('mail_alias')
          .set({ deleted_at: now })
          .where('user_id', '=', user_id)
          .where('deleted_at', 'is', null)
          .execute();
        await trx.deleteFrom('accounts_session').where('user_id', '=', user_id).execute();
      });
      await this.flush(user_id);
      done.push(user_id);
    }
    return done;
  }

  async deletedAccounts(): Promise<{ username: string; home: string; deletedAt: Date }[]> {
    const rows = await this.db
      .selectFrom('mail_account as m')
      .innerJoin('trust_user as u', 'u.id', 'm.user_id')
      .select(['u.username', 'm.deleted_at'])
      .where('m.deleted_at', 'is not', null)
      .orderBy('m.deleted_at')
      .execute();
    const home = this.config.dovecot.home;
    return rows.map((r) => ({
      username: r.username,
      home: home.replace(/%d/g, this.config.domain).replace(/%n/g, r.username),
      deletedAt: new Date(Number(r.deleted_at)),
    }));
  }
}
