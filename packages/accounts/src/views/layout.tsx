/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { LANGS, CATALOGUES, type I18n, type Lang } from '../i18n/index.ts';

export interface LayoutProps {
  title: string;
  siteName: string;
  /** Present when logged in: shows the account navigation, the user's mail address and the log-out form. */
  user?: { username: string; csrf: string; mail?: boolean; address?: string | undefined } | undefined;
  notice?: { kind: 'ok' | 'error'; text: string } | undefined;
  /** The request's language and time zone (routes/kit.tsx common). */
  i18n: I18n;
  /** The page's own path, where the language links come back to. */
  path: string;
  children?: Child;
}

const escapeHtml = (v: string) => v.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

// The footer is the same on every page but for the path the links come back to, so its markup is built once per
// language (JSX for it cost a third of a small page's render time). Plain links: switching needs no JavaScript.
const footers = new Map<Lang, string[]>();
function footerHtml(i18n: I18n, next: string): string {
  let f = footers.get(i18n.lang);
  if (!f) {
    const links = LANGS.map((l) => {
      const name = escapeHtml(CATALOGUES[l]['lang.name']);
      return l === i18n.lang
        ? `<strong lang="${l}">${name}</strong>`
        : `<a href="/lang/${l}?next=\0" lang="${l}" hreflang="${l}">${name}</a>`;
    }).join('');
    const html =
      `<footer><nav aria-label="${escapeHtml(i18n.t('footer.language'))}">${links}` +
      `<a href="/preferences?next=\0">${escapeHtml(i18n.t('footer.preferences'))}</a></nav></footer>`;
    f = html.split('\0');
    footers.set(i18n.lang, f);
  }
  // `next` is encodeURIComponent output: nothing in it needs escaping inside a double-quoted attribute.
  return f.join(next);
}

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

export function Layout({ title, siteName, user, notice, i18n, path, children }: LayoutProps) {
  const t = i18n.t.bind(i18n);
  // The page's own entry (or its section's: /trust for /trust/add) is marked for assistive technology and styled.
  const link = (href: string, label: string) => (
    <a href={href} {...(path === href || path.startsWith(`${href}/`) ? { 'aria-current': 'page' } : {})}>
      {label}
    </a>
  );
  return (
    <html lang={i18n.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${title} · ${siteName}`}</title>
        <link rel="stylesheet" href="/static/style.css" />
      </head>
      <body>
        <a class="skip" href="#main">
          {t('layout.skip')}
        </a>
        <header>
          <a class="site" href="/">
            {siteName}
          </a>
          {user?.address ? (
            <span class="me" id="my-address">
              {t('nav.signedInAs', { address: user.address })}
            </span>
          ) : null}
          {user ? (
            <nav aria-label={t('nav.account')}>
              {link('/dashboard', t('nav.dashboard'))}
              {link('/trust', t('nav.trust'))}
              {link('/invites', t('nav.invites'))}
              {user.mail ? link('/mail', t('nav.mail')) : null}
              {link('/help-reset', t('nav.helpReset'))}
              {link('/password', t('nav.password'))}
              {link('/activity', t('nav.activity'))}
              {link('/sessions', t('nav.sessions'))}
              <form method="post" action="/logout" class="inline">
                <CsrfField token={user.csrf} />
                <button type="submit" class="link">
                  {t('nav.logout', { username: user.username })}
                </button>
              </form>
            </nav>
          ) : (
            <nav aria-label={t('nav.site')}>
              {link('/login', t('nav.login'))}
              {link('/signup', t('nav.signup'))}
              {link('/forgot', t('nav.forgot'))}
            </nav>
          )}
        </header>
        <main id="main" tabindex={-1}>
          <h1>{title}</h1>
          {notice ? (
            <p class={`notice ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
              {notice.text}
            </p>
          ) : null}
          {children}
        </main>
        {raw(footerHtml(i18n, encodeURIComponent(path)))}
      </body>
    </html>
  );
}

