/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
import { Hono, type Context } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import { bodyLimit } from 'hono/body-limit';
import type { HttpBindings } from '@hono/node-server';
import type { Logger } from 'pino';
import type { AccountsConfig } from './config.ts';
import type { AuditLog } from './audit.ts';
import { TrustError, type TrustStore, type UnlockedUser } from '@peergroup/trust';
import type { SessionStore, Session } from './sessions.ts';
import { helpReset, verifyOwnPassword } from './backend.ts';
import type { AccountsMetrics } from './metrics.ts';
import { RateLimiter } from './rate-limit.ts';
import type { Semaphore } from './semaphore.ts';
import { checkPasswordStrength, MAX_PASSWORD_LENGTH } from './password-strength.ts';
import { csrfToken, randomToken, tokensEqual } from './tokens.ts';
import { STYLE_CSS } from './views/layout.tsx';
import {
  ActivityPage, DashboardPage, ErrorPage, ForgotDonePage, ForgotPage, HelpResetPage, InvitesPage, LoginPage, PasswordPage,
  SignupPage, TrustPage, type Common, type HelpResetResult,
} from './views/pages.tsx';

export const SESSION_COOKIE = 'pg_session';
/** Random pre-login cookie that anonymous forms' CSRF tokens are bound to. */
export const PRE_COOKIE = 'pg_pre';

export interface AppDeps {
  config: AccountsConfig;
  trust: TrustStore;
  sessions: SessionStore;
  audit: AuditLog;
  csrfKey: Buffer;
  logger: Logger;
  metrics: AccountsMetrics;
  /** The user's invite quota (operator override or the configured default). */
  getInviteQuota(userId: string): Promise<number>;
  /** Every call that runs Argon2id goes through it. */
  pwhashSlots: Semaphore;
}

type Env = {
  Bindings: HttpBindings;
  Variables: {
    session: Session | null;
    pre: string;
    csrf: string;
    client: string;
  };
};

type C = Context<Env>;

// Fixed texts selected by ?m=…, so nothing from the URL is ever reflected into a page.
const NOTICES: Record<string, string> = {
  welcome: 'Welcome! Your account is ready. The person who invited you is your first trusted user.',
  'trustee-added': 'Trusted user added.',
  'trustee-removed': 'Trusted user removed.',
  'settings-saved': 'Reset rules saved.',
  vetoed: 'The reset was cancelled. Consider changing your password if you think someone else has it.',
  'invite-revoked': 'Invite revoked.',
  'password-changed': 'Password changed. Your other sessions were logged out.',
  'logged-out': 'You are logged out.',
  'session-ended': 'Please log in.',
};

const GENERIC_LOGIN_ERROR = 'Invalid username or password.';
const GENERIC_CODE_ERROR = 'That code is not valid for that username, or it has expired or been used.';

function field(body: Record<string, unknown>, name: string, max = 256): string {
  const v = body[name];
  if (typeof v !== 'string') return '';
  return v.length > max ? v.slice(0, max) : v;
}

function trustCode(err: unknown): string | undefined {
  return err instanceof TrustError ? err.code : undefined;
}

