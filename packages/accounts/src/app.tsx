/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// The accounts web app: the middleware every request passes (security headers, body limit, accounting, session, CSRF),
// the error pages, and the route modules under routes/ mounted at '/'. Pages that need a logged-in user use the
// `loggedIn` guard from routes/kit.tsx, which gives their handlers a non-null session as `c.get('me')`.
import { Hono } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import type { AccountsConfig } from './config.ts';
import type { AuditLog } from './audit.ts';
import type { TrustStore } from '@peergroup/trust';
import type { SessionStore, Session } from './sessions.ts';
import type { AccountsMetrics } from './metrics.ts';
import type { Semaphore } from './semaphore.ts';
import { csrfToken, randomToken, tokensEqual } from './tokens.ts';
import { STYLE_CSS } from './views/layout.tsx';
import { ErrorPage } from './views/pages.tsx';
import { createKit, field, PRE_COOKIE, SESSION_COOKIE, trustCode, type Env } from './routes/kit.tsx';
import { publicRoutes } from './routes/public.tsx';
import { accountRoutes } from './routes/account.tsx';
import { trustRoutes } from './routes/trust.tsx';
import { inviteRoutes } from './routes/invites.tsx';
import { mailRoutes } from './routes/mail.tsx';
import { preferenceRoutes } from './routes/preferences.tsx';
import type { UserLocaleStore } from './i18n/index.ts';
import type { MailAccounts } from './mail/mail-accounts.ts';
import type { RateLimitStore } from './rate-limit-store.ts';

export { SESSION_COOKIE, PRE_COOKIE };

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
  /** Rate-limit buckets (shared by every instance on the database). */
  rateLimits: RateLimitStore;
  /** Counts a wrong-password login for the owner of that name, if any, off the response's path. */
  failedLogin(username: string): void;
  /** Mail accounts; null when `mailboxes` is not configured (no mail pages then). */
  mail?: MailAccounts | null;
  /** Each user's language and time zone, for the mail sent to them; absent: only the cookies remember the choice. */
  locales?: UserLocaleStore | undefined;
}

export function createApp(deps: AppDeps): Hono<Env> {
  const { config, trust, sessions, logger, metrics } = deps;
  const kit = createKit(deps);
  const { render, common, cookieOpts } = kit;
  const app = new Hono<Env>();

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

  // A body over 16 KiB gets a page in the reader's language, in the frame of their session (hence after the session
  // middleware, before anything reads the body), with a link back to the form's page: the nearest path at or above
  // the request's that has a page (POST /trust/add → /trust). No Referer arrives to go by (referrer policy no-referrer).
  const formPage = (path: string): string | undefined => {
    for (let p = path; p.length > 1; p = p.slice(0, p.lastIndexOf('/')) || '/') {
      if (app.routes.some((r) => r.method === 'GET' && r.path === p)) return p;
    }
    return undefined;
  };
  app.use(
    '*',
    bodyLimit({
      maxSize: 16 * 1024,
      onError: (c) => {
        const t = kit.i18n(c);
        const page = (
          <ErrorPage {...common(c)} title={t.t('error.tooLargeTitle')} message={t.t('error.tooLarge')} back={formPage(c.req.path)} />
        );
        return render(c, page, 413);
      },
    }),
  );

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
        <ErrorPage {...common(c)} title={kit.i18n(c).t('error.badRequestTitle')} message={kit.i18n(c).t('error.badRequest')} />,
        403,
      );
    }
    return next();
  });

  // Mounted after the middleware above, so it runs first for their routes too. The modules' paths do not overlap.
  // None of them sets its own onError or notFound: hono would then wrap their routes in those instead of this app's.
  app.route('/', publicRoutes(kit));
  app.route('/', accountRoutes(kit));
  app.route('/', trustRoutes(kit));
  app.route('/', inviteRoutes(kit));
  app.route('/', preferenceRoutes(kit));
  if (deps.mail) app.route('/', mailRoutes(kit, deps.mail));

  app.notFound((c) =>
    render(c, <ErrorPage {...common(c)} title={kit.i18n(c).t('error.notFoundTitle')} message={kit.i18n(c).t('error.notFound')} />, 404),
  );

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
    // Plain strings, no page frame: whatever failed may be what the frame needs. The texts have no markup characters.
    const t = kit.i18n(c);
    return c.html(
      `<!DOCTYPE html><html lang="${t.lang}"><head><meta charset="utf-8"><title>${t.t('error.serverTitle')}</title><link rel="stylesheet" href="/static/style.css"></head>` +
        `<body><main><h1>${t.t('error.serverTitle')}</h1><p>${t.t('error.server')}</p><p><a href="/">${t.t('error.startPage')}</a></p></main></body></html>`,
      500,
    );
  });

  return app;
}
