/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// The logged-in user's own account: dashboard (with vetoing a pending reset), password change, activity log.
import { Hono } from 'hono';
import { checkPasswordStrength, MAX_PASSWORD_LENGTH } from '../password-strength.ts';
import { translateProblem } from '../i18n/index.ts';
import type { UnlockedUser } from '@peergroup/trust';
import type { AuditEntry } from '../audit.ts';
import { verifyOwnPassword } from '../backend.ts';
import { randomToken } from '../tokens.ts';
import {
  ActivityPage,
  DashboardPage,
  PasswordPage,
  RecoveryCodePage,
  type AfterResetView,
  type RecoveryPathsView,
} from '../views/pages.tsx';
import { field, loggedIn, trustCode, type C, type Env, type Kit, type LoggedInEnv, type Status } from './kit.tsx';
import { MailSummary } from '../mail/pages.tsx';
import { SessionsPage } from '../views/sessions.tsx';

/** What the dashboard's account of the last reset (lastReset) and of the recovery code's age (recoveryPaths) read. */
const RESET_KINDS = [
  'reset_completed',
  'reset_explained',
  'reset_mail_restored',
  'reset_mail_lost',
  'recovery_code_used',
  'recovery_code_created',
] as const;

export function accountRoutes(kit: Kit): Hono<Env> {
  const { deps, hashing, limiters, render, common, limited, startSession, i18n } = kit;
  const { trust, sessions, audit } = deps;
  const rl = deps.config.rateLimits;
  const app = new Hono<Env>();

  // ---- dashboard ----------------------------------------------------------------------------------------------
  app.get('/dashboard', loggedIn, async (c) => {
    const s = c.get('me');
    // Read once and shared: listing the trusted users opens every slot, the costliest part of this page.
    const settingsRead = trust.getSettings(s.userId);
    const trusteesRead = trust.listTrustees(s.user);
    // Only the plain entries of a reset and of the recovery code: nothing sealed to open on every view.
    const resetEntries = audit.latestOf(s.userId, RESET_KINDS);
    const [pending, settings, trustees, recovery, afterReset, mailSettings] = await Promise.all([
      trust.pendingResetFor(s.userId),
      settingsRead,
      trusteesRead,
      recoveryPaths(s.user, settingsRead, trusteesRead, resetEntries),
      lastReset(resetEntries, trusteesRead),
      deps.mail?.settings(s.userId),
    ]);
    const shown = pending && pending.state !== 'vetoed' ? pending : null;
    return render(
      c,
      <DashboardPage
        {...common(c)}
        csrf={c.get('csrf')}
        pending={shown ? { confirmations: shown.confirmations, k: shown.threshold, effectiveAt: shown.effectiveAt } : null}
        trustedCount={trustees.length}
        k={settings.threshold}
        waitSeconds={settings.waitSeconds}
        strength={c.req.query('pw') === 'fair' ? 'fair' : undefined}
        mail={
          deps.mail && mailSettings ? (
            <MailSummary i18n={i18n(c)} address={deps.mail.address(s.user.username)} {...mailSettings} />
          ) : undefined
        }
        recovery={recovery}
        afterReset={afterReset}
      />,
    );
  });

  /**
   * Which ways back protect the user. Trusted users count when at least k of them hold shares, which the store
   * writes only for a mail key it can split (format 3 §4.2); the slots were rewritten at this session's login and
   * at every change since, so their number and k are what the shares were split for.
   */
  async function recoveryPaths(
    user: UnlockedUser,
    settingsRead: ReturnType<typeof trust.getSettings>,
    trusteesRead: ReturnType<typeof trust.listTrustees>,
    entriesRead: Promise<AuditEntry[]>,
  ): Promise<RecoveryPathsView> {
    const [settings, trustees, hasCode, key, entries, encrypted] = await Promise.all([
      settingsRead,
      trusteesRead,
      trust.hasRecoveryCode(user.userId),
      trust.mailKey(user),
      entriesRead,
      deps.mail ? deps.mail.encrypted(user.userId) : false,
    ]);
    const splittable = key !== null;
    key?.fill(0);
    const n = trustees.length;
    const k = settings.threshold;
    return {
      trustees: n > 0 && n >= k && splittable ? { k, n } : null,
      recoveryCode: hasCode,
      // Only an encrypted mailbox's mail depends on which key the code holds.
      codeOlderThan: hasCode && encrypted ? lossyResetSinceCode(entries) : undefined,
      // Only an encrypted mailbox's mail needs a recovery path to stay readable.
      mail: encrypted,
    };
  }

  /**
   * The first reset since the recovery code was made that did not restore the mail key, if any. A peer reset leaves
   * the code in place (the trust store cannot tell which key it wraps without the code), so after such a reset it
   * still holds the key from before: it opens the account and the mail stored until then, not the mail since. It is
   * kept, not voided: it is the only way left to the older mail, and the owner's way back should the reset have been
   * a takeover; the dashboard says what it does and does not protect, and a new code replaces it.
   */
  function lossyResetSinceCode(entries: AuditEntry[]): Date | undefined {
    const made = entries.find((e) => e.kind === 'recovery_code_created');
    if (!made) return undefined;
    const lost = entries.filter((e) => e.kind === 'reset_mail_lost' && e.at.getTime() > made.at.getTime());
    return lost.at(-1)?.at;
  }

  /** The last completed reset, until the owner has read the dashboard's explanation of it. */
  async function lastReset(
    entriesRead: Promise<AuditEntry[]>,
    trusteesRead: ReturnType<typeof trust.listTrustees>,
  ): Promise<AfterResetView | undefined> {
    const entries = await entriesRead;
    const i = entries.findIndex((e) => e.kind === 'reset_completed' || e.kind === 'reset_explained');
    const r = entries[i];
    if (!r || r.kind !== 'reset_completed') return undefined;
    // The reset pages record how it went right after the store's own entry (a second or so later at most).
    const near = (kind: string) => entries.find((e) => e.kind === kind && e.at.getTime() >= r.at.getTime() - 60_000);
    const mailEntry = near('reset_mail_restored') ?? near('reset_mail_lost');
    const via = near('recovery_code_used') ? 'recovery-code' : 'trustees';
    // The trustee who handed over the code is the one the reset trusts again (format 5); named while they are alone.
    const trustees = via === 'trustees' ? await trusteesRead : [];
    return {
      at: r.at,
      via,
      // A mailbox that was not encrypted lost nothing: no word about its old mail.
      mailRestored: deps.mail && mailEntry && !mailEntry.params.plain ? mailEntry.kind === 'reset_mail_restored' : undefined,
      reAdded: trustees.length === 1 ? trustees[0]!.username : undefined,
    };
  }

  app.post('/dashboard/reset-read', loggedIn, async (c) => {
    await audit.add(c.get('me').userId, 'reset_explained', new Date());
    return c.redirect('/dashboard', 303);
  });

  // ---- recovery code ------------------------------------------------------------------------------------------
  // Each form carries a one-time nonce: reloading the page that shows a new code re-sends the form, and that must
  // not silently replace the code the user just printed. (Per process: behind several instances a re-send that
  // reaches another one makes a new code, which the page then shows — nothing is lost but the printout.)
  const usedNonces = new Map<string, number>();
  const recoveryPage = async <E extends LoggedInEnv>(c: C<E>, extra: { code?: string; error?: string } = {}, status: Status = 200) => {
    const s = c.get('me');
    return render(
      c,
      <RecoveryCodePage
        {...common(c)}
        csrf={c.get('csrf')}
        nonce={randomToken(16)}
        has={await trust.hasRecoveryCode(s.userId)}
        mail={deps.mail ? await deps.mail.encrypted(s.userId) : false}
        username={s.user.username}
        {...extra}
      />,
      status,
    );
  };

  app.get('/recovery-code', loggedIn, (c) => recoveryPage(c));

  app.post('/recovery-code', loggedIn, async (c) => {
    const s = c.get('me');
    const body = await c.req.parseBody();
    const password = field(body, 'password', MAX_PASSWORD_LENGTH);
    const nonce = field(body, 'nonce', 64);
    const now = Date.now();
    for (const [n, at] of usedNonces) if (at < now - 86_400_000) usedNonces.delete(n);
    if (!nonce || usedNonces.has(nonce)) return recoveryPage(c, { error: i18n(c).t('recoveryCode.resent') }, 409);
    // The same bucket as the password change: both let a session guess the account's password.
    const own = { key: `p:${s.userId}`, limit: rl.login.perBrowser, shared: false };
    const lim = await limiters.login.admit([own]);
    if (!lim.allowed) return limited(c, lim.retryAfter, 'password');
    try {
      await hashing(() => verifyOwnPassword(trust, s.user, password));
    } catch (err) {
      if (trustCode(err) !== 'invalid-credentials') throw err;
      await limiters.login.fail([own]);
      return recoveryPage(c, { error: i18n(c).t('help.wrongPassword') }, 401);
    }
    usedNonces.set(nonce, now);
    const code = await hashing(() => trust.createRecoveryCode(s.user));
    await audit.add(s.userId, 'recovery_code_created', new Date());
    return recoveryPage(c, { code });
  });

  app.post('/reset/veto', loggedIn, async (c) => {
    await trust.vetoReset(c.get('me').userId);
    return c.redirect('/dashboard?m=vetoed', 303);
  });

  // ---- change password ----------------------------------------------------------------------------------------------
  app.get('/password', loggedIn, (c) => render(c, <PasswordPage {...common(c)} csrf={c.get('csrf')} />));

  app.post('/password', loggedIn, async (c) => {
    const s = c.get('me');
    const body = await c.req.parseBody();
    const old = field(body, 'old', MAX_PASSWORD_LENGTH);
    const password = field(body, 'password', MAX_PASSWORD_LENGTH + 1);
    const password2 = field(body, 'password2', MAX_PASSWORD_LENGTH + 1);
    // The same bucket as help-reset's own-password check: both let a session guess the account's password.
    const own = { key: `p:${s.userId}`, limit: rl.login.perBrowser, shared: false };
    const lim = await limiters.login.admit([own]);
    if (!lim.allowed) return limited(c, lim.retryAfter, 'password');
    const errors: string[] = [];
    if (password !== password2) errors.push(i18n(c).t('password.differ'));
    errors.push(...checkPasswordStrength(password, s.user.username).problems.map((p) => translateProblem(i18n(c), p)));
    if (errors.length) return render(c, <PasswordPage {...common(c)} csrf={c.get('csrf')} errors={errors} />, 422);
    try {
      await hashing(() => trust.changePassword(s.user, old, password));
      // The session's user keeps its key across the change: it reaches the mail key without a second Argon2id.
      if (deps.mail) await hashing(() => deps.mail!.setPassword(s.user, password));
    } catch (err) {
      if (trustCode(err) !== 'invalid-credentials') throw err;
      await limiters.login.fail([own]);
      return render(c, <PasswordPage {...common(c)} csrf={c.get('csrf')} errors={[i18n(c).t('password.wrong')]} />, 401);
    }
    // Every session of this user ends; this browser gets a fresh one so the user stays logged in here.
    await sessions.destroyAllFor(s.userId);
    c.set('session', null);
    await startSession(c, s.user);
    const grade = checkPasswordStrength(password, s.user.username).strength;
    return c.redirect(`/dashboard?m=password-changed${grade === 'fair' ? '&pw=fair' : ''}`, 303);
  });

  // ---- activity ---------------------------------------------------------------------------------------------------
  app.get('/activity', loggedIn, async (c) => render(c, <ActivityPage {...common(c)} {...(await audit.list(c.get('me').user))} />));

  // ---- sessions ---------------------------------------------------------------------------------------------------
  app.get('/sessions', loggedIn, async (c) => {
    const s = c.get('me');
    return render(c, <SessionsPage {...common(c)} csrf={c.get('csrf')} sessions={await sessions.listFor(s.user, s.token)} />);
  });

  app.post('/sessions/logout-others', loggedIn, async (c) => {
    const s = c.get('me');
    const n = await sessions.destroyOthers(s.userId, s.token);
    if (n > 0) await audit.add(s.userId, 'sessions_logged_out', audit.now(), { n });
    return c.redirect('/sessions?m=others-logged-out', 303);
  });

  return app;
}
