// Opening the database, the server secret and the trust store exactly the same way for the service and the admin CLI.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { migrateTrust, openTrustDb, TrustError, TrustStore, type TrustEvent } from '@peergroup/trust';
import { wholeSeconds, type AccountsConfig } from './config.ts';
import { migrateAccounts, type AllTables } from './db.ts';
import { AuditLog } from './audit.ts';
import { SessionStore } from './sessions.ts';
import { loadOrCreateServerSecret } from './server-secret.ts';
import { subkey } from './tokens.ts';
import { MIN_PASSWORD_LENGTH } from './password-strength.ts';
import type { Mailer } from './mailer.ts';
import { UserLocaleStore } from './i18n/user-locale-store.ts';
import type { MailAccounts } from './mail/mail-accounts.ts';
import { RateLimitStore } from './rate-limit-store.ts';

/** The trust store's own per-user cap is set this high; the accounts service enforces the per-user quota. */
const STORE_INVITE_CAP = 10_000;

export interface AccountsContext {
  config: AccountsConfig;
  db: Kysely<AllTables>;
  dialect: 'sqlite' | 'postgres';
  store: TrustStore;
  sessions: SessionStore;
  audit: AuditLog;
  /** Rate-limit buckets, in the database so that every instance shares them. */
  rateLimits: RateLimitStore;
  /** Counts a wrong-password login for the owner of `username`, if there is one, in the background (see app.tsx). */
  failedLogin(username: string): void;
  csrfKey: Buffer;
  secretFile: string;
  secretCreated: boolean;
  /** Resolves when every notification/audit task started so far has finished (tests, shutdown). */
  settled(): Promise<void>;
  /** Mail accounts (verifier, app passwords, aliases, domains); null when `mailboxes` is not configured. */
  mail: MailAccounts | null;
  inviteQuota(userId: string): Promise<number>;
  /** Each user's language and time zone (their notification mails use them). */
  locales: UserLocaleStore;
  setInviteQuota(userId: string, quota: number | null): Promise<void>;
  close(): Promise<void>;
}

export function sqlitePathFor(config: AccountsConfig): string {
  return join(resolve(config.dataDir), 'accounts.sqlite');
}

