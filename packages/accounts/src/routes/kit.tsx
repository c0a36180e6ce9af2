/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// What every route module shares: the context types, the logged-in guard, and the helpers bound to the app's
// dependencies (page rendering, cookies, sessions, rate limiters). createApp builds one Kit and hands it to each module.
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { HttpBindings } from '@hono/node-server';
import { TrustError, type UnlockedUser } from '@peergroup/trust';
import type { AppDeps } from '../app.tsx';
import type { Session } from '../sessions.ts';
import { clientFamily } from '../client-family.ts';
import { RateLimiter, type Bucket } from '../rate-limit.ts';
import { defaultTimeZone, wholeSeconds } from '../config.ts';
import { ErrorPage, type Common } from '../views/pages.tsx';
import { I18n, isLang, isTimeZone, negotiateLang, type MessageKey } from '../i18n/index.ts';

export const SESSION_COOKIE = 'pg_session';
/** Random pre-login cookie that anonymous forms' CSRF tokens are bound to. */
export const PRE_COOKIE = 'pg_pre';
/** The language the reader chose (the footer links, /preferences); without it Accept-Language decides. */
export const LANG_COOKIE = 'lang';
/** The time zone the reader chose on /preferences; without it the configured timeZone. */
export const TZ_COOKIE = 'tz';

export type Env = {
  Bindings: HttpBindings;
  Variables: {
    /** The browser's valid session, or null; set for every non-static request by createApp's session middleware. */
    session: Session | null;
    pre: string;
    csrf: string;
    client: string;
  };
};

/** What a handler behind `loggedIn` sees: `me` is the session, never null. */
export type LoggedInEnv = {
  Bindings: HttpBindings;
  Variables: Env['Variables'] & { me: Session };
};

/** A context of this app: the plain one by default, or one whose Env adds variables (as `loggedIn` does). */
export type C<E extends Env = Env> = Context<E>;

/**
 * Route guard for pages that need a logged-in user: without a session the browser goes to the login page; with one,
 * the session is set as `me`. Put it first in a route's handlers — `r.get('/x', loggedIn, (c) => … c.get('me') …)` —
 * and only handlers after it can read `me` (it is not a variable of the plain Env, so forgetting the guard does not
 * type-check). It is per route rather than a sub-app's `use('*')` because sub-apps are mounted at '/', where such a
 * middleware would also run for the public pages and for unknown paths (which must stay 404s).
 */
export const loggedIn = createMiddleware<LoggedInEnv>(async (c, next) => {
  const s = c.get('session');
  if (!s) return c.redirect('/login?m=session-ended', 303);
  c.set('me', s);
  await next();
});

// Fixed texts selected by ?m=…, so nothing from the URL is ever reflected into a page.
const NOTICES = {
  welcome: 'notice.welcome',
  'trustee-added': 'notice.trustee-added',
  'trustee-removed': 'notice.trustee-removed',
  'settings-saved': 'notice.settings-saved',
  vetoed: 'notice.vetoed',
  'invite-revoked': 'notice.invite-revoked',
  'password-changed': 'notice.password-changed',
  'logged-out': 'notice.logged-out',
  'session-ended': 'notice.session-ended',
  'preferences-saved': 'notice.preferences-saved',
  // Mail pages (routes/mail.tsx).
  'web-only-on': 'notice.web-only-on',
  'web-only-off': 'notice.web-only-off',
  'app-password-revoked': 'notice.app-password-revoked',
  'alias-deleted': 'notice.alias-deleted',
  'deletion-cancelled': 'notice.deletion-cancelled',
  // Sessions page (routes/account.tsx).
  'others-logged-out': 'notice.others-logged-out',
} as const satisfies Record<string, MessageKey>;

export function field(body: Record<string, unknown>, name: string, max = 256): string {
  const v = body[name];
  if (typeof v !== 'string') return '';
  return v.length > max ? v.slice(0, max) : v;
}

export function trustCode(err: unknown): string | undefined {
  return err instanceof TrustError ? err.code : undefined;
}

export type Status = 200 | 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500;

export interface Kit {
  deps: AppDeps;
  /** Runs fn (which hashes a password with Argon2id) in one of the limited hashing slots. */
  hashing<T>(fn: () => Promise<T>): Promise<T>;
  limiters: { login: RateLimiter; signup: RateLimiter; reset: RateLimiter };
  /**
   * The shared bucket of the request's address, or none for a loopback peer: behind Tor or a local proxy that does
   * not forward addresses everyone arrives from one address, and a bucket there would slow down every user at once.
   */
  addressBuckets<E extends Env>(c: C<E>, limit: number): Bucket[];
  cookieOpts<E extends Env>(
    c: C<E>,
    maxAge?: number,
  ): { path: string; httpOnly: boolean; secure: boolean; sameSite: 'Strict'; maxAge?: number };
  /** The request's language (lang cookie, else Accept-Language) and time zone (tz cookie, else config.timeZone). */
  i18n<E extends Env>(c: C<E>): I18n;
  /** The page frame's data: site name, the logged-in user's name and logout token, the ?m= notice, language. */
  common<E extends Env>(c: C<E>): Common;
  render<E extends Env>(c: C<E>, el: unknown, status?: Status): Promise<Response>;
  /** The 429 page for a rate-limited action, with Retry-After. */
  limited<E extends Env>(c: C<E>, retryAfter: number, action: string): Promise<Response>;
  startSession<E extends Env>(c: C<E>, user: UnlockedUser): Promise<void>;
  /** Whether the reset pages ask for the mail code: it matters only where mailboxes are encrypted (mail kept as it came needs no key). */
  mailCodeAsked(): Promise<boolean>;
}

