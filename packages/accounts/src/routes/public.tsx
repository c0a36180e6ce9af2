/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// Pages for anyone: the start redirect, log in / log out, sign up with an invite, and completing a reset ("I forgot").
import { Hono } from 'hono';
import type { UnlockedUser } from '@peergroup/trust';
import { deleteCookie } from 'hono/cookie';
import { checkPasswordStrength, MAX_PASSWORD_LENGTH } from '../password-strength.ts';
import { translateProblem } from '../i18n/index.ts';
import { normalizeUsername } from '@peergroup/trust';
import type { MailKeyOutcome } from '../mail/mail-accounts.ts';
import type { SignupErrors } from '../views/pages.tsx';
import { ForgotDonePage, ForgotPage, LoginPage, RecoverPage, SignupPage } from '../views/pages.tsx';
import { field, SESSION_COOKIE, trustCode, type C, type Env, type Kit } from './kit.tsx';

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
      // The unlocked user reaches the mail key: no second Argon2id for an enrolment or a re-wrap.
      if (deps.mail) await hashing(() => deps.mail!.onWebLogin(user.userId, password, user));
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
    const code = (c.req.query('code') ?? '').slice(0, 64);
    return render(c, <SignupPage {...common(c)} csrf={c.get('csrf')} maxPassword={MAX_PASSWORD_LENGTH} code={code} />);
  });

  // Every field is checked in one pass, so one round trip shows every problem. The invite is checked without using it
  // up; that a username is taken is only said to someone holding a valid invite (docs/accounts.md, what the pages reveal).
  app.post('/signup', async (c) => {
    const body = await c.req.parseBody();
    const code = field(body, 'code', 128).trim();
    const typed = field(body, 'username', 128).trim();
    const name = normalizeUsername(typed);
    const username = name ?? typed.toLowerCase();
    const password = field(body, 'password', MAX_PASSWORD_LENGTH + 1);
    const password2 = field(body, 'password2', MAX_PASSWORD_LENGTH + 1);
    const buckets = [
      { key: `b:${c.get('pre')}`, limit: rl.signup.perBrowser, shared: false },
      { key: `a:${username}`, limit: rl.signup.perAccount, shared: true },
      ...addressBuckets(c, rl.signup.perClient),
    ];
    const lim = await limiters.signup.admit(buckets);
    if (!lim.allowed) return limited(c, lim.retryAfter, 'signup');
    const t = i18n(c);
    const again = (errors: SignupErrors, status: 409 | 422) => {
      const form = { code, username: name ?? typed, errors, maxPassword: MAX_PASSWORD_LENGTH };
      return render(c, <SignupPage {...common(c)} csrf={c.get('csrf')} {...form} />, status);
    };
    const errors: SignupErrors = {};
    const inviteOk = await trust.checkInvite(code);
    if (!inviteOk) errors.code = t.t('signup.inviteInvalid');
    // Surrounding spaces go unremarked (no address has them); a change of case is shown back for confirmation.
    if (!name) errors.username = t.t('signup.usernameInvalid');
    else if (name !== typed) errors.username = t.t('signup.usernameNormalised', { username: name });
    else if (inviteOk && ((await trust.getUserByName(name)) || (deps.mail && (await deps.mail.usernameBlocked(name)))))
      errors.username = t.t('signup.usernameTaken');
    const problems = checkPasswordStrength(password, username).problems.map((p) => translateProblem(t, p));
    if (problems.length) errors.password = problems;
    if (password !== password2) errors.password2 = t.t('signup.passwordsDiffer');
    if (!inviteOk) await limiters.signup.fail(buckets);
    const wrong = Object.keys(errors);
    if (wrong.length) return again(errors, wrong.length === 1 && errors.username === t.t('signup.usernameTaken') ? 409 : 422);
    try {
      const user = await hashing(() => trust.redeemInvite(code, username, password));
      if (deps.mail) await hashing(() => deps.mail!.setPassword(user, password));
      // The language the sign-up page was read in is the one their mail will be in, until they choose another.
      await deps.locales?.set(user.userId, { lang: i18n(c).lang });
      await startSession(c, user);
      const grade = checkPasswordStrength(password, username).strength;
      return c.redirect(`/dashboard?m=welcome${grade === 'fair' ? '&pw=fair' : ''}`, 303);
    } catch (err) {
      switch (trustCode(err)) {
        // Between the check above and here: the invite was used or revoked, or the name was taken, meanwhile.
        case 'invalid-invite':
          await limiters.signup.fail(buckets);
          return again({ code: t.t('signup.inviteInvalid') }, 422);
        case 'username-taken':
          return again({ username: t.t('signup.usernameTaken') }, 409);
        case 'invalid-username':
          return again({ username: t.t('signup.usernameInvalid') }, 422);
        case 'invalid-password':
          return again({ password: [t.t('signup.passwordRefused')] }, 422);
        default:
          throw err;
      }
    }
  });

  // ---- I forgot my password / I have a recovery code ------------------------------------------------------------
  app.get('/forgot', async (c) => render(c, <ForgotPage {...common(c)} csrf={c.get('csrf')} mail={await kit.mailCodeAsked()} />));

  /**
   * What both ways back in share: the rate limits (one account bucket for both forms, so switching forms does not
   * double a guesser's rate), the password checks, and what follows a completed reset. `complete` throws the trust
   * store's invalid-code errors; `page` renders the form again.
   */
  async function resetWith<E extends Env>(
    c: C<E>,
    via: 'trustees' | 'recovery-code',
    page: (username: string, errors: string[]) => unknown,
    complete: (
      username: string,
      code: string,
      password: string,
      body: Record<string, unknown>,
    ) => Promise<UnlockedUser & { mailKeyRestored: boolean }>,
  ) {
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
    if (errors.length) return render(c, page(username, errors), 422);
    let done: UnlockedUser & { mailKeyRestored: boolean };
    try {
      done = await hashing(() => complete(username, code, password, body));
    } catch (err) {
      const tc = trustCode(err);
      if (tc !== 'invalid-reset-code' && tc !== 'not-found' && tc !== 'invalid-username') throw err;
      await limiters.reset.fail(buckets);
      return render(c, page(username, [i18n(c).t(via === 'trustees' ? 'forgot.codeInvalid' : 'recover.codeInvalid')]), 422);
    }
    const resetUserId = done.userId;
    let reAdded: boolean;
    let mailKey: MailKeyOutcome | undefined;
    try {
      // Whether the reset trusted the trustee who handed over the code again (format 5), for the next page's words.
      reAdded = via === 'trustees' && (await trust.listTrustees(done)).length > 0;
      // The mail password follows, its key wrapped from the user the reset unlocked (no second Argon2id).
      if (deps.mail) mailKey = await hashing(() => deps.mail!.setPassword(done, password));
    } finally {
      done.secretKey.fill(0);
    }
    await limiters.reset.clear([browser]);
    // The old relations were tied to the old key: at most the trustee who handed over the code is trusted again
    // (format 5, which sets k = 1 itself), so k = 1 is what the user can satisfy; the dashboard says so.
    await trust.setSettings(resetUserId, { threshold: 1 });
    const at = new Date();
    if (via === 'recovery-code') await deps.audit.add(resetUserId, 'recovery_code_used', at);
    // What the owner is told about their old mail, from what the mailbox key did: `kept` is the key the mail was
    // stored for, `replaced` is not — even after a recovery code, when the code was made before an earlier reset that
    // lost the key (it restored that older key). A mailbox that was not encrypted (`none`, or `created` just now)
    // holds its mail as it came: nothing to restore or lose, so nothing is said.
    const mailState: 'restored' | 'lost' | 'older' | undefined =
      mailKey === 'kept' ? 'restored' : mailKey === 'replaced' ? (via === 'recovery-code' ? 'older' : 'lost') : undefined;
    // App passwords go: whoever reset the account must not keep a device logged in.
    if (deps.mail) {
      // Recorded for every mail account: whether the trust store's mail key came back is what a recovery code made
      // before this reset is measured against (the dashboard's recovery paths); `plain` keeps the owner's note quiet.
      const restored = mailState ? mailState === 'restored' : done.mailKeyRestored;
      await deps.audit.add(resetUserId, restored ? 'reset_mail_restored' : 'reset_mail_lost', at, mailState ? null : { plain: 1 });
      await deps.mail.revokeAllAppPasswords(resetUserId);
    }
    // Every session of the account ends (also done on the store's reset-completed event, which runs after the commit).
    await sessions.destroyAllFor(resetUserId);
    if (c.get('session')?.userId === resetUserId) deleteCookie(c, SESSION_COOKIE, cookieOpts(c));
    const query = [...(mailState ? [`mail=${mailState}`] : []), ...(reAdded ? ['trusted=1'] : [])];
    return c.redirect(`/forgot/done${query.length ? `?${query.join('&')}` : ''}`, 303);
  }

  app.post('/forgot', (c) =>
    resetWith(
      c,
      'trustees',
      async (username, errors) => (
        <ForgotPage {...common(c)} csrf={c.get('csrf')} mail={await kit.mailCodeAsked()} username={username} errors={errors} />
      ),
      (username, code, password, body) => {
        const mailCode = field(body, 'mailCode', 64).trim();
        return trust.completeReset(username, code, password, mailCode ? { mailCode } : {});
      },
    ),
  );

  app.get('/forgot/done', (c) => {
    const mail = !!deps.mail;
    const m = c.req.query('mail');
    return render(
      c,
      <ForgotDonePage
        {...common(c)}
        mailReset={mail}
        mailKey={mail && (m === 'restored' || m === 'lost' || m === 'older') ? m : undefined}
        reAdded={c.req.query('trusted') === '1'}
      />,
    );
  });

  app.get('/recover', (c) => render(c, <RecoverPage {...common(c)} csrf={c.get('csrf')} />));

  app.post('/recover', (c) =>
    resetWith(
      c,
      'recovery-code',
      (username, errors) => <RecoverPage {...common(c)} csrf={c.get('csrf')} username={username} errors={errors} />,
      (username, code, password) => trust.redeemRecoveryCode(username, code, password),
    ),
  );

  return app;
}