export async function openAccountsContext(
  config: AccountsConfig,
  opts: { logger: Logger; mailer?: Mailer | undefined; now?: () => Date },
): Promise<AccountsContext> {
  const { logger, mailer } = opts;
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const secretFile = resolve(config.secretFile ?? join(dataDir, 'server-secret'));
  const { secret, created } = await loadOrCreateServerSecret(secretFile);
  if (created) logger.warn({ secretFile }, 'generated a new server secret; back it up together with the database');
  const trustDb = config.databaseUrl
    ? openTrustDb({ postgresUrl: config.databaseUrl })
    : openTrustDb({ sqlitePath: sqlitePathFor(config) });
  const db = trustDb.db as unknown as Kysely<AllTables>;
  try {
    await migrateTrust(db);
    await migrateAccounts(db);
  } catch (err) {
    await trustDb.close();
    throw err;
  }
  const sessions = new SessionStore(db, subkey(secret, 'session-id'), wholeSeconds(config.sessionTtl), opts.now);
  const tasks = new Set<Promise<void>>();
  const background = (t: Promise<void>, what: string) => {
    const p = t.catch((err: unknown) => logger.error({ err: { message: (err as Error).message } }, what)).finally(() => tasks.delete(p));
    tasks.add(p);
  };

  const locales = new UserLocaleStore(db);
  // Recording an entry never waits for its mail (notifications.ts decides which entries are mailed); settled() does.
  // notifications.ts, and the catalogues with it, is imported with the first entry: an idle daemon holds neither.
  const audit = new AuditLog(
    db,
    (userId, kind, params, at) =>
      background(
        import('./notifications.ts').then(({ notify }) => notify({ config, store, locales, mailer, logger }, userId, kind, params, at)),
        'notification failed',
      ),
    opts.now,
  );

  const handle = async (e: TrustEvent): Promise<void> => {
    switch (e.type) {
      case 'user-created':
        return audit.add(e.userId, 'signup', e.at);
      case 'login':
        return audit.loggedIn(e.userId, e.at);
      case 'password-changed':
        return audit.add(e.userId, 'password_changed', e.at);
      case 'reset-requested':
        return audit.add(e.userId, 'reset_confirmation', e.at, { confirmations: e.confirmations, k: e.threshold });
      case 'reset-armed':
        return audit.add(e.userId, 'reset_pending', e.at, { effectiveAt: e.effectiveAt.getTime() });
      case 'reset-vetoed':
        return audit.add(e.userId, 'reset_vetoed', e.at);
      case 'reset-code-issued':
        return audit.add(e.userId, 'code_issued', e.at);
      case 'reset-completed':
        await sessions.destroyAllFor(e.userId);
        return audit.add(e.userId, 'reset_completed', e.at);
      case 'format-upgraded':
        // Once per database; a second one means the database was reverted to format 1 (docs/trust-threat-model.md).
        logger.warn(
          { users: e.users, untagged: e.untagged },
          'trust database upgraded to format 2; set trust.allowFormatUpgrade: false now that it is done',
        );
        return;
      case 'integrity-alert':
        logger.error(
          { userId: e.userId, what: e.what },
          'INTEGRITY ALERT: stored trust data failed its server-secret check (database tampering?)',
        );
        return;
      default:
        return;
    }
  };

  const store = new TrustStore({
    db,
    serverSecret: secret,
    slots: config.trust.slots,
    pwhash: config.trust.pwhash,
    minWaitSeconds: wholeSeconds(config.trust.minWait),
    defaultWaitSeconds: wholeSeconds(config.trust.defaultWait),
    codeTtlSeconds: wholeSeconds(config.trust.resetCodeTtl),
    vetoHoldSeconds: wholeSeconds(config.trust.vetoHold),
    minPasswordLength: MIN_PASSWORD_LENGTH,
    invite: { quota: STORE_INVITE_CAP, ttlSeconds: wholeSeconds(config.trust.inviteTtl) },
    allowFormatUpgrade: config.trust.allowFormatUpgrade,
    ...(opts.now ? { now: opts.now } : {}),
    onEvent: (e) => background(handle(e), `event handling failed (${e.type})`),
  });

  const track = (t: Promise<void>) => background(t, 'recording a failed login failed');
  const clock = opts.now ?? (() => new Date());

  // The mail-account code (verifiers, Dovecot keys, mail-crypt) loads only where mailboxes are configured.
  const mail = config.mailboxes
    ? new (await import('./mail/mail-accounts.ts')).MailAccounts(
        db,
        config.mailboxes,
        subkey(secret, 'mail-app-password'),
        store,
        logger,
        opts.now,
      )
    : null;

  return {
    config,
    db,
    dialect: trustDb.dialect,
    mail,
    store,
    sessions,
    locales,
    audit,
    rateLimits: new RateLimitStore(db, subkey(secret, 'rate-limit'), () => clock().getTime()),
    failedLogin(username) {
      track(
        (async () => {
          // A name that cannot exist is no one's failure.
          const user = await store.getUserByName(username).catch((err: unknown) => {
            if (err instanceof TrustError && err.code === 'invalid-username') return null;
            throw err;
          });
          if (user) await audit.failedLogin(user.userId, clock());
        })(),
      );
    },
    csrfKey: subkey(secret, 'csrf'),
    secretFile,
    secretCreated: created,
    async settled() {
      while (tasks.size) await Promise.allSettled([...tasks]);
    },
    async inviteQuota(userId) {
      const row = await db.selectFrom('accounts_user_setting').select('invite_quota').where('user_id', '=', userId).executeTakeFirst();
      return row?.invite_quota ?? config.trust.inviteQuota;
    },
    async setInviteQuota(userId, quota) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('accounts_user_setting').where('user_id', '=', userId).execute();
        if (quota !== null) await trx.insertInto('accounts_user_setting').values({ user_id: userId, invite_quota: quota }).execute();
      });
    },
    async close() {
      while (tasks.size) await Promise.allSettled([...tasks]);
      await trustDb.close();
    },
  };
}
