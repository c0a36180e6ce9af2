/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// The logged-in user's own account: dashboard (with vetoing a pending reset), password change, activity log.
import { Hono } from 'hono';
import { checkPasswordStrength, MAX_PASSWORD_LENGTH } from '../password-strength.ts';
import { translateProblem } from '../i18n/index.ts';
import { ActivityPage, DashboardPage, PasswordPage } from '../views/pages.tsx';
import { field, loggedIn, trustCode, type Env, type Kit } from './kit.tsx';
import { MailSummary } from '../mail/pages.tsx';
import { SessionsPage } from '../views/sessions.tsx';

export function accountRoutes(kit: Kit): Hono<Env> {
  const { deps, hashing, limiters, render, common, limited, startSession, i18n } = kit;
  const { trust, sessions, audit } = deps;
  const rl = deps.config.rateLimits;
  const app = new Hono<Env>();

  // ---- dashboard ----------------------------------------------------------------------------------------------
  app.get('/dashboard', loggedIn, async (c) => {
    const s = c.get('me');
    const [pending, settings, trustees] = await Promise.all([
      trust.pendingResetFor(s.userId),
      trust.getSettings(s.userId),
      trust.listTrustees(s.user),
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
          deps.mail ? <MailSummary address={deps.mail.address(s.user.username)} {...(await deps.mail.settings(s.userId))} /> : undefined
        }
      />,
    );
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
      if (deps.mail) await hashing(() => deps.mail!.setPassword(s.userId, password));
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
