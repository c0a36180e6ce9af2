/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// Pages for anyone: the start redirect, log in / log out, sign up with an invite, and completing a reset ("I forgot").
import { Hono } from 'hono';
import { deleteCookie } from 'hono/cookie';
import { checkPasswordStrength, MAX_PASSWORD_LENGTH } from '../password-strength.ts';
import { translateProblem } from '../i18n/index.ts';
import { ForgotDonePage, ForgotPage, LoginPage, SignupPage } from '../views/pages.tsx';
import { field, SESSION_COOKIE, trustCode, type Env, type Kit } from './kit.tsx';

export function publicRoutes(kit: Kit): Hono<Env> {
  const { deps, hashing, limiters, addressBuckets, render, common, limited, startSession, cookieOpts, i18n } = kit;
  const { trust, sessions, metrics } = deps;
  const rl = deps.config.rateLimits;
  const app = new Hono<Env>();

  app.get('/', (c) => c.redirect(c.get('session') ? '/dashboard' : '/login', 303));

  // ---- log in / log out -------------------------------------------------------------------------------------
  app.get('/login', (c) => {
    if (c.get('session')) return c.redirect('/dashboard', 303);
    return render(c, <LoginPage {...common(c)} csrf={c.get('csrf')} />);
  });

  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const username = field(body, 'username', 128).trim().toLowerCase();
    const password = field(body, 'password', MAX_PASSWORD_LENGTH);
    // The browser's own bucket slows a guesser down; the account's and the address's only space attempts out, so
    // the owner, from a browser that has not been failing, gets in (rate-limit.ts).
    const browser = { key: `b:${c.get('pre')}:${username}`, limit: rl.login.perBrowser, shared: false };
    const buckets = [browser, { key: `a:${username}`, limit: rl.login.perAccount, shared: true }, ...addressBuckets(c, rl.login.perClient)];
    const lim = await limiters.login.admit(buckets);
    if (!lim.allowed) return limited(c, lim.retryAfter, 'login');
    try {
      const user = await hashing(() => trust.login(username, password));
      if (deps.mail) await hashing(() => deps.mail!.onWebLogin(user.userId, password));
      await limiters.login.clear([browser]);
      await startSession(c, user);
      metrics.logins.inc({ result: 'ok' });
      return c.redirect('/dashboard', 303);
    } catch (err) {
      const code = trustCode(err);
      if (code === 'account-disabled') {
        metrics.logins.inc({ result: 'disabled' });
        return render(c, <LoginPage {...common(c)} csrf={c.get('csrf')} username={username} error={i18n(c).t('login.disabled')} />, 403);
      }
      if (code !== 'invalid-credentials' && code !== 'invalid-username' && code !== 'not-found') throw err;
      await limiters.login.fail(buckets);
      deps.failedLogin(username);
      metrics.logins.inc({ result: 'invalid' });
      return render(c, <LoginPage {...common(c)} csrf={c.get('csrf')} username={username} error={i18n(c).t('login.invalid')} />, 401);
    }
  });

  app.post('/logout', async (c) => {
    const s = c.get('session');
    if (s) await sessions.destroy(s.token);
    deleteCookie(c, SESSION_COOKIE, cookieOpts(c));
    return c.redirect('/login?m=logged-out', 303);
  });

  // ---- sign up ----------------------------------------------------------------------------------------------
  app.get('/signup', (c) => {
    if (c.get('session')) return c.redirect('/dashboard', 303);
    return render(c, <SignupPage {...common(c)} csrf={c.get('csrf')} code={(c.req.query('code') ?? '').slice(0, 64)} />);
  });

  app.post('/signup', async (c) => {
    const body = await c.req.parseBody();
    const code = field(body, 'code', 128).trim();
    const username = field(body, 'username', 128).trim().toLowerCase();
    const password = field(body, 'password', MAX_PASSWORD_LENGTH + 1);
    const password2 = field(body, 'password2', MAX_PASSWORD_LENGTH + 1);
    const buckets = [
      { key: `b:${c.get('pre')}`, limit: rl.signup.perBrowser, shared: false },
      { key: `a:${username}`, limit: rl.signup.perAccount, shared: true },
      ...addressBuckets(c, rl.signup.perClient),
    ];
    const lim = await limiters.signup.admit(buckets);
    if (!lim.allowed) return limited(c, lim.retryAfter, 'signup');
    const errors: string[] = [];
    if (password !== password2) errors.push(i18n(c).t('signup.passwordsDiffer'));
    errors.push(...checkPasswordStrength(password, username).problems.map((p) => translateProblem(i18n(c), p)));
    const again = (errs: string[], status: 400 | 409 | 422) =>
      render(c, <SignupPage {...common(c)} csrf={c.get('csrf')} code={code} username={username} errors={errs} />, status);
    if (errors.length) return again(errors, 422);
    if (deps.mail && (await deps.mail.usernameBlocked(username))) return again([i18n(c).t('signup.usernameTaken')], 409);
    try {
      const user = await hashing(() => trust.redeemInvite(code, username, password));
      if (deps.mail) await hashing(() => deps.mail!.setPassword(user.userId, password));
      // The language the sign-up page was read in is the one their mail will be in, until they choose another.
      await deps.locales?.set(user.userId, { lang: i18n(c).lang });
      await startSession(c, user);
      const grade = checkPasswordStrength(password, username).strength;
      return c.redirect(`/dashboard?m=welcome${grade === 'fair' ? '&pw=fair' : ''}`, 303);
    } catch (err) {
      switch (trustCode(err)) {
        case 'invalid-invite':
          await limiters.signup.fail(buckets);
          return again([i18n(c).t('signup.inviteInvalid')], 422);
        case 'username-taken':
          return again([i18n(c).t('signup.usernameTaken')], 409);
        case 'invalid-username':
          return again([i18n(c).t('signup.usernameInvalid')], 422);
        case 'invalid-password':
          return again([i18n(c).t('signup.passwordRefused')], 422);
        default:
          throw err;
      }
    }
  });

  // ---- I forgot my password -------------------------------------------------------------------------------------------
  app.get('/forgot', (c) => render(c, <ForgotPage {...common(c)} csrf={c.get('csrf')} />));

  app.post('/forgot', async (c) => {
    const body = await c.req.parseBody();
    const username = field(body, 'username', 128).trim().toLowerCase();
    const code = field(body, 'code', 64);
    const password = field(body, 'password', MAX_PASSWORD_LENGTH + 1);
    const password2 = field(body, 'password2', MAX_PASSWORD_LENGTH + 1);
    // As at login: a stranger's wrong codes slow the stranger, and only space out the owner's genuine one.
    const browser = { key: `b:${c.get('pre')}:${username}`, limit: rl.reset.perBrowser, shared: false };
    const buckets = [browser, { key: `f:${username}`, limit: rl.reset.perAccount, shared: true }, ...addressBuckets(c, rl.reset.perClient)];
    const lim = await limiters.reset.admit(buckets);
    if (!lim.allowed) return limited(c, lim.retryAfter, 'reset');
    const errors: string[] = [];
    if (password !== password2) errors.push(i18n(c).t('signup.passwordsDiffer'));
    errors.push(...checkPasswordStrength(password, username).problems.map((p) => translateProblem(i18n(c), p)));
    if (errors.length) return render(c, <ForgotPage {...common(c)} csrf={c.get('csrf')} username={username} errors={errors} />, 422);
    let resetUserId: string;
    try {
      resetUserId = (await hashing(() => trust.completeReset(username, code, password))).userId;
    } catch (err) {
      const tc = trustCode(err);
      if (tc !== 'invalid-reset-code' && tc !== 'not-found' && tc !== 'invalid-username') throw err;
      await limiters.reset.fail(buckets);
      return render(
        c,
        <ForgotPage {...common(c)} csrf={c.get('csrf')} username={username} errors={[i18n(c).t('forgot.codeInvalid')]} />,
        422,
      );
    }
    await limiters.reset.clear([browser]);
    // The mail password follows; app passwords go (whoever reset the account must not keep a device logged in).
    if (deps.mail) {
      await hashing(() => deps.mail!.setPassword(resetUserId, password));
      await deps.mail.revokeAllAppPasswords(resetUserId);
    }
    // Every session of the account ends (also done on the store's reset-completed event, which runs after the commit).
    await sessions.destroyAllFor(resetUserId);
    if (c.get('session')?.userId === resetUserId) deleteCookie(c, SESSION_COOKIE, cookieOpts(c));
    return c.redirect('/forgot/done', 303);
  });

  app.get('/forgot/done', (c) => render(c, <ForgotDonePage {...common(c)} mailReset={!!deps.mail} />));

  return app;
}