export function createApp(deps: AppDeps): Hono<Env> {
  const { config, trust, sessions, audit, logger, metrics } = deps;
  const hashing = <T,>(fn: () => Promise<T>): Promise<T> => deps.pwhashSlots.run(fn);
  const app = new Hono<Env>();
  const rl = config.rateLimits;
  const limiters = {
    login: new RateLimiter(rl.login.windowSeconds * 1000),
    signup: new RateLimiter(rl.signup.windowSeconds * 1000),
    reset: new RateLimiter(rl.reset.windowSeconds * 1000),
  };

  const isSecure = (c: C): boolean => {
    if (config.secureCookies !== 'auto') return config.secureCookies === 'always';
    const url = new URL(c.req.url);
    if (url.protocol === 'https:') return true;
    const host = (c.req.header('host') ?? url.host).replace(/:\d+$/, '').toLowerCase();
    if (host.endsWith('.onion')) return true;
    return config.trustProxy && c.req.header('x-forwarded-proto') === 'https';
  };

  const cookieOpts = (c: C, maxAge?: number) => ({
    path: '/',
    httpOnly: true,
    secure: isSecure(c),
    sameSite: 'Strict' as const,
    ...(maxAge !== undefined ? { maxAge } : {}),
  });

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
      crossOriginResourcePolicy: 'same-origin',
      crossOriginOpenerPolicy: 'same-origin',
      strictTransportSecurity: false,
      xFrameOptions: 'DENY',
      permissionsPolicy: { camera: [], microphone: [], geolocation: [], interestCohort: [] } as never,
    }),
  );
  app.use('*', bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('request body too large\n', 413) }));

  // Request accounting and the no-store rule for every dynamic page (they all hold personal data or tokens).
  app.use('*', async (c, next) => {
    const started = process.hrtime.bigint();
    await next();
    if (!c.req.path.startsWith('/static/')) c.header('Cache-Control', 'no-store');
    const route = c.req.routePath || 'unmatched';
    metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.duration.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
  });

  app.get('/static/style.css', (c) => {
    c.header('Content-Type', 'text/css; charset=utf-8');
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(STYLE_CSS);
  });

  // Session, pre-session cookie and CSRF token for every page.
  app.use('*', async (c, next) => {
    if (c.req.path.startsWith('/static/')) return next();
    const incoming = c.env?.incoming;
    let client = incoming?.socket?.remoteAddress ?? 'unknown';
    if (config.trustProxy) {
      const xff = c.req.header('x-forwarded-for');
      const last = xff?.split(',').pop()?.trim();
      if (last) client = last;
    }
    c.set('client', client);
    const sid = getCookie(c, SESSION_COOKIE);
    let session: Session | null = null;
    if (sid) {
      session = await sessions.load(sid);
      if (session) {
        const info = await trust.getUser(session.userId);
        if (!info || info.disabled || info.epoch !== session.user.epoch) {
          await sessions.destroy(sid);
          session = null;
        }
      }
      if (!session) deleteCookie(c, SESSION_COOKIE, cookieOpts(c));
    }
    let pre = getCookie(c, PRE_COOKIE) ?? '';
    if (!/^[A-Za-z0-9_-]{22}$/.test(pre)) {
      pre = randomToken(16);
      setCookie(c, PRE_COOKIE, pre, cookieOpts(c));
    }
    c.set('session', session);
    c.set('pre', pre);
    c.set('csrf', csrfToken(deps.csrfKey, session ? `s:${session.token}` : `a:${pre}`));
    return next();
  });

  // Every state-changing request carries the form's token; no exceptions, including login and logout.
  app.use('*', async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const type = c.req.header('content-type') ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) {
      return c.text('unsupported content type\n', 415);
    }
    const body = await c.req.parseBody();
    const token = field(body, '_csrf', 128);
    if (!tokensEqual(token, c.get('csrf'))) {
      metrics.csrfRejected.inc();
      return render(
        c,
        <ErrorPage
          {...common(c)}
          title="This form has expired"
          message="The page you sent the form from is no longer valid (for example because you logged in or out in the meantime). Go back, reload the page and try again."
        />,
        403,
      );
    }
    return next();
  });

  const common = (c: C): Common => {
    const s = c.get('session');
    const m = c.req.query('m');
    return {
      siteName: config.siteName,
      user: s ? { username: s.user.username, csrf: c.get('csrf') } : undefined,
      notice: m && NOTICES[m] ? { kind: 'ok', text: NOTICES[m] } : undefined,
    };
  };

  async function render(c: C, el: unknown, status: 200 | 400 | 401 | 403 | 404 | 409 | 422 | 429 | 500 = 200): Promise<Response> {
    return c.html('<!DOCTYPE html>' + String(await (el as Promise<string> | string)), status);
  }

  const limited = (c: C, retryAfter: number, action: string) => {
    metrics.rateLimited.inc({ action });
    c.header('Retry-After', String(retryAfter));
    return render(
      c,
      <ErrorPage {...common(c)} title="Too many attempts" message={`Too many attempts. Please wait ${Math.ceil(retryAfter / 60)} minute(s) and try again.`} />,
      429,
    );
  };

  const requireSession = (c: C): Session | null => c.get('session');
  const toLogin = (c: C) => c.redirect('/login?m=session-ended', 303);

  async function startSession(c: C, user: UnlockedUser): Promise<void> {
    // Rotation: whatever session this browser had is ended; a fresh id is issued.
    const old = c.get('session');
    if (old) await sessions.destroy(old.token);
    const s = await sessions.create(user);
    setCookie(c, SESSION_COOKIE, s.token, cookieOpts(c, config.sessionTtlSeconds));
  }

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
    const lim = limiters.login.hit([
      { key: `a:${username}`, limit: rl.login.perAccount },
      { key: `c:${c.get('client')}`, limit: rl.login.perClient },
    ]);
    if (!lim.allowed) return limited(c, lim.retryAfter, 'login');
    try {
      const user = await hashing(() => trust.login(username, password));
      await startSession(c, user);
      metrics.logins.inc({ result: 'ok' });
      return c.redirect('/dashboard', 303);
    } catch (err) {
      const code = trustCode(err);
      if (code === 'account-disabled') {
        metrics.logins.inc({ result: 'disabled' });
        return render(c, <LoginPage {...common(c)} csrf={c.get('csrf')} username={username} error="This account is disabled. Please contact the operator." />, 403);
      }
      if (code !== 'invalid-credentials' && code !== 'invalid-username' && code !== 'not-found') throw err;
      metrics.logins.inc({ result: 'invalid' });
      return render(c, <LoginPage {...common(c)} csrf={c.get('csrf')} username={username} error={GENERIC_LOGIN_ERROR} />, 401);
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
    const lim = limiters.signup.hit([
      { key: `a:${username}`, limit: rl.signup.perAccount },
      { key: `c:${c.get('client')}`, limit: rl.signup.perClient },
    ]);
    if (!lim.allowed) return limited(c, lim.retryAfter, 'signup');
    const errors: string[] = [];
    if (password !== password2) errors.push('The two passwords differ.');
    errors.push(...checkPasswordStrength(password, username).problems);
    const again = (errs: string[], status: 400 | 409 | 422) =>
      render(c, <SignupPage {...common(c)} csrf={c.get('csrf')} code={code} username={username} errors={errs} />, status);
    if (errors.length) return again(errors, 422);
    try {
      const user = await hashing(() => trust.redeemInvite(code, username, password));
      await startSession(c, user);
      const grade = checkPasswordStrength(password, username).strength;
      return c.redirect(`/dashboard?m=welcome${grade === 'fair' ? '&pw=fair' : ''}`, 303);
    } catch (err) {
      switch (trustCode(err)) {
        case 'invalid-invite':
          return again(['This invite code is not valid: it may be mistyped, used, revoked or expired.'], 422);
        case 'username-taken':
          return again(['That username is taken; please choose another.'], 409);
        case 'invalid-username':
          return again(['Usernames are 1–64 lower-case letters, digits, dots, dashes or underscores, starting and ending with a letter or digit.'], 422);
        case 'invalid-password':
          return again(['That password is not accepted; please choose a longer one.'], 422);
        default:
          throw err;
      }
    }
  });

  // ---- dashboard ----------------------------------------------------------------------------------------------
  app.get('/dashboard', async (c) => {
    const s = requireSession(c);
    if (!s) return toLogin(c);
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
      />,
    );
  });

  app.post('/reset/veto', async (c) => {
    const s = requireSession(c);
    if (!s) return toLogin(c);
    await trust.vetoReset(s.userId);
    return c.redirect('/dashboard?m=vetoed', 303);
  });

  // ---- trusted users ---------------------------------------------------------------------------------------------
  async function trustPage(c: C, s: Session, errors?: string[], status: 200 | 404 | 409 | 422 = 200) {
    const [trusted, settings] = await Promise.all([trust.listTrustees(s.user), trust.getSettings(s.userId)]);
    return render(
      c,
      <TrustPage
        {...common(c)}
        csrf={c.get('csrf')}
        trusted={trusted}
        slots={config.trust.slots}
        k={settings.threshold}
        waitSeconds={settings.waitSeconds}
        minWaitSeconds={config.trust.minWaitSeconds}
        errors={errors}
      />,
      status,
    );
  }

  app.get('/trust', (c) => {
    const s = requireSession(c);
    return s ? trustPage(c, s) : toLogin(c);
  });

  app.post('/trust/add', async (c) => {
    const s = requireSession(c);
    if (!s) return toLogin(c);
    const username = field(await c.req.parseBody(), 'username', 128).trim().toLowerCase();
    try {
      await trust.addTrustee(s.user, username);
    } catch (err) {
      const messages: Record<string, [string, 404 | 409 | 422]> = {
        'not-found': ['There is no user with that name.', 404],
        'invalid-username': ['There is no user with that name.', 404],
        'trustee-exists': ['You already trust that user.', 409],
        'trustee-self': ['You cannot be your own trusted user.', 422],
        'slots-full': ['All places are used; remove someone first.', 409],
      };
      const m = messages[trustCode(err) ?? ''];
      if (!m) throw err;
      return trustPage(c, s, [m[0]], m[1]);
    }
    return c.redirect('/trust?m=trustee-added', 303);
  });

  app.post('/trust/remove', async (c) => {
    const s = requireSession(c);
    if (!s) return toLogin(c);
    const trusteeId = field(await c.req.parseBody(), 'trustee', 64);
    if (!(await trust.removeTrustee(s.user, trusteeId))) return trustPage(c, s, ['That user is not one of your trusted users.'], 422);
    return c.redirect('/trust?m=trustee-removed', 303);
  });

  app.post('/trust/settings', async (c) => {
    const s = requireSession(c);
    if (!s) return toLogin(c);
    const body = await c.req.parseBody();
    const k = Number(field(body, 'k', 8));
    const wait = Number(field(body, 'wait', 16));
    const errors: string[] = [];
    if (!Number.isInteger(k) || k < 1 || k > config.trust.slots) errors.push(`The number of trusted users who must agree is between 1 and ${config.trust.slots}.`);
    if (!Number.isInteger(wait) || wait < config.trust.minWaitSeconds || wait > 365 * 86400) {
      errors.push(`The waiting period must be at least ${config.trust.minWaitSeconds} seconds (the operator's minimum) and at most a year.`);
    }
    if (errors.length) return trustPage(c, s, errors, 422);
    try {
      await trust.setSettings(s.userId, { threshold: k, waitSeconds: wait });
    } catch (err) {
      if (trustCode(err) !== 'invalid-settings') throw err;
      return trustPage(c, s, ['Those settings are not allowed.'], 422);
    }
    return c.redirect('/trust?m=settings-saved', 303);
  });

  // ---- invites -------------------------------------------------------------------------------------------------
  async function invitesPage(c: C, s: Session, newCode?: string) {
    const [all, quota] = await Promise.all([trust.listInvites(s.userId), deps.getInviteQuota(s.userId)]);
    const open = all.filter((i) => i.state === 'open');
    return render(
      c,
      <InvitesPage {...common(c)} csrf={c.get('csrf')} invites={open} quotaLeft={Math.max(0, quota - open.length)} newCode={newCode} />,
    );
  }

  app.get('/invites', (c) => {
    const s = requireSession(c);
    return s ? invitesPage(c, s) : toLogin(c);
  });

  // The code is rendered in the POST response itself: it exists nowhere else (only its hash is stored), so there is
  // nothing a redirect could show. Reloading asks the browser to resubmit, which creates another code against the quota.
  app.post('/invites', async (c) => {
    const s = requireSession(c);
    if (!s) return toLogin(c);
    const [all, quota] = await Promise.all([trust.listInvites(s.userId), deps.getInviteQuota(s.userId)]);
    if (all.filter((i) => i.state === 'open').length >= quota) {
      return render(c, <ErrorPage {...common(c)} title="No invites left" message="You have used your invite quota. Revoke an unused invite or ask the operator." />, 409);
    }
    try {
      const invite = await trust.createInvite(s.userId);
      return invitesPage(c, s, invite.code);
    } catch (err) {
      if (trustCode(err) !== 'invite-quota') throw err;
      return render(c, <ErrorPage {...common(c)} title="No invites left" message="You have used your invite quota. Revoke an unused invite or ask the operator." />, 409);
    }
  });

  app.post('/invites/revoke', async (c) => {
    const s = requireSession(c);
    if (!s) return toLogin(c);
    const id = field(await c.req.parseBody(), 'id', 128);
    await trust.revokeInvite(s.userId, id);
    return c.redirect('/invites?m=invite-revoked', 303);
  });

  // ---- help someone reset ------------------------------------------------------------------------------------------
  app.get('/help-reset', (c) => {
    const s = requireSession(c);
    return s ? render(c, <HelpResetPage {...common(c)} csrf={c.get('csrf')} />) : toLogin(c);
  });

  app.post('/help-reset', async (c) => {
    const s = requireSession(c);
    if (!s) return toLogin(c);
    const body = await c.req.parseBody();
    const target = field(body, 'username', 128).trim().toLowerCase();
    const password = field(body, 'password', MAX_PASSWORD_LENGTH);
    const lim = limiters.reset.hit([
      { key: `a:${target}`, limit: rl.reset.perAccount },
      { key: `c:${c.get('client')}`, limit: rl.reset.perClient },
      { key: `u:${s.userId}`, limit: rl.reset.perClient },
    ]);
    if (!lim.allowed) return limited(c, lim.retryAfter, 'reset');
    try {
      await hashing(() => verifyOwnPassword(trust, s.user, password));
    } catch (err) {
      if (trustCode(err) !== 'invalid-credentials') throw err;
      return render(c, <HelpResetPage {...common(c)} csrf={c.get('csrf')} error="Your own password is not correct." />, 401);
    }
    const outcome = await helpReset(trust, s.user, target);
    let result: HelpResetResult = { kind: 'generic' };
    if (outcome?.code) result = { kind: 'code', code: outcome.code.code, expiresAt: outcome.code.expiresAt, username: target };
    else if (outcome?.pending && outcome.pending.state !== 'vetoed') {
      result = { kind: 'recorded', confirmations: outcome.pending.confirmations, k: outcome.pending.threshold, effectiveAt: outcome.pending.effectiveAt };
    }
    return render(c, <HelpResetPage {...common(c)} csrf={c.get('csrf')} result={result} />);
  });

  // ---- I forgot my password -------------------------------------------------------------------------------------------
  app.get('/forgot', (c) => render(c, <ForgotPage {...common(c)} csrf={c.get('csrf')} />));

  app.post('/forgot', async (c) => {
    const body = await c.req.parseBody();
    const username = field(body, 'username', 128).trim().toLowerCase();
    const code = field(body, 'code', 64);
    const password = field(body, 'password', MAX_PASSWORD_LENGTH + 1);
    const password2 = field(body, 'password2', MAX_PASSWORD_LENGTH + 1);
    const lim = limiters.reset.hit([
      { key: `f:${username}`, limit: rl.reset.perAccount },
      { key: `c:${c.get('client')}`, limit: rl.reset.perClient },
    ]);
    if (!lim.allowed) return limited(c, lim.retryAfter, 'reset');
    const errors: string[] = [];
    if (password !== password2) errors.push('The two passwords differ.');
    errors.push(...checkPasswordStrength(password, username).problems);
    if (errors.length) return render(c, <ForgotPage {...common(c)} csrf={c.get('csrf')} username={username} errors={errors} />, 422);
    let resetUserId: string;
    try {
      resetUserId = (await hashing(() => trust.completeReset(username, code, password))).userId;
    } catch (err) {
      const tc = trustCode(err);
      if (tc !== 'invalid-reset-code' && tc !== 'not-found' && tc !== 'invalid-username') throw err;
      return render(c, <ForgotPage {...common(c)} csrf={c.get('csrf')} username={username} errors={[GENERIC_CODE_ERROR]} />, 422);
    }
    // Every session of the account ends (also done on the store's reset-completed event, which runs after the commit).
    await sessions.destroyAllFor(resetUserId);
    if (c.get('session')?.userId === resetUserId) deleteCookie(c, SESSION_COOKIE, cookieOpts(c));
    return c.redirect('/forgot/done', 303);
  });

  app.get('/forgot/done', (c) => render(c, <ForgotDonePage {...common(c)} />));

  // ---- change password ----------------------------------------------------------------------------------------------
  app.get('/password', (c) => {
    const s = requireSession(c);
    return s ? render(c, <PasswordPage {...common(c)} csrf={c.get('csrf')} />) : toLogin(c);
  });

  app.post('/password', async (c) => {
    const s = requireSession(c);
    if (!s) return toLogin(c);
    const body = await c.req.parseBody();
    const old = field(body, 'old', MAX_PASSWORD_LENGTH);
    const password = field(body, 'password', MAX_PASSWORD_LENGTH + 1);
    const password2 = field(body, 'password2', MAX_PASSWORD_LENGTH + 1);
    const lim = limiters.login.hit([{ key: `p:${s.userId}`, limit: rl.login.perAccount }]);
    if (!lim.allowed) return limited(c, lim.retryAfter, 'password');
    const errors: string[] = [];
    if (password !== password2) errors.push('The two new passwords differ.');
    errors.push(...checkPasswordStrength(password, s.user.username).problems);
    if (errors.length) return render(c, <PasswordPage {...common(c)} csrf={c.get('csrf')} errors={errors} />, 422);
    try {
      await hashing(() => trust.changePassword(s.user, old, password));
    } catch (err) {
      if (trustCode(err) !== 'invalid-credentials') throw err;
      return render(c, <PasswordPage {...common(c)} csrf={c.get('csrf')} errors={['Your current password is not correct.']} />, 401);
    }
    // Every session of this user ends; this browser gets a fresh one so the user stays logged in here.
    await sessions.destroyAllFor(s.userId);
    c.set('session', null);
    await startSession(c, s.user);
    const grade = checkPasswordStrength(password, s.user.username).strength;
    return c.redirect(`/dashboard?m=password-changed${grade === 'fair' ? '&pw=fair' : ''}`, 303);
  });

  // ---- activity ---------------------------------------------------------------------------------------------------
  app.get('/activity', async (c) => {
    const s = requireSession(c);
    if (!s) return toLogin(c);
    return render(c, <ActivityPage {...common(c)} events={await audit.list(s.userId)} />);
  });

  app.notFound((c) => render(c, <ErrorPage {...common(c)} title="Not found" message="There is no such page." />, 404));

  app.onError((err, c) => {
    if (trustCode(err) === 'stale-session') {
      // The account was reset while this session lived: its key is gone, so is the session.
      const s = c.get('session');
      if (s) void sessions.destroy(s.token);
      deleteCookie(c, SESSION_COOKIE, cookieOpts(c));
      return c.redirect('/login?m=session-ended', 303);
    }
    logger.error({ err: { name: err.name, message: err.message, stack: err.stack }, path: c.req.path }, 'request failed');
    metrics.errors.inc();
    return c.html(
      '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title><link rel="stylesheet" href="/static/style.css"></head>' +
        '<body><main><h1>Something went wrong</h1><p>The server could not complete this request. Please try again later.</p><p><a href="/">Start page</a></p></main></body></html>',
      500,
    );
  });

  return app;
}