export function createKit(deps: AppDeps): Kit {
  const { config, sessions, metrics } = deps;
  const rl = config.rateLimits;
  // One limiter per kind, shared by every route that uses it (login and password change count against the same one,
  // help-reset and forgot likewise), so the counts do not depend on which module a route lives in.
  const limiters = {
    login: new RateLimiter(deps.rateLimits, 'login', rl.login.window),
    signup: new RateLimiter(deps.rateLimits, 'signup', rl.signup.window),
    reset: new RateLimiter(deps.rateLimits, 'reset', rl.reset.window),
  };
  const addressBuckets = <E extends Env>(c: C<E>, limit: number): Bucket[] => {
    const a = c.get('client');
    if (a === 'unknown' || /^(::ffff:)?127\./.test(a) || a === '::1') return [];
    return [{ key: `c:${a}`, limit, shared: true }];
  };

  const isSecure = <E extends Env>(c: C<E>): boolean => {
    if (config.secureCookies !== 'auto') return config.secureCookies === 'always';
    const url = new URL(c.req.url);
    if (url.protocol === 'https:') return true;
    const host = (c.req.header('host') ?? url.host).replace(/:\d+$/, '').toLowerCase();
    if (host.endsWith('.onion')) return true;
    return config.trustProxy && c.req.header('x-forwarded-proto') === 'https';
  };

  const cookieOpts = <E extends Env>(c: C<E>, maxAge?: number) => ({
    path: '/',
    httpOnly: true,
    secure: isSecure(c),
    sameSite: 'Strict' as const,
    ...(maxAge !== undefined ? { maxAge } : {}),
  });

  const perRequest = new WeakMap<Request, I18n>();
  const i18n = <E extends Env>(c: C<E>): I18n => {
    let v = perRequest.get(c.req.raw);
    if (!v) {
      const lang = getCookie(c, LANG_COOKIE);
      const tz = getCookie(c, TZ_COOKIE);
      v = new I18n(isLang(lang) ? lang : negotiateLang(c.req.header('accept-language')), isTimeZone(tz) ? tz : defaultTimeZone(config));
      perRequest.set(c.req.raw, v);
    }
    return v;
  };

  // The user's own address: their mailbox when mail is configured, else where their notifications go (not while that
  // is the unconfigured default domain, which is nobody's address).
  const addressOf = (username: string): string | undefined =>
    deps.mail ? deps.mail.address(username) : config.mail.domain !== 'localhost' ? `${username}@${config.mail.domain}` : undefined;

  const common = <E extends Env>(c: C<E>): Common => {
    const s = c.get('session');
    const m = c.req.query('m');
    const t = i18n(c);
    return {
      siteName: config.siteName,
      user: s
        ? { username: s.user.username, csrf: c.get('csrf'), address: addressOf(s.user.username), ...(deps.mail ? { mail: true } : {}) }
        : undefined,
      notice: m && Object.hasOwn(NOTICES, m) ? { kind: 'ok', text: t.t(NOTICES[m as keyof typeof NOTICES]) } : undefined,
      i18n: t,
      path: c.req.path,
    };
  };

  async function render<E extends Env>(c: C<E>, el: unknown, status: Status = 200): Promise<Response> {
    return c.html('<!DOCTYPE html>' + String(await (el as Promise<string> | string)), status);
  }

  const limited = <E extends Env>(c: C<E>, retryAfter: number, action: string) => {
    metrics.rateLimited.inc({ action });
    c.header('Retry-After', String(retryAfter));
    return render(
      c,
      <ErrorPage
        {...common(c)}
        title={i18n(c).t('limited.title')}
        message={i18n(c).t('limited.message', { wait: i18n(c).wait(retryAfter) })}
      />,
      429,
    );
  };

  async function startSession<E extends Env>(c: C<E>, user: UnlockedUser): Promise<void> {
    // Rotation: whatever session this browser had is ended; a fresh id is issued.
    const old = c.get('session');
    if (old) await sessions.destroy(old.token);
    const s = await sessions.create(user, clientFamily(c.req.header('user-agent')));
    setCookie(c, SESSION_COOKIE, s.token, cookieOpts(c, wholeSeconds(config.sessionTtl)));
  }

  return {
    deps,
    hashing: (fn) => deps.pwhashSlots.run(fn),
    limiters,
    addressBuckets,
    cookieOpts,
    i18n,
    common,
    render,
    limited,
    startSession,
    mailCodeAsked: async () => (deps.mail ? deps.mail.encryptionInUse() : false),
  };
}