export const STYLE_CSS = `
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fbfbf8; --muted: #5b5b5b; --accent: #0b5c8a; --warn-bg: #fff1d6;
  --warn-fg: #5a3b00; --err-bg: #fde4e4; --err-fg: #7a1010; --ok-bg: #e3f4e1; --ok-fg: #1d4d17; --line: #d4d4cc;
  --field: #6b6b6b; }
@media (prefers-color-scheme: dark) { :root { --fg: #ececec; --bg: #16181a; --muted: #a8a8a8; --accent: #7cc4ef;
  --warn-bg: #3d2f12; --warn-fg: #ffe2a8; --err-bg: #431a1a; --err-fg: #ffc9c9; --ok-bg: #1d3a1b; --ok-fg: #c8efc2; --line: #3a3d40;
  --field: #8b8f93; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; align-items: center; padding: .75rem 1.25rem; border-bottom: 1px solid var(--line); }
header .site { font-weight: 700; color: var(--fg); text-decoration: none; margin-right: auto; }
header .me { color: var(--muted); font-size: .9rem; overflow-wrap: anywhere; }
nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; }
nav a[aria-current=page] { color: var(--fg); font-weight: 600; text-decoration-thickness: 2px; }
.skip { position: absolute; left: .5rem; top: -4rem; padding: .5rem .75rem; background: var(--bg); color: var(--accent); z-index: 1; }
.skip:focus { top: .5rem; }
main:focus { outline: none; }
main, footer { overflow-wrap: break-word; }
a, button.link { color: var(--accent); }
main { max-width: 46rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
form { margin: 1rem 0; }
form.inline { display: inline; margin: 0; }
label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
/* Field borders are --field, at least 3:1 against the background in both schemes (WCAG 1.4.11); --line is decoration. */
input[type=text], input[type=password], input[type=number], textarea { width: 100%; max-width: 28rem; padding: .5rem; font: inherit;
  border: 1px solid var(--field); border-radius: 4px; background: var(--bg); color: var(--fg); }
input[type=number] { max-width: 8rem; }
button { font: inherit; padding: .45rem 1rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: var(--bg); cursor: pointer; }
button.secondary { background: transparent; color: var(--accent); }
button.danger { background: #a11; border-color: #a11; color: #fff; }
button.link { background: none; border: none; padding: 0; text-decoration: underline; }
.hint { color: var(--muted); font-size: .9rem; margin: .25rem 0; }
.notice { padding: .6rem .9rem; border-radius: 4px; }
.notice.ok { background: var(--ok-bg); color: var(--ok-fg); }
.notice.error, .errors { background: var(--err-bg); color: var(--err-fg); padding: .6rem .9rem .6rem 2rem; border-radius: 4px; }
.notice.error { padding-left: .9rem; }
.alert { border: 2px solid #b36b00; background: var(--warn-bg); color: var(--warn-fg); padding: 1rem; border-radius: 6px; margin: 1rem 0; }
.alert h2 { margin-top: 0; }
.code { font: 700 1.5rem/1.3 ui-monospace, monospace; letter-spacing: .05em; padding: .75rem; border: 2px dashed var(--line); display: inline-block; word-break: break-all; }
footer { max-width: 46rem; margin: 0 auto; padding: 1rem 1.25rem 2rem; border-top: 1px solid var(--line); }
select { font: inherit; padding: .4rem; max-width: 100%; border: 1px solid var(--field); border-radius: 4px; background: var(--bg); color: var(--fg); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
#activity td:first-child { white-space: nowrap; }
/* A long host name or address in a cell may break rather than widen the page past a phone's screen. */
td { overflow-wrap: anywhere; }
.link-text { overflow-wrap: anywhere; }
/* An invite code breaks only between its groups (after a dash), never inside one. */
#invite-code { word-break: normal; }
/* On a phone a table.stack shows each row as a block, every cell labelled by its data-label (the headings are kept
   for screen readers only): three columns of dates and a button do not fit 360 px. */
@media (max-width: 36rem) {
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; }
  table.stack tr { border-bottom: 1px solid var(--line); padding: .4rem 0; }
  table.stack td { border: 0; padding: .1rem 0; }
  table.stack td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
  table.stack td:empty { display: none; }
}
#error-summary { padding: .75rem 1rem; margin: 1rem 0; }
#error-summary h2 { margin: 0 0 .4rem; font-size: 1.1rem; }
#error-summary ul { margin: 0; padding-left: 1.25rem; }
#error-summary a { color: var(--err-fg); }
.strength-good { color: var(--ok-fg); } .strength-fair { color: var(--warn-fg); }
.field-error { color: var(--err-fg); background: var(--err-bg); font-weight: 600; padding: .25rem .5rem; border-radius: 4px; margin: .25rem 0; }
input[aria-invalid=true] { border: 2px solid var(--err-fg); }
fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 1rem 0; padding: .25rem .75rem .75rem; min-width: 0; }
legend { font-weight: 600; padding: 0 .25rem; }
.duration { display: flex; flex-wrap: wrap; gap: 0 1.5rem; }
@media print { header, footer, nav, .no-print { display: none; } body { background: #fff; color: #000; }
  .code { border-color: #000; } main { max-width: none; } }
`;
