/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// Language and time zone: the footer's plain links (GET /lang/<code>) and the /preferences form, both without
// JavaScript. The choice lives in cookies (it applies before login too) and, for a logged-in user, in the database,
// so that mail sent to them later is in their language and zone.
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { CATALOGUES, LANGS, isLang, isTimeZone, timeZones, type Lang } from '../i18n/index.ts';
import { PreferencesPage } from '../views/pages.tsx';
import { field, LANG_COOKIE, TZ_COOKIE, type C, type Env, type Kit } from './kit.tsx';

const YEAR = 365 * 86400;

/** Only a path of this site: never an absolute URL or //host, so the links cannot send anyone elsewhere. */
function safeNext(v: string | undefined): string {
  return v && /^\/(?![/\\])[^\s]*$/.test(v) && v.length <= 512 ? v : '/';
}

export function preferenceRoutes(kit: Kit) {
  const { deps, render, common, i18n } = kit;
  const app = new Hono<Env>();

  // The cookie is read by nothing but the page renderer; HttpOnly costs nothing here.
  const remember = async <E extends Env>(c: C<E>, choice: { lang?: Lang; timeZone?: string }) => {
    const opts = { ...kit.cookieOpts(c, YEAR) };
    if (choice.lang) setCookie(c, LANG_COOKIE, choice.lang, opts);
    if (choice.timeZone) setCookie(c, TZ_COOKIE, choice.timeZone, opts);
    const s = c.get('session');
    if (s && deps.locales) await deps.locales.set(s.userId, choice);
  };

  app.get('/lang/:code', async (c) => {
    const code = c.req.param('code');
    if (!isLang(code)) return c.notFound();
    await remember(c, { lang: code });
    return c.redirect(safeNext(c.req.query('next')), 303);
  });

  app.get('/preferences', (c) =>
    render(
      c,
      <PreferencesPage
        {...common(c)}
        csrf={c.get('csrf')}
        next={safeNext(c.req.query('next'))}
        langs={LANGS.map((l) => ({ code: l, name: CATALOGUES[l]['lang.name'] }))}
        zones={timeZones()}
        timeZone={i18n(c).timeZone}
      />,
    ),
  );

  app.post('/preferences', async (c) => {
    const body = await c.req.parseBody();
    const lang = field(body, 'lang', 8);
    const tz = field(body, 'tz', 64);
    await remember(c, { ...(isLang(lang) ? { lang } : {}), ...(isTimeZone(tz) ? { timeZone: tz } : {}) });
    const next = safeNext(field(body, 'next', 512));
    return c.redirect(`${next}${next.includes('?') ? '&' : '?'}m=preferences-saved`, 303);
  });

  return app;
}
